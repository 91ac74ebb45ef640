"""UCI Sonar (mines vs rocks): 208 sonar returns x 60 energies, as the Deep Learning Workshop ships it.

The book's ``sonar.csv`` has a header ``attribute_1,...,attribute_60,Class`` and class values
``Rock``/``Mine`` (97 Rock rows, then 111 Mine).  The original UCI file (no header, ``R``/``M``)
is accepted too; its labels are mapped to ``Rock``/``Mine``.
"""

import numpy as np

from minidl.datasets._errors import corrupt
from minidl.datasets._formats import read_csv_rows, to_float_matrix
from minidl.datasets._resolve import DatasetSpec, RemoteFile, load_file

FILE = "sonar.csv"
ROWS = 208
FEATURES = 60
SPEC = DatasetSpec(
    name="sonar",
    files=(RemoteFile(FILE),),
    homepage="https://archive.ics.uci.edu/dataset/151/connectionist+bench+sonar+mines+vs+rocks",
)
_LABELS = {"R": "Rock", "M": "Mine", "Rock": "Rock", "Mine": "Mine"}


def load_data():
    """``(x, labels, feature_names)``: x float64 (208, 60), labels a str array of Rock/Mine."""
    return load_file(SPEC, FILE, _read)


def load_dataframe():
    """The table as a pandas DataFrame (columns ``attribute_1 ... attribute_60, Class``)."""
    import pandas as pd

    x, labels, names = load_data()
    frame = pd.DataFrame(x, columns=list(names))
    frame["Class"] = labels
    return frame


def _read(path):
    header, rows = read_csv_rows(path)
    if header[0].startswith("attribute"):
        body = rows
    else:  # the headerless UCI file: the "header" is the first data row
        body = [header] + rows
        header = [f"attribute_{i}" for i in range(1, FEATURES + 1)] + ["Class"]
    if len(header) != FEATURES + 1 or len(body) != ROWS:
        raise corrupt(path, f"{len(body)} rows x {len(header)} columns, expected {ROWS} x {FEATURES + 1}") from None
    unknown = sorted({row[-1] for row in body} - set(_LABELS))
    if unknown:
        raise corrupt(path, f"unknown class labels {unknown}, expected Rock/Mine or R/M") from None
    x = to_float_matrix([row[:-1] for row in body], path)
    labels = np.array([_LABELS[row[-1]] for row in body])
    return x, labels, tuple(header[:-1])
