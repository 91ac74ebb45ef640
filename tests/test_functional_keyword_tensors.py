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
