// The HTML cluster report: one self-contained file for people (`dedup cluster
// --format html`, `dedup index export --format html`).
//
// The file holds its CSS and JavaScript inline, loads nothing (a Content-Security-Policy
// meta tag allows only the report's own script and style, by their SHA-256 hashes, and
// data: images) and is byte-identical for identical inputs and options (no timestamps).
// It has:
//   - a summary: documents, clusters, duplicates, the parameters, and a histogram of the
//     members' similarity to their cluster's canonical member (inline SVG; 20 bins, bin i
//     holds similarities s with floor(20 s) = i, s = 1 in bin 19);
//   - the clusters with two or more members, largest first (then by cluster label), as a
//     paged list rendered on demand from a JSON data block: a filter box (cluster label,
//     id, source or text) and sorting (size, label, lowest similarity);
//   - per cluster its canonical member and each member's relation, similarity and
//     containment (cluster.h);
//   - per member with text, a side-by-side view against the canonical member: shared
//     passages highlighted, boilerplate ("chrome") lines greyed and marked as ignored,
//     the decision and excerpt direction -- all computed by PairExplainer (explain.h),
//     the computation of `dedup explain MEMBER CANONICAL --corpus INPUTS`. The page opens
//     one on load from a URL fragment "#cluster=LABEL&member=I" (I: the member's place in
//     the cluster's table, 0 the canonical member), and "#filter=TEXT" fills the filter.
// Every string from the input (ids, sources, texts) reaches the page either
// HTML-escaped or inside the JSON block with <, >, & escaped as \u003c, \u003e, \u0026
// (so "</script>" cannot end it), and the script writes it with textContent only.
// Bytes that are not valid UTF-8 (possible in file names) are written as U+FFFD.
//
// Size bound: the texts shown are the normalized tokens (normalize.h) of at most
// HtmlReportOptions::max_documents_with_text documents (members of the largest clusters
// first), each cut after max_tokens_per_document tokens; the passages are computed on
// the whole texts. With the defaults (2,500 documents, 600 tokens) texts take at most
// 2,500 x 600 tokens (about 10 MB of news text); the rest of the file grows by about 150 bytes per member of a
// cluster with duplicates (singletons are counted, not listed). BENCHMARKS.md states
// the size at 100k documents.
//
// Example:
//   dedup::HtmlReportTexts texts;  // Optional: without it, no side-by-side view.
//   dedup::WriteHtmlReport(result, info, &texts, std::cout);
#ifndef DEDUP_REPORT_HTML_H_
#define DEDUP_REPORT_HTML_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dedup/cluster.h"
#include "dedup/corpus.h"
#include "dedup/explain.h"
#include "dedup/report.h"

namespace dedup {

struct HtmlReportOptions {
  size_t max_documents_with_text = 2500;  // Documents whose text (and side-by-side view) the file holds.
  size_t max_tokens_per_document = 600;   // Tokens of each text shown.
};

// What the report knows beyond the ClusterResult: documents by input position
// (DocIndex). A document with an empty text contributes its source only; a member
// whose text and canonical's text are both present gets a side-by-side view.
struct HtmlReportTexts {
  const PairExplainer* explainer = nullptr;  // Required for side-by-side views.
  absl::flat_hash_map<DocIndex, Document> documents;
  HtmlReportOptions options;
};

// The members of clusters with two or more members, in the report's order (largest
// cluster first, canonical member first): the first max_documents_with_text of them
// get their text read. Cost O(n log n) in the listed members.
std::vector<DocIndex> HtmlReportTextDocuments(const ClusterResult& result, const HtmlReportOptions& options);

// Reads the inputs again (the same inputs and corpus options as the run that made
// `result`) and keeps, for every member of a cluster with two or more members, its id
// and source, and the text of those in `with_text`. FailedPrecondition if the inputs
// no longer hold the run's documents in the same order.
absl::StatusOr<absl::flat_hash_map<DocIndex, Document>> ReadReportDocuments(const std::vector<std::string>& inputs,
                                                                            const CorpusOptions& options,
                                                                            const ClusterResult& result,
                                                                            const std::vector<DocIndex>& with_text);

// Writes the report. `texts` may be null (no sources, texts or side-by-side views:
// the index does not store texts). Fails only if explaining a pair fails.
absl::Status WriteHtmlReport(const ClusterResult& result, const ReportInfo& info, const HtmlReportTexts* texts,
                             std::ostream& out);

// Text for HTML element content and attribute values: & < > " ' as character references,
// invalid UTF-8 as U+FFFD.
std::string HtmlEscape(std::string_view s);
// A JSON string literal safe inside an HTML <script> element: JsonQuote() of the text
// (invalid UTF-8 as U+FFFD) with <, >, &, U+2028 and U+2029 as \u escapes.
std::string ScriptSafeJsonQuote(std::string_view s);

}  // namespace dedup

#endif  // DEDUP_REPORT_HTML_H_
