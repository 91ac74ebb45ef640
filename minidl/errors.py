"""minidl's public exception classes, in one place.

Bad *arguments* raise Python's own ``ValueError`` / ``TypeError`` with a message naming the
layer or argument, what it received and what it expected, as Keras does. The classes below are
for the problems a program may want to catch by kind: a file that cannot be used, a dataset that
is missing or damaged. Each also derives from the built-in class an older caller would have
caught (``FileNotFoundError``, ``ValueError``), so catching those keeps working.

Every error about a file names the file and what is wrong with it, and is raised without the
chained tracebacks of the library calls underneath (``raise ... from None``); the original
exception, where one exists, is kept on the ``cause`` attribute for debugging.
"""

import tokenize

# What NumPy's .npy header parser (np.lib.format.read_array_header_*) raises on a damaged header:
# ValueError for most, but a flipped bit can also give the parser NUL bytes (SyntaxError), an
# unclosed bracket (tokenize.TokenError) or a wrong type (TypeError). Every reader of .npy data
# catches all of them and reports the file.
MALFORMED_NPY_HEADER_ERRORS = (ValueError, SyntaxError, TypeError, tokenize.TokenError, RecursionError)

__all__ = [
    "ChecksumMismatchError",
    "CorruptDatasetError",
    "DatasetCacheWarning",
    "DatasetError",
    "DatasetNotFoundError",
    "DistributedError",
    "MinidlError",
    "ModelFileError",
    "RankFailedError",
    "RankMismatchError",
    "RankTimeoutError",
    "UnreadableImageError",
    "UnsupportedError",
]


class MinidlError(Exception):
    """Base class of minidl's own exceptions."""

    def __init__(self, message, *, path=None, cause=None):
        super().__init__(message)
        self.path = path  # the file the error is about, when there is one
        self.cause = cause  # the lower-level exception that revealed the problem, if any


class DatasetError(MinidlError):
    """Base class for every dataset problem minidl reports."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset file is not on disk and could not be downloaded."""

    def __str__(self):  # FileNotFoundError would print "[Errno None] ..." for some argument lists
        return self.args[0] if self.args else ""


class CorruptDatasetError(DatasetError, ValueError):
    """A dataset file exists but is truncated, corrupt, altered or not the expected format."""


class ChecksumMismatchError(CorruptDatasetError):
    """A file's SHA-256 differs from the one published for it."""


class UnreadableImageError(CorruptDatasetError):
    """An image file could not be decoded (so also a ``ValueError``)."""


class DatasetCacheWarning(UserWarning):
    """minidl removed a damaged file from its own cache and rebuilt or downloaded it again."""


class ModelFileError(MinidlError, ValueError):
    """A model or weights file that cannot be used: corrupt, truncated, crafted, or for another model."""


class DistributedError(MinidlError, RuntimeError):
    """Data-parallel training (``minidl.distributed``) cannot go on."""


class RankFailedError(DistributedError):
    """Another rank raised an exception or died; ``failed_rank`` says which (None if unknown)."""

    def __init__(self, message, *, failed_rank=None, cause=None):
        super().__init__(message, cause=cause)
        self.failed_rank = failed_rank


class RankTimeoutError(DistributedError, TimeoutError):
    """A collective operation did not complete on every rank within the time allowed."""


class RankMismatchError(DistributedError, ValueError):
    """The ranks disagree about what they train: the model, the optimizer or the data."""


class UnsupportedError(MinidlError, AttributeError):
    """A Keras or TensorFlow name that minidl's faces do not provide; the message says what to
    use instead. An AttributeError, so ``hasattr`` is False for it."""
