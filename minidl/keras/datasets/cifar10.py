"""``keras.datasets.cifar10``: ``load_data()`` from ``minidl.datasets.cifar10``."""

from minidl.datasets.cifar10 import load_data

__all__ = ["load_data"]
