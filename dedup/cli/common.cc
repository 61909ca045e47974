#include "dedup/cli/common.h"

#include <charconv>
#include <iostream>
#include <limits>

#include "absl/strings/str_format.h"
#include "dedup/output_file.h"
#include "dedup/minhash.h"
#include "dedup/status_macros.h"
#include "dedup/threads.h"

namespace dedup::cli {

CLI::Validator IntegerIn(int64_t lo, int64_t hi, const std::string& note) {
  const std::string range = absl::StrFormat("%d..%d%s", lo, hi, note.empty() ? "" : " (" + note + ")");
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc::invalid_argument || p != text.data() + text.size()) {
          return absl::StrFormat("\"%s\" is not an integer; expected %s", text, range);
        }
        if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
          return absl::StrFormat("%s is out of range; expected %s", text, range);
        }
        return "";
      },
      range);
}

CLI::Validator Uint64Value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc() && p == text.data() + text.size()) return "";
        return absl::StrFormat("%s is not an integer in range 0..%d", text, std::numeric_limits<uint64_t>::max());
      },
      "0..2^64-1");
}

CLI::Validator NonEmpty() {
  return CLI::Validator([](std::string& text) -> std::string { return text.empty() ? "must not be empty" : ""; },
                        "non-empty");
}

CLI::Option* AddThreadsOption(CLI::App* app, int* threads) {
  return app->add_option("--threads", *threads, absl::StrFormat("Threads for sketching: %s", kThreadsRange))
      ->check(IntegerIn(0, kMaxThreads, "0 = all cores"))
      ->capture_default_str();
}

void AddBandsRowsOptions(CLI::App* app, int* bands, int* rows, const std::string& bands_help) {
  app->add_option("--bands", *bands, bands_help)->check(IntegerIn(1, kMaxNumPerm));
  app->add_option("--rows", *rows, "LSH rows per band (with --bands)")->check(IntegerIn(1, kMaxNumPerm));
}

void SketchFlags::Register(CLI::App* app) {
  app->add_option("--shingle", shingle, "Shingle kind and size: word:K (K words) or char:K (K characters)")
      ->capture_default_str();
  app->add_option("--num-perm", num_perm, "MinHash signature size K")
      ->check(CLI::Range(1, kMaxNumPerm))
      ->capture_default_str();
  app->add_option("--seed", seed, "Seed for shingle hashing and the MinHash functions (0..2^64-1)")
      ->check(Uint64Value())
      ->capture_default_str();
  app->add_option("--minhash", minhash,
                  "MinHash engine: fss (fast similarity sketching, O(n + K log K)), classic (K hash\n"
                  "functions) or oph (one permutation hashing with optimal densification, O(n + K))")
      ->check(CLI::IsMember({"classic", "oph", "fss"}))
      ->capture_default_str();
}

absl::StatusOr<SketchOptions> SketchFlags::ToOptions() const {
  SketchOptions options;
  DEDUP_ASSIGN_OR_RETURN(options.shingle, ParseShingleSpec(shingle));
  options.num_perm = num_perm;
  options.seed = seed;
  DEDUP_ASSIGN_OR_RETURN(options.engine, ParseMinHashEngine(minhash));
  return options;
}

void InputFlags::Register(CLI::App* app, bool with_skip) {
  app->add_option("--id-field", id_field, "JSONL field holding the document id")
      ->check(NonEmpty())
      ->capture_default_str();
  app->add_option("--text-field", text_field, "JSONL field holding the document text")
      ->check(NonEmpty())
      ->capture_default_str();
  app->add_option("--html", html,
                  "Extract the text of HTML documents: auto (*.html/*.htm files and texts that look like HTML), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  app->add_option("--input-format", input_format,
                  "How a file named as an input is read: auto (by its name; a file whose name says neither\n"
                  "JSONL nor text and whose first line is a JSON object with the text field is JSONL, with a\n"
                  "note), jsonl, text (one document), html (one HTML document; implies --html on)")
      ->check(CLI::IsMember({"auto", "jsonl", "text", "html"}))
      ->capture_default_str();
  app->add_option("--max-document-bytes", max_document_bytes,
                  "Refuse a document (JSONL line or file) longer than this; a run's peak memory is about\n"
                  "16x its largest document")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  if (with_skip) {
    app->add_flag("--skip-bad-lines", skip_bad_lines,
                  "Skip malformed JSONL lines with a warning instead of failing");
  }
}

CorpusOptions InputFlags::ToOptions() const {
  CorpusOptions options;
  options.id_field = id_field;
  options.text_field = text_field;
  options.skip_bad_lines = skip_bad_lines;
  options.max_document_bytes = max_document_bytes;
  options.html = html == "on" ? CorpusOptions::Html::kOn : html == "off" ? CorpusOptions::Html::kOff : CorpusOptions::Html::kAuto;
  options.input_format = input_format == "jsonl"  ? CorpusOptions::InputFormat::kJsonl
                         : input_format == "text" ? CorpusOptions::InputFormat::kText
                         : input_format == "html" ? CorpusOptions::InputFormat::kHtml
                                                  : CorpusOptions::InputFormat::kAuto;
  if (options.input_format == CorpusOptions::InputFormat::kHtml) options.html = CorpusOptions::Html::kOn;
  return options;
}

void ClusterFlags::Register(CLI::App* app, bool with_inputs) {
  if (with_inputs) {
    app->add_option("INPUT", inputs, "Inputs, read in order: .jsonl files, folders, text files, - for stdin")
        ->required();
  }
  app->add_option("--threshold", threshold, "Similarity needed to group two documents, in [0,1]")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--containment", containment,
                  "Also group a document whose shingles are at least this share contained in a larger one\n"
                  "(truncated copies, excerpts; 0 = off)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--min-containment-ratio", min_containment_ratio,
                  "Containment needs the smaller document to be at least this share of the larger's\n"
                  "shingles, in (0,1]")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--min-containment-shingles", min_containment_shingles,
                  "Containment needs the smaller document to have at least this many shingles")
      ->capture_default_str();
  app->add_option("--containment-z", containment_z,
                  "Containment needs its estimate minus this many standard errors to reach --containment\n"
                  "(a guard against the estimate's tail at low size ratios; 0 = the estimate itself)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  app->add_option("--containment-estimate", containment_estimate,
                  "How containment is estimated: order (from the MinHash slots' order, a binomial proportion;\n"
                  "fss and classic at 32 bits) or jaccard (from the Jaccard estimate and the sizes, as the\n"
                  "index does)")
      ->check(CLI::IsMember({"order", "jaccard"}))
      ->capture_default_str();
  app->add_option("--opening-threshold", opening_threshold,
                  "Also group a shorter excerpt (down to --opening-min-ratio of the larger document) whose\n"
                  "opening is in the larger one's opening (estimated containment at least this) and whose\n"
                  "containment's lower bound reaches --opening-containment (0 = off)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--opening-shingles", opening_shingles, "Shingles that make a document's opening")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app->add_option("--opening-min-ratio", opening_min_ratio,
                  "An opening excerpt must be at least this share of the larger document's shingles, in (0,1]")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--opening-containment", opening_containment,
                  "An opening excerpt's containment lower bound (--containment-z) must reach this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--canonical", canonical,
                  "Each cluster's representative: earliest (published time, else first seen), first, longest")
      ->check(CLI::IsMember({"earliest", "first", "longest"}))
      ->capture_default_str();
  app->add_option("--boilerplate", boilerplate,
                  "Leave lines that recur across documents (site chrome) out of the comparison: on or off")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app->add_option("--boilerplate-min-docs", boilerplate_options.min_docs,
                  "Corpus-wide boilerplate: a line in at least this many documents ...")
      ->check(CLI::Range(2, 1 << 30))
      ->capture_default_str();
  app->add_option("--boilerplate-min-contexts", boilerplate_options.min_contexts,
                  "... under at least this many different articles (contexts)")
      ->check(CLI::Range(1, kMaxBoilerplateContexts))
      ->capture_default_str();
  app->add_option("--boilerplate-source-min-docs", boilerplate_options.min_source_docs,
                  "Per-source boilerplate (JSONL \"source\" field): a line in this many documents of a source ...")
      ->check(CLI::Range(2, 1 << 30))
      ->capture_default_str();
  app->add_option("--boilerplate-source-min-contexts", boilerplate_options.min_source_contexts,
                  "... under this many different articles of that source")
      ->check(CLI::Range(1, kMaxBoilerplateContexts))
      ->capture_default_str();
  sketch.Register(app);
  AddBandsRowsOptions(app, &bands, &rows, "LSH bands (with --rows; default: chosen from the threshold)");
  app->add_flag("--exact", exact, "Exact Jaccard over all pairs instead of MinHash LSH (small inputs)");
  app->add_option("--signature-bits", signature_bits,
                  "Bits kept of each MinHash slot, for verification and LSH bands: 32, or 16 / 8 (b-bit\n"
                  "minwise hashing: 1/2 or 1/4 of the signatures' memory, a corrected estimate; bits x rows\n"
                  "must be at least 24)")
      ->check(CLI::IsMember({8, 16, 32}))
      ->capture_default_str();
  input.Register(app);
  AddThreadsOption(app, &threads);
}

absl::StatusOr<PipelineOptions> ClusterFlags::ToOptions() const {
  PipelineOptions options;
  DEDUP_ASSIGN_OR_RETURN(options.sketch, sketch.ToOptions());
  options.corpus = input.ToOptions();
  options.cluster.threshold = threshold;
  options.cluster.containment_threshold = containment;
  if (!(min_containment_ratio > 0.0)) return absl::InvalidArgumentError("--min-containment-ratio must be > 0");
  options.cluster.min_containment_ratio = min_containment_ratio;
  options.cluster.min_containment_shingles = min_containment_shingles;
  options.cluster.containment_z = containment_z;
  if (!(opening_min_ratio > 0.0)) return absl::InvalidArgumentError("--opening-min-ratio must be > 0");
  options.ordered_containment = containment_estimate == "order";
  options.cluster.opening_threshold = opening_threshold;
  options.cluster.opening.shingles = opening_shingles;
  options.cluster.opening_min_ratio = opening_min_ratio;
  options.cluster.opening_containment = opening_containment;
  options.cluster.canonical = canonical == "first"     ? CanonicalRule::kFirst
                              : canonical == "longest" ? CanonicalRule::kLongest
                                                       : CanonicalRule::kEarliest;
  options.boilerplate = boilerplate_options;
  options.boilerplate.enabled = boilerplate == "on";
  options.cluster.exact = exact;
  options.cluster.signature_bits = signature_bits;
  options.threads = threads;
  if ((bands > 0) != (rows > 0)) return absl::InvalidArgumentError("--bands and --rows must be given together");
  if (bands > 0) {
    LshParams lsh{bands, rows};
    DEDUP_RETURN_IF_ERROR(ValidateLshParams(lsh, options.sketch.num_perm));
    options.cluster.lsh = lsh;
  }
  // The checks that depend on several options at once (bits x rows, the default banding).
  DEDUP_RETURN_IF_ERROR(Clusterer::Create(options.cluster, options.sketch.num_perm).status());
  return options;
}

absl::Status LoadPair(const std::string& id_a, const std::string& id_b, const std::vector<std::string>& corpus,
                      CorpusOptions options, Document* a, Document* b) {
  if (corpus.empty()) {
    for (auto [path, doc] : {std::pair{&id_a, a}, std::pair{&id_b, b}}) {
      options.reject_duplicate_ids = false;
      auto reader = CorpusReader::Open({*path}, options);
      if (!reader.ok()) return reader.status();
      auto got = (*reader)->Next(doc);
      if (!got.ok()) return got.status();
      if (!*got) return absl::InvalidArgumentError(absl::StrFormat("%s: holds no document", *path));
      Document extra;
      auto more = (*reader)->Next(&extra);
      if (!more.ok()) return more.status();  // E.g. a malformed second line.
      if (*more) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: holds more than one document; use --corpus %s and give two ids", *path, *path));
      }
    }
    return absl::OkStatus();
  }
  auto reader = CorpusReader::Open(corpus, options);
  if (!reader.ok()) return reader.status();
  bool found_a = false, found_b = false;
  Document doc;
  while (!(found_a && found_b)) {
    auto got = (*reader)->Next(&doc);
    if (!got.ok()) return got.status();
    if (!*got) break;
    if (!found_a && doc.id == id_a) *a = doc, found_a = true;
    if (!found_b && doc.id == id_b) *b = doc, found_b = true;
  }
  if (!found_a) return absl::NotFoundError(absl::StrFormat("id \"%s\" not found in the corpus", id_a));
  if (!found_b) return absl::NotFoundError(absl::StrFormat("id \"%s\" not found in the corpus", id_b));
  return absl::OkStatus();
}

int Fail(const absl::Status& status, int exit_code) {
  std::cerr << "dedup: error: " << status.message() << "\n";
  return exit_code;
}

absl::Status WriteOutput(const std::string& path, const std::function<void(std::ostream&)>& write) {
  if (path.empty() || path == "-") {
    write(std::cout);
    std::cout.flush();
    if (!std::cout) return absl::UnavailableError("writing to standard output failed");
    return absl::OkStatus();
  }
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Open(path));
  write(out->stream());
  return out->Commit();
}

}  // namespace dedup::cli
