// Progress of a long batch run, for people watching a terminal or reading a log.
//
// The pipeline (pipeline.h) tells a ProgressObserver which phase it is in -- "reading
// and chrome pass" (boilerplate.h's first pass), "signing" (the second pass: parse,
// sketch, index), "candidate join and verification" (LSH band join; each candidate pair
// is verified as it is found), "clustering" (representatives and records) -- and, in the
// reading phases, how many documents and input bytes it has consumed (in input order,
// from one thread at a time). Progress is a side channel: it never changes a result.
//
// ProgressPrinter writes it to a stream (stderr):
//   - interactive (a terminal): one line redrawn in place ("\r") at most 4 times a
//     second, and only once the run has taken more than `delay` (1 s): short runs print
//     nothing; the line is cleared when the run ends;
//   - log mode (--progress without a terminal): a line when a phase starts, one every
//     `interval` (5 s) while it runs, and a reading phase's totals when it ends.
// A line: phase, documents, MB read, throughput (MB/s over the phase), and, when the
// phase's input size is known, the share done and an ETA (remaining bytes at the
// phase's mean rate).
//
// Example:
//   dedup::ProgressPrinter printer(std::cerr, dedup::ProgressPrinter::Mode::kInteractive);
//   options.progress = &printer;
//   dedup::RunClusterPipeline(inputs, options);
//   printer.Finish();
#ifndef DEDUP_PROGRESS_H_
#define DEDUP_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dedup/corpus.h"

namespace dedup {

class ProgressObserver {
 public:
  virtual ~ProgressObserver() = default;
  // A phase starts. total_bytes: input bytes it will read; -1 if unknown or not a reading phase.
  virtual void StartPhase(std::string_view name, int64_t total_bytes) = 0;
  // Documents and input bytes consumed so far in the current phase.
  virtual void Advance(int64_t documents, int64_t bytes) = 0;
};

class ProgressPrinter : public ProgressObserver {
 public:
  enum class Mode { kInteractive, kLog };
  using Clock = std::chrono::steady_clock;

  ProgressPrinter(std::ostream& out, Mode mode, std::chrono::milliseconds delay = std::chrono::milliseconds(1000),
                  std::chrono::milliseconds interval = std::chrono::milliseconds(5000));

  void StartPhase(std::string_view name, int64_t total_bytes) override;
  void Advance(int64_t documents, int64_t bytes) override;
  // Clears the interactive line (if one was drawn). Call when the run ends.
  void Finish();

  // The text of a progress line (no "\r" or newline), for tests: e.g.
  // "signing: 45,000 documents, 180.2 MB, 61.3 MB/s, 75%, ETA 0:03".
  static std::string Line(std::string_view phase, int64_t documents, int64_t bytes, int64_t total_bytes,
                          double seconds);

 private:
  void Print(Clock::time_point now, bool force);
  void EndPhaseLine();

  std::ostream& out_;
  Mode mode_;
  std::chrono::milliseconds delay_, interval_;
  Clock::time_point start_, phase_start_, last_print_;
  std::string phase_;
  int64_t total_bytes_ = -1, documents_ = 0, bytes_ = 0;
  bool drawn_ = false;
  size_t last_width_ = 0;
};

// Bytes the inputs hold (regular files, folders' files, spooled stdin and FIFOs); -1
// when unknown (standard input or a pipe not spooled).
int64_t InputBytes(const std::vector<std::string>& inputs, const CorpusOptions& options);

// Peak resident memory of this process, in bytes (getrusage).
int64_t PeakMemoryBytes();

}  // namespace dedup

#endif  // DEDUP_PROGRESS_H_
