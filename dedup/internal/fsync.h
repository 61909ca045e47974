// FsyncPath: the one fsync rule of dedup's durable files (AtomicFileWriter, the
// ingestion index's creation).
//
// A file is opened and fsynced; any failure is an error naming the path. A folder is
// fsynced to make a rename or link in it durable; some file systems do not support
// fsync on folders and answer EINVAL, which is not a data error and is tolerated.
//
// Example:
//   DEDUP_RETURN_IF_ERROR(dedup::internal::FsyncPath("out.tsv.tmp", /*directory=*/false));
//   DEDUP_RETURN_IF_ERROR(dedup::internal::FsyncParentFolder("out.tsv"));
#ifndef DEDUP_INTERNAL_FSYNC_H_
#define DEDUP_INTERNAL_FSYNC_H_

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace dedup::internal {

// Opens `path` (read-only; a folder with O_DIRECTORY) and fsyncs it. Unavailable,
// naming the path and the cause, if it cannot be opened or fsync fails (except EINVAL
// on a folder).
absl::Status FsyncPath(const std::string& path, bool directory);

// FsyncPath on the folder holding `path` ("." for a bare file name).
absl::Status FsyncParentFolder(const std::string& path);

// Tests only: replaces ::fsync (called with the open descriptor, the path and whether
// it is a folder; returns 0 or an errno value). Null restores ::fsync. Not thread-safe.
void SetFsyncForTesting(std::function<int(int fd, const std::string& path, bool directory)> fsync);

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_FSYNC_H_
