"""Keras 2's ``keras.layers.embeddings``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    Embedding,
)

__all__ = ["Embedding"]
