// Cluster reports: text for people; JSON, JSONL, TSV and CSV for machines.
//
// Per-document formats (one record per input document, in input order, singletons
// included -- scripts depend on them, so their columns only ever grow at the end):
//   tsv:   header "id\tcluster\trepresentative\tsimilarity\trelation\tcontainment";
//          relation is representative|similar|excerpt|extends|linked (cluster.h),
//          containment the share of the document's shingles found in the representative;
//          tab, newline, carriage return, backslash and NUL inside an id are written
//          as \t \n \r \\ \0.
//   csv:   the same columns, RFC 4180 quoting; a NUL (which CSV cannot escape) is
//          written as \0 inside a quoted field.
//   jsonl: {"id":…,"cluster":…,"representative":…,"similarity":…,"relation":…,
//          "containment":…} per line.
//   With the story tier (ClusterResult::stories, `dedup cluster --stories`) each record
//   ends with one more column, `story`: the story number of the document's cluster.
// Cluster formats:
//   json:  a summary, the parameters, and every cluster with two or more members
//          (members in input order, with their similarity to the representative).
//   text:  the same for a person: a summary, then clusters by size (largest first)
//          with each member's similarity and the start of its text.
//   html:  a self-contained page for a person (report_html.h); WriteReport writes it
//          without texts, WriteHtmlReport with them.
//   With the story tier, text and JSON end with the stories of two or more clusters,
//   nested stories -> clusters -> documents (story_report.h).
// Similarities are written with up to 6 significant digits ("%.6g"); the
// representative's is 1. Output is byte-identical for identical results.
//
// Example:
//   dedup::WriteReport(result, info, dedup::ReportFormat::kTsv, std::cout);
#ifndef DEDUP_REPORT_H_
#define DEDUP_REPORT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dedup/cluster.h"

namespace dedup {

enum class ReportFormat { kText, kJson, kJsonl, kTsv, kCsv, kHtml };

// "text", "json", "jsonl", "tsv", "csv" or "html".
absl::StatusOr<ReportFormat> ParseReportFormat(std::string_view name);

// Run facts printed in the text and JSON summaries.
struct ReportInfo {
  std::string sketch_description;  // DescribeSketchOptions().
  std::string shingle_spec;        // "word:5".
  int num_perm = 0;
  double threshold = 0;
  bool exact = false;
  int64_t skipped_lines = 0;
  // The story tier ran (`--stories`): TSV and CSV carry the story column even when the
  // input had no documents (ClusterResult::stories empty).
  bool stories = false;
};

void WriteReport(const ClusterResult& result, const ReportInfo& info, ReportFormat format,
                 std::ostream& out);

// What reports print for cluster number c: ClusterResult::cluster_ids[c] when set, else c.
int64_t ClusterLabel(const ClusterResult& result, uint32_t c);

// Cluster numbers of the clusters with two or more members, largest first, then by label:
// the order every cluster report lists them in.
std::vector<uint32_t> DuplicateClustersBySize(const ClusterResult& result);

// A TSV field: tab, newline, carriage return, backslash and NUL written as
// \t \n \r \\ \0.
std::string TsvEscape(std::string_view s);

// JSON string literal for `s` (quotes included); s must be valid UTF-8.
std::string JsonQuote(std::string_view s);

}  // namespace dedup

#endif  // DEDUP_REPORT_H_
