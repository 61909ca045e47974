#include "dedup/normalize.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <memory>

#include "absl/strings/str_format.h"
#include "dedup/internal/ascii_simd.h"
#include "utf8proc.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dedup {
namespace {

// How the text is normalized, and why it can be done word by word.
//
// The rules (header comment) are defined as: map the whole text with utf8proc_map(
// STABLE | COMPOSE | COMPAT | CASEFOLD | IGNORE), then classify the code points of the
// result. Doing exactly that costs a malloc and several passes over every byte of every
// document, although news text is ASCII but for a few quotes and dashes. Instead the
// text is cut at *boundary* code points and only the pieces between them that contain
// non-ASCII bytes go through utf8proc, one piece at a time, into a stack buffer.
//
// utf8proc_map works per code point except in two places: canonical reordering (which
// moves combining marks, combining class > 0, across each other) and canonical
// composition (a starter combines with following code points). A code point B whose
// mapping is a sequence of separators (see Classify) can stand between pieces when
//   (a) every code point of B's mapping has combining class 0: nothing is reordered
//       across it;
//   (b) none of them is the second element of a composition: the piece before B never
//       composes with B;
//   (c) none of them is the first element of a composition: B never composes with the
//       piece after it.
// Then the mapped text is the concatenation of the mapped pieces and B's mapping, and
// as B's mapping is all separators, tokens never span it: each piece is tokenized
// alone, starting with no token open, exactly as the whole text would be.
//
// ASCII separators (every byte < 0x80 but [0-9A-Za-z]) satisfy (a) and (b) and map to
// themselves, but '<', '=' and '>' fail (c): '=' + U+0338 composes to U+2260 '≠'
// (likewise '≮', '≯'). They are boundaries all the same, because the composite is a
// separator (Sm) that composes with nothing further: the old algorithm gives the
// separator '≠' followed by whatever marks came after U+0338, which, having no base
// character, are dropped; cutting at '=' gives the separator '=' and a piece starting
// with U+0338 and those marks, which are dropped for the same reason. The tokens are
// the same. normalize_test checks these facts for every code point against the
// utf8proc tables, and compares this tokenizer with the whole-text algorithm on
// random text.
//
// Non-ASCII boundaries (typographic quotes, dashes, NBSP, U+2028 ...) are found by
// testing (a)-(c) on the code point's mapping; the answer is cached per code point.
//
// Most pieces need no utf8proc call either. Call a code point *simple* if its mapping
// (decomposition and case folding, then recomposition, as utf8proc does for it alone)
// is one code point, and the decomposition starts with a starter (combining class 0)
// that is not the second element of any composition (the table's, or Hangul's
// algorithmic V and T jamo). ASCII letters and digits, precomposed Latin letters,
// Cyrillic, Greek and most other letters are. In a piece of simple code points,
// reordering never crosses from one code point's decomposition into the next (each
// starts with a starter), and composition never does either: a starter that is not a
// second element composes with nothing before it, and it blocks the marks after it
// from anything before it. So the piece maps to the concatenation of the code points'
// own mappings, which are cached. A piece with any other code point (a combining
// mark, an ignorable, a ligature or ß that expands to several code points) goes
// through utf8proc, whole.

constexpr utf8proc_option_t kMapOptions = static_cast<utf8proc_option_t>(
    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);

// Scripts written without spaces between words: one token per character.
bool IsUnspacedScript(int32_t cp) {
  return (cp >= 0x0E00 && cp <= 0x0EFF) ||    // Thai, Lao
         (cp >= 0x1000 && cp <= 0x109F) ||    // Myanmar
         (cp >= 0x1780 && cp <= 0x17FF) ||    // Khmer
         (cp >= 0x3040 && cp <= 0x30FF) ||    // Hiragana, Katakana
         (cp >= 0x31F0 && cp <= 0x31FF) ||    // Katakana phonetic extensions
         (cp >= 0x3400 && cp <= 0x4DBF) ||    // CJK extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||    // CJK unified ideographs
         (cp >= 0xF900 && cp <= 0xFAFF) ||    // CJK compatibility ideographs
         (cp >= 0x20000 && cp <= 0x3FFFF);    // CJK extensions B..H
}

enum class CharClass : uint8_t { kSeparator, kWord, kMark, kUnspaced };

CharClass Classify(int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return IsUnspacedScript(cp) ? CharClass::kUnspaced : CharClass::kWord;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
      return CharClass::kMark;
    default:
      return CharClass::kSeparator;
  }
}

bool IsLineBreak(int32_t cp) {
  return cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

// Per ASCII byte: bit 0 letter or digit, bit 1 line break. Bytes >= 0x80: bit 2.
constexpr uint8_t kAlnum = 1, kBreak = 2, kNonAscii = 4;
constexpr std::array<uint8_t, 256> MakeByteFlags() {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kAlnum;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kAlnum;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kAlnum;
  for (int c : {'\n', '\r', '\v', '\f'}) t[c] = kBreak;
  for (int c = 0x80; c < 256; ++c) t[c] = kNonAscii;
  return t;
}
constexpr std::array<uint8_t, 256> kByteFlags = MakeByteFlags();

// What an ASCII byte contributes to the text: letters and digits lower-cased, a space
// for everything else (written after a token to close it).
constexpr std::array<char, 256> MakeByteOut() {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = ' ';
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'a'; c <= 'z'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<char>(c + 32);
  return t;
}
constexpr std::array<char, 256> kByteOut = MakeByteOut();

// What the tokenizer needs to know about a non-ASCII code point (see the comment at
// the top), cached.
struct CodePointInfo {
  enum Kind : uint8_t {
    kComplex = 0,            // Must be normalized with its neighbours, by utf8proc.
    kSimple = 1,             // Maps to the one code point in utf8[0, bytes), of class cls.
    kBoundary = 2,           // Maps to separators only, never reorders or composes.
    kLineBreakBoundary = 3,  // A boundary whose mapping contains a line break.
  };
  Kind kind = kComplex;
  CharClass cls = CharClass::kSeparator;
  bool line_break = false;
  uint8_t bytes = 0;
  char utf8[4] = {};
};

bool IsHangulSecondElement(int32_t cp) {
  // V jamo compose with a preceding L, T jamo (from U+11A7, see utf8proc_normalize_utf32)
  // with a preceding LV syllable.
  return (cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A7 && cp <= 0x11C2);
}

CodePointInfo ComputeInfo(int32_t cp) {
  CodePointInfo info;
  // The mapping of cp alone, exactly as for a piece: decomposition, reordering, then
  // composition.
  utf8proc_uint8_t in[4];
  const utf8proc_ssize_t in_len = utf8proc_encode_char(cp, in);
  utf8proc_int32_t mapped[32];
  utf8proc_ssize_t n = utf8proc_decompose(in, in_len, mapped, 32, kMapOptions);
  if (n <= 0 || n > 32) return info;  // Ignorables (n == 0) vanish: not a boundary.
  bool boundary = true, line_break = false;
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    const utf8proc_property_t* p = utf8proc_get_property(mapped[i]);
    boundary &= Classify(mapped[i]) == CharClass::kSeparator && p->combining_class == 0 &&
                p->comb_index == UINT16_MAX;
    line_break |= IsLineBreak(mapped[i]);
  }
  if (boundary) {
    info.kind = line_break ? CodePointInfo::kLineBreakBoundary : CodePointInfo::kBoundary;
    return info;
  }
  const utf8proc_property_t* first = utf8proc_get_property(mapped[0]);
  const bool first_is_second_element =
      (first->comb_index != UINT16_MAX && first->comb_index >= 0x8000) || IsHangulSecondElement(mapped[0]);
  if (first->combining_class != 0 || first_is_second_element) return info;
  n = utf8proc_normalize_utf32(mapped, n, kMapOptions);
  if (n != 1) return info;
  info.kind = CodePointInfo::kSimple;
  info.cls = Classify(mapped[0]);
  info.line_break = IsLineBreak(mapped[0]);
  info.bytes = static_cast<uint8_t>(
      utf8proc_encode_char(mapped[0], reinterpret_cast<utf8proc_uint8_t*>(info.utf8)));
  return info;
}

// The CodePointInfo of cp < 0x10000, computed once per 256-code-point page on first
// use (pages are built lock-free; a page built twice by racing threads is identical).
// Other code points are rare in news text and computed each time.
class CodePointCache {
 public:
  CodePointInfo Get(int32_t cp) {
    if (cp >= 0x10000) return ComputeInfo(cp);
    const CodePointInfo* page = pages_[cp >> 8].load(std::memory_order_acquire);
    if (page == nullptr) page = BuildPage(cp >> 8);
    return page[cp & 0xFF];
  }

 private:
  const CodePointInfo* BuildPage(int32_t index) {
    auto page = std::make_unique<CodePointInfo[]>(256);
    for (int32_t i = 0; i < 256; ++i) page[i] = ComputeInfo((index << 8) | i);
    CodePointInfo* expected = nullptr;
    if (pages_[index].compare_exchange_strong(expected, page.get(), std::memory_order_acq_rel)) {
      return page.release();  // Owned by the cache, which lives as long as the process.
    }
    return expected;  // Another thread won; ours is freed.
  }

  std::atomic<CodePointInfo*> pages_[256] = {};
};

CodePointCache& CodePoints() {
  static CodePointCache* cache = new CodePointCache();
  return *cache;
}

// The error utf8proc_map gave for the whole text.
absl::Status NormalizationError(utf8proc_ssize_t code) {
  return absl::InvalidArgumentError(absl::StrFormat("text cannot be normalized: %s", utf8proc_errmsg(code)));
}

struct AsciiResult {
  size_t len;         // Bytes of text written.
  size_t num;         // Tokens written.
  uint32_t new_line;  // 1 if a line break came after the last token.
};

// The ASCII hot loop: appends the tokens of [p, end) (ASCII only, not inside a token
// at either end) at text[len] and their starts at starts[num], each token followed
// by one space; text must have room for (end - p) + kAsciiSlack bytes past len.
//
// It works on 64-byte blocks. Each block is classified at once into two bit masks
// (letters and digits; line breaks) and a lower-cased copy; then each run of letters
// and digits is copied out with a few wide moves and its start recorded, so the cost
// is per block and per token instead of per byte (~3x the former byte loop on news
// text, BENCHMARKS.md "Signing"). A run that reaches the block's end continues into
// the next block as the same token. Kept out of line so its variables stay in
// registers.
constexpr size_t kAsciiBlock = 64;
constexpr size_t kAsciiSlack = 32;  // Runs are copied 32 bytes at a time.

struct AsciiBlock {
  uint64_t alnum = 0;   // Bit i: byte i is a letter or digit.
  uint64_t breaks = 0;  // Bit i: byte i is a line break (LF, VT, FF, CR).
  alignas(16) unsigned char lower[kAsciiBlock + kAsciiSlack];  // Bytes, A-Z lower-cased.
};

// Fills b from 64 ASCII bytes at p.
inline void ClassifyBlock(const unsigned char* p, AsciiBlock* b) {
#if defined(__SSE2__)
  // Bytes are ASCII (< 0x80), so signed byte comparisons are range tests.
  const __m128i digit_lo = _mm_set1_epi8('0' - 1), digit_hi = _mm_set1_epi8('9' + 1);
  const __m128i alpha_lo = _mm_set1_epi8('a' - 1), alpha_hi = _mm_set1_epi8('z' + 1);
  const __m128i break_lo = _mm_set1_epi8('\n' - 1), break_hi = _mm_set1_epi8('\r' + 1);
  const __m128i case_bit = _mm_set1_epi8(0x20);
  uint64_t alnum = 0, breaks = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const __m128i folded = _mm_or_si128(c, case_bit);  // Letters to lower case; digits unchanged.
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(c, digit_lo), _mm_cmplt_epi8(c, digit_hi));
    const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(folded, alpha_lo), _mm_cmplt_epi8(folded, alpha_hi));
    const __m128i is_alnum = _mm_or_si128(digit, alpha);
    const __m128i is_break = _mm_and_si128(_mm_cmpgt_epi8(c, break_lo), _mm_cmplt_epi8(c, break_hi));
    alnum |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(is_alnum)) & 0xFFFFu) << (16 * i);
    breaks |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(is_break)) & 0xFFFFu) << (16 * i);
    _mm_store_si128(reinterpret_cast<__m128i*>(b->lower + 16 * i), folded);
  }
  b->alnum = alnum;
  b->breaks = breaks;
#else
  uint64_t alnum = 0, breaks = 0;
  for (size_t i = 0; i < kAsciiBlock; ++i) {
    const uint32_t flags = kByteFlags[p[i]];
    alnum |= static_cast<uint64_t>(flags & kAlnum) << i;
    breaks |= static_cast<uint64_t>((flags & kBreak) >> 1) << i;
    b->lower[i] = static_cast<unsigned char>(kByteOut[p[i]]);
  }
  b->alnum = alnum;
  b->breaks = breaks;
#endif
}

// `limit` (>= end) is the end of the readable input: blocks are read in place while 64
// bytes are readable, and bytes past `end` are masked off as separators.
__attribute__((noinline)) AsciiResult AsciiTokens(const unsigned char* p, const unsigned char* end,
                                                  const unsigned char* limit, char* text, uint32_t* starts,
                                                  size_t len, size_t num, uint32_t new_line,
                                                  std::vector<uint32_t>* lines) {
  AsciiBlock b;
  std::memset(b.lower + kAsciiBlock, ' ', kAsciiSlack);
  uint64_t carry = 0;  // 1 if the previous block ended inside a token.
  while (p < end) {
    const size_t n = std::min<size_t>(kAsciiBlock, static_cast<size_t>(end - p));
    if (limit - p >= static_cast<ptrdiff_t>(kAsciiBlock)) {
      ClassifyBlock(p, &b);
      if (n < kAsciiBlock) {  // Bytes past `end` count as separators, like the end itself.
        const uint64_t keep = (uint64_t{1} << n) - 1;
        b.alnum &= keep;
        b.breaks &= keep;
      }
    } else {
      // Near the end of the input: a copy padded with spaces.
      unsigned char tail[kAsciiBlock];
      std::memcpy(tail, p, n);
      std::memset(tail + n, ' ', kAsciiBlock - n);
      ClassifyBlock(tail, &b);
    }
    if (carry && !(b.alnum & 1)) text[len++] = ' ';  // The last block's token ended at its end.
    uint64_t breaks = b.breaks;
    uint64_t runs = b.alnum & ~(b.alnum << 1);  // First byte of each run of letters and digits.
    while (runs != 0) {
      const int s = std::countr_zero(runs);
      runs &= runs - 1;
      const uint64_t rest = ~b.alnum >> s;  // Nonzero bits: bytes after the run.
      const int e = rest == 0 ? static_cast<int>(kAsciiBlock) : s + std::countr_zero(rest);
      if (!(s == 0 && carry)) {  // A new token, not the continuation of the last block's.
        const uint64_t before = (uint64_t{1} << s) - 1;
        if (breaks & before) new_line = 1;
        breaks &= ~before;
        if (new_line) [[unlikely]] {
          lines->push_back(static_cast<uint32_t>(num));
          new_line = 0;
        }
        starts[num++] = static_cast<uint32_t>(len);
      }
      std::memcpy(text + len, b.lower + s, kAsciiSlack);
      for (int i = s + static_cast<int>(kAsciiSlack); i < e; i += static_cast<int>(kAsciiSlack)) [[unlikely]] {
        std::memcpy(text + len + (i - s), b.lower + i, kAsciiSlack);
      }
      len += static_cast<size_t>(e - s);
      if (e < static_cast<int>(kAsciiBlock)) text[len++] = ' ';
    }
    if (breaks != 0) new_line = 1;  // Breaks after the block's last token.
    carry = b.alnum >> (kAsciiBlock - 1);
    p += n;
  }
  if (carry) text[len++] = ' ';
  return {len, num, new_line};
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// AsciiTokens() with AVX-512 VBMI2 (Intel Ice Lake, AMD Zen 4 and later): a block's
// output is written by one byte compress instead of a copy per token. The bytes kept are
// the letters and digits (lower-cased) and the first separator after each run (as a
// space), which is exactly what AsciiTokens writes; a token's start is where its run's
// first byte lands, len plus the kept bytes before it. `text` needs 64 bytes of room past
// the block's output. Same results as AsciiTokens (normalize_test runs both).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's AVX-512 headers; see minhash.cc.
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi2,popcnt"), noinline)) AsciiResult AsciiTokensVbmi2(
    const unsigned char* p, const unsigned char* end, const unsigned char* limit, char* text, uint32_t* starts,
    size_t len, size_t num, uint32_t new_line, std::vector<uint32_t>* lines) {
  const __m512i case_bit = _mm512_set1_epi8(0x20), space = _mm512_set1_epi8(' ');
  const __m512i a = _mm512_set1_epi8('a'), z = _mm512_set1_epi8('z');
  const __m512i d0 = _mm512_set1_epi8('0'), d9 = _mm512_set1_epi8('9');
  const __m512i lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r');
  uint64_t carry = 0;  // 1 if the previous block ended inside a token.
  while (p < end) {
    const size_t n = std::min<size_t>(kAsciiBlock, static_cast<size_t>(end - p));
    const __mmask64 in = n == kAsciiBlock ? ~__mmask64{0} : (__mmask64{1} << n) - 1;
    // Bytes past `end` are separators (read only where readable).
    const __m512i c = limit - p >= static_cast<ptrdiff_t>(kAsciiBlock) ? _mm512_loadu_si512(p)
                                                                        : _mm512_maskz_loadu_epi8(in, p);
    const __m512i folded = _mm512_or_si512(c, case_bit);
    const uint64_t alnum = (_mm512_cmpge_epu8_mask(folded, a) & _mm512_cmple_epu8_mask(folded, z)) |
                           (_mm512_cmpge_epu8_mask(c, d0) & _mm512_cmple_epu8_mask(c, d9));
    const uint64_t word = alnum & in;
    uint64_t breaks = _mm512_cmpge_epu8_mask(c, lf) & _mm512_cmple_epu8_mask(c, cr) & in;
    const uint64_t after = (word << 1) | carry;  // Bit i: byte i - 1 was in a token.
    const uint64_t keep = word | (~word & after);
    const __m512i bytes = _mm512_mask_blend_epi8(word, space, folded);
    _mm512_storeu_si512(text + len, _mm512_maskz_compress_epi8(keep, bytes));
    uint64_t runs = word & ~after;  // First byte of each new token.
    while (runs != 0) {
      const int s = std::countr_zero(runs);
      runs &= runs - 1;
      const uint64_t before = (uint64_t{1} << s) - 1;
      if (breaks & before) new_line = 1;
      breaks &= ~before;
      if (new_line) [[unlikely]] {
        lines->push_back(static_cast<uint32_t>(num));
        new_line = 0;
      }
      starts[num++] = static_cast<uint32_t>(len + static_cast<size_t>(std::popcount(keep & before)));
    }
    if (breaks != 0) new_line = 1;  // Breaks after the block's last token.
    len += static_cast<size_t>(std::popcount(keep));
    carry = word >> (kAsciiBlock - 1);
    p += n;
  }
  if (carry) text[len++] = ' ';
  return {len, num, new_line};
}
#pragma GCC diagnostic pop

bool HasVbmi2() {
  static const bool has = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi2");
  return has;
}
#define DEDUP_ASCII_VBMI2 1
#endif

std::atomic<bool> allow_ascii_simd{true};

// Writes tokens into a TokenizedText through raw pointers into buffers sized ahead
// (the loops below are the hot path). Every token is followed by one space while
// writing; Finish() drops the last one.
class TokenWriter {
 public:
  // Room past the text for the ASCII loops' wide stores (AsciiTokensVbmi2's 64 bytes, a
  // space), so that an ASCII text never grows the buffer.
  static constexpr size_t kTextSlack = kAsciiBlock + 1 + kAsciiSlack;
  explicit TokenWriter(TokenizedText* out, size_t input_bytes) : out_(out) {
    out_->clear();
    out_->text.resize(input_bytes + kTextSlack);
    out_->starts.resize(input_bytes / 2 + 16);
    text_ = out_->text.data();
    starts_ = out_->starts.data();
  }

  // Makes room for `bytes` more bytes of text and `tokens` more tokens.
  void Reserve(size_t bytes, size_t tokens) {
    if (len_ + bytes > out_->text.size()) [[unlikely]] {
      out_->text.resize(std::max(2 * out_->text.size(), len_ + bytes));
      text_ = out_->text.data();
    }
    if (num_ + tokens > out_->starts.size()) [[unlikely]] {
      out_->starts.resize(std::max(2 * out_->starts.size(), num_ + tokens));
      starts_ = out_->starts.data();
    }
  }

  // Tokens of [p, p + n), ASCII bytes only, starting and ending outside a token.
  void Ascii(const unsigned char* p, size_t n, const unsigned char* limit) {
    Reserve(n + kTextSlack, n / 2 + 1);
#if defined(DEDUP_ASCII_VBMI2)
    if (HasVbmi2() && allow_ascii_simd.load(std::memory_order_relaxed)) {
      const AsciiResult r = AsciiTokensVbmi2(p, p + n, limit, text_, starts_, len_, num_, new_line_, &out_->lines);
      len_ = r.len;
      num_ = r.num;
      new_line_ = r.new_line;
      return;
    }
#endif
    AsciiResult r = AsciiTokens(p, p + n, limit, text_, starts_, len_, num_, new_line_, &out_->lines);
    len_ = r.len;
    num_ = r.num;
    new_line_ = r.new_line;
  }

  // A piece between boundaries is written one mapped code point at a time: Begin,
  // then Add for each, then End. Mark() and Undo() take back a piece begun.
  void BeginPiece() { open_ = CharClass::kSeparator; }

  // Adds a mapped code point: its class, its UTF-8 bytes, whether it is a line break.
  void Add(CharClass cls, const char* bytes, size_t n, bool line_break) {
    Reserve(n + 2, 1);
    if (cls == CharClass::kSeparator) {
      if (open_ != CharClass::kSeparator) text_[len_++] = ' ';
      open_ = CharClass::kSeparator;
      if (line_break) new_line_ = 1;
      return;
    }
    if (cls == CharClass::kMark && open_ == CharClass::kSeparator) return;  // No base: dropped.
    if (cls == CharClass::kUnspaced || (cls == CharClass::kWord && open_ != CharClass::kWord)) {
      if (open_ != CharClass::kSeparator) text_[len_++] = ' ';
      StartToken();
      open_ = cls;
    }
    std::memcpy(text_ + len_, bytes, n);
    len_ += n;
  }

  // Adds ASCII letters and digits p[0, n): Add(kWord, lower-cased byte) for each.
  void AddAsciiWord(const unsigned char* p, size_t n) {
    Reserve(n + 2, 1);
    if (open_ != CharClass::kWord) {
      if (open_ != CharClass::kSeparator) text_[len_++] = ' ';
      StartToken();
      open_ = CharClass::kWord;
    }
    for (size_t i = 0; i < n; ++i) text_[len_ + i] = kByteOut[p[i]];
    len_ += n;
  }

  void AddCodePoint(int32_t cp) {
    char bytes[4];
    const auto n = utf8proc_encode_char(cp, reinterpret_cast<utf8proc_uint8_t*>(bytes));
    Add(Classify(cp), bytes, static_cast<size_t>(n), IsLineBreak(cp));
  }

  void EndPiece() {
    if (open_ != CharClass::kSeparator) text_[len_++] = ' ';  // Reserved by Add.
    open_ = CharClass::kSeparator;
  }

  struct Mark {
    size_t len, num, lines;
    uint32_t new_line;
  };
  Mark GetMark() const { return {len_, num_, out_->lines.size(), new_line_}; }
  void Undo(const Mark& m) {
    len_ = m.len;
    num_ = m.num;
    out_->lines.resize(m.lines);
    new_line_ = m.new_line;
    open_ = CharClass::kSeparator;
  }

  void LineBreak() { new_line_ = 1; }

  void Finish() {
    if (len_ > 0) --len_;  // The space after the last token.
    out_->text.resize(len_);
    out_->starts.resize(num_);
  }

 private:
  void StartToken() {
    if (new_line_) {
      out_->lines.push_back(static_cast<uint32_t>(num_));
      new_line_ = 0;
    }
    starts_[num_++] = static_cast<uint32_t>(len_);
  }

  TokenizedText* out_;
  char* text_;
  uint32_t* starts_;
  size_t len_ = 0;  // Bytes of text written.
  size_t num_ = 0;  // Tokens written.
  uint32_t new_line_ = 1;
  CharClass open_ = CharClass::kSeparator;  // The kind of token open in a piece.
};

// Position of the first byte >= 0x80 in [p, end), or end.
const unsigned char* FindNonAscii(const unsigned char* p, const unsigned char* end) {
  for (; end - p >= 8; p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (w & 0x8080808080808080ull) break;
  }
  while (p < end && *p < 0x80) ++p;
  return p;
}

// Normalizes a piece between boundaries with utf8proc and writes its tokens. Pieces
// are words, so a small stack buffer almost always suffices; longer ones use *heap.
// Returns 0 or a utf8proc error code.
utf8proc_ssize_t NormalizePiece(const unsigned char* p, size_t n, std::unique_ptr<utf8proc_int32_t[]>* heap,
                                size_t* heap_size, TokenWriter* w) {
  constexpr size_t kStackSize = 256;
  utf8proc_int32_t stack[kStackSize];
  utf8proc_int32_t* buf = stack;
  size_t size = kStackSize;
  if (*heap_size > size) {
    buf = heap->get();
    size = *heap_size;
  }
  const auto* s = reinterpret_cast<const utf8proc_uint8_t*>(p);
  utf8proc_ssize_t m = utf8proc_decompose(s, static_cast<utf8proc_ssize_t>(n), buf,
                                          static_cast<utf8proc_ssize_t>(size), kMapOptions);
  if (m < 0) return m;
  if (static_cast<size_t>(m) > size) {  // Too long for the buffer: grow it and redo.
    *heap_size = static_cast<size_t>(m);
    *heap = std::make_unique<utf8proc_int32_t[]>(*heap_size);
    buf = heap->get();
    m = utf8proc_decompose(s, static_cast<utf8proc_ssize_t>(n), buf, m, kMapOptions);
    if (m < 0) return m;
  }
  m = utf8proc_normalize_utf32(buf, m, kMapOptions);
  if (m < 0) return m;
  w->BeginPiece();
  for (utf8proc_ssize_t i = 0; i < m; ++i) w->AddCodePoint(buf[i]);
  w->EndPiece();
  return 0;
}

bool IsAsciiSeparator(unsigned char c) { return (kByteFlags[c] & (kAlnum | kNonAscii)) == 0; }

}  // namespace

namespace internal {
bool AsciiSimdActive() {
#if defined(DEDUP_ASCII_VBMI2)
  return HasVbmi2() && allow_ascii_simd.load(std::memory_order_relaxed);
#else
  return false;
#endif
}
void AllowAsciiSimd(bool allow) { allow_ascii_simd.store(allow, std::memory_order_relaxed); }
}  // namespace internal

absl::Status Tokenize(std::string_view utf8, TokenizedText* out) {
  TokenWriter w(out, utf8.size());
  const auto* const begin = reinterpret_cast<const unsigned char*>(utf8.data());
  const auto* const end = begin + utf8.size();
  std::unique_ptr<utf8proc_int32_t[]> heap;  // For pieces too long for the stack buffer.
  size_t heap_size = 0;
  CodePointCache& cache = CodePoints();
  auto fail = [out](utf8proc_ssize_t error) {
    out->clear();
    return NormalizationError(error);
  };

  const unsigned char* p = begin;
  while (p < end) {
    // ASCII text up to the piece holding the next non-ASCII byte: that piece begins
    // after the last ASCII separator before the byte.
    const unsigned char* q = FindNonAscii(p, end);
    if (q != end) {
      // The common case in news text: a typographic quote, dash or middle dot, which is a
      // boundary -- it separates like an ASCII separator, so the ASCII text before it is
      // written by the block loop and the scan goes on after it.
      utf8proc_int32_t cp;
      const utf8proc_ssize_t len = utf8proc_iterate(q, end - q, &cp);
      if (len > 0) {
        const CodePointInfo info = cache.Get(cp);
        if (info.kind >= CodePointInfo::kBoundary) {
          w.Ascii(p, static_cast<size_t>(q - p), end);
          if (info.kind == CodePointInfo::kLineBreakBoundary) w.LineBreak();
          p = q + len;
          continue;
        }
      }
    }
    const unsigned char* piece = q;
    if (q != end) {
      while (piece > p && !IsAsciiSeparator(piece[-1])) --piece;
    }
    w.Ascii(p, static_cast<size_t>(piece - p), end);
    if (q == end) break;

    // The pieces from `piece` to the next ASCII separator, cut at non-ASCII boundaries.
    // A piece is written as it is read while its code points are simple; at the first
    // that is not, what was written is taken back and the whole piece goes through
    // utf8proc once its end is found.
    bool simple = true;
    TokenWriter::Mark mark = w.GetMark();
    w.BeginPiece();
    p = piece;
    while (true) {
      if (p == end || IsAsciiSeparator(*p)) {
        if (simple) {
          w.EndPiece();
        } else if (auto error = NormalizePiece(piece, static_cast<size_t>(p - piece), &heap, &heap_size, &w)) {
          return fail(error);
        }
        break;
      }
      if (*p < 0x80) {  // ASCII letters and digits.
        const unsigned char* word = p;
        while (p != end && (kByteFlags[*p] & kAlnum)) ++p;
        if (simple) w.AddAsciiWord(word, static_cast<size_t>(p - word));
        continue;
      }
      utf8proc_int32_t cp;
      const utf8proc_ssize_t len = utf8proc_iterate(p, end - p, &cp);
      if (len < 0) return fail(len);
      const CodePointInfo info = cache.Get(cp);
      if (info.kind >= CodePointInfo::kBoundary) {
        if (simple) {
          w.EndPiece();
        } else if (auto error = NormalizePiece(piece, static_cast<size_t>(p - piece), &heap, &heap_size, &w)) {
          return fail(error);
        }
        if (info.kind == CodePointInfo::kLineBreakBoundary) w.LineBreak();
        p += len;
        piece = p;
        simple = true;
        mark = w.GetMark();
        w.BeginPiece();
        continue;
      }
      if (info.kind == CodePointInfo::kSimple) {
        if (simple) w.Add(info.cls, info.utf8, info.bytes, info.line_break);
      } else if (simple) {
        w.Undo(mark);
        simple = false;
      }
      p += len;
    }
  }
  w.Finish();
  return absl::OkStatus();
}

bool IsUnspacedCodePoint(int32_t cp) { return IsUnspacedScript(cp); }

}  // namespace dedup
