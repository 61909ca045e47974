// dedup-gen-corpus: writes a deterministic news-like corpus (JSONL) and its ground truth (TSV).
//
//   dedup-gen-corpus --docs 100000 --dup-rate 0.3 --seed 7 --out corpus.jsonl --truth truth.tsv
//   dedup-gen-corpus --profile hard --docs 20000 --seed 1 --out hard.jsonl --truth hard.tsv
//
// See bench/corpus_generator.h for what the documents and the truth columns mean. Errors (a bad
// flag value, an unwritable output) print one line to stderr and exit non-zero; outputs are
// written atomically (temporary file, then rename).

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include "bench/corpus_generator.h"

namespace {

using dedup::bench::GenerateOptions;

constexpr char kUsage[] =
    "Usage: dedup-gen-corpus --out CORPUS.jsonl --truth TRUTH.tsv [options]\n"
    "\n"
    "Writes N synthetic news articles, a share of them near-duplicate variants of earlier\n"
    "ones, as JSONL ({\"id\",\"text\",\"source\",\"published\"} per line) and a truth TSV\n"
    "(id, source_id, kind, topic). Same options -> byte-identical files.\n"
    "\n"
    "Options:\n"
    "  --docs N              documents to write (default 1000)\n"
    "  --dup-rate X          probability that a document is a variant, 0..1 (default 0.3)\n"
    "  --seed S              random seed, unsigned 64-bit (default 20230320)\n"
    "  --min-words N         shortest article body in words (default 150)\n"
    "  --max-words N         longest article body in words (default 1200)\n"
    "  --sites N             number of fake sites, 2..750 (default 50)\n"
    "  --topic-rate X        probability that an original joins a recent topic, making it a\n"
    "                        hard negative of that topic's other articles (default 0.3)\n"
    "  --max-topic-size N    most originals per topic (default 5)\n"
    "  --pool N              variants derive from the N most recent originals (default 1000)\n"
    "  --kind-weights LIST   relative weights of variant kinds, e.g. chrome=1,edit=2,trunc=1;\n"
    "                        kinds not listed get 0 (default: the six default kinds equal)\n"
    "                        kinds: chrome edit drop add trunc combo aggfooter shortfooter\n"
    "                        deeptrunc promo zhedit\n"
    "\n"
    "Hard profile (see bench/corpus_generator.h; all off by default):\n"
    "  --profile NAME        default or hard: sets every option below and the ones above\n"
    "                        except --docs, --seed and --pool; flags after it override\n"
    "                        (hard: --dup-rate 0.35 --zh-rate 0.05 --hot-interval 20000\n"
    "                        --kind-weights chrome=.6,edit=.6,drop=.6,add=.6,trunc=.6,combo=.6,\n"
    "                        aggfooter=.3,shortfooter=.4,deeptrunc=1.2,promo=1.2,zhedit=.8)\n"
    "  --zh-rate X           probability that an original is Chinese (default 0)\n"
    "  --zh-min-chars N      shortest Chinese body in Han characters (default 250)\n"
    "  --zh-max-chars N      longest Chinese body in Han characters (default 1500)\n"
    "  --zh-sites N          number of Chinese sites, 2..100 (default 12)\n"
    "  --aggregators N       aggregator sites of aggfooter copies, 1..100 (default 5)\n"
    "  --short-min-words N   shortest shortfooter item in words (default 60)\n"
    "  --short-max-words N   longest shortfooter item in words (default 120)\n"
    "  --hot-interval N      a hot story every N documents, 0 = none (default 0)\n"
    "  --hot-copies N        copies of each hot story (default 200)\n"
    "  --hot-copy-rate X     while a hot story runs, the share of documents that are its\n"
    "                        copies (default 0.05)\n"
    "\n"
    "  --no-chrome           no site header/footer in the documents\n"
    "  --quiet               no summary on stderr\n"
    "  --help                this text\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "dedup-gen-corpus: %s\n", message.c_str());
  return 2;
}

template <typename T>
bool ParseInt(std::string_view s, T* out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

bool ParseDouble(std::string_view s, double* out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

// "chrome=1,edit=2" -> weights; unlisted kinds get 0.
bool ParseKindWeights(std::string_view list, GenerateOptions* options, std::string* error) {
  options->kind_weights.fill(0);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t eq = item.find('=');
    dedup::bench::VariantKind kind;
    double weight = 0;
    if (eq == std::string_view::npos ||
        !dedup::bench::ParseVariantKind(item.substr(0, eq), &kind) ||
        kind == dedup::bench::VariantKind::kOriginal || kind == dedup::bench::VariantKind::kHot ||
        !ParseDouble(item.substr(eq + 1), &weight)) {
      *error = "bad --kind-weights item '" + std::string(item) +
               "' (want KIND=WEIGHT, KIND one of chrome edit drop add trunc combo aggfooter "
               "shortfooter deeptrunc promo zhedit)";
      return false;
    }
    options->kind_weights[static_cast<int>(kind) - 1] = weight;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  GenerateOptions options;
  std::string out_path, truth_path;
  bool quiet = false;
  // --profile sets many options at once: it applies first, whatever its position, and the other
  // flags override it. (--docs, --seed and --pool are kept by ApplyProfile.)
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string_view name;
    if (arg == "--profile" && i + 1 < argc) {
      name = argv[i + 1];
    } else if (arg.substr(0, 10) == "--profile=") {
      name = arg.substr(10);
    } else {
      continue;
    }
    if (!dedup::bench::ApplyProfile(name, &options)) {
      return Fail("bad value for --profile: '" + std::string(name) + "' (want default or hard)");
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--no-chrome") {
      options.include_chrome = false;
      continue;
    }
    if (arg == "--quiet") {
      quiet = true;
      continue;
    }
    std::string_view flag = arg, value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    } else if (i + 1 < argc) {
      value = argv[i + 1];
      has_value = true;
    }
    const bool known =
        flag == "--docs" || flag == "--dup-rate" || flag == "--seed" || flag == "--out" ||
        flag == "--truth" || flag == "--min-words" || flag == "--max-words" || flag == "--sites" ||
        flag == "--topic-rate" || flag == "--max-topic-size" || flag == "--pool" ||
        flag == "--kind-weights" || flag == "--profile" || flag == "--zh-rate" ||
        flag == "--zh-min-chars" || flag == "--zh-max-chars" || flag == "--zh-sites" ||
        flag == "--aggregators" || flag == "--short-min-words" || flag == "--short-max-words" ||
        flag == "--hot-interval" || flag == "--hot-copies" || flag == "--hot-copy-rate";
    if (!known) return Fail("unknown flag '" + std::string(arg) + "' (see --help)");
    if (!has_value) return Fail(std::string(flag) + " needs a value");
    if (arg.find('=') == std::string_view::npos) ++i;  // the value was the next argument

    const std::string bad = "bad value for " + std::string(flag) + ": '" + std::string(value) + "'";
    bool ok = true;
    if (flag == "--docs") {
      ok = ParseInt(value, &options.num_docs);
    } else if (flag == "--dup-rate") {
      ok = ParseDouble(value, &options.dup_rate);
    } else if (flag == "--seed") {
      ok = ParseInt(value, &options.seed);
    } else if (flag == "--out") {
      out_path = value;
      ok = !value.empty();
    } else if (flag == "--truth") {
      truth_path = value;
      ok = !value.empty();
    } else if (flag == "--min-words") {
      ok = ParseInt(value, &options.min_words);
    } else if (flag == "--max-words") {
      ok = ParseInt(value, &options.max_words);
    } else if (flag == "--sites") {
      ok = ParseInt(value, &options.num_sites);
    } else if (flag == "--topic-rate") {
      ok = ParseDouble(value, &options.topic_rate);
    } else if (flag == "--max-topic-size") {
      ok = ParseInt(value, &options.max_topic_size);
    } else if (flag == "--pool") {
      ok = ParseInt(value, &options.pool_size);
    } else if (flag == "--kind-weights") {
      std::string error;
      if (!ParseKindWeights(value, &options, &error)) return Fail(error);
    } else if (flag == "--profile") {
      // Applied above.
    } else if (flag == "--zh-rate") {
      ok = ParseDouble(value, &options.zh_rate);
    } else if (flag == "--zh-min-chars") {
      ok = ParseInt(value, &options.zh_min_chars);
    } else if (flag == "--zh-max-chars") {
      ok = ParseInt(value, &options.zh_max_chars);
    } else if (flag == "--zh-sites") {
      ok = ParseInt(value, &options.zh_sites);
    } else if (flag == "--aggregators") {
      ok = ParseInt(value, &options.num_aggregators);
    } else if (flag == "--short-min-words") {
      ok = ParseInt(value, &options.short_min_words);
    } else if (flag == "--short-max-words") {
      ok = ParseInt(value, &options.short_max_words);
    } else if (flag == "--hot-interval") {
      ok = ParseInt(value, &options.hot_interval);
    } else if (flag == "--hot-copies") {
      ok = ParseInt(value, &options.hot_copies);
    } else if (flag == "--hot-copy-rate") {
      ok = ParseDouble(value, &options.hot_copy_rate);
    }
    if (!ok) return Fail(bad);
  }
  if (out_path.empty() || truth_path.empty()) {
    return Fail("--out and --truth are required (see --help)");
  }
  if (const std::string error = dedup::bench::ValidateOptions(options); !error.empty()) {
    return Fail(error);
  }

  const auto start = std::chrono::steady_clock::now();
  dedup::bench::CorpusStats stats;
  std::string error;
  if (!dedup::bench::WriteCorpusFiles(options, out_path, truth_path, &stats, &error)) {
    std::fprintf(stderr, "dedup-gen-corpus: %s\n", error.c_str());
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet) {
    const int64_t originals = stats.per_kind[0];
    std::fprintf(stderr,
                 "dedup-gen-corpus: wrote %lld documents (%lld originals, %lld of them joining a "
                 "topic; %lld variants), %.1f MB, to %s and %s in %.2f s\n",
                 static_cast<long long>(stats.docs), static_cast<long long>(originals),
                 static_cast<long long>(stats.joined_topic),
                 static_cast<long long>(stats.docs - originals), stats.bytes / 1e6,
                 out_path.c_str(), truth_path.c_str(), seconds);
    // Per kind, when the hard profile's kinds are in use.
    bool hard = false;
    for (int k = dedup::bench::kNumDefaultKinds; k < dedup::bench::kNumVariantKinds; ++k) {
      hard |= stats.per_kind[k] > 0;
    }
    if (hard) {
      std::string line = "dedup-gen-corpus: per kind:";
      for (int k = 0; k < dedup::bench::kNumVariantKinds; ++k) {
        line +=
            " " +
            std::string(dedup::bench::VariantKindName(static_cast<dedup::bench::VariantKind>(k))) +
            "=" + std::to_string(stats.per_kind[k]);
      }
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }
  return 0;
}
