"""Sentiment on a slice of IMDB with recurrent layers, in Keras 2 lab style.

Patterns: ``keras.datasets.imdb.load_data(num_words=...)``, ``keras.preprocessing.sequence.
pad_sequences(maxlen=...)``, ``Embedding(input_dim, output_dim, input_length=...)``,
``Bidirectional(LSTM(..., return_sequences=True))`` stacked on ``LSTM``, ``GRU(reset_after=
False)``, ``SimpleRNN``, ``SpatialDropout1D``, ``EarlyStopping(monitor='val_loss',
patience=...)``, ``fit(validation_data=(x, y))``, ``history.history`` and
``predict_classes`` on a sigmoid output.
"""

import numpy as np

from minidl.keras.callbacks import EarlyStopping
from minidl.keras.datasets import imdb
from minidl.keras.layers import GRU, LSTM, Bidirectional, Dense, Embedding, SimpleRNN, SpatialDropout1D
from minidl.keras.models import Sequential
from minidl.keras.preprocessing import sequence

MAX_FEATURES = 2000
MAXLEN = 40


def build_bidirectional():
    model = Sequential()
    model.add(Embedding(MAX_FEATURES, 16, input_length=MAXLEN))
    model.add(Bidirectional(LSTM(8, return_sequences=True)))
    model.add(LSTM(8))
    model.add(Dense(1, activation="sigmoid"))
    return model


def build_gru():
    return Sequential([
        Embedding(MAX_FEATURES, 16, input_length=MAXLEN),
        SpatialDropout1D(0.2),
        GRU(8, reset_after=False, dropout=0.1),
        Dense(1, activation="sigmoid"),
    ])


def build_simple_rnn():
    return Sequential([Embedding(MAX_FEATURES, 8, input_length=MAXLEN), SimpleRNN(8), Dense(1, activation="sigmoid")])


def main():
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=MAX_FEATURES)
    x_train, y_train = x_train[:400], y_train[:400]
    x_test, y_test = x_test[:100], y_test[:100]
    print(len(x_train), "train sequences;", len(x_test), "test sequences")
    x_train = sequence.pad_sequences(x_train, maxlen=MAXLEN)
    x_test = sequence.pad_sequences(x_test, maxlen=MAXLEN)
    print("x_train shape:", x_train.shape)

    for build in (build_bidirectional, build_gru, build_simple_rnn):
        model = build()
        model.summary()
        model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_test, y_test),
                            callbacks=[EarlyStopping(monitor="val_loss", patience=1)])
        print({key: [round(v, 4) for v in values] for key, values in history.history.items()})
        classes = model.predict_classes(x_test[:8])
        assert classes.shape == (8, 1) and set(np.unique(classes)) <= {0, 1}


if __name__ == "__main__":
    main()
