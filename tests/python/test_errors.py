"""Every error class: raised with the C++ status message, also the matching built-in exception."""

import pytest

import dedup
from conftest import FIXTURES

# absl::StatusCode -> (class, built-in base).
CLASSES = {
    2: (dedup.Error, Exception),
    3: (dedup.InvalidArgumentError, ValueError),
    5: (dedup.NotFoundError, FileNotFoundError),
    6: (dedup.AlreadyExistsError, FileExistsError),
    7: (dedup.PermissionDeniedError, PermissionError),
    8: (dedup.ResourceExhaustedError, MemoryError),
    9: (dedup.FailedPreconditionError, ValueError),
    11: (dedup.OutOfRangeError, ValueError),
    13: (dedup.InternalError, RuntimeError),
    14: (dedup.UnavailableError, OSError),
    15: (dedup.DataLossError, OSError),
}


@pytest.mark.parametrize("code", sorted(CLASSES))
def test_translation_of_every_code(code):
    cls, builtin = CLASSES[code]
    with pytest.raises(cls) as e:
        dedup._dedup._raise_status(code, "file.jsonl:3: the message")
    assert type(e.value) is cls
    assert isinstance(e.value, dedup.Error) and isinstance(e.value, builtin)
    assert str(e.value) == "file.jsonl:3: the message"
    assert e.value.args == ("file.jsonl:3: the message",)


def test_unmapped_codes_are_the_base_class():
    with pytest.raises(dedup.Error) as e:
        dedup._dedup._raise_status(4, "deadline")  # kDeadlineExceeded: not used by dedup.
    assert type(e.value) is dedup.Error


# Real operations that fail with each code dedup's library returns (the index's
# AlreadyExists, FailedPrecondition, DataLoss, NotFound and OutOfRange: test_index.py).
def test_real_failures(tmp_path):
    with pytest.raises(dedup.InvalidArgumentError, match="UTF-8"):
        dedup.Sketcher().sign(b"\xc3")
    with pytest.raises(dedup.NotFoundError, match="no-such"):
        dedup.cluster(tmp_path / "no-such")
    with pytest.raises(dedup.ResourceExhaustedError, match="max-document-bytes 100"):
        dedup.cluster(FIXTURES / "news", max_document_bytes=100)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(dedup.PermissionDeniedError, match="Not a directory"):
        dedup.Index(not_a_folder / "i.dedup")  # stat(): ENOTDIR, not ENOENT.
    with pytest.raises(dedup.InvalidArgumentError, match="is a directory"):
        dedup.Index(tmp_path)


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError):
        dedup.Sketcher().sign(12)
    with pytest.raises(TypeError):
        dedup.compare("a", None)
    with pytest.raises(TypeError):
        dedup.Index(3)
