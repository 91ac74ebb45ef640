"""Fashion-MNIST (Zalando), as ``keras.datasets.fashion_mnist.load_data()`` returns it.

Same IDX layout and the same checks as MNIST (published SHA-256 of the ``.gz`` or of its
decompressed contents).  Besides ``$MINIDL_DATA_DIR`` and the user cache, Debian's
``dataset-fashion-mnist`` package location ``/usr/share/datasets/fashion-mnist`` is searched.
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

_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

SPEC = DatasetSpec(
    name="fashion-mnist",
    files=idx_files(
        _MIRROR,
        file_sha256={
            TRAIN_IMAGES: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            TRAIN_LABELS: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            TEST_IMAGES: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            TEST_LABELS: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
        content_sha256={
            TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    ),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    homepage="https://github.com/zalandoresearch/fashion-mnist",
)


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (60000, 28, 28) / (10000, 28, 28)
    and uint8 labels 0-9 (names in :data:`CLASS_NAMES`)."""
    return load_idx_dataset(SPEC)
