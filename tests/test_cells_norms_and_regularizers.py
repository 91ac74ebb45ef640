"""SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells and RNN(cell); GroupNormalization,
UnitNormalization, PReLU; SpatialDropout2D, AlphaDropout and ActivityRegularization: plain
NumPy references, float64 gradient checks on drawn shapes, every backend, Keras's weights and
(where Keras is installed) Keras's values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.layers import (
    GRU,
    LSTM,
    RNN,
    ActivityRegularization,
    AlphaDropout,
    Dense,
    Embedding,
    GroupNormalization,
    GRUCell,
    Input,
    Layer,
    LSTMCell,
    PReLU,
    SimpleRNN,
    SimpleRNNCell,
    SpatialDropout2D,
    UnitNormalization,
)
from minidl.models import Model, Sequential
from tests.conftest import device, to_host, with_weights


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_lstm(x, kernel, recurrent, bias):
    """Keras's LSTM step by step, gates i, f, c, o."""
    units = recurrent.shape[0]
    h = c = np.zeros((x.shape[0], units))
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


@given(batch=st.integers(1, 3), steps=st.integers(1, 4), features=st.integers(1, 3), units=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_rnn_of_an_lstm_cell_matches_loops_equals_lstm_and_gradcheck(any_backend, batch, steps, features, units,
                                                                     seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, features))
    layer = RNN(LSTMCell(units), return_sequences=True, return_state=True)
    layer(device(x))
    weights = [rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    sequence, h, c = (to_host(t) for t in layer(device(x)))
    expected = numpy_lstm(x, *weights)
    for ours, theirs in zip((sequence, h, c), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)
    fused = LSTM(units, return_sequences=True)
    fused(device(x))
    fused.set_weights(weights)
    np.testing.assert_allclose(to_host(fused(device(x))), sequence, rtol=1e-9, atol=1e-10)
    cell = layer.cell

    def fn(inputs, kernel):
        saved = cell.kernel
        cell.kernel = kernel
        try:
            return layer(inputs)[0]
        finally:
            cell.kernel = saved

    assert max(minidl.gradcheck(fn, device(x), device(weights[0]))) < 1e-6


@given(batch=st.integers(1, 3), steps=st.integers(1, 4), units=st.integers(1, 3), reset_after=st.booleans(),
       go_backwards=st.booleans(), seed=st.integers(0, 2**16))
def test_gru_and_simple_rnn_cells_equal_their_layers(any_backend, batch, steps, units, reset_after, go_backwards, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, 2))
    for cell, layer in ((GRUCell(units, reset_after=reset_after), GRU(units, reset_after=reset_after,
                                                                        go_backwards=go_backwards)),
                        (SimpleRNNCell(units, activation="relu"), SimpleRNN(units, activation="relu",
                                                                             go_backwards=go_backwards))):
        wrapped = RNN(cell, go_backwards=go_backwards)
        wrapped(device(x))
        layer(device(x))
        weights = [rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()]
        wrapped.set_weights(weights)
        layer.set_weights(weights)
        np.testing.assert_allclose(to_host(wrapped(device(x))), to_host(layer(device(x))), rtol=1e-9, atol=1e-10)
        assert max(minidl.gradcheck(wrapped, device(x))) < 1e-6


def test_stacked_cells_masks_initial_states_and_custom_cells(any_backend):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3))
    stacked = RNN([SimpleRNNCell(4), GRUCell(2)], return_sequences=True, return_state=True)
    outputs = stacked(device(x))
    assert [tuple(t.shape) for t in outputs] == [(2, 5, 2), (2, 4), (2, 2)]
    assert [w.name.split("/")[-1] for w in stacked.weights] == ["kernel", "recurrent_kernel", "bias"] * 2
    first, second = RNN(SimpleRNNCell(4), return_sequences=True), RNN(GRUCell(2), return_sequences=True)
    first(device(x))
    second(first(device(x)))
    first.set_weights(stacked.get_weights()[:3])
    second.set_weights(stacked.get_weights()[3:])
    np.testing.assert_allclose(to_host(outputs[0]), to_host(second(first(device(x)))), rtol=1e-10)
    ids = np.array([[1, 2, 0, 0], [3, 4, 5, 0]])
    embedded = Embedding(6, 3, mask_zero=True)(ids)
    masked = RNN(LSTMCell(2))
    last = to_host(masked(embedded))
    for sample, length in enumerate([2, 3]):  # the state after the last real step is the output
        alone = to_host(masked(embedded[sample:sample + 1, :length]))
        np.testing.assert_allclose(last[sample], alone[0], rtol=1e-9, atol=1e-10)
    h0 = rng.standard_normal((2, 4))
    started = RNN(SimpleRNNCell(4), return_state=True)
    _, h = started(device(x), initial_state=[device(h0)])
    assert h.shape == (2, 4)
    with pytest.raises(ValueError, match=r"initial_state must hold 1 tensor\(s\)"):
        started(device(x), initial_state=[device(h0), device(h0)])

    class MinimalCell(Layer):
        """Keras's guide's minimal cell: h' = x W + tanh(h U)."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
            self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units))

        def call(self, inputs, states):
            output = inputs @ self.kernel + minidl.ops.tanh(states[0] @ self.recurrent_kernel)
            return output, [output]

    custom = RNN(MinimalCell(3))
    assert custom(device(x)).shape == (2, 3)
    assert max(minidl.gradcheck(lambda t: custom(t), device(x))) < 1e-6


def test_cell_dropout_masks_are_fixed_for_a_sequence():
    minidl.set_seed(0)
    cell = SimpleRNNCell(3, dropout=0.5, use_bias=False)
    layer = RNN(cell, return_sequences=True)
    x = np.ones((4, 6, 2), np.float32)
    layer(x)
    cell.set_weights([np.ones((2, 3), np.float32), np.zeros((3, 3), np.float32)])
    out = to_host(layer(x, training=True))
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1], out.shape))  # the same mask at every step
    assert len({tuple(row) for row in out[:, 0].round(5)}) > 1  # different masks for different samples
    np.testing.assert_allclose(to_host(layer(x, training=False)), np.tanh(2.0), rtol=1e-6)


def test_rnn_cells_in_a_model_train_and_round_trip_through_json():
    minidl.set_seed(0)
    model = Sequential([Input((5, 3)), RNN([LSTMCell(4), GRUCell(3)]), Dense(1)])
    model.compile("adam", "mse")
    x = np.random.default_rng(0).standard_normal((16, 5, 3)).astype("float32")
    history = model.fit(x, x[:, 0, :1], epochs=4, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    rebuilt = minidl.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


# -- normalisations --------------------------------------------------------------------------------

def numpy_group_norm(x, groups, gamma, beta, epsilon):
    out = np.empty_like(x)
    size = x.shape[-1] // groups
    for sample in range(x.shape[0]):
        for group in range(groups):
            block = x[sample, ..., group * size:(group + 1) * size]
            out[sample, ..., group * size:(group + 1) * size] = (block - block.mean()) / np.sqrt(block.var() + epsilon)
    return out * gamma + beta


@given(batch=st.integers(1, 3), spatial=st.lists(st.integers(1, 3), max_size=2), groups=st.sampled_from([1, 2, -1]),
       seed=st.integers(0, 2**16))
def test_group_normalization_matches_loops_and_gradcheck(any_backend, batch, spatial, groups, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *spatial, 4))
    layer = GroupNormalization(groups, epsilon=1e-3)
    layer(device(x))
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    layer.set_weights([gamma, beta])
    count = 4 if groups == -1 else groups
    np.testing.assert_allclose(to_host(layer(device(x))), numpy_group_norm(x, count, gamma, beta, 1e-3), rtol=1e-8,
                               atol=1e-9)
    fn = with_weights(layer, ["gamma", "beta"])
    assert max(minidl.gradcheck(fn, device(x), device(gamma), device(beta))) < 1e-6


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_unit_normalization_and_prelu_match_numpy_and_gradcheck(any_backend, shape, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, *shape))
    np.testing.assert_allclose(to_host(UnitNormalization()(device(x))), x / np.linalg.norm(x, axis=-1, keepdims=True),
                               rtol=1e-9)
    assert max(minidl.gradcheck(lambda t: UnitNormalization()(t), device(x))) < 1e-6
    prelu = PReLU(shared_axes=[1] if len(shape) > 1 else None)
    prelu(device(x))
    alpha = rng.standard_normal(prelu.alpha.shape)
    prelu.set_weights([alpha])
    np.testing.assert_allclose(to_host(prelu(device(x))), np.where(x > 0, x, alpha * x), rtol=1e-10)

    def fn(t, a):
        saved = prelu.alpha
        prelu.alpha = a
        try:
            return prelu(t)
        finally:
            prelu.alpha = saved

    assert max(minidl.gradcheck(fn, device(x), device(alpha))) < 1e-6


# -- regularisation ---------------------------------------------------------------------------------

def test_spatial_and_alpha_dropout_statistics(any_backend):
    minidl.set_seed(1)
    x = np.ones((400, 3, 3, 8), np.float32)
    dropped = to_host(SpatialDropout2D(0.5)(x, training=True))
    per_map = dropped.reshape(400, 9, 8)
    assert np.all(per_map.min(axis=1) == per_map.max(axis=1))  # a whole feature map is kept or dropped
    assert abs(dropped.mean() - 1.0) < 0.05
    np.testing.assert_array_equal(to_host(SpatialDropout2D(0.5)(x, training=False)), x)
    normal = np.random.default_rng(0).standard_normal((20000, 4)).astype(np.float32)
    alpha = to_host(AlphaDropout(0.2)(normal, training=True))
    assert abs(alpha.mean()) < 0.03 and abs(alpha.std() - 1.0) < 0.03  # mean and variance are kept
    np.testing.assert_array_equal(to_host(AlphaDropout(0.2)(normal)), normal)


def test_alpha_dropout_gradcheck_with_the_mask_held_fixed(any_backend):
    minidl.set_floatx("float64")
    layer = AlphaDropout(0.3)

    def fixed_mask(t):
        minidl.set_seed(2)
        return layer(t, training=True)

    assert max(minidl.gradcheck(fixed_mask, device(np.random.default_rng(0).standard_normal((3, 4))))) < 1e-6


def test_activity_regularization_adds_its_penalty_to_the_loss(any_backend):
    minidl.set_floatx("float64")
    inputs = Input((3,))
    outputs = ActivityRegularization(l1=0.1, l2=0.01)(inputs)
    model = Model(inputs, outputs)
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])
    np.testing.assert_array_equal(to_host(model(device(x))), x)
    penalty = sum(float(to_host(loss)) for loss in model.losses)
    np.testing.assert_allclose(penalty, (0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()) / 2)
    layer = ActivityRegularization(l2=0.5)
    assert max(minidl.gradcheck(lambda t: layer(t) * 1.0 + 0.0, device(x))) < 1e-8


def test_these_layers_match_keras():
    keras = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    rng = np.random.default_rng(4)
    sequences, images = rng.standard_normal((2, 5, 3)).astype("f"), rng.standard_normal((2, 4, 4, 6)).astype("f")
    cases = [
        (RNN(LSTMCell(3), return_sequences=True), keras.layers.RNN(keras.layers.LSTMCell(3), return_sequences=True),
         sequences),
        (RNN([SimpleRNNCell(2), GRUCell(3, reset_after=False)], go_backwards=True),
         keras.layers.RNN([keras.layers.SimpleRNNCell(2), keras.layers.GRUCell(3, reset_after=False)],
                          go_backwards=True), sequences),
        (GroupNormalization(3), keras.layers.GroupNormalization(3), images),
        (UnitNormalization(axis=[1, 2]), keras.layers.UnitNormalization(axis=[1, 2]), images),
        (PReLU(shared_axes=[1, 2]), keras.layers.PReLU(shared_axes=[1, 2]), images),
    ]
    for ours, theirs, x in cases:
        ours(x)
        theirs(x)
        assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
        weights = [rng.standard_normal(w.shape).astype("f") for w in theirs.get_weights()]
        ours.set_weights(weights)
        theirs.set_weights(weights)
        np.testing.assert_allclose(to_host(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5,
                                   err_msg=type(ours).__name__)
    inputs = keras.Input((3,))
    regularized = keras.Model(inputs, keras.layers.ActivityRegularization(l1=0.1, l2=0.01)(inputs))
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]], np.float32)
    regularized(x)
    ours_inputs = Input((3,))
    ours = Model(ours_inputs, ActivityRegularization(l1=0.1, l2=0.01)(ours_inputs))
    ours(x)
    np.testing.assert_allclose(sum(float(to_host(v)) for v in ours.losses),
                               sum(float(np.asarray(v)) for v in regularized.losses), rtol=1e-5)
