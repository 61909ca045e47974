#include "dedup/chrome_stream.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/strings/str_format.h"
#include "dedup/normalize.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {
namespace {

constexpr int kRuleVersion = 1;

// The key of a line in a source's scope (2^-64 collision odds per pair of keys).
uint64_t ScopedKey(uint64_t source, uint64_t line) {
  const uint64_t both[2] = {source, line};
  return XXH3_64bits_withSeed(both, sizeof(both), 0x73636f70 /* "scop" */);
}

uint64_t Mix(uint64_t a, uint64_t b, uint64_t c) {
  const uint64_t v[3] = {a, b, c};
  return XXH3_64bits(v, sizeof(v));
}

void Put32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void Put64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t Get(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Whether the context of line `line` in `d` keeps at least kMinContextSlots slots once
// the line and the document's chrome lines are left out (else no comparison with it can
// tell anything).
bool Comparable(const DocKeys& d, size_t line, const FlaggedLines& chrome) {
  uint64_t skip = d.context->OwnedBy(line);
  for (uint64_t slots : chrome.slots) skip |= slots;
  int usable = 0;
  for (int i = 0; i < kContextSlots; ++i) {
    usable += ((skip >> i) & 1) == 0 && d.context->line[i] != ContextSketch::kEmpty;
  }
  return usable >= kMinContextSlots;
}

}  // namespace

std::string DescribeChromeRule(const BoilerplateOptions& o) {
  if (!o.enabled) return "off";
  return absl::StrFormat(
      "dedup-chrome/%d norm=%d slots=%d context=word:%d docs=%d contexts=%d source_docs=%d source_contexts=%d "
      "containment=%g adjacency=%g df_ratio=%g",
      kRuleVersion, kNormalizationVersion, kContextSlots, kContextShingleTokens, o.min_docs, o.min_contexts,
      o.min_source_docs, o.min_source_contexts, o.context_containment, o.block_adjacency, o.block_df_ratio);
}

// Layout: u32 lines, u32 total_shingles, lines x u64 keys, lines x u32 shingle counts,
// kContextSlots x u16 values, kContextSlots x u16 owners.
std::string SerializeLineKeys(const LineKeys& k) {
  std::string out;
  out.reserve(8 + 12 * k.lines.size() + 4 * kContextSlots);
  Put32(&out, static_cast<uint32_t>(k.lines.size()));
  Put32(&out, k.total_shingles);
  for (uint64_t v : k.lines) Put64(&out, v);
  for (uint32_t v : k.shingles) Put32(&out, v);
  for (uint16_t v : k.context.value) out.append({static_cast<char>(v), static_cast<char>(v >> 8)});
  for (uint16_t v : k.context.line) out.append({static_cast<char>(v), static_cast<char>(v >> 8)});
  return out;
}

absl::StatusOr<LineKeys> ParseLineKeys(std::string_view b) {
  if (b.size() < 8) return absl::DataLossError("line keys: truncated header");
  const uint64_t n = Get(b.data(), 4);
  if (b.size() != 8 + 12 * n + 4 * kContextSlots) {
    return absl::DataLossError(absl::StrFormat("line keys: %d bytes for %d lines", b.size(), n));
  }
  LineKeys k;
  k.total_shingles = static_cast<uint32_t>(Get(b.data() + 4, 4));
  const char* p = b.data() + 8;
  k.lines.resize(n);
  k.shingles.resize(n);
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i, p += 8) k.lines[i] = Get(p, 8);
  for (uint64_t i = 0; i < n; ++i, p += 4) total += k.shingles[i] = static_cast<uint32_t>(Get(p, 4));
  if (total != k.total_shingles) return absl::DataLossError("line keys: shingle counts do not add up");
  for (int s = 0; s < kContextSlots; ++s, p += 2) k.context.value[s] = static_cast<uint16_t>(Get(p, 2));
  for (int s = 0; s < kContextSlots; ++s, p += 2) k.context.line[s] = static_cast<uint16_t>(Get(p, 2));
  return k;
}

ChromeStream::ChromeStream(const BoilerplateOptions& options)
    : options_(options), max_contexts_(std::max(options.min_contexts, options.min_source_contexts)) {}

bool ChromeStream::IsChrome(uint64_t source_key, uint64_t line_key) const {
  if (chrome_lines_ == 0) return false;
  if (const LineState* s = Find(corpus_, line_key); s != nullptr && s->since != kNever) return true;
  if (source_key == 0) return false;
  const LineState* s = Find(by_source_, ScopedKey(source_key, line_key));
  return s != nullptr && s->since != kNever;
}

const FlaggedLines& ChromeStream::Flagged(size_t d) {
  // A document kept as a context is compared again and again; its chrome lines only
  // change when the model does, so they are cached until then.
  if (cache_version_ != chrome_lines_ || flagged_cache_.size() > 4096) {
    flagged_cache_.clear();
    cache_version_ = chrome_lines_;
  }
  auto [it, fresh] = flagged_cache_.try_emplace(static_cast<uint32_t>(d));
  if (fresh) it->second = FlagLines(doc(d), [&](uint64_t line) { return IsChrome(sources_[d], line); });
  return it->second;
}

bool ChromeStream::Count(Table& table, uint64_t key, uint64_t scope, uint32_t n, size_t j, const FlaggedLines& mine,
                         int min_docs, int min_contexts, std::vector<Flag>* flagged, std::vector<uint64_t>* holders) {
  LineState& s = table[key];
  const DocKeys me = doc(n);
  const uint64_t source = sources_[n];
  const uint64_t before = j > 0 ? me.lines[j - 1] : 0;
  const uint64_t after = j + 1 < me.num_lines ? me.lines[j + 1] : 0;
  if (s.df == 0) s.before = before, s.after = after, s.first_doc = n;
  ++s.df;
  s.same_before += s.before != 0 && before == s.before;
  s.same_after += s.after != 0 && after == s.after;
  if (s.since != kNever) return false;
  if (s.df == 2) {
    if (free_postings_.empty()) {
      s.postings = static_cast<uint32_t>(postings_.size());
      postings_.emplace_back();
    } else {
      s.postings = free_postings_.back();
      free_postings_.pop_back();
    }
    postings_[s.postings].push_back(s.first_doc);
  }
  if (s.postings != kNever) postings_[s.postings].push_back(n);
  // Block evidence: a remembered neighbour that is chrome now and stood next to L in
  // enough of L's documents; remembered as its df for the ratio.
  uint32_t neighbour_df = 0;
  for (auto [other, same] : {std::pair{s.before, s.same_before}, std::pair{s.after, s.same_after}}) {
    if (other == 0 || same < options_.block_adjacency * s.df || !IsChrome(source, other)) continue;
    const LineState* o = Find(table, scope == 0 ? other : ScopedKey(scope, other));
    // A neighbour chrome in the other scope only still makes a block here.
    const uint32_t df = o != nullptr ? o->df : static_cast<uint32_t>(min_docs);
    neighbour_df = std::max(neighbour_df, df);
  }
  if (s.contexts < min_contexts && Comparable(me, j, mine)) {
    // A kept context that can no longer be compared (its document's lines became chrome
    // and own all but a few of its slots) says nothing: the first such is replaced by
    // this occurrence when it is not the same as any comparable one. Comparisons that
    // come out unknown count as the same (never evidence of chrome), as in batch runs.
    bool same = false;
    int stale = -1;
    for (int i = 0; i < s.contexts && !same; ++i) {
      const Context& c = ContextAt(s, i);
      const FlaggedLines& theirs = Flagged(c.doc);
      if (!Comparable(doc(c.doc), c.line, theirs)) {
        if (stale < 0) stale = i;
        continue;
      }
      same = CompareContexts(me, j, mine, doc(c.doc), c.line, theirs, options_.context_containment) !=
             ContextMatch::kDifferent;
    }
    const Context fresh{n, static_cast<uint16_t>(std::min<size_t>(j, ContextSketch::kMaxLine))};
    if (!same && stale >= 0) {
      (stale == 0 ? s.first : pool_[s.more + stale - 1]) = fresh;
    } else if (!same) {
      if (s.contexts == 0) {
        s.first = fresh;
      } else {
        if (s.more == kNever) {
          s.more = static_cast<uint32_t>(pool_.size());
          pool_.resize(pool_.size() + static_cast<size_t>(max_contexts_ - 1));
        }
        pool_[s.more + s.contexts - 1] = fresh;
      }
      ++s.contexts;
    }
  }
  if (s.df < static_cast<uint32_t>(min_docs)) return false;
  const bool seed = s.contexts >= min_contexts;
  const bool block = neighbour_df > 0 && s.df >= options_.block_df_ratio * neighbour_df;
  if (!seed && !block) return false;
  s.since = n;
  ++chrome_lines_;
  digest_ ^= Mix(scope, key, n);
  if (flagged != nullptr) flagged->push_back(Flag{scope, me.lines[j]});
  if (s.postings != kNever) {
    std::vector<uint32_t>& docs = postings_[s.postings];
    if (holders != nullptr) {
      for (uint32_t d : docs) {
        if (d != n) holders->push_back(tags_[d]);
      }
    }
    std::vector<uint32_t>().swap(docs);
    free_postings_.push_back(s.postings);
    s.postings = kNever;
  }
  return true;
}

int ChromeStream::Add(uint64_t source_key, const LineKeys& keys, uint64_t tag, std::vector<Flag>* flagged_out,
                      std::vector<uint64_t>* holders) {
  const uint32_t n = static_cast<uint32_t>(sources_.size());
  sources_.push_back(source_key);
  tags_.push_back(tag);
  if (!options_.enabled) {
    offsets_.push_back(keys_.size());
    totals_.push_back(0);
    contexts_.emplace_back();
    return 0;
  }
  keys_.insert(keys_.end(), keys.lines.begin(), keys.lines.end());
  shingles_.insert(shingles_.end(), keys.shingles.begin(), keys.shingles.end());
  offsets_.push_back(keys_.size());
  totals_.push_back(keys.total_shingles);
  contexts_.push_back(keys.context);
  // The lines that are chrome before this document is counted, left out of its contexts.
  const FlaggedLines mine = Flagged(n);  // A copy: the cache may be cleared below.
  int flagged = 0;
  seen_.clear();
  for (size_t j = 0; j < keys.lines.size(); ++j) {
    const uint64_t line = keys.lines[j];
    // A line repeated within the document counts once (at its first occurrence).
    if (!seen_.insert(line).second) continue;
    flagged += Count(corpus_, line, 0, n, j, mine, options_.min_docs, options_.min_contexts, flagged_out, holders);
    if (source_key != 0) {
      flagged += Count(by_source_, ScopedKey(source_key, line), source_key, n, j, mine, options_.min_source_docs,
                       options_.min_source_contexts, flagged_out, holders);
    }
  }
  return flagged;
}

uint64_t ChromeStream::Digest() const { return digest_ ^ Mix(0x646f6373 /* "docs" */, documents(), 0); }

}  // namespace dedup
