// AtomicFileWriter: a file appears complete at its final path, or not at all.
//
// Writes go to a temporary file in the destination's folder; Commit() flushes it,
// fsyncs it, renames it over the destination and fsyncs the folder, so a crash or an
// error leaves either the old file or the new one, never a half-written one. A writer
// destroyed without Commit() removes its temporary file.
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

class AtomicFileWriter {
 public:
  static absl::StatusOr<std::unique_ptr<AtomicFileWriter>> Open(const std::string& path);
  ~AtomicFileWriter();

  std::ostream& stream() { return stream_; }
  // Makes the file visible at its path. Fails (and removes the temporary) on any
  // write, flush, fsync or rename error, naming the path and the cause.
  absl::Status Commit();

  const std::string& path() const { return path_; }

 private:
  AtomicFileWriter(std::string path, std::string temp_path)
      : path_(std::move(path)), temp_path_(std::move(temp_path)) {}

  std::string path_;
  std::string temp_path_;
  std::ofstream stream_;
  bool committed_ = false;
};

}  // namespace dedup

#endif  // DEDUP_ATOMIC_FILE_H_
