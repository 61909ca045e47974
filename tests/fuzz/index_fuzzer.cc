// Fuzzes opening an ingestion index (dedup/ingest_index.h) from arbitrary bytes:
// IngestIndex::Open (read-only) and IngestIndex::VerifyFile on a file holding them.
// Neither may crash, leak or hang; an index that opens is consistent enough to answer
// Stats() and ExportClusters() and to verify without an I/O error.
//
// Speed: the file lives in a private folder under /dev/shm (tmpfs) when there is one.
// Most mutations change the length, and Open() refuses a file that is not a whole
// number of pages before SQLite sees it; so after trying the bytes as they are, the
// target also pads them with zeros to a whole number of pages (the page size from the
// header), which lets mutations reach SQLite and the index's own checks.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "dedup/ingest_index.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const std::string& IndexPath() {
  static const std::string* path = [] {
    const char* tmpdir = std::getenv("TMPDIR");
    const std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmpdir != nullptr ? tmpdir : "/tmp";
    std::string dir = base + "/dedup-index-fuzzer-XXXXXX";
    FUZZ_CHECK(::mkdtemp(dir.data()) != nullptr);
    static const std::string* folder = new std::string(dir);
    std::atexit([] { ::rmdir(folder->c_str()); });  // Empty by then: Check() cleans up.
    return new std::string(dir + "/fuzz.dedup");
  }();
  return *path;
}

void RemoveFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

void Check(std::string_view bytes) {
  const std::string& path = IndexPath();
  RemoveFiles(path);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    FUZZ_CHECK(out.good());
  }
  dedup::IngestOptions options;
  options.read_only = true;
  options.threads = 1;
  options.clock = [] { return int64_t{1700000000}; };
  absl::StatusOr<std::unique_ptr<dedup::IngestIndex>> index = dedup::IngestIndex::Open(path, options);
  if (index.ok()) {
    const dedup::IndexStats stats = (*index)->Stats();
    FUZZ_CHECK(stats.documents >= 0);
    const dedup::ClusterResult clusters = (*index)->ExportClusters(/*dense_ids=*/true);
    (void)clusters;
    index->reset();
  } else {
    FUZZ_CHECK(!index.status().message().empty());
  }
  dedup::VerifyOptions verify;
  verify.max_problems = 5;
  absl::StatusOr<dedup::VerifyReport> report = dedup::IngestIndex::VerifyFile(path, verify);
  // Any bytes get a report (problems listed) or an error that says what went wrong.
  if (!report.ok()) FUZZ_CHECK(!report.status().message().empty());
  RemoveFiles(path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check(bytes);
  if (size >= 100 && bytes.starts_with(std::string_view("SQLite format 3\0", 16))) {
    const unsigned raw = (unsigned{data[16]} << 8) | data[17];
    const size_t page = raw == 1 ? 65536 : raw;
    if (page >= 512 && page <= 65536 && (page & (page - 1)) == 0 && size % page != 0) {
      std::string padded(bytes);
      padded.resize((size / page + 1) * page, '\0');
      Check(padded);
    }
  }
  return 0;
}
