#include "dedup/internal/line_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace dedup::internal {

LineReader::LineReader(int fd, std::string name, size_t block_size)
    : fd_(fd),
      name_(std::move(name)),
      block_size_(std::max<size_t>(block_size, 1)),
      buffer_(block_size_) {}

absl::Status LineReader::Fill() {
  // Move the partial line to the front, grow if a single line fills the buffer.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // (A full buffer must always grow: a read of 0 bytes would look like end of input.)
  if (end_ == buffer_.size() || buffer_.size() - end_ < block_size_ / 2) {
    buffer_.resize(buffer_.size() * 2);
  }
  while (true) {
    ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::DataLossError(absl::StrFormat("%s: read failed: %s", name_, std::strerror(errno)));
    }
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    return absl::OkStatus();
  }
}

absl::StatusOr<bool> LineReader::Next(std::string_view* line) {
  size_t scanned = begin_;
  while (true) {
    const void* nl = std::memchr(buffer_.data() + scanned, '\n', end_ - scanned);
    if (nl != nullptr) {
      const char* p = static_cast<const char*>(nl);
      size_t len = static_cast<size_t>(p - (buffer_.data() + begin_));
      *line = std::string_view(buffer_.data() + begin_, len);
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      begin_ += len + 1;
      return true;
    }
    if (eof_) {
      if (begin_ == end_) return false;
      *line = std::string_view(buffer_.data() + begin_, end_ - begin_);
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      begin_ = end_;
      return true;
    }
    size_t consumed = begin_;
    scanned = end_;
    absl::Status st = Fill();
    if (!st.ok()) return st;
    scanned -= consumed;  // Fill() moved the data to the front.
  }
}

}  // namespace dedup::internal
