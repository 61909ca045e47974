// LineReader: reads a file descriptor in large blocks and yields lines.
//
// Lines are returned without their trailing "\n" (and "\r\n"). A view stays valid
// until the next call to Next(). Memory is one block plus the longest line, at most
// `max_line` bytes: a longer line is read past without being kept, and Next() reports
// it by *too_long (with its length) and an empty view.
#ifndef DEDUP_INTERNAL_LINE_READER_H_
#define DEDUP_INTERNAL_LINE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dedup::internal {

class LineReader {
 public:
  // Does not take ownership of `fd`. `name` is used in error messages.
  LineReader(int fd, std::string name, size_t block_size = 1 << 20, size_t max_line = SIZE_MAX);

  // Returns false at end of input. *line excludes the line terminator. With `too_long`
  // non-null, a line over max_line bytes sets *too_long to its length (else 0).
  absl::StatusOr<bool> Next(std::string_view* line, size_t* too_long = nullptr);

 private:
  absl::Status Fill();

  int fd_;
  std::string name_;
  size_t block_size_;
  size_t max_line_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // Start of unread data in buffer_.
  size_t end_ = 0;    // End of valid data in buffer_.
  bool eof_ = false;
};

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_LINE_READER_H_
