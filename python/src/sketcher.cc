// dedup.Sketcher, dedup.jaccard and dedup.compare: signatures as NumPy arrays.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "absl/strings/str_format.h"
#include "dedup/cli/common.h"
#include "dedup/minhash.h"
#include "dedup/shingle.h"
#include "dedup/sketch.h"
#include "dedup/threads.h"
#include "module.h"
#include "options.h"
#include "status.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace py = pybind11;

namespace dedup::python {
namespace {

// The sketch options `kwargs` give, checked as `dedup cluster` checks --shingle ... --minhash.
SketchOptions SketchOptionsOf(const py::kwargs& kwargs, const std::string& function) {
  cli::SketchFlags flags;
  CLI::App app;
  flags.Register(&app);
  ParseKeywordOptions(&app, kwargs, function);
  absl::StatusOr<SketchOptions> options = flags.ToOptions();
  ThrowIfError(options.status());
  return *options;
}

// The UTF-8 bytes of a str (or the bytes of a bytes object), valid while `obj` lives.
// `what` names the argument in errors.
std::string_view TextOf(py::handle obj, const std::string& what) {
  if (PyUnicode_Check(obj.ptr())) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(obj.ptr(), &size);
    if (data == nullptr) throw py::error_already_set();  // Lone surrogates: UnicodeEncodeError.
    return std::string_view(data, static_cast<size_t>(size));
  }
  if (PyBytes_Check(obj.ptr())) {
    return std::string_view(PyBytes_AS_STRING(obj.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(obj.ptr())));
  }
  throw py::type_error(what + ": expected str or bytes, not " + TypeName(obj));
}

class PySketcher {
 public:
  explicit PySketcher(const SketchOptions& options) : sketcher_(Create(options)) {}

  // One signature, a new array of K uint32 (the one copy: K slots out of the sketch).
  py::array_t<uint32_t> Sign(py::handle text) {
    const std::string_view bytes = TextOf(text, "text");
    SketchScratch scratch;
    SketchedDocument sketch;
    ThrowIfError(sketcher_.Sketch(bytes, /*keep_shingles=*/false, &scratch, &sketch));
    py::array_t<uint32_t> out(static_cast<py::ssize_t>(sketch.signature.size()));
    std::memcpy(out.mutable_data(), sketch.signature.values().data(), sketch.signature.size() * sizeof(uint32_t));
    signed_.fetch_add(1, std::memory_order_relaxed);
    return out;
  }

  // Signatures of `texts` into the rows of one (n, K) array, on `threads` threads (0: all
  // cores) with the GIL released. The texts' UTF-8 buffers are read in place: the list of
  // references taken below keeps every object (immutable) alive until the work is done.
  py::array_t<uint32_t> SignMany(const py::iterable& texts, int threads) {
    ThrowIfError(ValidateThreads(threads));
    std::vector<py::object> keep;
    std::vector<std::string_view> views;
    for (py::handle t : texts) {
      views.push_back(TextOf(t, absl::StrFormat("texts[%d]", views.size())));
      keep.push_back(py::reinterpret_borrow<py::object>(t));
    }
    const size_t n = views.size();
    const size_t k = static_cast<size_t>(sketcher_.options().num_perm);
    py::array_t<uint32_t> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(k)});
    uint32_t* rows = out.mutable_data();
    size_t failed_at = n;
    absl::Status failure;
    {
      py::gil_scoped_release release;
      std::mutex mu;
      struct Local {
        SketchScratch scratch;
        SketchedDocument sketch;
      };
      tbb::enumerable_thread_specific<Local> locals;
      auto body = [&](const tbb::blocked_range<size_t>& range) {
        Local& local = locals.local();
        for (size_t i = range.begin(); i < range.end(); ++i) {
          absl::Status st = sketcher_.Sketch(views[i], false, &local.scratch, &local.sketch);
          if (!st.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            if (i < failed_at) failed_at = i, failure = st;
            continue;
          }
          std::memcpy(rows + i * k, local.sketch.signature.values().data(), k * sizeof(uint32_t));
        }
        signed_.fetch_add(static_cast<int64_t>(range.size()), std::memory_order_relaxed);
      };
      tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
      arena.execute([&] { tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 16), body); });
    }
    if (failed_at < n) {
      throw StatusError(failure.code(), absl::StrFormat("texts[%d]: %s", failed_at, failure.message()));
    }
    return out;
  }

  const Sketcher& sketcher() const { return sketcher_; }
  int64_t signed_count() const { return signed_.load(std::memory_order_relaxed); }

 private:
  static Sketcher Create(const SketchOptions& options) {
    absl::StatusOr<Sketcher> s = Sketcher::Create(options);
    ThrowIfError(s.status());
    return *std::move(s);
  }

  Sketcher sketcher_;
  std::atomic<int64_t> signed_{0};
};

// A 1-D uint32 array (a signature), contiguous; TypeError / InvalidArgument otherwise.
py::array_t<uint32_t, py::array::c_style> SignatureArg(py::handle obj, const char* what) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(std::string(what) + ": expected a numpy uint32 array, not " + TypeName(obj));
  }
  py::array a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().is(py::dtype::of<uint32_t>())) {
    throw py::type_error(std::string(what) + ": expected dtype uint32, not " + std::string(py::str(a.dtype())));
  }
  if (a.ndim() != 1) {
    throw StatusError(absl::StatusCode::kInvalidArgument,
                      absl::StrFormat("%s: expected a 1-D signature, got %d dimensions", what, a.ndim()));
  }
  return py::array_t<uint32_t, py::array::c_style>::ensure(a);  // A copy only if strided.
}

double Jaccard(py::handle a, py::handle b) {
  auto sa = SignatureArg(a, "sig_a");
  auto sb = SignatureArg(b, "sig_b");
  if (sa.size() != sb.size()) {
    throw StatusError(absl::StatusCode::kInvalidArgument,
                      absl::StrFormat("signatures of different lengths: %d and %d slots", sa.size(), sb.size()));
  }
  if (sa.size() == 0) throw StatusError(absl::StatusCode::kInvalidArgument, "empty signatures (0 slots)");
  return SignatureSimilarity(sa.data(), sb.data(), static_cast<int>(sa.size()));
}

// `dedup compare --format json` for two texts: exact (shingle sets) and estimated Jaccard,
// containment both ways, the standard error at the exact value.
py::dict Compare(py::handle text_a, py::handle text_b, const py::kwargs& kwargs) {
  const SketchOptions options = SketchOptionsOf(kwargs, "compare");
  absl::StatusOr<Sketcher> sketcher = Sketcher::Create(options);
  ThrowIfError(sketcher.status());
  SketchScratch scratch;
  SketchedDocument sa, sb;
  for (auto [text, sketch, what] : {std::tuple{text_a, &sa, "text_a"}, std::tuple{text_b, &sb, "text_b"}}) {
    absl::Status st = sketcher->Sketch(TextOf(text, what), /*keep_shingles=*/true, &scratch, sketch);
    if (!st.ok()) throw StatusError(st.code(), std::string(what) + ": " + std::string(st.message()));
  }
  const size_t common = IntersectionSize(sa.shingles, sb.shingles);
  const double exact = ExactJaccard(sa.shingles, sb.shingles);
  absl::StatusOr<double> estimate = EstimateJaccard(sa.signature, sb.signature);
  ThrowIfError(estimate.status());
  auto ratio = [](size_t num, size_t den) { return den ? static_cast<double>(num) / den : 0.0; };
  py::dict d;
  d["a_shingles"] = sa.shingles.size();
  d["b_shingles"] = sb.shingles.size();
  d["common_shingles"] = common;
  d["exact_jaccard"] = exact;
  d["estimated_jaccard"] = *estimate;
  d["standard_error"] = MinHashStandardError(exact, options.num_perm);
  d["containment_a_in_b"] = ratio(common, sa.shingles.size());
  d["containment_b_in_a"] = ratio(common, sb.shingles.size());
  d["sketch"] = DescribeSketchOptions(options);
  return d;
}

py::list SketchOptionTable() {
  cli::SketchFlags flags;
  CLI::App app;
  flags.Register(&app);
  return OptionTable(&app);
}

}  // namespace

void RegisterSketcher(py::module_& m) {
  py::class_<PySketcher>(m, "Sketcher")
      .def(py::init([](const py::kwargs& kwargs) { return new PySketcher(SketchOptionsOf(kwargs, "Sketcher")); }))
      .def("sign", &PySketcher::Sign, py::arg("text"))
      .def("sign_many", &PySketcher::SignMany, py::arg("texts"), py::kw_only(), py::arg("threads") = 0)
      .def_property_readonly("num_perm", [](const PySketcher& s) { return s.sketcher().options().num_perm; })
      .def_property_readonly("seed", [](const PySketcher& s) { return s.sketcher().options().seed; })
      .def_property_readonly("shingle", [](const PySketcher& s) { return ShingleSpec(s.sketcher().options().shingle); })
      .def_property_readonly("minhash",
                             [](const PySketcher& s) { return MinHashEngineFlag(s.sketcher().options().engine); })
      .def_property_readonly("fingerprint", [](const PySketcher& s) { return s.sketcher().fingerprint(); })
      .def_property_readonly("description",
                             [](const PySketcher& s) { return DescribeSketchOptions(s.sketcher().options()); })
      .def_property_readonly("signed", &PySketcher::signed_count)
      .def("__repr__", [](const PySketcher& s) {
        return "dedup.Sketcher(" + DescribeSketchOptions(s.sketcher().options()) + ")";
      });
  m.def("jaccard", &Jaccard, py::arg("sig_a"), py::arg("sig_b"));
  m.def("compare", &Compare, py::arg("text_a"), py::arg("text_b"));
  m.def("_sketch_options", &SketchOptionTable);
}

}  // namespace dedup::python
