// The story tier: features (story_terms.h), grouping (story.h), its report columns
// (report.h, story_report.h) and its evaluation (story_eval.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "dedup/report.h"
#include "dedup/story.h"
#include "dedup/story_eval.h"
#include "dedup/story_terms.h"

namespace dedup {
namespace {

StoryFeatures Features(std::string_view text) {
  StoryScratch scratch;
  StoryFeatures f;
  ExtractStoryFeatures(text, &scratch, &f);
  return f;
}

size_t Entities(const StoryFeatures& f) {
  return static_cast<size_t>(std::count_if(f.begin(), f.end(), [](uint32_t e) { return StoryIsEntity(e); }));
}

TEST(StoryTermsTest, SortedDistinctAndCapped) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "word" + std::to_string(i % 97) + "x Name" + std::to_string(i) + " ";
  const StoryFeatures f = Features(text);
  EXPECT_TRUE(std::is_sorted(f.begin(), f.end()));
  std::vector<uint32_t> keys;
  for (uint32_t e : f) keys.push_back(StoryKey(e));
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
  EXPECT_LE(f.size() - Entities(f), kMaxStoryTerms);
  EXPECT_LE(Entities(f), kMaxStoryEntities);
  EXPECT_EQ(Features(text), f);  // Deterministic.
}

TEST(StoryTermsTest, NamesNumbersAndSentenceStarts) {
  // A sentence-initial capitalized word alone is no name; stop words never are.
  EXPECT_EQ(Entities(Features("Rescue teams arrived late.")), 0u);
  EXPECT_EQ(Entities(Features("The teams arrived late.")), 0u);
  // A capitalized word inside a sentence is.
  EXPECT_EQ(Entities(Features("the quake hit Valparaiso on the coast")), 1u);
  // Two consecutive names: each, and the pair.
  EXPECT_EQ(Entities(Features("officials said Rodrigo Mundaca arrived")), 3u);
  // A sentence-initial name followed by another name counts (with the pair).
  EXPECT_EQ(Entities(Features("Diamond Shamrock cut prices")), 3u);
  // Numbers, with their decimal point.
  EXPECT_EQ(Entities(Features("a magnitude 7.1 quake")), 1u);
  // A title-case headline line gives no names; the next line does.
  EXPECT_EQ(Entities(Features("Big Quake Hits Coastal City\nthe quake hit Valparaiso")), 1u);
  // An all-capital word longer than an acronym is shouting, not a name.
  EXPECT_EQ(Entities(Features("prices fell, REUTER reported")), 0u);
  EXPECT_EQ(Entities(Features("the talks of OPEC ended")), 1u);
}

TEST(StoryTermsTest, UnspacedScriptsGiveCharacterTerms) {
  const StoryFeatures f = Features("東京で地震");  // 5 characters, all distinct.
  EXPECT_EQ(f.size(), 5u);
  EXPECT_EQ(Entities(f), 0u);
}

TEST(StoryTermsTest, ReadsOnlyTheLead) {
  std::string lead;
  while (lead.size() < kStoryLeadBytes - 10) lead += "quake rescue ";
  lead.resize(kStoryLeadBytes - 1);
  lead += " ";  // A token boundary at the cut.
  EXPECT_EQ(Features(lead + "Zanzibar Zanzibar lighthouse"), Features(lead));
}

TEST(StoryTermsTest, InvalidUtf8SeparatesTokens) {
  EXPECT_EQ(Features("quake\xff" "rescue"), Features("quake rescue"));
}

// Articles: two coverages each of two earthquakes (same words, different places,
// magnitudes and officials), plus unrelated filler so that IDF has a corpus.
std::vector<std::string> QuakeArticles() {
  return {
      "A powerful earthquake struck the city of Valparaiso in Chile on Tuesday, killing 34 people. "
      "Governor Rodrigo Mundaca said rescue teams searched collapsed buildings. The magnitude 7.1 quake "
      "was followed by aftershocks.",
      "Rescue teams in Valparaiso searched the rubble after a magnitude 7.1 earthquake killed 34 people in "
      "Chile, Governor Rodrigo Mundaca told reporters. Aftershocks rattled the region overnight.",
      "A powerful earthquake struck the city of Malatya in Turkey on Thursday, killing 12 people. "
      "Governor Hulusi Sahin said rescue teams searched collapsed buildings. The magnitude 6.4 quake "
      "was followed by aftershocks.",
      "Rescue teams in Malatya searched the rubble after a magnitude 6.4 earthquake killed 12 people in "
      "Turkey, Governor Hulusi Sahin told reporters. Aftershocks rattled the region overnight.",
      "The central bank of Norway kept its interest rate at 4.5 percent, said Governor Ida Wolden Bache.",
      "Shares of Voltara Motors rose after the carmaker reported record sales of its electric car.",
      "The football club of Porto signed a new striker from Brazil for 20 million euros.",
      "Heavy rain flooded streets in the town of Leeds, where firefighters pumped water from homes.",
  };
}

std::vector<uint32_t> Group(const std::vector<std::string>& texts, const std::vector<int64_t>& times,
                            const StoryOptions& options = {}) {
  std::vector<StoryFeatures> features;
  for (const std::string& t : texts) features.push_back(Features(t));
  std::vector<StoryDocument> docs;
  for (size_t i = 0; i < texts.size(); ++i) docs.push_back(StoryDocument{&features[i], times[i]});
  return GroupStories(docs, options).story;
}

TEST(GroupStoriesTest, TwoEarthquakesStayApart) {
  const std::vector<std::string> texts = QuakeArticles();
  const int64_t t0 = 1709600000;
  const std::vector<int64_t> times{t0, t0 + 7200, t0 + 86400, t0 + 90000, t0, t0, t0, t0};
  const std::vector<uint32_t> s = Group(texts, times);
  EXPECT_EQ(s[0], s[1]);  // One earthquake's two coverages.
  EXPECT_EQ(s[2], s[3]);
  EXPECT_NE(s[0], s[2]);  // Two earthquakes: two stories.
  for (size_t i = 4; i < s.size(); ++i) {
    for (size_t j = 0; j < s.size(); ++j) {
      if (j != i) EXPECT_NE(s[i], s[j]) << i << " " << j;
    }
  }
  // Numbered by first document.
  EXPECT_EQ(s[0], 0u);
  EXPECT_EQ(s[2], 1u);
}

TEST(GroupStoriesTest, ScoresAreSymmetricBoundedAndRankCoverageFirst) {
  const std::vector<std::string> texts = QuakeArticles();
  std::vector<StoryFeatures> features;
  for (const std::string& t : texts) features.push_back(Features(t));
  std::vector<StoryDocument> docs;
  for (const StoryFeatures& f : features) docs.push_back(StoryDocument{&f, kNoTime});
  const StoryScore same = ScoreStoryPair(docs, 0, 1, StoryOptions{});
  const StoryScore other = ScoreStoryPair(docs, 0, 2, StoryOptions{});
  const StoryScore back = ScoreStoryPair(docs, 1, 0, StoryOptions{});
  EXPECT_DOUBLE_EQ(same.term, back.term);
  EXPECT_DOUBLE_EQ(same.entity, back.entity);
  for (const StoryScore& s : {same, other}) {
    EXPECT_GE(s.term, 0.0);
    EXPECT_LE(s.term, 1.0 + 1e-6);  // Cosines of float unit vectors.
    EXPECT_GE(s.entity, 0.0);
    EXPECT_LE(s.entity, 1.0 + 1e-6);
  }
  // Two coverages of one quake agree on the names; two quakes barely do.
  EXPECT_GT(same.entity, other.entity);
  // A document with itself: cosine 1 (float weights: within 1e-6).
  const StoryScore self = ScoreStoryPair(docs, 0, 0, StoryOptions{});
  EXPECT_NEAR(self.term, 1.0, 1e-6);
  EXPECT_NEAR(self.entity, 1.0, 1e-6);
}

// The entity test is what keeps them apart: without it, their shared words join them.
TEST(GroupStoriesTest, WithoutTheEntityTestTheEarthquakesMerge) {
  const std::vector<std::string> texts = QuakeArticles();
  const int64_t t0 = 1709600000;
  const std::vector<int64_t> times{t0, t0 + 7200, t0 + 86400, t0 + 90000, t0, t0, t0, t0};
  StoryOptions words_only;
  words_only.entity_threshold = 0;
  const std::vector<uint32_t> s = Group(texts, times, words_only);
  EXPECT_EQ(s[0], s[2]);
}

TEST(GroupStoriesTest, TimeDecaySeparatesDistantCoverage) {
  const std::vector<std::string> texts = QuakeArticles();
  const int64_t t0 = 1709600000, day = 86400;
  // The decay at 30 days is exp(-100/2) ~ 2e-22: no similarity survives it.
  std::vector<int64_t> times{t0, t0 + 30 * day, t0, t0, t0, t0, t0, t0};
  std::vector<uint32_t> s = Group(texts, times);
  EXPECT_NE(s[0], s[1]);
  // Without times, no decay: together again.
  std::fill(times.begin(), times.end(), kNoTime);
  s = Group(texts, times);
  EXPECT_EQ(s[0], s[1]);
}

TEST(GroupStoriesTest, InputOrderDoesNotChangeThePartition) {
  const std::vector<std::string> texts = QuakeArticles();
  const int64_t t0 = 1709600000;
  const std::vector<int64_t> times{t0, t0 + 7200, t0 + 86400, t0 + 90000, t0, t0 + 1, t0 + 2, t0 + 3};
  const std::vector<uint32_t> base = Group(texts, times);
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0u);
  std::reverse(order.begin(), order.end());
  std::vector<std::string> t2;
  std::vector<int64_t> times2;
  for (size_t i : order) {
    t2.push_back(texts[i]);
    times2.push_back(times[i]);
  }
  const std::vector<uint32_t> other = Group(t2, times2);
  for (size_t a = 0; a < order.size(); ++a) {
    for (size_t b = 0; b < order.size(); ++b) {
      EXPECT_EQ(base[order[a]] == base[order[b]], other[a] == other[b]);
    }
  }
}

TEST(GroupStoriesTest, EmptyInputsAndEmptyFeatures) {
  EXPECT_TRUE(GroupStories({}, StoryOptions{}).story.empty());
  const std::vector<uint32_t> s = Group({"", "", "."}, {kNoTime, kNoTime, kNoTime});
  EXPECT_EQ(s, (std::vector<uint32_t>{0, 1, 2}));
}

TEST(GroupStoriesTest, ValidateRejectsBadOptions) {
  EXPECT_TRUE(ValidateStoryOptions(StoryOptions{}).ok());
  StoryOptions o;
  o.term_threshold = 0;
  EXPECT_FALSE(ValidateStoryOptions(o).ok());
  o = StoryOptions{};
  o.entity_threshold = 1.5;
  EXPECT_FALSE(ValidateStoryOptions(o).ok());
  o = StoryOptions{};
  o.time_sigma_days = -1;
  EXPECT_FALSE(ValidateStoryOptions(o).ok());
  o = StoryOptions{};
  o.min_shared_keys = o.keys_per_document + 1;
  EXPECT_FALSE(ValidateStoryOptions(o).ok());
}

// Four documents: clusters {a, b} {c} {d}; stories {cluster 0, cluster 1} {cluster 2}.
ClusterResult FourDocuments() {
  ClusterResult r;
  for (const char* id : {"a", "b", "c", "d"}) r.documents.push_back(DocumentResult{.id = id});
  r.documents[1].cluster = 0;
  r.documents[1].relation = Relation::kSimilar;
  r.documents[2].cluster = 1;
  r.documents[2].representative = 2;
  r.documents[3].cluster = 2;
  r.documents[3].representative = 3;
  r.clusters = {{0, 1}, {2}, {3}};
  r.stories = {0, 0, 1};
  return r;
}

TEST(StoryReportTest, StoryColumnAtTheEnd) {
  const ClusterResult r = FourDocuments();
  std::ostringstream tsv, csv, jsonl;
  WriteReport(r, ReportInfo{}, ReportFormat::kTsv, tsv);
  WriteReport(r, ReportInfo{}, ReportFormat::kCsv, csv);
  WriteReport(r, ReportInfo{}, ReportFormat::kJsonl, jsonl);
  EXPECT_EQ(tsv.str(),
            "id\tcluster\trepresentative\tsimilarity\trelation\tcontainment\tstory\n"
            "a\t0\ta\t1\trepresentative\t1\t0\n"
            "b\t0\ta\t1\tsimilar\t1\t0\n"
            "c\t1\tc\t1\trepresentative\t1\t0\n"
            "d\t2\td\t1\trepresentative\t1\t1\n");
  EXPECT_EQ(csv.str().substr(0, csv.str().find('\n')), "id,cluster,representative,similarity,relation,containment,story");
  EXPECT_NE(jsonl.str().find("\"containment\":1,\"story\":1}\n"), std::string::npos);
  // Without stories: no column.
  ClusterResult plain = r;
  plain.stories.clear();
  std::ostringstream plain_tsv;
  WriteReport(plain, ReportInfo{}, ReportFormat::kTsv, plain_tsv);
  EXPECT_EQ(plain_tsv.str().substr(0, plain_tsv.str().find('\n')),
            "id\tcluster\trepresentative\tsimilarity\trelation\tcontainment");
}

TEST(StoryReportTest, TextAndJsonNestStories) {
  const ClusterResult r = FourDocuments();
  std::ostringstream text, json;
  WriteReport(r, ReportInfo{}, ReportFormat::kText, text);
  WriteReport(r, ReportInfo{}, ReportFormat::kJson, json);
  EXPECT_NE(text.str().find("stories: 1 with two or more clusters (of 2)\n\nstory 0: 2 clusters, 3 documents\n"
                            "  cluster 0: 2 documents\n    * a\n      b\n  cluster 1: 1 document\n    * c\n"),
            std::string::npos)
      << text.str();
  EXPECT_NE(json.str().find("\"stories\": [\n    {\"story\": 0, \"clusters\": 2, \"documents\": 3, \"members\": "
                            "[{\"cluster\": 0, \"representative\": \"a\", \"documents\": [\"a\", \"b\"]}, "
                            "{\"cluster\": 1, \"representative\": \"c\", \"documents\": [\"c\"]}]}\n  ]\n}\n"),
            std::string::npos)
      << json.str();
}

TEST(StoryEvalTest, BCubedAndSameKindMergesByHand) {
  // Predicted stories {a, b, c} {d}; true stories q1 = {a, b}, q2 = {c, d}, both earthquakes.
  const ClusterResult r = FourDocuments();
  const GroundTruth truth = GroundTruth::FromRecords({{"a", {"a", "original", "", "q1", "quake"}},
                                                      {"b", {"a", "copy", "", "q1", "quake"}},
                                                      {"c", {"c", "original", "", "q2", "quake"}},
                                                      {"d", {"d", "original", "", "q2", "quake"}}});
  absl::StatusOr<StoryEvaluation> e = EvaluateStories(r, truth);
  ASSERT_TRUE(e.ok()) << e.status();
  // Per document (precision, recall): a, b (2/3, 1); c (1/3, 1/2); d (1, 1/2).
  EXPECT_NEAR(e->bcubed_precision, (2.0 / 3 + 2.0 / 3 + 1.0 / 3 + 1) / 4, 1e-12);
  EXPECT_NEAR(e->bcubed_recall, (1 + 1 + 0.5 + 0.5) / 4, 1e-12);
  // Pairs: predicted ab ac bc, true ab cd: 1 of 3 predicted true, 1 of 2 found.
  EXPECT_EQ(e->pairs.true_positives, 1);
  EXPECT_NEAR(e->pairs.precision, 1.0 / 3, 1e-12);
  EXPECT_NEAR(e->pairs.recall, 0.5, 1e-12);
  ASSERT_EQ(e->same_kind_merges.size(), 1u);
  EXPECT_EQ(e->same_kind_merges[0], std::make_pair(std::string("q1"), std::string("q2")));

  ClusterResult no_stories = r;
  no_stories.stories.clear();
  EXPECT_FALSE(EvaluateStories(no_stories, truth).ok());
}

}  // namespace
}  // namespace dedup
