"""``keras.metrics``: minidl's metrics (``minidl.metrics``) under Keras's names."""

import minidl.metrics as _minidl_metrics
from minidl.keras import unsupported as _unsupported
from minidl.keras._export import export as _export

__all__ = _export(_minidl_metrics, globals())


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
