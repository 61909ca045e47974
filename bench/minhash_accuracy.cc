// minhash_accuracy: estimation error and LSH candidate rate of the MinHash engines.
//
// Usage: build/release/bench/minhash_accuracy [--pairs N]
//
// For random set pairs with known Jaccard J (tests/test_util.h's construction: random
// 64-bit shingle hashes), by signature size K and union size |A u B|:
//   mean error     mean of (estimate - J): both engines are unbiased, so ~0
//   sd / classic   the error's standard deviation divided by the classic engine's
//                  theoretical sqrt(J (1 - J) / K), as a root mean square over the J levels
//   |z| > 3        share of pairs off by more than 3 theoretical standard errors
// and, for LSH banding, the share of pairs that become candidates against the S-curve
// 1 - (1 - J^r)^b, and the candidates among the pages of one site (shared chrome): their
// mean over seeds and the spread of one seed's count. Fixed seeds: the output is the same
// on every run.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "dedup/lsh_index.h"
#include "dedup/minhash.h"
#include "tests/test_util.h"

namespace {

using dedup::MinHashEngine;
constexpr MinHashEngine kEngines[] = {MinHashEngine::kClassic, MinHashEngine::kOph, MinHashEngine::kFss};

struct Stats {
  double sum = 0, sum2 = 0, var_ratio = 0;
  int beyond3 = 0, n = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Estimation error and LSH candidate rate of the MinHash engines"};
  int pairs = 2000;
  app.add_option("--pairs", pairs, "Random set pairs per cell and J level")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const double levels[] = {0.3, 0.5, 0.7, 0.9};
  std::printf("## Estimation error (%d pairs per cell and J level; J in {0.3, 0.5, 0.7, 0.9})\n\n", pairs);
  std::printf("| K | union size | classic: mean error | classic: sd / theory | classic: |z|>3 | "
              "oph: mean error | oph: sd / theory | oph: |z|>3 | fss: mean error | fss: sd / theory | fss: |z|>3 |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (int k : {64, 128, 256}) {
    for (int u : {32, 64, 128, 256, 1024, 8192}) {
      Stats st[3];
      for (int e = 0; e < 3; ++e) {
        const MinHashEngine engine = kEngines[e];
        auto h = *dedup::MinHasher::Create({.num_perm = k, .seed = 17, .engine = engine}, 0);
        uint64_t state = 1000 + static_cast<uint64_t>(k) * 7919 + u;  // Same pairs for both engines.
        for (double j : levels) {
          // |A u B| = common + 2 only, J = common / union.
          const int common = static_cast<int>(std::lround(j * u));
          const int only = (u - common) / 2;
          const double jj = static_cast<double>(common) / (common + 2 * only);
          const double se = dedup::MinHashStandardError(jj, k);
          double s = 0, s2 = 0;
          for (int p = 0; p < pairs; ++p) {
            auto pair = dedup::testing::MakeSetPair(&state, common, only);
            const double d = *dedup::EstimateJaccard(h.Sign(pair.a), h.Sign(pair.b)) - jj;
            s += d;
            s2 += d * d;
            st[e].beyond3 += std::fabs(d) > 3 * se;
          }
          st[e].sum += s;
          st[e].n += pairs;
          const double mean = s / pairs;
          st[e].var_ratio += (s2 / pairs - mean * mean) / (se * se);
        }
      }
      auto cell = [&](const Stats& s) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%+.4f | %.2f | %.2f%%", s.sum / s.n,
                      std::sqrt(s.var_ratio / std::size(levels)), 100.0 * s.beyond3 / s.n);
        return std::string(buf);
      };
      std::printf("| %d | %d | %s | %s | %s |\n", k, u, cell(st[0]).c_str(), cell(st[1]).c_str(), cell(st[2]).c_str());
    }
  }

  std::printf("\n## LSH candidate rate, K = 128 (%d pairs per cell)\n\n", pairs);
  std::printf("| banding | union size | J | S-curve | classic | oph | fss |\n| --- | --- | --- | --- | --- | --- | --- |\n");
  for (dedup::LshParams lsh : {dedup::LshParams{42, 3}, dedup::LshParams{14, 9}}) {
    for (int u : {64, 1024}) {
      for (double j : {0.3, 0.5, 0.7, 0.9}) {
        const int common = static_cast<int>(std::lround(j * u));
        const int only = (u - common) / 2;
        const double jj = static_cast<double>(common) / (common + 2 * only);
        double rate[3];
        for (int e = 0; e < 3; ++e) {
          const MinHashEngine engine = kEngines[e];
          auto h = *dedup::MinHasher::Create({.num_perm = 128, .seed = 23, .engine = engine}, 0);
          uint64_t state = 5000 + static_cast<uint64_t>(u) + static_cast<uint64_t>(j * 100);
          int hits = 0;
          for (int p = 0; p < pairs; ++p) {
            auto pair = dedup::testing::MakeSetPair(&state, common, only);
            auto index = *dedup::LshIndex::Create(lsh, 128);
            dedup::SketchedDocument a, b;
            a.signature = h.Sign(pair.a);
            a.num_shingles = static_cast<uint32_t>(pair.a.size());
            b.signature = h.Sign(pair.b);
            b.num_shingles = static_cast<uint32_t>(pair.b.size());
            index->Insert(0, a);
            std::vector<dedup::DocIndex> out;
            index->Query(b, &out);
            hits += !out.empty();
          }
          rate[e] = static_cast<double>(hits) / pairs;
        }
        std::printf("| %dx%d | %d | %.3f | %.3f | %.3f | %.3f | %.3f |\n", lsh.bands, lsh.rows, u, jj,
                    dedup::CandidateProbability(jj, lsh), rate[0], rate[1], rate[2]);
      }
    }
  }

  // Pages of one site: every page is the site's chrome C plus its own article U, so under
  // one seed the pairs' band agreements are strongly correlated (a band that falls inside
  // C for one page tends to for all). The expected number of candidates is still the
  // S-curve's, for every engine; one seed's count is far from it.
  constexpr int kPages = 200;
  const int kSeeds = std::clamp(pairs / 20, 5, 100);  // 100 at --pairs 2000.
  std::printf("\n## LSH candidates among %d pages of one site, 42 x 3, K = 128, %d seeds\n\n", kPages, kSeeds);
  std::printf("| chrome / article shingles | J | S-curve, per seed | classic: mean, sd | oph | fss |\n"
              "| --- | --- | --- | --- | --- | --- |\n");
  for (auto [chrome, article] : {std::pair{100, 200}, std::pair{150, 100}}) {
    const double jj = static_cast<double>(chrome) / (chrome + 2.0 * article);
    const dedup::LshParams lsh{42, 3};
    std::string cells[3];
    for (int e = 0; e < 3; ++e) {
      double sum = 0, sum2 = 0;
      for (int seed = 1; seed <= kSeeds; ++seed) {
        uint64_t state = 777 + static_cast<uint64_t>(seed);
        std::vector<uint64_t> c(static_cast<size_t>(chrome));
        for (uint64_t& x : c) x = dedup::SplitMix64(&state);
        auto h = *dedup::MinHasher::Create({.num_perm = 128, .seed = static_cast<uint64_t>(seed), .engine = kEngines[e]}, 0);
        std::vector<dedup::Signature> sigs;
        for (int page = 0; page < kPages; ++page) {
          std::vector<uint64_t> set = c;
          for (int i = 0; i < article; ++i) set.push_back(dedup::SplitMix64(&state));
          sigs.push_back(h.Sign(set));
        }
        double candidates = 0;
        for (int a = 0; a < kPages; ++a) {
          for (int b = a + 1; b < kPages; ++b) {
            candidates += dedup::SharesBand(sigs[a].values().data(), sigs[b].values().data(), lsh);
          }
        }
        sum += candidates;
        sum2 += candidates * candidates;
      }
      const double mean = sum / kSeeds, sd = std::sqrt(std::max(0.0, sum2 / kSeeds - mean * mean));
      char buf[96];
      std::snprintf(buf, sizeof buf, "%.0f ± %.0f (mean's se %.0f)", mean, sd, sd / std::sqrt(kSeeds));
      cells[e] = buf;
    }
    std::printf("| %d / %d | %.3f | %.0f | %s | %s | %s |\n", chrome, article, jj,
                dedup::CandidateProbability(jj, lsh) * kPages * (kPages - 1) / 2, cells[0].c_str(), cells[1].c_str(),
                cells[2].c_str());
  }
  return 0;
}
