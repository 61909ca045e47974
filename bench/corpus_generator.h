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
// recent originals (GenerateOptions::pool_size) is kept to derive variants from, and a corpus of
// N documents is a prefix of the corpus of N+1 documents with the same other options.
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

enum class VariantKind : uint8_t { kOriginal, kChrome, kEdit, kDrop, kAdd, kTrunc, kCombo };
inline constexpr int kNumVariantKinds = 7;

// "original", "chrome", "edit", "drop", "add", "trunc", "combo".
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
  // trunc, combo). Zero disables a kind.
  std::array<double, kNumVariantKinds - 1> kind_weights = {1, 1, 1, 1, 1, 1};
};

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
  uint8_t ops = 0;            // VariantOp bits; 0 for an original
  int body_words = 0;         // whitespace-separated words in the paragraphs (headline excluded)
  double kept_fraction = 1;   // with kOpTrunc: body words kept / body words before truncation
  bool joined_topic = false;  // an original that joined an existing topic (a hard negative)
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
