// The story sections of the text and JSON cluster reports (report.h): stories of two or
// more clusters, nested stories -> clusters -> documents.
//
// Stories are listed by number of documents (most first), then clusters, then story
// number; a story's clusters by size (largest first), then cluster label; a cluster's
// documents in input order, its representative first.
//   text: "stories: S with two or more clusters (of T)" then, per story,
//         "story N: C clusters, D documents", per cluster "  cluster L: K documents"
//         with "    * rep-id  snippet" and "      member-id" lines.
//   JSON: `,\n  "stories": [...]`, appended to the top-level object after "clusters":
//         {"story": N, "clusters": C, "documents": D, "members": [{"cluster": L,
//          "representative": id, "documents": [id, ...]}, ...]}.
// Output is byte-identical for identical results.
#ifndef DEDUP_STORY_REPORT_H_
#define DEDUP_STORY_REPORT_H_

#include <ostream>

#include "dedup/cluster.h"

namespace dedup {

// r.stories may be empty (an empty input): then no story is listed.
void WriteStoriesText(const ClusterResult& r, std::ostream& out);
void WriteStoriesJson(const ClusterResult& r, std::ostream& out);

}  // namespace dedup

#endif  // DEDUP_STORY_REPORT_H_
