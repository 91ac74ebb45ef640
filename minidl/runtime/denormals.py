"""Denormal floats flushed to zero on the CPU while minidl computes, as TensorFlow's kernels do.

A float smaller in magnitude than the smallest normal number (float32: 1.2e-38) is *denormal*
(subnormal), and x86 and ARM cores compute with such numbers many times slower than with normal
ones. Training makes them and keeps them: a weight whose gradient has become exactly zero -- an
incoming weight of a dead ReLU unit -- has optimizer slots (Adam's moments, RMSprop's mean
square, a momentum) that shrink by a constant factor every step into the denormal range, and
there they stick: once m is a few units in the last place, ``0.9 * m`` rounds back to m. Every
later update then pays for them. Measured (benchmarks/RESULTS.md): the MNIST MLP of DLW Ex 2.07
(Dense 50 relu, 20 relu, 10 softmax; Adam, batch 32) on random images and labels, after an
epoch that left 42 of its 50 first units dead: Adam's update of the 784 x 50 kernel 363 us a
step instead of 80; on the unscaled MNIST images (LM-2's quirk) an epoch 1.79 s instead of 1.27.

TensorFlow runs its CPU kernels with the processor's flush-to-zero (FTZ: a denormal result
becomes zero) and denormals-are-zero (DAZ: a denormal operand is read as zero) modes on. minidl
does the same: ``flushing_denormals()`` turns both on for the calling thread while a model
computes (a training or test step of ``fit``/``evaluate``, ``Model._forward``, the autograd
engine's backward, ``Optimizer.apply_gradients``; nested scopes cost a thread-local flag's
lookup) and puts the thread's previous modes back after, so the user's own NumPy code runs as it
always does; minidl's worker threads (``minidl.runtime.parallel``) keep them on for good. The
fast RNNs' backward then leaves out its own per-step flush (``rnn_common.SubnormalFlush``).

The modes are bits of the thread's floating-point control register, which the C library's
``fegetenv`` / ``fesetenv`` read and write as part of its ``fenv_t`` (called through ctypes: no
compiled code): on x86-64 Linux the MXCSR at byte 28 (FTZ bit 15, DAZ bit 6), on 64-bit ARM
Linux the FPCR at byte 0 (FZ bit 24, which covers both). Where that layout is not known, or
where setting the bits does not make a denormal product zero (checked once), nothing is
changed. ``MINIDL_FLUSH_DENORMALS=0`` turns the flushing off.
"""

import ctypes
import ctypes.util
import functools
import os
import platform
import sys
import threading

import numpy as np

# fenv_t is 32 bytes on x86-64 glibc and musl, 8 on aarch64; a larger buffer is harmless. One
# type made once: ``c_char * n`` made at every call would be a new type, a reference cycle, each time.
_Environment = ctypes.c_char * 128

ENABLED = os.environ.get("MINIDL_FLUSH_DENORMALS", "1") != "0"


def _control_register():
    """(byte offset in fenv_t of the control register, the flush bits) on this platform, or None."""
    if not sys.platform.startswith("linux"):
        return None
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return 28, (1 << 15) | (1 << 6)  # MXCSR: FTZ | DAZ
    if machine in ("aarch64", "arm64"):
        return 0, 1 << 24  # FPCR: FZ
    return None


@functools.lru_cache(maxsize=1)
def _fenv():
    """(fegetenv, fesetenv, offset, bits) where flushing works here, else None (checked once)."""
    register = _control_register()
    if register is None:
        return None
    try:
        library = ctypes.CDLL(ctypes.util.find_library("m") or None)
        calls = library.fegetenv, library.fesetenv
    except (OSError, AttributeError):
        return None
    fenv = (*calls, *register)
    before = _set_flush_bits(fenv)
    try:
        smallest_normal = np.finfo(np.float32).tiny
        works = float(np.multiply(np.float32(smallest_normal / 4), np.float32(1.0))) == 0.0
    finally:
        if before is not None:
            _write_control(fenv, before)
    return fenv if works else None


def _read_environment(fenv):
    buffer = _Environment()
    if fenv[0](buffer) != 0:
        raise OSError("fegetenv failed")
    return buffer


def _write_control(fenv, value):
    """Set the thread's control register to ``value``, leaving the rest of its environment."""
    buffer = _read_environment(fenv)
    ctypes.c_uint32.from_buffer(buffer, fenv[2]).value = value
    fenv[1](buffer)


def _set_flush_bits(fenv):
    """Turn the flush bits on in this thread; the register's previous value, or None if they
    were on already."""
    buffer = _read_environment(fenv)
    control = ctypes.c_uint32.from_buffer(buffer, fenv[2])
    previous = control.value
    if previous & fenv[3] == fenv[3]:
        return None
    control.value = previous | fenv[3]
    fenv[1](buffer)
    return previous


def supported():
    """Whether denormals can be flushed on this machine (and it is not turned off)."""
    return ENABLED and _fenv() is not None


# Whether this thread flushes already (inside a scope, or a worker thread): nested scopes -- a
# training step's forward, backward and update inside its own -- then cost one attribute lookup.
_thread = threading.local()


def flushing_in_this_thread():
    """Whether the calling thread flushes denormals now (inside a scope, or a worker thread)."""
    return getattr(_thread, "flushing", False)


def flush_in_this_thread():
    """Turn flushing on in the calling thread for good (minidl's own worker threads)."""
    if supported():
        _set_flush_bits(_fenv())
        _thread.flushing = True


def flushing_denormals():
    """Inside (``with flushing_denormals():``): this thread flushes denormals to zero (FTZ and
    DAZ); its previous modes after."""
    return _Scope()


def flushes_denormals(method):
    """Decorator: run ``method`` inside ``flushing_denormals()``."""

    @functools.wraps(method)
    def flushing(*args, **kwargs):
        with _Scope():
            return method(*args, **kwargs)

    return flushing


class _Scope:
    """Flush bits on at entry (unless this thread flushes already), the thread's own back at exit.
    A class rather than a generator's context manager: a small model's step enters several."""

    def __enter__(self):
        self.fenv = None
        if flushing_in_this_thread() or not ENABLED:
            return self
        self.fenv = _fenv()
        if self.fenv is not None:
            self.before = _set_flush_bits(self.fenv)
            _thread.flushing = True
        return self

    def __exit__(self, *exc_info):
        if self.fenv is not None:
            _thread.flushing = False
            if self.before is not None:
                _write_control(self.fenv, self.before)
        return False
