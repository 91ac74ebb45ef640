"""Text classification from raw strings: tokenise, pad, embed, convolve.

Patterns: ``Tokenizer(num_words=..., oov_token=...)``, ``fit_on_texts`` / ``texts_to_sequences``
/ ``word_index``, ``pad_sequences(padding='post', truncating='post')``, ``Embedding`` followed by
``Conv1D`` + ``GlobalMaxPooling1D``, ``GlobalAveragePooling1D`` on a second branch, ``Dense``
softmax with ``sparse_categorical_crossentropy``, ``text_to_word_sequence``, class weights, and
``model.predict`` on newly tokenised sentences.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras.preprocessing.sequence import pad_sequences
from minidl.keras.preprocessing.text import Tokenizer, text_to_word_sequence

POSITIVE = ["a wonderful film with great acting", "truly great and moving story", "loved the music and the cast",
            "an excellent, charming movie", "great fun from start to end", "beautiful photography and a fine script"]
NEGATIVE = ["a dull film with poor acting", "boring and far too long", "hated the music and the plot",
            "an awful, tedious movie", "poor script, bad direction", "weak story and wooden acting"]
VOCAB = 60
MAXLEN = 8


def build_model():
    model = keras.Sequential([
        keras.layers.Embedding(VOCAB, 12, input_length=MAXLEN),
        keras.layers.Conv1D(16, 3, activation="relu", padding="same"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])
    return model


def build_average_model():
    inputs = keras.Input(shape=(MAXLEN,))
    embedded = keras.layers.Embedding(VOCAB, 12)(inputs)
    pooled = keras.layers.GlobalAveragePooling1D()(embedded)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(pooled))


def main():
    texts = POSITIVE + NEGATIVE
    labels = np.array([1] * len(POSITIVE) + [0] * len(NEGATIVE))
    tokenizer = Tokenizer(num_words=VOCAB, oov_token="<OOV>")
    tokenizer.fit_on_texts(texts)
    print("vocabulary size:", len(tokenizer.word_index))
    sequences = tokenizer.texts_to_sequences(texts)
    padded = pad_sequences(sequences, maxlen=MAXLEN, padding="post", truncating="post")
    print(padded[:2])

    for model in (build_model(), build_average_model()):
        model.summary()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(np.repeat(padded, 8, axis=0), np.repeat(labels, 8), epochs=15, batch_size=16, verbose=0,
                  class_weight={0: 1.0, 1: 1.0})
        new = pad_sequences(tokenizer.texts_to_sequences(["great acting and a wonderful story", "boring, poor and dull"]),
                            maxlen=MAXLEN, padding="post")
        probabilities = model.predict(new)
        print("positive probability:", probabilities[:, 1])
        assert probabilities[0, 1] > probabilities[1, 1]
    print(text_to_word_sequence("Don't watch this movie - poor acting!"))


if __name__ == "__main__":
    main()
