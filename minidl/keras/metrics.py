"""``keras.metrics``: minidl's metrics (``minidl.metrics``) under Keras's names."""

import minidl.metrics as _minidl_metrics
from minidl.keras._export import export as _export

__all__ = _export(_minidl_metrics, globals())
