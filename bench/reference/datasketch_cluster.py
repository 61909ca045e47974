#!/usr/bin/env python3
"""Reference near-duplicate clustering with datasketch (the peer dedup is compared with).

Pipeline (mirrors dedup's spine):
  text -> str.casefold() -> tokens = maximal runs of [^\\W_] (Unicode letters/digits)
       -> word k-shingles joined by single spaces
       -> datasketch MinHash(num_perm=K, seed=S)
       -> datasketch MinHashLSH(threshold=T, num_perm=K)   (query, then insert, in input order)
       -> union-find over candidate pairs with MinHash.jaccard() >= T
  or, with --exact, brute-force exact Jaccard over the shingle sets (oracle for small corpora).

datasketch is NOT vendored: it is imported from PYTHONPATH (see bench/reference/README.md).
Run with Debian's interpreter (numpy/scipy):  PYTHONPATH=/work/ext/datasketch /usr/bin/python3 ...

Output TSV (one line per input document, input order):
  id <TAB> cluster <TAB> representative <TAB> similarity
cluster ids are 0,1,2,... numbered by the representative's input position (singletons included);
representative = id of the first document (input order) of the cluster;
similarity = estimated (or, with --exact, exact) Jaccard with the representative, 1 for it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import sys
import time
import unicodedata

TOKEN_RE = re.compile(r"[^\W_]+")


# --------------------------------------------------------------------------- text -> shingles
def make_tokenizer(case: str, unorm: str):
    """--tokenizer basic: [unicode-normalize] -> casefold/lower -> maximal runs of [^\\W_]."""
    fold = str.casefold if case == "casefold" else str.lower
    findall = TOKEN_RE.findall
    if unorm == "none":
        return lambda text: findall(fold(text))
    return lambda text: findall(fold(unicodedata.normalize(unorm, text)))


# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties), removed before tokenizing in
# --tokenizer dedup (utf8proc's UTF8PROC_IGNORE).
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_IGNORABLE_TABLE = {cp: None for lo, hi in _IGNORABLE_RANGES for cp in range(lo, hi + 1)}

# Scripts written without spaces: one token per character (dedup/normalize.cc IsUnspacedScript).
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x31F0, 0x31FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF),
)
_ASCII_TOKEN_RE = re.compile(r"[a-z0-9]+")


def _is_unspaced(cp: int) -> bool:
    for lo, hi in _UNSPACED_RANGES:
        if lo <= cp <= hi:
            return True
    return False


def tokenize_dedup(text: str) -> list[str]:
    """Python re-statement of dedup's Tokenize() (normalize.h, kNormalizationVersion 1):
    NFKC + case folding with default-ignorable code points removed; tokens are maximal runs
    of L*/N* characters with any following M* marks (a mark with no base is dropped);
    Han/Kana/Thai/Lao/Khmer/Myanmar letters are one token each (plus following marks).
    NFKC_Casefold is approximated as NFKC(casefold(NFKC(x))), which can differ from utf8proc
    on rare code points, as can the Unicode version of Python's unicodedata."""
    if text.isascii():
        return _ASCII_TOKEN_RE.findall(text.lower())
    norm = unicodedata.normalize
    t = norm("NFKC", norm("NFKC", text).casefold()).translate(_IGNORABLE_TABLE)
    out: list[str] = []
    cur: list[str] = []
    open_kind = 0  # 0 = separator, 1 = word, 2 = unspaced
    category = unicodedata.category
    for ch in t:
        c0 = category(ch)[0]
        if c0 == "L" or c0 == "N":
            kind = 2 if _is_unspaced(ord(ch)) else 1
            if kind == 2 or open_kind != 1:
                if cur:
                    out.append("".join(cur))
                cur = [ch]
            else:
                cur.append(ch)
            open_kind = kind
        elif c0 == "M":
            if open_kind:
                cur.append(ch)
        else:
            open_kind = 0
    if cur:
        out.append("".join(cur))
    return out


def shingles_of(tokens: list[str], k: int) -> list[str]:
    """Word k-shingles joined by single spaces.
    Fewer than k (but >= 1) tokens -> the whole token sequence is the one shingle; 0 tokens -> []."""
    n = len(tokens)
    if n == 0:
        return []
    if n < k:
        return [" ".join(tokens)]
    return [" ".join(tokens[i : i + k]) for i in range(n - k + 1)]


# --------------------------------------------------------------------------- union-find
class UnionFind:
    """Union-find whose root is always the smallest index (= first document in input order)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if ra < rb:
            self.parent[rb] = ra
        else:
            self.parent[ra] = rb


# --------------------------------------------------------------------------- helpers
def tsv_field(value) -> str:
    s = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def datasketch_version_info() -> dict:
    try:
        import datasketch
    except ImportError:
        return {"available": False}

    info = {"module_version": getattr(datasketch, "__version__", None), "path": os.path.dirname(datasketch.__file__)}
    root = os.path.dirname(info["path"])
    # Source tree (not pip-installed): importlib.metadata gives "0.0.0"; read pyproject + COMMIT stamp.
    try:
        with open(os.path.join(root, "pyproject.toml"), encoding="utf-8") as f:
            m = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.M)
            if m:
                info["pyproject_version"] = m.group(1)
    except OSError:
        pass
    for name in ("COMMIT", "DESCRIBE"):
        try:
            with open(os.path.join(root, name), encoding="utf-8") as f:
                info[name.lower()] = f.read().strip()
        except OSError:
            pass
    return info


def peak_rss_bytes() -> int:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024  # Linux reports KiB


def read_corpus(path: str, id_field: str, text_field: str):
    """Strict JSONL reader (same rejections as dedup): invalid UTF-8 or JSON, a missing or
    non-string id/text field, or a repeated id -> exit 2 with file:line. Blank lines are skipped."""
    ids, texts = [], []
    seen: dict[str, int] = {}
    nbytes = 0
    opener = sys.stdin.buffer if path == "-" else open(path, "rb")

    def fail(lineno: int, msg: str):
        sys.stderr.write(f"{path}:{lineno}: {msg}\n")
        sys.exit(2)

    with opener as f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                fail(lineno, f"invalid UTF-8 at byte {e.start}")
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                fail(lineno, f"invalid JSON: {e}")
            if not isinstance(obj, dict):
                fail(lineno, "not a JSON object")
            for field in (id_field, text_field):
                if field not in obj:
                    fail(lineno, f"missing field '{field}'")
                if not isinstance(obj[field], str):
                    fail(lineno, f"field '{field}' is not a string")
            doc_id, text = obj[id_field], obj[text_field]
            if doc_id in seen:
                fail(lineno, f"duplicate id '{doc_id}' (first on line {seen[doc_id]})")
            seen[doc_id] = lineno
            try:
                nbytes += len(text.encode("utf-8"))
            except UnicodeEncodeError:  # lone surrogate escapes such as "\ud800"
                fail(lineno, f"field '{text_field}' is not valid Unicode (lone surrogate)")
            ids.append(doc_id)
            texts.append(text)
    return ids, texts, nbytes


def make_hashfunc(name: str, seed: int = 0):
    """Return (hashfunc, description). sha1 = datasketch's default (sha1_hash32)."""
    if name == "sha1":
        from datasketch.hashfunc import sha1_hash32

        return sha1_hash32, "datasketch.hashfunc.sha1_hash32 (default)"
    try:
        import xxhash
    except ImportError:
        sys.exit("--hash %s needs the xxhash module (Debian: apt-get install python3-xxhash)" % name)
    fn = {"xxh32": xxhash.xxh32_intdigest, "xxh64": xxhash.xxh64_intdigest, "xxh3_64": xxhash.xxh3_64_intdigest}[name]
    if seed:
        base = fn
        fn = lambda b: base(b, seed)  # noqa: E731
    return fn, "xxhash.%s_intdigest seed=%d (xxhash %s)" % (name, seed, xxhash.VERSION)


# --------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="JSONL corpus ('-' = stdin)")
    ap.add_argument("-o", "--output", default="-", help="per-document TSV ('-' = stdout, default)")
    ap.add_argument("--timing", metavar="FILE", help="write timing/metadata JSON here")
    ap.add_argument("--id-field", default="id")
    ap.add_argument("--text-field", default="text")
    ap.add_argument("-k", "--shingle", type=int, default=5, help="words per shingle (default 5)")
    ap.add_argument("-K", "--num-perm", type=int, default=128, help="MinHash permutations (default 128)")
    ap.add_argument("-s", "--seed", type=int, default=1, help="MinHash seed (datasketch default 1)")
    ap.add_argument("-t", "--threshold", type=float, default=0.7,
                    help="Jaccard threshold for LSH tuning and for the candidate check (default 0.7 = dedup's "
                         "kDefaultThreshold; datasketch's own MinHashLSH default is 0.9)")
    ap.add_argument("--bands", type=int, help="explicit LSH bands b (with --rows: params=(b,r), skips the optimiser)")
    ap.add_argument("--rows", type=int, help="explicit LSH rows per band r")
    ap.add_argument("--weights", type=float, nargs=2, default=(0.5, 0.5), metavar=("FP", "FN"),
                    help="datasketch false-positive/false-negative weights for the b,r optimiser (must sum to 1)")
    ap.add_argument("--hash", choices=("sha1", "xxh32", "xxh64", "xxh3_64"), default="sha1",
                    help="hashfunc given to MinHash: sha1 = datasketch default sha1_hash32; xxh* need python3-xxhash")
    ap.add_argument("--hash-seed", type=int, default=0, help="seed for the xxh* hash functions (default 0)")
    ap.add_argument("--construct", choices=("bulk", "per-doc"), default="bulk",
                    help="bulk: MinHash.generator (one template, copied; identical values, faster); "
                         "per-doc: MinHash(num_perm, seed) constructed for every document")
    ap.add_argument("--tokenizer", choices=("basic", "dedup"), default="basic",
                    help="basic: [--unicode-normalize] + --case + runs of [^\\W_] (default); dedup: Python "
                         "re-statement of dedup's Tokenize() (NFKC_Casefold, ignorables removed, marks kept, "
                         "Han/Kana/Thai/... one token per character); --case/--unicode-normalize then ignored")
    ap.add_argument("--case", choices=("casefold", "lower"), default="casefold", help="basic tokenizer only")
    ap.add_argument("--unicode-normalize", choices=("none", "NFC", "NFKC"), default="none",
                    help="Unicode normalisation before case folding (default none)")
    ap.add_argument("--exact", action="store_true",
                    help="oracle: exact Jaccard over shingle sets (all pairs sharing a shingle; O(n^2) worst case)")
    ap.add_argument("--signatures", metavar="FILE",
                    help="also dump per-document MinHash values (TSV: id then K uint32) for cross-checking")
    ap.add_argument("--dump-permutations", metavar="FILE",
                    help="dump datasketch's (a,b) permutation parameters for this seed/K (TSV: i a b)")
    args = ap.parse_args(argv)

    if args.shingle < 1:
        ap.error("--shingle must be >= 1")
    if not 0.0 <= args.threshold <= 1.0:
        ap.error("--threshold must be in [0, 1]")
    if (args.bands is None) != (args.rows is None):
        ap.error("--bands and --rows go together")

    # Import datasketch (numpy/scipy) before the clock starts; its cost is reported separately.
    t0 = time.perf_counter()
    try:
        import datasketch  # noqa: F401
    except ImportError:
        if not args.exact:
            sys.exit("cannot import datasketch: run with PYTHONPATH=/work/ext/datasketch (see bench/reference/README.md)")
    t_import = time.perf_counter() - t0

    t_start = time.perf_counter()

    # ---- read
    t0 = time.perf_counter()
    ids, texts, nbytes = read_corpus(args.input, args.id_field, args.text_field)
    n = len(ids)
    t_read = time.perf_counter() - t0

    tokenize = tokenize_dedup if args.tokenizer == "dedup" else make_tokenizer(args.case, args.unicode_normalize)
    k, T = args.shingle, args.threshold
    uf = UnionFind(n)
    sims = [1.0] * n
    timing: dict = {}
    params: dict = {"mode": "exact" if args.exact else "minhash-lsh", "shingle_k": k, "threshold": T,
                    "tokenizer": args.tokenizer}
    if args.tokenizer == "basic":
        params.update(case=args.case, unicode_normalize=args.unicode_normalize)
    n_empty = 0
    n_shingles = 0
    n_candidates = 0
    n_accepted = 0

    if args.exact:
        # ---- "sign": shingle sets
        t0 = time.perf_counter()
        sets = []
        for text in texts:
            s = frozenset(shingles_of(tokenize(text), k))
            n_shingles += len(s)
            if not s:
                n_empty += 1
            sets.append(s)
        t_sign = time.perf_counter() - t0

        # ---- pairs: every pair sharing >= 1 shingle (exactly the pairs with J > 0); all pairs if T <= 0
        t0 = time.perf_counter()
        postings: dict[str, list[int]] = {}
        for i, s in enumerate(sets):
            if not s:
                continue
            seen: set[int] = set()
            for sh in s:
                lst = postings.get(sh)
                if lst is None:
                    postings[sh] = [i]
                else:
                    seen.update(lst)
                    lst.append(i)
            if T <= 0.0:
                seen = {j for j in range(i) if sets[j]}
            for j in seen:
                n_candidates += 1
                inter = len(s & sets[j])
                if inter / (len(s) + len(sets[j]) - inter) >= T:
                    n_accepted += 1
                    uf.union(i, j)

        def similarity(i: int, r: int) -> float:
            a, b = sets[i], sets[r]
            inter = len(a & b)
            return inter / (len(a) + len(b) - inter)

        roots = [uf.find(i) for i in range(n)]
        for i in range(n):
            if roots[i] != i:
                sims[i] = similarity(i, roots[i])
        t_cluster = time.perf_counter() - t0
        t_lsh_init = 0.0
    else:

        from datasketch import MinHash, MinHashLSH

        hashfunc, hash_desc = make_hashfunc(args.hash, args.hash_seed)
        params.update(num_perm=args.num_perm, seed=args.seed, hash=hash_desc, construct=args.construct)
        K, S = args.num_perm, args.seed

        # ---- sign
        t0 = time.perf_counter()
        t_tok = 0.0
        mhs: list = [None] * n
        template = MinHash(num_perm=K, seed=S, hashfunc=hashfunc) if args.construct == "bulk" else None
        for i, text in enumerate(texts):
            ta = time.perf_counter()
            sh = shingles_of(tokenize(text), k)
            t_tok += time.perf_counter() - ta
            if not sh:
                n_empty += 1
                continue
            uniq = set(sh)
            n_shingles += len(uniq)
            m = template.copy() if template is not None else MinHash(num_perm=K, seed=S, hashfunc=hashfunc)
            m.update_batch([x.encode("utf-8") for x in uniq])
            mhs[i] = m
        t_sign = time.perf_counter() - t0
        timing["sign_tokenize_shingle"] = t_tok
        timing["sign_minhash"] = t_sign - t_tok

        # ---- LSH params (datasketch's optimiser, or explicit)
        t0 = time.perf_counter()
        try:
            if args.bands is not None:
                lsh = MinHashLSH(threshold=T, num_perm=K, params=(args.bands, args.rows))
            else:
                lsh = MinHashLSH(threshold=T, num_perm=K, weights=tuple(args.weights))
        except ValueError as e:  # e.g. b < 2 chosen for thresholds >= ~0.985 at K=128
            sys.exit(f"datasketch MinHashLSH rejected the parameters: {e} (try --bands/--rows)")
        t_lsh_init = time.perf_counter() - t0
        params.update(b=lsh.b, r=lsh.r, weights=list(args.weights), params_explicit=args.bands is not None)

        # ---- index + query + cluster (query first, then insert, in input order)
        t0 = time.perf_counter()
        for i, m in enumerate(mhs):
            if m is None:
                continue  # empty document: no shingles -> singleton
            for j in lsh.query(m):
                n_candidates += 1
                if m.jaccard(mhs[j]) >= T:
                    n_accepted += 1
                    uf.union(i, j)
            lsh.insert(i, m)
        roots = [uf.find(i) for i in range(n)]
        for i in range(n):
            if roots[i] != i:
                sims[i] = mhs[i].jaccard(mhs[roots[i]])
        t_cluster = time.perf_counter() - t0

        if args.signatures:
            with open(args.signatures, "w", encoding="utf-8") as f:
                for i, m in enumerate(mhs):
                    vals = "" if m is None else "\t".join(map(str, m.hashvalues.tolist()))
                    f.write(f"{tsv_field(ids[i])}\t{vals}\n")
        if args.dump_permutations:
            perm = (template or MinHash(num_perm=K, seed=S)).permutations
            with open(args.dump_permutations, "w", encoding="utf-8") as f:
                f.write("i\ta\tb\n")
                for idx, (a, b) in enumerate(zip(perm[0].tolist(), perm[1].tolist())):
                    f.write(f"{idx}\t{a}\t{b}\n")

    # ---- cluster numbering + TSV
    t0 = time.perf_counter()
    cluster_of_root: dict[int, int] = {}
    out_lines = ["id\tcluster\trepresentative\tsimilarity\n"]
    for i in range(n):
        r = roots[i]
        c = cluster_of_root.get(r)
        if c is None:  # r <= i always, so clusters are numbered by representative order
            c = cluster_of_root[r] = len(cluster_of_root)
        out_lines.append(f"{tsv_field(ids[i])}\t{c}\t{tsv_field(ids[r])}\t{sims[i]:.6f}\n")
    if args.output == "-":
        sys.stdout.writelines(out_lines)
        sys.stdout.flush()
    else:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(out_lines)
    t_write = time.perf_counter() - t0
    t_total = time.perf_counter() - t_start

    n_clusters = len(cluster_of_root)
    sizes: dict[int, int] = {}
    for r in roots:
        sizes[r] = sizes.get(r, 0) + 1
    pipeline = t_read + t_sign + t_lsh_init + t_cluster
    mb = nbytes / 1e6
    report = {
        "tool": "datasketch_cluster.py",
        "docs": n,
        "bytes": nbytes,
        "empty_docs": n_empty,
        "unique_shingles_total": n_shingles,
        "candidate_pairs": n_candidates,
        "accepted_pairs": n_accepted,
        "clusters": n_clusters,
        "multi_doc_clusters": sum(1 for v in sizes.values() if v > 1),
        "docs_in_multi_doc_clusters": sum(v for v in sizes.values() if v > 1),
        "seconds": {
            "import_datasketch": t_import,  # not included in pipeline/total
            "read": t_read,
            "sign": t_sign,
            **{k2: v for k2, v in timing.items()},
            "lsh_init": t_lsh_init,
            "index_query_cluster": t_cluster,
            "write": t_write,
            "pipeline": pipeline,  # read + sign + lsh_init + index_query_cluster
            "total": t_total,  # wall clock read..write (excludes import_datasketch)
        },
        "mb_per_s": mb / t_total if t_total else None,
        "docs_per_s": n / t_total if t_total else None,
        "mb_per_s_excl_read_write": mb / (t_sign + t_lsh_init + t_cluster) if (t_sign + t_cluster) else None,
        "docs_per_s_excl_read_write": n / (t_sign + t_lsh_init + t_cluster) if (t_sign + t_cluster) else None,
        "peak_rss_bytes": peak_rss_bytes(),
        "params": params,
        "datasketch": datasketch_version_info(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "platform": platform.platform(),
    }
    try:
        import numpy, scipy  # noqa: E401

        report["numpy"], report["scipy"] = numpy.__version__, scipy.__version__
    except ImportError:
        pass
    if args.timing:
        with open(args.timing, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    print(
        f"datasketch_cluster: {n} docs, {mb:.2f} MB, {n_clusters} clusters "
        f"({report['multi_doc_clusters']} multi-doc), total {t_total:.3f}s, "
        f"{report['mb_per_s']:.3f} MB/s, {report['docs_per_s']:.1f} docs/s"
        + ("" if args.exact else f", b={params['b']} r={params['r']}"),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
