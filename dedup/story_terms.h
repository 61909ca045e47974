// Story features: the weighted terms and entity-like tokens of one document's headline
// and lead, packed for the story tier (story.h).
//
// ExtractStoryFeatures() reads the first kStoryLeadBytes bytes of a text (news puts the
// event's who, what, where and when first: the headline and lead; this also bounds the
// cost per document) and splits it into tokens: maximal runs of letters, marks and
// digits (Unicode categories L*, M*, N*; '.' and ',' between two digits stay inside a
// number, "1.50", "12,000"); a character of a script written without spaces (Han, kana,
// Thai, ...: normalize.h's IsUnspacedScript) is a token of its own. Tokens are lower-cased
// (ASCII, and utf8proc's simple lower-case mapping for other code points).
//   - Terms: every letter token of at least 3 code points (any unspaced-script
//     character) that is not an English stop word.
//   - Entities ("who, where, when, how many"):
//       * numbers: tokens holding a digit ("7.1", "1987", "30");
//       * names: a capitalized token (first code point upper- or title-case) that is not
//         a stop word and either does not start a sentence or is followed by another
//         capitalized token ("Diamond Shamrock said ..."); all-capital tokens of 2-5
//         letters (acronyms: "OPEC", "ICC") likewise;
//       * multi-word names: each pair of consecutive capitalized tokens of one sentence
//         with nothing but spaces between them ("vladimir putin").
//     A sentence starts at the text's start, after a line break and after '.', '!', '?'
//     or '。'. Lines whose words are mostly capitalized (>= 60% of at least 3 words:
//     title-case or all-capital headlines) give no names, only numbers: there
//     capitalization says nothing.
// Each distinct term or entity becomes one packed 32-bit entry:
//   bits 31..5  the top 27 bits of XXH3-64(token) (terms and entities with different
//               seeds, so the term "putin" and the entity "putin" are different keys);
//   bit  4      1 for an entity;
//   bits 3..0   its count in the lead, capped at 15 (log-tf weighting barely changes
//               past it: 1 + ln 15 = 3.7).
// At most kMaxStoryTerms terms and kMaxStoryEntities entities are kept, by count, then
// by first occurrence (the headline and first sentences win). The entries are sorted
// ascending, so that two documents' features merge in one pass (story.h).
// Two different tokens share a key with probability 2^-27 per pair: over a 96 x 96
// comparison, 7e-5 false shared keys -- noise far below the decision thresholds.
//
// The features are a pure function of the text: deterministic and thread-independent.
//
// Example:
//   dedup::StoryFeatures f;
//   dedup::StoryScratch scratch;
//   dedup::ExtractStoryFeatures("Quake hits Chile. The 7.1 quake ...", &scratch, &f);
#ifndef DEDUP_STORY_TERMS_H_
#define DEDUP_STORY_TERMS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace dedup {

inline constexpr size_t kStoryLeadBytes = 1000;
inline constexpr size_t kMaxStoryTerms = 64;
inline constexpr size_t kMaxStoryEntities = 32;

// Packed entries, sorted ascending (see above).
using StoryFeatures = std::vector<uint32_t>;

inline uint32_t StoryKey(uint32_t entry) { return entry >> 4; }  // Hash and entity bit.
inline bool StoryIsEntity(uint32_t entry) { return (entry >> 4) & 1; }
inline uint32_t StoryCount(uint32_t entry) { return entry & 15; }

// Reusable buffers of ExtractStoryFeatures (one per thread).
struct StoryScratch {
  struct Count {
    uint32_t count;
    uint32_t first;  // Position of the first occurrence.
  };
  absl::flat_hash_map<uint32_t, Count> counts;
  std::vector<std::pair<uint32_t, Count>> ranked;
  std::string token;
};

// Replaces *out with the features of `text` (its first kStoryLeadBytes bytes, cut back
// to a UTF-8 character boundary). Invalid UTF-8 sequences separate tokens. Cost:
// O(min(bytes, kStoryLeadBytes)). Thread-safe with one scratch per thread.
void ExtractStoryFeatures(std::string_view text, StoryScratch* scratch, StoryFeatures* out);

// Whether `lower` (a lower-cased ASCII token) is an English stop word.
bool IsStoryStopWord(std::string_view lower);

}  // namespace dedup

#endif  // DEDUP_STORY_TERMS_H_
