"""dedup.Index: the round trip (create, check_and_insert, reopen, query, remove, expire, export)."""

import sqlite3

import pytest

import dedup
from conftest import FIXTURES, run_cli


def test_round_trip(tmp_path, news_docs):
    path = tmp_path / "news.dedup"
    first, rest = news_docs[:20], news_docs[20:]
    with dedup.Index(path, create=True, now="2023-03-25T00:00:00Z") as index:
        results = index.check_and_insert(first)
        assert [r.id for r in results] == [d["id"] for d in first]
        assert all(isinstance(r, dedup.CheckResult) for r in results)
        assert results[0].decision == "new" and results[0].canonical == first[0]["id"]
        assert index.stats()["documents"] == 20
    assert index.closed
    with pytest.raises(dedup.FailedPreconditionError, match="closed"):
        index.stats()

    with dedup.Index(path) as index:  # Reopened: what is stored answers as before.
        clusters = {row.id: row.cluster for row in index.export()}
        assert set(clusters) == {d["id"] for d in first}
        replay = index.check_and_insert(first[3])
        assert replay.decision == "existing" and replay.cluster == clusters[first[3]["id"]]
        for q, d in zip(index.query(first), first):
            assert (q.id, q.decision, q.cluster) == (d["id"], "existing", clusters[d["id"]])
        more = index.check_and_insert(rest)
        assert [r.id for r in more] == [d["id"] for d in rest]
        assert index.remove(first[0]["id"]).removed == 1

    with dedup.Index(path, read_only=True) as index:
        ids = [row.id for row in index.export()]
        assert ids == [d["id"] for d in news_docs[1:]]  # Insertion order, the removed one gone.
        assert index.stats()["documents"] == len(news_docs) - 1
        assert index.query(first[0]).decision != "existing"


def test_index_matches_the_cli(cli, tmp_path, news_docs):
    ours, theirs = tmp_path / "py.dedup", tmp_path / "cli.dedup"
    with dedup.Index(ours, create=True, threshold=0.6, now=1700000000) as index:
        answers = index.check_and_insert(news_docs)
    run_cli(cli, "index", "create", theirs, "--threshold", "0.6")
    cli_out = run_cli(cli, "index", "add", theirs, FIXTURES / "news.jsonl", "--now", "@1700000000").stdout
    lines = cli_out.splitlines()
    assert lines[0] == "id\tdecision\tcluster\tcanonical\tsimilarity\tcontainment"
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[:4] for r in rows] == [[a.id, a.decision, str(a.cluster), a.canonical] for a in answers]
    assert [r[4] for r in rows] == ["%.6g" % a.similarity for a in answers]
    for dense in (False, True):
        flags = ["--dense-ids"] if dense else []
        expected = run_cli(cli, "index", "export", theirs, "--format", "tsv", *flags).stdout
        with dedup.Index(ours, read_only=True) as index:
            assert index.export(dense_ids=dense).to_tsv() == expected
    with dedup.Index(ours, read_only=True) as index:
        q = index.query(news_docs[5])
        assert q.decision == "existing" and q.id == news_docs[5]["id"]
        fresh = index.query(("new-one", news_docs[5]["text"] + " one more line of text here"))
        assert fresh.decision == "duplicate" and fresh.cluster == answers[5].cluster
        assert index.stats()["documents"] == len(news_docs)  # Query inserts nothing.


def test_remove_and_expire(tmp_path):
    docs = [
        {"id": "a", "text": "alpha beta gamma delta epsilon zeta eta theta", "published": "2023-01-01T00:00:00Z"},
        {"id": "b", "text": "alpha beta gamma delta epsilon zeta eta theta iota", "published": "2023-02-01T00:00:00Z"},
        {"id": "c", "text": "one two three four five six seven eight nine", "published": "2023-03-01T00:00:00Z"},
        ("d", "completely different words that share nothing at all with others"),
    ]
    with dedup.Index(tmp_path / "x.dedup", create=True, now="2023-06-01") as index:
        r = index.check_and_insert(docs)
        assert [x.decision for x in r] == ["new", "duplicate", "new", "new"]
        assert r[1].cluster == r[0].cluster and r[1].canonical == "a"
        removed = index.remove(["a", "zz"])
        assert removed == dedup.RemoveResult(removed=1, missing=["zz"], clusters_deleted=0, clusters_split=0)
        assert [row.id for row in index.export()] == ["b", "c", "d"]
        assert index.export()[0].representative == "b"
        # "d" has no published time: its insert time (now, 2023-06-01) counts.
        expired = index.expire("2023-02-15")
        assert expired.removed == 1 and [row.id for row in index.export()] == ["c", "d"]
        expired = index.expire(older_than=60 * 86400)  # now - 60 days = 2023-04-02
        assert expired.removed == 1 and [row.id for row in index.export()] == ["d"]
        assert index.expire(before=0, by="inserted").removed == 0
        with pytest.raises(dedup.OutOfRangeError, match="out of range"):
            index.expire(before=10**15)
        with pytest.raises(dedup.InvalidArgumentError, match="exactly one"):
            index.expire()
        with pytest.raises(dedup.InvalidArgumentError, match="by must be"):
            index.expire(0, by="sometime")


def test_open_errors(tmp_path):
    with pytest.raises(dedup.NotFoundError, match="no such index") as e:
        dedup.Index(tmp_path / "missing.dedup")
    assert isinstance(e.value, FileNotFoundError)
    path = tmp_path / "i.dedup"
    dedup.Index(path, create=True).close()
    with pytest.raises(dedup.AlreadyExistsError) as e:
        dedup.Index(path, create=True)
    assert isinstance(e.value, FileExistsError)
    with pytest.raises(dedup.FailedPreconditionError, match="threshold"):
        dedup.Index(path, threshold=0.9)  # Options given on open must be the stored ones.
    dedup.Index(path, threshold=0.5).close()
    # A meta value changed without its checksum is corruption (as ingest_index_test).
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '0.3' WHERE key = 'threshold'")
    db.close()
    with pytest.raises(dedup.DataLossError) as e:
        dedup.Index(path)
    assert isinstance(e.value, OSError) and str(path) in str(e.value)
    not_an_index = tmp_path / "text.dedup"
    not_an_index.write_text("hello\n" * 1000)
    with pytest.raises(dedup.Error):
        dedup.Index(not_an_index)
    with pytest.raises(dedup.InvalidArgumentError, match="sync"):
        dedup.Index(tmp_path / "j.dedup", create=True, sync="sometimes")


def test_bad_documents_change_nothing(tmp_path):
    with dedup.Index(tmp_path / "i.dedup", create=True) as index:
        with pytest.raises(dedup.InvalidArgumentError, match=r"^documents:2: .*\"text\""):
            index.check_and_insert([("a", "one two three"), {"id": "b"}])
        with pytest.raises(dedup.InvalidArgumentError, match=r"^documents:1: .*published"):
            index.check_and_insert([{"id": "c", "text": "x", "published": "yesterday"}])
        with pytest.raises(TypeError, match=r"documents\[0\]"):
            index.check_and_insert([3])
        assert index.stats()["documents"] == 0
