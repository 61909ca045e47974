// AtomicFileWriter: a file appears complete at its final path, or not at all.
//
// Writes go to a temporary file in the destination's folder; Commit() flushes it,
// fsyncs it, renames it over the destination and fsyncs the folder, so a crash or an
// error leaves either the old file or the new one, never a half-written one. A writer
// destroyed without Commit() removes its temporary file.
//
// The destination must be a regular file or not exist. A symbolic link is written
// through: the link stays, and its target (followed to the end of a chain of links) is
// replaced atomically, with the temporary file in the target's folder. A dangling link,
// and a destination that is a folder, device, FIFO or socket, are refused by Open()
// (FailedPrecondition; output_file.h writes devices and FIFOs in place). A replaced
// file keeps its permission bits; a new one gets 0666 & ~umask.
//
// Example:
//   auto w = dedup::AtomicFileWriter::Open("clusters.tsv");
//   if (!w.ok()) return w.status();
//   (*w)->stream() << "id\tcluster\n";
//   return (*w)->Commit();
#ifndef DEDUP_ATOMIC_FILE_H_
#define DEDUP_ATOMIC_FILE_H_

#include <fstream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dedup {

// `path` with symbolic links in its last component followed to the end (relative links
// resolve against the link's folder); `path` itself if it is not a link or does not
// exist. FailedPrecondition for a dangling link or a loop of links.
absl::StatusOr<std::string> FollowSymlinks(const std::string& path);

class AtomicFileWriter {
 public:
  static absl::StatusOr<std::unique_ptr<AtomicFileWriter>> Open(const std::string& path);
  ~AtomicFileWriter();

  std::ostream& stream() { return stream_; }
  // Makes the file visible at its path. Fails (and removes the temporary) on any
  // write, flush, fsync or rename error, naming the path and the cause.
  absl::Status Commit();

  const std::string& path() const { return path_; }
  // What Commit() replaces: path() with symbolic links followed.
  const std::string& target() const { return target_; }

 private:
  AtomicFileWriter(std::string path, std::string target, std::string temp_path, int mode)
      : path_(std::move(path)), target_(std::move(target)), temp_path_(std::move(temp_path)), mode_(mode) {}

  std::string path_;
  std::string target_;
  std::string temp_path_;
  int mode_;  // Permission bits to give the file; -1: 0666 & ~umask.
  std::ofstream stream_;
  bool committed_ = false;
};

}  // namespace dedup

#endif  // DEDUP_ATOMIC_FILE_H_
