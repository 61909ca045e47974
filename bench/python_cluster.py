#!/usr/bin/env python3
"""Python `dedup.cluster` against datasketch (MinHash + MinHashLSH) on one corpus, in one run.

    PYTHONPATH=<dedup package> /usr/bin/python3 bench/python_cluster.py CORPUS.jsonl \
        --cli build/wheel/bin/dedup [--datasketch /work/ext/datasketch] [--threshold 0.7] [--repeat 3]

Times, each the median of --repeat runs, interleaved (same machine state for all):
  py_docs      dedup.cluster(list of dicts)  -- what a Python caller runs: the documents are
               serialized to a temporary JSONL file, clustered by the C++ pipeline, and the
               rows come back as Python lists;
  py_path      dedup.cluster(CORPUS path)    -- the same pipeline on the file itself, in-process;
  cli          `dedup cluster CORPUS --format tsv -o /dev/null` as a subprocess (wall clock);
  datasketch   bench/reference/datasketch_cluster.py on the same corpus, same K, threshold and
               shingle size (its own timing JSON: sign + LSH + cluster, reading excluded; one core).
dedup runs with --threads 1 (the datasketch harness is single-threaded) and with all cores.
Reported: the ratios datasketch / dedup, and the Python call overhead per document,
(py_docs - py_path) / docs: serialization, the temporary file, the result lists.
Prints a Markdown table; --json FILE writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


# Debian 12's python3-scipy cannot be installed next to libboost1.81-dev (its python3-pythran
# pulls libboost1.74-dev, which conflicts). datasketch needs scipy only for
# scipy.integrate.quad in MinHashLSH's (b, r) optimiser (and imports it at module level). Without
# scipy, the harness runs against this shim: quad by Gauss-Legendre with 100 nodes, exact up to
# rounding for the optimiser's integrands (polynomials of degree <= b*r <= K = 128 < 200;
# bench/reference/README.md: scipy's choices equal the exact ones for every T at K = 128).
SCIPY_SHIM = {
    "scipy/__init__.py": '__version__ = "shim: Gauss-Legendre quad (bench/python_cluster.py)"\n',
    "scipy/integrate.py": (
        "import numpy as _np\n"
        "_x, _w = _np.polynomial.legendre.leggauss(100)\n"
        "def quad(f, a, b):\n"
        "    xs = (b - a) / 2 * _x + (a + b) / 2\n"
        "    return float((b - a) / 2 * sum(w * f(float(x)) for x, w in zip(xs, _w))), 0.0\n"),
}


def scipy_shim(tmp: str) -> str | None:
    """A folder to put on PYTHONPATH if scipy is missing (else None)."""
    try:
        import scipy  # noqa: F401
        return None
    except ImportError:
        pass
    root = os.path.join(tmp, "scipy-shim")
    for rel, text in SCIPY_SHIM.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
            f.write(text)
    print("scipy not installed: datasketch runs with a Gauss-Legendre quad shim (see SCIPY_SHIM)", file=sys.stderr)
    return root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--cli", required=True, help="the dedup binary of the same build as the package")
    ap.add_argument("--datasketch", default="/work/ext/datasketch",
                    help="datasketch source tree (bench/reference/README.md); missing: that half is skipped")
    ap.add_argument("--threshold", type=float, default=0.7)
    ap.add_argument("--shingle", type=int, default=5, help="words per shingle, both sides")
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()

    import dedup

    with open(args.corpus, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    n = len(docs)
    text_bytes = sum(len(d["text"].encode("utf-8")) for d in docs)
    options = {"threshold": args.threshold, "shingle": "word:%d" % args.shingle, "num_perm": args.num_perm}
    flags = ["--threshold", repr(args.threshold), "--shingle", "word:%d" % args.shingle,
             "--num-perm", str(args.num_perm)]
    have_ds = os.path.isdir(os.path.join(args.datasketch, "datasketch"))
    if not have_ds:
        print("datasketch not found at %s: its half is skipped (bench/reference/README.md)" % args.datasketch,
              file=sys.stderr)

    samples: dict[str, list[float]] = {}

    def add(name, seconds):
        samples.setdefault(name, []).append(seconds)

    ds_info = None
    with tempfile.TemporaryDirectory(prefix="dedup-pybench-") as tmp:
        for rep in range(args.repeat):
            for threads in (1, 0):
                t = time.perf_counter()
                r_docs = dedup.cluster(docs, threads=threads, **options)
                add("py_docs_t%d" % threads, time.perf_counter() - t)
                t = time.perf_counter()
                r_path = dedup.cluster(args.corpus, threads=threads, **options)
                add("py_path_t%d" % threads, time.perf_counter() - t)
                assert r_docs.to_tsv() == r_path.to_tsv()
                t = time.perf_counter()
                subprocess.run([args.cli, "cluster", args.corpus, "--format", "tsv", "-o", "/dev/null",
                                "--threads", str(threads), *flags], check=True)
                add("cli_t%d" % threads, time.perf_counter() - t)
            if have_ds:
                timing = os.path.join(tmp, "ds.json")
                shim = scipy_shim(tmp)
                env = dict(os.environ, PYTHONPATH=args.datasketch + (os.pathsep + shim if shim else ""))
                subprocess.run([sys.executable, os.path.join(HERE, "reference", "datasketch_cluster.py"), args.corpus,
                                "-t", repr(args.threshold), "-k", str(args.shingle), "-K", str(args.num_perm),
                                "-o", os.path.join(tmp, "ds.tsv"), "--timing", timing],
                               check=True, env=env, stderr=subprocess.DEVNULL)
                with open(timing, encoding="utf-8") as f:
                    ds_info = json.load(f)
                s = ds_info["seconds"]
                add("datasketch", s["pipeline"] - s["read"])
                add("datasketch_total", s["total"])

    med = {k: statistics.median(v) for k, v in samples.items()}
    rows = [
        ("dedup.cluster(list of dicts), 1 thread", med["py_docs_t1"]),
        ("dedup.cluster(path), 1 thread", med["py_path_t1"]),
        ("`dedup cluster` CLI, 1 thread", med["cli_t1"]),
        ("dedup.cluster(list of dicts), all cores", med["py_docs_t0"]),
        ("dedup.cluster(path), all cores", med["py_path_t0"]),
        ("`dedup cluster` CLI, all cores", med["cli_t0"]),
    ]
    if have_ds:
        rows.append(("datasketch MinHash + MinHashLSH (sign + LSH + cluster), 1 core", med["datasketch"]))
    print("%d documents, %.1f MB of text; K=%d, word:%d, threshold %g; median of %d" %
          (n, text_bytes / 1e6, args.num_perm, args.shingle, args.threshold, args.repeat))
    print()
    print("| run | seconds | docs/s |")
    print("|---|---|---|")
    for name, sec in rows:
        print("| %s | %.3f | %.0f |" % (name, sec, n / sec))
    overhead_1 = (med["py_docs_t1"] - med["py_path_t1"]) / n
    overhead_0 = (med["py_docs_t0"] - med["py_path_t0"]) / n
    print()
    print("Python call overhead per document (dicts vs path): %.1f us (1 thread), %.1f us (all cores)"
          % (overhead_1 * 1e6, overhead_0 * 1e6))
    result = {"docs": n, "text_bytes": text_bytes, "options": options, "repeat": args.repeat,
              "seconds_median": med, "samples": samples,
              "python_overhead_us_per_doc": {"threads_1": overhead_1 * 1e6, "all_cores": overhead_0 * 1e6},
              "dedup_version": dedup.__version__, "cores": os.cpu_count()}
    if have_ds:
        ratio_1 = med["datasketch"] / med["py_docs_t1"]
        ratio_0 = med["datasketch"] / med["py_docs_t0"]
        print("dedup.cluster / datasketch speed: %.1fx (1 thread), %.1fx (all cores)" % (ratio_1, ratio_0))
        result.update(ratio_datasketch_over_dedup={"threads_1": ratio_1, "all_cores": ratio_0},
                      datasketch=ds_info.get("datasketch"), datasketch_params=ds_info.get("params"))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
