// dedup.Index: the durable ingestion index (dedup/ingest_index.h), as `dedup index` uses it.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "absl/strings/str_format.h"
#include "dedup/cli/common.h"
#include "dedup/cli/param_flags.h"
#include "dedup/corpus.h"
#include "dedup/ingest_index.h"
#include "dedup/threads.h"
#include "documents.h"
#include "module.h"
#include "options.h"
#include "status.h"

namespace py = pybind11;

namespace dedup::python {
namespace {

// The times `dedup index` accepts: years 0001..9999 (UTC), so that no arithmetic on a
// cutoff can overflow (as dedup/cli/index_command.cc).
constexpr int64_t kMinTime = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTime = 253402300799;  // 9999-12-31T23:59:59Z

void CheckTime(const char* what, int64_t t) {
  if (t < kMinTime || t > kMaxTime) {
    throw StatusError(absl::StatusCode::kOutOfRange,
                      absl::StrFormat("%s: %d is out of range: times must be within %d .. %d (years 0001..9999)", what,
                                      t, kMinTime, kMaxTime));
  }
}

py::tuple CheckTuple(const CheckResult& r) {
  return py::make_tuple(r.id, std::string(DecisionName(r.decision)), r.cluster, r.canonical, r.similarity,
                        r.containment, r.merged);
}

py::tuple RemoveTuple(const RemoveResult& r) {
  return py::make_tuple(r.removed, r.missing, r.clusters_deleted, r.clusters_split);
}

class PyIndex {
 public:
  PyIndex(const std::string& path, bool create, bool read_only, const std::optional<std::string>& sync, int threads,
          std::optional<int64_t> now, const py::kwargs& kwargs) {
    cli::ParamFlags params;
    cli::InputFlags input;
    CLI::App app;
    params.Register(&app);
    input.Register(&app, /*with_skip=*/false);
    ParseKeywordOptions(&app, kwargs, "Index");
    corpus_ = input.ToOptions();
    corpus_.reject_duplicate_ids = false;  // The index decides about repeated ids.
    ThrowIfError(ValidateThreads(threads));
    if (sync.has_value() && *sync != "full" && *sync != "normal") {
      throw StatusError(absl::StatusCode::kInvalidArgument,
                        "Index(): sync must be \"full\" or \"normal\", not \"" + *sync + "\"");
    }
    if (create && read_only) throw StatusError(absl::StatusCode::kInvalidArgument, "Index(): create and read_only");
    IngestOptions options;
    options.read_only = read_only;
    options.threads = threads;
    if (sync.has_value()) options.durability = *sync == "normal" ? Durability::kNormal : Durability::kFull;
    if (now.has_value()) {
      CheckTime("now", *now);
      const int64_t t = *now;
      options.clock = [t] { return t; };
    }
    absl::StatusOr<std::unique_ptr<IngestIndex>> index;
    if (create) {
      absl::StatusOr<IndexParams> p = params.Apply(&app, IndexParams{}, /*all=*/true);
      ThrowIfError(p.status());
      options.params = *p;
      py::gil_scoped_release release;
      index = IngestIndex::Create(path, options);
    } else {
      {
        py::gil_scoped_release release;
        index = IngestIndex::Open(path, options);
      }
      ThrowIfError(index.status());
      if (params.AnyGiven(&app)) {  // As `dedup index add`: each option given must be the stored one.
        absl::StatusOr<IndexParams> expected = params.Apply(&app, (*index)->params(), /*all=*/false);
        ThrowIfError(expected.status());
        ThrowIfError((*index)->CheckParams(*expected));
      }
    }
    ThrowIfError(index.status());
    index_ = std::shared_ptr<IngestIndex>(std::move(*index));
  }

  // Documents from their JSONL lines (documents.h), parsed as `dedup index add` parses
  // its input: fields, UTF-8, published times, HTML.
  // Errors name "documents:N", N the 1-based position.
  std::vector<Document> Parse(std::vector<std::string>& lines) const {
    std::vector<Document> docs(lines.size());
    RecordParser parser(corpus_);
    for (size_t i = 0; i < lines.size(); ++i) {
      RawRecord record;
      record.bytes = std::move(lines[i]);
      record.where = SourceLocation{"documents", static_cast<int64_t>(i) + 1};
      ThrowIfError(parser.Parse(&record, &docs[i]));
    }
    return docs;
  }

  py::list Check(const py::iterable& documents, bool insert, const py::object& dumps) {
    std::shared_ptr<IngestIndex> index = Get();
    std::vector<std::string> lines;
    ForEachDocumentLine(documents, corpus_.id_field, corpus_.text_field, dumps,
                        [&](const std::string& line) { lines.push_back(line); });
    std::vector<Document> docs;
    absl::StatusOr<std::vector<CheckResult>> results;
    {
      py::gil_scoped_release release;
      docs = Parse(lines);
      results = insert ? index->CheckAndInsert(docs) : index->Query(docs);
    }
    ThrowIfError(results.status());
    py::list out;
    for (const CheckResult& r : *results) out.append(CheckTuple(r));
    return out;
  }

  py::tuple Remove(const std::vector<std::string>& ids) {
    std::shared_ptr<IngestIndex> index = Get();
    absl::StatusOr<RemoveResult> r;
    {
      py::gil_scoped_release release;
      r = index->Remove(ids);
    }
    ThrowIfError(r.status());
    return RemoveTuple(*r);
  }

  py::tuple Expire(int64_t before, const std::string& by) {
    CheckTime("before", before);
    if (by != "published" && by != "inserted") {
      throw StatusError(absl::StatusCode::kInvalidArgument,
                        "expire(): by must be \"published\" or \"inserted\", not \"" + by + "\"");
    }
    std::shared_ptr<IngestIndex> index = Get();
    absl::StatusOr<RemoveResult> r;
    {
      py::gil_scoped_release release;
      r = index->Expire(before, by == "inserted" ? ExpireBy::kInserted : ExpireBy::kPublished);
    }
    ThrowIfError(r.status());
    return RemoveTuple(*r);
  }

  py::dict Export(bool dense_ids) {
    std::shared_ptr<IngestIndex> index = Get();
    ClusterResult result;
    {
      py::gil_scoped_release release;
      result = index->ExportClusters(dense_ids);
    }
    return ResultColumns(result);
  }

  py::dict Stats() {
    std::shared_ptr<IngestIndex> index = Get();
    const IndexStats s = index->Stats();
    py::dict d;
    d["documents"] = s.documents;
    d["empty_documents"] = s.empty_documents;
    d["clusters"] = s.clusters;
    d["duplicate_clusters"] = s.duplicate_clusters;
    d["duplicates"] = s.duplicates;
    d["merges"] = s.merges;
    d["splits"] = s.splits;
    d["next_cluster"] = s.next_cluster;
    d["candidate_pairs"] = s.candidate_pairs;
    d["verified_pairs"] = s.verified_pairs;
    d["file_bytes"] = s.file_bytes;
    d["lsh_bands"] = s.lsh.bands;
    d["lsh_rows"] = s.lsh.rows;
    d["sketch"] = s.sketch_description;
    d["threshold"] = s.params.match.threshold;
    d["containment"] = s.params.match.containment_threshold;
    d["canonical"] = std::string(CanonicalRuleName(s.params.canonical));
    return d;
  }

  // Closes the file (the last call using the index finishes first). Idempotent.
  void Close() {
    std::shared_ptr<IngestIndex> index = std::move(index_);
    index_.reset();
    py::gil_scoped_release release;
    index.reset();
  }

  bool closed() const { return index_ == nullptr; }
  const CorpusOptions& corpus() const { return corpus_; }

 private:
  std::shared_ptr<IngestIndex> Get() const {
    if (index_ == nullptr) throw StatusError(absl::StatusCode::kFailedPrecondition, "the index is closed");
    return index_;
  }

  std::shared_ptr<IngestIndex> index_;
  CorpusOptions corpus_;
};

py::list IndexOptionTable() {
  cli::ParamFlags params;
  cli::InputFlags input;
  CLI::App app;
  params.Register(&app);
  input.Register(&app, /*with_skip=*/false);
  return OptionTable(&app);
}

}  // namespace

void RegisterIndex(py::module_& m) {
  py::class_<PyIndex>(m, "_Index")
      .def(py::init<const std::string&, bool, bool, const std::optional<std::string>&, int, std::optional<int64_t>,
                    const py::kwargs&>(),
           py::arg("path"), py::kw_only(), py::arg("create") = false, py::arg("read_only") = false,
           py::arg("sync") = py::none(), py::arg("threads") = 0, py::arg("now") = py::none())
      .def("check", &PyIndex::Check, py::arg("documents"), py::arg("insert"), py::arg("dumps"))
      .def("remove", &PyIndex::Remove, py::arg("ids"))
      .def("expire", &PyIndex::Expire, py::arg("before"), py::arg("by"))
      .def("export", &PyIndex::Export, py::arg("dense_ids"))
      .def("stats", &PyIndex::Stats)
      .def("close", &PyIndex::Close)
      .def_property_readonly("closed", &PyIndex::closed)
      .def_property_readonly("id_field", [](const PyIndex& i) { return i.corpus().id_field; })
      .def_property_readonly("text_field", [](const PyIndex& i) { return i.corpus().text_field; });
  m.def("_index_options", &IndexOptionTable);
  m.def("_parse_time", [](const std::string& text) {
    absl::StatusOr<int64_t> t = ParsePublishedTime(text);
    ThrowIfError(t.status());
    return *t;
  }, py::arg("text"));
}

}  // namespace dedup::python
