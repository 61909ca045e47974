// The install test's consumer (tests/install_test.sh): signs three documents, clusters
// them, and puts them through a durable ingestion index, using only the installed
// headers and library. Two are near copies: one word of 70 changed replaces 3 of their
// ~68 word 3-shingles, Jaccard about 65/71 = 0.92, with MinHash standard error
// sqrt(0.92 * 0.08 / 128) = 0.024 at K = 128, so the checked 0.75 is 7 errors away and
// the 0.5 threshold farther. The third shares no word 3-shingle with them (Jaccard 0). Exits 0 when the copies share a cluster and the third is alone,
// non-zero with a message otherwise.
//
// Usage: consumer <empty scratch directory>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "dedup/cluster.h"
#include "dedup/document.h"
#include "dedup/ingest_index.h"
#include "dedup/sketch.h"
#include "dedup/version.h"

namespace {

int failures = 0;

void Check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAIL: " << what << "\n";
    ++failures;
  }
}

const char kArticle[] =
    "The central bank raised its benchmark interest rate by a quarter of a percentage point "
    "on Wednesday, the fourth increase this year, saying that inflation remained well above "
    "its target and that the labour market was still tight. Officials signalled that further "
    "increases were possible if price growth did not slow in the coming months, while several "
    "economists warned that higher borrowing costs could tip the economy into a recession.";

std::vector<dedup::Document> Documents() {
  std::string copy = kArticle;
  const std::string from = "Wednesday", to = "Thursday";
  copy.replace(copy.find(from), from.size(), to);
  return {
      {.id = "original", .text = kArticle},
      {.id = "copy", .text = copy},
      {.id = "other",
       .text = "Heavy snow closed mountain passes across the Alps overnight, stranding hundreds of "
               "skiers in resort villages and cutting power to thousands of homes; rescue teams "
               "expect the roads to reopen by the weekend once avalanche risk has been assessed."},
  };
}

// Batch: Sketcher + Clusterer, as `dedup cluster` does.
void Batch(const std::vector<dedup::Document>& docs) {
  absl::StatusOr<dedup::Sketcher> sketcher = dedup::Sketcher::Create({});
  if (!sketcher.ok()) {
    Check(false, "Sketcher::Create: " + sketcher.status().ToString());
    return;
  }
  auto clusterer = dedup::Clusterer::Create({}, sketcher->options().num_perm);
  if (!clusterer.ok()) {
    Check(false, "Clusterer::Create: " + clusterer.status().ToString());
    return;
  }
  dedup::SketchScratch scratch;
  for (const dedup::Document& doc : docs) {
    dedup::SketchedDocument sketch;
    absl::Status s = sketcher->Sketch(doc.text, /*keep_shingles=*/false, &scratch, &sketch);
    Check(s.ok(), "Sketch(" + doc.id + "): " + s.ToString());
    (*clusterer)->Add(doc.id, "", std::move(sketch));
  }
  dedup::ClusterResult result = (*clusterer)->Finish();
  Check(result.documents.size() == 3, "3 documents clustered");
  Check(result.clusters.size() == 2, "2 clusters, got " + std::to_string(result.clusters.size()));
  if (result.documents.size() != 3) return;
  const auto& d = result.documents;
  Check(d[0].cluster == d[1].cluster, "the near copies share a cluster");
  Check(d[2].cluster != d[0].cluster, "the unrelated document is alone");
  Check(d[1].relation == dedup::Relation::kSimilar,
        "the copy is similar to the original, got " + std::string(dedup::RelationName(d[1].relation)));
  Check(d[1].similarity > 0.75, "the copy's similarity " + std::to_string(d[1].similarity) + " > 0.75");
}

// Ingestion: the same documents one by one into a new index file, then reopened.
void Ingest(const std::vector<dedup::Document>& docs, const std::string& dir) {
  const std::string path = dir + "/consumer.dedup";
  {
    auto index = dedup::IngestIndex::Create(path, {});
    if (!index.ok()) {
      Check(false, "IngestIndex::Create(" + path + "): " + index.status().ToString());
      return;
    }
    std::vector<dedup::CheckResult> r;
    for (const dedup::Document& doc : docs) {
      absl::StatusOr<dedup::CheckResult> c = (*index)->CheckAndInsert(doc);
      if (!c.ok()) {
        Check(false, "CheckAndInsert(" + doc.id + "): " + c.status().ToString());
        return;
      }
      r.push_back(*c);
    }
    Check(r[0].decision == dedup::Decision::kNew, "index: the original is new");
    Check(r[1].decision == dedup::Decision::kDuplicate && r[1].cluster == r[0].cluster &&
              r[1].canonical == "original",
          "index: the copy is a duplicate of the original");
    Check(r[2].decision == dedup::Decision::kNew && r[2].cluster != r[0].cluster,
          "index: the unrelated document is new");
  }
  auto reopened = dedup::IngestIndex::Open(path, {});
  if (!reopened.ok()) {
    Check(false, "IngestIndex::Open(" + path + "): " + reopened.status().ToString());
    return;
  }
  absl::StatusOr<dedup::CheckResult> q = (*reopened)->Query(docs[1]);
  Check(q.ok() && q->decision == dedup::Decision::kExisting, "reopened index: the copy is stored");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer <empty scratch directory>\n";
    return 2;
  }
  Check(std::strcmp(dedup::kVersion, DEDUP_EXPECTED_VERSION) == 0,
        std::string("dedup/version.h says ") + dedup::kVersion + ", the package " + DEDUP_EXPECTED_VERSION);
  const std::vector<dedup::Document> docs = Documents();
  Batch(docs);
  Ingest(docs, argv[1]);
  if (failures > 0) return 1;
  std::cout << "dedup " << dedup::kVersion << " from an installed package: ok\n";
  return 0;
}
