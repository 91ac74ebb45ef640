"""Keras 3's ``keras.distribution`` for data parallelism, mapped to ``minidl.distributed``.

Keras 3 code writes::

    keras.distribution.set_distribution(keras.distribution.DataParallel())
    model = build_model(); model.compile(...); model.fit(...)

minidl's ``DataParallel`` runs over the processes ``mpiexec -n N`` starts (see
``minidl.distributed``); ``devices`` is accepted and has no effect (one process per device).
"""

from minidl.distributed import DataParallel as _DataParallel
from minidl.distributed import distribution, set_distribution
from minidl.distributed import size as _size


class DataParallel(_DataParallel):
    """``keras.distribution.DataParallel(devices=None)``."""

    def __init__(self, devices=None, device_mesh=None):
        super().__init__()


def list_devices(device_type=None):
    """One entry per rank: minidl places one process on each device."""
    return [f"rank:{index}" for index in range(_size())]


__all__ = ["DataParallel", "distribution", "list_devices", "set_distribution"]
