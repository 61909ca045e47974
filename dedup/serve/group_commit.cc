#include "dedup/serve/group_commit.h"

#include <chrono>
#include <utility>

namespace dedup::serve {

GroupCommitter::GroupCommitter(IngestIndex* index, Options options, Metrics* metrics)
    : index_(index), options_(options), metrics_(metrics), writer_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  if (writer_.joinable()) writer_.join();
}

GroupCommitter::Outcome GroupCommitter::Insert(std::vector<Document> docs) {
  auto unit = std::make_shared<Unit>();
  unit->docs = std::move(docs);
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    Outcome o;
    o.status = absl::UnavailableError("the server is shutting down");
    o.failed = unit->docs.size();
    return o;
  }
  queue_.push_back(unit);
  queued_.notify_one();
  done_.wait(lock, [&] { return unit->done; });
  return std::move(unit->outcome);
}

void GroupCommitter::Run() {
  while (true) {
    std::vector<std::shared_ptr<Unit>> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // Stopping, and every queued unit was answered.
      // Everything that arrived while the previous commit ran, up to the limit.
      size_t documents = 0;
      while (!queue_.empty() &&
             (group.empty() || documents + queue_.front()->docs.size() <= options_.max_batch_documents)) {
        documents += queue_.front()->docs.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(std::move(group));
  }
}

void GroupCommitter::CommitGroup(std::vector<std::shared_ptr<Unit>> group) {
  auto finish = [&](const std::shared_ptr<Unit>& u) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      u->done = true;
    }
    done_.notify_all();
  };
  while (!group.empty()) {
    std::vector<Document> batch;
    std::vector<size_t> start;  // Of each unit in `batch`.
    for (const auto& u : group) {
      start.push_back(batch.size());
      batch.insert(batch.end(), u->docs.begin(), u->docs.end());
    }
    size_t failed = batch.size();
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::vector<CheckResult>> results = index_->CheckAndInsert(batch, &failed);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (results.ok()) {
      if (metrics_ != nullptr) {
        metrics_->ObserveCommit(batch.size(), seconds);
        for (const CheckResult& r : *results) metrics_->CountDecision(r.decision);
      }
      for (size_t u = 0; u < group.size(); ++u) {
        const size_t end = u + 1 < group.size() ? start[u + 1] : batch.size();
        group[u]->outcome.results.assign(std::make_move_iterator(results->begin() + static_cast<ptrdiff_t>(start[u])),
                                         std::make_move_iterator(results->begin() + static_cast<ptrdiff_t>(end)));
        finish(group[u]);
      }
      return;
    }
    // Each caller gets a Status of its own: copies share a reference-counted payload, and
    // callers on other threads should not share state with this one (nor with each other).
    auto own = [](const absl::Status& s) { return absl::Status(s.code(), std::string(s.message())); };
    if (failed >= batch.size()) {  // Nobody to blame: the whole group fails.
      for (const auto& u : group) {
        u->outcome.status = own(results.status());
        u->outcome.failed = u->docs.size();
        finish(u);
      }
      return;
    }
    size_t u = group.size() - 1;
    while (start[u] > failed) --u;
    group[u]->outcome.status = own(results.status());
    group[u]->outcome.failed = failed - start[u];
    finish(group[u]);
    group.erase(group.begin() + static_cast<ptrdiff_t>(u));
  }
}

}  // namespace dedup::serve
