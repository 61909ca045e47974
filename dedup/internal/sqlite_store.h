// A thin RAII layer over the SQLite C API, for the ingestion index (ingest_index.h).
//
// SqliteDb owns a connection, SqliteStatement a prepared statement, SqliteTransaction
// a transaction (rolled back unless committed). Every failure becomes an absl::Status
// that names the database path, what was being done and SQLite's own message, with a
// code chosen by meaning:
//   SQLITE_NOTADB              -> InvalidArgument  ("PATH is not an SQLite database")
//   SQLITE_CORRUPT             -> DataLoss         ("PATH is corrupt: ...")
//   SQLITE_FULL, ENOSPC, NOMEM -> ResourceExhausted
//   SQLITE_READONLY, EROFS     -> FailedPrecondition
//   SQLITE_BUSY, SQLITE_LOCKED -> Unavailable      (another process holds the lock)
//   SQLITE_CANTOPEN            -> NotFound / PermissionDenied (from errno)
//   other I/O errors           -> Unavailable
//   anything else              -> Internal
//
// Example:
//   DEDUP_ASSIGN_OR_RETURN(auto db, SqliteDb::Open("index.db", SQLITE_OPEN_READWRITE));
//   DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("SELECT value FROM meta WHERE key = ?"));
//   st.BindText(1, "format_version");
//   DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
//
// Not thread-safe: one thread uses a connection and its statements at a time.
#ifndef DEDUP_INTERNAL_SQLITE_STORE_H_
#define DEDUP_INTERNAL_SQLITE_STORE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dedup::internal {

// Maps an SQLite result code (extended codes welcome) to a Status naming `path` and
// `context` ("inserting documents"). `db` may be null; when given, its error message
// and the OS errno of the last failure are included.
absl::Status SqliteError(int rc, sqlite3* db, const std::string& path, std::string_view context);

// A "file:" URI for `path` (made absolute; '%', '?' and '#' percent-encoded) with the
// query `query` ("immutable=1"), for SqliteDb::Open with SQLITE_OPEN_URI.
std::string SqliteFileUri(const std::string& path, std::string_view query);

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3_stmt* stmt, sqlite3* db, const std::string* path)
      : stmt_(stmt), db_(db), path_(path) {}
  SqliteStatement(SqliteStatement&& other) noexcept { *this = std::move(other); }
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based. Text and blobs are copied (SQLITE_TRANSIENT).
  void BindInt(int i, int64_t v);
  void BindDouble(int i, double v);
  void BindText(int i, std::string_view v);
  void BindBlob(int i, const void* data, size_t size);
  void BindNull(int i);

  // Runs one step: true if a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Step() for statements that return no rows (INSERT, UPDATE, ...), then Reset().
  absl::Status Run();
  // Makes the statement runnable again; bindings are kept.
  void Reset();

  // Columns are 0-based; valid after Step() returned true.
  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  double ColumnDouble(int i) const { return sqlite3_column_double(stmt_, i); }
  bool ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int ColumnType(int i) const { return sqlite3_column_type(stmt_, i); }
  std::string_view ColumnText(int i) const;
  std::string_view ColumnBlob(int i) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  const std::string* path_ = nullptr;  // Owned by the SqliteDb, which outlives statements.
};

class SqliteDb {
 public:
  // sqlite3_open_v2(path, flags); `flags` as SQLite's (SQLITE_OPEN_READONLY, ...).
  // `uri` is what SQLite opens (a "file:" URI needs SQLITE_OPEN_URI); errors name `path`.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path, int flags,
                                                        const std::string& uri = "");
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows.
  absl::Status Exec(std::string_view sql, std::string_view context);
  absl::StatusOr<SqliteStatement> Prepare(std::string_view sql);
  // The first column of the first row of `sql` as an integer / text (NotFound if no row).
  absl::StatusOr<int64_t> QueryInt(std::string_view sql);
  absl::StatusOr<std::string> QueryText(std::string_view sql);

  absl::Status Error(int rc, std::string_view context) const {
    return SqliteError(rc, db_, path_, context);
  }
  // True outside any transaction.
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  bool read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }
  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
};

// BEGIN [IMMEDIATE] ... COMMIT; the destructor rolls back an uncommitted transaction.
class SqliteTransaction {
 public:
  // `immediate` takes the write lock at once (BEGIN IMMEDIATE), so a writer never has
  // to upgrade a read transaction (which can fail with SQLITE_BUSY mid-way).
  static absl::StatusOr<SqliteTransaction> Begin(SqliteDb* db, bool immediate);
  SqliteTransaction(SqliteTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();

  absl::Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;  // Null once committed or rolled back.
};

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_SQLITE_STORE_H_
