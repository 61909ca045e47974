// dedup.cluster (the batch pipeline over inputs) and dedup.explain (the CLI's command).
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "absl/strings/match.h"
#include "dedup/cli/commands.h"
#include "dedup/cli/common.h"
#include "dedup/pipeline.h"
#include "documents.h"
#include "module.h"
#include "options.h"
#include "status.h"

namespace py = pybind11;

namespace dedup::python {

py::dict ResultColumns(const ClusterResult& r) {
  const size_t n = r.documents.size();
  py::list id(n), cluster(n), representative(n), similarity(n), relation(n), containment(n);
  py::str names[] = {py::str(std::string(RelationName(Relation::kRepresentative))),
                     py::str(std::string(RelationName(Relation::kSimilar))),
                     py::str(std::string(RelationName(Relation::kExcerpt))),
                     py::str(std::string(RelationName(Relation::kExtends))),
                     py::str(std::string(RelationName(Relation::kLinked)))};
  for (size_t i = 0; i < n; ++i) {
    const DocumentResult& d = r.documents[i];
    id[i] = py::str(d.id);
    // The label reports print: the index's stable id when there is one, else the number.
    cluster[i] = py::int_(r.cluster_ids.empty() ? static_cast<int64_t>(d.cluster) : r.cluster_ids[d.cluster]);
    representative[i] = py::str(r.documents[d.representative].id);
    similarity[i] = py::float_(d.similarity);
    relation[i] = names[static_cast<int>(d.relation)];
    containment[i] = py::float_(d.containment);
  }
  py::dict stats;
  stats["documents"] = r.stats.documents;
  stats["empty_documents"] = r.stats.empty_documents;
  stats["candidate_pairs"] = r.stats.candidate_pairs;
  stats["verified_pairs"] = r.stats.verified_pairs;
  stats["clusters"] = r.stats.clusters;
  stats["duplicate_clusters"] = r.stats.duplicate_clusters;
  stats["duplicates"] = r.stats.duplicates;
  stats["lsh_bands"] = r.lsh.bands;
  stats["lsh_rows"] = r.lsh.rows;
  py::dict out;
  out["id"] = id;
  out["cluster"] = cluster;
  out["representative"] = representative;
  out["similarity"] = similarity;
  out["relation"] = relation;
  out["containment"] = containment;
  out["stats"] = stats;
  return out;
}

namespace {

// `dedup cluster INPUT...` with the keyword options, GIL released while it runs.
py::dict ClusterInputs(const std::vector<std::string>& inputs, const py::kwargs& kwargs) {
  cli::ClusterFlags flags;
  CLI::App app;
  flags.Register(&app, /*with_inputs=*/false);
  ParseKeywordOptions(&app, kwargs, "cluster");
  absl::StatusOr<PipelineOptions> options = flags.ToOptions();
  ThrowIfError(options.status());
  absl::StatusOr<PipelineResult> result;
  {
    py::gil_scoped_release release;
    result = RunClusterPipeline(inputs, *options);
  }
  ThrowIfError(result.status());
  py::dict out = ResultColumns(result->clusters);
  py::dict stats = out["stats"];
  stats["skipped_lines"] = result->skipped_lines;
  stats["text_bytes"] = result->text_bytes;
  stats["seconds"] = result->seconds;
  stats["boilerplate_lines"] = result->boilerplate_lines;
  stats["sketch"] = result->sketch_description;
  return out;
}

// Runs `dedup explain A B --format json [--corpus C]... <options>` in this process and
// returns its standard output; its error message (exit status 2: a usage error) as an
// exception otherwise. Holds the GIL: it redirects std::cout and std::cerr.
std::string Explain(const std::string& a, const std::string& b, const std::vector<std::string>& corpus,
                    const py::kwargs& kwargs) {
  CLI::App root("dedup");
  root.require_subcommand(1);
  cli::Command cmd = cli::RegisterExplainCommand(root);
  std::vector<std::string> args = {"explain", a, b, "--format", "json"};
  for (const std::string& c : corpus) args.insert(args.end(), {"--corpus", c});
  for (const char* reserved : {"format", "corpus"}) {
    if (kwargs.contains(reserved)) throw py::type_error(std::string("explain() got an unexpected keyword argument '") + reserved + "'");
  }
  for (std::string& arg : KeywordArguments(cmd.app, kwargs, "explain")) args.push_back(std::move(arg));
  std::reverse(args.begin(), args.end());
  try {
    root.parse(args);
  } catch (const CLI::ParseError& e) {
    throw StatusError(absl::StatusCode::kInvalidArgument, std::string("explain(): ") + e.what());
  }
  std::ostringstream out, err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  int code = 0;
  try {
    code = cmd.run();
  } catch (...) {
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    throw;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  if (code != cli::kExitOk) {
    std::string message = err.str();
    if (absl::StartsWith(message, "dedup: error: ")) message = message.substr(14);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    // The command reports a Status's message, not its code: a usage error (exit 2) is
    // InvalidArgument; an input that cannot be read or an id not found (exit 1) is
    // NotFound when it says so, else the generic dedup.Error.
    absl::StatusCode status = code == cli::kExitUsage ? absl::StatusCode::kInvalidArgument
                              : absl::StrContains(message, "not found") || absl::StrContains(message, "no such file")
                                  ? absl::StatusCode::kNotFound
                                  : absl::StatusCode::kUnknown;
    throw StatusError(status, message);
  }
  return out.str();
}

// Writes `documents` to `path` as JSONL (documents.h), for the pipeline to read.
void WriteDocuments(const std::string& path, const py::iterable& documents, const std::string& id_field,
                    const std::string& text_field, const py::object& dumps) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw StatusError(absl::StatusCode::kUnavailable, path + ": cannot create");
  ForEachDocumentLine(documents, id_field, text_field, dumps, [&](const std::string& line) {
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    out.put('\n');
  });
  out.close();
  if (!out) throw StatusError(absl::StatusCode::kUnavailable, path + ": write failed (disk full?)");
}

py::list ClusterOptionTable() {
  cli::ClusterFlags flags;
  CLI::App app;
  flags.Register(&app, /*with_inputs=*/false);
  return OptionTable(&app);
}

}  // namespace

void RegisterCluster(py::module_& m) {
  m.def("_cluster_inputs", &ClusterInputs, py::arg("inputs"));
  m.def("_write_documents", &WriteDocuments, py::arg("path"), py::arg("documents"), py::arg("id_field"),
        py::arg("text_field"), py::arg("dumps"));
  m.def("_explain", &Explain, py::arg("a"), py::arg("b"), py::arg("corpus"));
  m.def("_cluster_options", &ClusterOptionTable);
}

}  // namespace dedup::python
