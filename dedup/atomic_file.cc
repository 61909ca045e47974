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

const char* FileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

absl::StatusOr<std::string> FollowSymlinks(const std::string& path) {
  std::filesystem::path p(path);
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) {
      if (hops > 0 && errno == ENOENT) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: a symbolic link to %s, which does not exist (a dangling link is not written through)", path,
            p.string()));
      }
      return p.string();  // A new file (or an error the caller's open reports).
    }
    if (!S_ISLNK(st.st_mode)) return p.string();
    std::error_code ec;
    std::filesystem::path target = std::filesystem::read_symlink(p, ec);
    if (ec) return absl::UnavailableError(absl::StrFormat("%s: cannot read the link: %s", p.string(), ec.message()));
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return absl::FailedPreconditionError(absl::StrFormat("%s: too many levels of symbolic links", path));
}

absl::StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Open(const std::string& path) {
  if (std::filesystem::path(path).filename().empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: not a file name", path));
  }
  absl::StatusOr<std::string> target = FollowSymlinks(path);
  if (!target.ok()) return target.status();
  int mode = -1;
  struct stat st;
  if (::stat(target->c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: is %s; only a regular file is replaced", path, FileTypeName(st.st_mode)));
    }
    mode = static_cast<int>(st.st_mode & 07777);
  }
  std::filesystem::path p(*target);
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  // StrCat rather than "." + string: GCC 12 -O3 reports a false -Wrestrict on the latter.
  std::string templ = (std::filesystem::path(dir) / absl::StrCat(".", p.filename().string(), ".tmp.XXXXXX")).string();
  int fd = ::mkstemp(templ.data());
  if (fd < 0) return ErrnoError("cannot create a temporary file beside it", path, errno);
  ::close(fd);
  auto writer = std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(path, *target, templ, mode));
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
  // A replaced file keeps its permission bits; a new one gets the usual ones (mkstemp
  // creates 0600).
  mode_t mode = static_cast<mode_t>(mode_);
  if (mode_ < 0) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  ::chmod(temp_path_.c_str(), mode);
  if (::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    return fail(ErrnoError("cannot rename into place", path_, errno));
  }
  committed_ = true;
  return internal::FsyncParentFolder(target_);
}

}  // namespace dedup
