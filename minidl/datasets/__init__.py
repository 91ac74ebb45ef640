"""Dataset loaders with Keras's signatures, returning NumPy arrays.

``mnist``, ``fashion_mnist``, ``imdb``, ``boston_housing`` and ``cifar10`` mirror
``keras.datasets``; the other modules read the files the labs use (the Deep Learning Workshop's
CSVs and Alice text, Sonar) and formats users may have (image folders, Amazon reviews, text8,
NLTK corpora, GloVe/word2vec vectors).  Files are found by :mod:`minidl.datasets._resolve`:
``$MINIDL_DATA_DIR/<name>/``, then ``$MINIDL_CACHE_DIR`` or ``~/.minidl/datasets/<name>/``, then
known system folders, then a checksum-verified download.

Integrity is a property of every loader, not a check per case: known files are verified against
their published checksums (once, remembered in ``<cache>/verified-files.json``, again when the
file changes), archives are read to the end so their CRCs are checked, every size a header
declares is checked before memory is spent on it, a damaged file in minidl's own cache is removed
(with a :class:`DatasetCacheWarning`) and rebuilt or downloaded again, and every error about a
file is one of :mod:`minidl.errors`'s classes naming the file and the problem.  See
:mod:`minidl.datasets._resolve` and :mod:`minidl.datasets._integrity`.
"""

from minidl.datasets import (
    alice,
    amazon_fine_food,
    book_ch02,
    boston_housing,
    cifar10,
    fashion_mnist,
    image_folder,
    imdb,
    mnist,
    nltk_corpora,
    review_csv,
    sonar,
    stocks,
    text8,
    word_vectors,
)
from minidl.datasets._integrity import DatasetCacheWarning
from minidl.datasets._resolve import cache_dir, data_dir
from minidl.errors import (
    ChecksumMismatchError,
    CorruptDatasetError,
    DatasetError,
    DatasetNotFoundError,
)

__all__ = [
    "alice", "amazon_fine_food", "book_ch02", "boston_housing", "cifar10", "fashion_mnist", "image_folder",
    "imdb", "mnist", "nltk_corpora", "review_csv", "sonar", "stocks", "text8", "word_vectors",
    "ChecksumMismatchError", "CorruptDatasetError", "DatasetCacheWarning", "DatasetError", "DatasetNotFoundError",
    "cache_dir", "data_dir",
]
