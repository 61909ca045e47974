// Python documents -> the CLI's JSONL records.
//
// dedup.cluster and dedup.Index take documents as Python objects -- dicts with the JSONL
// fields, or (id, text) pairs -- and hand them to the C++ reader as the JSONL lines the CLI
// reads (corpus.h), so that fields, UTF-8, published times and HTML are read by the same
// code with the same messages. Strings are written with the library's JsonQuote (one pass
// over the UTF-8 the str object already holds); any other value (a number, None, a
// datetime) through `dumps` (json.dumps with the package's default, see
// python/dedup/__init__.py), so the reader reports, say, a numeric id as the CLI does.
//
// Errors: TypeError naming documents[i] (0-based, as Python indexes) for an item that is
// not a dict or a pair, a non-str key, or a value `dumps` refuses; dedup.InvalidArgumentError
// "documents:N: ..." (1-based, as the reader's line numbers) for a str that is not valid
// Unicode (a lone surrogate).
#ifndef DEDUP_PYTHON_DOCUMENTS_H_
#define DEDUP_PYTHON_DOCUMENTS_H_

#include <functional>
#include <string>

#include <pybind11/pybind11.h>

namespace dedup::python {

// Calls emit(line) for each document in order (line without its newline). Needs the GIL.
void ForEachDocumentLine(const pybind11::iterable& documents, const std::string& id_field,
                         const std::string& text_field, const pybind11::object& dumps,
                         const std::function<void(const std::string&)>& emit);

}  // namespace dedup::python

#endif  // DEDUP_PYTHON_DOCUMENTS_H_
