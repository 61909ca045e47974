"""dedup: near-duplicate detection for news articles (MinHash + LSH), from Python.

The C++ library behind the ``dedup`` command, bound with pybind11. Options are keyword
arguments with the CLI's names (``--num-perm`` is ``num_perm``) and defaults; they are
parsed and checked by the CLI's own code, so ``dedup.cluster(docs, threshold=0.8)``
decides exactly as ``dedup cluster --threshold 0.8`` does.

    >>> import dedup
    >>> docs = [("a", "Xi arrives in Moscow for talks with Putin on Monday"),
    ...         ("b", "Xi arrives in Moscow for talks with Putin on Monday."),
    ...         ("c", "Heavy rain floods the streets of Lagos")]
    >>> [(r.id, r.cluster) for r in dedup.cluster(docs)]
    [('a', 0), ('b', 0), ('c', 1)]
    >>> s = dedup.Sketcher()                       # word:3, K = 128, fss, seed 1
    >>> sigs = s.sign_many([t for _, t in docs])   # (3, 128) uint32, all cores, GIL released
    >>> dedup.jaccard(sigs[0], sigs[1])
    1.0

Entry points: Sketcher, jaccard, compare, explain, cluster, Index; exceptions: Error and
its subclasses (see dedup._errors); options(name) lists a function's keyword options
with their defaults.
"""

from __future__ import annotations

import datetime as _datetime
import json as _json
import os as _os
import re as _re
import tempfile as _tempfile
import time as _time
from collections.abc import Iterable as _Iterable
from typing import Any, Optional, Union

from . import _dedup
from ._errors import (AlreadyExistsError, DataLossError, Error, FailedPreconditionError, InternalError,
                      InvalidArgumentError, NotFoundError, OutOfRangeError, PermissionDeniedError,
                      ResourceExhaustedError, UnavailableError)
from ._result import CheckResult, ClusterResult, ClusterRow, RemoveResult

__version__ = _dedup.__version__

__all__ = [
    "Sketcher", "jaccard", "compare", "explain", "cluster", "Index", "options",
    "ClusterResult", "ClusterRow", "CheckResult", "RemoveResult",
    "Error", "InvalidArgumentError", "OutOfRangeError", "FailedPreconditionError", "NotFoundError",
    "AlreadyExistsError", "PermissionDeniedError", "DataLossError", "UnavailableError",
    "ResourceExhaustedError", "InternalError",
]

_OPTION_TABLES = {
    "Sketcher": _dedup._sketch_options,
    "compare": _dedup._sketch_options,
    "cluster": _dedup._cluster_options,
    "explain": _dedup._cluster_options,
    "Index": _dedup._index_options,
}


def options(name: str) -> list[tuple[str, str, str]]:
    """The keyword options of ``name`` (Sketcher, compare, cluster, explain, Index).

    Returns (keyword, default, description) tuples, in the CLI's order; the default is
    the CLI's, as text ("" when the option has none: flags, and bands/rows chosen from the
    threshold).
    """
    if name not in _OPTION_TABLES:
        raise ValueError("options(): no such function %r (expected one of %s)" % (name, ", ".join(_OPTION_TABLES)))
    return [(k, d, desc) for k, d, desc, _flag in _OPTION_TABLES[name]()]


def _default(name: str, keyword: str) -> str:
    """The CLI's default of one option, as text."""
    for k, d, _desc, _flag in _OPTION_TABLES[name]():
        if k == keyword:
            return d
    raise KeyError(keyword)


def _options_doc(name: str) -> str:
    # Indented as the docstrings it is appended to (4 spaces), for inspect.cleandoc / help().
    lines = ["", "    Keyword options (the CLI's flags; default in brackets):", ""]
    for k, d, desc, flag in _OPTION_TABLES[name]():
        default = "False" if flag else (d if d != "" else "chosen")
        lines.append("        %s [%s]" % (k, default))
        for part in desc.splitlines():
            lines.append("            " + part)
    return "\n".join(lines) + "\n"


# --- Sketcher, jaccard, compare -------------------------------------------------------

class Sketcher(_dedup.Sketcher):
    """Text -> MinHash signature (a NumPy uint32 array of ``num_perm`` slots).

    ``Sketcher(**options)`` takes the CLI's sketch options: ``shingle`` ("word:3"),
    ``num_perm`` (128), ``seed`` (1) and ``minhash`` ("fss", "classic" or "oph"). Two
    signatures are comparable only when made with equal options (``fingerprint``).
    Texts are normalized and tokenized as by ``dedup cluster`` (NFKC, case folding,
    punctuation ignored); boilerplate removal, a corpus property, is not applied.

    Thread-safe: one Sketcher may sign from many threads at once.
    """

    def sign(self, text: Union[str, bytes]):
        """The signature of one text (str, or UTF-8 bytes): a new uint32 array of num_perm slots.

        An empty text (no tokens) gives all slots 0xFFFFFFFF; it matches nothing.
        InvalidArgumentError for bytes that are not UTF-8.
        """
        return super().sign(text)

    def sign_many(self, texts: _Iterable, *, threads: int = 0):
        """Signatures of many texts: a (len(texts), num_perm) uint32 array, row i for texts[i].

        Signs on ``threads`` threads (0: all cores) with the GIL released, reading the
        texts' UTF-8 in place (no copy). Rows equal ``sign(text)``. The first bad text
        (lowest index) raises, naming it: ``texts[7]: ...``.
        """
        return super().sign_many(texts, threads=threads)


Sketcher.__doc__ += _options_doc("Sketcher")


def jaccard(sig_a, sig_b) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal slots.

    Both must be 1-D uint32 arrays of equal length, made by Sketchers with equal options
    (the arrays do not carry the fingerprint: comparing signatures of different options
    gives a meaningless number). 0 if either is the signature of an empty text. Its
    standard error is sqrt(J (1 - J) / K): 0.035 at J = 0.8, K = 128.
    """
    return _dedup.jaccard(sig_a, sig_b)


def compare(text_a: Union[str, bytes], text_b: Union[str, bytes], **options: Any) -> dict:
    """Exact and estimated similarity of two texts, as ``dedup compare --format json``.

    Returns a dict: a_shingles, b_shingles, common_shingles, exact_jaccard,
    estimated_jaccard, standard_error (of the estimate at the exact value),
    containment_a_in_b, containment_b_in_a (exact: shared / that text's shingles) and
    sketch (the parameter description).
    """
    return _dedup.compare(text_a, text_b, **options)


compare.__doc__ += _options_doc("compare")


# --- documents ------------------------------------------------------------------------

def _json_default(value: Any) -> Any:
    if isinstance(value, (_datetime.datetime, _datetime.date)):
        return value.isoformat()
    raise TypeError("a %s is not a JSON value" % type(value).__name__)


def _dumps(value: Any) -> str:
    """JSON for a document's non-str value (a number, None, a datetime -> its ISO 8601 text)."""
    return _json.dumps(value, default=_json_default)


def _check_documents(documents: Any) -> None:
    if isinstance(documents, (str, bytes, dict)):
        raise TypeError("documents: expected an iterable of documents, not a single %s" % type(documents).__name__)


# "<path>:<line>: ..." in messages about the temporary JSONL file -> "documents:<line>: ...".
def _rename_errors(e: Error, path: str) -> Error:
    message = str(e).replace(path, "documents")
    return type(e)(message)


# --- cluster --------------------------------------------------------------------------

def cluster(documents: Union[_Iterable, str, _os.PathLike], **options: Any) -> ClusterResult:
    """Group near-duplicate documents, as ``dedup cluster`` does; one row per document.

    ``documents`` is an iterable of dicts with the JSONL fields (``id`` and ``text``
    required; ``source``, ``published`` -- an RFC 3339 string or a datetime -- and
    ``url`` optional) or of ``(id, text)`` pairs; or a path (str or os.PathLike) to an
    input the CLI takes: a .jsonl file or a folder. Ids must be unique.

    Returns a :class:`ClusterResult`: a sequence of :class:`ClusterRow` (id, cluster,
    representative, similarity, relation, containment), in input order, equal to the
    rows of ``dedup cluster --format tsv`` with the same options (``to_tsv()`` prints
    them byte for byte), with ``to_pandas()`` and ``stats``.

    The documents are written as JSONL to a temporary file (by C++, strings quoted in
    place) and run through the same pipeline as the CLI (sketching on all cores, GIL
    released; boilerplate lines are learned in a first pass over that file). Errors in a
    document's fields name it by its 1-based position, as the CLI names a line:
    ``documents:3: field "id" is missing``; a wrong Python type is a TypeError naming
    ``documents[2]`` (0-based).
    """
    id_field = options.get("id_field") or _default("cluster", "id_field")
    text_field = options.get("text_field") or _default("cluster", "text_field")
    if isinstance(documents, (str, _os.PathLike)):
        return ClusterResult(_dedup._cluster_inputs([_os.fspath(documents)], **options))
    with _tempfile.TemporaryDirectory(prefix="dedup-") as tmp:
        path = _os.path.join(tmp, "documents.jsonl")
        _check_documents(documents)
        _dedup._write_documents(path, documents, id_field, text_field, _dumps)
        try:
            return ClusterResult(_dedup._cluster_inputs([path], **options))
        except Error as e:
            raise _rename_errors(e, path) from None


cluster.__doc__ += _options_doc("cluster")


# --- explain --------------------------------------------------------------------------

def explain(a: str, b: str, *, corpus: Union[None, str, _os.PathLike, list] = None, **options: Any) -> dict:
    """Why two documents are, or are not, grouped: ``dedup explain --format json``.

    Without ``corpus``, ``a`` and ``b`` are the two texts; with ``corpus`` (a path or a
    list of paths: .jsonl files, folders), they are ids of documents in it, and
    boilerplate is learned from the corpus as ``dedup cluster`` learns it.

    Returns a dict: a and b (id, tokens, shingles, boilerplate_lines_removed), exact and
    estimated (jaccard, a_in_b, b_in_a), decision and decision_exact ("similar",
    "a_in_b", "b_in_a" or "none"), shared_passages, longest_passages (up to ``passages``)
    and sketch. Without a corpus the ids are "A" and "B". Options: those of cluster, and
    ``passages`` (shared passages to list).
    """
    with _tempfile.TemporaryDirectory(prefix="dedup-") as tmp:
        if corpus is None:
            paths = []
            for name, text in (("A", a), ("B", b)):
                if not isinstance(text, str):
                    raise TypeError("explain(): %s must be a str, not %s" % (name.lower(), type(text).__name__))
                p = _os.path.join(tmp, name + ".txt")
                with open(p, "w", encoding="utf-8", errors="surrogatepass") as f:
                    f.write(text)
                paths.append(p)
            out = _json.loads(_dedup._explain(paths[0], paths[1], [], **options))
            for side, name, p in (("a", "A", paths[0]), ("b", "B", paths[1])):
                if out[side]["id"] == p:
                    out[side]["id"] = name
            return out
        corpora = [corpus] if isinstance(corpus, (str, _os.PathLike)) else list(corpus)
        return _json.loads(_dedup._explain(a, b, [_os.fspath(c) for c in corpora], **options))


explain.__doc__ += _options_doc("explain")


# --- Index ----------------------------------------------------------------------------

_TimeLike = Union[int, str, _datetime.datetime, _datetime.date]


def _unix_seconds(what: str, t: _TimeLike) -> int:
    if isinstance(t, bool):
        raise TypeError("%s: expected a time, not bool" % what)
    if isinstance(t, int):
        return t
    if isinstance(t, _datetime.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_datetime.timezone.utc)
        return int(t.timestamp() // 1)
    if isinstance(t, _datetime.date):
        return _unix_seconds(what, _datetime.datetime(t.year, t.month, t.day, tzinfo=_datetime.timezone.utc))
    if isinstance(t, str):
        m = _re.fullmatch(r"@(-?\d+)", t.strip())
        if m:
            return int(m.group(1))
        # RFC 3339 / YYYY-MM-DD, parsed by the C++ reader's rules via a one-line document.
        return _dedup._parse_time(t)
    raise TypeError("%s: expected int seconds, a datetime, a date or a str, not %s" % (what, type(t).__name__))


class Index:
    """The durable ingestion index (``dedup index``): new, or a copy of cluster X?

    ``Index(path)`` opens an index file; ``Index(path, create=True, **options)`` creates
    one with the given parameters (fixed for its life; the CLI's ``dedup index create``
    options and defaults). Options given when opening must equal the stored ones
    (FailedPreconditionError otherwise), as with ``dedup index add``.

    Other arguments: ``read_only`` (queries and export only), ``sync`` ("full", the
    default: fsync every commit; "normal": at checkpoints), ``threads`` (0: all cores), ``now`` (a fixed
    clock: a time as ``expire`` takes it; for backfills and tests).

    Documents are dicts with the JSONL fields (``id``, ``text``, optional ``published``,
    ``source``, ``url``) or ``(id, text)`` pairs. Use it as a context manager, or call
    ``close()``. Thread-safe: queries run concurrently with one writer.
    Errors: NotFoundError (no such index), AlreadyExistsError (create over a file),
    DataLossError (a truncated or corrupt file), FailedPreconditionError (parameters).
    """

    def __init__(self, path: Union[str, _os.PathLike], *, create: bool = False, read_only: bool = False,
                 sync: Optional[str] = None, threads: int = 0, now: Optional[_TimeLike] = None, **options: Any):
        self._path = _os.fspath(path)
        self._now = None if now is None else _unix_seconds("now", now)
        self._index = _dedup._Index(self._path, create=create, read_only=read_only, sync=sync, threads=threads,
                                    now=self._now, **options)

    @property
    def path(self) -> str:
        return self._path

    @property
    def closed(self) -> bool:
        return self._index.closed

    @staticmethod
    def _one(documents) -> bool:
        return isinstance(documents, dict) or (
            isinstance(documents, tuple) and len(documents) == 2 and isinstance(documents[0], str))

    def check_and_insert(self, documents):
        """Checks each document against the index (and those before it in this call) and inserts it.

        ``documents``: one document (a dict or an ``(id, text)`` tuple) -> one
        :class:`CheckResult`; an iterable of documents -> a list of them, inserted in
        one transaction (all or nothing). A document already indexed with the same text
        is "existing" and changes nothing.
        """
        if self._one(documents):
            return self.check_and_insert([documents])[0]
        _check_documents(documents)
        return [CheckResult(*r) for r in self._index.check(documents, True, _dumps)]

    def query(self, documents):
        """What check_and_insert would answer for each document, inserting nothing.

        Documents of one call are not compared with each other. One document -> one
        :class:`CheckResult`; an iterable -> a list.
        """
        if self._one(documents):
            return self.query([documents])[0]
        _check_documents(documents)
        return [CheckResult(*r) for r in self._index.check(documents, False, _dumps)]

    def remove(self, ids) -> RemoveResult:
        """Deletes the documents with these ids (one id or an iterable) and re-clusters what remains."""
        if isinstance(ids, str):
            ids = [ids]
        return RemoveResult(*self._index.remove(list(ids)))

    def expire(self, before: Optional[_TimeLike] = None, *, older_than: Union[None, int, _datetime.timedelta] = None,
               by: str = "published") -> RemoveResult:
        """Removes every document whose time is before a cutoff, as ``dedup index expire``.

        Give ``before`` (Unix seconds, "@SECONDS", an RFC 3339 or YYYY-MM-DD string, a
        datetime -- naive means UTC -- or a date) or ``older_than`` (seconds or a
        timedelta before now). ``by``: "published" (documents without a time use their
        insert time) or "inserted".
        """
        if (before is None) == (older_than is None):
            raise InvalidArgumentError("expire(): give exactly one of before and older_than")
        if before is not None:
            cutoff = _unix_seconds("before", before)
        else:
            seconds = older_than.total_seconds() if isinstance(older_than, _datetime.timedelta) else older_than
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise TypeError("expire(): older_than must be non-negative seconds or a timedelta")
            now = self._now if self._now is not None else int(_time.time())
            cutoff = int(now - seconds)
        return RemoveResult(*self._index.expire(cutoff, by))

    def export(self, *, dense_ids: bool = False) -> ClusterResult:
        """Every stored document's row (id, cluster, canonical, similarity, relation, containment).

        Rows are in insertion order; ``cluster`` is the stable cluster id, or with
        ``dense_ids`` 0, 1, ... as ``dedup cluster`` numbers them.
        """
        return ClusterResult(self._index.export(dense_ids))

    def stats(self) -> dict:
        """Counts and parameters: documents, clusters, duplicates, merges, splits, file_bytes, sketch, ..."""
        return self._index.stats()

    def close(self) -> None:
        """Closes the index (idempotent). Further calls raise FailedPreconditionError."""
        self._index.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<dedup.Index %r%s>" % (self._path, " (closed)" if self.closed else "")


Index.__doc__ += _options_doc("Index")
