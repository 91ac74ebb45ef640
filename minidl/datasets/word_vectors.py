"""Pre-trained word vectors: GloVe (``word v1 v2 ...`` per line), word2vec's text format (the
same, after a ``count dimension`` header line) and word2vec's binary format (``binary=True``: the
same header, then per word its UTF-8 bytes, a space and ``dimension`` little-endian float32
numbers, word2vec.c adding a line break after each; GoogleNews-vectors-negative300.bin is one).
``.gz`` files are read directly.

Returns plain ``(words, vectors)``; :class:`minidl.text.KeyedVectors` offers the query API.

These are user files with no published checksum, so they get full format checks: every line must
hold a word and exactly ``dimension`` finite numbers, no word may be listed twice (which of its
vectors would be meant?), a word2vec header's ``count`` must match the lines that follow, a plain
file must end with a line break (a file cut inside its last number still parses), and a ``.gz``
file is read to its end (also when ``max_words`` stops early) so its CRC is checked.  Sizes are
bounded before memory is spent on them: a header declaring more vectors than the file could hold
is refused before any line is read, and lines longer than :data:`MAX_LINE_CHARS` (a
300-dimensional GloVe line is about 3,000 characters) are refused without reading them whole.
"""

import gzip
import io
import os
import pathlib

import numpy as np

from minidl.datasets._archives import CHUNK, DEFLATE_MAX_RATIO
from minidl.datasets._errors import corrupt, reading

MAX_LINE_CHARS = 1 << 20
MAX_DIMENSION = 100_000


def load_word_vectors(path, max_words=None, dtype="float32", binary=False, unicode_errors="strict"):
    """``(words, vectors)`` from a GloVe or word2vec text file (format detected from line 1), or
    from a word2vec binary file with ``binary=True``.

    ``max_words`` keeps only the first words (such files list frequent words first).  Every
    line must have the same dimension; a bad line is reported with its number.
    ``unicode_errors`` is how words that are not UTF-8 are decoded: "strict" refuses the file,
    "replace" or "ignore" keep going (GoogleNews-vectors holds a few broken words).
    """
    if max_words is not None and (isinstance(max_words, bool) or not isinstance(max_words, (int, np.integer))
                                  or max_words < 1):
        raise ValueError(f"load_word_vectors: max_words must be a positive int or None, got {max_words!r}")
    if unicode_errors not in ("strict", "replace", "ignore"):
        raise ValueError(f"load_word_vectors: unicode_errors must be 'strict', 'replace' or 'ignore', "
                         f"got {unicode_errors!r}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"load_word_vectors: dtype must be a floating-point type, got {dtype}")
    path = pathlib.Path(path)
    compressed = path.suffix == ".gz"
    with reading(path):
        size = os.stat(path).st_size
        raw = gzip.open(path, "rb") if compressed else open(path, "rb")
        with raw, io.TextIOWrapper(raw, encoding="utf-8", errors=unicode_errors) as stream:
            capacity = DEFLATE_MAX_RATIO * size + 1024 if compressed else size
            if binary:
                words, rows, declared = _parse_binary(raw, path, capacity, max_words, unicode_errors)
            else:
                words, rows, declared = _parse(stream, path, capacity, max_words, unicode_errors)
            if compressed and max_words is not None:
                while raw.read(CHUNK):  # the rest is not used, but its CRC must still be checked
                    pass
    if not words:
        raise corrupt(path, "no word vectors found") from None
    if declared is not None and max_words is None and len(words) != declared:
        raise corrupt(path, f"the header declares {declared} vectors but the file holds {len(words)} "
                            "(truncated file?)") from None
    return words, np.stack(rows).astype(dtype, copy=False)


def _parse(stream, path, capacity, max_words, unicode_errors):
    words, rows = [], []
    first_lines = {}  # word -> the line it is on
    declared = dimension = None
    number = 0
    ended = True
    while max_words is None or len(words) < max_words:
        line = stream.readline(MAX_LINE_CHARS + 1)
        if not line:
            if not ended:
                raise corrupt(path, f"truncated or damaged: the last line ({number}) does not end with a line "
                                    "break (if the file is complete, add one)") from None
            break
        ended = line.endswith(("\n", "\r"))
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise corrupt(path, f"line {number} is longer than {MAX_LINE_CHARS} characters; not a word-vector "
                                "text file") from None
        parts = line.rstrip("\r\n").rstrip(" ").split(" ")
        if number == 1 and len(parts) == 2 and all(part.isascii() and part.isdigit() for part in parts):
            declared, dimension = int(parts[0]), int(parts[1])
            _check_header(path, declared, dimension, capacity)
            continue
        if not line.strip():
            continue
        if dimension is None:
            dimension = len(parts) - 1
            if not 1 <= dimension <= MAX_DIMENSION:
                raise corrupt(path, f"line {number} holds {dimension} values; expected 1 to {MAX_DIMENSION}") from None
        if len(parts) != dimension + 1:
            raise corrupt(path, f"line {number} has {len(parts) - 1} values, expected {dimension} (truncated file?)"
                          ) from None
        if not parts[0]:
            raise corrupt(path, f"line {number} starts with a space instead of a word") from None
        try:
            vector = np.array(parts[1:], dtype=np.float64)
        except ValueError as error:
            raise corrupt(path, f"line {number} holds a non-number ({error})", error) from None
        if not np.isfinite(vector).all():
            raise corrupt(path, f"line {number} holds a value that is not a finite number") from None
        _check_new_word(path, parts[0], number, first_lines, "lines", unicode_errors)
        words.append(parts[0])
        rows.append(vector)
        if declared is not None and len(words) > declared:
            raise corrupt(path, f"the header declares {declared} vectors but the file holds more") from None
    return words, rows, declared


def _parse_binary(raw, path, capacity, max_words, unicode_errors):
    """word2vec's binary format from the byte stream ``raw``: (words, rows, declared count)."""
    header = raw.readline(64)
    parts = header.split()
    if not header.endswith(b"\n") or len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise corrupt(path, f"not a word2vec binary file: the first line must be 'count dimension', got "
                            f"{header[:40]!r}") from None
    declared, dimension = int(parts[0]), int(parts[1])
    _check_header(path, declared, dimension, capacity, smallest_entry=2 + 4 * dimension)
    words, rows = [], []
    first_vectors = {}  # word -> the number of its vector
    wanted = declared if max_words is None else min(declared, max_words)
    while len(words) < wanted:
        number = len(words) + 1
        word = bytearray()
        while True:  # the word runs to the next space; word2vec.c's line break before it is dropped
            byte = raw.read(1)
            if not byte:
                raise corrupt(path, f"truncated: the header declares {declared} vectors, the file ends in "
                                    f"vector {number}") from None
            if byte == b" ":
                break
            if byte != b"\n" or word:
                word += byte
            if len(word) > MAX_LINE_CHARS:
                raise corrupt(path, f"word {number} is longer than {MAX_LINE_CHARS} bytes; not a word2vec "
                                    "binary file") from None
        if not word:
            raise corrupt(path, f"vector {number} has an empty word") from None
        values = raw.read(4 * dimension)
        if len(values) != 4 * dimension:
            raise corrupt(path, f"truncated: vector {number} of {declared} is cut short") from None
        vector = np.frombuffer(values, dtype="<f4").astype(np.float64)
        if not np.isfinite(vector).all():
            raise corrupt(path, f"vector {number} holds a value that is not a finite number") from None
        try:
            text = word.decode("utf-8", errors=unicode_errors)
        except UnicodeDecodeError as error:
            raise corrupt(path, f"word {number} is not UTF-8 text ({error})", error) from None
        _check_new_word(path, text, number, first_vectors, "vectors", unicode_errors)
        words.append(text)
        rows.append(vector)
    if max_words is None:
        rest = raw.read(2)
        if rest.strip(b"\n"):
            raise corrupt(path, f"the header declares {declared} vectors but the file holds more") from None
    return words, rows, declared


def _check_new_word(path, word, number, first_places, places, unicode_errors):
    """Refuse a word met before: with two vectors for one word, "the vector of this word" has no
    right answer, and keeping one (gensim keeps the first, with only a log message) would drop the
    other unseen. ``first_places`` maps each word to where it was first met; ``places`` names
    those places ("lines", "vectors") in the message."""
    first = first_places.setdefault(word, number)
    if first == number:
        return
    problem = f"the word {word!r} is listed more than once ({places} {first} and {number})"
    if unicode_errors != "strict":
        problem += f"; unicode_errors={unicode_errors!r} may have made two different words the same"
    raise corrupt(path, problem) from None


def save_word_vectors_binary(stream, words, vectors):
    """Write word2vec's binary format (as word2vec.c does, a line break after each vector)."""
    stream.write(f"{len(words)} {vectors.shape[1]}\n".encode())
    for word, vector in zip(words, np.asarray(vectors, dtype="<f4")):
        stream.write(word.encode("utf-8") + b" " + vector.tobytes() + b"\n")


def _check_header(path, count, dimension, capacity, smallest_entry=None):
    if not 1 <= dimension <= MAX_DIMENSION:
        raise corrupt(path, f"the header declares {dimension} values per vector; expected 1 to {MAX_DIMENSION}"
                      ) from None
    if smallest_entry is None:
        smallest_entry = 2 * dimension + 2  # a one-letter word, one-digit values, separators
    smallest = count * smallest_entry
    if smallest > capacity:
        raise corrupt(path, f"the header declares {count} vectors of {dimension} values (at least {smallest} "
                            f"bytes) but the file can hold at most {capacity}") from None
