"""``keras.callbacks``: minidl's callbacks (``minidl.callbacks``) under Keras's names."""

import minidl.callbacks as _minidl_callbacks
from minidl.keras._export import export as _export

__all__ = _export(_minidl_callbacks, globals())
