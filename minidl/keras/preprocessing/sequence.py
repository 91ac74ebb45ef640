"""``keras.preprocessing.sequence``: ``pad_sequences`` (Keras's defaults: pre-padding, pre-truncation)."""

from minidl.preprocessing.sequence import pad_sequences

__all__ = ["pad_sequences"]
