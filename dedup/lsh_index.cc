#include "dedup/lsh_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"
#include "dedup/status_macros.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {
namespace {

// ∫_lo^hi f(s) ds by composite Simpson's rule; f is smooth on [0, 1], so 512
// intervals agree with adaptive quadrature to ~1e-10, far below the gaps between
// the errors of neighbouring (b, r) choices.
template <typename F>
double Integrate(F f, double lo, double hi) {
  constexpr int kIntervals = 512;
  const double h = (hi - lo) / kIntervals;
  double sum = f(lo) + f(hi);
  for (int i = 1; i < kIntervals; ++i) sum += f(lo + i * h) * (i % 2 == 1 ? 4.0 : 2.0);
  return sum * h / 3.0;
}

bool IsEmpty(const SketchedDocument& sketch) {
  return sketch.num_shingles == 0 || sketch.signature.size() == 0;
}

}  // namespace

double CandidateProbability(double s, const LshParams& params) {
  return 1.0 - std::pow(1.0 - std::pow(s, params.rows), params.bands);
}

absl::Status ValidateLshParams(const LshParams& params, int num_perm) {
  if (params.bands < 1 || params.rows < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bands (%d) and rows (%d) must both be at least 1", params.bands, params.rows));
  }
  if (static_cast<int64_t>(params.bands) * params.rows > num_perm) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bands x rows = %d x %d = %d exceeds num_perm %d", params.bands, params.rows,
        static_cast<int64_t>(params.bands) * params.rows, num_perm));
  }
  return absl::OkStatus();
}

absl::StatusOr<LshParams> OptimalLshParams(double threshold, int num_perm,
                                           double false_positive_weight,
                                           double false_negative_weight) {
  if (!(threshold > 0.0 && threshold < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("threshold %g must be strictly between 0 and 1 to choose LSH bands", threshold));
  }
  if (num_perm < 1) return absl::InvalidArgumentError(absl::StrFormat("num_perm %d < 1", num_perm));
  if (!(false_positive_weight >= 0 && false_negative_weight >= 0) ||
      false_positive_weight + false_negative_weight <= 0) {
    return absl::InvalidArgumentError("LSH error weights must be >= 0 and not both 0");
  }
  LshParams best;
  double best_error = std::numeric_limits<double>::infinity();
  for (int b = 1; b <= num_perm; ++b) {
    for (int r = 1; r <= num_perm / b; ++r) {
      LshParams p{b, r};
      double fp = Integrate([&](double s) { return CandidateProbability(s, p); }, 0.0, threshold);
      double fn = Integrate([&](double s) { return 1.0 - CandidateProbability(s, p); }, threshold, 1.0);
      double error = false_positive_weight * fp + false_negative_weight * fn;
      if (error < best_error) {
        best_error = error;
        best = p;
      }
    }
  }
  return best;
}

absl::StatusOr<std::unique_ptr<LshIndex>> LshIndex::Create(const LshParams& params, int num_perm) {
  DEDUP_RETURN_IF_ERROR(ValidateLshParams(params, num_perm));
  return std::unique_ptr<LshIndex>(new LshIndex(params, num_perm));
}

LshIndex::LshIndex(const LshParams& params, int num_perm)
    : params_(params), num_perm_(num_perm), tables_(params.bands) {}

uint64_t LshIndex::BandKey(const uint32_t* signature, int band) const {
  return XXH3_64bits_withSeed(signature + static_cast<size_t>(band) * params_.rows,
                              sizeof(uint32_t) * params_.rows, static_cast<uint64_t>(band));
}

void LshIndex::Insert(DocIndex doc, const SketchedDocument& sketch) {
  ++size_;
  if (IsEmpty(sketch)) return;
  DEDUP_CHECK(sketch.signature.size() == num_perm_);
  const uint32_t* sig = sketch.signature.values().data();
  for (int band = 0; band < params_.bands; ++band) {
    auto [it, inserted] = tables_[band].try_emplace(BandKey(sig, band), kNone);
    entries_.push_back(Entry{doc, it->second});
    it->second = static_cast<uint32_t>(entries_.size() - 1);
  }
}

void LshIndex::Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const {
  if (IsEmpty(sketch)) return;
  DEDUP_CHECK(sketch.signature.size() == num_perm_);
  const uint32_t* sig = sketch.signature.values().data();
  const size_t first = out->size();
  for (int band = 0; band < params_.bands; ++band) {
    auto it = tables_[band].find(BandKey(sig, band));
    if (it == tables_[band].end()) continue;
    for (uint32_t e = it->second; e != kNone; e = entries_[e].next) out->push_back(entries_[e].doc);
  }
  std::sort(out->begin() + first, out->end());
  out->erase(std::unique(out->begin() + first, out->end()), out->end());
}

void BruteForceIndex::Insert(DocIndex doc, const SketchedDocument& sketch) {
  sizes_[doc] = static_cast<uint32_t>(sketch.shingles.size());
  for (uint64_t h : sketch.shingles) postings_[h].push_back(doc);
}

void BruteForceIndex::Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const {
  if (sketch.shingles.empty()) return;
  const size_t first = out->size();
  if (threshold_ <= 0.0) {  // Every non-empty document qualifies, sharing or not.
    for (const auto& [doc, size] : sizes_) {
      if (size > 0) out->push_back(doc);
    }
  } else {
    absl::flat_hash_map<DocIndex, uint32_t> common;
    for (uint64_t h : sketch.shingles) {
      auto it = postings_.find(h);
      if (it == postings_.end()) continue;
      for (DocIndex d : it->second) ++common[d];
    }
    const size_t q = sketch.shingles.size();
    for (const auto& [doc, c] : common) {
      // The same arithmetic as ExactJaccard(), so both agree to the last bit.
      double j = static_cast<double>(c) / static_cast<double>(q + sizes_.at(doc) - c);
      if (j >= threshold_) out->push_back(doc);
    }
  }
  std::sort(out->begin() + first, out->end());
}

}  // namespace dedup
