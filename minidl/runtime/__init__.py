"""The runtime: where minidl's arrays live and how the CPU runs them. It sits below everything
else in minidl and imports nothing from it.

* ``backend``          the array module (NumPy, CuPy, or the simulated device), device moves,
                       the random streams, the default float dtype. Public as ``minidl.backend``.
* ``simulated_device`` NumPy arrays that refuse implicit conversion to host values, as CuPy's do,
                       so a test run without a GPU catches what CuPy would refuse.
* ``parallel``         an op's independent pieces on every CPU core (a small thread pool), and
                       BLAS held to one thread around them.
* ``step_buffers``     large work arrays of the fast ops handed out again from one training step
                       to the next once nothing holds them (no page faults to refill them).
* ``host_memory``      opt-in tuning of glibc's allocator for training loops
                       (``keep_freed_memory``).
* ``forked_workers``   worker processes forked to update shared arrays at once, without locks
                       (word2vec's ``workers``, where NumPy's scatter-add holds the GIL).

Importing minidl changes nothing outside minidl: no allocator setting, no thread count. The one
process-wide setting a user may want, ``keep_freed_memory()``, is a call they make.
"""

from minidl.runtime import backend, host_memory, parallel, step_buffers
from minidl.runtime.backend import (
    BackendUnavailableError,
    DeviceTransferWarning,
    floatx,
    get_backend,
    get_xp,
    set_backend,
    set_floatx,
    set_seed,
    to_device,
    to_numpy,
)
from minidl.runtime.host_memory import keep_freed_memory

__all__ = [
    "BackendUnavailableError", "DeviceTransferWarning", "backend", "floatx", "get_backend", "get_xp",
    "host_memory", "keep_freed_memory", "parallel", "set_backend", "set_floatx", "set_seed", "step_buffers",
    "to_device", "to_numpy",
]
