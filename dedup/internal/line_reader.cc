#include "dedup/internal/line_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace dedup::internal {

LineReader::LineReader(int fd, std::string name, size_t block_size, size_t max_line)
    : fd_(fd),
      name_(std::move(name)),
      block_size_(std::max<size_t>(block_size, 1)),
      max_line_(max_line),
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

absl::StatusOr<bool> LineReader::Next(std::string_view* line, size_t* too_long) {
  if (too_long != nullptr) *too_long = 0;
  const size_t limit = too_long != nullptr ? max_line_ : SIZE_MAX;
  size_t scanned = begin_;
  size_t dropped = 0;  // Bytes of an over-long line already read past and not kept.
  while (true) {
    const void* nl = std::memchr(buffer_.data() + scanned, '\n', end_ - scanned);
    if (nl != nullptr || eof_) {
      if (nl == nullptr && begin_ == end_ && dropped == 0) return false;
      const size_t len = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - (buffer_.data() + begin_))
                                       : end_ - begin_;
      if (dropped > 0 || len > limit) {
        *too_long = dropped + len;
        *line = std::string_view();
      } else {
        *line = std::string_view(buffer_.data() + begin_, len);
        if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      }
      begin_ += len + (nl != nullptr ? 1 : 0);
      return true;
    }
    size_t consumed = begin_;
    if (end_ - begin_ > limit - std::min(limit, dropped)) {
      // Over the limit with no end in sight: keep nothing more of this line.
      dropped += end_ - begin_;
      begin_ = end_ = 0;
      consumed = 0;
    }
    scanned = end_;
    absl::Status st = Fill();
    if (!st.ok()) return st;
    scanned -= consumed;  // Fill() moved the data to the front.
  }
}

}  // namespace dedup::internal
