"""Keras 2's ``keras.layers.recurrent``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    GRU,
    LSTM,
    SimpleRNN,
)

__all__ = ["GRU", "LSTM", "SimpleRNN"]
