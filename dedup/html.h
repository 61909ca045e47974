// HTML input: the text a reader sees, from a page's markup.
//
// HtmlToText() parses HTML with libxml2's forgiving HTML parser (malformed markup is
// recovered, never fatal), decodes character references (&amp; &rsquo; &#8217; …),
// drops what is not text (script, style, noscript, template, head, comments), and
// turns block elements (p, div, br, li, h1-h6, tr, article, …) into line breaks, so
// that each paragraph is a line -- the unit of boilerplate removal.
//
// Cost: linear in the input. Attributes are never read, and an element's attributes
// beyond the 64th are dropped before parsing (libxml2 compares each attribute with all
// earlier ones of its element: O(n^2) for n of them). libxml2 stops at a nesting depth
// of 256 elements; the text after that point is lost.
//
// Example:
//   std::string text = dedup::HtmlToText("<p>Xi&rsquo;s visit</p><p>Day two</p>");
//   // "Xi’s visit\nDay two\n"
#ifndef DEDUP_HTML_H_
#define DEDUP_HTML_H_

#include <string>
#include <string_view>

namespace dedup {

// The visible text of an HTML document or fragment (UTF-8 in, UTF-8 out).
std::string HtmlToText(std::string_view html);

// Heuristic for --html auto: the text starts (after white space and a byte-order
// mark) with '<' and contains a closing tag or a doctype.
bool LooksLikeHtml(std::string_view text);

}  // namespace dedup

#endif  // DEDUP_HTML_H_
