// The HTML report (report_html.h): escaping of untrusted strings, the size bound,
// byte-identical output, and agreement with PairExplainer as `dedup explain` runs it.
#include "dedup/report_html.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace dedup {
namespace {

namespace fs = std::filesystem;

size_t Count(const std::string& haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// The JSON data block of a report.
std::string DataBlock(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"data\">";
  const size_t from = html.find(open);
  EXPECT_NE(from, std::string::npos);
  const size_t to = html.find("</script>", from);
  return html.substr(from + open.size(), to - from - open.size());
}

class ReportHtmlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / absl::StrFormat("dedup_report_html_test_%d", ::getpid());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << content;
    return path;
  }

  // As `dedup cluster --format html` makes it.
  static std::string Report(const std::vector<std::string>& inputs, const HtmlReportOptions& html_options,
                            int threads = 0) {
    PipelineOptions options;
    options.threads = threads;
    options.snippet_chars = 72;
    options.keep_boilerplate_model = true;
    absl::StatusOr<PipelineResult> result = RunClusterPipeline(inputs, options);
    EXPECT_TRUE(result.ok()) << result.status();
    absl::StatusOr<PairExplainer> explainer = PairExplainer::Create(options, std::move(result->boilerplate_model));
    EXPECT_TRUE(explainer.ok());
    HtmlReportTexts texts;
    texts.options = html_options;
    texts.explainer = &*explainer;
    auto docs = ReadReportDocuments(inputs, options.corpus, result->clusters,
                                    HtmlReportTextDocuments(result->clusters, html_options));
    EXPECT_TRUE(docs.ok()) << docs.status();
    texts.documents = *std::move(docs);
    ReportInfo info;
    info.shingle_spec = ShingleSpec(options.sketch.shingle);
    info.num_perm = options.sketch.num_perm;
    info.threshold = options.cluster.threshold;
    std::ostringstream out;
    EXPECT_TRUE(WriteHtmlReport(result->clusters, info, &texts, out).ok());
    return out.str();
  }

  fs::path dir_;
};

TEST(HtmlEscapeTest, EscapesMarkupQuotesAndInvalidUtf8) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(HtmlEscape("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(HtmlEscape("bad \xC3 \xFF"), "bad \xEF\xBF\xBD \xEF\xBF\xBD");
  EXPECT_EQ(HtmlEscape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // A surrogate: 3 bad bytes.
}

TEST(HtmlEscapeTest, ScriptSafeJsonCannotEndTheScriptElement) {
  EXPECT_EQ(ScriptSafeJsonQuote("</script><!-- & \"q\""), "\"\\u003c/script\\u003e\\u003c!-- \\u0026 \\\"q\\\"\"");
  EXPECT_EQ(ScriptSafeJsonQuote("a\xE2\x80\xA8" "b\xE2\x80\xA9"), "\"a\\u2028b\\u2029\"");
  EXPECT_EQ(ScriptSafeJsonQuote("x\xFFy"), "\"x\xEF\xBF\xBDy\"");
}

TEST_F(ReportHtmlTest, UntrustedIdsSourcesAndTextsAreEscaped) {
  const std::string hostile = "</script><img src=x onerror=\\\"alert(1)\\\"> 'q' \\\"dq\\\"";
  std::string body;
  for (int w = 0; w < 80; ++w) body += absl::StrFormat("word%d ", w);
  std::string corpus;
  for (int i = 0; i < 2; ++i) {
    corpus += absl::StrFormat("{\"id\": \"%s%d\", \"source\": \"%s\", \"text\": \"%s %s\"}\n", hostile, i, hostile,
                              hostile, body);
  }
  const std::string html = Report({Write("hostile.jsonl", corpus)}, HtmlReportOptions{});
  EXPECT_EQ(Count(html, "</script>"), 2u);  // The data block's end and the script's end.
  EXPECT_EQ(Count(html, "<script"), 2u);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  // Outside the data block the strings appear nowhere; inside it as JSON (quotes escaped).
  std::string page = html;
  page.erase(page.find(DataBlock(html)), DataBlock(html).size());
  EXPECT_EQ(page.find("'q'"), std::string::npos);
  EXPECT_EQ(page.find("onerror"), std::string::npos);
  EXPECT_NE(DataBlock(html).find("\\\"dq\\\""), std::string::npos);
  // The data decodes to the original strings.
  simdjson::dom::parser parser;
  simdjson::dom::element data;
  ASSERT_EQ(parser.parse(simdjson::padded_string(DataBlock(html))).get(data), simdjson::SUCCESS);
  const std::string id0 = "</script><img src=x onerror=\"alert(1)\"> 'q' \"dq\"0";
  bool found = false;
  for (auto [key, value] : data["docs"].get_object()) {
    std::string_view id = value.at(0).get_string().value();
    std::string_view source = value.at(1).get_string().value();
    if (id == id0) {
      found = true;
      EXPECT_EQ(source, "</script><img src=x onerror=\"alert(1)\"> 'q' \"dq\"");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(data["pairs"].get_object().size(), 1u);
}

// Texts are cut at max_tokens_per_document and kept for max_documents_with_text
// documents: doubling every text's length changes only a few numbers, not the size.
TEST_F(ReportHtmlTest, SizeIsBoundedByTheTextCaps) {
  auto corpus = [&](int words) {
    std::string out;
    for (int c = 0; c < 40; ++c) {
      std::string text;
      for (int w = 0; w < words; ++w) text += absl::StrFormat("s%d w%d ", c, w);
      out += absl::StrFormat("{\"id\": \"c%d-a\", \"text\": \"%s\"}\n{\"id\": \"c%d-b\", \"text\": \"%s tail\"}\n", c,
                             text, c, text);
    }
    return Write(absl::StrFormat("size%d.jsonl", words), out);
  };
  HtmlReportOptions caps;
  caps.max_documents_with_text = 30;
  caps.max_tokens_per_document = 50;
  const std::string small = Report({corpus(500)}, caps);
  const std::string large = Report({corpus(1000)}, caps);
  simdjson::dom::parser parser;
  simdjson::dom::element data;
  ASSERT_EQ(parser.parse(simdjson::padded_string(DataBlock(large))).get(data), simdjson::SUCCESS);
  EXPECT_EQ(data["texts"].get_object().size(), 30u);
  EXPECT_EQ(data["pairs"].get_object().size(), 15u);  // 15 clusters of 2 hold the 30 texts.
  EXPECT_EQ(data["clusters"].get_array().size(), 40u);
  for (auto [key, text] : data["texts"].get_object()) {
    const std::string_view w = text["w"].get_string().value();
    const std::vector<std::string> words = absl::StrSplit(absl::string_view(w.data(), w.size()), ' ');
    EXPECT_EQ(words.size(), 50u);
    EXPECT_GE(text["n"].get_int64().value(), 2000);
  }
  // Per text only "n" (4 digits either way) and the passage lengths differ.
  EXPECT_LT(std::max(small.size(), large.size()) - std::min(small.size(), large.size()), 200u);
}

TEST_F(ReportHtmlTest, BytesDoNotDependOnThreadsOrRuns) {
  const std::string news = std::string(DEDUP_SOURCE_DIR) + "/fixtures/news.jsonl";
  const std::string one = Report({news}, HtmlReportOptions{}, 1);
  EXPECT_EQ(one, Report({news}, HtmlReportOptions{}, 2));
  EXPECT_EQ(one, Report({news}, HtmlReportOptions{}, 0));
}

// Every side-by-side view says what PairExplainer says for (member, canonical) with the
// model `dedup explain --corpus` learns, and its highlighted tokens spell the passages.
TEST_F(ReportHtmlTest, SideBySideAgreesWithExplain) {
  const std::vector<std::string> inputs = {std::string(DEDUP_SOURCE_DIR) + "/fixtures/news.jsonl"};
  const std::string html = Report(inputs, HtmlReportOptions{});
  PipelineOptions options;
  absl::StatusOr<BoilerplateModel> model = LearnBoilerplate(inputs, options);
  ASSERT_TRUE(model.ok());
  absl::StatusOr<PairExplainer> explainer = PairExplainer::Create(options, *std::move(model));
  ASSERT_TRUE(explainer.ok());
  std::vector<Document> docs;
  {
    auto reader = CorpusReader::Open(inputs, options.corpus);
    ASSERT_TRUE(reader.ok());
    Document d;
    while (*(*reader)->Next(&d)) docs.push_back(d);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element data;
  ASSERT_EQ(parser.parse(simdjson::padded_string(DataBlock(html))).get(data), simdjson::SUCCESS);
  int pairs = 0, with_chrome = 0, passages_checked = 0;
  for (simdjson::dom::element cluster : data["clusters"].get_array()) {
    simdjson::dom::array members = cluster["m"].get_array();
    const int64_t canonical = members.at(0).at(0).get_int64().value();
    for (size_t i = 1; i < members.size(); ++i) {
      const int64_t member = members.at(i).at(0).get_int64().value();
      simdjson::dom::element pair;
      ASSERT_EQ(data["pairs"][std::to_string(member)].get(pair), simdjson::SUCCESS);
      absl::StatusOr<PairExplanation> x = explainer->Explain(docs[member], docs[canonical]);
      ASSERT_TRUE(x.ok());
      SCOPED_TRACE(docs[member].id);
      ++pairs;
      EXPECT_EQ(pair["v"].get_string().value(), explainer->Verdict(x->by_estimate, x->estimate, *x));
      EXPECT_EQ(pair["d"].get_string().value(), MatchKindName(x->by_estimate));
      EXPECT_EQ(pair["np"].get_int64().value(), static_cast<int64_t>(x->a.passages.size()));
      EXPECT_NEAR(pair["ej"].get_double().value(), x->estimate.jaccard, 5e-6);  // %.6g of a value < 1.
      EXPECT_NEAR(pair["xj"].get_double().value(), x->exact.jaccard, 5e-6);
      EXPECT_NEAR(pair["xab"].get_double().value(), x->exact.a_in_b, 5e-6);
      EXPECT_NEAR(pair["eba"].get_double().value(), x->estimate.b_in_a, 5e-6);
      // The member's highlighted tokens, run by run, spell its shared passages (those
      // wholly inside the shown tokens and not broken by a boilerplate line).
      simdjson::dom::element text = data["texts"][std::to_string(member)];
      const std::string_view w = text["w"].get_string().value();
      const std::vector<std::string> words = absl::StrSplit(absl::string_view(w.data(), w.size()), ' ');
      std::string marked;
      for (simdjson::dom::element run : pair["sa"].get_array()) {
        const int64_t from = run.at(0).get_int64().value(), to = run.at(1).get_int64().value();
        for (int64_t t = from; t < to; ++t) marked += words[t] + " ";
        marked += "| ";
      }
      if (!text["x"].get_array().size() && !x->a.passages.empty()) {
        const TokenRun& longest = x->a.passages[0];
        if (longest.first_token + longest.tokens <= words.size()) {
          EXPECT_NE(marked.find(std::string(x->a.kept.span(longest.first_token, longest.tokens)) + " "),
                    std::string::npos);
          ++passages_checked;
        }
      }
      if (data["texts"][std::to_string(canonical)]["x"].get_array().size() > 0) ++with_chrome;
    }
  }
  EXPECT_EQ(pairs, data["pairs"].get_object().size());
  EXPECT_GT(pairs, 20);
  EXPECT_GT(with_chrome, 0);  // The fixtures exercise boilerplate lines.
  EXPECT_GT(passages_checked, 10);
}

}  // namespace
}  // namespace dedup
