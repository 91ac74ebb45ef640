"""Daily stock prices as the Deep Learning Workshop's chapter 5 ships them (``AAPL.csv``,
``IBM.csv``, ``MSFT.csv``; note the book's "AAPL.csv" actually holds IBM's prices).

The files list the newest day first and their headers have spaces after the commas
(``Date,Close, Open, ...``); :func:`load_prices` strips the names and can reverse the rows into
time order, which is what the chapter's first step does.
"""

import numpy as np

from minidl.datasets._errors import corrupt
from minidl.datasets._formats import read_csv_rows, to_float_matrix
from minidl.datasets._resolve import DatasetSpec, RemoteFile, load_file, resolve

SYMBOLS = ("AAPL", "IBM", "MSFT")
SPEC = DatasetSpec(
    name="stocks",
    files=tuple(RemoteFile(f"{symbol}.csv") for symbol in SYMBOLS),
    homepage="https://github.com/PacktWorkshops/The-Deep-Learning-Workshop (Chapter05)",
)


def load_prices(symbol, oldest_first=False):
    """``{column: array}`` for ``<symbol>.csv``: ``Date`` as datetime64[D], the rest float64.

    Rows are in file order (newest first) unless ``oldest_first``.  Column names are stripped
    (``' Open'`` becomes ``'Open'``).
    """
    spec, filename = _spec(symbol)
    columns = load_file(spec, filename, _read)
    if oldest_first:
        columns = {name: values[::-1].copy() for name, values in columns.items()}
    return columns


def load_dataframe(symbol):
    """``pd.read_csv('<symbol>.csv')`` as the book reads it (column names keep their spaces)."""
    import pandas as pd

    spec, filename = _spec(symbol)
    path = resolve(spec, [filename], verify=_read)[filename]
    return pd.read_csv(path)


def _spec(symbol):
    """The spec that holds ``<symbol>.csv`` (any symbol's file in the stocks folder is read)."""
    if not isinstance(symbol, str) or not symbol.replace("-", "").replace(".", "").isalnum():
        raise ValueError(f"stocks: symbol must be a ticker such as 'AAPL' (letters, digits, '.', '-'), got {symbol!r}")
    filename = f"{symbol}.csv"
    if filename in {remote.filename for remote in SPEC.files}:
        return SPEC, filename
    return DatasetSpec(name=SPEC.name, files=SPEC.files + (RemoteFile(filename),), homepage=SPEC.homepage), filename


def _read(path):
    header, rows = read_csv_rows(path)
    if not rows or header[:2] != ["Date", "Close"]:
        raise corrupt(path, f"header {header}, expected it to start with Date, Close and hold data rows") from None
    try:
        dates = np.array([_parse_date(row[0]) for row in rows], dtype="datetime64[D]")
    except ValueError as error:
        raise corrupt(path, f"a Date cell is not month/day/year ({error})", error) from None
    values = to_float_matrix([row[1:] for row in rows], path)
    columns = {"Date": dates}
    for position, name in enumerate(header[1:]):
        columns[name] = values[:, position]
    return columns


def _parse_date(text):
    month, day, year = (int(part) for part in text.split("/"))
    return f"{year:04d}-{month:02d}-{day:02d}"
