// The JSON bodies `dedup serve` and `dedup index add --format jsonl` answer with: one
// definition of each, so that the service and the CLI print the same bytes for the
// same decision. Strings are quoted by report.h's JsonQuote (the project's one JSON
// string writer); numbers as the CLI writes them ("%.6g" for similarities).
//
//   CheckResultJson: {"id":…,"decision":"new|duplicate|existing","cluster":N,
//                     "canonical":…,"similarity":x,"containment":x[,"merged":[N,…]]}
//                    ("merged" only when this document merged clusters).
//   ErrorJson:       {"error":{"code":"invalid_argument","message":…}}
//
// Example:
//   std::cout << dedup::serve::CheckResultJson(result) << "\n";
#ifndef DEDUP_SERVE_ANSWERS_H_
#define DEDUP_SERVE_ANSWERS_H_

#include <string>
#include <string_view>

#include "dedup/ingest_index.h"

namespace dedup::serve {

std::string CheckResultJson(const CheckResult& r);

// `code` is a short snake_case word (e.g. "invalid_argument", "conflict"); `message` must
// be valid UTF-8 (it is quoted as is).
std::string ErrorJson(std::string_view code, std::string_view message);

// "%.6g", as every dedup report writes similarities.
std::string JsonNumber(double x);

}  // namespace dedup::serve

#endif  // DEDUP_SERVE_ANSWERS_H_
