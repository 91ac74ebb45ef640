"""Recurrent layers: fused ops vs the primitive-op reference, vs plain NumPy, gradchecks, layers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.layers.recurrent import GRU, LSTM, SimpleRNN
from minidl.ops.dropout import dropout_mask
from minidl.ops.recurrent import gru, gru_reference, lstm, lstm_reference, simple_rnn, simple_rnn_reference
from tests.conftest import device, to_host

# -- independent plain-NumPy cells (loops over time, Keras's equations) --------------------------


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def numpy_simple_rnn(x, kernel, recurrent, bias, h=None):
    h = np.zeros((x.shape[0], recurrent.shape[0])) if h is None else h
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def numpy_lstm(x, kernel, recurrent, bias, h=None, c=None):
    u = recurrent.shape[0]
    h = np.zeros((x.shape[0], u)) if h is None else h
    c = np.zeros((x.shape[0], u)) if c is None else c
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = _sigmoid(z[:, :u]), _sigmoid(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), _sigmoid(z[:, 3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def numpy_gru(x, kernel, recurrent, bias, reset_after, h=None):
    u = recurrent.shape[0]
    h = np.zeros((x.shape[0], u)) if h is None else h
    outputs = []
    for t in range(x.shape[1]):
        if reset_after:
            xz = x[:, t] @ kernel + bias[0]
            hz = h @ recurrent + bias[1]
            z = _sigmoid(xz[:, :u] + hz[:, :u])
            r = _sigmoid(xz[:, u:2 * u] + hz[:, u:2 * u])
            hh = np.tanh(xz[:, 2 * u:] + r * hz[:, 2 * u:])
        else:
            xz = x[:, t] @ kernel + bias
            z = _sigmoid(xz[:, :u] + h @ recurrent[:, :u])
            r = _sigmoid(xz[:, u:2 * u] + h @ recurrent[:, u:2 * u])
            hh = np.tanh(xz[:, 2 * u:] + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, axis=1), h


# -- the three cells, described once for parametrised tests -------------------------------------

CELLS = {
    "simple_rnn": dict(fused=simple_rnn, reference=simple_rnn_reference, gates=1, states=1, extra={}),
    "lstm": dict(fused=lstm, reference=lstm_reference, gates=4, states=2, extra={}),
    "gru_reset_after": dict(fused=gru, reference=gru_reference, gates=3, states=1, extra={"reset_after": True}),
    "gru_reset_before": dict(fused=gru, reference=gru_reference, gates=3, states=1, extra={"reset_after": False}),
}


def _bias_shape(name, units):
    gates = CELLS[name]["gates"]
    return (2, 3 * units) if name == "gru_reset_after" else (gates * units,)


def _operands(name, batch, time, features, units, seed=0):
    rng = np.random.default_rng(seed)
    gates = CELLS[name]["gates"]
    return {
        "x": rng.standard_normal((batch, time, features)),
        "kernel": rng.standard_normal((features, gates * units)) * 0.6,
        "recurrent_kernel": rng.standard_normal((units, gates * units)) * 0.6,
        "bias": rng.standard_normal(_bias_shape(name, units)) * 0.3,
        "states": [rng.standard_normal((batch, units)) * 0.5 for _ in range(CELLS[name]["states"])],
    }


def _masks(name, batch, time, features, units, seed=1):
    rng = np.random.default_rng(seed)
    gates = CELLS[name]["gates"]
    padding = rng.random((batch, time)) > 0.35
    input_masks = (rng.random((gates, batch, features)) > 0.3) / 0.7
    recurrent_masks = (rng.random((gates, batch, units)) > 0.3) / 0.7
    return padding, input_masks, recurrent_masks


def _run_with_grads(function, name, operands, with_states, options):
    """Outputs and gradients (x, weights, states) of a weighted sum of all outputs."""
    leaves = [minidl.tensor(device(operands[key]), requires_grad=True) for key in ("x", "kernel", "recurrent_kernel", "bias")]
    states = [minidl.tensor(device(s), requires_grad=True) for s in operands["states"]] if with_states else []
    outputs = function(*leaves, initial_state=states or None, **CELLS[name]["extra"], **options)
    rng = np.random.default_rng(7)
    loss = None
    for out in outputs:
        term = (out * minidl.tensor(device(rng.standard_normal(out.shape)))).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    return [to_host(o) for o in outputs], [to_host(t.grad) for t in leaves + states]


OPTION_SETS = {
    "last": dict(),
    "sequences": dict(return_sequences=True),
    "backwards": dict(go_backwards=True, return_sequences=True),
    "backwards_last": dict(go_backwards=True),
    "padding": dict(padding=True, return_sequences=True),
    "padding_backwards_last": dict(padding=True, go_backwards=True),
    "dropout": dict(dropout=True),
    "everything": dict(padding=True, dropout=True, go_backwards=True, return_sequences=True),
}


def _option_set(name, option_set, batch, time, features, units):
    """The keyword arguments of ``OPTION_SETS[option_set]`` with its masks drawn."""
    padding, input_masks, recurrent_masks = _masks(name, batch, time, features, units)
    padding[0, :2] = False  # a sample whose first steps are padding (output zero, state initial)
    options = dict(OPTION_SETS[option_set])
    if options.pop("padding", False):
        options["mask"] = minidl.to_device(padding)
    if options.pop("dropout", False):
        options["input_masks"] = device(input_masks)
        options["recurrent_masks"] = device(recurrent_masks)
    return options


@pytest.mark.parametrize("helpers", ["helpers", "one_core"])
@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
@pytest.mark.parametrize("name", sorted(CELLS))
def test_fused_equals_reference_forward_and_backward(any_backend, name, option_set, helpers, monkeypatch):
    """Both ways the fast ops run on the CPU: with work handed to another core (the input
    projection ahead, the weight gradients behind: larger steps) and without (small steps)."""
    import minidl.ops.fast.rnn_common as rnn_common

    monkeypatch.setattr(rnn_common, "MIN_STEP_VALUES_FOR_HELPERS", 0 if helpers == "helpers" else 10**9)
    minidl.set_floatx("float64")
    batch, time, features, units = 3, 5, 4, 3
    operands = _operands(name, batch, time, features, units)
    options = _option_set(name, option_set, batch, time, features, units)
    for with_states in (False, True):
        fused = _run_with_grads(CELLS[name]["fused"], name, operands, with_states, options)
        reference = _run_with_grads(CELLS[name]["reference"], name, operands, with_states, options)
        for got, expected in zip(fused[0] + fused[1], reference[0] + reference[1]):
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("option_set", ["last", "backwards", "padding"])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_an_empty_batch_runs_forward_and_backward(any_backend, name, option_set):
    """Zero samples: outputs of zero rows and zero weight gradients, in both forms -- not a
    division by the size of an empty step."""
    minidl.set_floatx("float64")
    batch, time, features, units = 0, 4, 3, 2
    operands = _operands(name, batch, time, features, units)
    options = dict(OPTION_SETS[option_set])
    if options.pop("padding", False):
        options["mask"] = minidl.to_device(np.ones((batch, time), bool))
    fused = _run_with_grads(CELLS[name]["fused"], name, operands, False, options)
    reference = _run_with_grads(CELLS[name]["reference"], name, operands, False, options)
    for got, expected in zip(fused[0] + fused[1], reference[0] + reference[1]):
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    assert all(not grad.any() for grad in fused[1][1:])


@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
@pytest.mark.parametrize("name", sorted(CELLS))
def test_forward_in_chunks_and_without_recording_equals_reference(any_backend, name, option_set, monkeypatch):
    """The forward loop reads its input projection a chunk of steps at a time, each chunk
    projected ahead on another core (here 3 steps a chunk, 8 steps); without recording
    (inference) it keeps two state slots instead of every step's. Same numbers either way."""
    import minidl.ops.fast.rnn_common as rnn_common
    import minidl.runtime.parallel as parallel

    minidl.set_floatx("float64")
    batch, time, features, units = 3, 8, 4, 3
    monkeypatch.setattr(parallel, "CPU_CHUNK_BYTES", 3 * CELLS[name]["gates"] * units * batch * 8)
    monkeypatch.setattr(rnn_common, "MIN_STEP_VALUES_FOR_HELPERS", 0)  # projected ahead even at this size
    operands = _operands(name, batch, time, features, units)
    options = _option_set(name, option_set, batch, time, features, units)
    recorded, _ = _run_with_grads(CELLS[name]["fused"], name, operands, True, options)
    reference, _ = _run_with_grads(CELLS[name]["reference"], name, operands, True, options)
    for got, expected in zip(recorded, reference):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
    with minidl.no_grad():
        inputs = [minidl.tensor(device(operands[key])) for key in ("x", "kernel", "recurrent_kernel", "bias")]
        states = [minidl.tensor(device(state)) for state in operands["states"]]
        inferred = CELLS[name]["fused"](*inputs, initial_state=states, **CELLS[name]["extra"], **options)
    for got, expected in zip(inferred, recorded):
        np.testing.assert_array_equal(to_host(got), expected)


@pytest.mark.parametrize("option_set", ["last", "sequences", "padding_backwards_last", "padding"])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_inference_in_batch_halves_equals_the_whole_batch(name, option_set, monkeypatch):
    """Inference of a large layer runs the two halves of the batch on two cores at once; each
    half must be exactly that half of the whole run (initial states and padding mask split with
    it), and a recorded forward (training) is never split."""
    import minidl.ops.fast.gru as rnn_gru_module
    import minidl.ops.fast.lstm as rnn_lstm_module
    import minidl.ops.fast.rnn_common as rnn_common
    import minidl.ops.fast.simple_rnn as rnn_simple_module

    minidl.set_floatx("float64")
    batch, time, features, units = 5, 6, 4, 3
    operands = _operands(name, batch, time, features, units)
    options = _option_set(name, option_set, batch, time, features, units)
    inputs = [minidl.tensor(operands[key]) for key in ("x", "kernel", "recurrent_kernel", "bias")]
    states = [minidl.tensor(state) for state in operands["states"]]
    with minidl.no_grad():
        whole = CELLS[name]["fused"](*inputs, initial_state=states, **CELLS[name]["extra"], **options)
    splits = []  # what every call of forward_in_batch_halves returned, in the order they returned
    original = rnn_common.forward_in_batch_halves

    def recording_splits(*args, **kwargs):
        result = original(*args, **kwargs)
        splits.append(result)
        return result

    monkeypatch.setattr(rnn_common, "MIN_STEP_MACS_FOR_BATCH_HALVES", 0)
    for module in (rnn_lstm_module, rnn_gru_module, rnn_simple_module):
        monkeypatch.setattr(module, "forward_in_batch_halves", recording_splits)
    with minidl.no_grad():
        halves = CELLS[name]["fused"](*inputs, initial_state=states, **CELLS[name]["extra"], **options)
    # one split (recorded last: after its two halves, which did not split again)
    assert splits[-1] is not None and splits[:-1] == [None, None]
    for got, expected in zip(halves, whole):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=0, atol=1e-12)
    recorded, _ = _run_with_grads(CELLS[name]["fused"], name, operands, True, options)
    assert splits[-1] is None  # training keeps the whole batch
    reference, _ = _run_with_grads(CELLS[name]["reference"], name, operands, True, options)
    for got, expected in zip(halves, reference):
        np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["lstm", "gru_reset_after", "gru_reset_before"])
def test_backward_in_several_time_chunks_equals_reference(any_backend, name, monkeypatch):
    """The LSTM and GRU backward loops precompute step factors a cache-sized chunk of steps at a time."""
    import minidl.ops.fast.rnn_common as rnn_common

    minidl.set_floatx("float64")
    batch, time, features, units = 2, 7, 3, 2
    step_bytes = CELLS[name]["gates"] * units * batch * 8
    monkeypatch.setattr(rnn_common, "STEP_FACTORS_CHUNK_BYTES", 3 * step_bytes)  # 3 steps per chunk
    monkeypatch.setattr(rnn_common, "MIN_STEP_VALUES_FOR_HELPERS", 0)  # weight gradients in blocks behind
    operands = _operands(name, batch, time, features, units)
    padding, input_masks, recurrent_masks = _masks(name, batch, time, features, units)
    options = dict(return_sequences=True, mask=minidl.to_device(padding))
    fused = _run_with_grads(CELLS[name]["fused"], name, operands, True, options)
    reference = _run_with_grads(CELLS[name]["reference"], name, operands, True, options)
    for got, expected in zip(fused[0] + fused[1], reference[0] + reference[1]):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("masked", [False, True])
def test_lstm_one_tanh_for_all_gates_equals_the_sigmoid_form_exactly(any_backend, masked):
    """With sigmoid and tanh, the LSTM halves its sigmoid gates' weights and applies one tanh to
    all four gates (sigmoid(z) = (1 + tanh(z/2)) / 2); halving is exact, so the result must be
    bit for bit that of the generic path, which applies sigmoid and tanh separately."""
    from minidl.ops.fast.rnn_common import InplaceActivation, _sigmoid_apply, _sigmoid_derivative

    batch, time, features, units = 3, 6, 4, 5
    operands = _operands("lstm", batch, time, features, units, seed=7)
    options = dict(return_sequences=True)
    if masked:
        padding, input_masks, recurrent_masks = _masks("lstm", batch, time, features, units, seed=8)
        options.update(mask=minidl.to_device(padding), input_masks=device(input_masks),
                       recurrent_masks=device(recurrent_masks))
    generic_sigmoid = InplaceActivation("sigmoid, applied on its own", _sigmoid_apply, _sigmoid_derivative)
    one_tanh = _run_with_grads(lstm, "lstm", operands, True, options)
    separate = _run_with_grads(lstm, "lstm", operands, True, dict(options, recurrent_activation=generic_sigmoid))
    for got, expected in zip(one_tanh[0] + one_tanh[1], separate[0] + separate[1]):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("activations", [("relu", "hard_sigmoid"), ("linear", "tanh"), ("tanh", "sigmoid")])
@pytest.mark.parametrize("name", ["lstm", "gru_reset_after", "gru_reset_before"])
def test_fused_equals_reference_for_other_activations(name, activations):
    minidl.set_floatx("float64")
    operands = _operands(name, 2, 4, 3, 2, seed=3)
    options = dict(activation=activations[0], recurrent_activation=activations[1], return_sequences=True)
    fused = _run_with_grads(CELLS[name]["fused"], name, operands, True, options)
    reference = _run_with_grads(CELLS[name]["reference"], name, operands, True, options)
    for got, expected in zip(fused[0] + fused[1], reference[0] + reference[1]):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


# -- gradient checks -----------------------------------------------------------------------------


@settings(max_examples=6)
@given(batch=st.integers(1, 3), time=st.integers(1, 4), features=st.integers(1, 3), units=st.integers(1, 3),
       go_backwards=st.booleans(), return_sequences=st.booleans(), seed=st.integers(0, 2**16))
@pytest.mark.parametrize("name", sorted(CELLS))
def test_gradcheck_fused_ops(name, batch, time, features, units, go_backwards, return_sequences, seed):
    operands = _operands(name, batch, time, features, units, seed)
    cell = CELLS[name]
    states = operands["states"]

    def run(x, kernel, recurrent_kernel, bias, *initial):
        return cell["fused"](x, kernel, recurrent_kernel, bias, initial_state=list(initial), go_backwards=go_backwards,
                             return_sequences=return_sequences, **cell["extra"])

    errors = minidl.gradcheck(run, operands["x"], operands["kernel"], operands["recurrent_kernel"], operands["bias"],
                              *states)
    assert max(errors) < 1e-6


@settings(max_examples=4)
@given(batch=st.integers(1, 3), time=st.integers(1, 4), seed=st.integers(0, 2**16))
@pytest.mark.parametrize("name", ["lstm", "gru_reset_before"])
def test_gradcheck_with_padding_and_dropout_masks(name, batch, time, seed):
    features, units = 2, 2
    operands = _operands(name, batch, time, features, units, seed)
    padding, input_masks, recurrent_masks = _masks(name, batch, time, features, units, seed + 1)
    cell = CELLS[name]

    def run(x, kernel, recurrent_kernel, bias):
        return cell["fused"](x, kernel, recurrent_kernel, bias, return_sequences=True, mask=padding,
                             input_masks=input_masks, recurrent_masks=recurrent_masks, **cell["extra"])

    errors = minidl.gradcheck(run, operands["x"], operands["kernel"], operands["recurrent_kernel"], operands["bias"])
    assert max(errors) < 1e-6


# -- layers against plain NumPy ------------------------------------------------------------------


def _layer_for(name, units, **kwargs):
    if name == "simple_rnn":
        return SimpleRNN(units, **kwargs)
    if name == "lstm":
        return LSTM(units, **kwargs)
    return GRU(units, reset_after=name == "gru_reset_after", **kwargs)


def _numpy_forward(name, x, weights, states=()):
    if name == "simple_rnn":
        return numpy_simple_rnn(x, *weights, *states)
    if name == "lstm":
        return numpy_lstm(x, *weights, *states)
    return numpy_gru(x, *weights, name == "gru_reset_after", *states)


@settings(max_examples=5)
@given(batch=st.integers(1, 4), time=st.integers(1, 6), features=st.integers(1, 4), units=st.integers(1, 4),
       seed=st.integers(0, 2**16))
@pytest.mark.parametrize("name", sorted(CELLS))
def test_layer_matches_plain_numpy(name, batch, time, features, units, seed):
    minidl.set_floatx("float64")
    operands = _operands(name, batch, time, features, units, seed)
    layer = _layer_for(name, units, return_sequences=True, return_state=True)
    layer(operands["x"][:, :1])  # build
    weights = [operands["kernel"], operands["recurrent_kernel"], operands["bias"]]
    layer.set_weights(weights)
    sequence, *states = layer(operands["x"], initial_state=operands["states"])
    expected_sequence, *expected_states = _numpy_forward(name, operands["x"], weights, operands["states"])
    np.testing.assert_allclose(to_host(sequence), expected_sequence, atol=1e-12)
    for got, expected in zip(states, expected_states):
        np.testing.assert_allclose(to_host(got), expected, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_layer_go_backwards_reads_the_reversed_sequence(any_backend, name):
    minidl.set_floatx("float64")
    operands = _operands(name, 2, 5, 3, 4)
    weights = [operands["kernel"], operands["recurrent_kernel"], operands["bias"]]
    layer = _layer_for(name, 4, go_backwards=True, return_sequences=True)
    layer(device(operands["x"]))
    layer.set_weights(weights)
    expected = _numpy_forward(name, operands["x"][:, ::-1], weights)[0]
    np.testing.assert_allclose(to_host(layer(device(operands["x"]))), expected, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_padding_mask_gives_the_result_of_the_unpadded_sequence(any_backend, name):
    """Post-padding masked out: the last output is the output at each sample's last real step."""
    minidl.set_floatx("float64")
    operands = _operands(name, 3, 6, 2, 3)
    lengths = [6, 3, 1]
    mask = np.array([[t < n for t in range(6)] for n in lengths])
    x = minidl.tensor(device(operands["x"]))
    x.mask = minidl.to_device(mask)
    layer = _layer_for(name, 3)
    layer(x)
    weights = [operands["kernel"], operands["recurrent_kernel"], operands["bias"]]
    layer.set_weights(weights)
    got = to_host(layer(x))
    for sample, length in enumerate(lengths):
        expected = _numpy_forward(name, operands["x"][sample:sample + 1, :length], weights)[0][0, -1]
        np.testing.assert_allclose(got[sample], expected, atol=1e-12)


# -- layer behaviour -----------------------------------------------------------------------------


def test_parameter_counts_match_keras():
    x = minidl.tensor(np.zeros((2, 3, 32), dtype=np.float32))
    for layer, count in [(SimpleRNN(32), 2080), (LSTM(32), 8320), (GRU(32, reset_after=False), 6240),
                         (GRU(32), 6336), (LSTM(100), 53200)]:
        layer(x)
        assert layer.count_params() == count, layer.name


def test_weight_shapes_names_and_unit_forget_bias():
    x = minidl.tensor(np.zeros((2, 3, 5), dtype=np.float32))
    lstm_layer = LSTM(4, name="encoder")
    lstm_layer(x)
    kernel, recurrent, bias = lstm_layer.get_weights()
    assert kernel.shape == (5, 16) and recurrent.shape == (4, 16) and bias.shape == (16,)
    assert [w.name for w in lstm_layer.weights] == ["encoder/kernel", "encoder/recurrent_kernel", "encoder/bias"]
    np.testing.assert_array_equal(bias, [0] * 4 + [1] * 4 + [0] * 8)  # forget gate (second block) at 1
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)  # orthonormal rows
    no_forget = LSTM(4, unit_forget_bias=False)
    no_forget(x)
    assert not no_forget.get_weights()[2].any()
    gru_layer = GRU(4)
    gru_layer(x)
    assert gru_layer.get_weights()[2].shape == (2, 12)
    no_bias = SimpleRNN(4, use_bias=False)
    no_bias(x)
    assert len(no_bias.weights) == 2


def test_return_state_and_output_mask(any_backend):
    x = minidl.tensor(np.ones((2, 3, 5), dtype=np.float32))
    x.mask = minidl.to_device(np.array([[True, True, False], [True, True, True]]))
    output, h, c = LSTM(4, return_sequences=True, return_state=True)(x)
    assert output.shape == (2, 3, 4) and h.shape == (2, 4) and c.shape == (2, 4)
    assert output.mask is x.mask
    sequence = to_host(output)
    np.testing.assert_allclose(sequence[0, 2], sequence[0, 1])  # the padded step carries the output
    np.testing.assert_allclose(to_host(h)[0], sequence[0, 1])
    np.testing.assert_allclose(to_host(h)[1], sequence[1, 2])
    last, state = GRU(4, return_state=True)(x)
    assert last.mask is None
    np.testing.assert_allclose(to_host(last), to_host(state))


def test_dropout_uses_per_gate_masks_drawn_once_per_sequence(any_backend):
    """Training output equals the reference run with the masks the layer draws (same seed)."""
    minidl.set_floatx("float64")
    layer = LSTM(3, dropout=0.3, recurrent_dropout=0.4, return_sequences=True)
    x = device(np.random.default_rng(0).standard_normal((2, 4, 5)))
    layer(x)
    minidl.set_seed(5)
    trained = to_host(layer(x, training=True))
    minidl.set_seed(5)
    input_masks = dropout_mask((4, 2, 5), 0.3, np.float64)
    recurrent_masks = dropout_mask((4, 2, 3), 0.4, np.float64)
    expected = lstm_reference(minidl.tensor(x), layer.kernel, layer.recurrent_kernel, layer.bias, return_sequences=True,
                              input_masks=input_masks, recurrent_masks=recurrent_masks)[0]
    np.testing.assert_allclose(trained, to_host(expected), atol=1e-12)
    inference = to_host(layer(x))
    assert not np.allclose(trained, inference)
    np.testing.assert_allclose(inference, to_host(layer(x)))  # no dropout outside training


def test_regularizers_add_penalties():
    layer = LSTM(2, kernel_regularizer="l2", recurrent_regularizer="l1", bias_regularizer="l2")
    layer(np.zeros((1, 2, 3), dtype=np.float32))
    assert len(layer.regularization_losses()) == 3


def test_bad_inputs_raise_clear_errors():
    layer = LSTM(3, name="encoder")
    with pytest.raises(ValueError, match=r"encoder \(LSTM\): expected input of rank 3 \(batch, time, features\)"):
        layer(np.zeros((2, 5), dtype=np.float32))
    layer(np.zeros((2, 5, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"encoder \(LSTM\): expected input of rank 3 with 4 features.*\(2, 5, 6\)"):
        layer(np.zeros((2, 5, 6), dtype=np.float32))
    with pytest.raises(ValueError, match="stateful"):
        GRU(3, stateful="yes")
    with pytest.raises(ValueError, match="recurrent_activation must be one of"):
        LSTM(3, recurrent_activation="softmax")
    with pytest.raises(ValueError, match="dropout must be in"):
        SimpleRNN(3, dropout=1.0)
    with pytest.raises(ValueError, match="initial_state must hold 2"):
        LSTM(3)(np.zeros((1, 2, 3), dtype=np.float32), initial_state=[np.zeros((1, 3), dtype=np.float32)])
    with pytest.raises(ValueError, match=r"lstm: kernel must have shape"):
        lstm(np.zeros((1, 2, 3)), np.zeros((4, 8)), np.zeros((2, 8)))


def test_config_round_trip():
    layer = GRU(5, reset_after=False, dropout=0.2, return_sequences=True, go_backwards=True, name="g")
    clone = GRU.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    lstm_layer = LSTM(2, recurrent_activation="hard_sigmoid", unit_forget_bias=False, kernel_regularizer="l2")
    assert LSTM.from_config(lstm_layer.get_config()).get_config() == lstm_layer.get_config()


def test_symbolic_call_gives_output_shapes():
    from minidl.layers import Input

    inputs = Input(shape=(7, 3))
    output, h, c = LSTM(4, return_sequences=True, return_state=True)(inputs)
    assert output.shape == (None, 7, 4) and h.shape == (None, 4) and c.shape == (None, 4)


def test_float32_layer_output_stays_float32(any_backend):
    out = LSTM(3)(np.ones((2, 4, 5), dtype=np.float32))
    assert out.dtype == np.float32


@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 5)),
       axes=st.permutations([0, 1, 2]), block_axis=st.integers(0, 2), block=st.integers(1, 17),
       reverse=st.booleans())
def test_transposed_copy_in_blocks_equals_one_transposing_copy(shape, axes, block_axis, block, reverse):
    from minidl.ops.fast.rnn_common import transposed_copy

    array = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    if reverse:
        array = array[:, ::-1]
    copied = transposed_copy(array, tuple(axes), block_axis, block)
    assert copied.flags.c_contiguous
    np.testing.assert_array_equal(copied, array.transpose(axes))
