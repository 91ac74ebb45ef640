"""Learning to add two-digit numbers, character by character (keras.io's addition RNN, small).

Patterns: one-hot encoding text by hand, an ``LSTM`` encoder, ``RepeatVector`` feeding every
decoder step, ``LSTM(return_sequences=True)``, ``TimeDistributed(Dense(..., activation=
'softmax'))``, ``categorical_crossentropy`` on 3-D targets, ``model.predict`` and decoding with
``argmax(axis=-1)``, and ``Permute`` / ``Cropping1D`` / ``ZeroPadding1D`` on the way.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import layers

CHARS = "0123456789+ "
QUESTION_LENGTH = 5  # "12+34"
ANSWER_LENGTH = 3  # up to "198"


def encode(text, length):
    table = np.zeros((length, len(CHARS)), dtype="float32")
    for position, char in enumerate(text.ljust(length)):
        table[position, CHARS.index(char)] = 1
    return table


def decode(table):
    return "".join(CHARS[index] for index in table.argmax(axis=-1))


def build_model():
    model = keras.Sequential()
    model.add(layers.LSTM(32, input_shape=(QUESTION_LENGTH, len(CHARS))))
    model.add(layers.RepeatVector(ANSWER_LENGTH))
    model.add(layers.LSTM(32, return_sequences=True))
    model.add(layers.TimeDistributed(layers.Dense(len(CHARS), activation="softmax")))
    return model


def build_reshaping_model():
    inputs = keras.Input(shape=(QUESTION_LENGTH, len(CHARS)))
    x = layers.Permute((2, 1))(inputs)
    x = layers.ZeroPadding1D(padding=(1, 2))(x)
    x = layers.Cropping1D(cropping=(2, 1))(x)
    x = layers.Permute((2, 1))(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(4)(x))


def main():
    rng = np.random.default_rng(3)
    pairs = rng.integers(0, 100, size=(1200, 2))
    questions = [f"{a}+{b}" for a, b in pairs]
    answers = [str(a + b) for a, b in pairs]
    x = np.stack([encode(q, QUESTION_LENGTH) for q in questions])
    y = np.stack([encode(a, ANSWER_LENGTH) for a in answers])

    model = build_model()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.summary()
    model.fit(x, y, batch_size=64, epochs=3, validation_split=0.1, verbose=2)
    guesses = model.predict(x[:3])
    for question, answer, guess in zip(questions, answers, guesses):
        print(f"{question} = {answer}? model says {decode(guess).strip()}")

    reshaping = build_reshaping_model()
    reshaping.summary()
    assert reshaping.predict(x[:2]).shape == (2, 4)


if __name__ == "__main__":
    main()
