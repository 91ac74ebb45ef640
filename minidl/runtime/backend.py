"""Array-module selection: NumPy by default, CuPy for GPUs, and a simulated device for tests.

Public as ``minidl.backend`` (the very same module object: ``minidl.backend.to_numpy(x)``,
``minidl.backend.DeviceTransferWarning``).

Everything in minidl that touches array data asks this module for ``xp`` (the active array
module) instead of importing NumPy or CuPy directly, so one switch moves the whole framework:

    minidl.set_backend("cupy")        # or MINIDL_BACKEND=cupy in the environment

Three backends exist:

* ``numpy``     -- the default, runs anywhere.
* ``cupy``      -- the GPU; selecting it without CuPy or without a visible GPU is an error.
* ``simulated`` -- NumPy underneath, but its arrays refuse implicit conversion to host values,
                   exactly where CuPy would refuse (or cost a device sync). The test-suite runs
                   the op and layer tests under it, so a stray ``np.asarray`` or ``float(x)`` in a
                   hot path fails on a machine without a GPU (see ``minidl.runtime.simulated_device``).

Host data on a device backend. Model and layer entry points (``fit``, ``evaluate``, ``predict``,
``train_on_batch``, calling a layer or model) take NumPy arrays and move each batch to the
device once, as Keras does: that is their job. A low-level op (``minidl.ops.*``, Tensor
arithmetic) given a host NumPy array of more than one element while the backend is a device
copies it over for that call and warns with ``DeviceTransferWarning`` -- in a loop that copy
happens on every call, the hidden host round trip this warning exists to expose. Copy such data
once with ``minidl.tensor(x)`` or ``to_device(x)``; scalars never warn.

Random numbers: weights are initialised on the host from one seeded NumPy Generator
(``host_rng()``) and then moved to the device, so the same seed gives the same initial weights
on every backend. Random masks during training (dropout) come from ``device_rng()``, a
generator that lives on the active device.
"""

import os

import numpy as np

_BACKENDS = ("numpy", "cupy", "simulated")


class _State:
    """The process-wide backend settings, kept together in one place."""

    def __init__(self):
        self.name = "numpy"
        self.xp = np
        self.floatx = np.float32
        self.seed = None
        self.host_rng = np.random.default_rng()
        self.device_rng = np.random.default_rng()


_state = _State()


class DeviceTransferWarning(UserWarning):
    """A host NumPy array went into a low-level op while the arrays live on a device."""


def on_device():
    """True when the active backend keeps arrays on a device (cupy, or the simulated one)."""
    return _state.name != "numpy"


class BackendUnavailableError(RuntimeError):
    """Raised when a backend is asked for but cannot run on this machine."""


_CUPY_NEEDS = (
    "backend 'cupy' runs minidl on an NVIDIA GPU: it needs such a GPU with a CUDA 12 driver "
    "(nvidia-smi lists it) and CuPy for CUDA 12, installed with: pip install 'minidl[gpu]' "
    "(the cupy-cuda12x wheel)"
)
_USE_NUMPY = "On a machine without an NVIDIA GPU, use the default numpy backend (minidl.set_backend('numpy'), or leave out --backend cupy)."


def _load_cupy():
    try:
        import cupy  # the only place in minidl that imports cupy
    except ImportError as exc:
        raise BackendUnavailableError(
            f"{_CUPY_NEEDS}. Missing here: CuPy is not installed ({exc}). {_USE_NUMPY}"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        raise BackendUnavailableError(
            f"{_CUPY_NEEDS}. Missing here: CuPy is installed but finds no usable GPU or CUDA driver "
            f"({type(exc).__name__}: {exc}). {_USE_NUMPY}"
        ) from None
    if count == 0:
        raise BackendUnavailableError(
            f"{_CUPY_NEEDS}. Missing here: CuPy is installed but the CUDA driver reports no GPU. {_USE_NUMPY}"
        )
    return cupy


def _module_for(name):
    if name == "numpy":
        return np
    if name == "cupy":
        return _load_cupy()
    if name == "simulated":
        from minidl.runtime import simulated_device

        return simulated_device.xp
    raise ValueError(f"set_backend: unknown backend {name!r}; expected one of {_BACKENDS}")


def set_backend(name):
    """Select the array backend ('numpy', 'cupy' or 'simulated') for all later work.

    Tensors created before the switch keep their arrays; create models after choosing.
    """
    xp = _module_for(name)
    _state.name = name
    _state.xp = xp
    _state.device_rng = _make_device_rng(xp, _state.seed)


def get_backend():
    """The name of the active backend."""
    return _state.name


def get_xp():
    """The active array module (numpy, cupy, or the simulated device's module)."""
    return _state.xp


def floatx():
    """The default float dtype for new tensors and weights (float32 unless changed)."""
    return _state.floatx


def set_floatx(dtype):
    """Set the default float dtype: 'float32' (default) or 'float64' (used by gradient checks)."""
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)):
        raise ValueError(f"set_floatx: expected float16, float32 or float64, got {dtype}")
    _state.floatx = dtype.type


def _make_device_rng(xp, seed):
    """The device stream for ``set_seed(seed)``: offset by one so that it never repeats the
    host stream's numbers, and the same whether the backend was chosen before or after seeding."""
    return xp.random.default_rng(None if seed is None else seed + 1)


def set_seed(seed):
    """Seed every random stream minidl uses: weight initialisation and device-side masks.

    Python's and NumPy's global generators are seeded too, as Keras' set_random_seed does,
    because the labs shuffle data with them.
    """
    import random

    seed = int(seed)
    _state.seed = seed
    _state.host_rng = np.random.default_rng(seed)
    _state.device_rng = _make_device_rng(_state.xp, seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))


def split_device_rng(key):
    """Replace the device stream by one drawn from it and ``key`` (an int).

    Processes seeded alike that call this with different keys (``minidl.distributed``'s ranks)
    draw different dropout masks from then on, deterministically; the host stream, which the
    weight initialisers use, stays the same in all of them."""
    draw = float(to_numpy(_state.device_rng.random(1, dtype=np.float64))[0])
    entropy = [int(draw * 2**53), int(key)]
    _state.device_rng = _state.xp.random.default_rng(int(np.random.SeedSequence(entropy).generate_state(1)[0]))


def host_rng():
    """The seeded NumPy Generator that weight initialisers draw from (always on the host)."""
    return _state.host_rng


def device_rng():
    """The generator for random masks on the active device (dropout and friends)."""
    return _state.device_rng


def is_array(value):
    """True if ``value`` is an array of the active backend."""
    return isinstance(value, _state.xp.ndarray)


def to_device(array, dtype=None):
    """Move host data (NumPy array, list, scalar) onto the active device (a no-op on numpy)."""
    return _state.xp.asarray(array, dtype=dtype)


def to_numpy(array):
    """Copy a backend array back to a NumPy array on the host (explicitly; never implicit)."""
    if isinstance(array, np.ndarray):
        return array
    if isinstance(array, np.generic):
        return np.asarray(array)
    getter = getattr(array, "get", None)
    if getter is None:
        return np.asarray(array)
    return getter()


_env_backend = os.environ.get("MINIDL_BACKEND")
if _env_backend:
    set_backend(_env_backend)


# ``scatter_add`` on the host makes the flat indices of this many elements at a time.
SCATTER_CHUNK_ELEMENTS = 1 << 17


def scatter_add(target, indices, values):
    """``target[indices] += values`` with repeated indices accumulating (NumPy's add.at).

    The backward of gathering (fancy indexing, embedding lookups) needs this; NumPy and CuPy
    both provide it as ``add.at``. On the host, rows picked from a 2-D table (the embedding case)
    take a faster road to the same additions in the same order, so to the same result:

    * NumPy's add.at is about three times faster on 1-D operands, so the rows are added
      element by element through flat indices;
    * where the rows are float32 (float64) of an even width, each pair of neighbouring numbers
      is added as one complex64 (complex128) number -- complex addition adds the real and the
      imaginary parts separately, so the sums are the same, and add.at does half the steps
      (measured on word2vec's 24,576 rows of 100: 4.5 -> 2.3 ms);
    * the flat indices are made for ``SCATTER_CHUNK_ELEMENTS`` elements at a time: one index
      array for a whole large scatter is 20 MB of int64 written and read back from memory,
      where a chunk's stays in cache (measured: 14.7 -> 9.7 ms on a loaded machine).
    """
    if _state.name == "numpy" and _is_row_scatter(target, indices, values):
        rows = target.shape[0]
        target, values = _as_pairs(target, values)
        width = target.shape[1]
        flat_target, columns = target.reshape(-1), np.arange(width)
        chunk_rows = max(1, SCATTER_CHUNK_ELEMENTS // max(width, 1))
        for start in range(0, len(indices), chunk_rows):
            picked = indices[start:start + chunk_rows].astype(np.intp)  # int32 ids: no overflow below
            picked = np.where(picked < 0, picked + rows, picked)
            flat = (picked[:, None] * width + columns).ravel()
            np.add.at(flat_target, flat, values[start:start + chunk_rows].reshape(-1))
        return
    _state.xp.add.at(target, indices, values)


_PAIR_DTYPES = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def _as_pairs(target, values):
    """``target`` and ``values`` seen as rows of complex numbers, each a pair of neighbouring
    reals, where both are float32 or both float64, C-contiguous and of an even width; else as
    they are."""
    pair_dtype = _PAIR_DTYPES.get(target.dtype)
    if (pair_dtype is None or values.dtype != target.dtype or target.shape[1] % 2
            or not values.flags.c_contiguous):
        return target, values
    return target.view(pair_dtype), values.view(pair_dtype)


def _is_row_scatter(target, indices, values):
    return (
        isinstance(indices, np.ndarray) and indices.ndim == 1 and indices.dtype.kind in "iu"
        and target.ndim == 2 and target.flags.c_contiguous
        and values.shape == (len(indices), target.shape[1])
    )
