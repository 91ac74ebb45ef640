"""Keras 2's ``keras.layers.noise``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
)

__all__ = ["AlphaDropout", "GaussianDropout", "GaussianNoise"]
