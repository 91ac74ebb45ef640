"""Keras 2's ``keras.layers.wrappers``: the same layers as ``minidl.keras.layers``, for code importing from there."""

from minidl.keras.layers import (  # noqa: F401 - re-exported
    Bidirectional,
    TimeDistributed,
)

__all__ = ["Bidirectional", "TimeDistributed"]
