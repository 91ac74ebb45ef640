"""Format checks and readers shared by the loaders: gzip'd IDX files and CSV tables.

Each reader either returns the whole, verified content or raises
:class:`~minidl.errors.CorruptDatasetError` naming the file, so a truncated download or a damaged
copy is never half-used.  The IDX reader checks the dimensions its header declares against what
the dataset needs (and against what the compressed file could possibly inflate to) before it
allocates the array, reads the data straight into it, and then reads the gzip stream to its end
so that a flipped bit anywhere fails gzip's CRC check.
"""

import csv
import io
import math
import os

import numpy as np

from minidl.datasets._archives import DEFLATE_MAX_RATIO, InflatedStream
from minidl.datasets._errors import corrupt, reading

IDX_MAGIC = {2049: 1, 2051: 3}  # labels: 1-D, images: 3-D; both unsigned bytes
IDX_KIND = {2049: "labels (idx1)", 2051: "images (idx3)"}
MAX_IDX_BYTES = 1 << 31


def read_idx_gz(path, magic, count=None, item_shape=None):
    """Read and verify one gzip'd IDX file (big-endian magic, dimension sizes, uint8 data).

    ``magic`` is 2051 for images or 2049 for labels; ``count`` (if given) is the number of items
    and ``item_shape`` (if given) the shape of one item, e.g. ``(28, 28)``.  The data must be
    exactly as long as the header says.  Returns a uint8 array.
    """
    ndim = IDX_MAGIC[magic]
    header_size = 4 + 4 * ndim
    with reading(path), InflatedStream(path, MAX_IDX_BYTES + header_size + 1) as stream:
        header = stream.read(header_size)
        while len(header) < header_size:
            more = stream.read(header_size - len(header))
            if not more:
                break
            header += more
        shape = _idx_shape(header, path, magic, header_size)
        if count is not None and shape[0] != count:
            raise corrupt(path, f"holds {shape[0]} items, expected {count}") from None
        if item_shape is not None and shape[1:] != tuple(item_shape):
            raise corrupt(path, f"holds items of shape {shape[1:]}, expected {tuple(item_shape)}") from None
        nbytes = math.prod(shape)
        expected = header_size + nbytes
        possible = DEFLATE_MAX_RATIO * os.stat(path).st_size + 1024
        if nbytes > MAX_IDX_BYTES or expected > possible:
            raise corrupt(path, f"IDX header declares shape {shape} ({expected} bytes), more than this file can "
                                "hold (damaged or crafted header)") from None
        data = np.empty(nbytes, dtype=np.uint8)
        done = stream.readinto_exactly(data, "the IDX data")
        if done < nbytes:
            raise corrupt(path, f"IDX header promises shape {shape} ({expected} bytes) but the file holds "
                                f"{header_size + done} bytes") from None
        if stream.read(1):
            raise corrupt(path, f"IDX header promises shape {shape} ({expected} bytes) but the file holds more"
                          ) from None
    return data.reshape(shape)


def parse_idx(raw, path, magic, count=None):
    """Parse IDX bytes already in memory (see :func:`read_idx_gz`, which reads a file bounded)."""
    ndim = IDX_MAGIC[magic]
    header_size = 4 + 4 * ndim
    shape = _idx_shape(raw[:header_size], path, magic, header_size)
    expected = header_size + math.prod(shape)
    if len(raw) != expected:
        raise corrupt(path, f"IDX header promises shape {shape} ({expected} bytes) but the file holds {len(raw)} "
                            "bytes") from None
    if count is not None and shape[0] != count:
        raise corrupt(path, f"holds {shape[0]} items, expected {count}") from None
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def verify_gzip(path, max_bytes=1 << 34):
    """Decompress ``path`` to its end (CRC and length checked), keeping nothing in memory."""
    with reading(path), InflatedStream(path, max_bytes) as stream:
        stream.drain()


def _idx_shape(header, path, magic, header_size):
    if len(header) < 4:
        raise corrupt(path, f"only {len(header)} bytes, too short for an IDX header") from None
    found = int.from_bytes(header[:4], "big")
    if found != magic:
        raise corrupt(path, f"IDX magic number {found}, expected {magic} ({IDX_KIND[magic]}); "
                            "not an MNIST-style file") from None
    if len(header) < header_size:
        raise corrupt(path, f"IDX header is truncated ({len(header)} bytes)") from None
    return tuple(int.from_bytes(header[4 + 4 * i: 8 + 4 * i], "big") for i in range(IDX_MAGIC[magic]))


def require_final_line_break(path):
    """Refuse a text file whose last line has no line break: it was cut short.

    Without a published checksum this is the only sign of a text table truncated inside its
    last value (``...,21.6`` cut to ``...,21`` still parses).  Every writer of these formats
    ends its lines with a line break.
    """
    with reading(path), open(path, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        if stream.tell() == 0:
            raise corrupt(path, "the file is empty") from None
        stream.seek(-1, os.SEEK_END)
        last = stream.read(1)
    if last not in (b"\n", b"\r"):
        raise corrupt(path, "truncated or damaged: the last line does not end with a line break (if the file is "
                            "complete, add one)") from None


def read_csv_rows(path, expected_columns=None, expected_rows=None, strip_header=True):
    """A CSV file as ``(header, rows)`` of strings, with its shape checked.

    ``strip_header`` removes the spaces some files have around their column names (the book's
    stock files say ``Date,Close, Open, ...``).  Every row must have as many fields as the header,
    quoting must be well formed, and the file must end with a line break.
    """
    require_final_line_break(path)
    with reading(path):
        with open(path, encoding="utf-8-sig", newline="") as stream:
            text = stream.read()
        rows = [row for row in csv.reader(io.StringIO(text), strict=True) if row]
    if not rows:
        raise corrupt(path, "the file is empty") from None
    header = [name.strip() for name in rows[0]] if strip_header else rows[0]
    body = rows[1:]
    if expected_columns is not None and header != list(expected_columns):
        raise corrupt(path, f"header is {header}, expected {list(expected_columns)}") from None
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise corrupt(path, f"line {number} has {len(row)} fields, expected {len(header)} "
                                "(truncated or damaged file?)") from None
    if expected_rows is not None and len(body) != expected_rows:
        raise corrupt(path, f"{len(body)} data rows, expected {expected_rows}") from None
    return header, body


def to_float_matrix(rows, path, columns=None):
    """Rows of numeric strings as a finite float64 array (a bad cell names the file and line)."""
    width = len(columns) if columns is not None else len(rows[0]) if rows else 0
    table = np.empty((len(rows), width))
    for number, row in enumerate(rows):
        cells = row if columns is None else [row[i] for i in columns]
        if len(cells) != width:
            raise corrupt(path, f"data row {number + 1} has {len(cells)} values, expected {width}") from None
        try:
            table[number] = [float(cell) for cell in cells]
        except ValueError:
            bad = next(cell for cell in cells if not _is_number(cell))
            raise corrupt(path, f"data row {number + 1}: {bad!r} is not a number") from None
    if not np.isfinite(table).all():
        row = int(np.argwhere(~np.isfinite(table))[0][0])
        raise corrupt(path, f"data row {row + 1} holds a value that is not a finite number") from None
    return table


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True
