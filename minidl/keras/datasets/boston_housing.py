"""``keras.datasets.boston_housing``: ``load_data()`` from ``minidl.datasets.boston_housing``."""

from minidl.datasets.boston_housing import load_data

__all__ = ["load_data"]
