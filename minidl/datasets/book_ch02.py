"""The Deep Learning Workshop's chapter 2 files: ``data.csv`` (21 two-feature points) and its
``iris.csv``.

The book's ``iris.csv`` has the columns ``petallength,petalwidth,sepallength,sepalwidth,species``
although the values are in the usual sepal length, sepal width, petal length, petal width order;
the names are returned as the file has them (the book's exact results depend on the file as is).
Species are the integers 0, 1, 2.
"""

import numpy as np

from minidl.datasets._errors import corrupt
from minidl.datasets._formats import read_csv_rows, to_float_matrix
from minidl.datasets._resolve import DatasetSpec, RemoteFile, load_file, resolve

POINTS_FILE = "data.csv"
IRIS_FILE = "iris.csv"
SPEC = DatasetSpec(
    name="book-ch02",
    files=(RemoteFile(POINTS_FILE), RemoteFile(IRIS_FILE)),
    homepage="https://github.com/PacktWorkshops/The-Deep-Learning-Workshop (Chapter02)",
)


def load_points():
    """``data.csv``: ``(x, y)`` with x float64 (21, 2) from columns x1, x2 and y int64 labels."""
    return load_file(SPEC, POINTS_FILE, _read_points)


def load_iris():
    """``iris.csv``: ``(x, y, feature_names)``, x float64 (150, 4), y int64 species 0-2."""
    return load_file(SPEC, IRIS_FILE, _read_iris)


def load_dataframe(filename):
    """``data.csv`` or ``iris.csv`` as a pandas DataFrame, read exactly as the book does."""
    import pandas as pd

    if filename not in (POINTS_FILE, IRIS_FILE):
        raise ValueError(f"book_ch02.load_dataframe: filename must be {POINTS_FILE!r} or {IRIS_FILE!r}, got {filename!r}")
    path = resolve(SPEC, [filename], verify=_read_points if filename == POINTS_FILE else _read_iris)[filename]
    return pd.read_csv(path)


def _read_points(path):
    _header, rows = read_csv_rows(path, expected_columns=("label", "x1", "x2"), expected_rows=21)
    table = to_float_matrix(rows, path)
    if not np.isin(table[:, 0], (0, 1)).all():
        raise corrupt(path, "the label column must hold 0 or 1") from None
    return table[:, 1:], table[:, 0].astype("int64")


def _read_iris(path):
    header, rows = read_csv_rows(path, expected_rows=150)
    if len(header) != 5 or header[-1] != "species":
        raise corrupt(path, f"header {header}, expected four measurements and 'species'") from None
    table = to_float_matrix(rows, path)
    species = table[:, 4]
    if not np.isin(species, (0, 1, 2)).all():
        raise corrupt(path, "the species column must hold the integers 0, 1 and 2") from None
    return table[:, :4], species.astype("int64"), tuple(header[:4])
