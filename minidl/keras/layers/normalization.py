"""Keras 2's ``keras.layers.normalization``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)

__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization", "UnitNormalization"]
