#include "dedup/story.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/parallel_for.h"

namespace dedup {
namespace {

// Unit term and entity vectors of every document, in one flat array: document i's
// entries are [begin[i], begin[i + 1]), sorted by key (a key's low bit says entity).
struct Vectors {
  std::vector<uint32_t> keys;
  std::vector<float> weights;
  std::vector<size_t> begin;
  std::vector<std::vector<uint32_t>> index_keys;  // Per document, its inverted-index keys.
};

// A sparse vector view (keys ascending).
struct Sparse {
  const uint32_t* keys;
  const float* weights;
  size_t size;
};

// Dot products of the term parts and of the entity parts.
std::pair<double, double> Dots(const Sparse& a, const Sparse& b) {
  double term = 0, entity = 0;
  size_t i = 0, j = 0;
  while (i < a.size && j < b.size) {
    if (a.keys[i] < b.keys[j]) {
      ++i;
    } else if (b.keys[j] < a.keys[i]) {
      ++j;
    } else {
      const double p = static_cast<double>(a.weights[i]) * b.weights[j];
      ((a.keys[i] & 1) ? entity : term) += p;
      ++i;
      ++j;
    }
  }
  return {term, entity};
}

std::pair<double, double> Norms2(const Sparse& a) {
  double term = 0, entity = 0;
  for (size_t i = 0; i < a.size; ++i) ((a.keys[i] & 1) ? entity : term) += static_cast<double>(a.weights[i]) * a.weights[i];
  return {term, entity};
}

Vectors Weigh(const std::vector<StoryDocument>& docs, const StoryOptions& options) {
  const size_t n = docs.size();
  absl::flat_hash_map<uint32_t, uint32_t> df;
  Vectors v;
  v.begin.resize(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    v.begin[i + 1] = v.begin[i] + docs[i].features->size();
    for (uint32_t e : *docs[i].features) ++df[StoryKey(e)];
  }
  v.keys.resize(v.begin[n]);
  v.weights.resize(v.begin[n]);
  v.index_keys.resize(n);
  const double max_df = std::max(static_cast<double>(kMinKeyCap), options.max_key_share * static_cast<double>(n));
  const double log_n1 = std::log(1.0 + static_cast<double>(n));
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 256), [&](const tbb::blocked_range<size_t>& range) {
    std::vector<std::pair<float, uint32_t>> ranked;
    for (size_t i = range.begin(); i != range.end(); ++i) {
      const StoryFeatures& f = *docs[i].features;
      double term2 = 0, entity2 = 0;
      ranked.clear();
      for (size_t j = 0; j < f.size(); ++j) {
        const uint32_t key = StoryKey(f[j]);
        const uint32_t d = df.find(key)->second;
        const double idf = log_n1 - std::log(1.0 + d) + 1.0;
        const double w = (1.0 + std::log(static_cast<double>(std::max<uint32_t>(StoryCount(f[j]), 1)))) * idf;
        v.keys[v.begin[i] + j] = key;
        v.weights[v.begin[i] + j] = static_cast<float>(w);
        ((key & 1) ? entity2 : term2) += w * w;
        if (d >= 2 && d <= max_df) ranked.emplace_back(static_cast<float>(w), key);
      }
      const double term_norm = term2 > 0 ? 1.0 / std::sqrt(term2) : 0.0;
      const double entity_norm = entity2 > 0 ? 1.0 / std::sqrt(entity2) : 0.0;
      for (size_t j = v.begin[i]; j < v.begin[i + 1]; ++j) {
        v.weights[j] = static_cast<float>(v.weights[j] * ((v.keys[j] & 1) ? entity_norm : term_norm));
      }
      const size_t k = std::min<size_t>(ranked.size(), static_cast<size_t>(options.keys_per_document));
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(k), ranked.end(),
                        [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
      v.index_keys[i].reserve(k);
      for (size_t j = 0; j < k; ++j) v.index_keys[i].push_back(ranked[j].second);
    }
  });
  return v;
}

Sparse DocVector(const Vectors& v, size_t i) {
  return Sparse{v.keys.data() + v.begin[i], v.weights.data() + v.begin[i], v.begin[i + 1] - v.begin[i]};
}

double Decay(int64_t a, int64_t b, double sigma_seconds) {
  if (a == kNoTime || b == kNoTime) return 1.0;
  const double dt = static_cast<double>(a) - static_cast<double>(b);
  return std::exp(-dt * dt / (2.0 * sigma_seconds * sigma_seconds));
}

StoryScore Score(const std::vector<StoryDocument>& docs, const Vectors& v, size_t a, size_t b,
                 double sigma_seconds) {
  const Sparse x = DocVector(v, a), y = DocVector(v, b);
  const auto [term, entity] = Dots(x, y);
  const double d = Decay(docs[a].published, docs[b].published, sigma_seconds);
  return StoryScore{d * term, d * entity};
}

bool Joinable(const StoryScore& s, const StoryOptions& o) {
  return s.term >= o.term_threshold && s.entity >= o.entity_threshold;
}

// Sum of member vectors, kept to its kCentroidKeys heaviest entries.
struct Centroid {
  std::vector<uint32_t> keys;
  std::vector<float> weights;
  Sparse view() const { return Sparse{keys.data(), weights.data(), keys.size()}; }
};

Centroid Merge(const Sparse& a, const Sparse& b) {
  Centroid c;
  c.keys.reserve(a.size + b.size);
  c.weights.reserve(a.size + b.size);
  size_t i = 0, j = 0;
  while (i < a.size || j < b.size) {
    if (j == b.size || (i < a.size && a.keys[i] < b.keys[j])) {
      c.keys.push_back(a.keys[i]);
      c.weights.push_back(a.weights[i++]);
    } else if (i == a.size || b.keys[j] < a.keys[i]) {
      c.keys.push_back(b.keys[j]);
      c.weights.push_back(b.weights[j++]);
    } else {
      c.keys.push_back(a.keys[i]);
      c.weights.push_back(a.weights[i++] + b.weights[j++]);
    }
  }
  if (c.keys.size() > kCentroidKeys) {
    std::vector<uint32_t> order(c.keys.size());
    std::iota(order.begin(), order.end(), 0u);
    std::nth_element(order.begin(), order.begin() + kCentroidKeys, order.end(), [&](uint32_t x, uint32_t y) {
      return c.weights[x] != c.weights[y] ? c.weights[x] > c.weights[y] : c.keys[x] < c.keys[y];
    });
    order.resize(kCentroidKeys);
    std::sort(order.begin(), order.end());  // Positions ascending = keys ascending.
    Centroid kept;
    for (uint32_t o : order) {
      kept.keys.push_back(c.keys[o]);
      kept.weights.push_back(c.weights[o]);
    }
    return kept;
  }
  return c;
}

struct Edge {
  float score;
  uint32_t a, b;
};

}  // namespace

absl::Status ValidateStoryOptions(const StoryOptions& o) {
  auto bad = [](const char* name, double value, const char* range) {
    return absl::InvalidArgumentError(absl::StrFormat("story option %s = %g must be %s", name, value, range));
  };
  if (!(o.term_threshold > 0 && o.term_threshold <= 1)) return bad("term_threshold", o.term_threshold, "in (0, 1]");
  if (!(o.entity_threshold >= 0 && o.entity_threshold <= 1)) return bad("entity_threshold", o.entity_threshold, "in [0, 1]");
  if (!(o.time_sigma_days > 0 && std::isfinite(o.time_sigma_days))) return bad("time_sigma_days", o.time_sigma_days, "> 0");
  if (o.keys_per_document < 1) return bad("keys_per_document", o.keys_per_document, ">= 1");
  if (o.key_window < 1) return bad("key_window", o.key_window, ">= 1");
  if (o.min_shared_keys < 1 || o.min_shared_keys > o.keys_per_document) {
    return bad("min_shared_keys", o.min_shared_keys, "in [1, keys_per_document]");
  }
  if (!(o.max_key_share > 0 && o.max_key_share <= 1)) return bad("max_key_share", o.max_key_share, "in (0, 1]");
  return absl::OkStatus();
}

StoryScore ScoreStoryPair(const std::vector<StoryDocument>& docs, size_t a, size_t b, const StoryOptions& options) {
  const Vectors v = Weigh(docs, options);
  return Score(docs, v, a, b, options.time_sigma_days * 86400.0);
}

StoryResult GroupStories(const std::vector<StoryDocument>& docs, const StoryOptions& options) {
  const size_t n = docs.size();
  StoryResult result;
  result.story.resize(n);
  if (n == 0) return result;
  const double sigma = options.time_sigma_days * 86400.0;
  const Vectors v = Weigh(docs, options);

  // Inverted index: (key, time, document), sorted; unknown times (INT64_MIN) first.
  struct Posting {
    uint32_t key;
    uint32_t doc;
    int64_t time;
  };
  std::vector<Posting> postings;
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t k : v.index_keys[i]) postings.push_back(Posting{k, static_cast<uint32_t>(i), docs[i].published});
  }
  std::sort(postings.begin(), postings.end(), [](const Posting& x, const Posting& y) {
    if (x.key != y.key) return x.key < y.key;
    if (x.time != y.time) return x.time < y.time;
    return x.doc < y.doc;
  });
  // Farther apart in time than this, d < term_threshold: the pair cannot pass.
  const double max_dt = sigma * std::sqrt(2.0 * std::log(1.0 / options.term_threshold));
  const size_t window = static_cast<size_t>(options.key_window);
  // Per posting, where its list starts; per document, its postings (CSR).
  std::vector<uint32_t> list_start(postings.size());
  for (size_t p = 0; p < postings.size(); ++p) {
    list_start[p] = (p > 0 && postings[p - 1].key == postings[p].key) ? list_start[p - 1] : static_cast<uint32_t>(p);
  }
  std::vector<uint32_t> doc_begin(n + 1, 0), doc_postings(postings.size());
  for (const Posting& x : postings) ++doc_begin[x.doc + 1];
  for (size_t i = 0; i < n; ++i) doc_begin[i + 1] += doc_begin[i];
  {
    std::vector<uint32_t> fill(doc_begin.begin(), doc_begin.end() - 1);
    for (size_t p = 0; p < postings.size(); ++p) doc_postings[fill[postings[p].doc]++] = static_cast<uint32_t>(p);
  }
  // Each document, in parallel: the earlier entries (in (time, position) order, the same
  // in every list) within key_window and the time window of each of its lists; a
  // document found in k lists shares k indexed keys with it. Those sharing
  // min_shared_keys are scored. Every pair is found once, from its later member.
  struct Found {
    std::vector<Edge> edges;
    int64_t candidates = 0;
  };
  tbb::enumerable_thread_specific<Found> found;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 256), [&](const tbb::blocked_range<size_t>& r) {
    Found& local = found.local();
    std::vector<uint32_t> near;
    for (size_t i = r.begin(); i != r.end(); ++i) {
      near.clear();
      for (uint32_t j = doc_begin[i]; j < doc_begin[i + 1]; ++j) {
        const size_t p = doc_postings[j];
        const Posting& x = postings[p];
        for (size_t q = p; q > list_start[p] && p - q < window;) {
          const Posting& y = postings[--q];
          if ((x.time == kNoTime) != (y.time == kNoTime)) break;  // Unknown times sort first.
          if (x.time != kNoTime && static_cast<double>(x.time) - static_cast<double>(y.time) > max_dt) break;
          near.push_back(y.doc);
        }
      }
      std::sort(near.begin(), near.end());
      for (size_t k = 0; k < near.size();) {
        size_t e = k;
        while (e < near.size() && near[e] == near[k]) ++e;
        if (e - k >= static_cast<size_t>(options.min_shared_keys)) {
          ++local.candidates;
          const StoryScore sc = Score(docs, v, i, near[k], sigma);
          if (Joinable(sc, options)) {
            local.edges.push_back(Edge{static_cast<float>((sc.term + sc.entity) / 2),
                                       std::min(static_cast<uint32_t>(i), near[k]), std::max(static_cast<uint32_t>(i), near[k])});
          }
        }
        k = e;
      }
    }
  });
  std::vector<Edge> edges;
  for (Found& f : found) {
    result.stats.candidate_pairs += f.candidates;
    edges.insert(edges.end(), f.edges.begin(), f.edges.end());
  }
  result.stats.joinable_pairs = static_cast<int64_t>(edges.size());
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    if (x.score != y.score) return x.score > y.score;
    if (x.a != y.a) return x.a < y.a;
    return x.b < y.b;
  });

  // Union-find; a root's centroid (empty for a singleton: its own vector).
  std::vector<uint32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0u);
  auto find = [&](uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<Centroid> centroids(n);
  auto centroid = [&](uint32_t root) {
    return centroids[root].keys.empty() ? DocVector(v, root) : centroids[root].view();
  };
  for (const Edge& e : edges) {
    uint32_t ra = find(e.a), rb = find(e.b);
    if (ra == rb) continue;
    const Sparse ca = centroid(ra), cb = centroid(rb);
    if (!centroids[ra].keys.empty() || !centroids[rb].keys.empty()) {
      const auto [term, entity] = Dots(ca, cb);
      const auto [ta, ea] = Norms2(ca);
      const auto [tb, eb] = Norms2(cb);
      const double ct = ta > 0 && tb > 0 ? term / std::sqrt(ta * tb) : 0.0;
      const double ce = ea > 0 && eb > 0 ? entity / std::sqrt(ea * eb) : 0.0;
      if (ct < options.term_threshold || ce < options.entity_threshold) continue;
    }
    Centroid merged = Merge(ca, cb);
    if (rb < ra) std::swap(ra, rb);
    parent[rb] = ra;
    centroids[ra] = std::move(merged);
    centroids[rb] = Centroid{};
  }

  // Dense numbers by first member.
  std::vector<uint32_t> number(n, UINT32_MAX);
  uint32_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = find(static_cast<uint32_t>(i));
    if (number[r] == UINT32_MAX) number[r] = next++;
    result.story[i] = number[r];
  }
  result.stats.stories = next;
  return result;
}

StoryStats GroupClusterStories(std::vector<StoryFeatures>& features, const StoryOptions& options,
                               ClusterResult* clusters) {
  std::vector<StoryDocument> reps(clusters->clusters.size());
  std::vector<uint8_t> is_rep(features.size(), 0);
  for (size_t c = 0; c < reps.size(); ++c) {
    const DocIndex rep = clusters->documents[clusters->clusters[c].front()].representative;
    reps[c] = StoryDocument{&features[rep], clusters->documents[rep].published};
    is_rep[rep] = 1;
  }
  for (size_t d = 0; d < features.size(); ++d) {
    if (!is_rep[d]) StoryFeatures().swap(features[d]);  // Only representatives take part.
  }
  StoryResult r = GroupStories(reps, options);
  std::vector<StoryFeatures>().swap(features);
  clusters->stories = std::move(r.story);
  return r.stats;
}

}  // namespace dedup
