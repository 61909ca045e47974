"""The package's docstring example runs as written; help() shows the options."""

import doctest

import dedup


def test_module_docstring_example():
    failures, tried = doctest.testmod(dedup, verbose=False)
    assert tried > 0 and failures == 0


def test_every_public_name_is_documented():
    for name in dedup.__all__:
        obj = getattr(dedup, name)
        assert obj.__doc__ and len(obj.__doc__) > 20, name
    for method in ("sign", "sign_many"):
        assert "GIL" in dedup.Sketcher.sign_many.__doc__ and getattr(dedup.Sketcher, method).__doc__
    for method in ("check_and_insert", "query", "remove", "expire", "export", "stats", "close"):
        assert getattr(dedup.Index, method).__doc__, method
