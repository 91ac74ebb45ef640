"""text8: the first 10^8 characters of a cleaned English Wikipedia dump (Matt Mahoney), one line of
lower-case words separated by single spaces -- the classic word2vec training corpus.

Reads ``text8`` or ``text8.zip`` from ``<data dir>/text8/`` (or a path given to
:func:`load_words`).  Nobody publishes a checksum for these files, so they get format checks: the
zip must hold the single member ``text8`` of at most 10^8 bytes (checked in the zip's directory
before anything is inflated, and read to the end so its CRC is checked), and the text must be
plain ASCII.
"""

import os
import pathlib
import zipfile

from minidl.datasets._archives import read_zip_member
from minidl.datasets._errors import corrupt, reading
from minidl.datasets._resolve import DatasetSpec, RemoteFile, find_local, load_file

MAX_BYTES = 10 ** 8  # text8 is by definition the first 10^8 characters
SPEC = DatasetSpec(
    name="text8",
    files=(RemoteFile("text8"), RemoteFile("text8.zip", "http://mattmahoney.net/dc/text8.zip")),
    homepage="http://mattmahoney.net/dc/textdata.html",
    notes="Either the text8 file or text8.zip will do.",
)


def load_words(path=None, max_words=None):
    """The corpus as a list of words (optionally only the first ``max_words``)."""
    if path is not None:
        text = _read_text(pathlib.Path(path))
    elif find_local(SPEC, "text8") is not None:
        text = load_file(SPEC, "text8", _read_text, download=False)
    else:
        text = load_file(SPEC, "text8.zip", _read_text, download=False)
    words = text.split()
    return words[:max_words] if max_words is not None else words


def _read_text(path):
    if str(path).endswith(".zip"):
        raw = _read_zip(path)
    else:
        with reading(path):
            size = os.stat(path).st_size
            if size > MAX_BYTES:
                raise corrupt(path, f"{size} bytes; text8 holds at most {MAX_BYTES}") from None
            with open(path, "rb") as stream:
                raw = stream.read()
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as error:
        raise corrupt(path, f"text8 must be plain ASCII ({error})", error) from None


def _read_zip(path):
    with reading(path), zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if names != ["text8"]:
        raise corrupt(path, f"expected a single member 'text8', found {names[:5]}") from None
    return read_zip_member(path, "text8", MAX_BYTES)
