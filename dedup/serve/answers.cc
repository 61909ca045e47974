#include "dedup/serve/answers.h"

#include "absl/strings/str_format.h"
#include "dedup/report.h"

namespace dedup::serve {

std::string JsonNumber(double x) { return absl::StrFormat("%.6g", x); }

std::string CheckResultJson(const CheckResult& r) {
  std::string out = "{\"id\":" + JsonQuote(r.id) + ",\"decision\":\"" + std::string(DecisionName(r.decision)) +
                    "\",\"cluster\":" + std::to_string(r.cluster) + ",\"canonical\":" + JsonQuote(r.canonical) +
                    ",\"similarity\":" + JsonNumber(r.similarity) + ",\"containment\":" + JsonNumber(r.containment);
  if (!r.merged.empty()) {
    out += ",\"merged\":[";
    for (size_t i = 0; i < r.merged.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(r.merged[i]);
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string ErrorJson(std::string_view code, std::string_view message) {
  return "{\"error\":{\"code\":" + JsonQuote(code) + ",\"message\":" + JsonQuote(message) + "}}";
}

}  // namespace dedup::serve
