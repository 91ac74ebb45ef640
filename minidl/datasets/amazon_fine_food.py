"""Amazon Fine Food Reviews (Kaggle ``Reviews.csv``, 568,454 reviews) for the LSTM polarity notebook.

The notebook loads pickles prepared elsewhere (291,336 train + 72,835 test = 364,171 reviews,
245,654 / 45,682 positive / negative in train).  Those counts are the ones the widely used
preparation of this dataset produces, and :func:`load_reviews` performs it:

1. drop reviews with ``Score == 3`` (neutral);
2. sort by ``ProductId`` (stable sort, so ties keep file order);
3. drop duplicates on ``(UserId, ProfileName, Time, Text)``, keeping the first;
4. drop rows with ``HelpfulnessNumerator > HelpfulnessDenominator`` (data errors);
5. label ``Score > 3`` as positive (1), ``Score < 3`` as negative (0).

The CSV is parsed with the standard-library ``csv`` module (no pandas needed).  This dataset is
not available in minidl's development data; the loader is tested on a small file in the same
format.
"""

import csv

import numpy as np

from minidl.datasets._errors import corrupt, reading
from minidl.datasets._formats import require_final_line_break
from minidl.datasets._resolve import DatasetSpec, RemoteFile, load_file

FILE = "Reviews.csv"
COLUMNS = ("Id", "ProductId", "UserId", "ProfileName", "HelpfulnessNumerator", "HelpfulnessDenominator",
           "Score", "Time", "Summary", "Text")
SPEC = DatasetSpec(
    name="amazon-fine-food",
    files=(RemoteFile(FILE),),
    homepage="https://www.kaggle.com/datasets/snap/amazon-fine-food-reviews (or https://snap.stanford.edu/data/web-FineFoods.html)",
)


def load_reviews(path=None, sort_by_time=False):
    """``(texts, labels, times)`` after the cleanup above: a list of review texts, int64 labels
    (1 positive) and int64 Unix times.  Rows are in ProductId order, or by ``Time`` (stable) with
    ``sort_by_time=True`` (for a time-based train/test split)."""
    rows = _read_rows(path) if path is not None else load_file(SPEC, FILE, _read_rows)
    rows = [row for row in rows if row["Score"] != 3]
    rows.sort(key=lambda row: row["ProductId"])
    seen = set()
    kept = []
    for row in rows:
        key = (row["UserId"], row["ProfileName"], row["Time"], row["Text"])
        if key in seen:
            continue
        seen.add(key)
        if row["HelpfulnessNumerator"] <= row["HelpfulnessDenominator"]:
            kept.append(row)
    if sort_by_time:
        kept.sort(key=lambda row: row["Time"])
    texts = [row["Text"] for row in kept]
    labels = np.array([1 if row["Score"] > 3 else 0 for row in kept], dtype=np.int64)
    times = np.array([row["Time"] for row in kept], dtype=np.int64)
    return texts, labels, times


def _read_rows(path):
    require_final_line_break(path)
    with reading(path), open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream, strict=True)
        missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise corrupt(path, f"lacks the Reviews.csv columns {missing}") from None
        rows = []
        for row in reader:
            line = reader.line_num
            expected = len(reader.fieldnames)
            found = expected + len(row[None]) if None in row else sum(value is not None for value in row.values())
            if found != expected:
                raise corrupt(path, f"line {line} has {found} fields, expected {expected} "
                                    "(truncated or damaged file?)") from None
            try:
                for name in ("HelpfulnessNumerator", "HelpfulnessDenominator", "Score", "Time"):
                    row[name] = int(row[name])
            except ValueError as error:
                raise corrupt(path, f"line {line} has a non-integer Score/Time/Helpfulness ({error})", error) from None
            if not 1 <= row["Score"] <= 5:
                raise corrupt(path, f"line {line} has Score {row['Score']}; scores are 1-5") from None
            rows.append(row)
    return rows
