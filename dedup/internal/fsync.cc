#include "dedup/internal/fsync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_format.h"

namespace dedup::internal {
namespace {

std::function<int(int, const std::string&, bool)>& FsyncOverride() {
  static auto* fsync = new std::function<int(int, const std::string&, bool)>();
  return *fsync;
}

}  // namespace

absl::Status FsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrFormat("%s: cannot open for fsync: %s", path, std::strerror(errno)));
  }
  int err = 0;
  if (FsyncOverride()) {
    err = FsyncOverride()(fd, path, directory);
  } else if (::fsync(fd) != 0) {
    err = errno;
  }
  ::close(fd);
  // Some file systems do not support fsync on folders; that is not a data error.
  if (err != 0 && !(err == EINVAL && directory)) {
    return absl::UnavailableError(absl::StrFormat("%s: fsync failed: %s", path, std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status FsyncParentFolder(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return FsyncPath(parent.empty() ? "." : parent.string(), /*directory=*/true);
}

void SetFsyncForTesting(std::function<int(int fd, const std::string& path, bool directory)> fsync) {
  FsyncOverride() = std::move(fsync);
}

}  // namespace dedup::internal
