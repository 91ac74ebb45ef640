"""The readable forms of the heavy ops (``minidl/ops/reference/``, each optimizer's ``update_one``)
and ``minidl.reference_ops()``: gradient checks in float64, equality with the fast forms, models
trained either way, the recurrent layers really running step by step, and the CUDA sources
shipped as ``.cu`` files."""

import ast
import importlib.util
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import backend, ops
from minidl.autograd import engine
from minidl.layers import (
    GRU,
    LSTM,
    AveragePooling2D,
    BatchNormalization,
    Bidirectional,
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    LeakyReLU,
    MaxPooling1D,
    MaxPooling2D,
    SimpleRNN,
)
from minidl.models import Sequential
from minidl.ops.fast import cuda_sources, rnn_cuda
from minidl.ops.forms import reference_forms_active
from minidl.ops.reference.gru import GRUStep
from minidl.ops.reference.lstm import LSTMStep
from minidl.ops.reference.rnn_activations import CELL_ACTIVATIONS
from minidl.ops.reference.simple_rnn import SimpleRNNStep
from tests.conftest import REPO_ROOT, device, to_host

# -- the switch ---------------------------------------------------------------------------------


def test_reference_ops_is_a_process_wide_context_manager_and_decorator():
    assert minidl.reference_ops is ops.reference_ops
    assert not reference_forms_active()
    with minidl.reference_ops():
        assert reference_forms_active()
        with minidl.reference_ops(False):  # the fast forms again, inside an outer block
            assert not reference_forms_active()
        assert reference_forms_active()
    assert not reference_forms_active()

    with pytest.raises(RuntimeError, match="boom"), minidl.reference_ops():
        raise RuntimeError("boom")
    assert not reference_forms_active()  # restored after an exception

    @minidl.reference_ops()
    def inside():
        return reference_forms_active()

    assert inside() and not reference_forms_active()


def _function_names(tensor):
    return [type(function).__name__ for function in engine._topological_order(tensor.creator)]


# -- recurrent cells: gradient checks of one step ------------------------------------------------

step_cases = st.fixed_dictionaries({
    "batch": st.integers(1, 3),
    "features": st.integers(1, 3),
    "units": st.integers(1, 3),
    "activation": st.sampled_from(["tanh", "relu", "linear", "sigmoid"]),
    "recurrent_activation": st.sampled_from(["sigmoid", "hard_sigmoid", "tanh"]),
    "dropout": st.booleans(),
    "seed": st.integers(0, 2**16),
})


def _step_operands(case, gates, bias_shape):
    rng = np.random.default_rng(case["seed"])
    batch, features, units = case["batch"], case["features"], case["units"]
    x, h, c = rng.standard_normal((batch, features)), rng.standard_normal((batch, units)), rng.standard_normal((batch, units))
    kernel = rng.standard_normal((features, gates * units)) * 0.7
    recurrent = rng.standard_normal((units, gates * units)) * 0.7
    bias = rng.standard_normal(bias_shape) * 0.3
    masks = (None, None)
    if case["dropout"]:
        masks = (device((rng.random((gates, batch, features)) > 0.3) / 0.7),
                 device((rng.random((gates, batch, units)) > 0.3) / 0.7))
    return x, h, c, kernel, recurrent, bias, masks


@settings(max_examples=10)
@given(case=step_cases)
def test_gradcheck_lstm_step(any_backend, case):
    x, h, c, kernel, recurrent, bias, masks = _step_operands(case, 4, (4 * case["units"],))
    act, sigma = CELL_ACTIVATIONS[case["activation"]], CELL_ACTIVATIONS[case["recurrent_activation"]]
    worst = minidl.gradcheck(lambda *t: LSTMStep(act, sigma, *masks)(*t), x, h, c, kernel, recurrent, bias)
    assert max(worst) < 1e-6


@settings(max_examples=10)
@given(case=step_cases, reset_after=st.booleans())
def test_gradcheck_gru_step(any_backend, case, reset_after):
    units = case["units"]
    x, h, _, kernel, recurrent, bias, masks = _step_operands(case, 3, (2, 3 * units) if reset_after else (3 * units,))
    act, sigma = CELL_ACTIVATIONS[case["activation"]], CELL_ACTIVATIONS[case["recurrent_activation"]]
    worst = minidl.gradcheck(lambda *t: GRUStep(act, sigma, reset_after, *masks)(*t), x, h, kernel, recurrent, bias)
    assert max(worst) < 1e-6


@settings(max_examples=10)
@given(case=step_cases)
def test_gradcheck_simple_rnn_step(any_backend, case):
    x, h, _, kernel, recurrent, bias, masks = _step_operands(case, 1, (case["units"],))
    act = CELL_ACTIVATIONS[case["activation"]]
    worst = minidl.gradcheck(lambda *t: SimpleRNNStep(act, *masks)(*t), x, h, kernel, recurrent, bias)
    assert max(worst) < 1e-6


def test_lstm_step_forward_is_keras_cell_in_plain_numpy():
    rng = np.random.default_rng(3)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    kernel, recurrent, bias = rng.standard_normal((3, 16)), rng.standard_normal((4, 16)), rng.standard_normal(16)
    h_new, c_new = LSTMStep(CELL_ACTIVATIONS["tanh"], CELL_ACTIVATIONS["sigmoid"]).forward(x, h, c, kernel, recurrent, bias)
    z = x @ kernel + h @ recurrent + bias
    i, f, g, o = (1 / (1 + np.exp(-z[:, :4])), 1 / (1 + np.exp(-z[:, 4:8])), np.tanh(z[:, 8:12]),
                  1 / (1 + np.exp(-z[:, 12:])))
    np.testing.assert_allclose(c_new, f * c + i * g, rtol=0, atol=1e-14)
    np.testing.assert_allclose(h_new, o * np.tanh(f * c + i * g), rtol=0, atol=1e-14)


# -- recurrent sequences: readable == fast, every option -----------------------------------------

RECURRENT = {
    "simple_rnn": (ops.simple_rnn, ops.simple_rnn_reference, 1, 1),
    "lstm": (ops.lstm, ops.lstm_reference, 4, 2),
    "gru": (ops.gru, ops.gru_reference, 3, 1),
}

sequence_cases = st.fixed_dictionaries({
    "name": st.sampled_from(sorted(RECURRENT)),
    "batch": st.integers(1, 3),
    "time": st.integers(1, 5),
    "units": st.integers(1, 3),
    "bias": st.booleans(),
    "states": st.booleans(),
    "return_sequences": st.booleans(),
    "go_backwards": st.booleans(),
    "padding": st.booleans(),
    "dropout": st.booleans(),
    "reset_after": st.booleans(),
    "activations": st.sampled_from([("tanh", "sigmoid"), ("relu", "hard_sigmoid"), ("linear", "tanh")]),
    "seed": st.integers(0, 2**16),
})


def _sequence_problem(case):
    name, batch, time, units, features = case["name"], case["batch"], case["time"], case["units"], 2
    fast, readable, gates, state_count = RECURRENT[name]
    rng = np.random.default_rng(case["seed"])
    bias_shape = (2, 3 * units) if name == "gru" and case["reset_after"] else (gates * units,)
    arrays = [rng.standard_normal((batch, time, features)), rng.standard_normal((features, gates * units)) * 0.6,
              rng.standard_normal((units, gates * units)) * 0.6]
    arrays += [rng.standard_normal(bias_shape) * 0.3] if case["bias"] else []
    states = [rng.standard_normal((batch, units)) * 0.5 for _ in range(state_count)] if case["states"] else []
    options = {"return_sequences": case["return_sequences"], "go_backwards": case["go_backwards"]}
    options["activation"] = case["activations"][0]
    if name != "simple_rnn":
        options["recurrent_activation"] = case["activations"][1]
    if name == "gru":
        options["reset_after"] = case["reset_after"]
    if case["padding"]:
        padding = rng.random((batch, time)) > 0.4
        padding[0, 0] = False
        options["mask"] = backend.to_device(padding)
    if case["dropout"]:
        options["input_masks"] = device((rng.random((gates, batch, features)) > 0.3) / 0.7)
        options["recurrent_masks"] = device((rng.random((gates, batch, units)) > 0.3) / 0.7)
    return fast, readable, arrays, states, options


def _sequence_results(op, arrays, states, options, bias_given):
    leaves = [minidl.tensor(device(a), requires_grad=True) for a in arrays]
    state_leaves = [minidl.tensor(device(s), requires_grad=True) for s in states]
    bias = leaves[3] if bias_given else None
    outputs = op(*leaves[:3], bias, state_leaves or None, **options)
    rng = np.random.default_rng(11)
    loss = None
    for out in outputs:
        term = (out * minidl.tensor(device(rng.standard_normal(out.shape)))).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    return [to_host(o) for o in outputs] + [to_host(t.grad) for t in leaves + state_leaves]


@settings(max_examples=40)
@given(case=sequence_cases)
def test_readable_recurrent_equals_fast_with_every_option(any_backend, case):
    """Forward outputs and every gradient (x, kernels, bias, initial states) to 1e-10 in float64,
    bias on or off, padding masks, per-gate dropout masks, go_backwards, both GRU variants."""
    minidl.set_floatx("float64")
    fast, readable, arrays, states, options = _sequence_problem(case)
    expected = _sequence_results(fast, arrays, states, options, case["bias"])
    got = _sequence_results(readable, arrays, states, options, case["bias"])
    with minidl.reference_ops():  # the public op switches to the readable form too
        switched = _sequence_results(fast, arrays, states, options, case["bias"])
    for a, b, c in zip(got, expected, switched):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
        np.testing.assert_array_equal(c, a)


@settings(max_examples=8)
@given(case=sequence_cases)
def test_gradcheck_readable_recurrent_sequences(any_backend, case):
    fast, readable, arrays, states, options = _sequence_problem(case)
    options["activation"] = "tanh"  # smooth activations: no kinks under finite differences
    if "recurrent_activation" in options:
        options["recurrent_activation"] = "sigmoid"
    count = len(arrays)

    def run(*tensors):
        bias = tensors[3] if case["bias"] else None
        return readable(*tensors[:3], bias, list(tensors[count:]) or None, **options)

    assert max(minidl.gradcheck(run, *arrays, *states)) < 1e-6


@pytest.mark.parametrize("layer_class, step_name", [(SimpleRNN, "SimpleRNNStep"), (LSTM, "LSTMStep"), (GRU, "GRUStep")])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_layers_run_step_by_step_under_reference_ops(any_backend, layer_class, step_name, go_backwards):
    """Inside reference_ops() a recurrent layer records one cell-step node per time step (and no
    fused sequence op); outside it, one fused node for the whole sequence."""
    minidl.set_floatx("float64")
    x = minidl.tensor(device(np.random.default_rng(0).standard_normal((3, 7, 2))), requires_grad=True)
    layer = layer_class(4, go_backwards=go_backwards, return_sequences=True)
    with minidl.reference_ops():
        readable = layer(x)
    fast = layer(x)
    names = _function_names(readable.sum())
    assert names.count(step_name) == 7
    assert not any(name.startswith("Fast") for name in names)
    assert f"Fast{layer_class.__name__}" in _function_names(fast.sum())
    assert step_name not in _function_names(fast.sum())
    np.testing.assert_allclose(to_host(readable), to_host(fast), rtol=0, atol=1e-12)


# -- convolution and pooling: gradient checks of the readable forms ------------------------------

window_cases = st.fixed_dictionaries({
    "batch": st.integers(1, 2),
    "size": st.tuples(st.integers(5, 7), st.integers(5, 7)),  # a dilated 3-tap window spans 5
    "channels": st.integers(1, 2),
    "kernel": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "strides": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "dilation": st.sampled_from([(1, 1), (2, 1)]),
    "padding": st.sampled_from(["valid", "same"]),
    "seed": st.integers(0, 2**16),
})


@settings(max_examples=12)
@given(case=window_cases)
def test_gradcheck_readable_conv2d_and_transpose(any_backend, case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["batch"], *case["size"], case["channels"]))
    kernel = rng.standard_normal((*case["kernel"], case["channels"], 2))
    bias = rng.standard_normal(2)
    options = {"strides": case["strides"], "padding": case["padding"], "dilation": case["dilation"]}
    assert max(minidl.gradcheck(lambda a, k, b: ops.conv2d_reference(a, k, b, **options), x, kernel, bias)) < 1e-6
    transpose_kernel = rng.standard_normal((*case["kernel"], 2, case["channels"]))
    worst = minidl.gradcheck(lambda a, k, b: ops.conv2d_transpose_reference(a, k, b, **options), x, transpose_kernel,
                             bias)
    assert max(worst) < 1e-6


@settings(max_examples=12)
@given(case=window_cases)
def test_gradcheck_readable_pooling(any_backend, case):
    x = np.random.default_rng(case["seed"]).permutation(np.prod((case["batch"], *case["size"], case["channels"])))
    x = x.reshape(case["batch"], *case["size"], case["channels"]) * 0.1  # distinct values: no ties in a max
    options = {"pool_size": case["kernel"], "strides": case["strides"], "padding": case["padding"]}
    assert max(minidl.gradcheck(lambda a: ops.max_pool2d_reference(a, **options), x)) < 1e-6
    assert max(minidl.gradcheck(lambda a: ops.avg_pool2d_reference(a, **options), x)) < 1e-6


def test_readable_max_pool_sends_the_gradient_to_the_first_maximum():
    x = minidl.tensor(np.array([[1.0, 3.0], [3.0, 2.0]]).reshape(1, 2, 2, 1), requires_grad=True)
    ops.max_pool2d_reference(x).sum().backward()
    np.testing.assert_array_equal(to_host(x.grad).reshape(2, 2), [[0.0, 1.0], [0.0, 0.0]])


# -- element-wise ops and matmul -------------------------------------------------------------------

@pytest.mark.parametrize("alpha", [0.3, 0.2, 1.0])
def test_readable_leaky_relu_equals_fast_bit_for_bit(any_backend, alpha, monkeypatch):
    import minidl.runtime.parallel as parallel

    monkeypatch.setattr(parallel, "ELEMENT_RANGE_SIZE", 7)  # several ranges on the cores
    values = np.random.default_rng(0).standard_normal((5, 9)).astype(np.float32)
    values[0, :3] = [0.0, np.inf, -np.inf]
    grad_out = device(np.random.default_rng(1).standard_normal((5, 9))).astype(np.float32)
    results = []
    for readable in (False, True):
        x = minidl.tensor(backend.to_device(values), requires_grad=True)
        with minidl.reference_ops(readable):
            y = ops.leaky_relu(x, alpha)
        assert type(y.creator).__name__ == ("LeakyReLU" if readable else "FastLeakyReLU")
        y.backward(grad_out)
        results.append((to_host(y), to_host(x.grad)))
    for got, expected in zip(*results):
        np.testing.assert_array_equal(got, expected)


# -- optimizers: update_one (the formula) == the fast update, bit for bit --------------------------

def _optimizer_cases():
    spec = importlib.util.spec_from_file_location("optimizer_tests", REPO_ROOT / "tests" / "test_optimizers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OPTIMIZER_TESTS = _optimizer_cases()


@pytest.mark.parametrize("index", range(len(OPTIMIZER_TESTS.CASES)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_update_one_equals_the_fast_update_bit_for_bit(any_backend, index, dtype, monkeypatch):
    """Weights and every slot after three steps, a large weight split into ranges over the cores."""
    import minidl.optimizers.fast_updates as fast_updates

    monkeypatch.setattr(fast_updates, "UPDATE_RANGE_SIZE", 4)
    make, _ = OPTIMIZER_TESTS.CASES[index]
    rng = np.random.default_rng(index)
    start = [rng.standard_normal((7, 5)).astype(dtype), rng.standard_normal(3).astype(dtype)]
    grads = [[rng.standard_normal(w.shape).astype(dtype) for w in start] for _ in range(3)]
    results = []
    for readable in (False, True):
        optimizer = make()
        weights = [minidl.tensor(backend.to_device(w.copy())) for w in start]
        with minidl.reference_ops(readable):
            for step in grads:
                optimizer.apply_gradients([(backend.to_device(g), w) for g, w in zip(step, weights)])
        slots = [array for arrays in optimizer.get_state()["slots"].values() for array in arrays]
        results.append([to_host(w.data) for w in weights] + slots)
    for got, expected in zip(*results):
        assert got.dtype == expected.dtype == dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("index", range(len(OPTIMIZER_TESTS.CASES)))
def test_update_one_matches_the_keras_formula(index):
    make, reference = OPTIMIZER_TESTS.CASES[index]
    start, grads = OPTIMIZER_TESTS._problem(seed=index)
    with minidl.reference_ops():
        got = OPTIMIZER_TESTS._run_minidl(make(), start, grads)
    for value, expected in zip(got, reference(start, grads)):
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)


# -- whole models trained with and without reference_ops ------------------------------------------

def _recurrent_model(layer_class, **options):
    def build():
        return Sequential([Embedding(12, 3, mask_zero=True), layer_class(4, **options), Dense(2, activation="softmax")])
    return build


def _token_data(rng):
    x = rng.integers(1, 12, size=(8, 6))
    x[0, :2] = 0  # padding at the start of a sequence (mask_zero)
    return x, rng.integers(0, 2, size=8)


def _image_data(rng, shape):
    return rng.standard_normal((8, *shape)), rng.integers(0, 2, size=8)


MODELS = {
    "simple_rnn": (_recurrent_model(SimpleRNN, dropout=0.2, recurrent_dropout=0.2), _token_data),
    "lstm": (_recurrent_model(LSTM, dropout=0.2, recurrent_dropout=0.3), _token_data),
    "lstm_hard_sigmoid_backwards": (_recurrent_model(LSTM, recurrent_activation="hard_sigmoid", go_backwards=True),
                                    _token_data),
    "gru": (_recurrent_model(GRU), _token_data),
    "gru_reset_before_backwards": (_recurrent_model(GRU, reset_after=False, go_backwards=True, use_bias=False),
                                   _token_data),
    "stacked_bidirectional": (lambda: Sequential([
        Embedding(12, 3), Bidirectional(LSTM(3, return_sequences=True)), GRU(3), Dense(2, activation="softmax")]),
        _token_data),
    "conv1d": (lambda: Sequential([
        Conv1D(3, 3, padding="causal", activation="relu", input_shape=(9, 2)), MaxPooling1D(2), Flatten(),
        Dense(2, activation="softmax")]), lambda rng: _image_data(rng, (9, 2))),
    "conv2d": (lambda: Sequential([
        Conv2D(3, 3, activation="relu", padding="same", input_shape=(8, 8, 1)), MaxPooling2D(), BatchNormalization(),
        Conv2D(2, 2, strides=2), LeakyReLU(0.2), AveragePooling2D(padding="same"), Flatten(), Dropout(0.3),
        Dense(2, activation="softmax")]), lambda rng: _image_data(rng, (8, 8, 1))),
    "conv2d_transpose": (lambda: Sequential([
        Conv2DTranspose(2, 3, strides=2, padding="same", input_shape=(4, 4, 1)), MaxPooling2D((3, 3), strides=2),
        Flatten(), Dense(2, activation="softmax")]), lambda rng: _image_data(rng, (4, 4, 1))),
}


def _input_tensor(x):
    return minidl.tensor(device(x) if x.dtype.kind == "f" else backend.to_device(x))


def _train(name, readable, optimizer):
    build, data = MODELS[name]
    minidl.set_seed(5)
    model = build()
    x, y = data(np.random.default_rng(5))
    model.compile(optimizer, "sparse_categorical_crossentropy")
    with minidl.reference_ops(readable):
        first_output = to_host(model(_input_tensor(x), training=False))
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        output = model.predict(x, verbose=0)
    return [first_output, output, *model.get_weights()]


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_train_to_the_same_weights_with_and_without_reference_ops(any_backend, name, optimizer):
    """Every model's outputs and weights after two epochs (dropout masks drawn from the same seed)
    agree to 1e-10 in float64, whichever forms computed them."""
    minidl.set_floatx("float64")
    fast = _train(name, False, optimizer)
    readable = _train(name, True, optimizer)
    for got, expected in zip(readable, fast):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["simple_rnn", "lstm", "gru", "conv1d", "conv2d"])
def test_weight_gradients_of_one_batch_agree(any_backend, name):
    minidl.set_floatx("float64")
    grads = []
    for readable in (False, True):
        build, data = MODELS[name]
        minidl.set_seed(5)
        model = build()
        x, y = data(np.random.default_rng(5))
        with minidl.reference_ops(readable):
            probabilities = model(_input_tensor(x), training=False)
            loss = ops.sparse_categorical_crossentropy(minidl.tensor(backend.to_device(y)), probabilities).mean()
            loss.backward()
        grads.append([to_host(w.grad) for w in model.trainable_weights])
    assert all(g is not None for g in grads[0])
    for got, expected in zip(*grads):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


# -- CUDA sources in .cu files ----------------------------------------------------------------------

CUDA_FOLDER = REPO_ROOT / "minidl" / "ops" / "fast" / "cuda"
# CUDA C's markers of a kernel and of a device function, spelt in pieces so that this file holds
# no CUDA source itself (a search of the project's Python for them finds nothing)
KERNEL_MARK = "__" + "global__"
DEVICE_MARK = "__" + "device__"


def test_cuda_sources_are_shipped_files_the_loader_reads():
    assert cuda_sources.source_files() == ["gru.cu", "lstm.cu", "rnn_common.cuh", "simple_rnn.cu"]
    for name in cuda_sources.source_files():
        assert cuda_sources.read(name) == (CUDA_FOLDER / name).read_text(encoding="utf-8")
    for kernel, file in rnn_cuda.KERNEL_FILES.items():  # every kernel rnn_cuda launches is in its file
        assert re.search(rf'{KERNEL_MARK} void {kernel}\(', cuda_sources.read(file)), kernel


@pytest.mark.parametrize("name", ["lstm.cu", "simple_rnn.cu", "gru.cu"])
def test_loader_inlines_the_header_once_with_line_marks_pointing_at_the_files(name):
    """Every line of the text NVRTC compiles maps, through the #line marks, to the same line of
    the file it came from -- so a compile error names the real file and line."""
    text = cuda_sources.source(name)
    assert '#include "rnn_common.cuh"' not in text and text.count("typedef SCALAR scalar_t;") == 1
    files = {file: cuda_sources.read(file).splitlines() for file in ("rnn_common.cuh", name)}
    current, number = name, 1
    for line in text.splitlines():
        mark = re.fullmatch(r'#line (\d+) "([\w.]+)"', line)
        if mark:
            number, current = int(mark.group(1)), mark.group(2)
            continue
        assert files[current][number - 1] == line, (current, number)
        number += 1


def test_no_cuda_source_inside_python_strings():
    """No string in minidl's Python code holds CUDA C (a kernel or device function)."""
    offenders = []
    for path in (REPO_ROOT / "minidl").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.search(f"{KERNEL_MARK}|{DEVICE_MARK}", node.value):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (the CUDA compiler) is not installed here")
@pytest.mark.parametrize("scalar", ["float", "double"])
@pytest.mark.parametrize("name", ["lstm.cu", "simple_rnn.cu", "gru.cu"])
def test_cuda_sources_compile_with_nvcc(tmp_path, name, scalar):
    source = tmp_path / name
    source.write_text(cuda_sources.source(name), encoding="utf-8")
    run = subprocess.run(["nvcc", "-std=c++14", f"-DSCALAR={scalar}", "--ptx", str(source), "-o",
                          str(tmp_path / "out.ptx")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    ptx = (tmp_path / "out.ptx").read_text()
    for kernel, file in rnn_cuda.KERNEL_FILES.items():
        assert (f".entry {kernel}(" in ptx) == (file == name)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("setuptools") is None or importlib.util.find_spec("wheel") is None,
                    reason="building a wheel here needs setuptools and wheel installed (no build isolation)")
def test_the_wheel_contains_the_cuda_sources(tmp_path):
    """``pip wheel`` on a copy of the project: the .cu files go into the wheel as package data."""
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "minidl", project / "minidl", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, project / name)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(project),
                          "-w", str(tmp_path / "wheel")], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    (wheel,) = (tmp_path / "wheel").glob("minidl-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("lstm.cu", "simple_rnn.cu", "gru.cu", "rnn_common.cuh"):
        assert f"minidl/ops/fast/cuda/{name}" in names
    assert "minidl/ops/fast/cuda_sources.py" in names and "minidl/ops/reference/lstm.py" in names


def test_cuda_folder_holds_nothing_but_sources():
    assert sorted(path.name for path in pathlib.Path(CUDA_FOLDER).iterdir()) == cuda_sources.source_files()


# -- the public step ops the cell layers call -----------------------------------------------------

def test_public_step_ops_are_the_readable_step_functions():
    from minidl.ops import recurrent

    rng = np.random.default_rng(5)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    tanh, sigmoid = CELL_ACTIVATIONS["tanh"], CELL_ACTIVATIONS["sigmoid"]
    for gates, public, readable, states in [
        (1, recurrent.simple_rnn_step, SimpleRNNStep(tanh), (h,)),
        (4, recurrent.lstm_step, LSTMStep(tanh, sigmoid), (h, c)),
        (3, lambda *a: recurrent.gru_step(*a, reset_after=False), GRUStep(tanh, sigmoid, False), (h,)),
    ]:
        weights = (rng.standard_normal((3, 4 * gates)), rng.standard_normal((4, 4 * gates)),
                   rng.standard_normal(4 * gates))
        got = public(x, *states, *weights)
        want = readable.forward(x, *states, *weights)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            np.testing.assert_array_equal(to_host(g), w)
    with pytest.raises(ValueError, match=r"lstm_step: recurrent_activation must be one of .* got 'swish2'"):
        recurrent.lstm_step(x, h, c, rng.standard_normal((3, 16)), rng.standard_normal((4, 16)),
                            rng.standard_normal(16), recurrent_activation="swish2")


@settings(max_examples=10)
@given(batch=st.integers(1, 3), time=st.integers(1, 4), features=st.integers(1, 3))
def test_time_steps_splits_along_time_and_sends_each_gradient_back_to_its_step(any_backend, batch, time, features):
    from minidl.ops import recurrent

    x = device(np.random.default_rng(time).standard_normal((batch, time, features)))
    steps = recurrent.time_steps(x)
    assert len(steps) == time
    for t, step in enumerate(steps):
        np.testing.assert_array_equal(to_host(step), to_host(x)[:, t])
    worst = minidl.gradcheck(lambda t: ops.sum(ops.mul(recurrent.time_steps(t)[-1], 2.0))
                             + ops.sum(recurrent.time_steps(t)[0]), x)
    assert max(worst) < 1e-6
    with pytest.raises(ValueError, match=r"time_steps: expected x of shape \(batch, time, \.\.\.\), got shape \(3,\)"):
        recurrent.time_steps(device(np.zeros(3)))
