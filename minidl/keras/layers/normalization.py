"""Keras 2's ``keras.layers.normalization``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    BatchNormalization,
    LayerNormalization,
)

__all__ = ["BatchNormalization", "LayerNormalization"]
