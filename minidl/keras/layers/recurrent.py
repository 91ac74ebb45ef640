"""Keras 2's ``keras.layers.recurrent``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell", "StackedRNNCells"]
