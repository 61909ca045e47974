// Fuzzes HTML extraction (dedup/html.h). Invariants: HtmlToText never crashes and turns
// valid UTF-8 into valid UTF-8 (what follows it, Tokenize, rejects anything else);
// LooksLikeHtml agrees with its definition in the header. On ASCII inputs without NUL
// bytes, also: HtmlToText is deterministic, and its text does not depend on how many
// attributes per start tag the pre-pass keeps (internal/html_attributes.h): keeping 64
// or all gives the same text, and with DEDUP_FUZZ_HTML_STRICT set in the environment
// also none or one -- a differential test of the pre-pass's tag lexing against
// libxml2's. Not on other inputs, because of libxml2 (2.9.14) itself:
// a NUL byte means different things in different places (in a quoted attribute value it
// ends the document), and an entity reference with a long non-ASCII name ("&" + 200 x
// "Ü") gives different text from one call to the next in the same process.
// Quadratic shapes (many attributes, deep nesting, unclosed tags) would show up as
// libFuzzer timeouts (-timeout in tools/fuzz.sh) on inputs up to -max_len.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dedup/corpus.h"
#include "dedup/html.h"
#include "dedup/internal/html_attributes.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// The header's definition of LooksLikeHtml, written independently.
bool LooksLikeHtmlByDefinition(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const size_t first = text.find_first_not_of(" \t\n\r");
  if (first == std::string_view::npos || text[first] != '<') return false;
  text.remove_prefix(first);
  return text.find("</") != std::string_view::npos || text.starts_with("<!DOCTYPE") || text.starts_with("<!doctype");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FUZZ_CHECK(dedup::LooksLikeHtml(input) == LooksLikeHtmlByDefinition(input));
  const std::string text = dedup::HtmlToText(input);
  if (dedup::IsValidUtf8(input)) FUZZ_CHECK(dedup::IsValidUtf8(text));
  const bool plain = std::all_of(input.begin(), input.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u != 0 && u < 0x80;
  });
  if (plain) {
    FUZZ_CHECK(dedup::HtmlToText(input) == text);
    const std::string all = dedup::internal::HtmlToTextKeepingAttributes(input, SIZE_MAX);
    FUZZ_CHECK(all == text);
    // Limits 0 and 1 make nearly every tag go through the pre-pass: a much sharper test
    // of its lexing, which still finds corner cases (bench/results/fuzz/README.md), so it
    // is opt-in for long runs rather than part of tools/fuzz.sh's pass/fail.
    static const bool strict = std::getenv("DEDUP_FUZZ_HTML_STRICT") != nullptr;
    if (strict) {
      FUZZ_CHECK(dedup::internal::HtmlToTextKeepingAttributes(input, 1) == all);
      FUZZ_CHECK(dedup::internal::HtmlToTextKeepingAttributes(input, 0) == all);
    }
  }
  return 0;
}
