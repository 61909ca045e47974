#include "dedup/eval.h"

#include <algorithm>
#include <fstream>
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "dedup/report.h"

namespace dedup {
namespace {

double Choose2(int64_t n) { return static_cast<double>(n) * static_cast<double>(n - 1) / 2.0; }

// Contingency table and marginals of two labellings.
struct Contingency {
  double sum_cells = 0, sum_rows = 0, sum_cols = 0;  // Σ C(n_ij,2), Σ C(a_i,2), Σ C(b_j,2).
};

Contingency Tabulate(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  absl::flat_hash_map<uint64_t, int64_t> cells;
  absl::flat_hash_map<uint32_t, int64_t> rows, cols;
  for (size_t i = 0; i < a.size(); ++i) {
    ++cells[(static_cast<uint64_t>(a[i]) << 32) | b[i]];
    ++rows[a[i]];
    ++cols[b[i]];
  }
  Contingency c;
  for (const auto& [k, n] : cells) c.sum_cells += Choose2(n);
  for (const auto& [k, n] : rows) c.sum_rows += Choose2(n);
  for (const auto& [k, n] : cols) c.sum_cols += Choose2(n);
  return c;
}

}  // namespace

absl::StatusOr<GroundTruth> GroundTruth::Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrFormat("%s: cannot open truth file", path));
  std::string line;
  if (!std::getline(in, line)) return absl::InvalidArgumentError(absl::StrFormat("%s: empty truth file", path));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> header = absl::StrSplit(line, '\t');
  int id_col = -1, source_col = -1, kind_col = -1, topic_col = -1, story_col = -1, story_kind_col = -1;
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    if (header[i] == "id") id_col = i;
    if (header[i] == "source_id") source_col = i;
    if (header[i] == "kind") kind_col = i;
    if (header[i] == "topic") topic_col = i;
    if (header[i] == "story") story_col = i;
    if (header[i] == "story_kind") story_kind_col = i;
  }
  if (id_col < 0 || source_col < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:1: the header must name the columns \"id\" and \"source_id\"", path));
  }
  GroundTruth truth;
  truth.has_stories_ = story_col >= 0;
  int64_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %d fields, the header has %d", path, line_no,
                                                        f.size(), header.size()));
    }
    TruthRecord r{f[source_col], kind_col >= 0 ? f[kind_col] : "", topic_col >= 0 ? f[topic_col] : "",
                  story_col >= 0 ? f[story_col] : "", story_kind_col >= 0 ? f[story_kind_col] : ""};
    if (story_col >= 0 && r.story.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: empty story for id \"%s\"", path, line_no, f[id_col]));
    }
    if (!truth.records_.emplace(f[id_col], std::move(r)).second) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: duplicate id \"%s\"", path, line_no, f[id_col]));
    }
  }
  return truth;
}

GroundTruth GroundTruth::FromRecords(std::vector<std::pair<std::string, TruthRecord>> records) {
  GroundTruth t;
  for (auto& [id, r] : records) {
    t.has_stories_ |= !r.story.empty();
    t.records_.emplace(std::move(id), std::move(r));
  }
  return t;
}

const TruthRecord* GroundTruth::Find(const std::string& id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

PairScores ScorePairs(const std::vector<uint32_t>& predicted, const std::vector<uint32_t>& truth) {
  Contingency c = Tabulate(predicted, truth);
  PairScores s;
  s.true_positives = static_cast<int64_t>(c.sum_cells);
  s.predicted_pairs = static_cast<int64_t>(c.sum_rows);
  s.true_pairs = static_cast<int64_t>(c.sum_cols);
  if (s.predicted_pairs > 0) s.precision = c.sum_cells / c.sum_rows;
  if (s.true_pairs > 0) s.recall = c.sum_cells / c.sum_cols;
  s.f1 = (s.precision + s.recall) > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
  return s;
}

double AdjustedRandIndex(const std::vector<uint32_t>& predicted, const std::vector<uint32_t>& truth) {
  const int64_t n = static_cast<int64_t>(predicted.size());
  if (n < 2) return 1.0;
  Contingency c = Tabulate(predicted, truth);
  const double expected = c.sum_rows * c.sum_cols / Choose2(n);
  const double max_index = (c.sum_rows + c.sum_cols) / 2.0;
  if (max_index == expected) return 1.0;
  return (c.sum_cells - expected) / (max_index - expected);
}

OracleScores CompareWithOracle(std::vector<std::pair<DocIndex, DocIndex>> lsh,
                               std::vector<std::pair<DocIndex, DocIndex>> oracle) {
  std::sort(lsh.begin(), lsh.end());
  lsh.erase(std::unique(lsh.begin(), lsh.end()), lsh.end());
  std::sort(oracle.begin(), oracle.end());
  oracle.erase(std::unique(oracle.begin(), oracle.end()), oracle.end());
  std::vector<std::pair<DocIndex, DocIndex>> both;
  std::set_intersection(lsh.begin(), lsh.end(), oracle.begin(), oracle.end(), std::back_inserter(both));
  OracleScores s;
  s.oracle_pairs = static_cast<int64_t>(oracle.size());
  s.lsh_pairs = static_cast<int64_t>(lsh.size());
  s.common = static_cast<int64_t>(both.size());
  if (s.oracle_pairs > 0) s.recall = static_cast<double>(s.common) / s.oracle_pairs;
  if (s.lsh_pairs > 0) s.precision = static_cast<double>(s.common) / s.lsh_pairs;
  return s;
}

namespace {

// Pair recall by kind from the labellings and each document's kind index (see eval.h).
std::vector<KindPairRecall> PairRecallByKind(const std::vector<uint32_t>& predicted,
                                             const std::vector<uint32_t>& actual,
                                             const std::vector<uint32_t>& kind_of,
                                             const std::vector<std::string>& kind_names) {
  const size_t num_kinds = kind_names.size();
  // Per group: its size and its documents of each kind, as a vector of num_kinds + 1.
  auto tally = [num_kinds](absl::flat_hash_map<uint64_t, std::vector<int64_t>>* table, uint64_t key,
                           uint32_t kind) {
    std::vector<int64_t>& counts = (*table)[key];
    if (counts.empty()) counts.assign(num_kinds + 1, 0);
    ++counts[num_kinds];
    ++counts[kind];
  };
  absl::flat_hash_map<uint64_t, std::vector<int64_t>> cells, rows, cols;
  for (size_t i = 0; i < predicted.size(); ++i) {
    tally(&cells, (static_cast<uint64_t>(predicted[i]) << 32) | actual[i], kind_of[i]);
    tally(&rows, predicted[i], kind_of[i]);
    tally(&cols, actual[i], kind_of[i]);
  }
  // Pairs in a group of `total` with at least one of the `of_kind`.
  auto involving = [](int64_t total, int64_t of_kind) {
    return static_cast<int64_t>(Choose2(total) - Choose2(total - of_kind));
  };
  std::vector<KindPairRecall> out(num_kinds);
  for (size_t k = 0; k < num_kinds; ++k) out[k].kind = kind_names[k];
  for (const auto& [key, c] : cells) {
    for (size_t k = 0; k < num_kinds; ++k) out[k].found_pairs += involving(c[num_kinds], c[k]);
  }
  for (const auto& [key, c] : rows) {
    for (size_t k = 0; k < num_kinds; ++k) out[k].predicted_pairs += involving(c[num_kinds], c[k]);
  }
  for (const auto& [key, c] : cols) {
    for (size_t k = 0; k < num_kinds; ++k) out[k].true_pairs += involving(c[num_kinds], c[k]);
  }
  std::sort(out.begin(), out.end(),
            [](const KindPairRecall& a, const KindPairRecall& b) { return a.kind < b.kind; });
  return out;
}

// Undoes TsvEscape (report.h): \t \n \r \\.
std::string TsvUnescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char c = s[++i];
      out.push_back(c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<ClusterResult> ReadClusterAssignment(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrFormat("%s: cannot open clusters file", path));
  std::string line;
  if (!std::getline(in, line)) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: empty clusters file", path));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> header = absl::StrSplit(line, '\t');
  int id_col = -1, cluster_col = -1;
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    if (header[i] == "id" && id_col < 0) id_col = i;
    if (header[i] == "cluster" && cluster_col < 0) cluster_col = i;
  }
  if (id_col < 0 || cluster_col < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:1: the header must name the columns \"id\" and \"cluster\"", path));
  }
  ClusterResult result;
  absl::flat_hash_map<std::string, uint32_t> cluster_of_label;
  absl::flat_hash_map<std::string, int64_t> seen;
  int64_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    if (f.size() != header.size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d: %d fields, the header has %d", path, line_no, f.size(), header.size()));
    }
    DocumentResult d;
    d.id = TsvUnescape(f[id_col]);
    if (!seen.emplace(d.id, line_no).second) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: duplicate id \"%s\"", path, line_no, d.id));
    }
    const auto [it, inserted] =
        cluster_of_label.try_emplace(std::string(f[cluster_col]), static_cast<uint32_t>(result.clusters.size()));
    if (inserted) result.clusters.emplace_back();
    d.cluster = it->second;
    result.clusters[d.cluster].push_back(static_cast<DocIndex>(result.documents.size()));
    result.documents.push_back(std::move(d));
  }
  result.stats.documents = static_cast<int64_t>(result.documents.size());
  result.stats.clusters = static_cast<int64_t>(result.clusters.size());
  return result;
}

absl::StatusOr<Evaluation> Evaluate(const ClusterResult& result, const GroundTruth& truth) {
  Evaluation e;
  const size_t n = result.documents.size();
  e.documents = static_cast<int64_t>(n);
  e.predicted_clusters = static_cast<int64_t>(result.clusters.size());
  std::vector<uint32_t> predicted(n), actual(n), kind_of(n);
  std::vector<std::string> kind_names;
  absl::flat_hash_map<std::string, uint32_t> kind_index;
  absl::flat_hash_map<std::string, uint32_t> group_of_source;
  absl::flat_hash_map<std::string, DocIndex> position;
  for (size_t i = 0; i < n; ++i) position.emplace(result.documents[i].id, static_cast<DocIndex>(i));
  std::map<std::string, KindRecall> kinds;
  absl::flat_hash_map<uint32_t, int64_t> originals_per_cluster;
  for (size_t i = 0; i < n; ++i) {
    const DocumentResult& d = result.documents[i];
    const TruthRecord* r = truth.Find(d.id);
    if (r == nullptr) {
      return absl::NotFoundError(absl::StrFormat("document \"%s\" is not in the truth file", d.id));
    }
    predicted[i] = d.cluster;
    auto [it, inserted] = group_of_source.try_emplace(r->source_id, static_cast<uint32_t>(group_of_source.size()));
    actual[i] = it->second;
    const std::string& kind = !r->kind.empty() ? r->kind : r->source_id == d.id ? "original" : "derived";
    const auto [kind_it, new_kind] = kind_index.try_emplace(kind, static_cast<uint32_t>(kind_names.size()));
    if (new_kind) kind_names.push_back(kind);
    kind_of[i] = kind_it->second;
    if (r->source_id == d.id) {
      ++e.originals;
      ++originals_per_cluster[d.cluster];
      continue;
    }
    auto src = position.find(r->source_id);
    if (src == position.end()) continue;  // Original not in this corpus.
    KindRecall& k = kinds[r->kind.empty() ? "derived" : r->kind];
    ++k.total;
    k.found += result.documents[src->second].cluster == d.cluster;
  }
  e.true_groups = static_cast<int64_t>(group_of_source.size());
  e.pairs = ScorePairs(predicted, actual);
  e.adjusted_rand_index = AdjustedRandIndex(predicted, actual);
  e.pair_recall_by_kind = PairRecallByKind(predicted, actual, kind_of, kind_names);
  for (auto& [name, k] : kinds) {
    k.kind = name;
    e.by_kind.push_back(k);
  }
  for (const auto& [c, count] : originals_per_cluster) e.merged_original_pairs += static_cast<int64_t>(Choose2(count));
  return e;
}

void WriteEvaluation(const Evaluation& e, bool json, std::ostream& out) {
  if (json) {
    out << absl::StrFormat(
        "{\"documents\": %d, \"true_groups\": %d, \"predicted_clusters\": %d, \"precision\": %.6g, "
        "\"recall\": %.6g, \"f1\": %.6g, \"adjusted_rand_index\": %.6g, \"true_pairs\": %d, "
        "\"predicted_pairs\": %d, \"true_positive_pairs\": %d, \"originals\": %d, \"merged_original_pairs\": %d, "
        "\"recall_by_kind\": {",
        e.documents, e.true_groups, e.predicted_clusters, e.pairs.precision, e.pairs.recall, e.pairs.f1,
        e.adjusted_rand_index, e.pairs.true_pairs, e.pairs.predicted_pairs, e.pairs.true_positives, e.originals,
        e.merged_original_pairs);
    for (size_t i = 0; i < e.by_kind.size(); ++i) {
      const KindRecall& k = e.by_kind[i];
      out << (i ? ", " : "") << JsonQuote(k.kind)
          << absl::StrFormat(": {\"found\": %d, \"total\": %d, \"recall\": %.6g}", k.found, k.total,
                             k.total ? static_cast<double>(k.found) / k.total : 1.0);
    }
    out << "}, \"pair_recall_by_kind\": {";
    for (size_t i = 0; i < e.pair_recall_by_kind.size(); ++i) {
      const KindPairRecall& k = e.pair_recall_by_kind[i];
      out << (i ? ", " : "") << JsonQuote(k.kind)
          << absl::StrFormat(": {\"found\": %d, \"total\": %d, \"recall\": %.6g, \"false_pairs\": %d}",
                             k.found_pairs, k.true_pairs, k.recall(), k.false_pairs());
    }
    out << "}";
    if (e.oracle) {
      out << absl::StrFormat(
          ", \"oracle\": {\"oracle_pairs\": %d, \"lsh_pairs\": %d, \"common\": %d, \"lsh_recall\": %.6g, "
          "\"lsh_precision\": %.6g}",
          e.oracle->oracle_pairs, e.oracle->lsh_pairs, e.oracle->common, e.oracle->recall, e.oracle->precision);
    }
    out << "}\n";
    return;
  }
  out << absl::StrFormat("documents            %d (%d true groups, %d predicted clusters)\n", e.documents,
                         e.true_groups, e.predicted_clusters);
  out << absl::StrFormat("pairwise precision   %.4f  (%d of %d predicted pairs are true)\n", e.pairs.precision,
                         e.pairs.true_positives, e.pairs.predicted_pairs);
  out << absl::StrFormat("pairwise recall      %.4f  (%d of %d true pairs found)\n", e.pairs.recall,
                         e.pairs.true_positives, e.pairs.true_pairs);
  out << absl::StrFormat("pairwise F1          %.4f\n", e.pairs.f1);
  out << absl::StrFormat("adjusted Rand index  %.4f\n", e.adjusted_rand_index);
  out << absl::StrFormat("merged originals     %d pairs (of %d originals: hard negatives kept apart = %s)\n",
                         e.merged_original_pairs, e.originals, e.merged_original_pairs == 0 ? "yes" : "no");
  if (!e.by_kind.empty()) {
    out << "recall by kind:\n";
    for (const KindRecall& k : e.by_kind) {
      out << absl::StrFormat("  %-12s %.4f  (%d of %d)\n", k.kind,
                             k.total ? static_cast<double>(k.found) / k.total : 1.0, k.found, k.total);
    }
  }
  if (!e.pair_recall_by_kind.empty()) {
    out << "pair recall by kind (true pairs with a document of the kind; false predicted pairs with one):\n";
    for (const KindPairRecall& k : e.pair_recall_by_kind) {
      out << absl::StrFormat("  %-12s %.4f  (%d of %d; %d false)\n", k.kind, k.recall(), k.found_pairs,
                             k.true_pairs, k.false_pairs());
    }
  }
  if (e.oracle) {
    out << absl::StrFormat("LSH vs exact oracle  recall %.4f, precision %.4f  (%d oracle pairs, %d LSH pairs, %d both)\n",
                           e.oracle->recall, e.oracle->precision, e.oracle->oracle_pairs, e.oracle->lsh_pairs,
                           e.oracle->common);
  }
}

}  // namespace dedup
