"""Turning whatever goes wrong while reading a data file into one clear, public error.

The standard library reports a damaged file in many ways -- ``EOFError`` from gzip, ``zlib.error``,
``BadZipFile``, ``UnicodeDecodeError``, ``csv.Error``, an ``OSError`` with or without the path --
and none of them says which dataset file was being read or what that means for the user.  Every
reader in :mod:`minidl.datasets` runs inside :func:`reading`, which re-raises them as

* :class:`~minidl.errors.DatasetNotFoundError` for a file or folder that does not exist,
* :class:`~minidl.errors.CorruptDatasetError` for a file that exists but cannot be used,
* :class:`~minidl.errors.DatasetError` for a file that exists but may not be read (permissions),

always with the file's path first in the message, the problem in plain words, the original
exception kept on ``cause`` and no chained traceback (``raise ... from None``).  minidl's own
errors pass through unchanged.
"""

import contextlib
import csv
import gzip
import pickle
import struct
import zipfile
import zlib

from minidl.errors import CorruptDatasetError, DatasetError, DatasetNotFoundError, MinidlError

# What the standard library raises for a damaged, truncated or mislabelled file.
DAMAGED_FILE_ERRORS = (
    EOFError, zlib.error, zipfile.BadZipFile, zipfile.LargeZipFile, gzip.BadGzipFile, UnicodeError,
    csv.Error, struct.error, pickle.UnpicklingError, ValueError, OSError,
)


def corrupt(path, problem, cause=None, where=None):
    """A :class:`CorruptDatasetError` saying ``<where or path>: <problem>`` (raise it ``from None``).

    ``where`` names a part of the file, such as an archive member (``archive.tar.gz:member``).
    """
    return CorruptDatasetError(f"{where or path}: {problem}", path=path, cause=cause)


def describe(error):
    """The problem an exception from a file reader reveals, in words a user can act on."""
    text = str(error) or type(error).__name__
    if isinstance(error, EOFError):
        return f"truncated or damaged: the compressed data ends early ({text})"
    if isinstance(error, gzip.BadGzipFile) and "CRC" in text:
        return f"damaged: gzip's CRC check failed, so the data was altered or corrupted ({text})"
    if isinstance(error, gzip.BadGzipFile) and "length" in text:
        return f"damaged: gzip's length check failed ({text})"
    if isinstance(error, gzip.BadGzipFile):
        return f"not a complete gzip file, or a damaged one ({text})"
    if isinstance(error, zlib.error):
        return f"truncated or damaged compressed data ({text})"
    if isinstance(error, zipfile.BadZipFile):
        return f"not a complete zip file, or a damaged one ({text})"
    if isinstance(error, UnicodeError):
        return f"not UTF-8 text ({text})"
    if isinstance(error, csv.Error):
        return f"not a well-formed CSV file ({text})"
    if isinstance(error, IsADirectoryError):
        return "is a folder, expected a file"
    return f"cannot be read ({type(error).__name__}: {text})"


@contextlib.contextmanager
def reading(path, what="file"):
    """Run the body; re-raise a low-level failure as minidl's error naming ``path``.

    ``what`` names the thing in the not-found message (``"file"``, ``"folder"``).
    """
    try:
        yield
    except MinidlError:
        raise
    except FileNotFoundError as error:
        raise DatasetNotFoundError(f"{path}: no such {what}", path=path, cause=error) from None
    except PermissionError as error:
        raise DatasetError(f"{path}: cannot be read, permission denied", path=path, cause=error) from None
    except DAMAGED_FILE_ERRORS as error:
        raise corrupt(path, describe(error), error) from None
