"""Keras 2's ``keras.layers.core``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Permute,
    RepeatVector,
    Reshape,
    SpatialDropout1D,
    SpatialDropout2D,
)

__all__ = ["Activation", "ActivityRegularization", "Dense", "Dropout", "Flatten", "Lambda", "Permute", "RepeatVector", "Reshape", "SpatialDropout1D", "SpatialDropout2D"]
