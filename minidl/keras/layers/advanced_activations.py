"""Keras 2's ``keras.layers.advanced_activations``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    ELU,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
)

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
