"""Whole-sequence CUDA kernels for the fast recurrent ops, used when the backend is CuPy.

The kernels' CUDA C lives in ``cuda/`` beside this file (``lstm.cu``, ``simple_rnn.cu``,
``gru.cu`` and their shared header ``rnn_common.cuh``), read with ``cuda_sources`` and
compiled by CuPy (NVRTC) once per kernel and dtype; this module decides when they can run and
launches them.

The generic time loops of ``fast/lstm.py``, ``fast/gru.py`` and ``fast/simple_rnn.py`` launch a
dozen small kernels per step; on a GPU each costs a launch (~5-10 us of Python and driver time)
while doing almost no arithmetic, so a 200-step LSTM spends its time launching. The kernels run
the whole recurrence -- forward, or the backward time loop of BPTT -- in ONE launch each.

Why that is possible without any grid-wide synchronisation: the recurrence couples the units
of one sample, never two samples. So each thread block owns one sample (one batch column) and
loops over time on its own; within the block a step is a matrix-vector product with the
recurrent kernel (held in shared memory when it fits) plus the gate arithmetic, separated by
``__syncthreads``. Everything that is not recurrent stays as it is in the generic ops: the
input projection of all steps is one GEMM before the loop, the weight gradients are GEMMs
summed over all steps after it, and output assembly, dropout masks, padding masks and
``go_backwards`` are prepared by the same helpers (``minidl.ops.fast.rnn_common``). The kernels
read and write the very buffers the generic loops use -- (time, features, batch) layout, gates
in the op's internal order -- so the two paths are interchangeable step for step, and the tests
compare them directly. What all of them must equal is the readable cell of
``minidl/ops/reference/`` (``lstm.py``, ``gru.py``, ``simple_rnn.py``).

Supported: float32 and float64; the built-in activations (tanh, sigmoid, hard_sigmoid, relu,
linear); per-gate recurrent dropout masks; padding masks; up to 1024 gate rows (``gates *
units``: LSTM up to 256 units, GRU 341, SimpleRNN 1024). Anything else -- or ``ENABLED =
False`` -- leaves the ops on their generic ``xp`` path. Subnormal flushing, which the generic
backward does for x86 CPUs' sake, is not done here: GPUs handle subnormals at full speed, and
the values involved are far below float resolution of the gradients they join.
"""

import numpy as np

from minidl.autograd.function import xp
from minidl.ops.fast import cuda_sources
from minidl.ops.fast.rnn_common import get_inplace_activation
from minidl.runtime import backend

ENABLED = True  # set to False to send the ops down their generic xp path (benchmarks, tests)
MAX_GATE_ROWS = 1024  # one thread per gate row in the forward kernels: a block's thread limit
PLAIN_SHARED_BYTES = 48 * 1024  # dynamic shared memory a kernel may use without opting in

ACTIVATION_CODES = {"tanh": 0, "sigmoid": 1, "hard_sigmoid": 2, "relu": 3, "linear": 4}

# the kernels of each source file in cuda/ (which rnn_common.cuh is written into)
KERNEL_FILES = {
    "lstm_forward": "lstm.cu", "lstm_backward": "lstm.cu",
    "simple_forward": "simple_rnn.cu", "simple_backward": "simple_rnn.cu",
    "gru_after_forward": "gru.cu", "gru_after_backward": "gru.cu",
    "gru_before_forward": "gru.cu", "gru_before_backward": "gru.cu",
}
_C_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
_kernels = {}  # (name, dtype) -> RawKernel


def _kernel(name, dtype):
    key = (name, np.dtype(dtype))
    found = _kernels.get(key)
    if found is None:
        options = ("--std=c++14", f"-DSCALAR={_C_TYPES[np.dtype(dtype)]}")
        found = xp().RawKernel(cuda_sources.source(KERNEL_FILES[name]), name, options=options)
        _kernels[key] = found
    return found


def _activation_code(activation):
    """The kernels' code for a built-in in-place activation, or None for anything else."""
    code = ACTIVATION_CODES.get(getattr(activation, "name", None))
    if code is None or get_inplace_activation(activation.name, "rnn_cuda", "activation") is not activation:
        return None
    return code


def available(dtype, gate_rows, *activations):
    """True when the whole-sequence kernels can run this op: CuPy backend, float32/64, at most
    ``MAX_GATE_ROWS`` gate rows, built-in activations."""
    if not ENABLED or backend.get_backend() != "cupy":
        return False
    if np.dtype(dtype) not in _C_TYPES or gate_rows > MAX_GATE_ROWS:
        return False
    return all(_activation_code(activation) is not None for activation in activations)


# -- launch helpers --------------------------------------------------------------------------------


def _threads(count):
    return min(MAX_GATE_ROWS, max(32, -(-count // 32) * 32))


def _launch(name, dtype, threads, batch, base_shared, matrix_elements, args):
    """Launch ``name`` with one block per sample; the recurrent matrix goes to shared memory when it
    fits (opting in to more than 48 KiB when the batch is small enough for one block per SM)."""
    kernel = _kernel(name, dtype)
    itemsize = np.dtype(dtype).itemsize
    shared = base_shared * itemsize
    matrix_bytes = matrix_elements * itemsize
    in_shared = 0
    if shared + matrix_bytes <= PLAIN_SHARED_BYTES:
        in_shared = 1
    else:
        attributes = _device_attributes()
        limit = attributes.get("MaxSharedMemoryPerBlockOptin", PLAIN_SHARED_BYTES)
        if shared + matrix_bytes <= limit and batch <= attributes.get("MultiProcessorCount", 0):
            try:
                kernel.max_dynamic_shared_size_bytes = shared + matrix_bytes
                in_shared = 1
            except Exception:  # an older driver or CuPy: read the matrix through the L1 cache instead
                in_shared = 0
    if in_shared:
        shared += matrix_bytes
    kernel((batch,), (threads,), _with_flag(args, in_shared), shared_mem=shared)


_attributes = {}  # device id -> its attribute dictionary (queried once)


def _device_attributes():
    device = xp().cuda.Device()
    found = _attributes.get(device.id)
    if found is None:
        found = _attributes[device.id] = device.attributes
    return found


def _with_flag(args, in_shared):
    """Insert the kernel-in-shared flag where the kernels expect it (the marker ``IN_SHARED``)."""
    return tuple(np.int32(in_shared) if arg is IN_SHARED else arg for arg in args)


IN_SHARED = object()  # placeholder in a launch's argument list for the kernel-in-shared flag


def _int(value):
    return np.int32(int(value))


_dummies = {}  # (device id, dtype) -> a one-element array passed for an unused operand


def _operand(array, dtype):
    """A contiguous array of ``dtype`` on the device, or a one-element dummy for an unused one."""
    module = xp()
    if array is None:
        key = (module.cuda.Device().id, np.dtype(dtype))
        dummy = _dummies.get(key)
        if dummy is None:
            dummy = _dummies[key] = module.zeros(1, dtype=dtype)
        return dummy
    return module.ascontiguousarray(array.astype(dtype, copy=False))


def _padding_keep(padding, dtype):
    return None if padding is None else padding.keep_float.reshape(padding.keep_float.shape[0], -1)


def _check_buffers(*arrays):
    for array in arrays:
        if not array.flags.c_contiguous:
            raise ValueError("rnn_cuda: the recurrent buffers must be C-contiguous")


# -- LSTM ------------------------------------------------------------------------------------------


def lstm_forward(gates, states_h, states_c, act_c, kernel, masks, padding, sigma, act):
    """Run the LSTM time loop: ``gates`` (T, 4u, B) pre-activations -> gate values (o, i, f, g);
    fills ``states_h``/``states_c`` [1:] and ``act_c``. ``kernel`` (u, 4u) and ``masks``
    (4, u, B) are in the internal gate order; ``padding`` a ``PaddingMask`` or None."""
    dtype = gates.dtype
    time, width, batch = gates.shape
    units = width // 4
    _check_buffers(gates, states_h, states_c, act_c)
    args = (gates, states_h, states_c, act_c, _operand(kernel, dtype), _operand(masks, dtype),
            _operand(_padding_keep(padding, dtype), dtype), _int(time), _int(batch), _int(units),
            _int(masks is not None), _int(padding is not None), IN_SHARED,
            _int(_activation_code(sigma)), _int(_activation_code(act)))
    _launch("lstm_forward", dtype, _threads(width), batch, units + 2 * width, units * width, args)


def lstm_backward(gates, states_c, act_c, kernel, masks, padding, per_step, dh, dc, sigma, act):
    """The LSTM backward time loop; returns (grad_gates (T, 4u, B), dh_0, dc_0) with dh, dc (u, B)."""
    module = xp()
    dtype = gates.dtype
    time, width, batch = gates.shape
    units = width // 4
    grad_gates = module.empty_like(gates)
    dh = module.array(dh, dtype=dtype, order="C", copy=True)
    dc = module.array(dc, dtype=dtype, order="C", copy=True)
    kernel_t = module.ascontiguousarray(kernel.T.astype(dtype, copy=False))
    args = (gates, states_c, act_c, kernel_t, _operand(masks, dtype), _operand(_padding_keep(padding, dtype), dtype),
            _operand(per_step, dtype), grad_gates, dh, dc, _int(time), _int(batch), _int(units),
            _int(masks is not None), _int(padding is not None), _int(per_step is not None), IN_SHARED,
            _int(_activation_code(sigma)), _int(_activation_code(act)))
    _launch("lstm_backward", dtype, _threads(width), batch, 2 * width, units * width, args)
    return grad_gates, dh, dc


# -- SimpleRNN -------------------------------------------------------------------------------------


def simple_forward(cell, states, kernel, masks, padding, act):
    """Run the SimpleRNN time loop: ``cell`` (T, u, B) pre-activations -> act(...); fills states[1:]."""
    dtype = cell.dtype
    time, units, batch = cell.shape
    _check_buffers(cell, states)
    args = (cell, states, _operand(kernel, dtype), _operand(masks, dtype),
            _operand(_padding_keep(padding, dtype), dtype), _int(time), _int(batch), _int(units),
            _int(masks is not None), _int(padding is not None), IN_SHARED, _int(_activation_code(act)))
    _launch("simple_forward", dtype, _threads(units), batch, 3 * units, units * units, args)


def simple_backward(cell, kernel, masks, padding, per_step, dh, act):
    """The SimpleRNN backward time loop; returns (grad_pre (T, u, B), dh_0)."""
    module = xp()
    dtype = cell.dtype
    time, units, batch = cell.shape
    grad_pre = module.empty_like(cell)
    dh = module.array(dh, dtype=dtype, order="C", copy=True)
    kernel_t = module.ascontiguousarray(kernel.T.astype(dtype, copy=False))
    args = (cell, kernel_t, _operand(masks, dtype), _operand(_padding_keep(padding, dtype), dtype),
            _operand(per_step, dtype), grad_pre, dh, _int(time), _int(batch), _int(units),
            _int(masks is not None), _int(padding is not None), _int(per_step is not None), IN_SHARED,
            _int(_activation_code(act)))
    _launch("simple_backward", dtype, _threads(units), batch, 2 * units, units * units, args)
    return grad_pre, dh


# -- GRU -------------------------------------------------------------------------------------------


def gru_forward(gates, saved, states, kernel, recurrent_bias, masks, padding, sigma, act, reset_after):
    """Run the GRU time loop: ``gates`` (T, 3u, B) input pre-activations -> (z, r, hh); fills
    states[1:] and ``saved`` (h U + b' per step when ``reset_after``, else r * h)."""
    dtype = gates.dtype
    time, width, batch = gates.shape
    units = width // 3
    _check_buffers(gates, saved, states)
    codes = (_int(_activation_code(sigma)), _int(_activation_code(act)))
    common = (_operand(masks, dtype), _operand(_padding_keep(padding, dtype), dtype), _int(time), _int(batch),
              _int(units))
    if reset_after:
        bias = None if recurrent_bias is None else recurrent_bias.reshape(-1)
        args = (gates, saved, states, _operand(kernel, dtype), _operand(bias, dtype), *common,
                _int(bias is not None), _int(masks is not None), _int(padding is not None), IN_SHARED, *codes)
        _launch("gru_after_forward", dtype, _threads(width), batch, 4 * units + width, units * width, args)
    else:
        args = (gates, saved, states, _operand(kernel, dtype), *common,
                _int(masks is not None), _int(padding is not None), IN_SHARED, *codes)
        _launch("gru_before_forward", dtype, _threads(2 * units), batch, 4 * units + width, units * width, args)


def gru_backward(gates, states, saved, kernel, masks, padding, per_step, dh, sigma, act, reset_after):
    """The GRU backward time loop; returns (grad_gates, grad_recurrent or None, dh_0)."""
    module = xp()
    dtype = gates.dtype
    time, width, batch = gates.shape
    units = width // 3
    grad_gates = module.empty_like(gates)
    dh = module.array(dh, dtype=dtype, order="C", copy=True)
    kernel_t = module.ascontiguousarray(kernel.T.astype(dtype, copy=False))
    flags = (_int(masks is not None), _int(padding is not None), _int(per_step is not None), IN_SHARED,
             _int(_activation_code(sigma)), _int(_activation_code(act)))
    sizes = (_int(time), _int(batch), _int(units))
    masks_arg, keep_arg = _operand(masks, dtype), _operand(_padding_keep(padding, dtype), dtype)
    if reset_after:
        grad_recurrent = module.empty_like(saved)
        args = (gates, states, saved, kernel_t, masks_arg, keep_arg, _operand(per_step, dtype),
                grad_gates, grad_recurrent, dh, *sizes, *flags)
        _launch("gru_after_backward", dtype, _threads(units), batch, 2 * width, units * width, args)
        return grad_gates, grad_recurrent, dh
    args = (gates, states, kernel_t, masks_arg, keep_arg, _operand(per_step, dtype), grad_gates, dh, *sizes, *flags)
    _launch("gru_before_backward", dtype, _threads(units), batch, 2 * width, units * width, args)
    return grad_gates, None, dh
