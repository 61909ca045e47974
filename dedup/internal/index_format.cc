#include "dedup/internal/index_format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_format.h"
#include "dedup/status_macros.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup::internal {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------
// Small helpers: numbers as text, checksums, signatures as little-endian blobs.

std::string Hex64(uint64_t v) { return absl::StrFormat("%016x", v); }

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Shortest text that reads back as exactly `v`.
std::string DoubleText(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : absl::StrFormat("%.17g", v);
}

bool ParseInt64(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}
bool ParseUint64Hex(std::string_view s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return ec == std::errc() && p == s.data() + s.size() && s.size() == 16;
}
bool ParseDouble(std::string_view s, double* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

void PutLe64(std::string* buf, uint64_t v) {
  for (int i = 0; i < 8; ++i) buf->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void AppendSignatureLe(const uint32_t* sig, int k, std::string* out) {
  if constexpr (std::endian::native == std::endian::little) {
    out->append(reinterpret_cast<const char*>(sig), sizeof(uint32_t) * k);
  } else {
    for (int i = 0; i < k; ++i) {
      for (int b = 0; b < 4; ++b) out->push_back(static_cast<char>((sig[i] >> (8 * b)) & 0xff));
    }
  }
}

void ReadSignatureLe(std::string_view blob, uint32_t* out) {
  const size_t k = blob.size() / 4;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, blob.data(), blob.size());
  } else {
    for (size_t i = 0; i < k; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(blob.data() + 4 * i);
      out[i] = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    }
  }
}

// See the file format in ingest_index.h.
int64_t DocumentChecksum(int64_t seq, std::string_view id, uint32_t num_shingles, int64_t published,
                         int64_t inserted, const uint32_t* sig, int k, int64_t text_hash, std::string* scratch) {
  scratch->clear();
  PutLe64(scratch, static_cast<uint64_t>(seq));
  PutLe64(scratch, num_shingles);
  PutLe64(scratch, static_cast<uint64_t>(published));
  PutLe64(scratch, static_cast<uint64_t>(inserted));
  PutLe64(scratch, id.size());
  scratch->append(id);
  AppendSignatureLe(sig, k, scratch);
  PutLe64(scratch, static_cast<uint64_t>(text_hash));
  return static_cast<int64_t>(XXH3_64bits(scratch->data(), scratch->size()));
}

int64_t TextHash(std::string_view text) { return static_cast<int64_t>(XXH3_64bits(text.data(), text.size())); }

// A row of the lines table: seq, source key (8 bytes LE each) and the keys' bytes.
int64_t LinesChecksum(int64_t seq, uint64_t source, std::string_view keys, std::string* scratch) {
  scratch->clear();
  PutLe64(scratch, static_cast<uint64_t>(seq));
  PutLe64(scratch, source);
  scratch->append(keys);
  return static_cast<int64_t>(XXH3_64bits(scratch->data(), scratch->size()));
}

int64_t EventChecksum(int64_t seq, int64_t time, std::string_view kind, int64_t old_cluster,
                      int64_t new_cluster, std::string_view document) {
  std::string buf;
  PutLe64(&buf, static_cast<uint64_t>(seq));
  PutLe64(&buf, static_cast<uint64_t>(time));
  PutLe64(&buf, static_cast<uint64_t>(old_cluster));
  PutLe64(&buf, static_cast<uint64_t>(new_cluster));
  PutLe64(&buf, kind.size());
  buf.append(kind);
  PutLe64(&buf, document.size());
  buf.append(document);
  return static_cast<int64_t>(XXH3_64bits(buf.data(), buf.size()));
}

// XXH3 of "key=value\n" over every key but "checksum", in byte order (std::map).
uint64_t MetaChecksum(const std::map<std::string, std::string>& meta) {
  std::string buf;
  for (const auto& [k, v] : meta) {
    if (k == "checksum") continue;
    buf += k;
    buf += '=';
    buf += v;
    buf += '\n';
  }
  return XXH3_64bits(buf.data(), buf.size());
}

std::string_view EventKindName(ClusterEvent::Kind k) {
  return k == ClusterEvent::Kind::kMerge ? "merge" : "split";
}

absl::StatusOr<LshParams> ResolveLsh(const IndexParams& p) {
  if (p.lsh.has_value()) {
    DEDUP_RETURN_IF_ERROR(ValidateLshParams(*p.lsh, p.sketch.num_perm));
    return *p.lsh;
  }
  // Whatever banding a batch run chooses for these options: asking Clusterer itself
  // keeps ingestion and batch runs seeing the same candidates.
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<Clusterer> c, Clusterer::Create(ClusterOptionsFor(p), p.sketch.num_perm));
  return c->lsh_params();
}

absl::Status ValidateParams(const IndexParams& p) {
  const MatchOptions& m = p.match;
  if (!(m.threshold >= 0.0 && m.threshold <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat("threshold %g is out of range [0, 1]", m.threshold));
  }
  if (!(m.containment_threshold >= 0.0 && m.containment_threshold <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("containment threshold %g is out of range [0, 1]", m.containment_threshold));
  }
  if (!(m.min_containment_ratio > 0.0 && m.min_containment_ratio <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "minimum containment size ratio %g is out of range (0, 1]", m.min_containment_ratio));
  }
  DEDUP_RETURN_IF_ERROR(Sketcher::Create(p.sketch).status());
  if (p.chrome.enabled) DEDUP_RETURN_IF_ERROR(ValidateBoilerplateOptions(p.chrome));
  return ResolveLsh(p).status();
}

// The stored form of the parameters (without counters and checksum).
std::map<std::string, std::string> ParamsMeta(const IndexParams& p, const LshParams& lsh) {
  std::map<std::string, std::string> m;
  m["format_version"] = std::to_string(kIngestFormatVersion);
  m["sketch"] = DescribeSketchOptions(p.sketch);
  m["fingerprint"] = Hex64(SketchFingerprint(p.sketch));
  m["shingle"] = ShingleSpec(p.sketch.shingle);
  m["num_perm"] = std::to_string(p.sketch.num_perm);
  m["seed"] = std::to_string(p.sketch.seed);
  m["minhash"] = MinHashEngineFlag(p.sketch.engine);
  m["threshold"] = DoubleText(p.match.threshold);
  m["containment_threshold"] = DoubleText(p.match.containment_threshold);
  m["min_containment_shingles"] = std::to_string(p.match.min_containment_shingles);
  m["min_containment_ratio"] = DoubleText(p.match.min_containment_ratio);
  m["containment_z"] = DoubleText(p.match.containment_z);
  m["canonical"] = std::string(CanonicalRuleName(p.canonical));
  m["lsh_bands"] = std::to_string(lsh.bands);
  m["lsh_rows"] = std::to_string(lsh.rows);
  m["chrome"] = DescribeChromeRule(p.chrome);
  m["chrome_min_docs"] = std::to_string(p.chrome.min_docs);
  m["chrome_min_contexts"] = std::to_string(p.chrome.min_contexts);
  m["chrome_min_source_docs"] = std::to_string(p.chrome.min_source_docs);
  m["chrome_min_source_contexts"] = std::to_string(p.chrome.min_source_contexts);
  m["chrome_context_containment"] = DoubleText(p.chrome.context_containment);
  m["chrome_block_adjacency"] = DoubleText(p.chrome.block_adjacency);
  m["chrome_block_df_ratio"] = DoubleText(p.chrome.block_df_ratio);
  return m;
}

// "threshold: index has 0.7, requested 0.8; ..." for every differing parameter.
std::string DiffParams(const IndexParams& stored, const LshParams& stored_lsh, const IndexParams& asked,
                       const LshParams& asked_lsh) {
  std::map<std::string, std::string> a = ParamsMeta(stored, stored_lsh), b = ParamsMeta(asked, asked_lsh);
  std::string out;
  // The individual options first, then the derived description (normalization version).
  static const char* const kOrder[] = {"shingle",   "num_perm",  "seed", "minhash",
                                       "threshold", "containment_threshold",
                                       "min_containment_shingles", "min_containment_ratio", "containment_z",
                                       "canonical", "lsh_bands", "lsh_rows", "chrome_min_docs",
                                       "chrome_min_contexts", "chrome_min_source_docs", "chrome_min_source_contexts",
                                       "chrome_context_containment", "chrome_block_adjacency",
                                       "chrome_block_df_ratio", "chrome", "sketch"};
  for (const char* key : kOrder) {
    if (a[key] == b[key]) continue;
    if (!out.empty()) out += "; ";
    out += absl::StrFormat("%s: index has %s, requested %s", key, a[key], b[key]);
  }
  return out;
}

// ---------------------------------------------------------------------------------
// The file before SQLite sees it: exists, SQLite, ours, not truncated.

absl::Status CheckFileHeader(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrFormat("%s: no such index (create it with `dedup index create`)", path));
    }
    return absl::PermissionDeniedError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) return absl::InvalidArgumentError(absl::StrFormat("%s: is a directory, not a dedup index", path));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  unsigned char h[100];
  const ssize_t n = ::pread(fd, h, sizeof(h), 0);
  struct stat after;
  const int stat_rc = ::fstat(fd, &after);
  ::close(fd);
  if (n < 0 || stat_rc != 0) return absl::UnavailableError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  if (n == 0) return absl::InvalidArgumentError(absl::StrFormat("%s: empty file, not a dedup index", path));
  static const char kMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
  if (n < 16 || std::memcmp(h, kMagic, 16) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: not a dedup index (not an SQLite database)", path));
  }
  if (n < 100) {
    return absl::DataLossError(absl::StrFormat("%s: truncated index: %d bytes, shorter than the header", path, n));
  }
  auto be32 = [&](int off) {
    return (uint32_t{h[off]} << 24) | (uint32_t{h[off + 1]} << 16) | (uint32_t{h[off + 2]} << 8) | h[off + 3];
  };
  const uint32_t app_id = be32(68);
  if (app_id != kIngestApplicationId) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: an SQLite database but not a dedup index (application_id 0x%08x, expected 0x%08x)", path, app_id,
        kIngestApplicationId));
  }
  // Truncation: without a write-ahead log, the file alone holds the database and must
  // be a whole number of pages, at least as many as its header counts. (With a non-empty
  // WAL, e.g. after a crash, SQLite's recovery decides.)
  struct stat wal;
  const bool wal_empty = ::stat((path + "-wal").c_str(), &wal) != 0 || wal.st_size == 0;
  if (wal_empty) {
    const uint32_t raw_page = (uint32_t{h[16]} << 8) | h[17];
    const int64_t page_size = raw_page == 1 ? 65536 : raw_page;
    const int64_t size = after.st_size;
    if (page_size < 512 || (page_size & (page_size - 1)) != 0) {
      return absl::DataLossError(absl::StrFormat("%s: corrupt index header (page size %d)", path, page_size));
    }
    const int64_t header_pages = be32(28);
    const bool header_valid = be32(24) == be32(92) && header_pages > 0;
    if (size % page_size != 0 || (header_valid && size < header_pages * page_size)) {
      return absl::DataLossError(absl::StrFormat(
          "%s: truncated index: %d bytes, the header counts %d pages of %d bytes", path, size,
          header_valid ? header_pages : -1, page_size));
    }
  }
  return absl::OkStatus();
}

// Opens the index at `path` without write access. In WAL mode a reader needs the -shm
// file and creates it when missing, which fails in a folder this process cannot write (a
// read-only mount, a folder of another user). There, when neither -wal nor -shm exists
// -- no writer has the index open, and every commit is in the main file -- the file is
// opened immutable, which needs neither. (A writer that starts meanwhile cannot start:
// it would have to create them in the same folder, unless it has rights this process
// lacks; then it is expected not to run while the folder is shared read-only.)
// *immutable tells which way it was opened: an immutable connection reports journal
// mode "delete"; the file header's read/write versions (2: WAL) tell the truth.
absl::StatusOr<std::unique_ptr<SqliteDb>> OpenForReading(const std::string& path, bool* immutable) {
  const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_EXRESCODE;
  const fs::path dir = fs::path(path).parent_path();
  struct stat st;
  const bool folder_writable = ::access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
  *immutable = !folder_writable && ::stat((path + "-wal").c_str(), &st) != 0 &&
               ::stat((path + "-shm").c_str(), &st) != 0;
  if (!*immutable && folder_writable && ::access(path.c_str(), W_OK) == 0) {
    // Read-write for SQLite, but query_only: no statement can write. A read-only
    // connection cannot remove the -wal and -shm files it had to create, so every reader
    // left them behind; this one, when it is the last to close, checkpoints and removes
    // them as any SQLite client does.
    DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE));
    DEDUP_RETURN_IF_ERROR(db->Exec("PRAGMA query_only = ON", path));
    return db;
  }
  if (!*immutable) return SqliteDb::Open(path, flags);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  unsigned char versions[2] = {0, 0};
  const bool read = fd >= 0 && ::pread(fd, versions, 2, 18) == 2;
  if (fd >= 0) ::close(fd);
  if (!read) return absl::UnavailableError(absl::StrFormat("%s: cannot read the header", path));
  if (versions[0] != 2 || versions[1] != 2) {
    return absl::DataLossError(absl::StrFormat("%s: journal mode is not wal (header versions %d/%d)", path,
                                               versions[0], versions[1]));
  }
  return SqliteDb::Open(path, flags | SQLITE_OPEN_URI, SqliteFileUri(path, "immutable=1"));
}

const char kIndexSchema[] = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE documents(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  cluster INTEGER NOT NULL,
  num_shingles INTEGER NOT NULL,
  published INTEGER,
  inserted INTEGER NOT NULL,
  checksum INTEGER NOT NULL,
  signature BLOB NOT NULL,
  text_hash INTEGER NOT NULL);
CREATE TABLE texts(
  seq INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  text TEXT NOT NULL);
CREATE TABLE lines(
  seq INTEGER PRIMARY KEY,
  source INTEGER NOT NULL,
  keys BLOB NOT NULL,
  checksum INTEGER NOT NULL);
CREATE TABLE clusters(
  id INTEGER PRIMARY KEY,
  canonical INTEGER NOT NULL,
  size INTEGER NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE merges(
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  old_cluster INTEGER NOT NULL,
  new_cluster INTEGER NOT NULL,
  document TEXT NOT NULL,
  checksum INTEGER NOT NULL);
)sql";

// type, name, table and SQL of every schema object, in name order.
absl::StatusOr<std::vector<std::string>> SchemaRows(SqliteDb* db) {
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement st,
                         db->Prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name"));
  std::vector<std::string> rows;
  while (true) {
    DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    rows.push_back(absl::StrFormat("%s %s on %s: %s", std::string(st.ColumnText(0)), std::string(st.ColumnText(1)),
                                   std::string(st.ColumnText(2)), std::string(st.ColumnText(3))));
  }
  return rows;
}

// The schema must be exactly the one kIndexSchema creates (compared with a fresh in-memory
// database): a damaged schema would otherwise surface as baffling SQL errors.
absl::Status CheckIndexSchema(SqliteDb* db) {
  static const absl::StatusOr<std::vector<std::string>>* const kExpected = [] {
    auto* expected = new absl::StatusOr<std::vector<std::string>>(absl::InternalError("no schema"));
    absl::StatusOr<std::unique_ptr<SqliteDb>> mem = SqliteDb::Open(":memory:", SQLITE_OPEN_READWRITE);
    if (mem.ok() && (*mem)->Exec(kIndexSchema, "creating the schema").ok()) *expected = SchemaRows(mem->get());
    return expected;
  }();
  DEDUP_RETURN_IF_ERROR(kExpected->status());
  absl::StatusOr<std::vector<std::string>> rows = SchemaRows(db);
  if (!rows.ok()) {
    if (absl::IsInternal(rows.status())) {
      return absl::DataLossError(absl::StrFormat("%s: corrupt index schema: %s", db->path(), rows.status().message()));
    }
    return rows.status();
  }
  if (*rows != **kExpected) {
    for (size_t i = 0; i < std::max(rows->size(), (*kExpected)->size()); ++i) {
      const std::string got = i < rows->size() ? (*rows)[i] : "nothing";
      const std::string want = i < (*kExpected)->size() ? (**kExpected)[i] : "nothing";
      if (got != want) {
        return absl::DataLossError(absl::StrFormat("%s: not the schema of a dedup index: found \"%s\", expected \"%s\"",
                                                   db->path(), got, want));
      }
    }
  }
  return absl::OkStatus();
}

// The stored parameters, from meta. DataLoss for a malformed value.
absl::Status ParseParamsMeta(const std::string& path, const std::map<std::string, std::string>& meta,
                             IndexParams* p, LshParams* lsh) {
  auto get = [&](const char* key) -> absl::StatusOr<std::string> {
    auto it = meta.find(key);
    if (it == meta.end()) return absl::DataLossError(absl::StrFormat("%s: index metadata lacks \"%s\"", path, key));
    return it->second;
  };
  auto bad = [&](const char* key, const std::string& v) {
    return absl::DataLossError(absl::StrFormat("%s: index metadata \"%s\" has a bad value \"%s\"", path, key, v));
  };
  std::string v;
  int64_t i = 0;
  DEDUP_ASSIGN_OR_RETURN(v, get("shingle"));
  absl::StatusOr<ShingleOptions> shingle = ParseShingleSpec(v);
  if (!shingle.ok()) return bad("shingle", v);
  p->sketch.shingle = *shingle;
  DEDUP_ASSIGN_OR_RETURN(v, get("num_perm"));
  if (!ParseInt64(v, &i) || i < 1 || i > kMaxNumPerm) return bad("num_perm", v);
  p->sketch.num_perm = static_cast<int>(i);
  DEDUP_ASSIGN_OR_RETURN(v, get("seed"));
  {
    auto [q, ec] = std::from_chars(v.data(), v.data() + v.size(), p->sketch.seed);
    if (ec != std::errc() || q != v.data() + v.size() || v.empty()) return bad("seed", v);
  }
  // Indexes written before the engine was a choice made classic signatures.
  if (auto it = meta.find("minhash"); it != meta.end()) {
    absl::StatusOr<MinHashEngine> engine = ParseMinHashEngine(it->second);
    if (!engine.ok()) return bad("minhash", it->second);
    p->sketch.engine = *engine;
  } else {
    p->sketch.engine = MinHashEngine::kClassic;
  }
  DEDUP_ASSIGN_OR_RETURN(v, get("threshold"));
  if (!ParseDouble(v, &p->match.threshold)) return bad("threshold", v);
  DEDUP_ASSIGN_OR_RETURN(v, get("containment_threshold"));
  if (!ParseDouble(v, &p->match.containment_threshold)) return bad("containment_threshold", v);
  DEDUP_ASSIGN_OR_RETURN(v, get("min_containment_shingles"));
  if (!ParseInt64(v, &i) || i < 0 || i > UINT32_MAX) return bad("min_containment_shingles", v);
  p->match.min_containment_shingles = static_cast<uint32_t>(i);
  DEDUP_ASSIGN_OR_RETURN(v, get("min_containment_ratio"));
  if (!ParseDouble(v, &p->match.min_containment_ratio)) return bad("min_containment_ratio", v);
  // Indexes written before the containment guard accepted the estimate itself (z = 0).
  if (auto it = meta.find("containment_z"); it != meta.end()) {
    if (!ParseDouble(it->second, &p->match.containment_z) || !(p->match.containment_z >= 0)) {
      return bad("containment_z", it->second);
    }
  } else {
    p->match.containment_z = 0;
  }
  DEDUP_ASSIGN_OR_RETURN(v, get("canonical"));
  absl::StatusOr<CanonicalRule> rule = ParseCanonicalRule(v);
  if (!rule.ok()) return bad("canonical", v);
  p->canonical = *rule;
  DEDUP_ASSIGN_OR_RETURN(v, get("lsh_bands"));
  if (!ParseInt64(v, &i) || i < 1 || i > kMaxNumPerm) return bad("lsh_bands", v);
  lsh->bands = static_cast<int>(i);
  DEDUP_ASSIGN_OR_RETURN(v, get("lsh_rows"));
  if (!ParseInt64(v, &i) || i < 1 || i > kMaxNumPerm) return bad("lsh_rows", v);
  lsh->rows = static_cast<int>(i);
  p->lsh = *lsh;
  for (auto [key, field] : {std::pair{"chrome_min_docs", &p->chrome.min_docs},
                            std::pair{"chrome_min_contexts", &p->chrome.min_contexts},
                            std::pair{"chrome_min_source_docs", &p->chrome.min_source_docs},
                            std::pair{"chrome_min_source_contexts", &p->chrome.min_source_contexts}}) {
    DEDUP_ASSIGN_OR_RETURN(v, get(key));
    if (!ParseInt64(v, &i) || i < 1 || i > 1 << 30) return bad(key, v);
    *field = static_cast<int>(i);
  }
  for (auto [key, field] : {std::pair{"chrome_context_containment", &p->chrome.context_containment},
                            std::pair{"chrome_block_adjacency", &p->chrome.block_adjacency},
                            std::pair{"chrome_block_df_ratio", &p->chrome.block_df_ratio}}) {
    DEDUP_ASSIGN_OR_RETURN(v, get(key));
    if (!ParseDouble(v, field)) return bad(key, v);
  }
  DEDUP_ASSIGN_OR_RETURN(v, get("chrome"));
  p->chrome.enabled = v != "off";
  if (const std::string described = DescribeChromeRule(p->chrome); described != v) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the index learned site chrome under the rule \"%s\" but this dedup applies \"%s\" for the same "
        "options: its signatures would not be comparable; re-create the index from the original documents "
        "(`dedup index create` and `dedup index add`)",
        path, v, described));
  }
  absl::Status valid = ValidateParams(*p);
  if (!valid.ok()) {
    return absl::DataLossError(absl::StrFormat("%s: index metadata is invalid: %s", path, valid.message()));
  }
  return absl::OkStatus();
}

// Reads meta and checks its checksum.
absl::StatusOr<std::map<std::string, std::string>> ReadMeta(SqliteDb* db) {
  std::map<std::string, std::string> meta;
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("SELECT key, value FROM meta"));
  while (true) {
    DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    meta.emplace(std::string(st.ColumnText(0)), std::string(st.ColumnText(1)));
  }
  auto it = meta.find("checksum");
  uint64_t stored = 0;
  if (it == meta.end() || !ParseUint64Hex(it->second, &stored)) {
    return absl::DataLossError(absl::StrFormat("%s: index metadata has no valid checksum", db->path()));
  }
  if (stored != MetaChecksum(meta)) {
    return absl::DataLossError(absl::StrFormat("%s: index metadata fails its checksum (stored %s, computed %s)",
                                               db->path(), it->second, Hex64(MetaChecksum(meta))));
  }
  return meta;
}

// The format version, application id and sketch checks common to Open and Verify.
absl::Status CheckMetaCompatible(SqliteDb* db, const std::map<std::string, std::string>& meta) {
  DEDUP_ASSIGN_OR_RETURN(int64_t app_id, db->QueryInt("PRAGMA application_id"));
  if (static_cast<uint32_t>(app_id) != kIngestApplicationId) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: not a dedup index (application_id 0x%08x)", db->path(),
                                                      static_cast<uint32_t>(app_id)));
  }
  auto it = meta.find("format_version");
  int64_t version = 0;
  if (it == meta.end() || !ParseInt64(it->second, &version)) {
    return absl::DataLossError(absl::StrFormat("%s: index metadata lacks a format version", db->path()));
  }
  if (version == 1) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: index format version 1, written by a dedup before the index learned site chrome (this dedup reads "
        "version %d). Version 1 did not keep the documents' texts, so it cannot be converted: re-create the index "
        "from the original documents with `dedup index create NEW.dedup` and `dedup index add NEW.dedup CORPUS`, "
        "or keep using it with the dedup that wrote it",
        db->path(), kIngestFormatVersion));
  }
  if (version != kIngestFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: index format version %d; this dedup reads version %d", db->path(), version,
                        kIngestFormatVersion));
  }
  return absl::OkStatus();
}


// Rewrites the counters and the checksum of meta inside the current transaction.
absl::Status WriteCounters(SqliteDb* db, int64_t next_seq, int64_t next_cluster, int64_t candidate_pairs,
                           int64_t verified_pairs, const ChromeStream& chrome) {
  DEDUP_ASSIGN_OR_RETURN(auto meta, ReadMeta(db));
  meta["chrome_documents"] = std::to_string(chrome.documents());
  meta["chrome_digest"] = Hex64(chrome.Digest());
  meta["next_seq"] = std::to_string(next_seq);
  meta["next_cluster"] = std::to_string(next_cluster);
  meta["candidate_pairs"] = std::to_string(candidate_pairs);
  meta["verified_pairs"] = std::to_string(verified_pairs);
  meta["checksum"] = Hex64(MetaChecksum(meta));
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("UPDATE meta SET value = ?2 WHERE key = ?1"));
  for (const char* key :
       {"next_seq", "next_cluster", "candidate_pairs", "verified_pairs", "chrome_documents", "chrome_digest", "checksum"}) {
    st.BindText(1, key);
    st.BindText(2, meta[key]);
    DEDUP_RETURN_IF_ERROR(st.Run());
  }
  return absl::OkStatus();
}

absl::Status InsertEvents(SqliteDb* db, const std::vector<ClusterEvent>& events) {
  if (events.empty()) return absl::OkStatus();
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement st,
                         db->Prepare("INSERT INTO merges(seq, time, kind, old_cluster, new_cluster, document, checksum) "
                                     "VALUES(?, ?, ?, ?, ?, ?, ?)"));
  for (const ClusterEvent& e : events) {
    const std::string_view kind = EventKindName(e.kind);
    st.BindInt(1, e.seq);
    st.BindInt(2, e.time);
    st.BindText(3, kind);
    st.BindInt(4, e.old_cluster);
    st.BindInt(5, e.new_cluster);
    st.BindText(6, e.document);
    st.BindInt(7, EventChecksum(e.seq, e.time, kind, e.old_cluster, e.new_cluster, e.document));
    DEDUP_RETURN_IF_ERROR(st.Run());
  }
  return absl::OkStatus();
}

// Starts BEGIN IMMEDIATE and checks that nobody else wrote since Load().
absl::StatusOr<SqliteTransaction> BeginWrite(SqliteDb* db, int64_t data_version) {
  DEDUP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db, true));
  DEDUP_ASSIGN_OR_RETURN(int64_t now_version, db->QueryInt("PRAGMA data_version"));
  if (now_version != data_version) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the index was changed by another process since it was opened (only one process may write an "
        "index at a time); reopen it",
        db->path()));
  }
  return txn;
}

absl::Status WriteClusterRows(SqliteDb* db, const std::vector<int64_t>& deleted, const std::vector<ClusterRow>& rows) {
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement drop, db->Prepare("DELETE FROM clusters WHERE id = ?"));
  for (int64_t c : deleted) {
    drop.BindInt(1, c);
    DEDUP_RETURN_IF_ERROR(drop.Run());
  }
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement move, db->Prepare("UPDATE documents SET cluster = ? WHERE seq = ?"));
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement up,
                         db->Prepare("INSERT INTO clusters(id, canonical, size, created) VALUES(?1, ?2, ?3, ?4) "
                                     "ON CONFLICT(id) DO UPDATE SET canonical = ?2, size = ?3"));
  for (const ClusterRow& r : rows) {
    for (int64_t seq : r.member_seqs) {
      move.BindInt(1, r.id);
      move.BindInt(2, seq);
      DEDUP_RETURN_IF_ERROR(move.Run());
    }
    up.BindInt(1, r.id);
    up.BindInt(2, r.canonical_seq);
    up.BindInt(3, r.size);
    up.BindInt(4, r.created);
    DEDUP_RETURN_IF_ERROR(up.Run());
  }
  return absl::OkStatus();
}

}  // namespace dedup::internal
