#include "dedup/report_html.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "absl/strings/str_format.h"
#include "dedup/report_html_assets.h"  // Generated from dedup/report_html/ (tools/embed_html_assets.py).

namespace dedup {
namespace {

std::string Num(double x) { return absl::StrFormat("%.6g", x); }

// Length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t j) { return static_cast<unsigned char>(s[j]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t j = 2; j < n; ++j) {
    if (byte(i + j) < 0x80 || byte(i + j) > 0xBF) return 0;
  }
  return n;
}

// `s` with every byte that starts no valid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

// The canonical member of cluster c: the representative of its members.
DocIndex Canonical(const ClusterResult& r, uint32_t c) { return r.documents[r.clusters[c][0]].representative; }

// Members of cluster c in the report's order: the canonical member, then the others in input order.
std::vector<DocIndex> MembersInOrder(const ClusterResult& r, uint32_t c) {
  const DocIndex canonical = Canonical(r, c);
  std::vector<DocIndex> out = {canonical};
  for (DocIndex m : r.clusters[c]) {
    if (m != canonical) out.push_back(m);
  }
  return out;
}

std::string RunsJson(const std::vector<TokenRun>& runs, size_t limit) {
  std::string out = "[";
  bool first = true;
  for (const TokenRun& run : runs) {
    if (run.first_token >= limit) break;  // Runs are in text order.
    const size_t end = std::min(run.first_token + run.tokens, limit);
    out += absl::StrFormat("%s[%d,%d]", first ? "" : ",", run.first_token, end);
    first = false;
  }
  return out + "]";
}

// {"w": tokens shown, "n": tokens in all, "l": first token of each line shown, "x": chrome [first,end) ranges}
std::string TextJson(const ExplainedSide& side, size_t max_tokens) {
  const TokenizedText& t = side.tokens;
  const size_t shown = std::min(t.size(), max_tokens);
  std::string out = "{\"w\":" + ScriptSafeJsonQuote(shown == 0 ? std::string_view() : t.span(0, shown));
  out += absl::StrFormat(",\"n\":%d,\"l\":[", t.size());
  bool first = true;
  for (uint32_t line : t.lines) {
    if (line >= shown) break;
    out += absl::StrFormat("%s%d", first ? "" : ",", line);
    first = false;
  }
  out += "],\"x\":";
  std::vector<TokenRun> chrome;
  for (const auto& [b, e] : side.removed) chrome.push_back({b, e - b});
  out += RunsJson(chrome, shown) + "}";
  return out;
}

std::string DirectionText(MatchKind kind) {
  switch (kind) {
    case MatchKind::kSimilar: return "similar: neither is an excerpt of the other";
    case MatchKind::kAContainedInB: return "this member (A) is an excerpt of the canonical member (B)";
    case MatchKind::kBContainedInA: return "the canonical member (B) is an excerpt of this member (A)";
    case MatchKind::kNone: break;
  }
  return "not grouped directly: linked through other members";
}

struct PairData {
  std::string pair, text_a, text_b;
};

// The side-by-side data of member vs canonical, as PairExplainer computes it.
absl::StatusOr<PairData> PairJson(const PairExplainer& explainer, const Document& member, const Document& canonical,
                                  size_t max_tokens) {
  absl::StatusOr<PairExplanation> x = explainer.Explain(member, canonical);
  if (!x.ok()) return x.status();
  PairData data;
  data.text_a = TextJson(x->a, max_tokens);
  data.text_b = TextJson(x->b, max_tokens);
  std::string out = "{\"sa\":" + RunsJson(KeptRunsToTokens(x->a, x->a.passages), max_tokens);
  out += ",\"sb\":" + RunsJson(KeptRunsToTokens(x->b, x->b.passages), max_tokens);
  out += absl::StrFormat(
      ",\"np\":%d,\"lp\":%d,\"ej\":%s,\"eab\":%s,\"eba\":%s,\"xj\":%s,\"xab\":%s,\"xba\":%s", x->a.passages.size(),
      x->a.passages.empty() ? 0 : x->a.passages[0].tokens, Num(x->estimate.jaccard), Num(x->estimate.a_in_b),
      Num(x->estimate.b_in_a), Num(x->exact.jaccard), Num(x->exact.a_in_b), Num(x->exact.b_in_a));
  out += ",\"d\":" + ScriptSafeJsonQuote(MatchKindName(x->by_estimate));
  out += ",\"dir\":" + ScriptSafeJsonQuote(DirectionText(x->by_estimate));
  out += ",\"v\":" + ScriptSafeJsonQuote(explainer.Verdict(x->by_estimate, x->estimate, *x));
  data.pair = out + "}";
  return data;
}

std::string HistogramSvg(const std::array<int64_t, 20>& bins) {
  const int64_t top = std::max<int64_t>(1, *std::max_element(bins.begin(), bins.end()));
  constexpr int kWidth = 600, kHeight = 140, kBar = 28, kGap = 2, kLeft = 16;
  std::string out = absl::StrFormat(
      "<svg class=\"hist\" role=\"img\" aria-labelledby=\"hist-title\" viewBox=\"0 0 %d %d\" width=\"%d\" "
      "height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"hist-title\">Members by similarity to their "
      "canonical member, in 20 bins from 0 to 1</title>",
      kWidth + 2 * kLeft, kHeight + 24, kWidth + 2 * kLeft, kHeight + 24);
  for (int i = 0; i < 20; ++i) {
    const int h = bins[i] == 0 ? 0 : std::max(1, static_cast<int>(std::lround(double(kHeight) * bins[i] / top)));
    out += absl::StrFormat(
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"><title>similarity %.2f to %.2f: %d</title></rect>",
        kLeft + i * (kBar + kGap), kHeight - h, kBar, h, i / 20.0, (i + 1) / 20.0, bins[i]);
  }
  for (int i = 0; i <= 4; ++i) {
    out += absl::StrFormat("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.2f</text>", kLeft + i * 5 * (kBar + kGap), kHeight + 18,
                           i / 4.0);
  }
  return out + "</svg>";
}

}  // namespace

std::string HtmlEscape(std::string_view raw) {
  const std::string s = ValidUtf8(raw);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string ScriptSafeJsonQuote(std::string_view raw) {
  const std::string quoted = JsonQuote(ValidUtf8(raw));
  std::string out;
  out.reserve(quoted.size());
  for (size_t i = 0; i < quoted.size(); ++i) {
    const char c = quoted[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < quoted.size() && quoted[i + 1] == '\x80' &&
               (quoted[i + 2] == '\xA8' || quoted[i + 2] == '\xA9')) {
      out += quoted[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<DocIndex> HtmlReportTextDocuments(const ClusterResult& result, const HtmlReportOptions& options) {
  std::vector<DocIndex> out;
  for (uint32_t c : DuplicateClustersBySize(result)) {
    for (DocIndex m : MembersInOrder(result, c)) {
      if (out.size() >= options.max_documents_with_text) return out;
      out.push_back(m);
    }
  }
  return out;
}

absl::StatusOr<absl::flat_hash_map<DocIndex, Document>> ReadReportDocuments(const std::vector<std::string>& inputs,
                                                                            const CorpusOptions& options,
                                                                            const ClusterResult& result,
                                                                            const std::vector<DocIndex>& with_text) {
  std::vector<uint8_t> want(result.documents.size(), 0);  // 1: id and source, 2: and text.
  for (uint32_t c = 0; c < result.clusters.size(); ++c) {
    if (result.clusters[c].size() < 2) continue;
    for (DocIndex m : result.clusters[c]) want[m] = 1;
  }
  for (DocIndex m : with_text) want[m] = 2;
  CorpusOptions quiet = options;  // The run has warned (skipped lines, notes) already.
  quiet.on_warning = [](const std::string&) {};
  absl::StatusOr<std::unique_ptr<CorpusReader>> reader = CorpusReader::Open(inputs, quiet);
  if (!reader.ok()) return reader.status();
  absl::flat_hash_map<DocIndex, Document> out;
  Document doc;
  for (DocIndex i = 0;; ++i) {
    absl::StatusOr<bool> got = (*reader)->Next(&doc);
    if (!got.ok()) return got.status();
    if (!*got) {
      if (i != result.documents.size()) break;
      return out;
    }
    if (i >= result.documents.size() || doc.id != result.documents[i].id) break;
    if (want[i] == 0) continue;
    if (want[i] == 1) {  // Id and source only (a cleared text would keep its capacity).
      Document kept;
      kept.id = doc.id;
      kept.source = doc.source;
      out.emplace(i, std::move(kept));
    } else {
      out.emplace(i, std::move(doc));
      doc = Document();
    }
  }
  return absl::FailedPreconditionError(
      "the inputs changed while the report was written: reading them again gave other documents");
}

absl::Status WriteHtmlReport(const ClusterResult& r, const ReportInfo& info, const HtmlReportTexts* texts,
                             std::ostream& out) {
  const ClusterStats& s = r.stats;
  const std::vector<uint32_t> order = DuplicateClustersBySize(r);
  const auto doc_of = [&](DocIndex i) -> const Document* {
    if (texts == nullptr) return nullptr;
    auto it = texts->documents.find(i);
    return it == texts->documents.end() ? nullptr : &it->second;
  };
  const size_t max_tokens = texts ? texts->options.max_tokens_per_document : 0;

  // The data block: clusters in the report's order; members [doc, relation, similarity,
  // containment]; documents [id, source, snippet]; pairs by member doc.
  std::array<int64_t, 20> bins{};
  int64_t members_listed = 0, members_compared = 0;
  std::string clusters = "[", docs = "{", pairs = "{", text = "{";
  bool first_doc = true, first_pair = true, first_text = true;
  // Each document's text once (its tokens and chrome lines depend on it alone).
  auto add_text = [&](DocIndex i, const std::string& json) {
    text += absl::StrFormat("%s\"%d\":%s", first_text ? "" : ",", i, json);
    first_text = false;
  };
  for (size_t ci = 0; ci < order.size(); ++ci) {
    const uint32_t c = order[ci];
    const std::vector<DocIndex> members = MembersInOrder(r, c);
    const Document* canonical = doc_of(members[0]);
    clusters += absl::StrFormat("%s{\"c\":%d,\"m\":[", ci ? "," : "", ClusterLabel(r, c));
    bool first_pair_in_cluster = true;
    for (size_t mi = 0; mi < members.size(); ++mi) {
      const DocIndex m = members[mi];
      const DocumentResult& d = r.documents[m];
      ++members_listed;
      if (mi > 0) ++bins[std::min<int>(19, static_cast<int>(std::floor(d.similarity * 20)))];
      clusters += absl::StrFormat("%s[%d,\"%s\",%s,%s]", mi ? "," : "", m, RelationName(d.relation),
                                  Num(d.similarity), Num(d.containment));
      const Document* doc = doc_of(m);
      docs += absl::StrFormat("%s\"%d\":[%s,%s,%s]", first_doc ? "" : ",", m, ScriptSafeJsonQuote(d.id),
                              ScriptSafeJsonQuote(doc ? doc->source : ""), ScriptSafeJsonQuote(d.snippet));
      first_doc = false;
      if (mi > 0 && doc && canonical && !doc->text.empty() && !canonical->text.empty() && texts->explainer) {
        absl::StatusOr<PairData> pair = PairJson(*texts->explainer, *doc, *canonical, max_tokens);
        if (!pair.ok()) return pair.status();
        if (first_pair_in_cluster) add_text(members[0], pair->text_b);
        first_pair_in_cluster = false;
        add_text(m, pair->text_a);
        pairs += absl::StrFormat("%s\"%d\":%s", first_pair ? "" : ",", m, pair->pair);
        first_pair = false;
        ++members_compared;
      }
    }
    clusters += "]}";
  }
  clusters += "]";
  docs += "}";
  pairs += "}";
  text += "}";

  const std::string lsh = info.exact ? std::string("exact Jaccard (brute force)")
                                     : absl::StrFormat("LSH %d bands x %d rows", r.lsh.bands, r.lsh.rows);
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src '" << kReportJsHash
      << "'; style-src '" << kReportCssHash << "'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta name=\"generator\" content=\"dedup\">\n<title>dedup cluster report</title>\n<style>" << kReportCss
      << "</style>\n</head>\n<body>\n<header>\n<h1>dedup cluster report</h1>\n</header>\n<main>\n";
  out << "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n<dl class=\"facts\">";
  auto fact = [&](std::string_view name, const std::string& value) {
    out << "<div><dt>" << name << "</dt><dd>" << HtmlEscape(value) << "</dd></div>";
  };
  fact("documents", absl::StrFormat("%d", s.documents));
  fact("clusters", absl::StrFormat("%d", s.clusters));
  fact("clusters with duplicates", absl::StrFormat("%d", s.duplicate_clusters));
  fact("duplicates", absl::StrFormat("%d", s.duplicates));
  if (s.empty_documents > 0) fact("empty documents", absl::StrFormat("%d", s.empty_documents));
  if (info.skipped_lines > 0) fact("bad lines skipped", absl::StrFormat("%d", info.skipped_lines));
  out << "</dl>\n<h3>Parameters</h3>\n<dl class=\"facts\">";
  fact("shingles", info.shingle_spec);
  fact("permutations (K)", absl::StrFormat("%d", info.num_perm));
  fact("threshold", Num(info.threshold));
  fact("candidates", lsh);
  if (!info.sketch_description.empty()) fact("sketch", info.sketch_description);
  out << "</dl>\n<h3>Similarity to the canonical member</h3>\n" << HistogramSvg(bins) << "\n<p class=\"note\">";
  if (texts) {
    out << absl::StrFormat(
        "%d of the %d listed members have a side-by-side view (texts of at most %d documents, largest clusters "
        "first, each shown up to %d normalized tokens; passages are computed on whole texts, as "
        "<code>dedup explain</code> computes them).",
        members_compared, members_listed - static_cast<int64_t>(order.size()), texts->options.max_documents_with_text,
        max_tokens);
  } else {
    out << "No texts: this report was made without them (the index does not store texts); run <code>dedup "
           "explain</code> on a pair to see its shared passages.";
  }
  out << " Singletons are counted, not listed.</p>\n</section>\n";
  out << "<section id=\"clusters\" aria-labelledby=\"clusters-h\">\n<h2 id=\"clusters-h\">Clusters</h2>\n"
      << "<div class=\"controls\" role=\"search\"><label for=\"filter\">Filter (cluster, id, source or text)</label> "
      << "<input type=\"search\" id=\"filter\" autocomplete=\"off\"> <label for=\"sort\">Sort by</label> "
      << "<select id=\"sort\"><option value=\"size\">size, largest first</option><option value=\"label\">cluster "
         "label</option><option value=\"sim\">lowest similarity first</option></select> "
      << "<span id=\"count\" role=\"status\" aria-live=\"polite\"></span></div>\n"
      << "<div id=\"list\"></div>\n<nav class=\"pager\" aria-label=\"Pages of clusters\"><button type=\"button\" "
         "id=\"prev\">Previous page</button> <span id=\"page\"></span> <button type=\"button\" id=\"next\">Next "
         "page</button></nav>\n"
      << "<noscript><p>The cluster list needs JavaScript; the same data is in <code>dedup cluster --format "
         "json</code>.</p></noscript>\n</section>\n</main>\n"
      << "<div id=\"errors\" hidden></div>\n"
      << "<script type=\"application/json\" id=\"data\">{\"clusters\":" << clusters << ",\n\"docs\":" << docs
      << ",\n\"pairs\":" << pairs << ",\n\"texts\":" << text << "}</script>\n"
      << "<script>" << kReportJs << "</script>\n</body>\n</html>\n";
  return absl::OkStatus();
}

}  // namespace dedup
