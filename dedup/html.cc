#include "dedup/html.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "dedup/internal/html_attributes.h"

namespace dedup {
namespace {

bool IsSkipped(const char* name) {
  static const absl::flat_hash_set<std::string_view> kSkipped = {"script", "style",  "noscript", "template",
                                                                  "head",   "iframe", "svg",      "object"};
  return kSkipped.contains(name);
}

bool IsBlock(const char* name) {
  static const absl::flat_hash_set<std::string_view> kBlock = {
      "p",      "div",     "br",     "li",      "ul",         "ol",     "dl",     "dt",     "dd",
      "h1",     "h2",      "h3",     "h4",      "h5",         "h6",     "tr",     "table",  "thead",
      "tbody",  "tfoot",   "td",     "th",      "article",    "section", "header", "footer", "nav",
      "aside",  "main",    "blockquote", "pre", "figure",     "figcaption", "hr", "form",   "address",
      "title",  "body",    "html",   "caption", "details",    "summary"};
  return kBlock.contains(name);
}

void Walk(xmlNode* node, std::string* out) {
  for (xmlNode* n = node; n != nullptr; n = n->next) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      if (n->content != nullptr) out->append(reinterpret_cast<const char*>(n->content));
      continue;
    }
    if (n->type != XML_ELEMENT_NODE) continue;  // Comments, processing instructions, ...
    const char* name = reinterpret_cast<const char*>(n->name);
    if (IsSkipped(name)) continue;
    const bool block = IsBlock(name);
    if (block && !out->empty() && out->back() != '\n') out->push_back('\n');
    Walk(n->children, out);
    if (block && !out->empty() && out->back() != '\n') out->push_back('\n');
  }
}

}  // namespace

namespace internal {

std::string HtmlToTextKeepingAttributes(std::string_view html, size_t max_attributes) {
  std::string out;
  if (html.empty()) return out;
  // libxml2 asks to be initialized once before threads use it (the pipeline converts
  // documents on all cores).
  static const bool initialized = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialized;
  std::string storage;
  html = LimitHtmlAttributes(html, max_attributes, &storage);
  htmlDocPtr doc = htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                      HTML_PARSE_NOBLANKS);
  if (doc == nullptr) return out;
  Walk(xmlDocGetRootElement(doc), &out);
  xmlFreeDoc(doc);
  return out;
}

}  // namespace internal

std::string HtmlToText(std::string_view html) {
  // libxml2 spends O(n^2) on an element with n attributes, which text extraction never
  // reads: keep the first few of each (internal/html_attributes.h).
  return internal::HtmlToTextKeepingAttributes(html, internal::kMaxHtmlAttributes);
}

bool LooksLikeHtml(std::string_view text) {
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  if (i >= text.size() || text[i] != '<') return false;
  const std::string_view rest = text.substr(i);
  return rest.find("</") != std::string_view::npos || rest.substr(0, 9) == "<!DOCTYPE" ||
         rest.substr(0, 9) == "<!doctype";
}

}  // namespace dedup
