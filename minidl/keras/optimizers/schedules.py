"""``keras.optimizers.schedules``: minidl's learning-rate schedules (``minidl.schedules``)."""

import minidl.schedules as _minidl_schedules
from minidl.keras._export import export as _export

__all__ = _export(_minidl_schedules, globals())
