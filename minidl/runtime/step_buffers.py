"""Large work arrays reused from one training step to the next, inside minidl (NumPy backend).

A training step allocates and frees the same large arrays every step: an LSTM's gates for all
time steps (13 MB on the DLW LSTM workload), their gradients, im2col matrices, convolution
outputs. glibc keeps freed blocks on its heap for a while but hands the top of the heap back to
the system once more than its trim threshold lies free there -- which a step's worth of large
arrays does at the end of every step -- so the next step gets fresh pages, and the kernel faults
in and zeroes every one of them again: 5,800 page faults and a third of the LSTM step.

``reusable_empty(shape, dtype)`` is ``numpy.empty`` that hands out an array of the same shape and
dtype which an earlier step allocated and nobody holds any more. "Nobody holds it" is read off
the array's reference count: the pool keeps one reference to every array it made, and a view
keeps a reference to the array it views, so an array whose only reference is the pool's is free
-- whether it was dropped by a finished backward pass, a freed graph, or a caller that kept a
view for a while. No lifetimes are declared; what is still in use is simply never handed out.

This is minidl's own memory: the process's allocator settings stay as they are (compare
``host_memory.keep_freed_memory``, a process-wide opt-in). Three rules bound it:

* every backward pass (``backward`` or ``grad``, a GradientTape's too) starts a new step
  (``new_step``, called by the autograd engine), and so does every batch of ``predict`` and
  ``evaluate``; free arrays of a shape and dtype not asked for in the last ``KEEP_STEPS`` steps
  are dropped, so the arrays of a model trained earlier in the process, or of the last short
  batch of an epoch, do not stay (``KEEP_STEPS`` spans a GAN's ``predict`` of fakes and its
  discriminator and generator steps);
* the pool keeps at most ``limit_bytes``; a new array that would pass that first drops the free
  arrays least recently handed out, and if that is not enough it is not pooled;
* ``release()`` drops every free array; ``fit`` calls it when it ends. ``predict`` and
  ``evaluate`` do not: labs call them between training steps (a GAN's fakes), which would then
  start from nothing every time. A program that is done training and wants the memory back
  calls ``minidl.runtime.step_buffers.release()``.

``MINIDL_REUSE_STEP_BUFFERS=0`` turns the pool off (every call a fresh ``numpy.empty``), to
compare. Small arrays (below ``MIN_BYTES``) come straight from ``numpy.empty``: malloc reuses
those without the kernel's help. On CuPy (which pools device memory itself) and the simulated
device, ``reusable_empty`` is the array module's ``empty``. The reference counts are CPython's
(``sys.getrefcount``); the count that means "free" is measured once, not assumed.

Contents are uninitialised, as with ``numpy.empty``; callers overwrite every element.
"""

import math
import os
import sys
import threading
from collections import OrderedDict

import numpy as np

from minidl.runtime import backend

MIN_BYTES = 1 << 18  # 256 KiB
DEFAULT_LIMIT_BYTES = 1 << 30
KEEP_STEPS = 8


def _reference_count(array):
    return sys.getrefcount(array)


def _free_reference_count():
    """The count ``_reference_count`` reads for an array held by a pool list and nothing else
    (the list's reference, the loop variable's and the call's argument; measured, not assumed,
    as interpreters differ in the references a call takes)."""
    held = [np.empty(1)]
    for array in held:
        return _reference_count(array)


class StepBufferPool:
    """Arrays by (shape, dtype), each handed out again once only the pool holds it."""

    def __init__(self, limit_bytes=DEFAULT_LIMIT_BYTES, min_bytes=MIN_BYTES):
        self.limit_bytes = limit_bytes
        self.min_bytes = min_bytes
        self.enabled = os.environ.get("MINIDL_REUSE_STEP_BUFFERS", "1") != "0"
        self.reuses = 0  # arrays handed out again,
        self.allocations = 0  # and arrays made anew (both read by tests)
        self._free_count = _free_reference_count()
        self._arrays = OrderedDict()  # (shape, dtype) -> [array, ...], least recently used first
        self._last_step = {}  # (shape, dtype) -> the step that last asked for it
        self._step = 0
        self._bytes = 0
        self._lock = threading.Lock()

    def empty(self, shape, dtype):
        """An uninitialised C-contiguous array of ``shape`` and ``dtype``: a free pooled one if
        there is one, else a new one (pooled if the limit allows)."""
        dtype = np.dtype(dtype)
        shape = tuple(map(int, shape)) if isinstance(shape, (tuple, list)) else (int(shape),)
        nbytes = dtype.itemsize * math.prod(shape)
        if not self.enabled or nbytes < self.min_bytes:
            return np.empty(shape, dtype=dtype)
        key = (shape, dtype)
        with self._lock:
            self._last_step[key] = self._step
            arrays = self._arrays.get(key)
            if arrays is not None:
                self._arrays.move_to_end(key)
                for array in arrays:
                    if _reference_count(array) == self._free_count:
                        self.reuses += 1
                        return array
            if self._bytes + nbytes > self.limit_bytes:
                self._drop_free(wanted_bytes=self._bytes + nbytes - self.limit_bytes)
            array = np.empty(shape, dtype=dtype)
            self.allocations += 1
            if self._bytes + nbytes <= self.limit_bytes:
                self._arrays.setdefault(key, []).append(array)
                self._bytes += nbytes
            return array

    def new_step(self):
        """A training step begins: drop the free arrays of keys no step asked for lately."""
        with self._lock:
            self._step += 1
            stale = [key for key, step in self._last_step.items() if step < self._step - KEEP_STEPS]
            self._drop_free(keys=stale)
            for key in stale:
                if key not in self._arrays:  # (arrays still in use keep their key watched)
                    del self._last_step[key]

    def release(self):
        """Drop every array that only the pool holds (those in use stay pooled)."""
        with self._lock:
            self._drop_free()

    @property
    def pooled_bytes(self):
        return self._bytes

    def _drop_free(self, keys=None, wanted_bytes=math.inf):
        """Drop free arrays of ``keys`` (default: all, least recently used first), all of them
        or until ``wanted_bytes`` are gone."""
        dropped = 0
        for key in list(self._arrays) if keys is None else keys:
            if dropped >= wanted_bytes:
                break
            arrays = self._arrays.get(key, [])
            kept = []
            for array in arrays:
                if dropped < wanted_bytes and _reference_count(array) == self._free_count:
                    dropped += array.nbytes
                else:
                    kept.append(array)
            if kept:
                self._arrays[key] = kept
            else:
                self._arrays.pop(key, None)
        self._bytes -= dropped


pool = StepBufferPool()


def reusable_empty(shape, dtype):
    """``empty(shape, dtype)`` of the array module, reusing a freed step buffer on NumPy."""
    if backend.get_backend() != "numpy":
        return backend.get_xp().empty(shape, dtype=dtype)
    return pool.empty(shape, dtype)


def new_step():
    """A step begins (the autograd engine calls this at every backward pass, ``predict`` and
    ``evaluate`` at every batch)."""
    pool.new_step()


def release():
    """Give the pool's free arrays back to the process (``fit`` calls it when it ends)."""
    pool.release()


def reusable_empty_like(array):
    """``reusable_empty`` of ``array``'s shape and dtype (always C-contiguous)."""
    return reusable_empty(array.shape, array.dtype)


def reusable_full(shape, fill_value, dtype):
    """``full(shape, fill_value, dtype)`` of the array module, reusing a freed step buffer on NumPy."""
    array = reusable_empty(shape, dtype)
    array.fill(fill_value)
    return array
