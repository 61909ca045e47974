// Tests of dedup serve's request handling without sockets: the Router (routes.h) as a
// function from request to response, the GroupCommitter (group_commit.h) under
// concurrent units, the metrics exposition (metrics.h) and the answer JSON (answers.h).
// The HTTP layer and the whole process are tested end to end by serve_test.py.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "dedup/serve/answers.h"
#include "dedup/serve/group_commit.h"
#include "dedup/serve/metrics.h"
#include "dedup/serve/routes.h"
#include "tests/ingest_test_util.h"

namespace dedup::serve {
namespace {

using dedup::testing::TempDir;

HttpRequest Post(std::string target, std::string body, std::string token = "") {
  HttpRequest r;
  r.method = "POST";
  r.target = std::move(target);
  r.content_type = "application/json";
  r.body = std::move(body);
  if (!token.empty()) r.authorization = "Bearer " + token;
  return r;
}

HttpRequest Get(std::string target) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

// The error code of a JSON error body ("" if it is not one).
std::string ErrorCode(const HttpResponse& r) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(r.body).get(root)) return "";
  std::string_view code;
  if (root["error"]["code"].get(code)) return "";
  return std::string(code);
}

std::string Text(int i) {
  return absl::StrFormat("document number %d talks about subject %d with words %d %d %d and more", i, i * 7, i,
                         i + 1, i + 2);
}

class RouterTest : public ::testing::Test {
 protected:
  void Open(RouterOptions options = {}) {
    IngestOptions o;
    o.durability = Durability::kNormal;
    o.threads = 1;
    auto index = IngestIndex::Create(dir_.File("t.dedup"), o);
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = std::move(*index);
    committer_ = std::make_unique<GroupCommitter>(index_.get(), GroupCommitter::Options{}, &metrics_);
    router_ = std::make_unique<Router>(options, &metrics_);
    router_->SetIndex(index_.get(), committer_.get());
  }

  TempDir dir_;
  Metrics metrics_;
  std::unique_ptr<IngestIndex> index_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<Router> router_;
};

TEST(RouterNoIndexTest, ReadyzIs503WhileLoadingAndBadRequestsAreRefusedFirst) {
  Metrics metrics;
  Router router({}, &metrics);
  EXPECT_EQ(router.Handle(Get("/healthz")).status, 200);
  HttpResponse ready = router.Handle(Get("/readyz"));
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ErrorCode(ready), "unavailable");
  // A bad body is a 400 whether the index is open or not; a good one waits for it.
  EXPECT_EQ(router.Handle(Post("/v1/documents", "{")).status, 400);
  EXPECT_EQ(router.Handle(Post("/v1/documents", R"({"id":"a","text":"b"})")).status, 503);
  EXPECT_EQ(router.Handle(Get("/v1/documents/a")).status, 503);
  router.SetLoadError(absl::DataLossError("t.dedup: truncated"));
  EXPECT_NE(router.Handle(Get("/readyz")).body.find("truncated"), std::string::npos);
  EXPECT_EQ(router.Handle(Get("/metrics")).status, 200);
}

TEST_F(RouterTest, StatusesAndRouteTemplates) {
  Open();
  HttpResponse r = router_->Handle(Get("/nowhere"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.route, "unmatched");
  r = router_->Handle(Get("/v1/documents"));
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "POST");
  HttpRequest wrong_type = Post("/v1/documents", R"({"id":"a","text":"b"})");
  wrong_type.content_type = "text/plain";
  EXPECT_EQ(router_->Handle(wrong_type).status, 415);
  r = router_->Handle(Post("/v1/documents", R"({"id":"a"})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"(missing field \"text\")"), std::string::npos) << r.body;
  r = router_->Handle(Get("/v1/documents/a%2Fb?x=1"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.route, "GET /v1/documents/{id}");
  EXPECT_NE(r.body.find("a/b"), std::string::npos) << r.body;  // Percent-decoded.
}

TEST_F(RouterTest, BatchLimitIs413AndABatchIsAllOrNothing) {
  RouterOptions options;
  options.max_batch_documents = 2;
  Open(options);
  const std::string three = absl::StrFormat(
      R"({"documents":[{"id":"a","text":"%s"},{"id":"b","text":"%s"},{"id":"c","text":"%s"}]})", Text(1), Text(2),
      Text(3));
  EXPECT_EQ(router_->Handle(Post("/v1/documents", three)).status, 413);
  ASSERT_EQ(router_->Handle(Post("/v1/documents", absl::StrFormat(R"({"id":"a","text":"%s"})", Text(1)))).status,
            200);
  HttpResponse r = router_->Handle(Post(
      "/v1/documents", absl::StrFormat(R"({"documents":[{"id":"b","text":"%s"},{"id":"a","text":"other"}]})", Text(2))));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("documents[1]"), std::string::npos) << r.body;
  EXPECT_EQ(router_->Handle(Get("/v1/documents/b")).status, 404);
}

TEST_F(RouterTest, AnswersAreThoseOfTheIndex) {
  Open();
  HttpResponse r = router_->Handle(Post("/v1/documents", absl::StrFormat(R"({"id":"a","text":"%s"})", Text(1))));
  ASSERT_EQ(r.status, 200);
  CheckResult expected;
  expected.id = "a";
  expected.cluster = 1;
  expected.canonical = "a";
  EXPECT_EQ(r.body, CheckResultJson(expected));
  r = router_->Handle(Post("/v1/query", absl::StrFormat(R"({"id":"q","text":"%s"})", Text(1))));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("decision":"duplicate")"), std::string::npos) << r.body;
  EXPECT_EQ(router_->Handle(Get("/v1/documents/q")).status, 404);
  r = router_->Handle(Get("/v1/clusters/1"));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("members":["a"])"), std::string::npos) << r.body;
}

TEST_F(RouterTest, TokenGuardsWritesAndOptionallyReads) {
  RouterOptions options;
  options.token = "tok";
  options.auth_reads = true;
  Open(options);
  const std::string doc = absl::StrFormat(R"({"id":"a","text":"%s"})", Text(1));
  EXPECT_EQ(router_->Handle(Post("/v1/documents", doc)).status, 401);
  EXPECT_EQ(router_->Handle(Post("/v1/documents", doc, "tok2")).status, 401);
  EXPECT_EQ(router_->Handle(Post("/v1/documents", doc, "tok")).status, 200);
  EXPECT_EQ(router_->Handle(Get("/v1/documents/a")).status, 401);
  EXPECT_EQ(router_->Handle(Get("/metrics")).status, 401);
  EXPECT_EQ(router_->Handle(Get("/healthz")).status, 200);
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

// Many threads insert at once, one of them with a conflicting text: only that unit fails,
// every other commits, and the commits are fewer than the units (they were gathered).
TEST(GroupCommitterTest, AConflictFailsOnlyItsUnitAndUnitsShareCommits) {
  TempDir dir;
  IngestOptions o;
  o.threads = 1;
  auto index = IngestIndex::Create(dir.File("g.dedup"), o);
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_TRUE((*index)->CheckAndInsert(Document{.id = "x", .text = Text(0)}).ok());
  Metrics metrics;
  GroupCommitter committer(index->get(), {}, &metrics);
  constexpr int kThreads = 16, kPerThread = 8;
  std::atomic<int> ok{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::vector<Document> unit = {Document{.id = absl::StrFormat("d%d-%d", t, i), .text = Text(t * 100 + i + 1)}};
        if (t == 3 && i == 4) unit.push_back(Document{.id = "x", .text = "another text"});
        GroupCommitter::Outcome out = committer.Insert(std::move(unit));
        if (out.status.ok()) {
          ++ok;
        } else {
          EXPECT_TRUE(absl::IsAlreadyExists(out.status)) << out.status;
          EXPECT_EQ(out.failed, 1u);
          ++conflicts;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  committer.Stop();
  EXPECT_EQ(ok.load(), kThreads * kPerThread - 1);
  EXPECT_EQ(conflicts.load(), 1);
  EXPECT_EQ((*index)->Stats().documents, 1 + kThreads * kPerThread - 1);
  EXPECT_FALSE((*index)->FindDocument("d3-4").has_value());  // Its unit is all or nothing.
  const std::string text = metrics.Render(nullptr);
  EXPECT_NE(text.find("dedup_commit_batch_documents_count"), std::string::npos);
  EXPECT_EQ(committer.Insert({Document{.id = "late", .text = "t"}}).status.code(), absl::StatusCode::kUnavailable);
}

TEST(MetricsTest, HistogramsAreCumulative) {
  Metrics m;
  m.CountRequest("GET /healthz", 200, 0.0002);
  m.CountRequest("GET /healthz", 200, 3);
  const std::string text = m.Render(nullptr);
  EXPECT_NE(text.find("dedup_http_requests_total{route=\"GET /healthz\",status=\"200\"} 2"), std::string::npos);
  EXPECT_NE(text.find("dedup_http_request_duration_seconds_bucket{route=\"GET /healthz\",le=\"0.00025\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("dedup_http_request_duration_seconds_bucket{route=\"GET /healthz\",le=\"+Inf\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("dedup_http_request_duration_seconds_count{route=\"GET /healthz\"} 2"), std::string::npos);
}

TEST(AnswersTest, ErrorJsonQuotes) {
  EXPECT_EQ(ErrorJson("conflict", "id \"a\""), R"({"error":{"code":"conflict","message":"id \"a\""}})");
  CheckResult r;
  r.id = "b";
  r.decision = Decision::kDuplicate;
  r.cluster = 3;
  r.canonical = "a";
  r.similarity = 0.5;
  r.containment = 0.25;
  r.merged = {4, 5};
  EXPECT_EQ(CheckResultJson(r),
            R"({"id":"b","decision":"duplicate","cluster":3,"canonical":"a","similarity":0.5,"containment":0.25,"merged":[4,5]})");
}

}  // namespace
}  // namespace dedup::serve
