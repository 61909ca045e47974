// GroupCommitter: gathers concurrent insert requests into one IngestIndex::CheckAndInsert
// batch (one transaction, one fsync), so that many small clients do not each pay a
// commit.
//
// Each Insert() call is a unit: all of its documents are stored or none (a batch request
// stays all-or-nothing). One writer thread takes every unit queued while the previous
// commit ran (up to `max_batch_documents` documents, at least one unit) and inserts them
// in arrival order, as one batch. When the batch fails at a document (IngestIndex names
// it: a 409 replay with another text, an empty text's id, ...), only the unit holding that
// document fails with that error; the batch is retried without it, so the other units
// still commit. An error no document is to blame for (I/O, disk full) fails every unit of
// that batch. Insert() returns only after its unit's batch committed (or failed): an
// acknowledged answer is durable as the index's Durability promises.
//
// Answers are those of inserting the units one after another: a document is compared with
// the stored documents and with the documents of the units before it in the same batch,
// exactly as if those had been committed first.
//
// Thread-safe. Stop() (and the destructor) finish the queued units and join the writer.
//
// Example:
//   dedup::serve::GroupCommitter writer(index.get(), {}, &metrics);
//   GroupCommitter::Outcome o = writer.Insert({doc});   // blocks until committed
#ifndef DEDUP_SERVE_GROUP_COMMIT_H_
#define DEDUP_SERVE_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "dedup/document.h"
#include "dedup/ingest_index.h"
#include "dedup/serve/metrics.h"

namespace dedup::serve {

class GroupCommitter {
 public:
  struct Options {
    // The most documents gathered into one transaction (a larger unit still goes alone).
    size_t max_batch_documents = 1024;
  };
  struct Outcome {
    absl::Status status;
    size_t failed = 0;                 // On error: the offending document of the unit
                                       // (its size when none is to blame).
    std::vector<CheckResult> results;  // On success: one per document.
  };

  // `index` and `metrics` (may be null) must outlive the committer.
  GroupCommitter(IngestIndex* index, Options options, Metrics* metrics);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Blocks until the unit committed or failed. After Stop(): Unavailable.
  Outcome Insert(std::vector<Document> docs);

  void Stop();

 private:
  struct Unit {
    std::vector<Document> docs;
    Outcome outcome;
    bool done = false;
  };
  void Run();
  void CommitGroup(std::vector<std::shared_ptr<Unit>> group);

  IngestIndex* const index_;
  const Options options_;
  Metrics* const metrics_;
  std::mutex mu_;
  std::condition_variable queued_;  // Writer: a unit was queued, or stopping.
  std::condition_variable done_;    // Callers: a unit finished.
  std::deque<std::shared_ptr<Unit>> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace dedup::serve

#endif  // DEDUP_SERVE_GROUP_COMMIT_H_
