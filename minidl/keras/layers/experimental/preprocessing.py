"""``keras.layers.experimental.preprocessing`` (TensorFlow 2.3-2.5): ``Rescaling``; the random
augmentation layers of that module are not in minidl (``ImageDataGenerator`` augments instead,
see docs/keras_coverage.md)."""

from minidl.layers.preprocessing import Rescaling

__all__ = ["Rescaling"]
