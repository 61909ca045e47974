#include "dedup/internal/sqlite_store.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_format.h"

namespace dedup::internal {

absl::Status SqliteError(int rc, sqlite3* db, const std::string& path, std::string_view context) {
  const int primary = rc & 0xff;
  const int os_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (os_errno != 0 && (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL)) {
    detail += absl::StrFormat(" (%s)", std::strerror(os_errno));
  }
  const std::string where = context.empty() ? "" : absl::StrFormat(" while %s", std::string(context));
  auto message = [&](std::string_view what) {
    return absl::StrFormat("%s: %s%s: %s", path, std::string(what), where, detail);
  };
  switch (primary) {
    case SQLITE_NOTADB:
      return absl::InvalidArgumentError(message("not a dedup index (not an SQLite database)"));
    case SQLITE_CORRUPT:
      return absl::DataLossError(message("the index is corrupt"));
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(message("disk or file size limit full"));
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(message("out of memory"));
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(message("the index is read-only"));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message("the index is locked by another connection"));
    case SQLITE_CANTOPEN:
      if (os_errno == ENOENT) return absl::NotFoundError(message("cannot open"));
      if (os_errno == EACCES || os_errno == EPERM) return absl::PermissionDeniedError(message("cannot open"));
      if (os_errno == EROFS) return absl::FailedPreconditionError(message("read-only file system"));
      return absl::UnavailableError(message("cannot open"));
    case SQLITE_IOERR:
      if (os_errno == ENOSPC || os_errno == EDQUOT) return absl::ResourceExhaustedError(message("disk full"));
      if (os_errno == EROFS) return absl::FailedPreconditionError(message("read-only file system"));
      return absl::UnavailableError(message("I/O error"));
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(message("permission denied"));
    case SQLITE_CONSTRAINT:
      return absl::DataLossError(message("constraint violated (inconsistent index)"));
    default:
      return absl::InternalError(message("SQLite error"));
  }
}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    path_ = other.path_;
  }
  return *this;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

void SqliteStatement::BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
void SqliteStatement::BindDouble(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
void SqliteStatement::BindText(int i, std::string_view v) {
  sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
void SqliteStatement::BindBlob(int i, const void* data, size_t size) {
  // A zero-length blob must still be a blob, not NULL: SQLite wants a non-null pointer.
  static const char kEmpty = 0;
  sqlite3_bind_blob64(stmt_, i, size == 0 ? &kEmpty : data, size, SQLITE_TRANSIENT);
}
void SqliteStatement::BindNull(int i) { sqlite3_bind_null(stmt_, i); }

absl::StatusOr<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const char* sql = sqlite3_sql(stmt_);
  std::string context = sql != nullptr ? std::string(sql).substr(0, 60) : "";
  absl::Status st = SqliteError(rc, db_, *path_, absl::StrFormat("running \"%s\"", context));
  sqlite3_reset(stmt_);
  return st;
}

absl::Status SqliteStatement::Run() {
  absl::StatusOr<bool> row = Step();
  sqlite3_reset(stmt_);
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

void SqliteStatement::Reset() { sqlite3_reset(stmt_); }

std::string_view SqliteStatement::ColumnText(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  const int n = sqlite3_column_bytes(stmt_, i);
  return p == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p), n);
}

std::string_view SqliteStatement::ColumnBlob(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  const int n = sqlite3_column_bytes(stmt_, i);
  return p == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(p), n);
}

std::string SqliteFileUri(const std::string& path, std::string_view query) {
  std::error_code ec;
  std::string abs = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) abs = path;
  std::string uri = "file:";
  for (char c : abs) {
    if (c == '%' || c == '?' || c == '#') {
      uri += absl::StrFormat("%%%02X", static_cast<unsigned char>(c));
    } else {
      uri.push_back(c);
    }
  }
  // "file://x" would name a host: an absolute path starts with one slash after "file:".
  while (uri.compare(0, 7, "file://") == 0) uri.erase(5, 1);
  if (!query.empty()) uri += "?" + std::string(query);
  return uri;
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, int flags,
                                                         const std::string& uri) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(uri.empty() ? path.c_str() : uri.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status st = SqliteError(rc, db, path, "opening");
    sqlite3_close_v2(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db, path));
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

absl::Status SqliteDb::Exec(std::string_view sql, std::string_view context) {
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, context);
  return absl::OkStatus();
}

absl::StatusOr<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Error(rc, absl::StrFormat("preparing \"%s\"", std::string(sql.substr(0, 60))));
  }
  return SqliteStatement(stmt, db_, &path_);
}

absl::StatusOr<int64_t> SqliteDb::QueryInt(std::string_view sql) {
  absl::StatusOr<SqliteStatement> st = Prepare(sql);
  if (!st.ok()) return st.status();
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrFormat("%s: no result for \"%s\"", path_, std::string(sql)));
  return st->ColumnInt(0);
}

absl::StatusOr<std::string> SqliteDb::QueryText(std::string_view sql) {
  absl::StatusOr<SqliteStatement> st = Prepare(sql);
  if (!st.ok()) return st.status();
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrFormat("%s: no result for \"%s\"", path_, std::string(sql)));
  return std::string(st->ColumnText(0));
}

absl::StatusOr<SqliteTransaction> SqliteTransaction::Begin(SqliteDb* db, bool immediate) {
  absl::Status st = db->Exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN",
                             immediate ? "starting a write transaction" : "starting a read transaction");
  if (!st.ok()) return st;
  return SqliteTransaction(db);
}

SqliteTransaction::~SqliteTransaction() {
  // SQLite may already have rolled back by itself (after SQLITE_FULL, IOERR, NOMEM).
  if (db_ != nullptr && !db_->autocommit()) sqlite3_exec(db_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

absl::Status SqliteTransaction::Commit() {
  SqliteDb* db = std::exchange(db_, nullptr);
  if (db == nullptr) return absl::FailedPreconditionError("transaction already finished");
  const int rc = sqlite3_exec(db->raw(), "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status st = db->Error(rc, "committing");
    if (!db->autocommit()) sqlite3_exec(db->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }
  return absl::OkStatus();
}

}  // namespace dedup::internal
