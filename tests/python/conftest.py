"""Shared fixtures of the Python tests: the package under test, the CLI, the repository.

Run by ctest (python_test, label "python") with PYTHONPATH=<build>/python, DEDUP_CLI=the
dedup binary of the same build, DEDUP_SOURCE_DIR=the repository.
"""

import json
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("DEDUP_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
FIXTURES = SOURCE_DIR / "fixtures"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: builds the package from the sources (ctest label slow)")


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("DEDUP_CLI")
    if not path:
        pytest.skip("DEDUP_CLI (the dedup binary) is not set; run through ctest")
    return path


def run_cli(cli, *args, check=True):
    """Runs the dedup binary; returns its stdout (str)."""
    r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("dedup %s failed (%d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
    return r


@pytest.fixture(scope="session")
def news_docs():
    """fixtures/news.jsonl as a list of dicts (id, text, source, published)."""
    with open(FIXTURES / "news.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
