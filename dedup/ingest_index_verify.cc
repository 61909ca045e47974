// IngestIndex, part: `dedup index verify` (the class: ingest_index.h).
#include "dedup/ingest_index.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "dedup/internal/batch_components.h"
#include "dedup/internal/index_format.h"
#include "dedup/internal/sqlite_store.h"
#include "dedup/status_macros.h"

namespace dedup {

// The file format (internal/index_format.h) and its SQLite store.
using namespace internal;  // NOLINT: the ingest_index*.cc files are the format's users.

// -----------------------------------------------------------------------------------
// Verification, on a connection of its own.

absl::StatusOr<VerifyReport> IngestIndex::VerifyFile(const std::string& path, const VerifyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  VerifyReport report;
  auto problem = [&](std::string p) {
    if (report.problems.size() < options.max_problems) report.problems.push_back(std::move(p));
  };
  absl::Status header = CheckFileHeader(path);
  if (absl::IsNotFound(header) || absl::IsPermissionDenied(header) || absl::IsUnavailable(header)) return header;
  if (!header.ok()) {
    problem(std::string(header.message()));
    return report;
  }
  bool immutable = false;
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, OpenForReading(path, &immutable));
  DEDUP_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 10000", "configuring the connection"));
  DEDUP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db.get(), false));
  // The structure of the file.
  {
    absl::StatusOr<SqliteStatement> st =
        db->Prepare(options.quick ? "PRAGMA quick_check" : "PRAGMA integrity_check");
    if (!st.ok()) {
      problem(std::string(st.status().message()));
      return report;
    }
    while (true) {
      absl::StatusOr<bool> row = st->Step();
      if (!row.ok()) {
        problem(std::string(row.status().message()));
        return report;
      }
      if (!*row) break;
      const std::string_view line = st->ColumnText(0);
      if (line != "ok") problem(absl::StrFormat("SQLite integrity check: %s", std::string(line)));
    }
    if (!report.problems.empty()) return report;
  }
  absl::Status schema = CheckIndexSchema(db.get());
  if (!schema.ok()) {
    problem(std::string(schema.message()));
    return report;
  }
  absl::StatusOr<std::map<std::string, std::string>> meta = ReadMeta(db.get());
  if (!meta.ok()) {
    problem(std::string(meta.status().message()));
    return report;
  }
  absl::Status compatible = CheckMetaCompatible(db.get(), *meta);
  IndexParams p;
  LshParams lsh;
  if (compatible.ok()) compatible = ParseParamsMeta(path, *meta, &p, &lsh);
  if (!compatible.ok()) {
    problem(std::string(compatible.message()));
    return report;
  }
  DEDUP_ASSIGN_OR_RETURN(int64_t user_version, db->QueryInt("PRAGMA user_version"));
  if (user_version != kIngestFormatVersion) problem(absl::StrFormat("user_version is %d", user_version));
  if ((*meta)["sketch"] != DescribeSketchOptions(p.sketch)) {
    problem(absl::StrFormat("sketch \"%s\" is not what this dedup computes: \"%s\"", (*meta)["sketch"],
                            DescribeSketchOptions(p.sketch)));
  }
  if ((*meta)["fingerprint"] != Hex64(SketchFingerprint(p.sketch))) problem("fingerprint does not match the sketch");
  int64_t next_seq = 0, next_cluster = 0;
  if (!ParseInt64((*meta)["next_seq"], &next_seq) || !ParseInt64((*meta)["next_cluster"], &next_cluster)) {
    problem("meta counters next_seq / next_cluster are malformed");
    return report;
  }

  // Documents.
  const int k = p.sketch.num_perm;
  struct Doc {
    int64_t seq, cluster, published;
    uint32_t n;
    std::string id;
  };
  std::vector<Doc> docs;
  std::vector<uint32_t> sigs;
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st,
                           db->Prepare("SELECT seq, id, cluster, num_shingles, published, inserted, checksum, "
                                       "signature, typeof(signature), text_hash FROM documents ORDER BY seq"));
    std::string scratch;
    std::vector<uint32_t> sig(k);
    while (true) {
      absl::StatusOr<bool> row = st.Step();
      if (!row.ok()) {
        problem(std::string(row.status().message()));
        return report;
      }
      if (!*row) break;
      Doc d{st.ColumnInt(0), st.ColumnInt(2), st.ColumnIsNull(4) ? kNoTime : st.ColumnInt(4), 0,
            std::string(st.ColumnText(1))};
      const int64_t n = st.ColumnInt(3), inserted = st.ColumnInt(5), checksum = st.ColumnInt(6);
      const std::string_view blob = st.ColumnBlob(7);
      if (st.ColumnText(8) != "blob" || blob.size() != 4 * static_cast<size_t>(k)) {
        problem(absl::StrFormat("document \"%s\": signature is %d bytes (%s), expected a %d-byte blob", d.id,
                                blob.size(), std::string(st.ColumnText(8)), 4 * k));
        continue;
      }
      if (n < 0 || n > UINT32_MAX) {
        problem(absl::StrFormat("document \"%s\": num_shingles %d", d.id, n));
        continue;
      }
      d.n = static_cast<uint32_t>(n);
      ReadSignatureLe(blob, sig.data());
      if (DocumentChecksum(d.seq, d.id, d.n, d.published, inserted, sig.data(), k, st.ColumnInt(9), &scratch) !=
          checksum) {
        problem(absl::StrFormat("document \"%s\" (seq %d) fails its checksum", d.id, d.seq));
      }
      const bool all_empty = std::all_of(sig.begin(), sig.end(), [](uint32_t v) { return v == kEmptySlot; });
      if ((d.n == 0) != all_empty) {
        problem(absl::StrFormat("document \"%s\": %d shingles but %s signature", d.id, d.n,
                                all_empty ? "an empty" : "a non-empty"));
      }
      if (d.id.empty()) problem(absl::StrFormat("document seq %d has an empty id", d.seq));
      if (d.seq < 1 || d.seq >= next_seq) problem(absl::StrFormat("document \"%s\": seq %d >= next_seq", d.id, d.seq));
      if (d.cluster < 1 || d.cluster >= next_cluster) {
        problem(absl::StrFormat("document \"%s\": cluster %d outside [1, %d)", d.id, d.cluster, next_cluster));
      }
      docs.push_back(std::move(d));
      sigs.insert(sigs.end(), sig.begin(), sig.end());
    }
  }
  report.documents = static_cast<int64_t>(docs.size());

  // Clusters against documents.
  absl::flat_hash_map<int64_t, std::vector<uint32_t>> members;  // Cluster -> positions in docs.
  absl::flat_hash_map<int64_t, uint32_t> position_of_seq;
  for (uint32_t i = 0; i < docs.size(); ++i) {
    members[docs[i].cluster].push_back(i);
    position_of_seq.emplace(docs[i].seq, i);
  }
  auto key = [&](uint32_t i) { return CanonicalKey{docs[i].published, docs[i].seq, docs[i].n}; };
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("SELECT id, canonical, size FROM clusters ORDER BY id"));
    absl::flat_hash_set<int64_t> with_rows;
    while (true) {
      DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ++report.clusters;
      const int64_t id = st.ColumnInt(0), canonical = st.ColumnInt(1), size = st.ColumnInt(2);
      with_rows.insert(id);
      auto it = members.find(id);
      if (it == members.end()) {
        problem(absl::StrFormat("cluster %d has a row but no documents", id));
        continue;
      }
      if (size != static_cast<int64_t>(it->second.size())) {
        problem(absl::StrFormat("cluster %d: size %d, but %d documents", id, size, it->second.size()));
      }
      uint32_t best = it->second[0];
      for (uint32_t m : it->second) {
        if (CanonicalBefore(key(m), key(best), p.canonical)) best = m;
      }
      if (docs[best].seq != canonical) {
        problem(absl::StrFormat("cluster %d: canonical is seq %d, the %s rule gives \"%s\" (seq %d)", id, canonical,
                                CanonicalRuleName(p.canonical), docs[best].id, docs[best].seq));
      }
    }
    for (const auto& [id, m] : members) {
      if (!with_rows.contains(id)) problem(absl::StrFormat("cluster %d has documents but no row", id));
    }
  }

  // Events.
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("SELECT seq, time, kind, old_cluster, new_cluster, "
                                                           "document, checksum FROM merges ORDER BY seq"));
    while (true) {
      DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ++report.events;
      const int64_t seq = st.ColumnInt(0), time = st.ColumnInt(1), old_c = st.ColumnInt(3), new_c = st.ColumnInt(4);
      const std::string kind(st.ColumnText(2)), document(st.ColumnText(5));
      if (EventChecksum(seq, time, kind, old_c, new_c, document) != st.ColumnInt(6)) {
        problem(absl::StrFormat("event %d fails its checksum", seq));
      }
      if (kind != "merge" && kind != "split") problem(absl::StrFormat("event %d has kind \"%s\"", seq, kind));
      if (kind == "merge" && !(new_c < old_c)) {
        problem(absl::StrFormat("merge event %d: cluster %d merged into the newer %d", seq, old_c, new_c));
      }
      if (kind == "split" && !(old_c < new_c)) {
        problem(absl::StrFormat("split event %d: new cluster %d is older than %d", seq, new_c, old_c));
      }
      if (old_c < 1 || old_c >= next_cluster || new_c < 1 || new_c >= next_cluster) {
        problem(absl::StrFormat("event %d names clusters outside [1, %d)", seq, next_cluster));
      }
    }
  }
  DEDUP_RETURN_IF_ERROR(txn.Commit());

  // The clusters a batch run computes from the stored signatures must be the stored ones.
  if (!options.quick && report.problems.empty()) {
    IndexParams banded = p;
    banded.lsh = lsh;
    const uint64_t fp = SketchFingerprint(p.sketch);
    // Copies (internal/copy_classes.h): each joins the first document with its sketch.
    std::vector<int64_t> copy_class(docs.size());
    {
      absl::flat_hash_map<uint64_t, uint32_t> first_with_key;
      for (uint32_t i = 0; i < docs.size(); ++i) {
        copy_class[i] = internal::FirstCopyOf(
            i, &first_with_key, k, p.match, [&](uint32_t j) { return &sigs[size_t{j} * k]; },
            [&](uint32_t j) { return docs[j].n; });
      }
    }
    DEDUP_ASSIGN_OR_RETURN(const std::vector<uint32_t> root_of,
                           BatchComponents(
                               banded, /*threads=*/0, docs.size(), [&](uint32_t i) { return copy_class[i]; },
                               [&](uint32_t i) {
                                 SketchedDocument sd;
                                 sd.signature = Signature(
                                     std::vector<uint32_t>(&sigs[size_t{i} * k], &sigs[size_t{i} * k] + k), fp);
                                 sd.num_shingles = docs[i].n;
                                 return sd;
                               }));
    auto find = [&](uint32_t x) { return root_of[x]; };
    // Same partition: each stored cluster is one component, and each component one cluster.
    absl::flat_hash_map<uint32_t, int64_t> cluster_of_root;
    absl::flat_hash_map<int64_t, uint32_t> root_of_cluster;
    for (uint32_t i = 0; i < docs.size(); ++i) {
      const uint32_t root = find(i);
      auto [a, a_new] = cluster_of_root.emplace(root, docs[i].cluster);
      auto [b, b_new] = root_of_cluster.emplace(docs[i].cluster, root);
      if (a->second != docs[i].cluster) {
        problem(absl::StrFormat("documents \"%s\" and \"%s\" match (through verified pairs) but are stored in "
                                "clusters %d and %d",
                                docs[root].id, docs[i].id, a->second, docs[i].cluster));
      } else if (b->second != root) {
        problem(absl::StrFormat("cluster %d holds \"%s\" and \"%s\", which re-clustering keeps apart",
                                docs[i].cluster, docs[b->second].id, docs[i].id));
      }
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace dedup
