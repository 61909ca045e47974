#include "dedup/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dedup/internal/fsync.h"

namespace dedup {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path, int err) {
  return absl::UnavailableError(absl::StrFormat("%s: %s: %s", path, what, std::strerror(err)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Open(const std::string& path) {
  std::filesystem::path p(path);
  if (p.filename().empty()) return absl::InvalidArgumentError(absl::StrFormat("%s: not a file name", path));
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  // StrCat rather than "." + string: GCC 12 -O3 reports a false -Wrestrict on the latter.
  std::string templ = (std::filesystem::path(dir) / absl::StrCat(".", p.filename().string(), ".tmp.XXXXXX")).string();
  int fd = ::mkstemp(templ.data());
  if (fd < 0) return ErrnoError("cannot create a temporary file beside it", path, errno);
  ::close(fd);
  auto writer = std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(path, templ));
  writer->stream_.open(templ, std::ios::binary | std::ios::trunc);
  if (!writer->stream_) return ErrnoError("cannot open temporary file", templ, errno);
  return writer;
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) {
    stream_.close();
    ::unlink(temp_path_.c_str());
  }
}

absl::Status AtomicFileWriter::Commit() {
  // Until the rename, any failure removes the temporary file (as documented).
  auto fail = [this](absl::Status st) {
    stream_.close();
    ::unlink(temp_path_.c_str());
    return st;
  };
  stream_.flush();
  if (!stream_) return fail(absl::UnavailableError(absl::StrFormat("%s: write failed (disk full?)", path_)));
  stream_.close();
  if (stream_.fail()) return fail(absl::UnavailableError(absl::StrFormat("%s: close failed", path_)));
  absl::Status st = internal::FsyncPath(temp_path_, /*directory=*/false);
  if (!st.ok()) return fail(st);
  // Keep the usual permissions of a new file (mkstemp creates 0600).
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(temp_path_.c_str(), 0666 & ~mask);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return fail(ErrnoError("cannot rename into place", path_, errno));
  }
  committed_ = true;
  return internal::FsyncParentFolder(path_);
}

}  // namespace dedup
