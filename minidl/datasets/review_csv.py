"""Two-column review files: one text column and one 0/1 label column.

The Deep Learning Workshop's Activity 6.01 reads ``Amazon_reviews_train.csv`` and
``Amazon_reviews_test.csv`` with the columns ``review_text,label`` (25,000 rows each).
:func:`read_review_csv` reads any such file; :func:`load_amazon_reviews` resolves the book's
two files under ``<data dir>/amazon-reviews/``.
"""

import csv

import numpy as np

from minidl.datasets._errors import corrupt, reading
from minidl.datasets._formats import require_final_line_break
from minidl.datasets._resolve import DatasetSpec, RemoteFile, load_files

TRAIN_FILE = "Amazon_reviews_train.csv"
TEST_FILE = "Amazon_reviews_test.csv"
SPEC = DatasetSpec(
    name="amazon-reviews",
    files=(RemoteFile(TRAIN_FILE), RemoteFile(TEST_FILE)),
    homepage="https://github.com/PacktWorkshops/The-Deep-Learning-Workshop (Chapter06)",
)


def read_review_csv(path, text_column="review_text", label_column="label"):
    """``(texts, labels)`` from a CSV with a header; labels as int64.

    If the named columns are absent and the file has exactly two columns, the first is taken
    as the text and the second as the label.
    """
    require_final_line_break(path)
    with reading(path), open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, strict=True)
        header = next(reader, None)
        if header is None:
            raise corrupt(path, "the file is empty") from None
        header = [name.strip() for name in header]
        if text_column in header and label_column in header:
            text_at, label_at = header.index(text_column), header.index(label_column)
        elif len(header) == 2:
            text_at, label_at = 0, 1
        else:
            raise corrupt(path, f"columns {header}; expected {text_column!r} and {label_column!r} or exactly "
                                "two columns") from None
        texts, labels = [], []
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise corrupt(path, f"line {line} has {len(row)} fields, expected {len(header)}") from None
            label = _label(row[label_at])
            if label is None:
                raise corrupt(path, f"line {line}: label {row[label_at]!r} is not a whole number") from None
            labels.append(label)
            texts.append(row[text_at])
    return texts, np.array(labels, dtype=np.int64)


def load_amazon_reviews():
    """``(train_texts, train_labels), (test_texts, test_labels)`` from the book's two files."""
    tables = load_files(SPEC, {TRAIN_FILE: read_review_csv, TEST_FILE: read_review_csv})
    return tables[TRAIN_FILE], tables[TEST_FILE]


def _label(cell):
    """``int(float(cell))`` for a finite whole number, else ``None``."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None
