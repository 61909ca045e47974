#include "dedup/internal/input_spool.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_format.h"

namespace dedup::internal {
namespace {

// Copies `in` to `out` until end of file. `name` is the input as messages show it.
absl::Status Copy(int in, int out, const std::string& name, const std::string& out_path) {
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::DataLossError(absl::StrFormat("%s: read failed: %s", name, std::strerror(errno)));
    if (n == 0) return absl::OkStatus();
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(out, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        return absl::UnavailableError(
            absl::StrFormat("%s: spooling to %s failed: %s", name, out_path, std::strerror(errno)));
      }
      off += w;
    }
  }
}

}  // namespace

InputSpool::~InputSpool() {
  for (const std::string& f : files_) ::unlink(f.c_str());
}

bool InputSpool::NeedsSpooling(const std::string& input) {
  if (input == "-") return true;
  struct stat st;
  if (::stat(input.c_str(), &st) != 0) return false;
  return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

absl::Status InputSpool::Spool(const std::vector<std::string>& inputs, CorpusOptions* options) {
  for (const std::string& input : inputs) {
    if (options->spooled_inputs.contains(input) || !NeedsSpooling(input)) continue;
    const std::string name = input == "-" ? "<stdin>" : input;
    std::string path = (std::filesystem::temp_directory_path() / "dedup-spool.XXXXXX").string();
    const int out = ::mkstemp(path.data());
    if (out < 0) {
      return absl::UnavailableError(
          absl::StrFormat("%s: cannot create a temporary file to spool it: %s", name, std::strerror(errno)));
    }
    files_.push_back(path);
    int in = STDIN_FILENO;
    if (input != "-") {
      in = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
      if (in < 0) {
        const int err = errno;
        ::close(out);
        return absl::NotFoundError(absl::StrFormat("%s: cannot open: %s", name, std::strerror(err)));
      }
    }
    absl::Status copied = Copy(in, out, name, path);
    if (in != STDIN_FILENO) ::close(in);
    if (::close(out) != 0 && copied.ok()) {
      copied = absl::UnavailableError(absl::StrFormat("%s: spooling to %s failed: %s", name, path, std::strerror(errno)));
    }
    if (!copied.ok()) return copied;
    options->spooled_inputs[input] = path;
  }
  return absl::OkStatus();
}

}  // namespace dedup::internal
