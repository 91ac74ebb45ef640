"""``keras.callbacks``: minidl's callbacks (``minidl.callbacks``) under Keras's names."""

import minidl.callbacks as _minidl_callbacks
from minidl.keras import unsupported as _unsupported
from minidl.keras._export import export as _export

__all__ = _export(_minidl_callbacks, globals())


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
