"""TensorFlow 2.3-2.5's ``keras.layers.experimental``: the preprocessing layers' first home."""

from minidl.keras.layers.experimental import preprocessing

__all__ = ["preprocessing"]
