#include "dedup/story_report.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"
#include "dedup/report.h"

namespace dedup {
namespace {

struct Story {
  uint32_t number = 0;
  size_t documents = 0;
  std::vector<uint32_t> clusters;
};

// Stories of two or more clusters, in report order (see story_report.h).
std::vector<Story> ListedStories(const ClusterResult& r, size_t* total) {
  std::vector<Story> stories;
  for (uint32_t c = 0; c < r.stories.size(); ++c) {
    const uint32_t s = r.stories[c];
    if (s >= stories.size()) stories.resize(s + 1);
    stories[s].number = s;
    stories[s].documents += r.clusters[c].size();
    stories[s].clusters.push_back(c);
  }
  *total = stories.size();
  std::erase_if(stories, [](const Story& s) { return s.clusters.size() < 2; });
  for (Story& s : stories) {
    std::sort(s.clusters.begin(), s.clusters.end(), [&](uint32_t a, uint32_t b) {
      if (r.clusters[a].size() != r.clusters[b].size()) return r.clusters[a].size() > r.clusters[b].size();
      return ClusterLabel(r, a) < ClusterLabel(r, b);
    });
  }
  std::sort(stories.begin(), stories.end(), [](const Story& a, const Story& b) {
    if (a.documents != b.documents) return a.documents > b.documents;
    if (a.clusters.size() != b.clusters.size()) return a.clusters.size() > b.clusters.size();
    return a.number < b.number;
  });
  return stories;
}

// Cluster c's members, its representative first, then the others in input order.
std::vector<DocIndex> RepresentativeFirst(const ClusterResult& r, uint32_t c) {
  const std::vector<DocIndex>& members = r.clusters[c];
  const DocIndex rep = r.documents[members.front()].representative;
  std::vector<DocIndex> out{rep};
  for (DocIndex m : members) {
    if (m != rep) out.push_back(m);
  }
  return out;
}

}  // namespace

void WriteStoriesText(const ClusterResult& r, std::ostream& out) {
  size_t total = 0;
  const std::vector<Story> stories = ListedStories(r, &total);
  out << absl::StrFormat("\nstories: %d with two or more clusters (of %d)\n", stories.size(), total);
  for (const Story& s : stories) {
    out << absl::StrFormat("\nstory %d: %d clusters, %d documents\n", s.number, s.clusters.size(), s.documents);
    for (uint32_t c : s.clusters) {
      const std::vector<DocIndex> members = RepresentativeFirst(r, c);
      out << absl::StrFormat("  cluster %d: %d document%s\n", ClusterLabel(r, c), members.size(),
                             members.size() == 1 ? "" : "s");
      for (size_t i = 0; i < members.size(); ++i) {
        const DocumentResult& d = r.documents[members[i]];
        if (i == 0) {
          out << "    * " << d.id << (d.snippet.empty() ? "" : "  ") << d.snippet << '\n';
        } else {
          out << "      " << d.id << '\n';
        }
      }
    }
  }
}

void WriteStoriesJson(const ClusterResult& r, std::ostream& out) {
  size_t total = 0;
  const std::vector<Story> stories = ListedStories(r, &total);
  out << ",\n  \"stories\": [";
  bool first_story = true;
  for (const Story& s : stories) {
    out << (first_story ? "\n" : ",\n") << "    {\"story\": " << s.number << ", \"clusters\": " << s.clusters.size()
        << ", \"documents\": " << s.documents << ", \"members\": [";
    first_story = false;
    for (size_t k = 0; k < s.clusters.size(); ++k) {
      const std::vector<DocIndex> members = RepresentativeFirst(r, s.clusters[k]);
      out << (k ? ", " : "") << "{\"cluster\": " << ClusterLabel(r, s.clusters[k])
          << ", \"representative\": " << JsonQuote(r.documents[members.front()].id) << ", \"documents\": [";
      for (size_t i = 0; i < members.size(); ++i) out << (i ? ", " : "") << JsonQuote(r.documents[members[i]].id);
      out << "]}";
    }
    out << "]}";
  }
  out << (first_story ? "]" : "\n  ]");
}

}  // namespace dedup
