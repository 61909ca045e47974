// Fuzzes dedup serve's request handling (dedup/serve/routes.h) without sockets: the
// input is split into a request as
//   METHOD \n TARGET \n CONTENT-TYPE \n AUTHORIZATION \n BODY
// and handed to a Router over a real index (in a private folder under /dev/shm when
// there is one; recreated every 256 inputs so that inserts do not pile up). Nothing may
// crash, leak or hang, and every response must be well formed: a known status, a route
// label, and for JSON a body that parses -- an error body with a code and a message.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <simdjson.h>

#include "dedup/ingest_index.h"
#include "dedup/serve/group_commit.h"
#include "dedup/serve/metrics.h"
#include "dedup/serve/routes.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

struct State {
  std::string dir;
  std::string path;
  dedup::serve::Metrics metrics;
  std::unique_ptr<dedup::IngestIndex> index;
  std::unique_ptr<dedup::serve::GroupCommitter> committer;
  std::unique_ptr<dedup::serve::Router> router;
  int uses = 0;

  void Reset() {
    if (router) router->SetIndex(nullptr, nullptr);
    committer.reset();
    index.reset();
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
    dedup::IngestOptions options;
    options.durability = dedup::Durability::kNormal;
    options.threads = 1;
    options.clock = [] { return int64_t{1700000000}; };
    auto created = dedup::IngestIndex::Create(path, options);
    FUZZ_CHECK(created.ok());
    index = std::move(*created);
    committer = std::make_unique<dedup::serve::GroupCommitter>(index.get(), dedup::serve::GroupCommitter::Options{},
                                                                 &metrics);
    router->SetIndex(index.get(), committer.get());
    uses = 0;
  }
};

State& GetState() {
  static State* state = [] {
    auto* s = new State;
    const char* tmpdir = std::getenv("TMPDIR");
    const std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmpdir != nullptr ? tmpdir : "/tmp";
    s->dir = base + "/dedup-serve-fuzzer-XXXXXX";
    FUZZ_CHECK(::mkdtemp(s->dir.data()) != nullptr);
    s->path = s->dir + "/fuzz.dedup";
    dedup::serve::RouterOptions options;
    options.max_batch_documents = 8;
    options.token = "t";
    s->router = std::make_unique<dedup::serve::Router>(options, &s->metrics);
    s->Reset();
    std::atexit([] {
      State& st = GetState();
      st.router->SetIndex(nullptr, nullptr);
      st.committer.reset();
      st.index.reset();
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((st.path + suffix).c_str());
      ::rmdir(st.dir.c_str());
    });
    return s;
  }();
  return *state;
}

std::string_view NextLine(std::string_view* rest) {
  const size_t nl = rest->find('\n');
  std::string_view line = rest->substr(0, nl);
  rest->remove_prefix(nl == std::string_view::npos ? rest->size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  State& state = GetState();
  if (++state.uses > 256) state.Reset();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  dedup::serve::HttpRequest request;
  request.method = std::string(NextLine(&rest));
  request.target = std::string(NextLine(&rest));
  request.content_type = std::string(NextLine(&rest));
  request.authorization = std::string(NextLine(&rest));
  request.body = std::string(rest);
  const dedup::serve::HttpResponse response = state.router->Handle(request);
  static const std::set<int> kStatuses = {200, 400, 401, 404, 405, 409, 413, 415, 500, 503, 507};
  FUZZ_CHECK(kStatuses.count(response.status) == 1);
  FUZZ_CHECK(!response.route.empty());
  if (response.content_type == "application/json") {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    FUZZ_CHECK(!parser.parse(response.body).get(root));
    if (response.status != 200) {
      std::string_view code, message;
      FUZZ_CHECK(!root["error"]["code"].get(code));
      FUZZ_CHECK(!root["error"]["message"].get(message));
    }
  }
  // The server never answers 500 to a request: every failure has a meaning.
  FUZZ_CHECK(response.status != 500);
  return 0;
}
