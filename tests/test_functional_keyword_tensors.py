"""Symbolic tensors passed by keyword to a layer call (an encoder's states as the decoder's
``initial_state``) become part of the functional graph, as in Keras."""

import numpy as np

import minidl
from minidl.layers import LSTM, Dense, Input
from minidl.models import Model


def test_initial_state_given_as_symbolic_tensors_is_replayed_with_the_real_states():
    minidl.set_seed(0)
    encoder_inputs, decoder_inputs = Input(shape=(None, 3)), Input(shape=(None, 4))
    encoder = LSTM(5, return_state=True)
    decoder = LSTM(5, return_sequences=True)
    head = Dense(2)
    _, state_h, state_c = encoder(encoder_inputs)
    outputs = head(decoder(decoder_inputs, initial_state=[state_h, state_c]))
    model = Model([encoder_inputs, decoder_inputs], outputs)

    rng = np.random.default_rng(1)
    x_encoder = rng.normal(size=(2, 6, 3)).astype("float32")
    x_decoder = rng.normal(size=(2, 4, 4)).astype("float32")
    _, h, c = encoder(minidl.tensor(x_encoder))
    expected = head(decoder(minidl.tensor(x_decoder), initial_state=[h, c])).numpy()
    np.testing.assert_allclose(model.predict([x_encoder, x_decoder], verbose=0), expected, rtol=1e-6)
    # The encoder is part of the graph only through the keyword argument.
    assert encoder in model.layers
    lines = []
    model.summary(print_fn=lines.append)
    assert any("lstm" in line and "[0][1]" in line for line in lines), "\n".join(lines)


def test_states_from_the_encoder_get_gradients_through_the_keyword_argument():
    minidl.set_seed(0)
    encoder_inputs, decoder_inputs = Input(shape=(5, 3)), Input(shape=(5, 4))
    encoder = LSTM(4, return_state=True)
    _, state_h, state_c = encoder(encoder_inputs)
    outputs = Dense(1)(LSTM(4)(decoder_inputs, initial_state=[state_h, state_c]))
    model = Model([encoder_inputs, decoder_inputs], outputs)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(2)
    before = [w.copy() for w in encoder.get_weights()]
    model.train_on_batch([rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 5, 4))], rng.normal(size=(3, 1)))
    assert any(not np.array_equal(a, b) for a, b in zip(before, encoder.get_weights()))


def _encoder_decoder():
    encoder_inputs, decoder_inputs = Input(shape=(None, 3)), Input(shape=(None, 4))
    _, state_h, state_c = LSTM(5, return_state=True)(encoder_inputs)
    outputs = Dense(2)(LSTM(5, return_sequences=True)(decoder_inputs, initial_state=[state_h, state_c]))
    return Model([encoder_inputs, decoder_inputs], outputs)


def _inputs():
    rng = np.random.default_rng(3)
    return [rng.normal(size=(2, 6, 3)).astype("float32"), rng.normal(size=(2, 4, 4)).astype("float32")]


def test_keyword_tensors_survive_get_config_to_json_and_every_file_format(tmp_path):
    from minidl.models import load_model, model_from_json

    minidl.set_seed(0)
    model = _encoder_decoder()
    expected = model.predict(_inputs(), verbose=0)
    rebuilt = [Model.from_config(model.get_config()), model_from_json(model.to_json())]
    for suffix in (".keras", ".h5", ".npz"):
        model.save(tmp_path / f"model{suffix}")
        rebuilt.append(load_model(tmp_path / f"model{suffix}"))
    for other in rebuilt:
        other.set_weights(model.get_weights())
        np.testing.assert_array_equal(other.predict(_inputs(), verbose=0), expected)


def test_keyword_tensors_move_to_keras_and_back(tmp_path):
    import pytest

    keras = pytest.importorskip("keras", reason="Keras parity needs keras (not installed in CI)")
    from minidl.models import load_model

    minidl.set_seed(0)
    model = _encoder_decoder()
    model.save(tmp_path / "minidl.keras")
    theirs = keras.models.load_model(tmp_path / "minidl.keras")
    np.testing.assert_allclose(theirs.predict(_inputs(), verbose=0), model.predict(_inputs(), verbose=0), atol=1e-5)
    theirs.save(tmp_path / "keras.keras")
    back = load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(back.predict(_inputs(), verbose=0), model.predict(_inputs(), verbose=0), atol=1e-5)


def test_a_keras_2_config_with_states_as_extra_inbound_tensors_is_read_as_initial_state():
    """TF 2's Keras recorded ``lstm(x, initial_state=[h, c])`` as a call on [x, h, c]."""
    import json

    from minidl.models import model_from_json

    def input_layer(name, features):
        return {"class_name": "InputLayer", "name": name, "inbound_nodes": [],
                "config": {"batch_input_shape": [None, None, features], "dtype": "float32", "name": name}}

    config = {"class_name": "Functional", "keras_version": "2.4.0", "backend": "tensorflow", "config": {
        "name": "m", "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["dec", 0, 0]],
        "layers": [
            input_layer("a", 3), input_layer("b", 4),
            {"class_name": "LSTM", "name": "enc", "config": {"name": "enc", "units": 5, "return_state": True},
             "inbound_nodes": [[["a", 0, 0, {}]]]},
            {"class_name": "LSTM", "name": "dec", "config": {"name": "dec", "units": 5},
             "inbound_nodes": [[["b", 0, 0, {}], ["enc", 0, 1, {}], ["enc", 0, 2, {}]]]},
        ]}}
    model = model_from_json(json.dumps(config))
    x = _inputs()
    _, h, c = model.get_layer("enc")(minidl.tensor(x[0]))
    expected = model.get_layer("dec")(minidl.tensor(x[1]), initial_state=[h, c]).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
