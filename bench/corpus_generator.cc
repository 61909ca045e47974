// Implementation of the news-like corpus generator; see corpus_generator.h for the concepts.
//
// Layout: a tiny PRNG (xoshiro256** + splitmix64), the grammar engine (compiles the rule table in
// news_vocab.inc once, expands rules with topic-bound built-ins), article generation, the
// variant edits, and the streaming writer.

#include "bench/corpus_generator.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <ostream>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#ifdef _WIN32
#include <process.h>
#define DEDUP_GETPID _getpid
#else
#include <unistd.h>
#define DEDUP_GETPID getpid
#endif

namespace dedup::bench {
namespace {

// ---------------------------------------------------------------------------------------------
// Vocabulary table types (the data lives in news_vocab.inc).

struct CountryDef {
  const char* name;
  const char* adjective;
  const char* cities;  // '|'-separated, most prominent first
};

struct RuleDef {
  const char* name;
  char dist;  // 'z': Zipf-like by position; 'u': uniform
  const char* alternatives;
};

struct SynonymDef {
  const char* from;
  const char* to;
};

#include "bench/news_vocab.inc"

constexpr int kNumDomains = static_cast<int>(std::size(kDomainPrefixes));
constexpr int kNumCountries = static_cast<int>(std::size(kCountries));
constexpr int kMaxPersons = 4;
// Sentences longer than this are regenerated (a few times): it keeps paragraphs readable and
// guarantees a sentence boundary inside the 55-80% truncation window for short articles.
constexpr int kMaxSentenceWords = 34;
// Topics an original may join: the most recent ones (news stories are covered within days).
constexpr size_t kActiveTopics = 64;
// 2023-03-01T00:00:00Z, the corpus clock's start, in days since 1970-01-01.
constexpr int64_t kStartDay = 19417;

// ---------------------------------------------------------------------------------------------
// Randomness. Everything is integer arithmetic or exact IEEE double operations (no libm, no
// std::*_distribution), so a seed gives the same stream on every platform.

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Seed of an independent stream `stream` derived from the corpus seed.
uint64_t DeriveSeed(uint64_t seed, uint64_t stream) {
  uint64_t state = seed ^ (stream * 0xD1B54A32D192ED03ull);
  return SplitMix64(&state);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t state = seed;
    for (uint64_t& word : s_) word = SplitMix64(&state);
  }

  // xoshiro256**.
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0, without modulo bias: values below 2^64 mod n are rejected, so the
  // accepted range is a multiple of n.
  uint64_t Below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      const uint64_t x = Next();
      if (x >= threshold) return x % n;
    }
  }
  int Index(size_t n) { return static_cast<int>(Below(n)); }
  // Uniform in [lo, hi].
  int Range(int lo, int hi) {
    return lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1) with 53 random bits.
  double Real() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Real() < p; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Index into a cumulative weight table.
int PickCumulative(const std::vector<uint64_t>& cum, Rng* rng) {
  const uint64_t x = rng->Below(cum.back());
  return static_cast<int>(std::upper_bound(cum.begin(), cum.end(), x) - cum.begin());
}

// Zipf-like integer weight of rank r (0-based): 1/(r+3), scaled. The +3 flattens the head a
// little, as in Zipf-Mandelbrot fits of real word frequencies.
uint64_t ZipfWeight(size_t rank) { return (uint64_t{1} << 20) / (rank + 3); }

// ---------------------------------------------------------------------------------------------
// Small string helpers.

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char AsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

constexpr std::string_view kLeftDoubleQuote = "\xE2\x80\x9C";   // “
constexpr std::string_view kRightDoubleQuote = "\xE2\x80\x9D";  // ”
constexpr std::string_view kLeftSingleQuote = "\xE2\x80\x98";   // ‘
constexpr std::string_view kRightSingleQuote = "\xE2\x80\x99";  // ’

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    const size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

// Whitespace-separated words. Branch-free: this runs over every generated byte more than once.
// (Generated text has no control characters other than '\n', so "<= ' '" is whitespace.)
int CountWords(std::string_view s) {
  int words = 0;
  bool prev_space = true;
  for (const char c : s) {
    const bool space = static_cast<unsigned char>(c) <= ' ';
    words += static_cast<int>(prev_space & !space);
    prev_space = space;
  }
  return words;
}

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  std::string out;
  size_t start = 0;
  for (;;) {
    const size_t pos = s->find(from, start);
    if (pos == std::string::npos) break;
    out.append(*s, start, pos - start);
    out.append(to);
    start = pos + from.size();
  }
  if (start == 0) return;
  out.append(*s, start, std::string::npos);
  *s = std::move(out);
}

// Upper-cases the first letter at or after `pos`, skipping opening quotes only (a name starting
// with a non-ASCII letter is left alone rather than capitalising its second letter).
void CapitalizeAt(std::string* s, size_t pos) {
  while (pos < s->size()) {
    const std::string_view rest = std::string_view(*s).substr(pos);
    if (rest.substr(0, 3) == kLeftDoubleQuote || rest.substr(0, 3) == kLeftSingleQuote) {
      pos += 3;
    } else if (rest[0] == '"' || rest[0] == '\'') {
      ++pos;
    } else {
      (*s)[pos] = AsciiUpper((*s)[pos]);
      return;
    }
  }
}

// Whether the indefinite article before `word` is "an" (English pronunciation, approximately).
bool TakesAn(std::string_view word) {
  if (word.empty()) return false;
  std::string w;
  for (size_t i = 0; i < word.size() && i < 6; ++i) w.push_back(AsciiLower(word[i]));
  auto starts = [&w](std::string_view p) { return w.compare(0, p.size(), p) == 0; };
  switch (w[0]) {
    case 'a':
    case 'i':
      return true;
    case 'e':
      return !starts("eu");
    case 'o':
      return !starts("one") && !starts("once");
    case 'u':
      return !starts("uni") && !starts("use") && !starts("usu") && !starts("uti") &&
             !starts("ura") && !starts("uk");
    case 'h':
      return starts("hour") || starts("honest") || starts("honor") || starts("heir");
    case '8':
      return true;
    case '1':
      return (starts("11") || starts("18")) && (w.size() == 2 || !IsAsciiDigit(w[2]));
    default:
      return false;
  }
}

// Repairs a generated sentence: collapses spaces left by empty slots, removes spaces before
// punctuation and inside quotes, drops a comma doubled or followed by other punctuation (an
// appositive "Maria Okafor, the minister," at the end of a clause), fixes a/an, and optionally
// capitalises the first letter.
void Polish(std::string* s, bool capitalize) {
  std::string out;
  out.reserve(s->size());
  bool after_open_quote = false;
  size_t i = 0;
  while (i < s->size()) {
    const char c = (*s)[i];
    const std::string_view rest = std::string_view(*s).substr(i);
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ' && out.back() != '\n' && !after_open_quote) {
        out.push_back(' ');
      }
      ++i;
      continue;
    }
    after_open_quote = false;
    if (c == '.' || c == ';' || c == ':' || c == '?' || c == '!' || c == ',') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      if (!out.empty() && out.back() == ',') {
        if (c == ',') {
          ++i;
          continue;
        }
        out.pop_back();
      }
      if (c == '.' && !out.empty() &&
          (out.back() == '.' || out.back() == '?' || out.back() == '!')) {
        ++i;
        continue;
      }
      out.push_back(c);
      ++i;
    } else if (rest.substr(0, 3) == kRightDoubleQuote) {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out.append(kRightDoubleQuote);
      i += 3;
    } else if (rest.substr(0, 3) == kLeftDoubleQuote) {
      out.append(kLeftDoubleQuote);
      after_open_quote = true;
      i += 3;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  // "Countries’s" -> "Countries’" (the possessive of a plural organisation name).
  ReplaceAll(&out, "s\xE2\x80\x99s ", "s\xE2\x80\x99 ");

  // a/an: look at every standalone "a"/"an" followed by a word.
  std::string fixed;
  fixed.reserve(out.size() + 8);
  for (size_t pos = 0; pos < out.size();) {
    const bool word_start =
        pos == 0 || out[pos - 1] == ' ' ||
        (pos >= 3 && std::string_view(out).substr(pos - 3, 3) == kLeftDoubleQuote);
    if (word_start && (out[pos] == 'a' || out[pos] == 'A')) {
      size_t len = 0;
      if (pos + 1 < out.size() && out[pos + 1] == ' ') {
        len = 1;
      } else if (pos + 2 < out.size() && out[pos + 1] == 'n' && out[pos + 2] == ' ') {
        len = 2;
      }
      if (len > 0) {
        const size_t next = pos + len + 1;
        size_t end = next;
        while (end < out.size() && out[end] != ' ') ++end;
        const bool an = TakesAn(std::string_view(out).substr(next, end - next));
        fixed.push_back(out[pos]);
        if (an) fixed.push_back('n');
        pos += len;
        continue;
      }
    }
    fixed.push_back(out[pos]);
    ++pos;
  }
  if (capitalize) CapitalizeAt(&fixed, 0);
  *s = std::move(fixed);
}

// ---------------------------------------------------------------------------------------------
// Grammar.

enum class Builtin : uint8_t {
  kTp,         // a topic person: introduced with name and role on first mention, then surname
  kTp2,        // a topic person other than the main one
  kTpName,     // a topic person's name: full on first mention, then surname
  kTpSurname,  // the main person's surname (headlines)
  kTorg,       // a topic organisation (the first is the most frequent)
  kTorg1,      // the topic's main organisation
  kTplace,     // the topic's city
  kTcountry,   // the topic's country
  kTadj,       // the topic country's adjective
  kTn,         // one of the topic's key nouns
  kTevent,     // the topic's key event, a past-tense verb phrase
  kFig,        // the topic's key figure
  kDay,        // a weekday, usually the publication day or the day before
  kDate,       // "March 14"
  kNumSmall,   // "two" .. "nine", 10 .. 12 (wire style spells out small numbers)
  kNum,        // 10 .. 999
  kPct,        // "4.3 percent"
  kMoney,      // "$2.4 billion"
  kCount,      // "12,400"
  kYear,       // 1993 .. 2022, recent years more likely
  kCity,       // any city
  kCountry,    // any country
  kBrand,      // the site's brand name (chrome only)
  kDomain,     // the site's domain (chrome only)
  kSiteCity,   // the site's home city (chrome only)
  kSiteYear,   // the site's founding year (chrome only)
};

template <typename B>
struct NamedBuiltin {
  std::string_view name;
  B builtin;
};

constexpr NamedBuiltin<Builtin> kBuiltinNames[] = {
    {"TP", Builtin::kTp},
    {"TP2", Builtin::kTp2},
    {"TP_NAME", Builtin::kTpName},
    {"TP_SURNAME", Builtin::kTpSurname},
    {"TORG", Builtin::kTorg},
    {"TORG1", Builtin::kTorg1},
    {"TPLACE", Builtin::kTplace},
    {"TCOUNTRY", Builtin::kTcountry},
    {"TADJ", Builtin::kTadj},
    {"TN", Builtin::kTn},
    {"TEVENT", Builtin::kTevent},
    {"FIG", Builtin::kFig},
    {"DAY", Builtin::kDay},
    {"DATE", Builtin::kDate},
    {"NUM_SMALL", Builtin::kNumSmall},
    {"NUM", Builtin::kNum},
    {"PCT", Builtin::kPct},
    {"MONEY", Builtin::kMoney},
    {"COUNT", Builtin::kCount},
    {"YEAR", Builtin::kYear},
    {"CITY", Builtin::kCity},
    {"COUNTRY", Builtin::kCountry},
    {"BRAND", Builtin::kBrand},
    {"DOMAIN", Builtin::kDomain},
    {"SITE_CITY", Builtin::kSiteCity},
    {"SITE_YEAR", Builtin::kSiteYear},
};

struct Piece {
  enum Kind : uint8_t { kLiteral, kRule, kDomainRule, kBuiltin };
  Kind kind = kLiteral;
  bool capitalize = false;
  int index = 0;  // rule index, domain slot or built-in
  std::string literal;
};

struct Rule {
  std::string name;
  std::vector<std::vector<Piece>> alternatives;
  std::vector<uint64_t> cumulative_weights;
};

// The compiled rule table of one grammar (English or Chinese): rules by name, each alternative
// split into literal text and slots, and every {D_X} slot resolved to the rule <prefix>_X of each
// of the kDomains domains. BuiltinT enumerates the grammar's built-in slots.
template <typename BuiltinT, int kDomains>
class RuleTable {
 public:
  int RuleIndex(std::string_view name) const {
    const auto it = index_.find(std::string(name));
    return it == index_.end() ? -1 : it->second;
  }
  const Rule& rule(int index) const { return rules_[index]; }
  int DomainRule(int slot, int domain) const { return domain_slots_[slot][domain]; }

  // Literal text of a rule's alternative (for rules without slots, e.g. brand words).
  const std::string& Literal(int rule, int alternative) const {
    return rules_[rule].alternatives[alternative].front().literal;
  }

 protected:
  // Registers and compiles the rules `defs`; a slot names one of `builtins`, `D_X` for the rule
  // <domain_prefixes[d]>_X, or another rule, and with `capitals` may be written {^X} (the
  // expansion capitalized). The first error, or empty.
  std::string Load(std::span<const RuleDef> defs, std::span<const NamedBuiltin<BuiltinT>> builtins,
                   std::span<const char* const, kDomains> domain_prefixes, bool capitals) {
    for (const RuleDef& def : defs) {
      if (!index_.emplace(def.name, static_cast<int>(rules_.size())).second) {
        return std::string("duplicate rule ") + def.name;
      }
      rules_.push_back(Rule{def.name, {}, {}});
    }
    for (size_t i = 0; i < defs.size(); ++i) {
      if (defs[i].dist != 'z' && defs[i].dist != 'u') {
        return std::string("bad distribution for ") + defs[i].name;
      }
      std::string error = Compile(&rules_[i], defs[i].alternatives, defs[i].dist, builtins,
                                  domain_prefixes, capitals);
      if (!error.empty()) return defs[i].name + (": " + error);
    }
    return "";
  }

  // *out = RuleIndex(name); false if there is no such rule.
  bool Resolve(std::string_view name, int* out) const {
    *out = RuleIndex(name);
    return *out >= 0;
  }

 private:
  std::string Compile(Rule* rule, std::string_view alternatives, char dist,
                      std::span<const NamedBuiltin<BuiltinT>> builtins,
                      std::span<const char* const, kDomains> domain_prefixes, bool capitals) {
    const std::vector<std::string_view> alts = Split(alternatives, '|');
    uint64_t total = 0;
    for (size_t rank = 0; rank < alts.size(); ++rank) {
      std::string_view alt = alts[rank];
      uint64_t multiplier = 1;
      size_t digits = 0;
      while (digits < alt.size() && IsAsciiDigit(alt[digits])) ++digits;
      if (digits > 0 && digits < alt.size() && alt[digits] == '*') {
        multiplier = std::stoull(std::string(alt.substr(0, digits)));
        alt.remove_prefix(digits + 1);
      }
      std::vector<Piece> pieces;
      while (!alt.empty()) {
        const size_t open = alt.find('{');
        if (open != 0) {
          Piece literal;
          literal.literal = std::string(alt.substr(0, open));
          pieces.push_back(std::move(literal));
          if (open == std::string_view::npos) break;
          alt.remove_prefix(open);
        }
        const size_t close = alt.find('}');
        if (close == std::string_view::npos) return "unclosed slot";
        std::string_view name = alt.substr(1, close - 1);
        alt.remove_prefix(close + 1);
        Piece slot;
        if (capitals && !name.empty() && name[0] == '^') {
          slot.capitalize = true;
          name.remove_prefix(1);
        }
        const auto builtin =
            std::find_if(builtins.begin(), builtins.end(),
                         [name](const NamedBuiltin<BuiltinT>& b) { return b.name == name; });
        if (builtin != builtins.end()) {
          slot.kind = Piece::kBuiltin;
          slot.index = static_cast<int>(builtin->builtin);
        } else if (name.substr(0, 2) == "D_") {
          slot.kind = Piece::kDomainRule;
          const std::string suffix(name.substr(1));  // "_X"
          auto it = std::find(slot_names_.begin(), slot_names_.end(), suffix);
          if (it == slot_names_.end()) {
            std::array<int, kDomains> per_domain{};
            for (int d = 0; d < kDomains; ++d) {
              per_domain[d] = RuleIndex(domain_prefixes[d] + suffix);
              if (per_domain[d] < 0) return "no rule " + (domain_prefixes[d] + suffix);
            }
            slot_names_.push_back(suffix);
            domain_slots_.push_back(per_domain);
            it = slot_names_.end() - 1;
          }
          slot.index = static_cast<int>(it - slot_names_.begin());
        } else {
          slot.kind = Piece::kRule;
          slot.index = RuleIndex(name);
          if (slot.index < 0) return "unknown slot {" + std::string(name) + "}";
        }
        pieces.push_back(std::move(slot));
      }
      total += multiplier * (dist == 'z' ? ZipfWeight(rank) : 1);
      rule->alternatives.push_back(std::move(pieces));
      rule->cumulative_weights.push_back(total);
    }
    return "";
  }

  std::vector<Rule> rules_;
  std::unordered_map<std::string, int> index_;
  std::vector<std::string> slot_names_;
  std::vector<std::array<int, kDomains>> domain_slots_;
};

// The built-in grammar G (Grammar, ZhGrammar), built on first use. A broken table is a programming
// error caught by every test, so it aborts with the reason; `what` names the grammar.
template <typename G>
const G& BuiltOnce(const char* what) {
  static const G* const grammar = [what] {
    auto* g = new G();
    const std::string error = g->Build();
    if (!error.empty()) {
      std::fprintf(stderr, "corpus_generator: bad built-in %s: %s\n", what, error.c_str());
      std::abort();
    }
    return g;
  }();
  return *grammar;
}

struct DomainRules {
  int noun, role, org, event;
};

class Grammar : public RuleTable<Builtin, kNumDomains> {
 public:
  static const Grammar& Get() { return BuiltOnce<Grammar>("grammar"); }

  const DomainRules& domain(int d) const { return domains_[d]; }

  int PickCountry(Rng* rng) const { return PickCumulative(country_weights_, rng); }
  const std::vector<std::string>& cities(int country) const { return cities_[country]; }
  const std::vector<std::pair<std::string, std::string>>& synonyms() const { return synonyms_; }

  // Frequently used rules, resolved once.
  int headline, lead, lead_follow, sentence, agency, fig_val, first, last, chrome_head, chrome_foot,
      brand_a, brand_b, month;

 private:
  template <typename G>
  friend const G& BuiltOnce(const char* what);
  std::string Build();

  std::array<DomainRules, kNumDomains> domains_{};
  std::vector<uint64_t> country_weights_;
  std::vector<std::vector<std::string>> cities_;
  std::vector<std::pair<std::string, std::string>> synonyms_;
};

std::string Grammar::Build() {
  if (std::string error = Load(kRules, kBuiltinNames, kDomainPrefixes, /*capitals=*/true);
      !error.empty()) {
    return error;
  }
  if (!Resolve("HEADLINE", &headline) || !Resolve("LEAD", &lead) ||
      !Resolve("LEAD_FOLLOW", &lead_follow) || !Resolve("SENT", &sentence) ||
      !Resolve("AGENCY", &agency) || !Resolve("FIG_VAL", &fig_val) || !Resolve("FIRST", &first) ||
      !Resolve("LAST", &last) || !Resolve("CHROME_HEAD", &chrome_head) ||
      !Resolve("CHROME_FOOT", &chrome_foot) || !Resolve("BRAND_A", &brand_a) ||
      !Resolve("BRAND_B", &brand_b) || !Resolve("MONTH", &month)) {
    return "a rule used by the generator is missing";
  }
  for (int d = 0; d < kNumDomains; ++d) {
    const std::string prefix = kDomainPrefixes[d];
    DomainRules& rules = domains_[d];
    if (!Resolve(prefix + "_N", &rules.noun) || !Resolve(prefix + "_ROLE", &rules.role) ||
        !Resolve(prefix + "_ORG", &rules.org) || !Resolve(prefix + "_VP", &rules.event)) {
      return "domain " + prefix + " lacks _N, _ROLE, _ORG or _VP";
    }
  }
  for (int c = 0; c < kNumCountries; ++c) {
    country_weights_.push_back((country_weights_.empty() ? 0 : country_weights_.back()) +
                               ZipfWeight(c));
    std::vector<std::string> cities;
    for (std::string_view city : Split(kCountries[c].cities, '|')) cities.emplace_back(city);
    cities_.push_back(std::move(cities));
  }
  for (const SynonymDef& s : kSynonyms) {
    synonyms_.emplace_back(s.from, s.to);
    if (std::string_view(s.to).find(' ') == std::string_view::npos) {
      synonyms_.emplace_back(s.to, s.from);
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Topics, sites and the expansion context.

struct Person {
  std::string full;
  std::string surname;
  std::string role;
  bool title_style_ok = false;  // role reads well before the name ("Finance Minister X")
};

struct Topic {
  std::string id;
  int domain = 0;
  int country = 0;
  std::string city;
  std::vector<Person> persons;
  std::vector<std::string> orgs;
  std::vector<std::string> nouns;
  std::string event;
  std::string figure;
  int members = 0;         // originals on this topic so far
  std::vector<int> sites;  // their sites (a topic's articles come from different outlets)
};

struct Site {
  std::string domain;
  std::string brand;
  std::string city;
  std::string year;
  std::string header;
  std::string footer;
};

// The expansion context of the English grammar. The generic code below (Expand, GenerateSentence,
// ...) serves English and Chinese alike through a context's members and these language traits.
struct Context {
  using BuiltinType = Builtin;
  // Tidies an expanded phrase (a name, a chrome line) or a sentence.
  static void PolishPhrase(std::string* s) { Polish(s, /*capitalize=*/false); }
  static void PolishSentence(std::string* s) { Polish(s, /*capitalize=*/true); }
  // Length of a text in the unit of article lengths (words), and the longest sentence kept.
  static int Length(std::string_view s) { return CountWords(s); }
  static constexpr int kMaxSentenceLength = kMaxSentenceWords;

  const Grammar* grammar = nullptr;
  Rng* rng = nullptr;
  const Topic* topic = nullptr;
  const Site* site = nullptr;
  int weekday = 3;  // of the publication day, 0 = Sunday
  std::array<bool, kMaxPersons> mentioned{};
};

constexpr const char* kWeekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
constexpr const char* kSmallNumbers[] = {"two",   "three", "four", "five", "six", "seven",
                                         "eight", "nine",  "10",   "11",   "12"};

void AppendInt(int64_t value, std::string* out) { out->append(std::to_string(value)); }

// 12400 -> "12,400".
void AppendGrouped(int64_t value, std::string* out) {
  const std::string digits = std::to_string(value);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out->push_back(',');
    out->push_back(digits[i]);
  }
}

template <typename Ctx>
void Expand(Ctx* ctx, int rule, std::string* out, int depth);
void AppendBuiltin(Context* ctx, Builtin builtin, std::string* out);

// Appends alternative `alternative` of `rule`, its slots expanded (Ctx: Context or ZhContext; the
// Chinese built-ins are found by argument-dependent lookup).
template <typename Ctx>
void ExpandAlternative(Ctx* ctx, int rule, int alternative, std::string* out, int depth) {
  const auto& g = *ctx->grammar;
  for (const Piece& piece : g.rule(rule).alternatives[alternative]) {
    const size_t start = out->size();
    switch (piece.kind) {
      case Piece::kLiteral:
        out->append(piece.literal);
        break;
      case Piece::kRule:
        Expand(ctx, piece.index, out, depth + 1);
        break;
      case Piece::kDomainRule:
        Expand(ctx, g.DomainRule(piece.index, ctx->topic ? ctx->topic->domain : 0), out, depth + 1);
        break;
      case Piece::kBuiltin:
        AppendBuiltin(ctx, static_cast<typename Ctx::BuiltinType>(piece.index), out);
        break;
    }
    if (piece.capitalize) CapitalizeAt(out, start);
  }
}

template <typename Ctx>
void Expand(Ctx* ctx, int rule, std::string* out, int depth) {
  // The grammar has no recursive cycles; the guard only protects against future edits.
  if (depth > 16) return;
  const int alternative = PickCumulative(ctx->grammar->rule(rule).cumulative_weights, ctx->rng);
  ExpandAlternative(ctx, rule, alternative, out, depth);
}

template <typename Ctx>
std::string ExpandToString(Ctx* ctx, int rule) {
  std::string s;
  Expand(ctx, rule, &s, 0);
  return s;
}

void AppendPerson(Context* ctx, int index, bool with_role, std::string* out) {
  const Person& p = ctx->topic->persons[index];
  if (ctx->mentioned[index]) {
    // Wire style: surname after the first mention; an occasional full name is realistic too.
    out->append(ctx->rng->Chance(0.9) ? p.surname : p.full);
    return;
  }
  ctx->mentioned[index] = true;
  if (!with_role) {
    out->append(p.full);
  } else if (p.title_style_ok && ctx->rng->Chance(0.35)) {
    // "the finance minister" -> "Finance Minister Maria Okafor".
    std::string title = p.role.substr(4);
    bool word_start = true;
    for (char& c : title) {
      if (word_start) c = AsciiUpper(c);
      word_start = c == ' ';
    }
    out->append(title).append(" ").append(p.full);
  } else {
    out->append(p.full).append(", ").append(p.role).append(",");
  }
}

void AppendBuiltin(Context* ctx, Builtin builtin, std::string* out) {
  Rng& rng = *ctx->rng;
  const Grammar& g = *ctx->grammar;
  const Topic* t = ctx->topic;
  const bool has_persons = t != nullptr && t->persons.size() >= 2;
  switch (builtin) {
    case Builtin::kTp:
    case Builtin::kTp2:
    case Builtin::kTpName: {
      if (!has_persons) {  // while the topic's own people are being created
        out->append(ExpandToString(ctx, g.first)).append(" ").append(ExpandToString(ctx, g.last));
        return;
      }
      const int n = static_cast<int>(t->persons.size());
      int index;
      if (builtin == Builtin::kTp2) {
        index = 1 + rng.Index(n - 1);
      } else {
        index = rng.Chance(0.5) ? 0 : 1 + rng.Index(n - 1);  // the main person half the time
      }
      AppendPerson(ctx, index, builtin != Builtin::kTpName, out);
      return;
    }
    case Builtin::kTpSurname:
      if (!has_persons) {
        out->append(ExpandToString(ctx, g.last));
      } else {
        out->append(t->persons[0].surname);
      }
      return;
    case Builtin::kTorg:
    case Builtin::kTorg1:
      if (t == nullptr || t->orgs.empty()) {
        out->append("the government");
      } else if (builtin == Builtin::kTorg1 || t->orgs.size() == 1 || rng.Chance(0.5)) {
        out->append(t->orgs[0]);
      } else {
        out->append(t->orgs[1 + rng.Index(t->orgs.size() - 1)]);
      }
      return;
    case Builtin::kTplace:
      out->append(t ? t->city : g.cities(0)[0]);
      return;
    case Builtin::kTcountry:
      out->append(kCountries[t ? t->country : 0].name);
      return;
    case Builtin::kTadj:
      out->append(kCountries[t ? t->country : 0].adjective);
      return;
    case Builtin::kTn: {
      if (t == nullptr || t->nouns.empty()) {
        out->append("the plan");
        return;
      }
      // Key nouns by decreasing weight 6:4:3:2:2:1, so every article of a topic keeps
      // returning to the same two or three subjects.
      static constexpr int kWeights[] = {6, 4, 3, 2, 2, 1};
      const int n = std::min<int>(static_cast<int>(t->nouns.size()), 6);
      int total = 0;
      for (int i = 0; i < n; ++i) total += kWeights[i];
      int x = rng.Index(total);
      int i = 0;
      while (x >= kWeights[i]) x -= kWeights[i++];
      out->append(t->nouns[i]);
      return;
    }
    case Builtin::kTevent:
      out->append(t && !t->event.empty() ? t->event : "announced new measures");
      return;
    case Builtin::kFig:
      out->append(t && !t->figure.empty() ? t->figure : "$1.2 billion");
      return;
    case Builtin::kDay: {
      const int r = rng.Index(100);
      const int day = r < 55 ? ctx->weekday : r < 80 ? (ctx->weekday + 6) % 7 : rng.Index(7);
      out->append(kWeekdays[day]);
      return;
    }
    case Builtin::kDate:
      out->append(ExpandToString(ctx, g.month)).append(" ");
      AppendInt(rng.Range(1, 28), out);
      return;
    case Builtin::kNumSmall:
      out->append(kSmallNumbers[rng.Index(std::size(kSmallNumbers))]);
      return;
    case Builtin::kNum:
      AppendInt(rng.Chance(0.6) ? rng.Range(10, 99) : rng.Range(100, 999), out);
      return;
    case Builtin::kPct: {
      // Small percentages are the common ones: the bound itself is random.
      AppendInt(1 + rng.Index(1 + rng.Index(45)), out);
      if (rng.Chance(0.6)) {
        out->push_back('.');
        AppendInt(rng.Index(10), out);
      }
      out->append(" percent");
      return;
    }
    case Builtin::kMoney: {
      const int c = rng.Index(20);
      out->append(c < 11 ? "$" : c < 15 ? "\xE2\x82\xAC" : c < 18 ? "\xC2\xA3" : "$");
      const bool small = rng.Chance(0.5);
      if (small) {
        AppendInt(rng.Range(1, 9), out);
        out->push_back('.');
        AppendInt(rng.Index(10), out);
      } else {
        AppendInt(rng.Range(10, 999), out);
      }
      const int m = rng.Index(100);
      out->append(m < 60 ? " million" : (m < 97 || !small) ? " billion" : " trillion");
      return;
    }
    case Builtin::kCount: {
      const int form = rng.Index(10);
      if (form < 4) {
        AppendInt(rng.Range(100, 999), out);
      } else if (form < 8) {
        AppendGrouped(rng.Range(10, 999) * 100, out);  // round figures, as reported
      } else {
        AppendGrouped(rng.Range(1000, 999999), out);
      }
      return;
    }
    case Builtin::kYear:
      AppendInt(2022 - rng.Index(1 + rng.Index(30)), out);
      return;
    case Builtin::kCity: {
      const auto& cities = g.cities(g.PickCountry(&rng));
      out->append(cities[rng.Index(cities.size())]);
      return;
    }
    case Builtin::kCountry:
      out->append(kCountries[g.PickCountry(&rng)].name);
      return;
    case Builtin::kBrand:
      out->append(ctx->site ? ctx->site->brand : "The Daily Ledger");
      return;
    case Builtin::kDomain:
      out->append(ctx->site ? ctx->site->domain : "site.example");
      return;
    case Builtin::kSiteCity:
      out->append(ctx->site ? ctx->site->city : "London");
      return;
    case Builtin::kSiteYear:
      out->append(ctx->site ? ctx->site->year : "1901");
      return;
  }
}

// Expands `rule` up to `tries` times until the result is not in `taken`.
template <typename Ctx>
std::string ExpandDistinct(Ctx* ctx, int rule, const std::vector<std::string>& taken, int tries) {
  std::string s;
  for (int i = 0; i < tries; ++i) {
    s = ExpandToString(ctx, rule);
    Ctx::PolishPhrase(&s);
    if (std::find(taken.begin(), taken.end(), s) == taken.end()) return s;
  }
  return "";
}

// Appends up to `count` distinct expansions of `rule` to *list (`tries` attempts each).
template <typename Ctx>
void AddDistinct(Ctx* ctx, int rule, int count, int tries, std::vector<std::string>* list) {
  for (int i = 0; i < count; ++i) {
    std::string s = ExpandDistinct(ctx, rule, *list, tries);
    if (!s.empty()) list->push_back(std::move(s));
  }
}

// A new story: domain, place, organisations, key nouns, people with roles, key event, figure.
// Order matters: roles mention the main organisation and place, the event mentions key nouns.
Topic CreateTopic(const Grammar& g, Rng* rng, std::string id) {
  Topic t;
  t.id = std::move(id);
  t.domain = rng->Index(kNumDomains);
  t.country = g.PickCountry(rng);
  const auto& cities = g.cities(t.country);
  t.city = rng->Chance(0.4) ? cities[0] : cities[rng->Index(cities.size())];
  Context ctx{&g, rng, &t, nullptr, 3, {}};
  const DomainRules& d = g.domain(t.domain);

  AddDistinct(&ctx, d.org, rng->Range(1, 3), 10, &t.orgs);
  AddDistinct(&ctx, d.noun, 6, 40, &t.nouns);
  const int num_persons = rng->Range(2, kMaxPersons);
  std::vector<std::string> names, roles;
  while (static_cast<int>(t.persons.size()) < num_persons) {
    Person p;
    p.surname = ExpandToString(&ctx, g.last);
    p.full = ExpandToString(&ctx, g.first) + " " + p.surname;
    p.role = ExpandDistinct(&ctx, d.role, roles, 20);
    const bool surname_taken =
        std::any_of(t.persons.begin(), t.persons.end(),
                    [&p](const Person& q) { return q.surname == p.surname; });
    if (p.role.empty() || surname_taken) continue;
    roles.push_back(p.role);
    const std::string_view role = p.role;
    p.title_style_ok = role.substr(0, 4) == "the " && role.find(" of ") == role.npos &&
                       role.find(" at ") == role.npos && role.find(" for ") == role.npos &&
                       role.find(" to ") == role.npos && role.find(" from ") == role.npos &&
                       role.find(kRightSingleQuote) == role.npos;
    t.persons.push_back(std::move(p));
  }
  t.event = ExpandToString(&ctx, d.event);
  Polish(&t.event, false);
  t.figure = ExpandToString(&ctx, g.fig_val);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Articles.

struct Article {
  std::string headline;
  std::vector<std::vector<std::string>> paragraphs;  // sentences
  bool zh = false;                                   // Chinese: sentences are joined without spaces
};

// A sentence from `rule`, regenerated (a few times at most) if it is too long or already in
// `used` (short fixed sentences such as "The defendants deny the charges." would otherwise
// repeat within one article).
template <typename Ctx>
std::string GenerateSentence(Ctx* ctx, int rule, std::vector<std::string>* used) {
  for (int attempt = 0;; ++attempt) {
    const auto mentioned = ctx->mentioned;
    std::string s = ExpandToString(ctx, rule);
    Ctx::PolishSentence(&s);
    const bool repeated = std::find(used->begin(), used->end(), s) != used->end();
    if ((Ctx::Length(s) <= Ctx::kMaxSentenceLength && !repeated) || attempt >= 8) {
      used->push_back(s);
      return s;
    }
    ctx->mentioned = mentioned;  // the person was not introduced after all
  }
}

int ArticleWords(const Article& a) {
  int words = 0;
  for (const auto& paragraph : a.paragraphs) {
    for (const auto& sentence : paragraph) words += CountWords(sentence);
  }
  return words;
}

// The paragraphs of an article: the lead (`first` and one or two sentences of the grammar's
// lead_follow), then paragraphs of 2..max_sentences sentences until the body reaches `target`
// (in Ctx::Length units; the last paragraph has at least two sentences).
template <typename Ctx>
void AppendParagraphs(Ctx* ctx, std::string first, int max_sentences, int target,
                      std::vector<std::string>* used, Article* a) {
  const auto& g = *ctx->grammar;
  Rng& rng = *ctx->rng;
  int length = Ctx::Length(first);
  std::vector<std::string> lead;
  lead.push_back(std::move(first));
  const int follow = rng.Range(1, 2);
  for (int i = 0; i < follow; ++i) {
    lead.push_back(GenerateSentence(ctx, g.lead_follow, used));
    length += Ctx::Length(lead.back());
  }
  a->paragraphs.push_back(std::move(lead));
  while (length < target) {
    const int sentences = rng.Range(2, max_sentences);
    std::vector<std::string> paragraph;
    for (int i = 0; i < sentences; ++i) {
      paragraph.push_back(GenerateSentence(ctx, g.sentence, used));
      length += Ctx::Length(paragraph.back());
      if (length >= target && i >= 1) break;
    }
    a->paragraphs.push_back(std::move(paragraph));
  }
}

Article GenerateArticle(Context* ctx, int target_words) {
  const Grammar& g = *ctx->grammar;
  Rng& rng = *ctx->rng;
  Article a;
  a.headline = ExpandToString(ctx, g.headline);
  Polish(&a.headline, true);
  ctx->mentioned = {};

  std::vector<std::string> used;  // sentences so far
  std::string first = GenerateSentence(ctx, g.lead, &used);
  if (rng.Chance(0.7)) {
    // Dateline: "NAIROBI (Meridian Wire) — ".
    std::string dateline = ctx->topic->city;
    for (char& c : dateline) c = AsciiUpper(c);
    dateline += " (" + ExpandToString(ctx, g.agency) + ") \xE2\x80\x94 ";
    first = dateline + first;
  }
  AppendParagraphs(ctx, std::move(first), 5, target_words, &used, &a);
  return a;
}

std::string RenderBody(const Article& a) {
  std::string body = a.headline;
  for (const auto& paragraph : a.paragraphs) {
    body += "\n\n";
    for (size_t i = 0; i < paragraph.size(); ++i) {
      if (i > 0 && !a.zh) body.push_back(' ');
      body += paragraph[i];
    }
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// Variant edits.

// Inserts a new paragraph on the same topic; returns its index.
size_t ApplyAdd(Context* ctx, Article* a) {
  ctx->mentioned.fill(true);  // the article already introduced its people
  std::vector<std::string> used;
  for (const auto& p : a->paragraphs) used.insert(used.end(), p.begin(), p.end());
  const int sentences = ctx->rng->Range(2, 4);
  std::vector<std::string> paragraph;
  for (int i = 0; i < sentences; ++i) {
    paragraph.push_back(GenerateSentence(ctx, ctx->grammar->sentence, &used));
  }
  // Never before the lead paragraph: insertions in real updates come after the lead.
  const size_t at = a->paragraphs.empty() ? 0 : 1 + ctx->rng->Index(a->paragraphs.size());
  a->paragraphs.insert(a->paragraphs.begin() + static_cast<std::ptrdiff_t>(at),
                       std::move(paragraph));
  return at;
}

// Removes one paragraph other than the lead and other than `keep` (a paragraph just added: a
// combo of add and drop must not give back the original).
void ApplyDrop(Rng* rng, size_t keep, Article* a) {
  const size_t n = a->paragraphs.size();
  if (n >= 3) {
    std::vector<size_t> candidates;
    for (size_t i = 1; i < n; ++i) {
      if (i != keep) candidates.push_back(i);
    }
    a->paragraphs.erase(a->paragraphs.begin() +
                        static_cast<std::ptrdiff_t>(candidates[rng->Index(candidates.size())]));
  } else if (n == 2) {
    a->paragraphs.pop_back();
  } else if (n == 1 && a->paragraphs[0].size() >= 2) {
    a->paragraphs[0].pop_back();
  }
}

struct WordSpan {
  size_t begin, end;
};

std::vector<WordSpan> AsciiWords(const std::string& s) {
  std::vector<WordSpan> words;
  size_t i = 0;
  while (i < s.size()) {
    if (!IsAsciiAlpha(s[i])) {
      ++i;
      continue;
    }
    const size_t begin = i;
    while (i < s.size() && IsAsciiAlpha(s[i])) ++i;
    words.push_back({begin, i});
  }
  return words;
}

// One in-word typo: swap two adjacent interior letters, delete or double one. Only ASCII letters
// are touched, so UTF-8 sequences stay intact.
bool ApplyTypo(Rng* rng, std::string* s) {
  std::vector<WordSpan> words = AsciiWords(*s);
  words.erase(std::remove_if(words.begin(), words.end(),
                             [](const WordSpan& w) { return w.end - w.begin < 4; }),
              words.end());
  if (words.empty()) return false;
  const WordSpan w = words[rng->Index(words.size())];
  const size_t p = w.begin + 1 + rng->Index(w.end - w.begin - 2);  // interior, p+1 < end
  switch (rng->Index(3)) {
    case 0:
      if ((*s)[p] != (*s)[p + 1]) {
        std::swap((*s)[p], (*s)[p + 1]);
        break;
      }
      [[fallthrough]];
    case 1:
      s->erase(p, 1);
      break;
    default:
      s->insert(p, 1, (*s)[p]);
      break;
  }
  return true;
}

bool ApplySynonym(const Grammar& g, Rng* rng, std::string* s) {
  struct Candidate {
    WordSpan span;
    const std::string* replacement;
  };
  std::vector<Candidate> candidates;
  std::string lower;
  for (const WordSpan& w : AsciiWords(*s)) {
    lower.assign(*s, w.begin, w.end - w.begin);
    for (char& c : lower) c = AsciiLower(c);
    for (const auto& [from, to] : g.synonyms()) {
      if (from == lower) {
        candidates.push_back({w, &to});
        break;
      }
    }
  }
  if (candidates.empty()) return false;
  const Candidate& c = candidates[rng->Index(candidates.size())];
  std::string replacement = *c.replacement;
  if ((*s)[c.span.begin] >= 'A' && (*s)[c.span.begin] <= 'Z')
    replacement[0] = AsciiUpper(replacement[0]);
  s->replace(c.span.begin, c.span.end - c.span.begin, replacement);
  return true;
}

// Light copy-editing: ASCII quotes (often), and one typo or synonym swap per 33-100 words.
void ApplyEdit(const Grammar& g, Rng* rng, Article* a) {
  std::vector<std::string*> sentences;
  for (auto& paragraph : a->paragraphs) {
    for (auto& sentence : paragraph) sentences.push_back(&sentence);
  }
  if (rng->Chance(0.7)) {
    auto fold = [](std::string* s) {
      ReplaceAll(s, kRightSingleQuote, "'");
      ReplaceAll(s, kLeftSingleQuote, "'");
      ReplaceAll(s, kLeftDoubleQuote, "\"");
      ReplaceAll(s, kRightDoubleQuote, "\"");
    };
    fold(&a->headline);
    for (std::string* s : sentences) fold(s);
  }
  if (sentences.empty()) return;
  const double rate = 0.01 + 0.02 * rng->Real();
  const int edits = std::max(1, static_cast<int>(ArticleWords(*a) * rate));
  for (int i = 0; i < edits; ++i) {
    std::string* s = sentences[rng->Index(sentences.size())];
    if (!(rng->Chance(0.55) && ApplySynonym(g, rng, s))) ApplyTypo(rng, s);
  }
}

// Cuts the article after the sentence whose cumulative word share is closest to a random target
// in [0.55, 0.80], preferring cut points inside that window. Returns the kept fraction.
double ApplyTrunc(Rng* rng, Article* a) {
  const double target = 0.55 + 0.25 * rng->Real();
  const int total = ArticleWords(*a);
  if (total == 0) return 1;
  int cumulative = 0;
  size_t best_p = 0, best_s = 0;
  double best_cost = -1;
  bool any = false;
  for (size_t p = 0; p < a->paragraphs.size(); ++p) {
    for (size_t s = 0; s < a->paragraphs[p].size(); ++s) {
      cumulative += CountWords(a->paragraphs[p][s]);
      if (cumulative >= total) break;  // keep at least one sentence out
      const double f = static_cast<double>(cumulative) / total;
      const double outside = f < 0.55 ? 0.55 - f : f > 0.80 ? f - 0.80 : 0.0;
      const double cost = outside * 100 + (f > target ? f - target : target - f);
      if (!any || cost < best_cost) {
        any = true;
        best_cost = cost;
        best_p = p;
        best_s = s;
      }
    }
  }
  if (!any) return 1;
  a->paragraphs.resize(best_p + 1);
  a->paragraphs[best_p].resize(best_s + 1);
  return static_cast<double>(ArticleWords(*a)) / total;
}

// ---------------------------------------------------------------------------------------------
// Dates.

// Howard Hinnant's civil_from_days: days since 1970-01-01 -> year, month, day.
void CivilFromDays(int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = static_cast<int>(yoe + era * 400 + (*month <= 2 ? 1 : 0));
}

std::string FormatTimestamp(int64_t minutes) {
  const int64_t days = kStartDay + minutes / 1440;
  const int64_t minute_of_day = minutes % 1440;
  int y, m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:00Z", y, m, d,
                static_cast<int>(minute_of_day / 60), static_cast<int>(minute_of_day % 60));
  return buf;
}

int WeekdayOf(int64_t minutes) {
  return static_cast<int>((kStartDay + minutes / 1440 + 4) % 7);  // 1970-01-01 was a Thursday
}

// Joins `lines` and cuts the result to exactly `words` words (the last line may be cut short).
std::string FitChrome(const std::vector<std::string>& lines, int words) {
  std::string out;
  int count = 0;
  for (const std::string& line : lines) {
    if (count >= words) break;
    if (!out.empty()) out.push_back('\n');
    size_t i = 0;
    bool first_word = true;
    while (i < line.size() && count < words) {
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size()) break;
      size_t end = i;
      while (end < line.size() && line[end] != ' ') ++end;
      if (!first_word) out.push_back(' ');
      out.append(line, i, end - i);
      first_word = false;
      ++count;
      i = end;
    }
  }
  return out;
}

std::string BuildChrome(Context* ctx, int rule, int target_words) {
  const Grammar& g = *ctx->grammar;
  const size_t n = g.rule(rule).alternatives.size();
  std::vector<bool> used(n, false);
  std::vector<std::string> lines;
  int words = 0;
  size_t used_count = 0;
  while (words < target_words) {
    int alt = ctx->rng->Index(n);
    if (used_count < n) {
      while (used[alt]) alt = (alt + 1) % static_cast<int>(n);
      used[alt] = true;
      ++used_count;
    }
    std::string line;
    ExpandAlternative(ctx, rule, alt, &line, 0);
    Polish(&line, false);
    words += CountWords(line);
    lines.push_back(std::move(line));
  }
  return FitChrome(lines, target_words);
}

// ---------------------------------------------------------------------------------------------
// The hard profile (see corpus_generator.h): edits at a word rate, deep truncation, promo lines,
// aggregator sites, and Chinese articles. None of this runs in the default profile.

// Edits `rate` of the body's words (at least one word), in runs of one to three neighbouring
// words of a sentence (copy editors rework phrases; scattered single-word edits would break more
// shingles per edited word than real edits do): each chosen word of three or more ASCII letters
// is swapped for its house-style synonym when it has one (55%), else misspelt (two letters
// swapped, one dropped or one doubled). Returns the words edited / the body's words.
double ApplyWordEdits(const Grammar& g, Rng* rng, double rate, Article* a) {
  struct Target {
    size_t sentence;
    WordSpan span;
  };
  std::vector<std::string*> sentences;
  std::vector<Target> words;
  for (auto& paragraph : a->paragraphs) {
    for (auto& sentence : paragraph) {
      for (const WordSpan& w : AsciiWords(sentence)) {
        if (w.end - w.begin >= 3) words.push_back({sentences.size(), w});
      }
      sentences.push_back(&sentence);
    }
  }
  const int total = ArticleWords(*a);
  if (words.empty() || total == 0) return 0;
  const size_t n = std::min(words.size(), static_cast<size_t>(std::max(1.0, total * rate + 0.5)));
  std::vector<bool> chosen(words.size(), false);
  size_t picked = 0;
  while (picked < n) {
    size_t i = rng->Below(words.size());
    const size_t sentence = words[i].sentence;
    for (int run = rng->Range(1, 3);
         run > 0 && picked < n && i < words.size() && words[i].sentence == sentence; --run, ++i) {
      if (!chosen[i]) {
        chosen[i] = true;
        ++picked;
      }
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    if (chosen[i]) words[kept++] = words[i];
  }
  words.resize(kept);
  // Right to left within a sentence, so that the spans still to edit stay valid.
  std::sort(words.begin(), words.end(), [](const Target& x, const Target& y) {
    return x.sentence != y.sentence ? x.sentence < y.sentence : x.span.begin > y.span.begin;
  });
  std::string lower;
  for (const Target& t : words) {
    std::string& s = *sentences[t.sentence];
    const size_t begin = t.span.begin, len = t.span.end - t.span.begin;
    lower.assign(s, begin, len);
    for (char& c : lower) c = AsciiLower(c);
    const std::string* synonym = nullptr;
    for (const auto& [from, to] : g.synonyms()) {
      if (from == lower) {
        synonym = &to;
        break;
      }
    }
    if (synonym != nullptr && rng->Chance(0.55)) {
      std::string replacement = *synonym;
      if (s[begin] >= 'A' && s[begin] <= 'Z') replacement[0] = AsciiUpper(replacement[0]);
      s.replace(begin, len, replacement);
      continue;
    }
    const size_t p = begin + 1 + rng->Index(len - 2);  // interior, p + 1 < end
    switch (rng->Index(3)) {
      case 0:
        if (s[p] != s[p + 1]) {
          std::swap(s[p], s[p + 1]);
          break;
        }
        [[fallthrough]];
      case 1:
        s.erase(p, 1);
        break;
      default:
        s.insert(p, 1, s[p]);
        break;
    }
  }
  return static_cast<double>(n) / total;
}

// Keeps the first 25-45% of the paragraphs (at least one, never all). A one-paragraph article keeps
// about a third of its sentences instead. Returns the kept share of the body's words.
double ApplyParagraphTrunc(Rng* rng, Article* a) {
  const int total = ArticleWords(*a);
  const size_t n = a->paragraphs.size();
  if (total == 0) return 1;
  if (n >= 2) {
    const size_t lo = std::max<size_t>(1, (n * 25 + 99) / 100), hi = n * 45 / 100;
    size_t keep = static_cast<size_t>((0.25 + 0.20 * rng->Real()) * static_cast<double>(n) + 0.5);
    if (lo <= hi) keep = std::clamp(keep, lo, hi);
    keep = std::clamp<size_t>(keep, 1, n - 1);
    a->paragraphs.resize(keep);
  } else if (n == 1 && a->paragraphs[0].size() >= 2) {
    const size_t sentences = a->paragraphs[0].size();
    a->paragraphs[0].resize(std::max<size_t>(1, sentences * 35 / 100));
  }
  return static_cast<double>(ArticleWords(*a)) / total;
}

// A site's promo lines (`promo` copies): the wording is fixed per site, READ MORE takes another
// article's headline each time.
struct PromoSet {
  std::string subscribe;
  std::string follow;
  std::string read_more;  // prefix, e.g. "READ MORE: "
};

constexpr const char* kSubscribeLines[] = {
    "Subscribe to our newsletter for the day\xE2\x80\x99s top stories from {BRAND}, delivered to "
    "your inbox every morning.",
    "Sign up to the {BRAND} daily briefing: the news you need, free, every weekday.",
    "Get the latest headlines from {CITY} and beyond: subscribe to {BRAND} newsletters.",
    "Never miss a story. Subscribe to {BRAND} for unlimited access from $1 a week.",
    "Want more stories like this? Subscribe to the {BRAND} morning newsletter.",
};
constexpr const char* kFollowLines[] = {
    "Follow us on Facebook, X and Instagram for more news from {CITY}.",
    "Follow {BRAND} on WhatsApp and Telegram for breaking news alerts.",
    "Like {BRAND} on Facebook and follow us on X @{HANDLE}.",
    "Stay up to date: follow {BRAND} on Google News.",
    "Follow @{HANDLE} for live updates from our newsroom in {CITY}.",
};
constexpr const char* kReadMorePrefixes[] = {
    "READ MORE: ", "Read more: ", "RELATED: ", "ALSO READ | ", "MORE: ", "SEE ALSO: "};

std::string FillSiteTemplate(std::string_view pattern, const Site& site) {
  std::string handle;
  for (const char c : site.brand.substr(site.brand.rfind("The ", 0) == 0 ? 4 : 0)) {
    if (c != ' ') handle.push_back(c);
  }
  std::string s(pattern);
  ReplaceAll(&s, "{BRAND}", site.brand);
  ReplaceAll(&s, "{CITY}", site.city);
  ReplaceAll(&s, "{HANDLE}", handle);
  return s;
}

PromoSet MakePromoSet(const Site& site, Rng* rng) {
  PromoSet p;
  p.subscribe = FillSiteTemplate(kSubscribeLines[rng->Index(std::size(kSubscribeLines))], site);
  p.follow = FillSiteTemplate(kFollowLines[rng->Index(std::size(kFollowLines))], site);
  p.read_more = kReadMorePrefixes[rng->Index(std::size(kReadMorePrefixes))];
  return p;
}

// Inserts one or two of the site's promo lines, each its own paragraph after the lead.
void InsertPromos(const PromoSet& promos, const std::string& other_headline, Rng* rng, Article* a) {
  const std::string lines[] = {promos.subscribe, promos.follow, promos.read_more + other_headline};
  int order[] = {0, 1, 2};
  for (int i = 2; i > 0; --i) std::swap(order[i], order[rng->Index(i + 1)]);
  const int count = rng->Range(1, 2);
  for (int i = 0; i < count; ++i) {
    const size_t at = a->paragraphs.empty() ? 0 : 1 + rng->Index(a->paragraphs.size());
    a->paragraphs.insert(a->paragraphs.begin() + static_cast<std::ptrdiff_t>(at),
                         std::vector<std::string>{lines[order[i]]});
  }
}

// An aggregator site: a small header, and a footer of a long disclaimer paragraph and a link line.
// Aggregators with an even index label their copies with the original's site in the `source`
// field (a feed that names the publisher), the others with their own domain. With their own
// domain, the copies form a per-source scope in which every line next to the footer is unique,
// which is what dedup's boilerplate rule looks for; labelled with the publisher, they do not.
struct Aggregator {
  std::string domain;
  std::string brand;
  std::string header;
  std::string footer;
  bool names_publisher = false;
};

constexpr const char* kAggregatorA[] = {"News", "World", "Daily", "Global", "Breaking",
                                        "Live", "Top",   "Trend", "Info",   "Buzz"};
constexpr const char* kAggregatorB[] = {"Hub",   "Feed", "24",   "Now",   "Desk",
                                        "Pulse", "Wire", "Beat", "Point", "Stream"};
constexpr const char* kAggregatorTaglines[] = {
    "All the news in one place", "Latest world news, updated every minute",
    "News from around the web", "Top stories from trusted sources", "Your daily news feed"};
constexpr const char* kAggregatorMenus[] = {
    "Home | World | Business | Tech | Entertainment | Sports",
    "Home | Latest | Politics | Economy | Science | Health",
    "Home | News | Markets | Lifestyle | Travel | Contact"};
constexpr const char* kDisclaimerOpeners[] = {
    "DISCLAIMER:- Denial of responsibility! {BRAND} is an automatic aggregator of the all "
    "world\xE2\x80\x99s media.",
    "Disclaimer: {BRAND} is an automated news aggregator that collects articles from publicly "
    "available sources around the world.",
    "DISCLAIMER: This story was automatically aggregated by {BRAND} from a syndicated feed and has "
    "not been edited by our staff.",
    "Denial of responsibility! {BRAND} is an automatic aggregator of news from the "
    "world\xE2\x80\x99s media outlets.",
    "Disclaimer \xE2\x80\x93 {BRAND} republishes news from third-party publishers automatically.",
};
// The first four follow the first opener in the real footer this imitates.
constexpr const char* kDisclaimerSentences[] = {
    "In each content, the hyperlink to the primary source is specified.",
    "All trademarks belong to their rightful owners, all materials to their authors.",
    "If you are the owner of the content and do not want us to publish your materials, please "
    "contact us by email \xE2\x80\x93 {EMAIL}.",
    "The content will be deleted within 24 hours.",
    "We do not verify the accuracy of the information published, and the views expressed belong "
    "to the original publishers.",
    "{BRAND} is not responsible for the content of external sites, and any reliance you place on "
    "such information is strictly at your own risk.",
    "The headline, images and text are reproduced from the original source for informational "
    "purposes only.",
    "For corrections or takedown requests, write to {EMAIL} and include the address of the page "
    "concerned.",
    "Copyright remains with the respective owners; no infringement is intended.",
    "This page may contain affiliate links, and {BRAND} may earn a commission on purchases made "
    "through them.",
    "By continuing to use this site you agree to our terms of use and privacy policy.",
};
constexpr std::string_view kReadOriginal = "Read original article here";

// Aggregator i depends only on the seed and i.
Aggregator MakeAggregator(uint64_t seed, int i) {
  Rng rng(DeriveSeed(seed, 4000 + static_cast<uint64_t>(i)));
  constexpr int kCombos = static_cast<int>(std::size(kAggregatorA) * std::size(kAggregatorB));
  const int offset = static_cast<int>(DeriveSeed(seed, 3999) % kCombos);
  const int combo = (i * 37 + offset) % kCombos;  // 37 is coprime to 100: unique up to 100
  Aggregator agg;
  agg.names_publisher = i % 2 == 0;
  agg.brand = std::string(kAggregatorA[combo / std::size(kAggregatorB)]) +
              kAggregatorB[combo % std::size(kAggregatorB)];
  for (const char c : agg.brand) agg.domain.push_back(AsciiLower(c));
  agg.domain += ".example";
  agg.header = agg.brand + " \xE2\x80\x93 " +
               kAggregatorTaglines[rng.Index(std::size(kAggregatorTaglines))] + "\n" +
               kAggregatorMenus[rng.Index(std::size(kAggregatorMenus))];
  std::vector<int> rest;
  std::string disclaimer = kDisclaimerOpeners[i % std::size(kDisclaimerOpeners)];
  if (i % std::size(kDisclaimerOpeners) == 0) {
    for (int k = 0; k < 4; ++k) disclaimer.append(" ").append(kDisclaimerSentences[k]);
    for (int k = 4; k < static_cast<int>(std::size(kDisclaimerSentences)); ++k) rest.push_back(k);
  } else {
    for (int k = 0; k < static_cast<int>(std::size(kDisclaimerSentences)); ++k) rest.push_back(k);
  }
  for (size_t k = rest.size() - 1; k > 0; --k) std::swap(rest[k], rest[rng.Index(k + 1)]);
  const int target = rng.Range(85, 100);
  for (size_t k = 0; k < rest.size() && CountWords(disclaimer) < target; ++k) {
    disclaimer.append(" ").append(kDisclaimerSentences[rest[k]]);
  }
  ReplaceAll(&disclaimer, "{BRAND}", agg.brand);
  ReplaceAll(&disclaimer, "{EMAIL}", "contact@" + agg.domain);
  agg.footer = disclaimer + "\n\n" + std::string(kReadOriginal);
  return agg;
}

// ---------------------------------------------------------------------------------------------
// Chinese: a sibling of Grammar over bench/zh_vocab.inc (the same RuleTable), with its own
// built-ins, topics, sites and context; expansion, sentences and paragraphs use the generic code
// above.

#include "bench/zh_vocab.inc"

constexpr int kNumZhDomains = static_cast<int>(std::size(kZhDomainPrefixes));
// Chinese sentences longer than this (in Han characters) are regenerated (a few times).
constexpr int kMaxZhSentenceChars = 80;

enum class ZhBuiltin : uint8_t {
  kTp,       // a topic person: title and name on first mention, then the name
  kTpName,   // a topic person's name
  kSurname,  // any surname
  kRname,    // any full name (residents, reporters)
  kTorg,     // a topic organisation (the first is the most frequent)
  kTplace,   // the topic's city
  kTn,       // one of the topic's key nouns
  kTn2,      // another of the topic's key nouns than the last {TN}
  kTevent,   // the topic's key event
  kFig,      // the topic's key figure (money)
  kDate,     // "3月14日"
  kMonth,    // 1 .. 12
  kYear,     // 2015 .. 2022
  kYearFut,  // 2025, 2027, 2030, 2035
  kNum,      // 10 .. 999
  kNum2,     // 12 .. 68
  kDec,      // "2.3"
  kPct,      // "4.3%"
  kMoney,    // "3.2亿元", "560万元"
  kCount,    // "3600", "1.2万"
  kBrand,    // the site's brand (chrome)
  kPhone,    // the site's phone number (chrome)
  kDigits,   // eight digits (chrome)
};

constexpr NamedBuiltin<ZhBuiltin> kZhBuiltinNames[] = {
    {"TP", ZhBuiltin::kTp},           {"TPNAME", ZhBuiltin::kTpName},
    {"SURNAME", ZhBuiltin::kSurname}, {"RNAME", ZhBuiltin::kRname},
    {"TORG", ZhBuiltin::kTorg},       {"TPLACE", ZhBuiltin::kTplace},
    {"TN", ZhBuiltin::kTn},           {"TN2", ZhBuiltin::kTn2},
    {"TEVENT", ZhBuiltin::kTevent},   {"FIG", ZhBuiltin::kFig},
    {"DATE", ZhBuiltin::kDate},       {"MONTH", ZhBuiltin::kMonth},
    {"YEAR", ZhBuiltin::kYear},       {"YEAR_FUT", ZhBuiltin::kYearFut},
    {"NUM", ZhBuiltin::kNum},         {"NUM2", ZhBuiltin::kNum2},
    {"DEC", ZhBuiltin::kDec},         {"PCT", ZhBuiltin::kPct},
    {"MONEY", ZhBuiltin::kMoney},     {"COUNT", ZhBuiltin::kCount},
    {"BRAND", ZhBuiltin::kBrand},     {"PHONE", ZhBuiltin::kPhone},
    {"DIGITS", ZhBuiltin::kDigits},
};

class ZhGrammar : public RuleTable<ZhBuiltin, kNumZhDomains> {
 public:
  static const ZhGrammar& Get() { return BuiltOnce<ZhGrammar>("Chinese grammar"); }

  const std::vector<std::pair<std::string, std::string>>& synonyms() const { return synonyms_; }
  // The 3-byte UTF-8 characters of kZhCharPool.
  const std::vector<std::string>& char_pool() const { return char_pool_; }

  struct Domain {
    int noun, org, event;
  };
  const Domain& domain(int d) const { return domains_[d]; }

  int surname, given, city, title, sentence, lead, lead_follow, dateline, headline, chrome_head,
      chrome_foot, brand_a, brand_b;

 private:
  template <typename G>
  friend const G& BuiltOnce(const char* what);
  std::string Build();

  std::array<Domain, kNumZhDomains> domains_{};
  std::vector<std::pair<std::string, std::string>> synonyms_;
  std::vector<std::string> char_pool_;
};

std::string ZhGrammar::Build() {
  if (std::string error = Load(kZhRules, kZhBuiltinNames, kZhDomainPrefixes, /*capitals=*/false);
      !error.empty()) {
    return error;
  }
  if (!Resolve("ZSURNAME", &surname) || !Resolve("ZGIVEN", &given) || !Resolve("ZCITY", &city) ||
      !Resolve("ZTITLE", &title) || !Resolve("ZSENT", &sentence) || !Resolve("ZLEAD", &lead) ||
      !Resolve("ZLEAD_FOLLOW", &lead_follow) || !Resolve("ZDATELINE", &dateline) ||
      !Resolve("ZHEADLINE", &headline) || !Resolve("ZCHROME_HEAD", &chrome_head) ||
      !Resolve("ZCHROME_FOOT", &chrome_foot) || !Resolve("ZBRAND_A", &brand_a) ||
      !Resolve("ZBRAND_B", &brand_b)) {
    return "a rule used by the generator is missing";
  }
  for (int d = 0; d < kNumZhDomains; ++d) {
    const std::string prefix = kZhDomainPrefixes[d];
    Domain& rules = domains_[d];
    if (!Resolve(prefix + "_N", &rules.noun) || !Resolve(prefix + "_ORG", &rules.org) ||
        !Resolve(prefix + "_VP", &rules.event)) {
      return "domain " + prefix + " lacks _N, _ORG or _VP";
    }
  }
  for (const SynonymDef& s : kZhSynonyms) {
    synonyms_.emplace_back(s.from, s.to);
    synonyms_.emplace_back(s.to, s.from);
  }
  const std::string_view pool = kZhCharPool;
  if (pool.size() % 3 != 0) return "kZhCharPool must hold 3-byte UTF-8 characters only";
  for (size_t i = 0; i < pool.size(); i += 3) {
    if ((static_cast<unsigned char>(pool[i]) & 0xF0) != 0xE0) return "kZhCharPool: not 3-byte";
    char_pool_.emplace_back(pool.substr(i, 3));
  }
  return "";
}

// Doubled punctuation left by empty slots.
void ZhPolish(std::string* s) {
  ReplaceAll(s, "，，", "，");
  ReplaceAll(s, "，。", "。");
  ReplaceAll(s, "。。", "。");
}

// Han characters (CJK unified ideographs, extension A, compatibility ideographs) in UTF-8 text.
bool IsHanAt(std::string_view s, size_t i) {
  if (i + 3 > s.size()) return false;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if ((b0 & 0xF0) != 0xE0) return false;
  const uint32_t cp = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                      (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
  return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
         (cp >= 0xF900 && cp <= 0xFAFF);
}

int CountHan(std::string_view s) {
  int n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsHanAt(s, i)) {
      ++n;
      i += 2;
    }
  }
  return n;
}

int ArticleHan(const Article& a) {
  int n = 0;
  for (const auto& paragraph : a.paragraphs) {
    for (const auto& sentence : paragraph) n += CountHan(sentence);
  }
  return n;
}

struct ZhPerson {
  std::string name;
  std::string title;  // "成都市商务局副局长", said before the name on first mention
};

struct ZhTopic {
  std::string id;
  int domain = 0;
  std::string city;
  std::vector<ZhPerson> persons;
  std::vector<std::string> orgs;
  std::vector<std::string> nouns;
  std::string event;
  std::string figure;
  int members = 0;
  std::vector<int> sites;
};

struct ZhSite {
  std::string domain;
  std::string brand;
  std::string phone;
  std::string header;
  std::string footer;
};

// The expansion context of the Chinese grammar (see Context).
struct ZhContext {
  using BuiltinType = ZhBuiltin;
  static void PolishPhrase(std::string* s) { ZhPolish(s); }
  static void PolishSentence(std::string* s) { ZhPolish(s); }
  static int Length(std::string_view s) { return CountHan(s); }
  static constexpr int kMaxSentenceLength = kMaxZhSentenceChars;

  const ZhGrammar* grammar = nullptr;
  Rng* rng = nullptr;
  const ZhTopic* topic = nullptr;
  const ZhSite* site = nullptr;
  std::array<bool, kMaxPersons> mentioned{};
  int last_noun = 0;
  std::string date;  // {DATE} within one article (empty: a random date each time)
};

int PickZhPerson(ZhContext* ctx) {
  const int n = static_cast<int>(ctx->topic->persons.size());
  return (n == 1 || ctx->rng->Chance(0.5)) ? 0 : 1 + ctx->rng->Index(n - 1);
}

void AppendBuiltin(ZhContext* ctx, ZhBuiltin builtin, std::string* out) {
  Rng& rng = *ctx->rng;
  const ZhGrammar& g = *ctx->grammar;
  const ZhTopic* t = ctx->topic;
  switch (builtin) {
    case ZhBuiltin::kTp:
    case ZhBuiltin::kTpName: {
      if (t == nullptr || t->persons.empty()) {  // while the topic's people are being created
        out->append(ExpandToString(ctx, g.surname)).append(ExpandToString(ctx, g.given));
        return;
      }
      const int index = PickZhPerson(ctx);
      const ZhPerson& p = t->persons[index];
      if (builtin == ZhBuiltin::kTp && !ctx->mentioned[index]) out->append(p.title);
      ctx->mentioned[index] = true;
      out->append(p.name);
      return;
    }
    case ZhBuiltin::kSurname:
      out->append(ExpandToString(ctx, g.surname));
      return;
    case ZhBuiltin::kRname:
      out->append(ExpandToString(ctx, g.surname)).append(ExpandToString(ctx, g.given));
      return;
    case ZhBuiltin::kTorg:
      if (t == nullptr || t->orgs.empty()) {
        out->append(t ? t->city + "市人民政府" : "市人民政府");
      } else if (t->orgs.size() == 1 || rng.Chance(0.5)) {
        out->append(t->orgs[0]);
      } else {
        out->append(t->orgs[1 + rng.Index(t->orgs.size() - 1)]);
      }
      return;
    case ZhBuiltin::kTplace:
      out->append(t ? t->city : "北京");
      return;
    case ZhBuiltin::kTn:
    case ZhBuiltin::kTn2: {
      if (t == nullptr || t->nouns.empty()) {
        out->append("这项工作");
        return;
      }
      const int n = static_cast<int>(t->nouns.size());
      int i;
      if (builtin == ZhBuiltin::kTn2 && n >= 2) {
        i = (ctx->last_noun + 1 + rng.Index(n - 1)) % n;
      } else {
        static constexpr int kWeights[] = {6, 4, 3, 2, 2, 1};
        const int m = std::min(n, 6);
        int total = 0;
        for (int k = 0; k < m; ++k) total += kWeights[k];
        int x = rng.Index(total);
        i = 0;
        while (x >= kWeights[i]) x -= kWeights[i++];
        ctx->last_noun = i;
      }
      out->append(t->nouns[i]);
      return;
    }
    case ZhBuiltin::kTevent:
      out->append(t && !t->event.empty() ? t->event : "出台新的措施");
      return;
    case ZhBuiltin::kFig:
      out->append(t && !t->figure.empty() ? t->figure : "10亿元");
      return;
    case ZhBuiltin::kDate:
      if (!ctx->date.empty()) {
        out->append(ctx->date);
        return;
      }
      AppendInt(rng.Range(1, 12), out);
      out->append("月");
      AppendInt(rng.Range(1, 28), out);
      out->append("日");
      return;
    case ZhBuiltin::kMonth:
      AppendInt(rng.Range(1, 12), out);
      return;
    case ZhBuiltin::kYear:
      AppendInt(2022 - rng.Index(1 + rng.Index(8)), out);
      return;
    case ZhBuiltin::kYearFut: {
      static constexpr int kYears[] = {2025, 2027, 2030, 2035};
      AppendInt(kYears[rng.Index(std::size(kYears))], out);
      return;
    }
    case ZhBuiltin::kNum:
      AppendInt(rng.Chance(0.6) ? rng.Range(10, 99) : rng.Range(100, 999), out);
      return;
    case ZhBuiltin::kNum2:
      AppendInt(rng.Range(12, 68), out);
      return;
    case ZhBuiltin::kDec:
      AppendInt(rng.Range(1, 9), out);
      out->push_back('.');
      AppendInt(rng.Index(10), out);
      return;
    case ZhBuiltin::kPct:
      AppendInt(1 + rng.Index(1 + rng.Index(45)), out);
      if (rng.Chance(0.6)) {
        out->push_back('.');
        AppendInt(rng.Index(10), out);
      }
      out->append("%");
      return;
    case ZhBuiltin::kMoney: {
      const int form = rng.Index(10);
      if (form < 4) {
        AppendInt(rng.Range(1, 99), out);
        out->push_back('.');
        AppendInt(rng.Index(10), out);
        out->append("亿元");
      } else if (form < 8) {
        AppendInt(rng.Range(100, 9999), out);
        out->append("万元");
      } else if (form < 9) {
        AppendInt(rng.Range(100, 999), out);
        out->append("亿元");
      } else {
        AppendInt(rng.Range(1, 9), out);
        out->push_back('.');
        AppendInt(rng.Index(10), out);
        out->append("万亿元");
      }
      return;
    }
    case ZhBuiltin::kCount: {
      const int form = rng.Index(10);
      if (form < 4) {
        AppendInt(rng.Range(100, 9999), out);
      } else if (form < 8) {
        AppendInt(rng.Range(1, 99), out);
        out->push_back('.');
        AppendInt(rng.Index(10), out);
        out->append("万");
      } else {
        AppendInt(rng.Range(10, 999), out);
        out->append("万");
      }
      return;
    }
    case ZhBuiltin::kBrand:
      out->append(ctx->site ? ctx->site->brand : "东方新闻网");
      return;
    case ZhBuiltin::kPhone:
      out->append(ctx->site ? ctx->site->phone : "010-12345678");
      return;
    case ZhBuiltin::kDigits:
      for (int i = 0; i < 8; ++i) AppendInt(rng.Index(10), out);
      return;
  }
}

ZhTopic CreateZhTopic(const ZhGrammar& g, Rng* rng, std::string id) {
  ZhTopic t;
  t.id = std::move(id);
  t.domain = rng->Index(kNumZhDomains);
  ZhContext ctx{&g, rng, &t, nullptr, {}, 0, {}};
  t.city = ExpandToString(&ctx, g.city);
  const ZhGrammar::Domain& d = g.domain(t.domain);
  AddDistinct(&ctx, d.org, rng->Range(1, 3), 10, &t.orgs);
  AddDistinct(&ctx, d.noun, 5, 40, &t.nouns);
  const int num_persons = rng->Range(2, kMaxPersons);
  std::vector<std::string> names;
  while (static_cast<int>(t.persons.size()) < num_persons) {
    ZhPerson p;
    p.name = ExpandToString(&ctx, g.surname) + ExpandToString(&ctx, g.given);
    if (std::find(names.begin(), names.end(), p.name) != names.end()) continue;
    p.title = ExpandToString(&ctx, g.title);
    ZhPolish(&p.title);
    names.push_back(p.name);
    t.persons.push_back(std::move(p));
  }
  AppendBuiltin(&ctx, ZhBuiltin::kMoney, &t.figure);
  t.event = ExpandToString(&ctx, d.event);
  ZhPolish(&t.event);
  return t;
}

Article GenerateZhArticle(ZhContext* ctx, int target_chars) {
  const ZhGrammar& g = *ctx->grammar;
  Rng& rng = *ctx->rng;
  Article a;
  a.zh = true;
  ctx->date.clear();
  AppendBuiltin(ctx, ZhBuiltin::kDate, &ctx->date);  // the story's day, in every {DATE}
  a.headline = ExpandToString(ctx, g.headline);
  ZhPolish(&a.headline);
  ctx->mentioned = {};
  std::vector<std::string> used;
  std::string first = GenerateSentence(ctx, g.lead, &used);
  if (rng.Chance(0.6)) first = ExpandToString(ctx, g.dateline) + first;
  AppendParagraphs(ctx, std::move(first), 4, target_chars, &used, &a);
  return a;
}

// `count` distinct alternatives of `rule`, expanded, one per line.
std::string BuildZhChrome(ZhContext* ctx, int rule, int count) {
  const ZhGrammar& g = *ctx->grammar;
  const int n = static_cast<int>(g.rule(rule).alternatives.size());
  std::vector<int> alts(n);
  for (int i = 0; i < n; ++i) alts[i] = i;
  std::string out;
  for (int i = 0; i < count && i < n; ++i) {
    std::swap(alts[i], alts[i + ctx->rng->Index(n - i)]);
    std::string line;
    ExpandAlternative(ctx, rule, alts[i], &line, 0);
    ZhPolish(&line);
    if (!out.empty()) out.push_back('\n');
    out += line;
  }
  return out;
}

// Site i's brand words (brand_a, brand_b): combination (i * step + seed_value) modulo the number of
// combinations, a permutation of them over i when `step` is coprime to that number.
template <typename G>
std::pair<const std::string&, const std::string&> SiteBrand(const G& g, uint64_t seed_value, int i,
                                                            int step) {
  const int a_count = static_cast<int>(g.rule(g.brand_a).alternatives.size());
  const int b_count = static_cast<int>(g.rule(g.brand_b).alternatives.size());
  const int combos = a_count * b_count;
  const int offset = static_cast<int>(seed_value % combos);
  const int combo = static_cast<int>((int64_t{i} * step + offset) % combos);
  return {g.Literal(g.brand_a, combo / b_count), g.Literal(g.brand_b, combo % b_count)};
}

// Chinese site i depends only on the seed and i.
ZhSite MakeZhSite(uint64_t seed, int i) {
  const ZhGrammar& g = ZhGrammar::Get();
  Rng rng(DeriveSeed(seed, 2000 + static_cast<uint64_t>(i)));
  ZhSite site;
  char domain[32];
  std::snprintf(domain, sizeof domain, "zhsite%02d.example", i);
  site.domain = domain;
  const auto [a, b] = SiteBrand(g, DeriveSeed(seed, 1999), i, 101);  // 101: prime
  site.brand = a + b;
  static constexpr const char* kAreaCodes[] = {"010", "021",  "020", "0755", "028", "023",
                                               "027", "0571", "025", "029",  "022", "0512"};
  site.phone = std::string(kAreaCodes[rng.Index(std::size(kAreaCodes))]) + "-";
  for (int k = 0; k < 8; ++k) AppendInt(k == 0 ? rng.Range(2, 8) : rng.Index(10), &site.phone);
  const ZhTopic site_topic = CreateZhTopic(g, &rng, "");
  ZhContext ctx{&g, &rng, &site_topic, &site, {}, 0, {}};
  ctx.mentioned.fill(true);
  site.header = BuildZhChrome(&ctx, g.chrome_head, rng.Range(3, 5));
  site.footer = BuildZhChrome(&ctx, g.chrome_foot, rng.Range(3, 6));
  return site;
}

// Heavy Chinese copy-editing: rate in [0.10, 0.15] of the Han characters substituted (phrase
// synonyms for up to half of the budget, then runs of one or two neighbouring characters),
// then a sentence dropped and/or two adjacent sentences swapped. Sets the drop bit in *ops when a
// sentence was dropped. Returns the substituted share of the Han characters.
double ApplyZhEdit(const ZhGrammar& g, Rng* rng, Article* a, uint8_t* ops) {
  std::vector<std::string*> texts = {&a->headline};
  for (auto& paragraph : a->paragraphs) {
    for (auto& sentence : paragraph) texts.push_back(&sentence);
  }
  int total = 0;
  for (const std::string* s : texts) total += CountHan(*s);
  if (total == 0) return 0;
  const double rate = 0.10 + 0.05 * rng->Real();
  const int budget = std::max(1, static_cast<int>(total * rate + 0.5));
  int changed = 0;
  std::vector<size_t> order(texts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng->Index(i + 1)]);
  const auto& synonyms = g.synonyms();
  for (const size_t i : order) {
    if (changed >= budget / 2) break;
    std::string* s = texts[i];
    const size_t start = rng->Index(synonyms.size());
    for (size_t k = 0; k < synonyms.size(); ++k) {
      const auto& [from, to] = synonyms[(start + k) % synonyms.size()];
      const size_t pos = s->find(from);
      if (pos == std::string::npos) continue;
      if (rng->Chance(0.5)) {
        s->replace(pos, from.size(), to);
        changed += CountHan(to);
      }
      break;
    }
  }
  struct Position {
    size_t text, offset;
  };
  std::vector<Position> positions;
  for (size_t t = 0; t < texts.size(); ++t) {
    const std::string& s = *texts[t];
    for (size_t i = 0; i < s.size(); ++i) {
      if (IsHanAt(s, i)) {
        positions.push_back({t, i});
        i += 2;
      }
    }
  }
  // Runs of one or two neighbouring characters (a word rewritten), at distinct positions.
  const size_t n = std::min(positions.size(), static_cast<size_t>(std::max(0, budget - changed)));
  const auto& pool = g.char_pool();
  std::vector<bool> chosen(positions.size(), false);
  size_t picked = 0;
  while (picked < n) {
    const size_t start = rng->Below(positions.size());
    const size_t end = std::min(positions.size(), start + rng->Range(1, 2));
    for (size_t i = start; i < end && picked < n; ++i) {
      if (i > start && (positions[i].text != positions[i - 1].text ||
                        positions[i].offset != positions[i - 1].offset + 3)) {
        break;  // the second character must follow the first
      }
      if (chosen[i]) continue;
      chosen[i] = true;
      ++picked;
      std::string& s = *texts[positions[i].text];
      const size_t at = positions[i].offset;
      const std::string* c = &pool[rng->Index(pool.size())];
      if (s.compare(at, 3, *c) == 0) c = &pool[(c - pool.data() + 1) % pool.size()];
      s.replace(at, 3, *c);  // 3 bytes for 3 bytes: the other positions stay valid
    }
  }
  changed += static_cast<int>(picked);

  bool drop = rng->Chance(0.6);
  const bool swap = rng->Chance(0.6) || !drop;
  if (drop) {
    std::vector<std::pair<size_t, size_t>> candidates;  // never the lead's first sentence
    for (size_t p = 0; p < a->paragraphs.size(); ++p) {
      for (size_t s = (p == 0 ? 1 : 0); s < a->paragraphs[p].size(); ++s) {
        candidates.push_back({p, s});
      }
    }
    if (candidates.empty()) {
      drop = false;
    } else {
      const auto [p, s] = candidates[rng->Index(candidates.size())];
      auto& paragraph = a->paragraphs[p];
      paragraph.erase(paragraph.begin() + static_cast<std::ptrdiff_t>(s));
      if (paragraph.empty()) {
        a->paragraphs.erase(a->paragraphs.begin() + static_cast<std::ptrdiff_t>(p));
      }
      *ops |= kOpDrop;
    }
  }
  if (swap) {
    std::vector<std::pair<size_t, size_t>> candidates;
    for (size_t p = 0; p < a->paragraphs.size(); ++p) {
      for (size_t s = (p == 0 ? 1 : 0); s + 1 < a->paragraphs[p].size(); ++s) {
        candidates.push_back({p, s});
      }
    }
    if (!candidates.empty()) {
      const auto [p, s] = candidates[rng->Index(candidates.size())];
      std::swap(a->paragraphs[p][s], a->paragraphs[p][s + 1]);
    } else if (a->paragraphs.size() >= 3) {
      const size_t p = 1 + rng->Index(a->paragraphs.size() - 2);
      std::swap(a->paragraphs[p], a->paragraphs[p + 1]);
    }
  }
  return static_cast<double>(changed) / total;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API.

std::string_view VariantKindName(VariantKind kind) {
  switch (kind) {
    case VariantKind::kOriginal:
      return "original";
    case VariantKind::kChrome:
      return "chrome";
    case VariantKind::kEdit:
      return "edit";
    case VariantKind::kDrop:
      return "drop";
    case VariantKind::kAdd:
      return "add";
    case VariantKind::kTrunc:
      return "trunc";
    case VariantKind::kCombo:
      return "combo";
    case VariantKind::kAggFooter:
      return "aggfooter";
    case VariantKind::kShortFooter:
      return "shortfooter";
    case VariantKind::kDeepTrunc:
      return "deeptrunc";
    case VariantKind::kPromo:
      return "promo";
    case VariantKind::kZhEdit:
      return "zhedit";
    case VariantKind::kHot:
      return "hot";
  }
  return "?";
}

bool ParseVariantKind(std::string_view name, VariantKind* kind) {
  for (int i = 0; i < kNumVariantKinds; ++i) {
    if (VariantKindName(static_cast<VariantKind>(i)) == name) {
      *kind = static_cast<VariantKind>(i);
      return true;
    }
  }
  return false;
}

std::string ValidateOptions(const GenerateOptions& o) {
  auto number = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  if (o.num_docs < 0 || o.num_docs > 999'999'999) return "--docs must be in [0, 999999999]";
  if (!(o.dup_rate >= 0 && o.dup_rate <= 1)) {
    return "--dup-rate must be in [0, 1], got " + number(o.dup_rate);
  }
  if (o.min_words < 20) return "--min-words must be at least 20";
  if (o.max_words < o.min_words) return "--max-words must be at least --min-words";
  if (o.max_words > 100'000) return "--max-words must be at most 100000";
  if (o.num_sites < 2 || o.num_sites > 750) return "--sites must be in [2, 750]";
  if (!(o.topic_rate >= 0 && o.topic_rate <= 1)) {
    return "--topic-rate must be in [0, 1], got " + number(o.topic_rate);
  }
  if (o.max_topic_size < 1) return "--max-topic-size must be at least 1";
  if (o.pool_size < 1) return "--pool must be at least 1";
  double total = 0;
  for (const double w : o.kind_weights) {
    if (!(w >= 0 && w <= 1e6)) return "--kind-weights: each weight must be in [0, 1e6]";
    total += w;
  }
  if (total <= 0 && o.dup_rate > 0) return "--kind-weights: at least one weight must be positive";
  if (!(o.zh_rate >= 0 && o.zh_rate <= 1)) {
    return "--zh-rate must be in [0, 1], got " + number(o.zh_rate);
  }
  if (o.zh_min_chars < 40) return "--zh-min-chars must be at least 40";
  if (o.zh_max_chars < o.zh_min_chars) return "--zh-max-chars must be at least --zh-min-chars";
  if (o.zh_max_chars > 200'000) return "--zh-max-chars must be at most 200000";
  if (o.zh_sites < 2 || o.zh_sites > 100) return "--zh-sites must be in [2, 100]";
  if (o.num_aggregators < 1 || o.num_aggregators > 100) return "--aggregators must be in [1, 100]";
  if (o.short_min_words < 20) return "--short-min-words must be at least 20";
  if (o.short_max_words < o.short_min_words) {
    return "--short-max-words must be at least --short-min-words";
  }
  if (o.short_max_words > 100'000) return "--short-max-words must be at most 100000";
  if (o.hot_interval < 0) return "--hot-interval must be at least 0";
  if (o.hot_copies < 1 || o.hot_copies > 1'000'000) return "--hot-copies must be in [1, 1000000]";
  if (!(o.hot_copy_rate > 0 && o.hot_copy_rate <= 1)) {
    return "--hot-copy-rate must be in (0, 1], got " + number(o.hot_copy_rate);
  }
  return "";
}

bool ApplyProfile(std::string_view name, GenerateOptions* options) {
  GenerateOptions o;
  o.num_docs = options->num_docs;
  o.seed = options->seed;
  o.pool_size = options->pool_size;
  if (name == "hard") {
    // Per 20k documents, about: 500 of each default kind, 600 aggfooter copies (of 250
    // originals), 350 shortfooter items (and their 350 short originals), 1000 deeptrunc, 1000
    // promo, 650 Chinese originals and 700 zhedit copies, and one hot story of 200 copies.
    o.dup_rate = 0.35;
    o.kind_weights = {0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.3, 0.4, 1.2, 1.2, 0.8};
    o.zh_rate = 0.05;
    o.hot_interval = 20000;
  } else if (name != "default") {
    return false;
  }
  *options = o;
  return true;
}

struct CorpusGenerator::State {
  struct PoolEntry {
    std::string id;
    std::shared_ptr<Topic> topic;
    Article article;
    int site = 0;
    int weekday = 0;
  };

  struct ZhPoolEntry {
    std::string id;
    std::shared_ptr<ZhTopic> topic;
    Article article;
    int site = 0;
  };

  // The running hot story.
  struct HotStory {
    std::string id;
    std::string topic;
    Article article;
    int left = 0;  // copies still to write
  };

  // Copies waiting for a slot: at most this many before they take every slot.
  static constexpr size_t kMaxPending = 8;

  explicit State(const GenerateOptions& o)
      : options(o), grammar(Grammar::Get()), rng(DeriveSeed(o.seed, 1)) {
    for (int i = 0; i < o.num_sites; ++i) {
      site_weights.push_back((site_weights.empty() ? 0 : site_weights.back()) + ZipfWeight(i));
      sites.push_back(MakeSite(i));
    }
    // The hard profile's sites, only when used (their own seed streams: the rest is unchanged).
    auto weight = [&o](VariantKind k) { return o.kind_weights[static_cast<int>(k) - 1]; };
    if (weight(VariantKind::kAggFooter) > 0 || weight(VariantKind::kShortFooter) > 0) {
      for (int i = 0; i < o.num_aggregators; ++i) aggregators.push_back(MakeAggregator(o.seed, i));
    }
    if (weight(VariantKind::kPromo) > 0) {
      for (int i = 0; i < o.num_sites; ++i) {
        Rng promo_rng(DeriveSeed(o.seed, 3000 + static_cast<uint64_t>(i)));
        promos.push_back(MakePromoSet(sites[i], &promo_rng));
      }
    }
    if (o.zh_rate > 0 || weight(VariantKind::kZhEdit) > 0) {
      zh_grammar = &ZhGrammar::Get();
      for (int i = 0; i < o.zh_sites; ++i) {
        zh_site_weights.push_back((zh_site_weights.empty() ? 0 : zh_site_weights.back()) +
                                  ZipfWeight(i));
        zh_sites.push_back(MakeZhSite(o.seed, i));
      }
    }
  }

  // Site i depends only on the seed and i (not on --sites), so adding sites keeps the others.
  Site MakeSite(int i) {
    Rng site_rng(DeriveSeed(options.seed, 1000 + static_cast<uint64_t>(i)));
    Site site;
    char domain[32];
    std::snprintf(domain, sizeof domain, "site%02d.example", i);
    site.domain = domain;
    // A permutation of the 30 x 25 brand names (7919 is coprime to 750): unique up to 750 sites.
    const auto [a, b] = SiteBrand(grammar, DeriveSeed(options.seed, 999), i, 7919);
    site.brand = "The " + a + " " + b;
    const auto& cities = grammar.cities(grammar.PickCountry(&site_rng));
    site.city = cities[site_rng.Index(cities.size())];
    site.year = std::to_string(site_rng.Range(1843, 2012));
    // The chrome's "most read" and "trending" items are about a story fixed for the site.
    const Topic site_topic = CreateTopic(grammar, &site_rng, "");
    Context ctx{&grammar, &site_rng, &site_topic, &site, 3, {}};
    ctx.mentioned.fill(true);
    site.header = BuildChrome(&ctx, grammar.chrome_head, site_rng.Range(15, 80));
    site.footer = BuildChrome(&ctx, grammar.chrome_foot, site_rng.Range(15, 80));
    return site;
  }

  // A site drawn by `weights` (site_weights, zh_site_weights), not in `avoid` if 10 draws find one.
  int PickSite(const std::vector<uint64_t>& weights, const std::vector<int>& avoid) {
    int site = 0;
    for (int attempt = 0; attempt < 10; ++attempt) {
      site = PickCumulative(weights, &rng);
      if (std::find(avoid.begin(), avoid.end(), site) == avoid.end()) break;
    }
    return site;
  }

  // The topic and site of a new original (T: Topic or ZhTopic): with probability topic_rate one
  // of the open topics in *active (*joined set), else a new one, create(id), added to *active; a
  // site from `weights` that the topic has not used yet, if possible. Counts the original.
  template <typename T, typename Create>
  std::shared_ptr<T> PickTopicAndSite(std::deque<std::shared_ptr<T>>* active, const Create& create,
                                      const std::vector<uint64_t>& weights, int* site,
                                      bool* joined) {
    std::shared_ptr<T> topic;
    *joined = false;
    if (rng.Chance(options.topic_rate)) {
      std::vector<std::shared_ptr<T>*> open;
      for (auto& t : *active) {
        if (t->members < options.max_topic_size) open.push_back(&t);
      }
      if (!open.empty()) {
        *joined = true;
        topic = *open[rng.Index(open.size())];
      }
    }
    if (topic == nullptr) {
      char id[32];
      std::snprintf(id, sizeof id, "topic%06lld", static_cast<long long>(topics_created++));
      topic = std::make_shared<T>(create(id));
      active->push_back(topic);
      if (active->size() > kActiveTopics) active->pop_front();
    }
    *site = PickSite(weights, topic->sites);
    topic->members++;
    topic->sites.push_back(*site);
    return topic;
  }

  std::shared_ptr<Topic> PickTopicAndSite(int* site, bool* joined) {
    return PickTopicAndSite(
        &active_topics,
        [this](std::string id) { return CreateTopic(grammar, &rng, std::move(id)); }, site_weights,
        site, joined);
  }

  // An original's length: min + (max - min) * u^2 (skewed towards short articles).
  int SkewedLength(int min, int max) {
    const double u = rng.Real();
    return min + static_cast<int>((max - min) * u * u);
  }

  // An original's truth: its own source, its topic, `joined` if the topic existed.
  static void MarkOriginal(const std::string& topic, bool joined, Document* doc) {
    doc->source_id = doc->id;
    doc->topic = topic;
    doc->kind = VariantKind::kOriginal;
    doc->joined_topic = joined;
  }

  VariantKind PickKind() {
    double total = 0;
    for (const double w : options.kind_weights) total += w;
    const double x = rng.Real() * total;
    double acc = 0;
    int last_positive = 0;
    for (int i = 0; i < kNumWeightedKinds; ++i) {
      if (options.kind_weights[i] <= 0) continue;
      last_positive = i;
      acc += options.kind_weights[i];
      if (x < acc) return static_cast<VariantKind>(i + 1);
    }
    return static_cast<VariantKind>(last_positive + 1);
  }

  // The document's source, body (length in words, or Han characters for Chinese) and text: the
  // body between `header` and `footer` when `chrome` and include_chrome, else the body alone.
  void ComposeUnder(const Article& article, const std::string& source, const std::string& header,
                    const std::string& footer, bool chrome, Document* doc) const {
    doc->source = source;
    doc->body = RenderBody(article);
    doc->body_words = article.zh ? ArticleHan(article) : ArticleWords(article);
    doc->text = chrome && options.include_chrome ? header + "\n\n" + doc->body + "\n\n" + footer
                                                 : doc->body;
    doc->zh = article.zh;
  }

  void Compose(const Article& article, int site, Document* doc) const {
    ComposeUnder(article, sites[site].domain, sites[site].header, sites[site].footer, true, doc);
  }

  bool Next(Document* doc) {
    if (produced >= options.num_docs) return false;
    *doc = Document();
    char id[32];
    std::snprintf(id, sizeof id, "doc%06lld", static_cast<long long>(produced));
    doc->id = id;
    ++produced;
    minutes += rng.Range(1, 9);
    doc->published = FormatTimestamp(minutes);
    const int weekday = WeekdayOf(minutes);
    if (NextScheduled(weekday, doc)) return true;

    const bool variant = !pool.empty() && rng.Chance(options.dup_rate);
    if (!variant) {
      if (options.zh_rate > 0 && rng.Chance(options.zh_rate)) {
        MakeZhOriginal(doc);
        return true;
      }
      MakeOriginal(
          weekday, [this] { return SkewedLength(options.min_words, options.max_words); }, doc);
      return true;
    }

    const PoolEntry& src = pool[rng.Index(pool.size())];
    const VariantKind kind = PickKind();
    if (kind >= VariantKind::kAggFooter) {
      MakeHardVariant(kind, src, weekday, doc);
      return true;
    }
    uint8_t ops = 0;
    switch (kind) {
      case VariantKind::kChrome:
        ops = kOpChrome;
        break;
      case VariantKind::kEdit:
        ops = kOpEdit;
        break;
      case VariantKind::kDrop:
        ops = kOpDrop;
        break;
      case VariantKind::kAdd:
        ops = kOpAdd;
        break;
      case VariantKind::kTrunc:
        ops = kOpTrunc;
        break;
      default: {
        uint8_t all[] = {kOpChrome, kOpEdit, kOpDrop, kOpAdd, kOpTrunc};
        for (int i = 4; i > 0; --i) std::swap(all[i], all[rng.Index(i + 1)]);  // Fisher-Yates
        const int count = rng.Range(2, 3);
        for (int i = 0; i < count; ++i) ops |= all[i];
        break;
      }
    }
    Article article = src.article;
    // Fixed order: an added paragraph can be dropped or truncated away, as in reality.
    size_t added = SIZE_MAX;
    if (ops & kOpAdd) {
      Context ctx{&grammar, &rng, src.topic.get(), nullptr, src.weekday, {}};
      added = ApplyAdd(&ctx, &article);
    }
    if (ops & kOpDrop) ApplyDrop(&rng, added, &article);
    if (ops & kOpEdit) ApplyEdit(grammar, &rng, &article);
    if (ops & kOpTrunc) doc->kept_fraction = ApplyTrunc(&rng, &article);
    const int site = (ops & kOpChrome) ? PickSite(site_weights, {src.site}) : src.site;
    Compose(article, site, doc);
    doc->source_id = src.id;
    doc->topic = src.topic->id;
    doc->kind = kind;
    doc->ops = ops;
    return true;
  }

  // --- The hard profile. ---

  // A hot story's original or copy, or a queued copy, when this slot is theirs.
  bool NextScheduled(int weekday, Document* doc) {
    if (options.hot_interval > 0) {
      const int64_t index = produced - 1;
      if (index % options.hot_interval == options.hot_interval / 40) {
        StartHotStory(weekday, doc);
        return true;
      }
      if (hot.left > 0 && rng.Chance(options.hot_copy_rate)) {
        MakeHotCopy(doc);
        return true;
      }
    }
    if (!pending.empty() && (pending.size() >= kMaxPending || rng.Chance(0.3))) {
      Document& next = pending.front();
      next.id = std::move(doc->id);
      next.published = std::move(doc->published);
      *doc = std::move(next);
      pending.pop_front();
      return true;
    }
    return false;
  }

  // A new story on a new or recent topic, 300-800 words, without chrome; not in the pool. A story
  // still running when the next one starts gets no more copies.
  void StartHotStory(int weekday, Document* doc) {
    int site = 0;
    bool joined = false;
    std::shared_ptr<Topic> topic = PickTopicAndSite(&site, &joined);
    Context ctx{&grammar, &rng, topic.get(), nullptr, weekday, {}};
    Article article = GenerateArticle(&ctx, rng.Range(300, 800));
    ComposeBare(article, site, doc);
    MarkOriginal(topic->id, joined, doc);
    hot = HotStory{doc->id, topic->id, std::move(article), options.hot_copies};
  }

  // A copy of the hot story on any site (uniformly), without chrome: identical or lightly edited.
  void MakeHotCopy(Document* doc) {
    Article article = hot.article;
    const bool edited = rng.Chance(0.5);
    if (edited) ApplyEdit(grammar, &rng, &article);
    ComposeBare(article, rng.Index(sites.size()), doc);
    doc->source_id = hot.id;
    doc->topic = hot.topic;
    doc->kind = VariantKind::kHot;
    doc->ops = edited ? kOpEdit : 0;
    --hot.left;
  }

  void ComposeBare(const Article& article, int site, Document* doc) const {
    ComposeUnder(article, sites[site].domain, "", "", false, doc);
  }

  // `site`: the original's, named as the source by aggregators that name the publisher.
  void ComposeAggregated(const Article& article, const Aggregator& agg, int site,
                         Document* doc) const {
    ComposeUnder(article, agg.names_publisher ? sites[site].domain : agg.domain, agg.header,
                 agg.footer, true, doc);
  }

  void ComposeZh(const Article& article, int site, Document* doc) const {
    ComposeUnder(article, zh_sites[site].domain, zh_sites[site].header, zh_sites[site].footer, true,
                 doc);
  }

  void MakeHardVariant(VariantKind kind, const PoolEntry& src, int weekday, Document* doc) {
    switch (kind) {
      case VariantKind::kAggFooter: {
        // Two or three aggregators; the first copy now, the others queued.
        std::vector<int> order(aggregators.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
        const size_t count = std::min<size_t>(order.size(), rng.Range(2, 3));
        for (size_t i = 0; i < count; ++i) {
          std::swap(order[i], order[i + rng.Below(order.size() - i)]);
          Document copy;
          ComposeAggregated(src.article, aggregators[order[i]], src.site, &copy);
          copy.source_id = src.id;
          copy.topic = src.topic->id;
          copy.kind = kind;
          copy.ops = kOpChrome;
          if (i == 0) {
            copy.id = std::move(doc->id);
            copy.published = std::move(doc->published);
            *doc = std::move(copy);
          } else {
            pending.push_back(std::move(copy));
          }
        }
        return;
      }
      case VariantKind::kShortFooter: {
        // A new short original now (src is not used: MakeOriginal may drop it from the pool),
        // its copy under the first aggregator later.
        const int target = rng.Range(options.short_min_words, options.short_max_words);
        const PoolEntry& original = MakeOriginal(
            weekday, [target] { return target; }, doc);
        Document copy;
        ComposeAggregated(original.article, aggregators[0], original.site, &copy);
        copy.source_id = doc->id;
        copy.topic = doc->topic;
        copy.kind = kind;
        copy.ops = kOpChrome;
        pending.push_back(std::move(copy));
        return;
      }
      case VariantKind::kDeepTrunc: {
        Article article = src.article;
        doc->kept_fraction = ApplyParagraphTrunc(&rng, &article);
        doc->edit_rate = ApplyWordEdits(grammar, &rng, 0.06 + 0.04 * rng.Real(), &article);
        Compose(article, PickSite(site_weights, {src.site}), doc);
        doc->ops = kOpChrome | kOpTrunc | kOpEdit;
        break;
      }
      case VariantKind::kPromo: {
        Article article = src.article;
        ApplyDrop(&rng, SIZE_MAX, &article);
        doc->edit_rate = ApplyWordEdits(grammar, &rng, 0.04 + 0.02 * rng.Real(), &article);
        const int site = PickSite(site_weights, {src.site});
        const std::string& other = pool[rng.Index(pool.size())].article.headline;
        InsertPromos(promos[site], other, &rng, &article);
        Compose(article, site, doc);
        doc->ops = kOpChrome | kOpDrop | kOpAdd | kOpEdit;
        break;
      }
      case VariantKind::kZhEdit: {
        if (zh_pool.empty()) {  // nothing to copy yet: a Chinese original instead
          MakeZhOriginal(doc);
          return;
        }
        const ZhPoolEntry& zsrc = zh_pool[rng.Index(zh_pool.size())];
        Article article = zsrc.article;
        uint8_t ops = kOpChrome | kOpEdit;
        doc->edit_rate = ApplyZhEdit(*zh_grammar, &rng, &article, &ops);
        ComposeZh(article, PickSite(zh_site_weights, {zsrc.site}), doc);
        doc->source_id = zsrc.id;
        doc->topic = zsrc.topic->id;
        doc->kind = kind;
        doc->ops = ops;
        return;
      }
      default:
        return;
    }
    doc->source_id = src.id;
    doc->topic = src.topic->id;
    doc->kind = kind;
  }

  // An English original of target_words() words (called once its topic and site are picked) on
  // the topic's site, added to the pool.
  template <typename Length>
  const PoolEntry& MakeOriginal(int weekday, const Length& target_words, Document* doc) {
    int site = 0;
    bool joined = false;
    std::shared_ptr<Topic> topic = PickTopicAndSite(&site, &joined);
    Context ctx{&grammar, &rng, topic.get(), nullptr, weekday, {}};
    Article article = GenerateArticle(&ctx, target_words());
    Compose(article, site, doc);
    MarkOriginal(topic->id, joined, doc);
    pool.push_back(PoolEntry{doc->id, std::move(topic), std::move(article), site, weekday});
    if (pool.size() > static_cast<size_t>(options.pool_size)) pool.pop_front();
    return pool.back();
  }

  void MakeZhOriginal(Document* doc) {
    int site = 0;
    bool joined = false;
    std::shared_ptr<ZhTopic> topic = PickTopicAndSite(
        &active_zh_topics,
        [this](std::string id) { return CreateZhTopic(*zh_grammar, &rng, std::move(id)); },
        zh_site_weights, &site, &joined);
    const int target = SkewedLength(options.zh_min_chars, options.zh_max_chars);
    ZhContext ctx{zh_grammar, &rng, topic.get(), nullptr, {}, 0, {}};
    Article article = GenerateZhArticle(&ctx, target);
    ComposeZh(article, site, doc);
    MarkOriginal(topic->id, joined, doc);
    zh_pool.push_back(ZhPoolEntry{doc->id, std::move(topic), std::move(article), site});
    if (zh_pool.size() > static_cast<size_t>(options.pool_size)) zh_pool.pop_front();
  }

  const GenerateOptions options;
  const Grammar& grammar;
  Rng rng;
  std::vector<Site> sites;
  std::vector<uint64_t> site_weights;
  std::deque<PoolEntry> pool;
  std::deque<std::shared_ptr<Topic>> active_topics;
  int64_t produced = 0;
  int64_t topics_created = 0;
  int64_t minutes = 0;
  // The hard profile (empty unless its options ask for it).
  std::vector<Aggregator> aggregators;
  std::vector<PromoSet> promos;  // per site
  const ZhGrammar* zh_grammar = nullptr;
  std::vector<ZhSite> zh_sites;
  std::vector<uint64_t> zh_site_weights;
  std::deque<ZhPoolEntry> zh_pool;
  std::deque<std::shared_ptr<ZhTopic>> active_zh_topics;
  std::deque<Document> pending;
  HotStory hot;
};

CorpusGenerator::CorpusGenerator(const GenerateOptions& options)
    : state_(std::make_unique<State>(options)) {}
CorpusGenerator::~CorpusGenerator() = default;
bool CorpusGenerator::Next(Document* doc) { return state_->Next(doc); }

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(text.substr(run));  // UTF-8 passes through: JSON text is UTF-8
  out->push_back('"');
}

void AppendJsonLine(const Document& doc, std::string* out) {
  out->append("{\"id\":");
  AppendJsonString(doc.id, out);
  out->append(",\"text\":");
  AppendJsonString(doc.text, out);
  out->append(",\"source\":");
  AppendJsonString(doc.source, out);
  out->append(",\"published\":");
  AppendJsonString(doc.published, out);
  out->append("}\n");
}

void AppendTruthLine(const Document& doc, std::string* out) {
  out->append(doc.id).append("\t").append(doc.source_id).append("\t");
  out->append(VariantKindName(doc.kind)).append("\t").append(doc.topic).append("\n");
}

bool WriteCorpus(const GenerateOptions& options, std::ostream& jsonl, std::ostream& truth,
                 CorpusStats* stats, std::string* error) {
  CorpusStats local;
  if (stats == nullptr) stats = &local;
  *stats = CorpusStats();
  if (std::string invalid = ValidateOptions(options); !invalid.empty()) {
    *error = std::move(invalid);
    return false;
  }
  CorpusGenerator generator(options);
  Document doc;
  std::string json_line, truth_line;
  truth << kTruthHeader;
  while (generator.Next(&doc)) {
    json_line.clear();
    truth_line.clear();
    AppendJsonLine(doc, &json_line);
    AppendTruthLine(doc, &truth_line);
    jsonl.write(json_line.data(), static_cast<std::streamsize>(json_line.size()));
    truth.write(truth_line.data(), static_cast<std::streamsize>(truth_line.size()));
    ++stats->docs;
    ++stats->per_kind[static_cast<int>(doc.kind)];
    if (doc.joined_topic) ++stats->joined_topic;
    stats->bytes += static_cast<int64_t>(json_line.size());
    if (!jsonl || !truth) break;
  }
  jsonl.flush();
  truth.flush();
  if (!jsonl || !truth) {
    *error = "write failed";
    return false;
  }
  return true;
}

bool WriteCorpusFiles(const GenerateOptions& options, const std::string& jsonl_path,
                      const std::string& truth_path, CorpusStats* stats, std::string* error) {
  if (jsonl_path == truth_path) {
    *error = "the corpus and the truth file must be different files";
    return false;
  }
  if (std::string invalid = ValidateOptions(options); !invalid.empty()) {
    *error = std::move(invalid);
    return false;
  }
  const std::string suffix = ".tmp." + std::to_string(DEDUP_GETPID());
  const std::string jsonl_tmp = jsonl_path + suffix;
  const std::string truth_tmp = truth_path + suffix;
  auto fail = [&](const std::string& message) {
    std::remove(jsonl_tmp.c_str());
    std::remove(truth_tmp.c_str());
    *error = message;
    return false;
  };
  auto describe = [](const std::string& what, const std::string& path) {
    const int e = errno;
    return what + " '" + path + "': " + (e != 0 ? std::strerror(e) : "I/O error");
  };
  {
    std::ofstream jsonl, truth;
    std::vector<char> buffer(1 << 20);
    jsonl.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    errno = 0;
    jsonl.open(jsonl_tmp, std::ios::binary | std::ios::trunc);
    if (!jsonl) return fail(describe("cannot create", jsonl_tmp));
    errno = 0;
    truth.open(truth_tmp, std::ios::binary | std::ios::trunc);
    if (!truth) return fail(describe("cannot create", truth_tmp));
    std::string write_error;
    errno = 0;
    if (!WriteCorpus(options, jsonl, truth, stats, &write_error)) {
      return fail(describe("cannot write", !jsonl ? jsonl_tmp : truth_tmp));
    }
    jsonl.close();
    truth.close();
    if (!jsonl || !truth) return fail(describe("cannot write", !jsonl ? jsonl_tmp : truth_tmp));
  }
  errno = 0;
  if (std::rename(jsonl_tmp.c_str(), jsonl_path.c_str()) != 0) {
    return fail(describe("cannot rename to", jsonl_path));
  }
  errno = 0;
  if (std::rename(truth_tmp.c_str(), truth_path.c_str()) != 0) {
    return fail(describe("cannot rename to", truth_path));
  }
  return true;
}

}  // namespace dedup::bench
