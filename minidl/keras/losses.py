"""``keras.losses``: minidl's losses (``minidl.losses``) under Keras's names."""

import minidl.losses as _minidl_losses
from minidl.keras._export import export as _export

__all__ = _export(_minidl_losses, globals())
