"""``keras.datasets.imdb``: ``load_data`` and ``get_word_index`` from ``minidl.datasets.imdb``."""

from minidl.datasets.imdb import get_word_index, load_data

__all__ = ["get_word_index", "load_data"]
