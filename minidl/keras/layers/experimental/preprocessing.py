"""``keras.layers.experimental.preprocessing`` (TensorFlow 2.3-2.5): the preprocessing layers'
first home, the same classes as ``keras.layers``."""

import minidl.layers.preprocessing as _preprocessing
from minidl.keras._export import export as _export

__all__ = _export(_preprocessing, globals())
