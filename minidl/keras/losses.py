"""``keras.losses``: minidl's losses (``minidl.losses``) under Keras's names."""

import minidl.losses as _minidl_losses
from minidl.keras import unsupported as _unsupported
from minidl.keras._export import export as _export

__all__ = _export(_minidl_losses, globals())


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
