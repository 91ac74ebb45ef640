"""The whole-sequence CUDA kernels of the recurrent ops (``minidl.ops.fast.rnn_cuda``, sources in
``minidl/ops/fast/cuda/*.cu``) against the generic ``xp`` time loops, both on CuPy: same inputs,
same dropout and padding masks, forward outputs and every gradient. Skipped, with the reason,
where CuPy or a GPU is missing."""

import numpy as np
import pytest
from conftest import _NO_GPU_REASON, to_host

import minidl
from minidl import backend
from minidl.ops.fast import rnn_cuda
from minidl.ops.fast.rnn_common import InplaceActivation, get_inplace_activation
from minidl.ops.recurrent import gru, lstm, simple_rnn


def needs_gpu(test):
    """Mark a test as a GPU test, skipped with the reason where CuPy or a GPU is missing."""
    test = pytest.mark.skipif(_NO_GPU_REASON is not None, reason=_NO_GPU_REASON or "")(test)
    return pytest.mark.gpu(test)


CELLS = {
    "simple_rnn": dict(op=simple_rnn, gates=1, states=1, extra={}),
    "lstm": dict(op=lstm, gates=4, states=2, extra={}),
    "gru_reset_after": dict(op=gru, gates=3, states=1, extra={"reset_after": True}),
    "gru_reset_before": dict(op=gru, gates=3, states=1, extra={"reset_after": False}),
}

OPTION_SETS = {
    "last": dict(),
    "sequences": dict(return_sequences=True),
    "backwards": dict(go_backwards=True, return_sequences=True),
    "padding": dict(padding=True, return_sequences=True),
    "dropout": dict(dropout=True),
    "everything": dict(padding=True, dropout=True, go_backwards=True, return_sequences=True),
}


@pytest.fixture
def cupy_backend():
    minidl.set_backend("cupy")
    minidl.set_seed(0)
    yield
    minidl.set_backend("numpy")


def _problem(name, batch, time, features, units, seed=0):
    """Host operands and masks for one cell (float64; cast by the caller)."""
    rng = np.random.default_rng(seed)
    gates = CELLS[name]["gates"]
    bias_shape = (2, 3 * units) if name == "gru_reset_after" else (gates * units,)
    padding = rng.random((batch, time)) > 0.35
    padding[0, :2] = False  # a sample that starts with padding
    return {
        "x": rng.standard_normal((batch, time, features)),
        "kernel": rng.standard_normal((features, gates * units)) * 0.6,
        "recurrent_kernel": rng.standard_normal((units, gates * units)) * (1.2 / np.sqrt(units)),
        "bias": rng.standard_normal(bias_shape) * 0.3,
        "states": [rng.standard_normal((batch, units)) * 0.5 for _ in range(CELLS[name]["states"])],
        "padding": padding,
        "input_masks": (rng.random((gates, batch, features)) > 0.3) / 0.7,
        "recurrent_masks": (rng.random((gates, batch, units)) > 0.3) / 0.7,
    }


def _run(name, problem, options, dtype, fused, monkeypatch, with_states=True, **op_kwargs):
    """Outputs and gradients (x, weights, states) of a random weighted sum of all outputs, with the
    CUDA kernels on (``fused``) or off; also whether the kernels actually ran."""
    monkeypatch.setattr(rnn_cuda, "ENABLED", fused)

    def device(array):
        return backend.to_device(np.asarray(array, dtype=dtype))

    leaves = [minidl.tensor(device(problem[key]), requires_grad=True)
              for key in ("x", "kernel", "recurrent_kernel", "bias")]
    states = [minidl.tensor(device(s), requires_grad=True) for s in problem["states"]] if with_states else []
    options = dict(options)
    if options.pop("padding", False):
        options["mask"] = minidl.to_device(problem["padding"])
    if options.pop("dropout", False):
        options["input_masks"] = device(problem["input_masks"])
        options["recurrent_masks"] = device(problem["recurrent_masks"])
    outputs = CELLS[name]["op"](*leaves, initial_state=states or None, **CELLS[name]["extra"], **options,
                                **op_kwargs)
    ran_kernels = outputs[0].creator.fused_kernels
    rng = np.random.default_rng(7)
    loss = None
    for out in outputs:
        term = (out * minidl.tensor(device(rng.standard_normal(out.shape)))).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    return [to_host(o) for o in outputs] + [to_host(t.grad) for t in leaves + states], ran_kernels


def _assert_kernels_match_generic(name, problem, options, dtype, monkeypatch, atol, rtol=0.0, **op_kwargs):
    got, ran = _run(name, problem, options, dtype, True, monkeypatch, **op_kwargs)
    expected, ran_generic = _run(name, problem, options, dtype, False, monkeypatch, **op_kwargs)
    assert ran and not ran_generic, "the CUDA kernels should run only when enabled"
    assert len(got) == len(expected)
    for index, (a, b) in enumerate(zip(got, expected)):  # outputs, then gradients of x, weights, states
        assert a.dtype == b.dtype and a.shape == b.shape, f"{name}: array {index}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{name}: array {index}")


@needs_gpu
@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
@pytest.mark.parametrize("name", sorted(CELLS))
def test_kernels_equal_generic_path_float64(cupy_backend, monkeypatch, name, option_set):
    minidl.set_floatx("float64")
    problem = _problem(name, batch=5, time=9, features=4, units=6)
    _assert_kernels_match_generic(name, problem, OPTION_SETS[option_set], np.float64, monkeypatch, atol=1e-10)


@needs_gpu
@pytest.mark.parametrize("option_set", ["sequences", "everything"])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_kernels_equal_generic_path_float32(cupy_backend, monkeypatch, name, option_set):
    problem = _problem(name, batch=16, time=30, features=8, units=32, seed=2)
    _assert_kernels_match_generic(name, problem, OPTION_SETS[option_set], np.float32, monkeypatch,
                                  atol=2e-4, rtol=2e-4)


@needs_gpu
@pytest.mark.parametrize("activations", [("relu", "hard_sigmoid"), ("linear", "tanh"), ("tanh", "sigmoid")])
@pytest.mark.parametrize("name", ["lstm", "gru_reset_after", "gru_reset_before"])
def test_kernels_equal_generic_path_for_other_activations(cupy_backend, monkeypatch, name, activations):
    minidl.set_floatx("float64")
    problem = _problem(name, batch=3, time=6, features=3, units=4, seed=3)
    _assert_kernels_match_generic(name, problem, dict(return_sequences=True, padding=True), np.float64, monkeypatch,
                                  atol=1e-10, activation=activations[0], recurrent_activation=activations[1])


@needs_gpu
@pytest.mark.parametrize("batch", [3, 200])  # one block per SM with the kernel in opted-in shared memory; or via L1
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_kernels_with_a_recurrent_kernel_too_big_for_plain_shared_memory(cupy_backend, monkeypatch, batch,
                                                                                dtype):
    minidl.set_floatx(np.dtype(dtype).name)
    problem = _problem("lstm", batch=batch, time=7, features=5, units=100, seed=4)
    atol, rtol = (1e-10, 0.0) if dtype == np.float64 else (2e-4, 2e-4)
    _assert_kernels_match_generic("lstm", problem, OPTION_SETS["everything"], dtype, monkeypatch, atol=atol,
                                  rtol=rtol)


@needs_gpu
def test_units_beyond_one_block_fall_back_to_the_generic_path(cupy_backend, monkeypatch):
    problem = _problem("lstm", batch=2, time=3, features=2, units=257, seed=5)
    _, ran = _run("lstm", problem, {}, np.float32, True, monkeypatch, with_states=False)
    assert not ran


@pytest.mark.parametrize("backend_name", ["numpy", "simulated"])
def test_kernels_are_not_used_off_the_gpu(backend_name):
    minidl.set_backend(backend_name)
    tanh = get_inplace_activation("tanh", "test", "activation")
    assert not rnn_cuda.available(np.float32, 128, tanh)


@needs_gpu
def test_kernels_refuse_what_they_do_not_support(cupy_backend):
    tanh = get_inplace_activation("tanh", "test", "activation")
    custom = InplaceActivation("tanh", lambda a, out: None, lambda y: y)
    assert rnn_cuda.available(np.float64, 1024, tanh)
    assert not rnn_cuda.available(np.float16, 128, tanh)
    assert not rnn_cuda.available(np.float32, 1025, tanh)
    assert not rnn_cuda.available(np.float32, 128, custom)
