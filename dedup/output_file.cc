#include "dedup/output_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dedup {
namespace {

namespace fs = std::filesystem;

bool SameFile(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// What is refused as an output, or null. Devices and FIFOs are written in place.
const char* RefusedKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return nullptr;
}

// The folder holding `path` (after FollowSymlinks), and the file's name in it.
bool StatParent(const std::string& path, struct stat* parent, std::string* name) {
  const fs::path p(path);
  *name = p.filename().string();
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  return ::stat(dir.c_str(), parent) == 0;
}

// True if the folder `dir` is `file`'s folder or one of its ancestors.
bool IsInside(const std::string& file, const struct stat& dir) {
  std::error_code ec;
  fs::path p = fs::canonical(file, ec);
  if (ec) return false;
  for (p = p.parent_path();; p = p.parent_path()) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && SameFile(st, dir)) return true;
    if (p == p.root_path() || p.empty()) return false;
  }
}

absl::Status Refuse(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrFormat("--output %s: %s", path, why));
}

}  // namespace

absl::Status CheckOutputPath(const std::string& path, const std::vector<std::string>& inputs,
                             const std::vector<std::string>& reserved) {
  if (path.empty() || path == "-") return absl::OkStatus();
  absl::StatusOr<std::string> target = FollowSymlinks(path);
  if (!target.ok()) return absl::InvalidArgumentError(absl::StrCat("--output ", target.status().message()));
  struct stat out;
  const bool exists = ::stat(target->c_str(), &out) == 0;
  if (exists) {
    if (const char* kind = RefusedKind(out.st_mode)) {
      return Refuse(path, absl::StrFormat("is %s; give a file name", kind));
    }
    for (const std::string& input : inputs) {
      struct stat in;
      const bool is_stdin = input == "-";
      if ((is_stdin ? ::fstat(STDIN_FILENO, &in) : ::stat(input.c_str(), &in)) != 0) continue;
      // A device written in place (/dev/null) may well be read too (/dev/null as an
      // empty input); only files are destroyed by writing.
      if (!S_ISREG(out.st_mode)) continue;
      const std::string name = is_stdin ? "standard input" : "the input " + input;
      if (SameFile(in, out)) {
        return Refuse(path, absl::StrFormat("is %s; refusing to overwrite an input", name));
      }
      if (S_ISDIR(in.st_mode) && IsInside(*target, in)) {
        return Refuse(path, absl::StrFormat("is inside %s; refusing to overwrite an input", name));
      }
    }
  }
  struct stat out_dir;
  std::string out_name;
  const bool out_dir_ok = StatParent(*target, &out_dir, &out_name);
  for (const std::string& r : reserved) {
    struct stat st;
    bool same = exists && ::stat(r.c_str(), &st) == 0 && SameFile(st, out);
    if (!same && out_dir_ok) {
      // Need not exist (an index's -wal file): compare folder and name.
      absl::StatusOr<std::string> rt = FollowSymlinks(r);
      struct stat r_dir;
      std::string r_name;
      same = rt.ok() && StatParent(*rt, &r_dir, &r_name) && SameFile(r_dir, out_dir) && r_name == out_name;
    }
    if (same) return Refuse(path, absl::StrFormat("would overwrite %s, which the command reads", r));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path) {
  std::unique_ptr<OutputFile> out(new OutputFile());
  out->path_ = path;
  absl::StatusOr<std::string> target = FollowSymlinks(path);
  if (!target.ok()) return target.status();
  struct stat st;
  if (::stat(target->c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (const char* kind = RefusedKind(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrFormat("%s: is %s; give a file name", path, kind));
    }
    // A character device or FIFO: no temporary file can replace it; write in place.
    out->in_place_.open(*target, std::ios::binary | std::ios::out);
    if (!out->in_place_) {
      return absl::UnavailableError(absl::StrFormat("%s: cannot open: %s", path, std::strerror(errno)));
    }
    return out;
  }
  absl::StatusOr<std::unique_ptr<AtomicFileWriter>> atomic = AtomicFileWriter::Open(path);
  if (!atomic.ok()) return atomic.status();
  out->atomic_ = *std::move(atomic);
  return out;
}

absl::Status OutputFile::Commit() {
  if (atomic_) return atomic_->Commit();
  in_place_.flush();
  if (!in_place_) return absl::UnavailableError(absl::StrFormat("%s: write failed", path_));
  in_place_.close();
  if (in_place_.fail()) return absl::UnavailableError(absl::StrFormat("%s: close failed", path_));
  return absl::OkStatus();
}

}  // namespace dedup
