"""``tf.data`` sources that read files: ``TextLineDataset`` (one string per line),
``tf.data.experimental.CsvDataset`` (one tuple of typed scalars per CSV record),
``tf.data.experimental.make_csv_dataset`` (batches of named columns, types inferred) and
``Dataset.list_files``, as the TensorFlow tutorials use them (``CsvDataset('HIGGS.csv.gz',
[float(),]*29, compression_type='GZIP')``, ``make_csv_dataset(path, batch_size=5,
label_name='survived')``). ``decode_csv`` (``tf.io.decode_csv``) parses lines already read.

Each pass over the dataset reads the files again, record by record, so a large file is never
held in memory whole: a compressed file is decompressed as it is read, a bounded chunk at a time.
``compression_type`` may be ``None``/``''``, ``'GZIP'`` or ``'ZLIB'``, as in TensorFlow. Files are
read as UTF-8 text.

A file that cannot be read as asked -- not compressed the way ``compression_type`` says, cut
short or damaged, not UTF-8 text, not well-formed CSV -- raises
:class:`~minidl.errors.CorruptDatasetError` (a ``ValueError``) naming the reader, the file and
what is wrong, when the dataset is iterated and reaches the problem.
"""

import contextlib
import csv
import glob
import gzip
import io
import os
import zlib

import numpy as np

from minidl.datasets._errors import describe
from minidl.errors import CorruptDatasetError
from minidl.tf import dtypes

_CSV_DTYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)


def TextLineDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None,  # noqa: N802
                    name=None):
    """``tf.data.TextLineDataset``: the lines of the files (without their line ends), as strings."""
    from minidl.tf.data import UNKNOWN_CARDINALITY, _dataset

    what = "TextLineDataset"
    paths = _file_paths(what, filenames)
    compression = _compression(what, compression_type)

    def iterate():
        for path in paths:
            for line in _text_lines(what, path, compression):
                yield np.asarray(line.rstrip("\r\n").encode(), dtype=object)

    return _dataset(iterate, UNKNOWN_CARDINALITY)


def CsvDataset(filenames, record_defaults, compression_type=None, buffer_size=None, header=False,  # noqa: N802
               field_delim=",", use_quote_delim=True, na_value="", select_cols=None, exclude_cols=None, name=None):
    """``tf.data.experimental.CsvDataset``: each CSV record as a tuple of scalars, one per column.

    ``record_defaults`` has one entry per (selected) column: a default value (``float()``,
    ``0``, ``''``, ``[0.0]``, a scalar tensor) makes the column optional and sets its dtype
    (a Python float is float32, an int int32, as in TensorFlow); a dtype (``tf.float32``) or an
    empty tensor makes it required. Empty fields and ``na_value`` take the default.
    """
    from minidl.tf.data import UNKNOWN_CARDINALITY, _dataset

    what = "tf.data.experimental.CsvDataset"
    paths = _file_paths(what, filenames)
    compression = _compression(what, compression_type)
    columns = [_csv_column(what, index, default) for index, default in enumerate(_listed(record_defaults))]
    if not columns:
        raise ValueError(f"{what}: record_defaults must name at least one column, got {record_defaults!r}")
    if select_cols is not None and exclude_cols is not None:
        raise ValueError(f"{what}: give select_cols or exclude_cols, not both")
    if select_cols is not None and len(select_cols) != len(columns):
        raise ValueError(f"{what}: select_cols names {len(select_cols)} columns but record_defaults has "
                         f"{len(columns)} entries; give one default per selected column")
    dialect = {"delimiter": field_delim, "quoting": csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE}

    def chosen_fields(fields, where):
        if select_cols is not None:
            picked = [fields[i] for i in select_cols if i < len(fields)]
        elif exclude_cols is not None:
            picked = [field for i, field in enumerate(fields) if i not in set(exclude_cols)]
        else:
            picked = fields
        if len(picked) != len(columns):
            raise ValueError(f"{what}: {where} has {len(picked)} fields, but record_defaults describes "
                             f"{len(columns)} columns")
        return picked

    def iterate():
        for where, fields in _csv_records(what, paths, compression, dialect, header):
            yield tuple(_csv_value(what, column, field, na_value, where)
                        for column, field in zip(columns, chosen_fields(fields, where)))

    return _dataset(iterate, UNKNOWN_CARDINALITY)


def _listed(values):
    if hasattr(values, "numpy") and not isinstance(values, (list, tuple)):
        values = values.numpy()
    return list(values)


def _csv_column(what, index, default):
    """(dtype, default or None) of one record_defaults entry."""
    if isinstance(default, (np.dtype, type)) and not isinstance(default, (str, bytes)):
        dtype, value = dtypes.as_dtype(default), None
    else:
        array = dtypes.inferred_array(default.numpy() if hasattr(default, "numpy") else default)
        dtype = dtypes.string if array.dtype == object else array.dtype
        if array.size > 1:
            raise ValueError(f"{what}: record_defaults[{index}] must be a scalar default, a one-value list or a "
                             f"dtype, got {default!r}")
        value = None if array.size == 0 else array.reshape(())
    if dtype not in _CSV_DTYPES:
        raise TypeError(f"{what}: record_defaults[{index}] has dtype {dtype}; CSV columns may be float32, "
                        f"float64, int32, int64 or string")
    return dtype, value


def _csv_value(what, column, field, na_value, where):
    dtype, default = column
    if field == "" or field == na_value:
        if default is None:
            raise ValueError(f"{what}: {where}: a required field (no default in record_defaults) is empty")
        return default
    try:
        if dtype == dtypes.string:
            return np.asarray(field.encode(), dtype=object)
        if dtype.kind == "f":
            return dtype.type(float(field))
        return dtype.type(int(field))
    except ValueError:
        raise ValueError(f"{what}: {where}: field {field!r} is not a valid {dtype}") from None


def _file_paths(what, filenames):
    if hasattr(filenames, "numpy"):
        filenames = filenames.numpy()
    if isinstance(filenames, np.ndarray):
        filenames = filenames.tolist()
    if isinstance(filenames, (str, bytes, os.PathLike)):
        filenames = [filenames]
    paths = [os.fsdecode(path) for path in filenames]
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{what}: no such file: {path}")
    return paths


def _compression(what, compression_type):
    compression = (compression_type or "").upper()
    if compression not in ("", "GZIP", "ZLIB"):
        raise ValueError(f"{what}: compression_type must be None, '', 'GZIP' or 'ZLIB', got {compression_type!r}")
    return compression


def _csv_records(what, paths, compression, dialect, header):
    """``(where, fields)`` for every non-empty record of the CSV files, the header lines skipped;
    ``where`` ("record 3 of data.csv") names the record in error messages."""
    for path in paths:
        for number, fields in enumerate(_csv_rows(what, path, compression, dialect), start=1):
            if (header and number == 1) or not fields:
                continue
            yield f"record {number} of {path}", fields


def _csv_rows(what, path, compression, dialect):
    """The CSV records of one file, each a list of fields (empty for a blank line); text the csv
    module cannot parse (such as a field over its size limit) is reported with its line."""
    reader = csv.reader(_text_lines(what, path, compression), **dialect)
    try:
        yield from reader
    except csv.Error as error:
        raise CorruptDatasetError(f"{what}: {path}: line {reader.line_num}: not well-formed CSV ({error})",
                                  path=path, cause=error) from None


# -- reading a file's text, decompressed as it is read ---------------------------------------------

_ZLIB_INPUT_CHUNK = 1 << 16  # compressed bytes fed to zlib at a time
_ZLIB_OUTPUT_CHUNK = 1 << 18  # decompressed bytes handed to the text decoder at a time
_COMPRESSED_NAMES = {"GZIP": "gzip", "ZLIB": "zlib"}


def _text_lines(what, path, compression):
    """The lines of one file (line ends kept, as ``csv`` needs them), decompressed and decoded a
    chunk at a time. A file that is not compressed as ``compression`` says, is cut short or
    damaged, or is not UTF-8 text raises CorruptDatasetError where reading fails."""
    try:
        with _open_text(path, compression) as file:
            yield from file
    except (EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError) as error:
        raise _unreadable(what, path, compression, error) from None


def _open_text(path, compression):
    """``path`` as a text stream: UTF-8, decompressed on the fly, line ends left as they are."""
    if compression == "GZIP":
        return gzip.open(path, "rt", newline="", encoding="utf-8")
    if compression == "ZLIB":
        return io.TextIOWrapper(io.BufferedReader(_ZlibReader(path), _ZLIB_OUTPUT_CHUNK), encoding="utf-8",
                                newline="")
    return open(path, newline="", encoding="utf-8")


class _ZlibReader(io.RawIOBase):
    """The decompressed bytes of a zlib stream (RFC 1950, TensorFlow's ``compression_type='ZLIB'``),
    produced as they are read: at most ``_ZLIB_INPUT_CHUNK`` compressed and one read's size of
    decompressed bytes are held at a time, however far the data inflates. A stream that stops
    before its end marker raises EOFError; bytes after it raise zlib.error."""

    def __init__(self, path):
        self._file = open(path, "rb")
        self._inflater = zlib.decompressobj()
        self._pending = b""  # decompressed bytes not yet handed out (only after a flush)

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._pending and not self._inflater.eof:
            self._pending = self._inflate(len(buffer))
        if not self._pending:
            self._check_nothing_follows()
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def _inflate(self, size):
        """Up to ``size`` more decompressed bytes (possibly none, while zlib reads its header)."""
        compressed = self._inflater.unconsumed_tail or self._file.read(_ZLIB_INPUT_CHUNK)
        if compressed:
            return self._inflater.decompress(compressed, size)
        rest = self._inflater.flush()  # the file has ended: what zlib still holds, a few KiB at most
        if not self._inflater.eof:
            raise EOFError("the zlib stream ends before its end marker")
        return rest

    def _check_nothing_follows(self):
        if self._inflater.unused_data or self._file.read(1):
            raise zlib.error("more data follows the end of the zlib stream")

    def close(self):
        if not self.closed:
            self._file.close()
        super().close()


def _unreadable(what, path, compression, error):
    """The CorruptDatasetError for ``error``, met while reading ``path``: what is wrong, in words a
    user can act on, with a hint when the file looks compressed otherwise than ``compression`` says."""
    looks = _sniffed_compression(path)
    wrong_format = isinstance(error, zlib.error) or "Not a gzipped file" in str(error)
    if compression and looks != compression and wrong_format:
        name = _COMPRESSED_NAMES[compression]
        problem = f"compression_type={compression!r} but the file is not {name}-compressed ({error})"
    elif isinstance(error, UnicodeDecodeError):
        byte = error.object[error.start:error.start + 1]
        problem = f"not UTF-8 text (the byte 0x{byte.hex()} cannot be decoded: {error.reason}); {what} reads UTF-8 text"
    else:
        problem = describe(error)
    if looks is not None and looks != compression:
        problem += f"; the file starts like {_COMPRESSED_NAMES[looks]} data: pass compression_type={looks!r}"
    return CorruptDatasetError(f"{what}: {path}: {problem}", path=path, cause=error)


def _sniffed_compression(path):
    """'GZIP' or 'ZLIB' if the file starts as one written by gzip or zlib does, else None."""
    try:
        with open(path, "rb") as file:
            start = file.read(2)
    except OSError:
        return None
    if start == b"\x1f\x8b":
        return "GZIP"
    if start in (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda"):  # zlib's headers, by level
        return "ZLIB"
    return None


# -- make_csv_dataset -------------------------------------------------------------------------------

def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None, label_name=None,
                     select_columns=None, field_delim=",", use_quote_delim=True, na_value="", header=True,
                     num_epochs=None, shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False, num_rows_for_inference=100,
                     compression_type=None, ignore_errors=False, encoding="utf-8"):
    """``tf.data.experimental.make_csv_dataset``: batches of ``{column name: values}`` (and the
    ``label_name`` column apart, as ``(features, label)``), read from the files matching
    ``file_pattern``. Column names come from the header (or ``column_names``); each column's
    type from ``column_defaults`` or, as TensorFlow does, from the first
    ``num_rows_for_inference`` rows: int32 when every value is an integer, float32 when every
    value is a number, else string. ``num_epochs=None`` repeats forever, as in TensorFlow."""
    from minidl.tf.data import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, _dataset

    what = "tf.data.experimental.make_csv_dataset"
    paths = _matching_files(what, file_pattern)
    compression = _compression(what, compression_type)
    dialect = {"delimiter": field_delim, "quoting": csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE}
    names = _csv_column_names(what, paths[0], compression, dialect, column_names, header)
    if label_name is not None and label_name not in names:
        raise ValueError(f"{what}: label_name {label_name!r} is not a column; the columns are {names}")
    kept = names if select_columns is None else [names[c] if isinstance(c, int) else c for c in select_columns]
    unknown = sorted(set(kept) - set(names))
    if unknown:
        raise ValueError(f"{what}: select_columns names {unknown}, which are not columns of {names}")
    columns = _csv_column_types(what, paths, compression, dialect, names, kept, column_defaults, header, na_value,
                                int(num_rows_for_inference))

    def rows():
        for where, fields in _csv_records(what, paths, compression, dialect, header):
            try:
                if len(fields) != len(names):
                    raise ValueError(f"{what}: {where} has {len(fields)} fields, but there are {len(names)} columns")
                by_name = dict(zip(names, fields))
                yield {name: _csv_value(what, columns[name], by_name[name], na_value, where) for name in kept}
            except ValueError:
                if not ignore_errors:
                    raise

    def iterate():
        epoch = 0
        while num_epochs is None or epoch < int(num_epochs):
            records = list(rows())
            if shuffle:
                order = np.random.default_rng(None if shuffle_seed is None else [int(shuffle_seed), epoch])
                records = [records[i] for i in order.permutation(len(records))]
            for start in range(0, len(records), int(batch_size)):
                chunk = records[start:start + int(batch_size)]
                batch = {name: np.stack([record[name] for record in chunk]) for name in kept}
                if label_name is None:
                    yield batch
                else:
                    label = batch.pop(label_name)
                    yield batch, label
            epoch += 1

    return _dataset(iterate, INFINITE_CARDINALITY if num_epochs is None else UNKNOWN_CARDINALITY)


def _csv_column_names(what, path, compression, dialect, column_names, header):
    if column_names is not None:
        return list(column_names)
    if not header:
        raise ValueError(f"{what}: with header=False, give column_names")
    with contextlib.closing(_csv_rows(what, path, compression, dialect)) as rows:
        first = next(rows, None)
    if not first:
        raise ValueError(f"{what}: {path} is empty; expected a header row of column names")
    return first


def _csv_column_types(what, paths, compression, dialect, names, kept, column_defaults, header, na_value, count):
    """{name: (dtype, default)} from ``column_defaults`` or inferred from the first rows."""
    if column_defaults is not None:
        defaults = list(column_defaults)
        if len(defaults) != len(names):
            raise ValueError(f"{what}: column_defaults has {len(defaults)} entries for {len(names)} columns")
        return {name: _csv_column(what, index, default) for index, (name, default) in enumerate(zip(names, defaults))}
    samples = {name: [] for name in names}
    with contextlib.closing(_csv_rows(what, paths[0], compression, dialect)) as rows:
        if header:
            next(rows, None)
        for fields in rows:
            if len(fields) == len(names):
                for name, field in zip(names, fields):
                    if field != "" and field != na_value:
                        samples[name].append(field)
            if len(samples[names[0]]) >= count:
                break
    return {name: (_inferred_dtype(samples[name]), _empty_default(_inferred_dtype(samples[name])))
            for name in names}


def _inferred_dtype(values):
    def parses(kind, value):
        try:
            kind(value)
            return True
        except ValueError:
            return False

    if values and all(parses(int, v) for v in values):
        return dtypes.int32
    if values and all(parses(float, v) for v in values):
        return dtypes.float32
    return dtypes.string


def _empty_default(dtype):
    """The value an empty field takes in an inferred column (TensorFlow's zero of the type)."""
    if dtype == dtypes.string:
        return np.asarray(b"", dtype=object)
    return dtype.type(0)


def _matching_files(what, file_pattern):
    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes, os.PathLike)) else list(file_pattern)
    paths = []
    for pattern in patterns:
        pattern = os.fsdecode(pattern)
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise FileNotFoundError(f"{what}: no files match {pattern}")
        paths.extend(matches)
    return paths


def list_files(file_pattern, shuffle=None, seed=None, name=None):
    """``tf.data.Dataset.list_files``: the file names matching ``file_pattern`` (a glob, or a
    list of them), as strings, shuffled each pass unless ``shuffle=False``."""
    from minidl.tf.data import _dataset, _shuffle_generator

    paths = [np.asarray(path.encode(), dtype=object) for path in _matching_files("Dataset.list_files", file_pattern)]
    passes = []

    def iterate():
        if shuffle is False:
            return iter(paths)
        rng = _shuffle_generator(seed, len(passes))
        passes.append(None)
        return iter([paths[i] for i in rng.permutation(len(paths))])

    return _dataset(iterate, len(paths))


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, na_value="", select_cols=None,
               name=None):
    """``tf.io.decode_csv``: the CSV lines in ``records`` (a string or an array of them) parsed
    into one tensor per column, typed by ``record_defaults`` as in ``CsvDataset``."""
    from minidl.tf.tensor import constant

    what = "tf.io.decode_csv"
    lines = records.numpy() if hasattr(records, "numpy") else records
    array = np.asarray(lines, dtype=object)
    columns = [_csv_column(what, index, default) for index, default in enumerate(_listed(record_defaults))]
    dialect = {"delimiter": field_delim, "quoting": csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE}
    flat = [line.decode() if isinstance(line, bytes) else str(line) for line in array.reshape(-1)]
    parsed = [[] for _ in columns]
    for number, fields in enumerate(csv.reader(flat, **dialect)):
        if select_cols is not None:
            fields = [fields[i] for i in select_cols]
        if len(fields) != len(columns):
            raise ValueError(f"{what}: record {number} has {len(fields)} fields, but record_defaults describes "
                             f"{len(columns)} columns")
        for values, column, field in zip(parsed, columns, fields):
            values.append(_csv_value(what, column, field, na_value, f"record {number}"))
    return [constant(_column_array(values, column[0]).reshape(array.shape)) for values, column in zip(parsed, columns)]


def _column_array(values, dtype):
    if not values:
        return np.zeros(0, dtype=object if dtype == dtypes.string else dtype)
    return np.stack(values)
