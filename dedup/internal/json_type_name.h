// JsonTypeName: how an error message names a JSON value's type ("an array", "a number",
// ...), for the JSONL corpus reader and the service's request parser alike.
#ifndef DEDUP_INTERNAL_JSON_TYPE_NAME_H_
#define DEDUP_INTERNAL_JSON_TYPE_NAME_H_

#include <simdjson.h>

namespace dedup::internal {

inline const char* JsonTypeName(simdjson::dom::element_type t) {
  switch (t) {
    case simdjson::dom::element_type::ARRAY: return "an array";
    case simdjson::dom::element_type::OBJECT: return "an object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: return "a number";
    case simdjson::dom::element_type::STRING: return "a string";
    case simdjson::dom::element_type::BOOL: return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_JSON_TYPE_NAME_H_
