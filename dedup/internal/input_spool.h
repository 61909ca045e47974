// InputSpool: copies inputs that can be read only once to temporary files, once.
//
// Standard input ("-"), pipes, FIFOs, process substitutions (/dev/fd/N), character
// devices and sockets can be read only once: a second open of a drained FIFO blocks
// forever, a second read of a process substitution finds nothing. A reader that reads
// its inputs twice -- the boilerplate search before the main pass, `eval`'s oracle run,
// `explain --corpus` looking documents up before learning boilerplate -- spools them
// first: every input that is "-" or neither a regular file nor a folder is copied to a
// temporary file, and CorpusOptions::spooled_inputs maps it there. The corpus reader
// then reads the copy; messages and ids keep the input's name as given.
//
// Example:
//   dedup::internal::InputSpool spool;  // Removes its files when destroyed.
//   DEDUP_RETURN_IF_ERROR(spool.Spool(inputs, &options.corpus));
//   ... read `inputs` with options.corpus as often as needed ...
//
// Not thread-safe. The spooled files live in std::filesystem::temp_directory_path()
// ($TMPDIR) and take as much space as the inputs they copy.
#ifndef DEDUP_INTERNAL_INPUT_SPOOL_H_
#define DEDUP_INTERNAL_INPUT_SPOOL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dedup/corpus.h"

namespace dedup::internal {

class InputSpool {
 public:
  InputSpool() = default;
  ~InputSpool();  // Removes the spooled files.
  InputSpool(const InputSpool&) = delete;
  InputSpool& operator=(const InputSpool&) = delete;

  // True for "-" and for an existing path that is neither a regular file nor a folder
  // (symlinks followed). A missing path is left to the corpus reader to report.
  static bool NeedsSpooling(const std::string& input);

  // Copies every input that needs spooling and is not yet in options->spooled_inputs
  // (an input named twice is copied once) and records it there. Blocks until each
  // one's writer closes it. Errors name the input as given.
  absl::Status Spool(const std::vector<std::string>& inputs, CorpusOptions* options);

 private:
  std::vector<std::string> files_;
};

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_INPUT_SPOOL_H_
