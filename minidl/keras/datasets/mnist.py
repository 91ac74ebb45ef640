"""``keras.datasets.mnist``: ``load_data()`` from ``minidl.datasets.mnist``."""

from minidl.datasets.mnist import load_data

__all__ = ["load_data"]
