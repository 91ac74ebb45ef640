"""A two-layer bidirectional LSTM on IMDB sentiment, after the keras-io example "Bidirectional
LSTM on IMDB" (examples/nlp/bidirectional_lstm_imdb.py, fchollet). Reduced rewrite: beyond
the imports, 800 training and 400 validation reviews instead of 25,000 each, reviews cut to
80 words instead of 200, a 32-dimensional embedding and 16-unit LSTMs instead of 128 and 64,
and 3 epochs instead of 2 (the slice is small).

Patterns: ``keras.Input(shape=(None,), dtype="int32")`` (variable-length sequences);
``Embedding(max_features, dim)``; ``Bidirectional(LSTM(..., return_sequences=True))`` stacked
on ``Bidirectional(LSTM(...))``; ``keras.datasets.imdb.load_data(num_words=...)`` returning
lists of word indices; Keras 2's ``keras.preprocessing.sequence.pad_sequences(maxlen=...)`` and
Keras 3's ``keras.utils.pad_sequences``; ``fit(..., validation_data=(x_val, y_val))``;
``model.summary()``; variable-length input at prediction time.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import layers

max_features = 20000  # Only consider the top 20k words
maxlen = 80  # Only consider the first 80 words of each movie review

# Input for variable-length sequences of integers
inputs = keras.Input(shape=(None,), dtype="int32")
# Embed each integer in a 32-dimensional vector
x = layers.Embedding(max_features, 32)(inputs)
# Add 2 bidirectional LSTMs
x = layers.Bidirectional(layers.LSTM(16, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(16))(x)
# Add a classifier
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.summary()
assert model.count_params() == max_features * 32 + 2 * 4 * (16 * (32 + 16) + 16) + 2 * 4 * (16 * (32 + 16) + 16) + 33

(x_train, y_train), (x_val, y_val) = keras.datasets.imdb.load_data(num_words=max_features)
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")
assert len(x_train) == 25000 and len(x_val) == 25000
assert max(max(review) for review in x_train[:800]) < max_features
x_train, y_train, x_val, y_val = x_train[:800], y_train[:800], x_val[:400], y_val[:400]
# Use pad_sequence to standardize sequence length:
# this will truncate sequences longer than 80 words and zero-pad sequences shorter than 80 words.
x_train = keras.preprocessing.sequence.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)
assert x_train.shape == (800, maxlen) and x_val.shape == (400, maxlen), (x_train.shape, x_val.shape)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=3, validation_data=(x_val, y_val))
print(history.history)
assert history.history["accuracy"][-1] > 0.75, history.history  # it fits the slice
assert history.history["loss"][-1] < history.history["loss"][0], history.history
assert 0.0 <= history.history["val_accuracy"][-1] <= 1.0

# Variable-length sequences: the model takes reviews of another length too.
probabilities = model.predict(x_val[:5, -20:], verbose=0)
assert probabilities.shape == (5, 1) and np.all((probabilities >= 0) & (probabilities <= 1))
