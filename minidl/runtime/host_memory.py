"""Opt-in allocator tuning: keep freed large arrays in the process for the next training step,
instead of returning them to the operating system (Linux with glibc).

A training step allocates and frees the same large arrays every step: an LSTM's gate buffer for
all time steps (13 MB on the DLW LSTM workload), im2col matrices, activations, gradients. glibc
serves blocks above its mmap threshold with a fresh ``mmap``, and hands the top of its heap back
to the system once more than its trim threshold lies free there, so each step the kernel faults
in and zeroes every page of those arrays again. minidl's own work arrays no longer go that way:
``step_buffers`` hands them out again from one step to the next, inside minidl, with glibc's
settings untouched. What is left for this opt-in is every other large array a script allocates
and frees in its loop (its own batches, NumPy temporaries of its own code, arrays of layers that
do not use the step buffers). Raising the mmap threshold and the trim threshold makes glibc take
large blocks from its heap and keep freed ones there for reuse -- the same thing PyTorch's
performance guides get by preloading jemalloc or tcmalloc.

These are settings of the whole process's C allocator, so ``import minidl`` leaves them alone: a
program or notebook that imports minidl keeps glibc's defaults. A training script asks for the
tuning once, before its first training step::

    import minidl
    minidl.runtime.keep_freed_memory()

(the examples and the benchmark workers do). The cost: memory freed by the process stays with
it (up to ``KEEP_BYTES`` at the top of the heap) instead of going back to the system; the peak
does not grow. The environment variable ``MINIDL_KEEP_FREED_MEMORY=0`` turns the call into a
no-op, to compare against glibc's defaults without editing the script. Nothing happens on other
C libraries or operating systems.
"""

import ctypes
import os
import sys

# Blocks up to this size come from the heap, and this much freed memory may stay at its top.
KEEP_BYTES = 1 << 30

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers, from glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3

kept = False  # whether glibc was asked to keep freed memory (read by tests and benchmarks)


def is_glibc():
    """Whether this process runs on Linux with glibc (whose mallopt parameters are used here)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (ValueError, OSError, AttributeError):
        return False


def keep_freed_memory():
    """Ask glibc to keep freed blocks of up to KEEP_BYTES for reuse; True if it agreed.

    Process-wide and lasting: call it once, at the start of a training script, not in a library.
    Returns False (and changes nothing) on other C libraries, or when ``MINIDL_KEEP_FREED_MEMORY``
    is ``0``.
    """
    global kept
    if not is_glibc() or os.environ.get("MINIDL_KEEP_FREED_MEMORY", "1") == "0":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    kept = bool(mallopt(_M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_BYTES))
    return kept


def physical_memory_bytes():
    """This machine's physical memory in bytes, or None where the system does not say.

    Used to refuse, before allocating, a weight that could never fit (a config or a constructor
    asking for ``Dense(10**7)`` on ``10**6`` inputs) with a message naming the layer, rather than
    NumPy's bare ``MemoryError`` from deep inside an initializer."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
