// Deterministic generator of a news-like corpus with ground truth, for measuring dedup.
//
// The generator writes N synthetic wire-style articles. Most are originals; a configurable share
// are near-duplicate variants of an earlier original, and the truth file names each document's
// root original and the kind of change, so precision/recall can be computed exactly:
//
//   corpus.jsonl (one JSON object per line):
//     {"id":"doc000041","text":"The Harbor Times\nHome | World | ...\n\nOkafor defends ...",
//      "source":"site07.example","published":"2023-03-01T03:12:00Z"}
//   truth.tsv:
//     id          source_id   kind      topic
//     doc000041   doc000041   original  topic000017
//     doc000058   doc000041   trunc     topic000017
//
// Kinds (see VariantKind): `original`; `chrome` (same body under another site's header/footer);
// `edit` (typos, ’→' quote style, house-style synonym swaps); `drop` (one paragraph removed); `add`
// (one paragraph inserted); `trunc` (cut to 55-80% of the body's words at a sentence boundary);
// `combo` (two or three of chrome/edit/drop/add/trunc). Only `chrome` and a `combo` that includes
// chrome move the copy to another site; the single-change kinds stay on the original's site (an
// updated or re-published version), so each of them isolates exactly one kind of change.
//
// The hard profile (ApplyProfile("hard"), `dedup-gen-corpus --profile hard`) adds the phenomena
// that a real held-out corpus showed the defaults to miss, each its own kind so that recall can be
// reported per class. All of them are off in the default profile, whose output is byte-identical
// to the generator's before they existed.
//   `aggfooter`   a copy on an aggregator site: the body unchanged, a small header, and directly
//                 after the article's last paragraph a long disclaimer paragraph (~90 words,
//                 "DISCLAIMER:- Denial of responsibility! <site> is an automatic aggregator ...")
//                 and "Read original article here". Two or three copies of one original, each on
//                 a different aggregator, so the lines next to the chrome (headline, last
//                 paragraph) appear in several documents: they are not "found nowhere else".
//                 Half of the aggregators (the first, third, ...) name the original's site in
//                 the `source` field, as feeds that credit the publisher do; the others their
//                 own domain ("news24.example"), under which the copies' neighbouring lines are
//                 unique within that source.
//   `shortfooter` a short item (60-120 words) on one aggregator: a new short original is written
//                 on its own site with its own chrome, and its copy appears later under that
//                 aggregator's footer, which is longer than the item. Every shortfooter item
//                 ends with the same footer, line for line; the items are different articles
//                 and must never be grouped with each other. That aggregator names the
//                 publisher in `source`, so the footer has no source of its own.
//   `deeptrunc`   cut to 25-45% of the paragraphs, ~8% of the words edited (synonyms, typos),
//                 under another site's chrome.
//   `promo`       a paragraph dropped, one or two promo lines inserted ("Subscribe to ...",
//                 "READ MORE: <another headline>", "Follow us on ..."; wording fixed per site),
//                 ~5% of the words edited, under another site's chrome.
//   `zhedit`      a heavily edited copy of a Chinese original (GenerateOptions::zh_rate; Chinese
//                 originals are `original`s with their own topics, written from a small Chinese
//                 grammar in bench/zh_vocab.inc on Chinese sites with Chinese chrome): 10-15% of
//                 the Han characters substituted (phrase synonyms, then single characters), a
//                 sentence dropped and/or two sentences swapped, another Chinese site's chrome.
//   `hot`         one hot story syndicated hot_copies (200) times with no chrome at all, on many
//                 sites, half of the copies identical and half lightly edited: its paragraphs
//                 recur in 200 documents yet are article text. The story's original is an
//                 `original` without chrome too. One starts every hot_interval documents.
// Their shares: kind_weights (aggfooter and shortfooter weigh a pick, which writes two or three
// copies, or a short original and its copy), zh_rate, and the hot_* options.
//
// Every document carries its site's fixed header and footer (15-80 words each), because real
// scraped pages repeat their boilerplate on every article: short unrelated articles of one site
// share those shingles, and a chrome copy of a short article is far from Jaccard 1.
//
// Hard negatives: an original may join a recent *topic* instead of starting a new one. Articles
// of one topic share named entities, roles, organisations, the key event and topic vocabulary,
// but their sentences are generated independently (and they appear on different sites), so they
// are different articles that a good detector must keep apart. The truth file's `topic` column
// lets an evaluation find them (originals sharing a topic).
//
// Text comes from a probabilistic grammar over a built-in vocabulary (bench/news_vocab.inc: a few
// hundred names, ~60 countries with their cities, ten news domains with their own nouns, roles,
// organisations, events and sentence templates). Word lists are sampled with Zipf-like weights,
// so word frequencies are heavy-tailed as in real text.
//
// Determinism: the output depends only on GenerateOptions. Randomness is xoshiro256** seeded
// through splitmix64, with hand-written bounded-integer sampling and integer weights (no
// std::*_distribution, whose output is implementation-defined, and no libm calls), so the same
// options give byte-identical files on every platform. The corpus streams: only a bounded pool of
// recent originals (GenerateOptions::pool_size, English and Chinese each), the running hot story
// and a short queue of copies waiting for their slot are kept, and a corpus of N documents is a
// prefix of the corpus of N+1 documents with the same other options.
#ifndef DEDUP_BENCH_CORPUS_GENERATOR_H_
#define DEDUP_BENCH_CORPUS_GENERATOR_H_

#include <array>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace dedup::bench {

inline constexpr uint64_t kDefaultSeed = 20230320;

enum class VariantKind : uint8_t {
  kOriginal,
  kChrome,
  kEdit,
  kDrop,
  kAdd,
  kTrunc,
  kCombo,
  // The hard profile's kinds (see the comment at the top).
  kAggFooter,
  kShortFooter,
  kDeepTrunc,
  kPromo,
  kZhEdit,
  kHot,
};
inline constexpr int kNumVariantKinds = 13;
// The kinds chosen by GenerateOptions::kind_weights: all but `original` and `hot` (scheduled).
inline constexpr int kNumWeightedKinds = 11;
// The kinds of the default profile: `original` .. `combo`.
inline constexpr int kNumDefaultKinds = 7;

// "original", "chrome", "edit", "drop", "add", "trunc", "combo", "aggfooter", "shortfooter",
// "deeptrunc", "promo", "zhedit", "hot".
std::string_view VariantKindName(VariantKind kind);
// Inverse of VariantKindName; false for an unknown name.
bool ParseVariantKind(std::string_view name, VariantKind* kind);

// The individual changes a variant is made of (a bit set; a `combo` has two or three).
enum VariantOp : uint8_t {
  kOpChrome = 1,  // moved to another site: other header and footer
  kOpEdit = 2,
  kOpDrop = 4,
  kOpAdd = 8,
  kOpTrunc = 16,
};

struct GenerateOptions {
  int64_t num_docs = 1000;
  // Probability that a document (after the first) is a variant of an earlier original.
  double dup_rate = 0.3;
  uint64_t seed = kDefaultSeed;
  // Length of an original's body in words (headline and site chrome not counted). Lengths are
  // skewed towards short articles (min + (max-min)*u^2: mean ~500 words at the defaults); the
  // last sentence may overshoot max_words by a few words.
  int min_words = 150;
  int max_words = 1200;
  // Number of fake sites ("site00.example", ...), each with its own fixed header and footer.
  int num_sites = 50;
  // Probability that an original joins a recent topic (a hard negative of its other articles).
  double topic_rate = 0.3;
  // At most this many originals per topic.
  int max_topic_size = 5;
  // Variants are derived from the most recent pool_size originals.
  int pool_size = 1000;
  // When false, documents carry no site header/footer (text = headline + body).
  bool include_chrome = true;
  // Relative weights of the variant kinds, indexed by VariantKind - 1 (chrome, edit, drop, add,
  // trunc, combo, aggfooter, shortfooter, deeptrunc, promo, zhedit). Zero disables a kind; the
  // hard profile's kinds are off by default.
  std::array<double, kNumWeightedKinds> kind_weights = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};

  // --- The hard profile's phenomena. Their defaults leave the output unchanged. ---
  // Probability that an original is Chinese (a `zhedit` pick with no Chinese original yet writes
  // one instead, so zhedit works without it).
  double zh_rate = 0;
  // Length of a Chinese original's body in Han characters (skewed to short, as for English).
  int zh_min_chars = 250;
  int zh_max_chars = 1500;
  // Chinese sites ("zhsite00.example", ...), each with its own Chinese header and footer.
  int zh_sites = 12;
  // Aggregator sites of `aggfooter` copies; `shortfooter` items are all on the first one.
  int num_aggregators = 5;
  // Body length of the short originals behind `shortfooter` items, in words.
  int short_min_words = 60;
  int short_max_words = 120;
  // A hot story starts every hot_interval documents (at document hot_interval / 40 of each
  // interval; 0: none) and gets hot_copies copies; while it runs, a document is its next copy
  // with probability hot_copy_rate (so 200 copies take ~4000 documents at 0.05).
  int64_t hot_interval = 0;
  int hot_copies = 200;
  double hot_copy_rate = 0.05;
};

// Sets the options of a named profile, leaving num_docs, seed and pool_size alone: "default"
// (GenerateOptions{}) or "hard" (all classes of the hard profile mixed with the default kinds).
// False for an unknown name.
bool ApplyProfile(std::string_view name, GenerateOptions* options);

// Empty if the options are usable; otherwise a one-line message naming the CLI flag.
std::string ValidateOptions(const GenerateOptions& options);

struct Document {
  std::string id;         // "doc000123"
  std::string text;       // header, headline, paragraphs, footer, separated by blank lines
  std::string body;       // headline and paragraphs only (no site chrome)
  std::string source;     // "site07.example"
  std::string published;  // "2023-03-20T10:15:00Z"
  std::string source_id;  // root original's id (own id for an original)
  std::string topic;      // "topic000042"; a variant has its original's topic
  VariantKind kind = VariantKind::kOriginal;
  uint8_t ops = 0;            // VariantOp bits; 0 for an original (and an identical hot copy)
  int body_words = 0;         // whitespace-separated words in the paragraphs (headline excluded);
                              // Chinese: Han characters in the paragraphs
  double kept_fraction = 1;   // with kOpTrunc: body words kept / body words before truncation
  double edit_rate = 0;       // deeptrunc, promo: words edited / words; zhedit: Han characters
                              // substituted / Han characters (before a sentence is dropped)
  bool joined_topic = false;  // an original that joined an existing topic (a hard negative)
  bool zh = false;            // written in Chinese
};

// Produces the documents one at a time. Not thread-safe; independent instances are.
class CorpusGenerator {
 public:
  // `options` must pass ValidateOptions.
  explicit CorpusGenerator(const GenerateOptions& options);
  ~CorpusGenerator();
  CorpusGenerator(const CorpusGenerator&) = delete;
  CorpusGenerator& operator=(const CorpusGenerator&) = delete;

  // Fills *doc with the next document; false once num_docs have been produced.
  bool Next(Document* doc);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Header line of the truth file.
inline constexpr std::string_view kTruthHeader = "id\tsource_id\tkind\ttopic\n";

// Appends `{"id":...,"text":...,"source":...,"published":...}` and a newline.
void AppendJsonLine(const Document& doc, std::string* out);
// Appends `id<TAB>source_id<TAB>kind<TAB>topic` and a newline.
void AppendTruthLine(const Document& doc, std::string* out);
// Appends `text` as a JSON string literal (quotes included).
void AppendJsonString(std::string_view text, std::string* out);

struct CorpusStats {
  int64_t docs = 0;
  std::array<int64_t, kNumVariantKinds> per_kind = {};
  int64_t joined_topic = 0;  // originals that joined an existing topic
  int64_t bytes = 0;         // size of the JSONL output
};

// Streams the corpus and the truth (with header) to the two streams. False, with *error set, if
// the options are invalid or a stream fails.
bool WriteCorpus(const GenerateOptions& options, std::ostream& jsonl, std::ostream& truth,
                 CorpusStats* stats, std::string* error);

// As WriteCorpus, to files, atomically: each is written to `<path>.tmp.<pid>` and renamed over
// `<path>` only when both were written completely; on failure no temporary file is left behind.
bool WriteCorpusFiles(const GenerateOptions& options, const std::string& jsonl_path,
                      const std::string& truth_path, CorpusStats* stats, std::string* error);

}  // namespace dedup::bench

#endif  // DEDUP_BENCH_CORPUS_GENERATOR_H_
