// OutputFile: where a command writes its report (`-o FILE`), and the checks that keep
// it from destroying what the command reads.
//
// By what is at the path:
//   nothing, a regular file  written atomically (AtomicFileWriter: temporary + rename);
//                            a replaced file keeps its permission bits;
//   a symbolic link          written through: the link stays, its target is replaced
//                            atomically in the target's folder; a dangling link is refused;
//   a character device, FIFO written in place (no temporary, no rename): /dev/null,
//                            /dev/stdout, a named pipe; Open() may block on a FIFO
//                            until a reader opens it;
//   a folder, block device,  refused.
//   socket
//
// CheckOutputPath() checks all this before a command reads anything, and that the
// output is none of its inputs: the same file (st_dev/st_ino, so hard links and
// symbolic links are caught), a file inside an input folder, the file standard input
// reads from, or one of the `reserved` paths (an index and its -wal, -shm and -journal
// files, which need not exist).
//
// Example:
//   DEDUP_RETURN_IF_ERROR(dedup::CheckOutputPath("clusters.tsv", inputs, {}));
//   ... read the inputs ...
//   DEDUP_ASSIGN_OR_RETURN(auto out, dedup::OutputFile::Open("clusters.tsv"));
//   WriteReport(result, info, format, out->stream());
//   DEDUP_RETURN_IF_ERROR(out->Commit());
#ifndef DEDUP_OUTPUT_FILE_H_
#define DEDUP_OUTPUT_FILE_H_

#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dedup/atomic_file.h"

namespace dedup {

// InvalidArgument (a usage error) naming `path` if it cannot be an output (see the top
// of this file) or is one of `inputs` ("-": standard input) or `reserved`. Opens
// nothing; a missing input is left to the reader to report.
absl::Status CheckOutputPath(const std::string& path, const std::vector<std::string>& inputs,
                             const std::vector<std::string>& reserved);

class OutputFile {
 public:
  // Opens `path` as described at the top of this file. FailedPrecondition for what is
  // refused; Unavailable for I/O errors.
  static absl::StatusOr<std::unique_ptr<OutputFile>> Open(const std::string& path);

  std::ostream& stream() { return atomic_ ? atomic_->stream() : in_place_; }
  // Makes the output complete: AtomicFileWriter::Commit(), or a flush in place. Fails
  // naming the path on any write error.
  absl::Status Commit();

 private:
  OutputFile() = default;

  std::string path_;
  std::unique_ptr<AtomicFileWriter> atomic_;  // Null when written in place.
  std::ofstream in_place_;
};

}  // namespace dedup

#endif  // DEDUP_OUTPUT_FILE_H_
