"""An encoder-decoder whose decoder starts from the encoder's LSTM states (keras.io's
character-level seq2seq), with separate inference models built from the same layers.

Patterns: ``LSTM(return_state=True)`` returning ``output, state_h, state_c``, a decoder
``LSTM(return_sequences=True, return_state=True)`` called with ``initial_state=[h, c]`` given as
``keras.Input`` tensors (symbolic keyword arguments), a two-input training model, and
encoder/decoder inference models sharing the trained layers, stepped one token at a time.
"""

import numpy as np

import minidl.keras as keras

ENCODER_TOKENS, DECODER_TOKENS, LATENT = 7, 9, 16


def build_models():
    encoder_inputs = keras.Input(shape=(None, ENCODER_TOKENS))
    _, state_h, state_c = keras.layers.LSTM(LATENT, return_state=True)(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, DECODER_TOKENS))
    decoder_lstm = keras.layers.LSTM(LATENT, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(DECODER_TOKENS, activation="softmax")
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_dense(decoder_outputs))

    encoder_model = keras.Model(encoder_inputs, encoder_states)
    state_inputs = [keras.Input(shape=(LATENT,)), keras.Input(shape=(LATENT,))]
    step_outputs, step_h, step_c = decoder_lstm(decoder_inputs, initial_state=state_inputs)
    decoder_model = keras.Model([decoder_inputs] + state_inputs, [decoder_dense(step_outputs), step_h, step_c])
    return model, encoder_model, decoder_model


def build_model():
    return build_models()[0]


def main():
    rng = np.random.default_rng(6)
    source = np.eye(ENCODER_TOKENS, dtype="float32")[rng.integers(0, ENCODER_TOKENS, (64, 5))]
    target = np.eye(DECODER_TOKENS, dtype="float32")[rng.integers(0, DECODER_TOKENS, (64, 6))]
    model, encoder_model, decoder_model = build_models()
    model.summary()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit([source, target], target, batch_size=16, epochs=2, validation_split=0.2)

    states = encoder_model.predict(source[:1])
    token = np.zeros((1, 1, DECODER_TOKENS), dtype="float32")
    token[0, 0, 0] = 1.0
    decoded = []
    for _ in range(4):
        probabilities, h, c = decoder_model.predict([token] + states)
        index = int(np.argmax(probabilities[0, -1]))
        decoded.append(index)
        token = np.zeros_like(token)
        token[0, 0, index] = 1.0
        states = [h, c]
    print("decoded token ids:", decoded)


if __name__ == "__main__":
    main()
