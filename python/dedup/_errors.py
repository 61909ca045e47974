"""dedup's exceptions: one class per absl::StatusCode the C++ library returns.

Every exception dedup raises for a failed C++ operation is a ``dedup.Error`` carrying the
C++ status message unchanged (``str(e)``; the code is ``e.code``, e.g. ``"INVALID_ARGUMENT"``).
Each class also derives from the built-in exception of the same meaning, so code that
catches ``ValueError`` or ``FileNotFoundError`` keeps working:

====================================  ===================  ================================
class                                 also a               raised for
====================================  ===================  ================================
``InvalidArgumentError``              ``ValueError``       bad options, bad documents,
                                                           invalid UTF-8, a file that is
                                                           not a dedup index
``OutOfRangeError``                   ``ValueError``       a time outside 0001..9999
``FailedPreconditionError``           ``ValueError``       index parameters that differ
                                                           from the stored ones; a closed
                                                           index; a newer index format
``NotFoundError``                     ``FileNotFoundError``  a missing input or index
``AlreadyExistsError``                ``FileExistsError``  creating an index over a file
``PermissionDeniedError``             ``PermissionError``  a read-only file or folder
``DataLossError``                     ``OSError``          a truncated or corrupt index
``UnavailableError``                  ``OSError``          an I/O error (disk full, ...)
``ResourceExhaustedError``            ``MemoryError``      a limit reached (a document
                                                           over max_document_bytes, ...)
``InternalError``                     ``RuntimeError``     a broken invariant (a bug)
``Error``                             ``Exception``        anything else
====================================  ===================  ================================

Wrong Python types (a list where a str is expected, an unknown keyword) raise
``TypeError``, as for any Python function.
"""

from __future__ import annotations


class Error(Exception):
    """Base class of the exceptions for failed dedup operations (a C++ absl::Status)."""

    code = "UNKNOWN"


class InvalidArgumentError(Error, ValueError):
    """Bad input or options (absl::StatusCode::kInvalidArgument)."""

    code = "INVALID_ARGUMENT"


class OutOfRangeError(Error, ValueError):
    """A value outside the range dedup accepts (kOutOfRange)."""

    code = "OUT_OF_RANGE"


class FailedPreconditionError(Error, ValueError):
    """The operation does not fit the state (kFailedPrecondition): a parameter mismatch."""

    code = "FAILED_PRECONDITION"


class NotFoundError(Error, FileNotFoundError):
    """A file, index or id that does not exist (kNotFound)."""

    code = "NOT_FOUND"


class AlreadyExistsError(Error, FileExistsError):
    """Something is already there (kAlreadyExists)."""

    code = "ALREADY_EXISTS"


class PermissionDeniedError(Error, PermissionError):
    """The file system refused access (kPermissionDenied)."""

    code = "PERMISSION_DENIED"


class DataLossError(Error, OSError):
    """A truncated or corrupt index file (kDataLoss)."""

    code = "DATA_LOSS"


class UnavailableError(Error, OSError):
    """An I/O operation failed (kUnavailable)."""

    code = "UNAVAILABLE"


class ResourceExhaustedError(Error, MemoryError):
    """A size or memory limit was reached (kResourceExhausted)."""

    code = "RESOURCE_EXHAUSTED"


class InternalError(Error, RuntimeError):
    """An internal invariant failed (kInternal): please report it."""

    code = "INTERNAL"


# absl::StatusCode values (absl/status/status.h).
_BY_CODE = {
    2: Error,  # kUnknown
    3: InvalidArgumentError,
    5: NotFoundError,
    6: AlreadyExistsError,
    7: PermissionDeniedError,
    8: ResourceExhaustedError,
    9: FailedPreconditionError,
    11: OutOfRangeError,
    13: InternalError,
    14: UnavailableError,
    15: DataLossError,
}


def from_status(code: int, message: str) -> Error:
    """The exception for a C++ status (called by the extension's exception translator)."""
    return _BY_CODE.get(code, Error)(message)
