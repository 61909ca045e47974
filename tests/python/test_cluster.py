"""dedup.cluster equals `dedup cluster --format tsv`; explain equals `dedup explain`."""

import datetime
import json
import pathlib

import pytest

import dedup
from conftest import FIXTURES, run_cli


def flags_of(options):
    out = []
    for k, v in options.items():
        if v is True:
            out.append("--" + k.replace("_", "-"))
        else:
            out += ["--" + k.replace("_", "-"), repr(v) if isinstance(v, float) else str(v)]
    return out


OPTION_SETS = [
    {},
    {"threshold": 0.8, "containment": 0.0},
    {"exact": True, "threshold": 0.3},
    {"shingle": "word:5", "num_perm": 64, "minhash": "classic", "bands": 16, "rows": 4, "canonical": "longest"},
    {"boilerplate": "off", "signature_bits": 16, "opening_threshold": 0.0},
]


@pytest.mark.parametrize("options", OPTION_SETS)
def test_cluster_of_dicts_equals_the_cli(cli, news_docs, options):
    expected = run_cli(cli, "cluster", FIXTURES / "news.jsonl", "--format", "tsv", *flags_of(options)).stdout
    result = dedup.cluster(news_docs, **options)
    assert result.to_tsv() == expected
    assert len(result) == len(news_docs)
    assert result.stats["documents"] == len(news_docs)


def test_cluster_of_pairs_and_of_a_folder_equal_the_cli(cli):
    folder = FIXTURES / "news"
    expected = run_cli(cli, "cluster", folder, "--format", "tsv").stdout
    assert dedup.cluster(folder).to_tsv() == expected  # A path: the CLI's input.
    pairs = [(p.name, p.read_bytes().decode("utf-8")) for p in sorted(folder.iterdir())]
    assert dedup.cluster(pairs).to_tsv() == expected
    assert dedup.cluster(iter(pairs)).to_tsv() == expected  # Any iterable, read once.


@pytest.mark.parametrize("folder", ["tiny", "seeds"])
def test_other_fixture_folders_as_pairs_equal_the_cli(cli, folder):
    # tiny: empty, whitespace-only and shorter-than-a-shingle documents; seeds: real pages.
    path = FIXTURES / folder
    expected = run_cli(cli, "cluster", path, "--format", "tsv", "--html", "off").stdout
    pairs = [(p.name, p.read_bytes().decode("utf-8")) for p in sorted(path.iterdir()) if p.is_file()]
    assert dedup.cluster(pairs, html="off").to_tsv() == expected


def test_rows_and_pandas(news_docs):
    result = dedup.cluster(news_docs)
    row = result[1]
    assert isinstance(row, dedup.ClusterRow)
    assert row.id == news_docs[1]["id"]
    assert list(result)[1] == row and result[-1] == result[len(result) - 1]
    assert result[0:2] == [result[0], result[1]]
    by_cluster = result.clusters()
    assert sum(len(m) for m in by_cluster.values()) == len(news_docs)
    for r in result:
        assert r.relation in ("representative", "similar", "excerpt", "extends", "linked")
        assert (r.relation == "representative") == (r.id == r.representative)
    pandas = pytest.importorskip("pandas")
    df = result.to_pandas()
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == ["id", "cluster", "representative", "similarity", "relation", "containment"]
    assert df["id"].tolist() == [d["id"] for d in news_docs]
    assert df["similarity"].tolist() == result.column("similarity")


def test_published_datetimes_and_strings_agree(news_docs):
    as_datetime = []
    for d in news_docs:
        d = dict(d)
        d["published"] = datetime.datetime.fromisoformat(d["published"].replace("Z", "+00:00"))
        as_datetime.append(d)
    assert dedup.cluster(as_datetime).to_tsv() == dedup.cluster(news_docs).to_tsv()


def test_tsv_escapes_ids(cli, tmp_path):
    docs = [{"id": "a\tb\\c\nd", "text": "one two three four five"}, {"id": "x", "text": "one two three four five"}]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    expected = run_cli(cli, "cluster", path, "--format", "tsv").stdout
    assert dedup.cluster(docs).to_tsv() == expected
    assert dedup.cluster(docs)[1].representative == "a\tb\\c\nd"


def test_documents_are_written_as_the_cli_reads_them(cli, tmp_path):
    # Quotes, backslashes, control characters, non-ASCII and astral code points survive the
    # C++ JSONL writer: the rows equal the CLI's over json.dumps of the same documents.
    text = 'He said "no" \\ then\x01 left \u00e9t\u00e9 \U0001F600 \u4e2d\u6587\u65b0\u95fb\ttab\r\nline two three four'
    docs = [{"id": "q\"1", "text": text, "source": "s.example", "published": "2023-03-20T06:40:00Z",
             "url": "https://s.example/a", "extra": [1, {"x": None}], "n": 3.5},
            {"id": "q2", "text": text + " five", "published": datetime.datetime(2023, 3, 19, tzinfo=datetime.timezone.utc)},
            ("q3", text)]
    path = tmp_path / "d.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            d = d if isinstance(d, dict) else {"id": d[0], "text": d[1]}
            d = {k: (v.isoformat() if isinstance(v, datetime.datetime) else v) for k, v in d.items()}
            f.write(json.dumps(d) + "\n")
    expected = run_cli(cli, "cluster", path, "--format", "tsv").stdout
    assert dedup.cluster(docs).to_tsv() == expected
    assert [r.cluster for r in dedup.cluster(docs)] == [0, 0, 0]


def test_cluster_errors_name_the_document():
    with pytest.raises(dedup.InvalidArgumentError, match=r"^documents:2: .*duplicate id"):
        dedup.cluster([("a", "x y z"), ("a", "x y z")])
    with pytest.raises(dedup.InvalidArgumentError, match=r"^documents:1: .*\"text\""):
        dedup.cluster([{"id": "a"}])
    with pytest.raises(dedup.InvalidArgumentError, match=r"^documents:1: .*\"id\""):
        dedup.cluster([{"id": 5, "text": "x"}])
    with pytest.raises(TypeError, match=r"documents\[1\]: expected a dict or an \(id, text\) pair, not int"):
        dedup.cluster([("a", "b"), 7])
    with pytest.raises(TypeError, match=r"documents\[1\]: expected a dict or an \(id, text\) pair, not a tuple of 3"):
        dedup.cluster([("a", "b"), ("c", "d", "e")])
    with pytest.raises(TypeError, match=r"documents\[0\]: keys must be str, not int"):
        dedup.cluster([{"id": "a", "text": "b", 1: "x"}])
    with pytest.raises(TypeError, match=r"documents\[0\]: .*object is not JSON serializable|documents\[0\]: a object"):
        dedup.cluster([{"id": "a", "text": "b", "x": object()}])
    with pytest.raises(dedup.InvalidArgumentError, match=r"^documents:2: .*lone surrogate"):
        dedup.cluster([("a", "b"), ("c", "bad \ud800 text")])
    with pytest.raises(dedup.InvalidArgumentError, match=r"^documents:1: field \"id\" is a number"):
        dedup.cluster([(5, "text")])
    with pytest.raises(TypeError, match="single bytes"):
        dedup.cluster(b"bytes")
    with pytest.raises(dedup.NotFoundError, match="no such file"):
        dedup.cluster(FIXTURES / "no-such-file.jsonl")
    with pytest.raises(dedup.InvalidArgumentError, match="threshold"):
        dedup.cluster([("a", "b")], threshold=1.5)
    with pytest.raises(dedup.InvalidArgumentError, match="bands and --rows"):
        dedup.cluster([("a", "b")], bands=4)
    with pytest.raises(dedup.InvalidArgumentError, match="finite"):
        dedup.cluster([("a", "b")], threshold=float("nan"))
    with pytest.raises(TypeError, match="unexpected keyword argument 'treshold'"):
        dedup.cluster([("a", "b")], treshold=0.5)
    with pytest.raises(TypeError, match="exact must be True or False"):
        dedup.cluster([("a", "b")], exact="yes")


def test_explain_equals_the_cli(cli):
    corpus = FIXTURES / "news.jsonl"
    a, b = "000_f108cfa45c64e33e.txt", "000_f108cfa45c64e33e__chrome.txt"
    expected = json.loads(run_cli(cli, "explain", a, b, "--corpus", corpus, "--format", "json").stdout)
    assert dedup.explain(a, b, corpus=corpus) == expected
    # Two texts, no corpus: the CLI on two files.
    fa, fb = FIXTURES / "news" / a, FIXTURES / "news" / b
    expected = json.loads(run_cli(cli, "explain", fa, fb, "--format", "json", "--threshold", "0.9").stdout)
    got = dedup.explain(fa.read_text(encoding="utf-8"), fb.read_text(encoding="utf-8"), threshold=0.9)
    assert (got["a"]["id"], got["b"]["id"]) == ("A", "B")
    for side in ("a", "b"):
        got[side]["id"] = expected[side]["id"]
    assert got == expected
    with pytest.raises(dedup.NotFoundError, match="not found"):
        dedup.explain("nope", b, corpus=corpus)
    with pytest.raises(dedup.InvalidArgumentError, match="threshold"):
        dedup.explain("x", "y", threshold=2)


def test_help_lists_the_options():
    doc = dedup.cluster.__doc__
    for option in ("threshold [0.5]", "num_perm [128]", "shingle [word:3]", "exact [False]", "containment [0.7]"):
        assert option in doc
    names = [k for k, _, _ in dedup.options("cluster")]
    assert "min_containment_ratio" in names and "help" not in names
    assert ("seed", "1") in [(k, d) for k, d, _ in dedup.options("Sketcher")]
