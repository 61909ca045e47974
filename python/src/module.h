// The parts of the extension module dedup._dedup, one registration function per file.
#ifndef DEDUP_PYTHON_MODULE_H_
#define DEDUP_PYTHON_MODULE_H_

#include <pybind11/pybind11.h>

#include "dedup/cluster.h"

namespace dedup::python {

void RegisterSketcher(pybind11::module_& m);  // sketcher.cc: Sketcher, jaccard, compare.
void RegisterCluster(pybind11::module_& m);   // cluster.cc: cluster over inputs, explain.
void RegisterIndex(pybind11::module_& m);     // index.cc: the ingestion index.

// A ClusterResult as the columns of `dedup cluster --format tsv` (a dict of lists: id,
// cluster, representative, similarity, relation, containment) plus "stats" (a dict).
pybind11::dict ResultColumns(const ClusterResult& result);

}  // namespace dedup::python

#endif  // DEDUP_PYTHON_MODULE_H_
