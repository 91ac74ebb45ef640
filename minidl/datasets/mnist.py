"""MNIST handwritten digits, as ``keras.datasets.mnist.load_data()`` returns them.

Reads the four canonical gzip'd IDX files (``train-images-idx3-ubyte.gz`` and friends) found by
the usual resolution (``$MINIDL_DATA_DIR/mnist``, ``~/.minidl/datasets/mnist``) or downloaded
from a mirror of the canonical files.  Every file must match the published SHA-256 of the
canonical ``.gz`` or of its decompressed contents (which a recompressed copy keeps), so a
valid-looking file with altered images or labels is refused.
"""

from minidl.datasets._mnist_format import (
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    idx_files,
    load_idx_dataset,
)
from minidl.datasets._resolve import DatasetSpec

_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"

SPEC = DatasetSpec(
    name="mnist",
    files=idx_files(
        _MIRROR,
        file_sha256={
            TRAIN_IMAGES: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        content_sha256={
            TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
    ),
    homepage="http://yann.lecun.com/exdb/mnist/",
)


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (60000, 28, 28) / (10000, 28, 28)
    with values 0-255, and uint8 labels 0-9."""
    return load_idx_dataset(SPEC)
