"""``stateful=True``: a recurrent layer's final states are the next call's initial states.

Checked: consecutive halves of a sequence give what the whole sequence gives (SimpleRNN, LSTM,
GRU, ``RNN(cell)``, Bidirectional; with go_backwards, return_state and a padding mask), no
gradient crosses a batch boundary, ``reset_states`` on the layer and the model, the fixed batch
size, the stateful LSTM time-series lab (Keras 2's ``batch_input_shape`` and Keras 3's
``Input(batch_shape=...)``), configs and saved models, and -- where Keras is installed -- the
numbers of two consecutive stateful calls against Keras 3's.
"""

import numpy as np
import pytest

import minidl
import minidl.keras as keras
from minidl.layers import GRU, LSTM, RNN, Dense, Input, LSTMCell, SimpleRNN
from minidl.layers.wrappers import Bidirectional
from minidl.models import Model, Sequential
from minidl.models.saving import load_model, model_from_json
from tests.conftest import device, to_host

CELLS = [SimpleRNN, LSTM, GRU]


def _sequence(batch=2, time=6, features=3, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, time, features))


def _stateful_twin(layer, **changes):
    """A stateful copy of ``layer`` with its weights, built for the batch of 2 the tests use."""
    twin = type(layer).from_config({**layer.get_config(), "name": layer.name + "_stateful", "stateful": True,
                                    **changes})
    twin(device(np.zeros((2, 1, layer.kernel.shape[0]))))
    twin.set_weights(layer.get_weights())
    twin.reset_states()
    return twin


@pytest.mark.parametrize("cls", CELLS)
def test_two_halves_equal_the_whole_sequence(any_backend, cls):
    minidl.set_floatx("float64")
    x = _sequence()
    whole = cls(4, return_sequences=True)
    expected = to_host(whole(device(x)))
    layer = _stateful_twin(whole)
    first, second = to_host(layer(device(x[:, :3]))), to_host(layer(device(x[:, 3:])))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", CELLS)
def test_go_backwards_reads_the_later_half_first(cls):
    minidl.set_floatx("float64")
    x = _sequence()
    whole = cls(4, return_sequences=True, go_backwards=True)
    expected = to_host(whole(device(x)))  # in processed order: the last step first
    layer = _stateful_twin(whole)
    later, earlier = to_host(layer(device(x[:, 3:]))), to_host(layer(device(x[:, :3])))
    np.testing.assert_allclose(np.concatenate([later, earlier], axis=1), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", CELLS)
def test_return_state_returns_the_states_the_layer_keeps(cls):
    minidl.set_floatx("float64")
    x = _sequence()
    whole = cls(4, return_state=True)
    expected = [to_host(t) for t in whole(device(x))]
    layer = _stateful_twin(whole)
    layer(device(x[:, :2]))
    returned = [to_host(t) for t in layer(device(x[:, 2:]))]
    for got, want in zip(returned, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for state, want in zip(layer.states, returned[1:]):
        np.testing.assert_array_equal(state.numpy(), want)


def test_padding_mask_holds_the_states_across_batches():
    minidl.set_floatx("float64")
    x = _sequence(time=6)
    mask = np.array([[True] * 6, [True, True, False, True, False, False]])
    whole = LSTM(3, return_sequences=True)
    expected = to_host(whole(device(x), mask=device(mask)))
    layer = _stateful_twin(whole)
    first = to_host(layer(device(x[:, :3]), mask=device(mask[:, :3])))
    second = to_host(layer(device(x[:, 3:]), mask=device(mask[:, 3:])))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-12, atol=1e-12)


def test_rnn_of_a_cell_carries_its_states_too():
    minidl.set_floatx("float64")
    x = _sequence()
    whole = RNN(LSTMCell(3), return_sequences=True)
    expected = to_host(whole(device(x)))
    layer = RNN(LSTMCell(3), return_sequences=True, stateful=True)
    layer(device(np.zeros((2, 1, 3))))
    layer.set_weights(whole.get_weights())
    layer.reset_states()
    halves = [to_host(layer(device(x[:, :4]))), to_host(layer(device(x[:, 4:])))]
    np.testing.assert_allclose(np.concatenate(halves, axis=1), expected, rtol=1e-12, atol=1e-12)
    assert RNN.from_config(layer.get_config()).stateful


def test_bidirectional_carries_each_direction_separately():
    minidl.set_floatx("float64")
    x = _sequence()
    wrapper = Bidirectional(LSTM(3, return_sequences=True, stateful=True), merge_mode=None)
    wrapper(device(np.zeros((2, 1, 3))))
    assert wrapper.stateful and len(wrapper.states) == 4
    forward = LSTM(3, return_sequences=True)
    forward(device(x))
    forward.set_weights(wrapper.forward_layer.get_weights())
    wrapper.reset_states()
    halves = [to_host(wrapper(device(x[:, :3]))[0]), to_host(wrapper(device(x[:, 3:]))[0])]
    np.testing.assert_allclose(np.concatenate(halves, axis=1), to_host(forward(device(x))), rtol=1e-12, atol=1e-12)
    assert all(np.any(state.numpy()) for state in wrapper.states)
    wrapper.reset_states()
    assert not any(np.any(state.numpy()) for state in wrapper.states)
    with pytest.raises(AttributeError, match="stateful"):
        Bidirectional(LSTM(2)).reset_states()


@pytest.mark.parametrize("cls", CELLS)
def test_no_gradient_crosses_the_batch_boundary(cls):
    """The second batch's weight gradients are those of the second batch alone, started from the
    first batch's final states given as constants."""
    minidl.set_floatx("float64")
    x = _sequence()
    layer = cls(3, return_sequences=True, stateful=True)
    layer(device(x[:, :3]))  # a graph is recorded, weights require grad
    carried = [state.numpy() for state in layer.states]
    assert all(not state.requires_grad and state.creator is None for state in layer.states)
    for weight in layer.weights:
        weight.grad = None
    out = layer(device(x[:, 3:]))
    (out * out).sum().backward()
    truncated = [to_host(w.grad) for w in layer.weights]

    reference = cls(3, return_sequences=True)
    reference(device(x[:, 3:]))
    reference.set_weights(layer.get_weights())
    out = reference(device(x[:, 3:]), initial_state=[device(s) for s in carried])
    (out * out).sum().backward()
    for got, want in zip(truncated, [to_host(w.grad) for w in reference.weights]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)

    # backprop through the whole sequence would differ: the test can tell the two apart
    full = cls(3, return_sequences=True)
    full(device(x))
    full.set_weights(layer.get_weights())
    out = full(device(x))[:, 3:]
    (out * out).sum().backward()
    kernel_full = to_host(full.weights[0].grad)
    assert not np.allclose(kernel_full, truncated[0], rtol=1e-6)


def test_reset_states_sets_zeros_or_given_values():
    minidl.set_floatx("float64")
    layer = LSTM(3, stateful=True)
    assert LSTM(3).states is None
    LSTM(3).reset_states()  # not stateful: nothing to reset, as in Keras 3
    layer(device(_sequence()))
    assert [state.shape for state in layer.states] == [(2, 3), (2, 3)]
    assert all(np.any(state.numpy()) for state in layer.states)
    layer.reset_states()
    assert all(not np.any(state.numpy()) for state in layer.states)
    h, c = np.full((2, 3), 0.5), np.full((2, 3), -0.25)
    layer.reset_states([h, c])  # Keras 2's reset_states(states=...)
    np.testing.assert_array_equal(layer.states[1].numpy(), c)
    layer.reset_state()  # Keras 3's name
    assert not np.any(layer.states[1].numpy())
    with pytest.raises(ValueError, match=r"lstm.*\(LSTM\): a state must have shape \(2, 3\), got \(1, 3\)"):
        layer.reset_states([h[:1], c[:1]])


def test_given_initial_state_wins_and_the_final_states_are_kept():
    """Keras 3: a stateful layer called with initial_state= starts from it (Keras 2 preferred
    the carried states once they were not all zeros)."""
    minidl.set_floatx("float64")
    x = _sequence()
    layer = GRU(3, stateful=True, return_state=True)
    layer(device(x))
    zeros = device(np.zeros((2, 3)))
    output, state = layer(device(x), initial_state=[zeros])
    fresh = GRU(3, return_state=True)
    fresh(device(x))
    fresh.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_host(output), to_host(fresh(device(x))[0]), rtol=1e-12)
    np.testing.assert_array_equal(layer.states[0].numpy(), to_host(state))


def test_dropout_trains_with_carried_states():
    layer = LSTM(3, stateful=True, dropout=0.3, recurrent_dropout=0.3, return_sequences=True)
    x = _sequence().astype(np.float32)
    for _ in range(2):
        out = layer(x, training=True)
        (out * out).sum().backward()
    assert layer.states[0].shape == (2, 3) and np.all(np.isfinite(layer.states[0].numpy()))


def test_a_batch_of_another_size_is_refused_naming_layer_and_sizes():
    layer = SimpleRNN(2, stateful=True, name="carrier")
    layer(np.zeros((4, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"carrier \(SimpleRNN\): a stateful layer takes batches of a fixed size, "
                                         r"4, and got one of 3"):
        layer(np.zeros((3, 3, 1), np.float32))


def test_a_last_partial_batch_is_refused():
    """Keras 2 failed on it with a shape error; Keras 3 with TensorFlow broadcasts it against the
    states and returns more rows than it got. minidl refuses it, naming both sizes."""
    model = Sequential([LSTM(2, batch_input_shape=(4, 3, 1), stateful=True), Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    x = np.zeros((10, 3, 1), np.float32)
    with pytest.raises(ValueError, match=r"fixed size, 4, and got one of 2.*batch_size=4 and a number of samples "
                                         r"that is a multiple of 4"):
        model.predict(x, batch_size=4, verbose=0)
    assert model.predict(x[:8], batch_size=4, verbose=0).shape == (8, 1)


def test_a_stateful_layer_needs_a_declared_batch_size():
    with pytest.raises(ValueError, match=r"stateful=True needs a fixed batch size.*got input shape \(None, 3, 1\)"):
        Sequential([Input((3, 1)), LSTM(2, stateful=True)])


def test_building_a_model_leaves_the_states_at_zero():
    model = Sequential([LSTM(2, batch_input_shape=(3, 5, 1), stateful=True, bias_initializer="ones"), Dense(1)])
    model.summary(print_fn=lambda *args, **kwargs: None)
    lstm = model.layers[0]
    assert [state.shape for state in lstm.states] == [(3, 2), (3, 2)]
    assert not any(np.any(state.numpy()) for state in lstm.states)
    assert lstm.count_params() == 4 * (1 + 2 + 1) * 2  # the states are not weights


def _lab_series(look_back):
    series = np.sin(np.arange(48) * 0.4).astype("float32") * 0.5 + 0.5
    x = np.array([series[i:i + look_back] for i in range(len(series) - look_back - 1)])
    y = series[look_back:len(series) - 1]
    return x.reshape(len(x), look_back, 1), y


def test_the_stateful_lstm_time_series_lab_runs_and_learns():
    """Brownlee's stateful LSTM lab (Keras 2): one epoch per fit, states reset after each pass."""
    minidl.set_seed(0)
    look_back, batch_size = 3, 1
    trainX, trainY = _lab_series(look_back)  # noqa: N806 - the lab's names
    model = Sequential()
    model.add(LSTM(4, batch_input_shape=(batch_size, look_back, 1), stateful=True))
    model.add(Dense(1))
    model.compile(loss="mean_squared_error", optimizer="adam")
    losses = []
    for _ in range(8):
        history = model.fit(trainX, trainY, epochs=1, batch_size=batch_size, verbose=0, shuffle=False)
        losses.append(history.history["loss"][0])
        model.reset_states()
    assert losses[-1] < 0.6 * losses[0], losses
    prediction = model.predict(trainX, batch_size=batch_size, verbose=0)
    assert prediction.shape == (len(trainX), 1)
    lstm = model.layers[0]
    assert any(np.any(state.numpy()) for state in lstm.states)
    model.reset_states()
    assert not any(np.any(state.numpy()) for state in lstm.states)
    model.reset_states()
    again = model.predict(trainX, batch_size=batch_size, verbose=0)
    np.testing.assert_array_equal(again, prediction)  # same start, same states, same numbers


def test_keras_3_input_batch_shape_and_layer_reset_states():
    inputs = keras.Input(batch_shape=(1, 1, 1))
    lstm = keras.layers.LSTM(3, stateful=True)
    model = keras.Model(inputs, keras.layers.Dense(1)(lstm(inputs)))
    step = np.ones((1, 1, 1), np.float32)
    first = model.predict(step, verbose=0)
    second = model.predict(step, verbose=0)  # continues from the first call's states
    assert not np.allclose(first, second)
    lstm.reset_states()
    np.testing.assert_array_equal(model.predict(step, verbose=0), first)


def test_model_reset_states_reaches_nested_models():
    inner = Sequential([LSTM(2, batch_input_shape=(2, 3, 1), stateful=True, return_sequences=True),
                        GRU(2, stateful=True)])
    inputs = Input(batch_shape=(2, 3, 1))
    outer = Model(inputs, Dense(1)(inner(inputs)))
    outer.predict(np.ones((2, 3, 1), np.float32), batch_size=2, verbose=0)
    states = inner.layers[0].states + inner.layers[1].states
    assert all(np.any(state.numpy()) for state in states)
    outer.reset_states()
    assert not any(np.any(state.numpy()) for state in inner.layers[0].states + inner.layers[1].states)


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".npz"])
def test_saved_models_stay_stateful_and_start_from_zeros(tmp_path, suffix):
    """As in Keras, the configuration keeps ``stateful`` and the batch size, and the state values
    are not saved: the loaded model starts from zeros."""
    minidl.set_seed(0)
    model = Sequential([LSTM(3, batch_input_shape=(2, 4, 1), stateful=True), Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    x = np.random.default_rng(1).standard_normal((4, 4, 1)).astype("float32")
    model.predict(x, batch_size=2, verbose=0)  # non-zero states when saved
    path = tmp_path / f"model{suffix}"
    model.save(path)
    restored = load_model(path)
    lstm = restored.layers[0]
    assert lstm.stateful and lstm.get_config()["stateful"] is True
    assert [state.shape for state in lstm.states] == [(2, 3), (2, 3)]
    assert not any(np.any(state.numpy()) for state in lstm.states)
    model.reset_states()
    np.testing.assert_allclose(restored.predict(x, batch_size=2, verbose=0),
                               model.predict(x, batch_size=2, verbose=0), rtol=1e-6)
    rebuilt = model_from_json(model.to_json())
    assert rebuilt.layers[0].stateful and rebuilt.layers[0].states[0].shape == (2, 3)


@pytest.mark.parametrize("cls", CELLS)
def test_config_keeps_stateful(cls):
    config = cls(2, stateful=True).get_config()
    assert config["stateful"] is True
    assert cls.from_config(config).stateful


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_two_consecutive_stateful_calls_match_keras_3(name):
    real = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    x = np.random.default_rng(2).standard_normal((2, 6, 3)).astype("float32")
    ours = getattr(keras.layers, name)(4, stateful=True, return_sequences=True)
    ours(x[:, :3])
    theirs = getattr(real.layers, name)(4, stateful=True, return_sequences=True)
    theirs(x[:, :3])
    theirs.set_weights(ours.get_weights())
    ours.reset_states()
    theirs.reset_states()
    for half in (x[:, :3], x[:, 3:]):
        np.testing.assert_allclose(to_host(ours(half)), np.asarray(theirs(half)), rtol=1e-5, atol=1e-6)
    for mine, keras_state in zip(ours.states, theirs.states):
        np.testing.assert_allclose(mine.numpy(), np.asarray(keras_state), rtol=1e-5, atol=1e-6)
