"""The four-file IDX layout MNIST and Fashion-MNIST share, and a loader for it.

Both datasets are verified by the SHA-256 of each file's *decompressed* contents as well as of
the canonical ``.gz`` download (:mod:`minidl.datasets._integrity`): the development copies and
Debian's package are recompressed, so only their contents can match.  The content hashes below
are those of the canonical files, as also published by other projects that pin these datasets.
"""

from minidl.datasets._errors import corrupt
from minidl.datasets._formats import read_idx_gz
from minidl.datasets._resolve import RemoteFile, load_files

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILENAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
TRAIN_COUNT = 60000
TEST_COUNT = 10000
IMAGE_SHAPE = (28, 28)

# (magic number, item count, item shape, decompressed size) of each file.
LAYOUT = {
    TRAIN_IMAGES: (2051, TRAIN_COUNT, IMAGE_SHAPE, 16 + TRAIN_COUNT * 28 * 28),
    TRAIN_LABELS: (2049, TRAIN_COUNT, (), 8 + TRAIN_COUNT),
    TEST_IMAGES: (2051, TEST_COUNT, IMAGE_SHAPE, 16 + TEST_COUNT * 28 * 28),
    TEST_LABELS: (2049, TEST_COUNT, (), 8 + TEST_COUNT),
}


def idx_files(mirror, file_sha256, content_sha256):
    """The four :class:`RemoteFile` of an MNIST-style dataset (hashes given per file name)."""
    return tuple(
        RemoteFile(name, mirror + name, file_sha256[name], content_sha256[name], LAYOUT[name][3])
        for name in FILENAMES
    )


def load_idx_dataset(spec):
    """``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, each file checked.

    Images are (N, 28, 28), labels (N,); the counts must be 60,000 and 10,000.
    """

    def reader(name):
        magic, count, item_shape, _size = LAYOUT[name]

        def read(path):
            array = read_idx_gz(path, magic, count, item_shape)
            if magic == 2049 and array.size and array.max() > 9:
                raise corrupt(path, f"holds label {int(array.max())}; labels are 0-9") from None
            return array

        return read

    arrays = load_files(spec, {name: reader(name) for name in FILENAMES})
    return (arrays[TRAIN_IMAGES], arrays[TRAIN_LABELS]), (arrays[TEST_IMAGES], arrays[TEST_LABELS])
