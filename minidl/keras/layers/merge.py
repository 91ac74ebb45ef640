"""Keras 2's ``keras.layers.merge``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)

__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]
