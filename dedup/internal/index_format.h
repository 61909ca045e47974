// The ingestion index's file format: what IngestIndex (ingest_index.h) reads and
// writes, apart from its logic. The format itself -- tables, columns, checksums, meta
// keys -- is described at the top of ingest_index.h; this file is its one definition:
// the schema, the checksums of every row kind, the parameters <-> meta mapping and its
// validation, the checks a file passes before and after SQLite opens it, and the meta
// counters and events a commit writes.
//
// Internal: used by ingest_index.cc only (and by its tests through the public API).
#ifndef DEDUP_INTERNAL_INDEX_FORMAT_H_
#define DEDUP_INTERNAL_INDEX_FORMAT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dedup/chrome_stream.h"
#include "dedup/ingest_index.h"
#include "dedup/internal/sqlite_store.h"

namespace dedup::internal {

std::string Hex64(uint64_t v);

int64_t SystemNow();

// Shortest text that reads back as exactly `v`.
std::string DoubleText(double v);

bool ParseInt64(std::string_view s, int64_t* out);

bool ParseUint64Hex(std::string_view s, uint64_t* out);

bool ParseDouble(std::string_view s, double* out);

void PutLe64(std::string* buf, uint64_t v);

void AppendSignatureLe(const uint32_t* sig, int k, std::string* out);

void ReadSignatureLe(std::string_view blob, uint32_t* out);

// See the file format in ingest_index.h.
int64_t DocumentChecksum(int64_t seq, std::string_view id, uint32_t num_shingles, int64_t published,
                         int64_t inserted, const uint32_t* sig, int k, int64_t text_hash, std::string* scratch);

int64_t TextHash(std::string_view text);

// A row of the lines table: seq, source key (8 bytes LE each) and the keys' bytes.
int64_t LinesChecksum(int64_t seq, uint64_t source, std::string_view keys, std::string* scratch);

int64_t EventChecksum(int64_t seq, int64_t time, std::string_view kind, int64_t old_cluster,
                      int64_t new_cluster, std::string_view document);

// XXH3 of "key=value\n" over every key but "checksum", in byte order (std::map).
uint64_t MetaChecksum(const std::map<std::string, std::string>& meta);

std::string_view EventKindName(ClusterEvent::Kind k);

absl::StatusOr<LshParams> ResolveLsh(const IndexParams& p);

absl::Status ValidateParams(const IndexParams& p);

// The stored form of the parameters (without counters and checksum).
std::map<std::string, std::string> ParamsMeta(const IndexParams& p, const LshParams& lsh);

// "threshold: index has 0.7, requested 0.8; ..." for every differing parameter.
std::string DiffParams(const IndexParams& stored, const LshParams& stored_lsh, const IndexParams& asked,
                       const LshParams& asked_lsh);

absl::Status CheckFileHeader(const std::string& path);

// Opens the index at `path` for reading. Where this process may write the file and its
// folder, the connection is read-write with PRAGMA query_only (no statement can write),
// so that the last connection to close removes the -wal and -shm files, as any SQLite
// client does; elsewhere it is read-only. In WAL mode a reader needs the -shm
// file and creates it when missing, which fails in a folder this process cannot write (a
// read-only mount, a folder of another user). There, when neither -wal nor -shm exists
// -- no writer has the index open, and every commit is in the main file -- the file is
// opened immutable, which needs neither. (A writer that starts meanwhile cannot start:
// it would have to create them in the same folder, unless it has rights this process
// lacks; then it is expected not to run while the folder is shared read-only.)
// *immutable tells which way it was opened: an immutable connection reports journal
// mode "delete"; the file header's read/write versions (2: WAL) tell the truth.
absl::StatusOr<std::unique_ptr<SqliteDb>> OpenForReading(const std::string& path, bool* immutable);

// The SQL that creates an index (ingest_index.h describes each table).
extern const char kIndexSchema[];

// type, name, table and SQL of every schema object, in name order.
absl::StatusOr<std::vector<std::string>> SchemaRows(SqliteDb* db);

// The schema must be exactly the one kIndexSchema creates (compared with a fresh in-memory
// database): a damaged schema would otherwise surface as baffling SQL errors.
absl::Status CheckIndexSchema(SqliteDb* db);

// The stored parameters, from meta. DataLoss for a malformed value.
absl::Status ParseParamsMeta(const std::string& path, const std::map<std::string, std::string>& meta,
                             IndexParams* p, LshParams* lsh);

// Reads meta and checks its checksum.
absl::StatusOr<std::map<std::string, std::string>> ReadMeta(SqliteDb* db);

// The format version, application id and sketch checks common to Open and Verify.
absl::Status CheckMetaCompatible(SqliteDb* db, const std::map<std::string, std::string>& meta);

// Rewrites the counters and the checksum of meta inside the current transaction.
absl::Status WriteCounters(SqliteDb* db, int64_t next_seq, int64_t next_cluster, int64_t candidate_pairs,
                           int64_t verified_pairs, const ChromeStream& chrome);

absl::Status InsertEvents(SqliteDb* db, const std::vector<ClusterEvent>& events);

// A cluster as a write leaves it: its row (upserted; `created` only set for a new row)
// and the seqs of the documents whose `cluster` column moves to it.
struct ClusterRow {
  int64_t id;
  int64_t canonical_seq;
  int64_t size;
  int64_t created;
  std::vector<int64_t> member_seqs;
};
// Deletes the clusters `deleted`, moves each row's member_seqs to it and upserts the rows,
// inside the caller's transaction.
absl::Status WriteClusterRows(SqliteDb* db, const std::vector<int64_t>& deleted, const std::vector<ClusterRow>& rows);

// Starts BEGIN IMMEDIATE and checks that nobody else wrote since Load().
absl::StatusOr<SqliteTransaction> BeginWrite(SqliteDb* db, int64_t data_version);

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_INDEX_FORMAT_H_
