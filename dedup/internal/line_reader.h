// LineReader: reads a file descriptor in large blocks and yields lines.
//
// Lines are returned without their trailing "\n" (and "\r\n"). A view stays valid
// until the next call to Next(). Memory is one block plus the longest line.
#ifndef DEDUP_INTERNAL_LINE_READER_H_
#define DEDUP_INTERNAL_LINE_READER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dedup::internal {

class LineReader {
 public:
  // Does not take ownership of `fd`. `name` is used in error messages.
  LineReader(int fd, std::string name, size_t block_size = 1 << 20);

  // Returns false at end of input. *line excludes the line terminator.
  absl::StatusOr<bool> Next(std::string_view* line);

 private:
  absl::Status Fill();

  int fd_;
  std::string name_;
  size_t block_size_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // Start of unread data in buffer_.
  size_t end_ = 0;    // End of valid data in buffer_.
  bool eof_ = false;
};

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_LINE_READER_H_
