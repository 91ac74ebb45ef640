"""Idioms of the course's lab sheets (Keras 2.2-2.4 era), on small random data.

Patterns: ``from keras import models, layers, optimizers, losses, metrics`` and
``optimizers.RMSprop(lr=0.001)``, ``loss=losses.binary_crossentropy`` and
``metrics=[metrics.binary_accuracy]`` with ``history.history['val_binary_accuracy']``;
``Embedding(..., embeddings_initializer=glorot_normal(seed=None))``; ``for layer in
model.layers: print(layer.get_config())`` and ``model.layers[0].get_weights()[0]``;
``keras.losses.categorical_crossentropy`` with ``keras.optimizers.Adadelta()``;
``model.to_json()`` written to a file with ``save_weights``; an autoencoder made of two nested
``Sequential`` models inside a functional ``Model``; ``Dropout(0.3, noise_shape=None,
seed=None)``; ``EarlyStopping(monitor='loss', patience=3)``; ``results.history.keys()``.
"""

import json

import numpy as np

import minidl.keras as keras
from minidl.keras import layers, losses, metrics, models, optimizers
from minidl.keras.callbacks import EarlyStopping
from minidl.keras.initializers import glorot_normal
from minidl.keras.layers import LSTM, Dense, Embedding, Input, LeakyReLU, Reshape
from minidl.keras.models import Model, Sequential
from minidl.keras.preprocessing import sequence


def build_multihot_model():
    model = models.Sequential()
    model.add(layers.Dense(16, activation="relu", input_shape=(100,)))
    model.add(layers.Dropout(0.3, noise_shape=None, seed=None))
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def build_lstm_model():
    model = Sequential()
    model.add(Embedding(input_dim=50, output_dim=8, input_length=12, embeddings_initializer=glorot_normal(seed=None)))
    model.add(LSTM(10, recurrent_activation="hard_sigmoid"))
    model.add(Dense(1, activation="sigmoid"))
    return model


def build_autoencoder():
    encoder = Sequential([layers.Flatten(input_shape=(8, 8)), Dense(16), LeakyReLU(alpha=0.3), Dense(4)])
    decoder = Sequential([Dense(16, input_shape=(4,)), LeakyReLU(alpha=0.3), Dense(64, activation="sigmoid"),
                          Reshape((8, 8))])
    image = Input(shape=(8, 8))
    return Model(image, decoder(encoder(image)))


def main():
    rng = np.random.default_rng(12)
    x = (rng.random((200, 100)) > 0.8).astype("float32")
    y = (x[:, :50].sum(axis=1) > x[:, 50:].sum(axis=1)).astype("float32")

    model = build_multihot_model()
    model.compile(optimizer=optimizers.RMSprop(lr=0.001), loss=losses.binary_crossentropy,
                  metrics=[metrics.binary_accuracy])
    history = model.fit(x[:150], y[:150], epochs=3, batch_size=32, validation_data=(x[150:], y[150:]), verbose=0)
    history_dict = history.history
    print(history_dict.keys())
    assert len(history_dict["val_binary_accuracy"]) == 3 and len(history_dict["binary_accuracy"]) == 3

    texts = [list(rng.integers(1, 50, size=rng.integers(3, 20))) for _ in range(64)]
    padded = sequence.pad_sequences(texts, maxlen=12)
    lstm_model = build_lstm_model()
    lstm_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    results = lstm_model.fit(padded, rng.integers(0, 2, 64), epochs=3, batch_size=16, verbose=0,
                             callbacks=[EarlyStopping(monitor="loss", patience=3)])
    print(results.history.keys())
    for layer in lstm_model.layers:
        print(layer.get_config()["name"], sorted(layer.get_config())[:4])
    embedding_weights = lstm_model.layers[0].get_weights()[0]
    assert embedding_weights.shape == (50, 8)

    digits = rng.random((64, 10)).astype("float32")
    labels = keras.utils.to_categorical(rng.integers(0, 3, 64), 3)
    classifier = Sequential([Dense(8, activation="relu", input_shape=(10,)), Dense(3, activation="softmax")])
    classifier.compile(loss=keras.losses.categorical_crossentropy, optimizer=keras.optimizers.Adadelta(),
                       metrics=["accuracy"])
    classifier.fit(digits, labels, batch_size=16, epochs=1, verbose=1, validation_data=(digits, labels))
    score = classifier.evaluate(digits, labels, verbose=0)
    print("Test loss:", score[0], "Test accuracy:", score[1])
    with open("model_digit.json", "w") as json_file:
        json_file.write(classifier.to_json())
    classifier.save_weights("model_digit.h5")
    assert json.load(open("model_digit.json"))["class_name"] == "Sequential"

    autoencoder = build_autoencoder()
    autoencoder.summary()
    autoencoder.compile(optimizer="nadam", loss="binary_crossentropy")
    images = rng.random((32, 8, 8)).astype("float32")
    for _ in range(2):
        autoencoder.fit(images, images, epochs=1, batch_size=32, verbose=0)
    assert autoencoder.predict(images[:1]).shape == (1, 8, 8)


if __name__ == "__main__":
    main()
