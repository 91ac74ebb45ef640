"""``tf.data`` sources that read files: ``TextLineDataset`` (one string per line) and
``tf.data.experimental.CsvDataset`` (one tuple of typed scalars per CSV record), as the
TensorFlow tutorials use them (``CsvDataset('HIGGS.csv.gz', [float(),]*29,
compression_type='GZIP')``).

Each pass over the dataset reads the files again, record by record, so a large file is never
held in memory whole. ``compression_type`` may be ``None``/``''``, ``'GZIP'`` or ``'ZLIB'``, as in
TensorFlow.
"""

import csv
import gzip
import io
import os
import zlib

import numpy as np

from minidl.tf import dtypes

_CSV_DTYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)


def TextLineDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None,  # noqa: N802
                    name=None):
    """``tf.data.TextLineDataset``: the lines of the files (without their line ends), as strings."""
    from minidl.tf.data import UNKNOWN_CARDINALITY, _dataset

    paths = _file_paths("TextLineDataset", filenames)
    compression = _compression("TextLineDataset", compression_type)

    def iterate():
        for path in paths:
            with _open_text(path, compression) as file:
                for line in file:
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
        for path in paths:
            with _open_text(path, compression) as file:
                for number, fields in enumerate(csv.reader(file, **dialect), start=1):
                    if (header and number == 1) or not fields:
                        continue
                    where = f"record {number} of {path}"
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


def _open_text(path, compression):
    if compression == "GZIP":
        return gzip.open(path, "rt", newline="", encoding="utf-8")
    if compression == "ZLIB":
        with open(path, "rb") as file:
            return io.StringIO(zlib.decompress(file.read()).decode("utf-8"), newline="")
    return open(path, newline="", encoding="utf-8")
