"""``keras.datasets``: the datasets the labs use, loaded by minidl's verified loaders
(``$MINIDL_DATA_DIR``, the cache, or a checked download), with Keras's ``load_data`` signatures."""

from minidl.keras.datasets import boston_housing, cifar10, fashion_mnist, imdb, mnist

__all__ = ["boston_housing", "cifar10", "fashion_mnist", "imdb", "mnist"]
