"""``keras.optimizers``: minidl's optimizers (Keras 2's formulas and defaults; ``lr=`` is
accepted as in TensorFlow 2's Keras), with ``schedules`` and ``legacy`` as in Keras."""

import minidl.optimizers as _minidl_optimizers
from minidl.keras import unsupported as _unsupported
from minidl.keras._export import export as _export
from minidl.keras.optimizers import legacy, schedules

__all__ = _export(_minidl_optimizers, globals()) + ["legacy", "schedules"]


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
