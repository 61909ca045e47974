#include "dedup/story_terms.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_set.h"

#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup/normalize.h"

namespace dedup {
namespace {

// Seeds of the two key spaces (arbitrary, fixed: part of the features' definition).
constexpr uint64_t kTermSeed = 0x73746f72795f7465;    // "story_te"
constexpr uint64_t kEntitySeed = 0x73746f72795f656e;  // "story_en"

// English function words and news-wire verbs of attribution: frequent in every story,
// never what distinguishes one. Sorted, for binary search.
constexpr std::string_view kStopWords[] = {
    "a",       "about",   "above",  "after",  "again",   "against", "all",     "also",   "am",
    "an",      "and",     "any",    "are",    "as",      "at",      "be",      "because", "been",
    "before",  "being",   "below",  "between", "both",   "but",     "by",      "can",    "could",
    "did",     "do",      "does",   "doing",  "down",    "during",  "each",    "few",    "for",
    "from",    "further", "had",    "has",    "have",    "having",  "he",      "her",    "here",
    "hers",    "herself", "him",    "himself", "his",    "how",     "however", "i",      "if",
    "in",      "into",    "is",     "it",     "its",     "itself",  "just",    "last",   "may",
    "me",      "might",   "more",   "most",   "mr",      "mrs",     "ms",      "must",   "my",
    "new",     "no",      "nor",    "not",    "now",     "of",      "off",     "on",     "once",
    "one",     "only",    "or",     "other",  "our",     "ours",    "out",     "over",   "own",
    "said",    "same",    "say",    "says",   "she",     "should",  "so",      "some",   "such",
    "than",    "that",    "the",    "their",  "theirs",  "them",    "then",    "there",  "these",
    "they",    "this",    "those",  "through", "to",     "told",    "too",     "two",    "under",
    "until",   "up",      "very",   "was",    "we",      "were",    "what",    "when",   "where",
    "which",   "while",   "who",    "whom",   "why",     "will",    "with",    "would",  "year",
    "years",   "yesterday", "you",  "your"};

uint32_t Key(std::string_view token, bool entity) {
  const uint64_t h = XXH3_64bits_withSeed(token.data(), token.size(), entity ? kEntitySeed : kTermSeed);
  return static_cast<uint32_t>(h >> 37) << 1 | (entity ? 1u : 0u);  // 27 bits + entity bit.
}

struct Token {
  uint32_t start = 0;  // In the lower-cased buffer.
  uint32_t size = 0;
  uint32_t line = 0;
  uint16_t code_points = 0;
  uint16_t letters = 0;
  uint16_t upper = 0;
  bool capitalized = false;     // First code point upper- or title-case.
  bool digit = false;
  bool unspaced = false;
  bool sentence_start = false;
  bool joined = false;          // Only spaces between the previous token and this one.
};

bool IsSentenceEnd(int32_t cp) {
  return cp == '.' || cp == '!' || cp == '?' || cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F;
}
bool IsLineBreak(int32_t cp) { return cp == '\n' || cp == 0x0B || cp == 0x0C || cp == 0x85 || cp == 0x2028 || cp == 0x2029; }

}  // namespace

bool IsStoryStopWord(std::string_view lower) {
  if (lower.size() > 9) return false;  // The longest stop word ("yesterday") has 9 letters.
  static const absl::flat_hash_set<std::string_view> kSet(std::begin(kStopWords), std::end(kStopWords));
  return kSet.contains(lower);
}

void ExtractStoryFeatures(std::string_view text, StoryScratch* scratch, StoryFeatures* out) {
  out->clear();
  size_t n = std::min(text.size(), kStoryLeadBytes);
  while (n > 0 && n < text.size() && (static_cast<uint8_t>(text[n]) & 0xC0) == 0x80) --n;
  std::string& lower = scratch->token;
  lower.clear();
  lower.reserve(n);  // Nearly always enough (a few lower-case mappings are longer in UTF-8).
  std::vector<Token> tokens;
  tokens.reserve(n / 5);

  bool sentence_start = true;
  bool only_spaces = false;
  uint32_t line = 0;
  Token cur;
  bool in_token = false;
  auto finish = [&] {
    if (!in_token) return;
    cur.size = static_cast<uint32_t>(lower.size()) - cur.start;
    tokens.push_back(cur);
    in_token = false;
    sentence_start = false;
    only_spaces = true;
  };
  auto begin = [&](bool capitalized) {
    cur = Token{};
    cur.start = static_cast<uint32_t>(lower.size());
    cur.line = line;
    cur.capitalized = capitalized;
    cur.sentence_start = sentence_start;
    cur.joined = only_spaces && !tokens.empty();
    in_token = true;
  };
  auto separator = [&](int32_t cp) {
    finish();
    if (IsLineBreak(cp)) {
      ++line;
      sentence_start = true;
      only_spaces = false;
    } else if (IsSentenceEnd(cp)) {
      sentence_start = true;
      only_spaces = false;
    } else if (cp != ' ' && cp != '\t' && cp != '\r' && cp != 0xA0) {
      only_spaces = false;
    }
  };

  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  size_t i = 0;
  while (i < n) {
    const uint8_t c = bytes[i];
    if (c < 0x80) {
      const bool upper = c >= 'A' && c <= 'Z';
      const bool lower_case = c >= 'a' && c <= 'z';
      const bool digit = c >= '0' && c <= '9';
      if (upper || lower_case || digit) {
        if (!in_token) begin(upper);
        // The whole run of ASCII letters and digits at once.
        size_t k = i;
        uint16_t letters = 0, uppers = 0;
        bool digits = false;
        for (; k < n; ++k) {
          const uint8_t b = bytes[k];
          const bool u = b >= 'A' && b <= 'Z';
          const bool l = b >= 'a' && b <= 'z';
          const bool d = b >= '0' && b <= '9';
          if (!(u | l | d)) break;
          letters += u | l;
          uppers += u;
          digits |= d;
          lower.push_back(static_cast<char>(u ? b + 32 : b));
        }
        cur.letters += letters;
        cur.upper += uppers;
        cur.digit |= digits;
        cur.code_points += static_cast<uint16_t>(k - i);
        i = k;
        continue;
      } else if ((c == '.' || c == ',') && in_token && cur.digit && !lower.empty() && lower.back() >= '0' &&
                 lower.back() <= '9' && i + 1 < n && bytes[i + 1] >= '0' && bytes[i + 1] <= '9') {
        lower.push_back(static_cast<char>(c));  // "1.50", "12,000".
        ++cur.code_points;
      } else {
        separator(c);
      }
      ++i;
      continue;
    }
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t len = utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(n - i), &cp);
    if (len <= 0) {  // Invalid UTF-8: a separator.
      separator(-1);
      ++i;
      continue;
    }
    i += static_cast<size_t>(len);
    const utf8proc_category_t cat = utf8proc_category(cp);
    const bool letter = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
    const bool mark = cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
    const bool number = cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO;
    if (!letter && !mark && !number) {
      separator(cp);
      continue;
    }
    utf8proc_uint8_t buf[4];
    if (IsUnspacedCodePoint(cp)) {
      finish();
      begin(false);
      cur.unspaced = true;
      cur.code_points = 1;
      cur.letters = 1;
      lower.append(reinterpret_cast<const char*>(buf), utf8proc_encode_char(cp, buf));
      finish();
      only_spaces = false;  // Unspaced characters never form multi-word names.
      continue;
    }
    const bool upper = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
    if (!in_token) begin(upper);
    cur.letters += letter;
    cur.upper += upper;
    cur.digit |= number;
    ++cur.code_points;
    const utf8proc_int32_t lc = utf8proc_tolower(cp);
    lower.append(reinterpret_cast<const char*>(buf), utf8proc_encode_char(lc, buf));
  }
  finish();

  // Headline-like lines (mostly capitalized words) give no names.
  std::vector<uint8_t> headline(line + 1, 0);
  {
    std::vector<uint32_t> words(line + 1, 0), caps(line + 1, 0);
    for (const Token& t : tokens) {
      if (t.unspaced || t.letters == 0) continue;
      ++words[t.line];
      caps[t.line] += t.capitalized;
    }
    for (uint32_t l = 0; l <= line; ++l) headline[l] = words[l] >= 3 && caps[l] * 10 >= words[l] * 6;
  }

  auto& counts = scratch->counts;
  counts.clear();
  uint32_t position = 0;
  auto add = [&](std::string_view token, bool entity) {
    auto [it, inserted] = counts.try_emplace(Key(token, entity), StoryScratch::Count{0, position});
    ++it->second.count;
    ++position;
  };
  auto view = [&](const Token& t) { return std::string_view(lower).substr(t.start, t.size); };
  auto name_like = [&](const Token& t) {
    if (t.unspaced || t.digit || headline[t.line] || !t.capitalized) return false;
    const bool all_caps = t.upper == t.letters && t.letters >= 2;
    if (all_caps && t.letters > 5) return false;  // Shouting, not an acronym.
    return !IsStoryStopWord(view(t));
  };
  std::string pair;
  for (size_t k = 0; k < tokens.size(); ++k) {
    const Token& t = tokens[k];
    const std::string_view tok = view(t);
    if (t.digit) {
      add(tok, /*entity=*/true);
      continue;
    }
    if (t.unspaced || (t.code_points >= 3 && !IsStoryStopWord(tok))) add(tok, /*entity=*/false);
    if (!name_like(t)) continue;
    const bool next_name = k + 1 < tokens.size() && tokens[k + 1].joined && tokens[k + 1].line == t.line &&
                           !tokens[k + 1].sentence_start && name_like(tokens[k + 1]);
    if (!t.sentence_start || next_name) add(tok, /*entity=*/true);
    if (next_name) {
      pair.assign(tok);
      pair.push_back(' ');
      pair.append(view(tokens[k + 1]));
      add(pair, /*entity=*/true);
    }
  }

  // Keep the most frequent terms and entities (ties: first occurrence first): partition
  // each kind by rank only when it has more than its cap.
  auto& ranked = scratch->ranked;
  ranked.assign(counts.begin(), counts.end());
  auto by_rank = [](const std::pair<uint32_t, StoryScratch::Count>& a, const std::pair<uint32_t, StoryScratch::Count>& b) {
    if (a.second.count != b.second.count) return a.second.count > b.second.count;
    return a.second.first < b.second.first;
  };
  const auto entities_begin =
      std::partition(ranked.begin(), ranked.end(), [](const auto& e) { return (e.first & 1) == 0; });
  auto keep = [&](auto first, auto last, size_t cap) {
    if (static_cast<size_t>(last - first) > cap) {
      std::nth_element(first, first + static_cast<ptrdiff_t>(cap), last, by_rank);
      last = first + static_cast<ptrdiff_t>(cap);
    }
    for (auto it = first; it != last; ++it) out->push_back(it->first << 4 | std::min<uint32_t>(it->second.count, 15));
  };
  keep(ranked.begin(), entities_begin, kMaxStoryTerms);
  keep(entities_begin, ranked.end(), kMaxStoryEntities);
  std::sort(out->begin(), out->end());
}

}  // namespace dedup
