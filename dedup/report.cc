#include "dedup/report.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "absl/strings/str_format.h"
#include "dedup/report_html.h"
#include "dedup/story_report.h"

namespace dedup {
namespace {

std::string Num(double x) { return absl::StrFormat("%.6g", x); }


std::string CsvField(std::string_view s) {
  if (s.find_first_of(std::string_view(",\"\r\n\0", 5)) == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '\0') {  // CSV has no escape for it, and C tools stop at a raw NUL.
      out += "\\0";
      continue;
    }
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Whether the per-document formats carry the story column (even for an empty input).
bool HasStories(const ClusterResult& r, const ReportInfo& info) { return info.stories || !r.stories.empty(); }

void WriteDelimited(const ClusterResult& r, const ReportInfo& info, bool csv, std::ostream& out) {
  const char sep = csv ? ',' : '\t';
  out << "id" << sep << "cluster" << sep << "representative" << sep << "similarity" << sep << "relation" << sep
      << "containment" << (HasStories(r, info) ? (csv ? ",story" : "\tstory") : "") << '\n';
  for (const DocumentResult& d : r.documents) {
    const std::string& rep = r.documents[d.representative].id;
    if (csv) {
      out << CsvField(d.id) << ',' << ClusterLabel(r, d.cluster) << ',' << CsvField(rep) << ',' << Num(d.similarity);
    } else {
      out << TsvEscape(d.id) << '\t' << ClusterLabel(r, d.cluster) << '\t' << TsvEscape(rep) << '\t'
          << Num(d.similarity);
    }
    out << sep << RelationName(d.relation) << sep << Num(d.containment);
    if (!r.stories.empty()) out << sep << r.stories[d.cluster];
    out << '\n';
  }
}

void WriteJsonl(const ClusterResult& r, std::ostream& out) {
  // The story field comes from each document's cluster: an empty input has no lines.
  for (const DocumentResult& d : r.documents) {
    out << "{\"id\":" << JsonQuote(d.id) << ",\"cluster\":" << ClusterLabel(r, d.cluster)
        << ",\"representative\":" << JsonQuote(r.documents[d.representative].id)
        << ",\"similarity\":" << Num(d.similarity) << ",\"relation\":\"" << RelationName(d.relation)
        << "\",\"containment\":" << Num(d.containment);
    if (!r.stories.empty()) out << ",\"story\":" << r.stories[d.cluster];
    out << "}\n";
  }
}

std::string LshDescription(const ClusterResult& r, const ReportInfo& info) {
  if (info.exact) return "exact Jaccard (brute force)";
  return absl::StrFormat("LSH %d bands x %d rows", r.lsh.bands, r.lsh.rows);
}

void WriteJson(const ClusterResult& r, const ReportInfo& info, std::ostream& out) {
  const ClusterStats& s = r.stats;
  out << "{\n  \"summary\": {\"documents\": " << s.documents << ", \"clusters\": " << s.clusters
      << ", \"duplicate_clusters\": " << s.duplicate_clusters << ", \"duplicates\": " << s.duplicates
      << ", \"empty_documents\": " << s.empty_documents << ", \"skipped_lines\": " << info.skipped_lines
      << ", \"candidate_pairs\": " << s.candidate_pairs << ", \"verified_pairs\": " << s.verified_pairs
      << "},\n";
  out << "  \"parameters\": {\"shingle\": " << JsonQuote(info.shingle_spec) << ", \"num_perm\": "
      << info.num_perm << ", \"threshold\": " << Num(info.threshold) << ", \"exact\": "
      << (info.exact ? "true" : "false") << ", \"bands\": " << r.lsh.bands << ", \"rows\": " << r.lsh.rows
      << ", \"sketch\": " << JsonQuote(info.sketch_description) << "},\n";
  out << "  \"clusters\": [";
  bool first_cluster = true;
  for (uint32_t c : DuplicateClustersBySize(r)) {
    const auto& members = r.clusters[c];
    out << (first_cluster ? "\n" : ",\n") << "    {\"cluster\": " << ClusterLabel(r, c) << ", \"size\": " << members.size()
        << ", \"representative\": " << JsonQuote(r.documents[r.documents[members[0]].representative].id)
        << ", \"members\": [";
    first_cluster = false;
    for (size_t i = 0; i < members.size(); ++i) {
      const DocumentResult& d = r.documents[members[i]];
      out << (i ? ", " : "") << "{\"id\": " << JsonQuote(d.id) << ", \"similarity\": " << Num(d.similarity)
          << ", \"relation\": \"" << RelationName(d.relation) << "\", \"containment\": " << Num(d.containment)
          << "}";
    }
    out << "]}";
  }
  out << (first_cluster ? "]" : "\n  ]");
  if (HasStories(r, info)) WriteStoriesJson(r, out);
  out << "\n}\n";
}

void WriteText(const ClusterResult& r, const ReportInfo& info, std::ostream& out) {
  const ClusterStats& s = r.stats;
  out << "dedup cluster report\n";
  out << absl::StrFormat("  %d documents, %d clusters (%d with duplicates), %d duplicates", s.documents,
                         s.clusters, s.duplicate_clusters, s.duplicates);
  if (s.empty_documents > 0) out << absl::StrFormat(", %d empty", s.empty_documents);
  if (info.skipped_lines > 0) out << absl::StrFormat(", %d bad lines skipped", info.skipped_lines);
  out << "\n";
  out << absl::StrFormat("  %s shingles, K=%d, threshold %s, %s\n", info.shingle_spec, info.num_perm,
                         Num(info.threshold), LshDescription(r, info));
  for (uint32_t c : DuplicateClustersBySize(r)) {
    const auto& members = r.clusters[c];
    out << absl::StrFormat("\ncluster %d: %d documents\n", ClusterLabel(r, c), members.size());
    size_t width = 0;
    for (DocIndex m : members) width = std::max(width, r.documents[m].id.size());
    width = std::min<size_t>(width, 48);
    for (DocIndex m : members) {
      const DocumentResult& d = r.documents[m];
      std::string relation;
      if (d.relation == Relation::kExcerpt) {
        relation = absl::StrFormat("excerpt %.0f%%", 100 * d.containment);
      } else if (d.relation != Relation::kRepresentative) {
        relation = std::string(RelationName(d.relation));
      }
      out << absl::StrFormat("  %s %.3f %-12s %-*s  %s\n", m == d.representative ? "*" : " ", d.similarity,
                             relation, static_cast<int>(width), d.id, d.snippet);
    }
  }
  if (s.duplicate_clusters == 0) out << "\nno duplicates found\n";
  if (HasStories(r, info)) WriteStoriesText(r, out);
  out << absl::StrFormat("\n%d singleton documents not listed; * marks each cluster's representative (its canonical member);\n"
                         "similarity is Jaccard with it; an excerpt's share of shingles inside it is shown\n",
                         s.clusters - s.duplicate_clusters);
}

}  // namespace

int64_t ClusterLabel(const ClusterResult& r, uint32_t c) { return r.cluster_ids.empty() ? int64_t{c} : r.cluster_ids[c]; }

std::vector<uint32_t> DuplicateClustersBySize(const ClusterResult& r) {
  std::vector<uint32_t> order;
  for (uint32_t c = 0; c < r.clusters.size(); ++c) {
    if (r.clusters[c].size() > 1) order.push_back(c);
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (r.clusters[a].size() != r.clusters[b].size()) return r.clusters[a].size() > r.clusters[b].size();
    return ClusterLabel(r, a) < ClusterLabel(r, b);
  });
  return order;
}

absl::StatusOr<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "json") return ReportFormat::kJson;
  if (name == "jsonl") return ReportFormat::kJsonl;
  if (name == "tsv") return ReportFormat::kTsv;
  if (name == "csv") return ReportFormat::kCsv;
  if (name == "html") return ReportFormat::kHtml;
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown format \"%s\" (expected text, json, jsonl, tsv, csv or html)", name));
}

std::string TsvEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

void WriteReport(const ClusterResult& result, const ReportInfo& info, ReportFormat format,
                 std::ostream& out) {
  switch (format) {
    case ReportFormat::kText: WriteText(result, info, out); break;
    case ReportFormat::kJson: WriteJson(result, info, out); break;
    case ReportFormat::kJsonl: WriteJsonl(result, out); break;
    case ReportFormat::kTsv: WriteDelimited(result, info, /*csv=*/false, out); break;
    case ReportFormat::kCsv: WriteDelimited(result, info, /*csv=*/true, out); break;
    case ReportFormat::kHtml: WriteHtmlReport(result, info, /*texts=*/nullptr, out).IgnoreError(); break;  // Fails only explaining pairs.
  }
}

}  // namespace dedup
