"""Sketcher, jaccard, compare: signatures equal those the CLI stores, estimates equal the CLI's."""

import json
import sqlite3
import threading

import numpy as np
import pytest

import dedup
from conftest import FIXTURES, run_cli


@pytest.mark.parametrize("options", [
    {},
    {"shingle": "word:5", "num_perm": 64, "seed": 7, "minhash": "classic"},
    {"shingle": "char:7", "num_perm": 256, "seed": 123456789012345, "minhash": "oph"},
])
def test_signatures_equal_the_ones_the_cli_stores(cli, news_docs, tmp_path, options):
    # No CLI command prints signatures, but `dedup index add` stores each document's
    # signature in the index file (little-endian uint32 blobs, dedup/internal/index_format.cc);
    # with boilerplate off it signs the whole text, as Sketcher does.
    index = tmp_path / "i.dedup"
    flags = []
    for k, v in options.items():
        flags += ["--" + k.replace("_", "-"), str(v)]
    run_cli(cli, "index", "create", index, "--boilerplate", "off", *flags)
    run_cli(cli, "index", "add", index, FIXTURES / "news.jsonl")
    with sqlite3.connect(index) as db:
        stored = {doc_id: np.frombuffer(blob, dtype="<u4") for doc_id, blob in
                  db.execute("SELECT id, signature FROM documents")}
    assert len(stored) == len(news_docs)
    sketcher = dedup.Sketcher(**options)
    k = options.get("num_perm", 128)
    assert sketcher.num_perm == k
    many = sketcher.sign_many([d["text"] for d in news_docs])
    assert many.shape == (len(news_docs), k) and many.dtype == np.uint32
    for row, doc in zip(many, news_docs):
        np.testing.assert_array_equal(row, stored[doc["id"]])
        np.testing.assert_array_equal(sketcher.sign(doc["text"]), row)
        np.testing.assert_array_equal(sketcher.sign(doc["text"].encode("utf-8")), row)


def test_sign_many_same_result_for_any_thread_count(news_docs):
    s = dedup.Sketcher()
    texts = [d["text"] for d in news_docs] * 3
    one = s.sign_many(texts, threads=1)
    np.testing.assert_array_equal(one, s.sign_many(texts, threads=2))
    np.testing.assert_array_equal(one, s.sign_many(texts))
    assert s.sign_many([]).shape == (0, 128)


def test_empty_text_has_the_empty_signature():
    s = dedup.Sketcher(num_perm=16)
    sig = s.sign(" ... ")
    assert (sig == 0xFFFFFFFF).all()
    assert dedup.jaccard(sig, sig) == 0.0  # Empty documents match nothing.


@pytest.mark.parametrize("options", [{}, {"minhash": "classic", "num_perm": 200, "shingle": "word:2"}])
def test_compare_equals_the_cli(cli, options):
    a = FIXTURES / "news" / "000_f108cfa45c64e33e.txt"
    b = FIXTURES / "news" / "000_f108cfa45c64e33e__typos.txt"
    flags = []
    for k, v in options.items():
        flags += ["--" + k.replace("_", "-"), str(v)]
    expected = json.loads(run_cli(cli, "compare", a, b, "--format", "json", *flags).stdout)
    got = dedup.compare(a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8"), **options)
    for key in ("a_shingles", "b_shingles", "common_shingles", "sketch"):
        assert got[key] == expected[key], key
    for key in ("exact_jaccard", "estimated_jaccard", "standard_error", "containment_a_in_b", "containment_b_in_a"):
        assert "%.6g" % got[key] == "%.6g" % expected[key], key  # The CLI prints %.6g.
    # jaccard() of the two signatures is the same estimate: the share of equal slots.
    s = dedup.Sketcher(**options)
    assert dedup.jaccard(s.sign(a.read_text(encoding="utf-8")), s.sign(b.read_text(encoding="utf-8"))) == \
        got["estimated_jaccard"]


def test_jaccard_counts_equal_slots():
    a = np.array([1, 2, 3, 4], dtype=np.uint32)
    b = np.array([1, 2, 9, 9], dtype=np.uint32)
    assert dedup.jaccard(a, b) == 0.5
    assert dedup.jaccard(a[::-1], b[::-1]) == 0.5  # Strided views are fine.


def test_jaccard_rejects_bad_signatures():
    a = np.zeros(4, dtype=np.uint32)
    with pytest.raises(dedup.InvalidArgumentError, match="different lengths: 4 and 3"):
        dedup.jaccard(a, np.zeros(3, dtype=np.uint32))
    with pytest.raises(TypeError, match="dtype uint32, not int64"):
        dedup.jaccard(a, np.zeros(4, dtype=np.int64))
    with pytest.raises(TypeError, match="numpy uint32 array, not list"):
        dedup.jaccard(a, [0, 0, 0, 0])
    with pytest.raises(dedup.InvalidArgumentError, match="1-D"):
        dedup.jaccard(np.zeros((2, 2), dtype=np.uint32), np.zeros((2, 2), dtype=np.uint32))
    with pytest.raises(dedup.InvalidArgumentError, match="empty"):
        dedup.jaccard(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32))


def test_sketcher_options_are_the_clis():
    s = dedup.Sketcher()
    # The CLI's defaults, from the same structs (dedup cluster --help shows them).
    assert (s.shingle, s.num_perm, s.seed, s.minhash) == ("word:3", 128, 1, "fss")
    assert s.description == "dedup-sketch/1 norm=1 shingle=word:3 hash=xxh3_64 minhash=fss32 k=128 seed=1"
    assert dedup.Sketcher(seed=2).fingerprint != s.fingerprint
    with pytest.raises(dedup.InvalidArgumentError, match="num-perm"):
        dedup.Sketcher(num_perm=0)
    with pytest.raises(dedup.InvalidArgumentError, match="minhash"):
        dedup.Sketcher(minhash="md5")
    with pytest.raises(dedup.InvalidArgumentError, match="shingle"):
        dedup.Sketcher(shingle="word:99")
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_perms'"):
        dedup.Sketcher(num_perms=64)
    with pytest.raises(TypeError, match="seed must be a number or a string, not list"):
        dedup.Sketcher(seed=[1])


def test_bad_texts_raise_naming_the_text():
    s = dedup.Sketcher()
    with pytest.raises(dedup.InvalidArgumentError, match="UTF-8"):
        s.sign(b"caf\xe9")
    with pytest.raises(dedup.InvalidArgumentError, match=r"^texts\[2\]: .*UTF-8"):
        s.sign_many(["a b c", "d e f", b"\xff\xfe", b"\xff"])
    with pytest.raises(TypeError, match=r"texts\[1\]: expected str or bytes, not int"):
        s.sign_many(["a", 5])
    with pytest.raises(UnicodeEncodeError):
        s.sign("lone \ud800 surrogate")
    with pytest.raises(dedup.InvalidArgumentError, match="threads"):
        s.sign_many(["a"], threads=-1)


def test_sign_many_releases_the_gil():
    # Deterministic: the main thread reads Sketcher.signed (documents signed so far,
    # counted by the C++ workers) while another thread is inside one sign_many call. If
    # the call held the GIL, no Python code could run between its start and its end,
    # so the main thread could only ever see 0 or all of them: seeing a count strictly
    # in between proves it ran Python while the C++ call was working.
    s = dedup.Sketcher(minhash="classic", num_perm=1024)  # ~0.1 ms per text: a long call.
    texts = [" ".join("w%d" % (i * 7 + j) for j in range(300)) for i in range(3000)]
    seen = set()
    done = threading.Event()

    def work():
        s.sign_many(texts)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        seen.add(s.signed)
    t.join()
    assert s.signed == len(texts)
    partial = {c for c in seen if 0 < c < len(texts)}
    assert partial, "no Python code ran while sign_many worked: %s" % sorted(seen)[:5]
