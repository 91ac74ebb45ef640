"""Boston housing prices (506 districts, 13 features, target MEDV in $1000s).

``load_data(test_split=0.2, seed=113)`` reproduces ``keras.datasets.boston_housing.load_data``:
the rows in their original order are shuffled with ``np.random.RandomState(seed).shuffle`` of
``arange(506)``, and the first ``int(506 * (1 - test_split))`` rows (404 by default) are the
training set, the remaining 102 the test set.

Sources, in order: ``housing.csv`` (header ``CRIM,...,LSTAT,MEDV``, original row order) found
locally, else Keras's ``boston_housing.npz`` (arrays ``x`` and ``y`` in the same original order),
found locally or downloaded and checked against its published SHA-256.  The ``.npz`` is read
without pickle and with its arrays' declared shapes checked before anything is allocated.
"""

import numpy as np

from minidl.datasets._archives import read_npz
from minidl.datasets._errors import corrupt
from minidl.datasets._formats import read_csv_rows, to_float_matrix
from minidl.datasets._resolve import DatasetSpec, RemoteFile, find_local, load_file

FEATURE_NAMES = ("CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT")
TARGET_NAME = "MEDV"
ROWS = 506
CSV_FILE = "housing.csv"
NPZ_FILE = "boston_housing.npz"

SPEC = DatasetSpec(
    name="boston",
    files=(
        RemoteFile(CSV_FILE),
        RemoteFile(NPZ_FILE, "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz",
                   "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),
    ),
    homepage="http://lib.stat.cmu.edu/datasets/boston",
    notes=f"Either {CSV_FILE} (header {','.join(FEATURE_NAMES + (TARGET_NAME,))}) or Keras's {NPZ_FILE} will do.",
)


def load_arrays():
    """All 506 rows in the original order: ``(x, y, feature_names)``, x float64 (506, 13)."""
    if find_local(SPEC, CSV_FILE) is not None:
        table = load_file(SPEC, CSV_FILE, _read_csv)
        return table[:, :-1], table[:, -1], FEATURE_NAMES
    x, y = load_file(SPEC, NPZ_FILE, _read_npz)
    return x, y, FEATURE_NAMES


def load_dataframe():
    """The full table as a pandas DataFrame with columns ``CRIM ... LSTAT, MEDV`` (needs pandas)."""
    import pandas as pd

    x, y, names = load_arrays()
    frame = pd.DataFrame(x, columns=list(names))
    frame[TARGET_NAME] = y
    return frame


def load_data(test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)`` split as Keras does (404 / 102 rows by default)."""
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1), got {test_split!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"boston_housing.load_data: seed must be an int >= 0, got {seed!r}")
    x, y, _names = load_arrays()
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut].copy(), y[:cut].copy()), (x[cut:].copy(), y[cut:].copy())


def _read_csv(path):
    _header, rows = read_csv_rows(path, expected_columns=FEATURE_NAMES + (TARGET_NAME,), expected_rows=ROWS)
    return to_float_matrix(rows, path)


def _read_npz(path):
    def expect(shape):
        def accept(dtype, found):
            if dtype.kind not in "fiu":
                return f"dtype {dtype}, expected numbers"
            if found != shape:
                return f"shape {found}, expected {shape}"
            return None
        return accept

    arrays = read_npz(path, {"x": expect((ROWS, len(FEATURE_NAMES))), "y": expect((ROWS,))}, max_member_bytes=1 << 20)
    x, y = arrays["x"].astype(np.float64), arrays["y"].astype(np.float64)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise corrupt(path, "holds values that are not finite numbers") from None
    return x, y
