"""Character-level sequence-to-sequence translation with LSTMs, after the keras-io example
"Character-level recurrent sequence-to-sequence model" (examples/nlp/lstm_seq2seq.py,
fchollet, Keras 3 edition). Reduced rewrite: the English-French sentence pairs of
manythings.org cannot be downloaded here, so the script writes a ``fra.txt`` of the same
tab-separated layout with 300 made-up pairs (English number words and their French ones);
beyond that and the imports, ``latent_dim`` 64 instead of 256, 40 epochs instead of 100, and
five sentences decoded instead of twenty.

Patterns: one-hot character tensors built by hand; ``LSTM(latent_dim, return_state=True)``
giving ``outputs, state_h, state_c``; a decoder ``LSTM(return_sequences=True,
return_state=True)`` called with ``initial_state=encoder_states``; a two-input model fitted
with ``validation_split``; ``model.save("s2s_model.keras")`` and ``load_model``; inference
models rebuilt from the *loaded* model's graph: ``model.input[0]``, ``model.layers[2].output``
unpacked into three tensors, the loaded decoder LSTM and Dense called again on new
``keras.Input`` states, and ``decoder_model.predict([target_seq] + states_value)`` with the
list ``encoder_model.predict`` returns.
"""

import os

import numpy as np

import minidl.keras as keras

# The data: fra.txt's layout ("English<TAB>French<TAB>attribution"), made up here.
english = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
french = ["zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"]
rng = np.random.default_rng(0)
with open("fra.txt", "w", encoding="utf-8") as f:
    for _ in range(300):
        words = rng.integers(0, 10, size=rng.integers(1, 3))
        f.write(" ".join(english[w] for w in words).capitalize() + ".\t"
                + " ".join(french[w] for w in words).capitalize() + ".\tCC-BY 2.0 (France)\n")

batch_size = 64  # Batch size for training.
epochs = 40  # Number of epochs to train for.
latent_dim = 64  # Latent dimensionality of the encoding space.
num_samples = 10000  # Number of samples to train on.
# Path to the data txt file on disk.
data_path = os.path.join(".", "fra.txt")

# Vectorize the data.
input_texts = []
target_texts = []
input_characters = set()
target_characters = set()
with open(data_path, "r", encoding="utf-8") as f:
    lines = f.read().split("\n")
for line in lines[: min(num_samples, len(lines) - 1)]:
    input_text, target_text, _ = line.split("\t")
    # We use "tab" as the "start sequence" character
    # for the targets, and "\n" as "end sequence" character.
    target_text = "\t" + target_text + "\n"
    input_texts.append(input_text)
    target_texts.append(target_text)
    for char in input_text:
        if char not in input_characters:
            input_characters.add(char)
    for char in target_text:
        if char not in target_characters:
            target_characters.add(char)

input_characters = sorted(list(input_characters))
target_characters = sorted(list(target_characters))
num_encoder_tokens = len(input_characters)
num_decoder_tokens = len(target_characters)
max_encoder_seq_length = max([len(txt) for txt in input_texts])
max_decoder_seq_length = max([len(txt) for txt in target_texts])

print("Number of samples:", len(input_texts))
print("Number of unique input tokens:", num_encoder_tokens)
print("Number of unique output tokens:", num_decoder_tokens)
print("Max sequence length for inputs:", max_encoder_seq_length)
print("Max sequence length for outputs:", max_decoder_seq_length)

input_token_index = dict([(char, i) for i, char in enumerate(input_characters)])
target_token_index = dict([(char, i) for i, char in enumerate(target_characters)])

encoder_input_data = np.zeros(
    (len(input_texts), max_encoder_seq_length, num_encoder_tokens),
    dtype="float32",
)
decoder_input_data = np.zeros(
    (len(input_texts), max_decoder_seq_length, num_decoder_tokens),
    dtype="float32",
)
decoder_target_data = np.zeros(
    (len(input_texts), max_decoder_seq_length, num_decoder_tokens),
    dtype="float32",
)

for i, (input_text, target_text) in enumerate(zip(input_texts, target_texts)):
    for t, char in enumerate(input_text):
        encoder_input_data[i, t, input_token_index[char]] = 1.0
    encoder_input_data[i, t + 1 :, input_token_index[" "]] = 1.0
    for t, char in enumerate(target_text):
        # decoder_target_data is ahead of decoder_input_data by one timestep
        decoder_input_data[i, t, target_token_index[char]] = 1.0
        if t > 0:
            # decoder_target_data will be ahead by one timestep
            # and will not include the start character.
            decoder_target_data[i, t - 1, target_token_index[char]] = 1.0
    decoder_input_data[i, t + 1 :, target_token_index[" "]] = 1.0
    decoder_target_data[i, t:, target_token_index[" "]] = 1.0

# Define an input sequence and process it.
encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
encoder = keras.layers.LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)

# We discard `encoder_outputs` and only keep the states.
encoder_states = [state_h, state_c]

# Set up the decoder, using `encoder_states` as initial state.
decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))

# We set up our decoder to return full output sequences,
# and to return internal states as well. We don't use the
# return states in the training model, but we will use them in inference.
decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)

# Define the model that will turn
# `encoder_input_data` & `decoder_input_data` into `decoder_target_data`
model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)

model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(
    [encoder_input_data, decoder_input_data],
    decoder_target_data,
    batch_size=batch_size,
    epochs=epochs,
    validation_split=0.2,
)
assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"], history.history
assert history.history["loss"][-1] < history.history["loss"][0], history.history["loss"]
assert history.history["val_accuracy"][-1] > 0.5, history.history["val_accuracy"]  # padding spaces alone give less
# Save model
model.save("s2s_model.keras")

# Define sampling models
# Restore the model and construct the encoder and decoder.
trained_predictions = model.predict([encoder_input_data[:4], decoder_input_data[:4]], verbose=0)
model = keras.models.load_model("s2s_model.keras")
np.testing.assert_allclose(model.predict([encoder_input_data[:4], decoder_input_data[:4]], verbose=0),
                           trained_predictions, rtol=1e-5, atol=1e-6)
assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "InputLayer", "LSTM", "LSTM", "Dense"]

encoder_inputs = model.input[0]  # input_1
encoder_outputs, state_h_enc, state_c_enc = model.layers[2].output  # lstm_1
encoder_states = [state_h_enc, state_c_enc]
encoder_model = keras.Model(encoder_inputs, encoder_states)

decoder_inputs = model.input[1]  # input_2
decoder_state_input_h = keras.Input(shape=(latent_dim,))
decoder_state_input_c = keras.Input(shape=(latent_dim,))
decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
decoder_lstm = model.layers[3]
decoder_outputs, state_h_dec, state_c_dec = decoder_lstm(decoder_inputs, initial_state=decoder_states_inputs)
decoder_states = [state_h_dec, state_c_dec]
decoder_dense = model.layers[4]
decoder_outputs = decoder_dense(decoder_outputs)
decoder_model = keras.Model([decoder_inputs] + decoder_states_inputs, [decoder_outputs] + decoder_states)

# Reverse-lookup token index to decode sequences back to
# something readable.
reverse_input_char_index = dict((i, char) for char, i in input_token_index.items())
reverse_target_char_index = dict((i, char) for char, i in target_token_index.items())


def decode_sequence(input_seq):
    # Encode the input as state vectors.
    states_value = encoder_model.predict(input_seq, verbose=0)

    # Generate empty target sequence of length 1.
    target_seq = np.zeros((1, 1, num_decoder_tokens))
    # Populate the first character of target sequence with the start character.
    target_seq[0, 0, target_token_index["\t"]] = 1.0

    # Sampling loop for a batch of sequences
    # (to simplify, here we assume a batch of size 1).
    stop_condition = False
    decoded_sentence = ""
    while not stop_condition:
        output_tokens, h, c = decoder_model.predict([target_seq] + states_value, verbose=0)

        # Sample a token
        sampled_token_index = np.argmax(output_tokens[0, -1, :])
        sampled_char = reverse_target_char_index[sampled_token_index]
        decoded_sentence += sampled_char

        # Exit condition: either hit max length
        # or find stop character.
        if sampled_char == "\n" or len(decoded_sentence) > max_decoder_seq_length:
            stop_condition = True

        # Update the target sequence (of length 1).
        target_seq = np.zeros((1, 1, num_decoder_tokens))
        target_seq[0, 0, sampled_token_index] = 1.0

        # Update states
        states_value = [h, c]
    return decoded_sentence


# The step-by-step decoder agrees with the training model fed the same (teacher-forced) prefix.
states_value = encoder_model.predict(encoder_input_data[:1], verbose=0)
assert isinstance(states_value, list) and [s.shape for s in states_value] == [(1, latent_dim)] * 2
first_step, _, _ = decoder_model.predict([decoder_input_data[:1, :1]] + states_value, verbose=0)
np.testing.assert_allclose(first_step[0, 0], trained_predictions[0, 0], rtol=1e-4, atol=1e-5)

for seq_index in range(5):
    # Take one sequence (part of the training set)
    # for trying out decoding.
    input_seq = encoder_input_data[seq_index : seq_index + 1]
    decoded_sentence = decode_sequence(input_seq)
    print("-")
    print("Input sentence:", input_texts[seq_index])
    print("Decoded sentence:", decoded_sentence)
    assert 0 < len(decoded_sentence) <= max_decoder_seq_length + 1
    assert set(decoded_sentence) <= set(target_characters)
