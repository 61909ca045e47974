#include "dedup/progress.h"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_format.h"

namespace dedup {
namespace {

std::string Thousands(int64_t n) {
  std::string digits = absl::StrFormat("%d", n);
  std::string out;
  const int lead = static_cast<int>(digits.size()) % 3;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (static_cast<int>(i) - lead) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

int64_t PathBytes(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec) return -1;
  if (fs::is_regular_file(st)) {
    const auto size = fs::file_size(path, ec);
    return ec ? -1 : static_cast<int64_t>(size);
  }
  if (!fs::is_directory(st)) return -1;
  int64_t total = 0;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return ec ? -1 : total;
}

}  // namespace

ProgressPrinter::ProgressPrinter(std::ostream& out, Mode mode, std::chrono::milliseconds delay,
                                 std::chrono::milliseconds interval)
    : out_(out), mode_(mode), delay_(delay), interval_(interval), start_(Clock::now()) {
  phase_start_ = last_print_ = start_;
}

std::string ProgressPrinter::Line(std::string_view phase, int64_t documents, int64_t bytes, int64_t total_bytes,
                                  double seconds) {
  std::string line(phase);
  if (documents > 0 || bytes > 0) {
    const double mb = bytes / 1e6;
    line += absl::StrFormat(": %s documents, %.1f MB", Thousands(documents), mb);
    if (seconds > 0) line += absl::StrFormat(", %.1f MB/s", mb / seconds);
    if (total_bytes > 0 && bytes > 0) {
      const double done = std::min(1.0, static_cast<double>(bytes) / total_bytes);
      const int64_t eta = static_cast<int64_t>(seconds * (1 - done) / done + 0.5);
      line += absl::StrFormat(", %d%%, ETA %d:%02d", static_cast<int>(100 * done), eta / 60, eta % 60);
    }
  }
  return line;
}

void ProgressPrinter::StartPhase(std::string_view name, int64_t total_bytes) {
  EndPhaseLine();
  phase_ = std::string(name);
  total_bytes_ = total_bytes;
  documents_ = bytes_ = 0;
  phase_start_ = Clock::now();
  Print(phase_start_, /*force=*/true);
}

void ProgressPrinter::Advance(int64_t documents, int64_t bytes) {
  documents_ = documents;
  bytes_ = bytes;
  // One clock read per call: cheap next to parsing a document.
  Print(Clock::now(), /*force=*/false);
}

void ProgressPrinter::Print(Clock::time_point now, bool force) {
  if (mode_ == Mode::kInteractive) {
    if (now - start_ < delay_) return;
    if (!force && now - last_print_ < std::chrono::milliseconds(250)) return;
  } else if (!force && now - last_print_ < interval_) {
    return;
  }
  last_print_ = now;
  const double seconds = std::chrono::duration<double>(now - phase_start_).count();
  std::string line = Line(phase_, documents_, bytes_, total_bytes_, seconds);
  if (mode_ == Mode::kLog) {
    out_ << "dedup: " << line << "\n" << std::flush;
    return;
  }
  line = "dedup: " + line;
  const size_t width = line.size();
  if (width < last_width_) line.append(last_width_ - width, ' ');  // Erase the longer line before.
  last_width_ = width;
  out_ << "\r" << line << std::flush;
  drawn_ = true;
}

void ProgressPrinter::EndPhaseLine() {
  // In a log, a reading phase ends with its totals.
  if (mode_ != Mode::kLog || phase_.empty() || documents_ == 0) return;
  const double seconds = std::chrono::duration<double>(Clock::now() - phase_start_).count();
  out_ << "dedup: " << Line(phase_ + " done", documents_, bytes_, -1, seconds) << "\n" << std::flush;
  documents_ = 0;
}

void ProgressPrinter::Finish() {
  EndPhaseLine();
  if (mode_ == Mode::kInteractive && drawn_) {
    out_ << "\r" << std::string(last_width_, ' ') << "\r" << std::flush;
    drawn_ = false;
  }
}

int64_t InputBytes(const std::vector<std::string>& inputs, const CorpusOptions& options) {
  int64_t total = 0;
  for (const std::string& input : inputs) {
    auto spooled = options.spooled_inputs.find(input);
    if (spooled == options.spooled_inputs.end() && input == "-") return -1;
    const int64_t bytes = PathBytes(spooled != options.spooled_inputs.end() ? spooled->second : input);
    if (bytes < 0) return -1;
    total += bytes;
  }
  return total;
}

int64_t PeakMemoryBytes() {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux: kilobytes.
}

}  // namespace dedup
