// LimitHtmlAttributes: a linear pre-pass that bounds the attributes per HTML start tag.
//
// libxml2's HTML parser (2.9) checks each new attribute of an element against all
// earlier ones (htmlParseStartTag's redefinition check) and appends it to the end of a
// linked list, so one element with n attributes costs O(n^2): 40k attributes took 6 s,
// 200k more than two minutes. Text extraction never reads attributes, so HtmlToText()
// hands libxml2 the markup with every start tag cut to its first `max_attributes`
// attributes. The work is then at most max_attributes^2 / 2 comparisons per start tag,
// i.e. O(max_attributes) per input byte.
//
// The scan follows libxml2's lexing of start tags (a tag starts at '<' + ASCII letter;
// names are runs of [A-Za-z0-9:_.-], at most 100 bytes each as libxml2 reads them;
// values are quoted with " or ', or run to white space or '>'; a bogus attribute runs to
// white space, '>' or "/>"; a NUL byte or the end of the input ends a quoted value and a
// tag), and skips what libxml2 does not read as a start tag: comments ("<!--" to "-->"),
// end tags, processing instructions and doctypes (to the next '>'), and the raw text of
// script and style (to "</script" / "</style", any case). tests/fuzz/html_fuzzer.cc
// checks that the text does not depend on the limit, on ASCII inputs without NUL bytes. A document whose start tags all
// have at most `max_attributes` attributes is returned unchanged (the same bytes, not
// copied), so the text of ordinary pages cannot change.
//
// Example:
//   std::string storage;
//   std::string_view html = LimitHtmlAttributes(page, kMaxHtmlAttributes, &storage);
#ifndef DEDUP_INTERNAL_HTML_ATTRIBUTES_H_
#define DEDUP_INTERNAL_HTML_ATTRIBUTES_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace dedup::internal {

// The attributes HtmlToText keeps per start tag. Real pages stay far below it (a few
// dozen at most); each tag then costs libxml2 at most 64 * 63 / 2 name comparisons.
inline constexpr size_t kMaxHtmlAttributes = 64;

struct HtmlAttributeStats {
  size_t start_tags = 0;          // Start tags seen.
  size_t truncated_tags = 0;      // Of them, cut to max_attributes.
  size_t dropped_attributes = 0;  // Attributes removed in total.
};

// `html` with every start tag's attributes beyond the first `max_attributes` removed.
// Returns `html` itself when nothing is removed, otherwise a view of *storage (which it
// overwrites). Adds what it saw to *stats if non-null. Cost: O(html.size()).
std::string_view LimitHtmlAttributes(std::string_view html, size_t max_attributes, std::string* storage,
                                     HtmlAttributeStats* stats = nullptr);

// HtmlToText (dedup/html.h) with another attribute limit (SIZE_MAX: none). For tests:
// the text must not depend on the limit (tests/fuzz/html_fuzzer.cc checks 0 against
// none on every input).
std::string HtmlToTextKeepingAttributes(std::string_view html, size_t max_attributes);

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_HTML_ATTRIBUTES_H_
