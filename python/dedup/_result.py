"""Result types: per-document cluster rows, index answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, overload


class ClusterRow(NamedTuple):
    """One document of a clustering, as a row of ``dedup cluster --format tsv``."""

    id: str
    cluster: int  #: Cluster number (0, 1, ... in input order of first members), or the index's stable id.
    representative: str  #: Id of the cluster's representative (canonical member).
    similarity: float  #: Jaccard similarity with the representative (1 for it).
    relation: str  #: representative, similar, excerpt, extends or linked.
    containment: float  #: Share of this document's shingles found in the representative.


_COLUMNS = ClusterRow._fields


def _num(x: float) -> str:
    # C's "%.6g", as the CLI's reports print numbers.
    return "%.6g" % x


_TSV_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "\0": "\\0"})


class ClusterResult(Sequence):
    """The rows of a clustering, one per input document in input order.

    A read-only sequence of :class:`ClusterRow` (``result[i]``, ``len(result)``,
    iteration), stored as columns: ``result.column("similarity")`` is a list.
    ``stats`` holds the run's counts (documents, candidate_pairs, verified_pairs,
    clusters, duplicates, lsh_bands, lsh_rows, ...). ``to_pandas()`` gives a DataFrame
    (needs pandas); ``to_tsv()`` the bytes ``dedup cluster --format tsv`` writes.
    """

    __slots__ = ("_columns", "stats")

    def __init__(self, columns: dict[str, Any]):
        self.stats: dict[str, Any] = dict(columns.get("stats", {}))
        self._columns = {name: columns[name] for name in _COLUMNS}

    def __len__(self) -> int:
        return len(self._columns["id"])

    @overload
    def __getitem__(self, i: int) -> ClusterRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[ClusterRow]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        c = self._columns
        return ClusterRow(c["id"][i], c["cluster"][i], c["representative"][i], c["similarity"][i],
                          c["relation"][i], c["containment"][i])

    def __iter__(self):
        c = self._columns
        return map(ClusterRow._make, zip(*(c[name] for name in _COLUMNS)))

    def __repr__(self) -> str:
        return "<dedup.ClusterResult: %d documents in %s clusters>" % (len(self), self.stats.get("clusters", "?"))

    def column(self, name: str) -> list:
        """One column as a list: id, cluster, representative, similarity, relation or containment."""
        return self._columns[name]

    def clusters(self) -> dict[int, list[str]]:
        """Cluster label -> member ids (input order), for every cluster, singletons included."""
        out: dict[int, list[str]] = {}
        for doc_id, label in zip(self._columns["id"], self._columns["cluster"]):
            out.setdefault(label, []).append(doc_id)
        return out

    def to_pandas(self):
        """A pandas DataFrame with the six columns (ImportError if pandas is not installed)."""
        import pandas  # Optional: only this method needs it.

        return pandas.DataFrame({name: self._columns[name] for name in _COLUMNS})

    def to_tsv(self) -> str:
        """The report ``dedup cluster --format tsv`` writes for the same run, byte for byte."""
        c = self._columns
        lines = ["\t".join(_COLUMNS)]
        for doc_id, label, rep, sim, rel, cont in zip(*(c[name] for name in _COLUMNS)):
            lines.append("%s\t%d\t%s\t%s\t%s\t%s" % (doc_id.translate(_TSV_ESCAPES), label, rep.translate(_TSV_ESCAPES),
                                                   _num(sim), rel, _num(cont)))
        return "\n".join(lines) + "\n"


class CheckResult(NamedTuple):
    """The index's answer for one document (``dedup index add|query`` prints the same)."""

    id: str
    decision: str  #: "new", "duplicate" or "existing" (already indexed with the same text).
    cluster: int  #: Stable cluster id.
    canonical: str  #: Id of the cluster's canonical member (may be this document).
    similarity: float  #: Estimated Jaccard with the canonical member.
    containment: float  #: Share of this document's shingles in the canonical member.
    merged: list  #: Cluster ids merged into ``cluster`` by this document.


class RemoveResult(NamedTuple):
    """What ``Index.remove`` / ``Index.expire`` did."""

    removed: int  #: Documents deleted.
    missing: list  #: Requested ids that were not indexed.
    clusters_deleted: int  #: Clusters left without members.
    clusters_split: int  #: New clusters cut out of affected clusters.


__all__ = ["ClusterRow", "ClusterResult", "CheckResult", "RemoveResult"]
