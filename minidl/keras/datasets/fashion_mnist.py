"""``keras.datasets.fashion_mnist``: ``load_data()`` from ``minidl.datasets.fashion_mnist``."""

from minidl.datasets.fashion_mnist import load_data

__all__ = ["load_data"]
