// dedup compare: exact and estimated similarity of two documents.
#include <iostream>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "dedup/cli/commands.h"
#include "dedup/report.h"
#include "dedup/shingle.h"

namespace dedup::cli {
namespace {

struct CompareFlags {
  std::string a, b;
  std::vector<std::string> corpus;
  SketchFlags sketch;
  InputFlags input;
  std::string format = "text";
};

int RunCompare(const CompareFlags& f) {
  absl::StatusOr<SketchOptions> options = f.sketch.ToOptions();
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  if (f.format != "text" && f.format != "json") {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("unknown format \"%s\" (expected text or json)", f.format)),
                kExitUsage);
  }
  absl::StatusOr<Sketcher> sketcher = Sketcher::Create(*options);
  if (!sketcher.ok()) return Fail(sketcher.status(), kExitUsage);
  Document a, b;
  absl::Status st = LoadPair(f.a, f.b, f.corpus, f.input.ToOptions(), &a, &b);
  if (!st.ok()) return Fail(st);

  SketchScratch scratch;
  SketchedDocument sa, sb;
  for (auto [doc, sketch] : {std::pair{&a, &sa}, std::pair{&b, &sb}}) {
    st = sketcher->Sketch(doc->text, /*keep_shingles=*/true, &scratch, sketch);
    if (!st.ok()) return Fail(absl::InvalidArgumentError(doc->id + ": " + std::string(st.message())));
  }
  const size_t common = IntersectionSize(sa.shingles, sb.shingles);
  const size_t uni = sa.shingles.size() + sb.shingles.size() - common;
  const double exact = ExactJaccard(sa.shingles, sb.shingles);
  const double estimate = *EstimateJaccard(sa.signature, sb.signature);
  auto ratio = [](size_t num, size_t den) { return den ? static_cast<double>(num) / den : 0.0; };
  const double a_in_b = ratio(common, sa.shingles.size());
  const double b_in_a = ratio(common, sb.shingles.size());
  const int k = options->num_perm;

  if (f.format == "json") {
    std::cout << absl::StrFormat(
        "{\"a\": %s, \"b\": %s, \"a_shingles\": %d, \"b_shingles\": %d, \"common_shingles\": %d, "
        "\"exact_jaccard\": %.6g, \"estimated_jaccard\": %.6g, \"standard_error\": %.6g, "
        "\"containment_a_in_b\": %.6g, \"containment_b_in_a\": %.6g, \"sketch\": %s}\n",
        JsonQuote(a.id), JsonQuote(b.id), sa.shingles.size(), sb.shingles.size(), common, exact, estimate,
        MinHashStandardError(exact, k), a_in_b, b_in_a, JsonQuote(DescribeSketchOptions(*options)));
    return kExitOk;
  }
  std::cout << absl::StrFormat("A: %s (%d tokens, %d distinct %s shingles)\n", a.id, sa.num_tokens,
                               sa.shingles.size(), ShingleSpec(options->shingle));
  std::cout << absl::StrFormat("B: %s (%d tokens, %d distinct %s shingles)\n", b.id, sb.num_tokens,
                               sb.shingles.size(), ShingleSpec(options->shingle));
  std::cout << absl::StrFormat("exact Jaccard       %.4f  (%d shared of %d distinct shingles)\n", exact,
                               common, uni);
  std::cout << absl::StrFormat("estimated Jaccard   %.4f  (MinHash K=%d; standard error at the exact value %.4f)\n",
                               estimate, k, MinHashStandardError(exact, k));
  std::cout << absl::StrFormat("A contained in B    %.4f  (shared / A's shingles)\n", a_in_b);
  std::cout << absl::StrFormat("B contained in A    %.4f  (shared / B's shingles)\n", b_in_a);
  return kExitOk;
}

}  // namespace

Command RegisterCompareCommand(CLI::App& app) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Exact and estimated Jaccard similarity (and containment) of two documents.\n"
      "A and B are files holding one document each, or ids of documents in the --corpus inputs.");
  cmd->add_option("A", flags->a, "First document (file, or id with --corpus)")->required();
  cmd->add_option("B", flags->b, "Second document (file, or id with --corpus)")->required();
  // One input per --corpus (repeatable): a greedy list would also swallow A and B
  // whenever an option follows them.
  cmd->add_option("--corpus", flags->corpus,
                  "Input to look the ids A and B up in (as for cluster); repeat for several")
      ->allow_extra_args(false);
  flags->sketch.Register(cmd);
  flags->input.Register(cmd, /*with_skip=*/false);
  cmd->add_option("--format", flags->format, "text or json")->capture_default_str();
  return Command{cmd, [flags] { return RunCompare(*flags); }};
}

}  // namespace dedup::cli
