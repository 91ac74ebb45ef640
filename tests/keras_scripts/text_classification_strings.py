"""Sentiment classification from raw strings, the way TensorFlow's "basic text classification"
tutorial and keras.io's "text classification from scratch" do it, on made-up reviews.

Patterns: ``tf.data`` datasets of ``(string, label)`` pairs; a custom standardisation with
``tf.strings.lower`` / ``tf.strings.regex_replace`` (HTML line breaks and punctuation);
``TextVectorization(max_tokens, output_mode="int", output_sequence_length)`` adapted on
``dataset.map(lambda x, y: x)`` and mapped over the datasets (``tf.expand_dims`` first);
``get_vocabulary``; an ``Embedding`` / ``GlobalAveragePooling1D`` model trained with
``from_logits=True``; an export model ``Sequential([vectorize_layer, model,
Activation("sigmoid")])`` evaluated and used for ``predict`` on raw strings; and a functional
end-to-end model from ``keras.Input(shape=(1,), dtype="string")``, with a bag-of-words
``TextVectorization(output_mode="multi_hot")`` branch.
"""

import re
import string

import numpy as np

import minidl.keras as keras
import minidl.tf as tf
from minidl.keras import layers, losses

MAX_FEATURES = 60
SEQUENCE_LENGTH = 12
GOOD = ["great", "wonderful", "moving", "superb", "fun", "brilliant"]
BAD = ["boring", "awful", "dull", "terrible", "weak", "painful"]
FILLER = ["the", "movie", "film", "plot", "was", "acting", "really", "quite", "and", "a"]


def make_reviews(count, seed):
    """Short reviews: filler words with a few good or bad ones, HTML breaks and punctuation."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(count):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(FILLER, 6)) + list(rng.choice(GOOD if label else BAD, 2))
        rng.shuffle(words)
        text = " ".join(words).capitalize() + rng.choice(["!", ".", "...", "<br /><br />Really."])
        texts.append(text)
        labels.append(label)
    return np.array(texts), np.array(labels)


def custom_standardization(input_data):
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
    return tf.strings.regex_replace(stripped_html, f"[{re.escape(string.punctuation)}]", "")


def make_vectorize_layer(adapt_on=None):
    layer = layers.TextVectorization(standardize=custom_standardization, max_tokens=MAX_FEATURES,
                                     output_mode="int", output_sequence_length=SEQUENCE_LENGTH)
    texts = make_reviews(40, seed=9)[0] if adapt_on is None else adapt_on
    layer.adapt(texts)
    return layer


def build_model():
    return keras.Sequential([
        keras.Input(shape=(SEQUENCE_LENGTH,), dtype="int64"),
        layers.Embedding(MAX_FEATURES, 8),
        layers.Dropout(0.2),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.2),
        layers.Dense(1),
    ])


def build_end_to_end():
    inputs = keras.Input(shape=(1,), dtype="string")
    indices = make_vectorize_layer()(inputs)
    x = layers.GlobalAveragePooling1D()(layers.Embedding(MAX_FEATURES, 8)(indices))
    bag = layers.TextVectorization(max_tokens=MAX_FEATURES, output_mode="multi_hot")
    bag.adapt(make_reviews(40, seed=9)[0])
    words = bag(layers.Reshape(())(inputs))
    x = layers.concatenate([x, layers.Dense(8, activation="relu")(words)])
    outputs = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, outputs)


def main():
    keras.utils.set_random_seed(3)
    train_texts, train_labels = make_reviews(240, seed=0)
    test_texts, test_labels = make_reviews(60, seed=1)
    raw_train_ds = tf.data.Dataset.from_tensor_slices((train_texts[:200], train_labels[:200])).batch(32)
    raw_val_ds = tf.data.Dataset.from_tensor_slices((train_texts[200:], train_labels[200:])).batch(32)
    raw_test_ds = tf.data.Dataset.from_tensor_slices((test_texts, test_labels)).batch(32)

    for text_batch, label_batch in raw_train_ds.take(1):
        print("Review:", text_batch.numpy()[0], "Label:", label_batch.numpy()[0])

    vectorize_layer = layers.TextVectorization(standardize=custom_standardization, max_tokens=MAX_FEATURES,
                                               output_mode="int", output_sequence_length=SEQUENCE_LENGTH)
    vectorize_layer.adapt(raw_train_ds.map(lambda x, y: x))
    vocabulary = vectorize_layer.get_vocabulary()
    print("vocabulary size:", len(vocabulary), "first tokens:", vocabulary[:6])
    assert vocabulary[:2] == ["", "[UNK]"] and "br" not in vocabulary

    def vectorize_text(text, label):
        text = tf.expand_dims(text, -1)
        return vectorize_layer(text), label

    first_review, first_label = next(iter(raw_train_ds))
    print("Vectorized review:", vectorize_text(first_review[0], first_label[0])[0])

    train_ds = raw_train_ds.map(vectorize_text).cache().prefetch(buffer_size=tf.data.AUTOTUNE)
    val_ds = raw_val_ds.map(vectorize_text).cache().prefetch(buffer_size=tf.data.AUTOTUNE)

    model = build_model()
    model.compile(loss=losses.BinaryCrossentropy(from_logits=True), optimizer="adam",
                  metrics=[tf.metrics.BinaryAccuracy(threshold=0.0)])
    history = model.fit(train_ds, validation_data=val_ds, epochs=15, verbose=0)
    print("final training accuracy:", round(history.history["binary_accuracy"][-1], 3))
    model.summary()

    export_model = keras.Sequential([vectorize_layer, model, layers.Activation("sigmoid")])
    export_model.compile(loss=losses.BinaryCrossentropy(from_logits=False), optimizer="adam", metrics=["accuracy"])
    metrics = export_model.evaluate(raw_test_ds, return_dict=True, verbose=0)
    print("export model on raw test strings:", metrics)
    assert metrics["accuracy"] > 0.7

    examples = tf.constant(["The movie was superb and fun!", "The movie was quite dull...", "awful, painful film"])
    predictions = export_model.predict(examples, verbose=0)
    print("predictions:", predictions.ravel().round(3))
    assert predictions.shape == (3, 1) and predictions[0, 0] > predictions[1, 0]

    end_to_end = build_end_to_end()
    end_to_end.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.01),
                       metrics=["accuracy"])
    end_to_end.fit(tf.data.Dataset.from_tensor_slices((train_texts[:, None], train_labels)).batch(32), epochs=10,
                   verbose=0)
    accuracy = end_to_end.evaluate(tf.constant(test_texts[:, None]), test_labels, verbose=0)[1]
    print("end-to-end model accuracy:", round(accuracy, 3))
    assert accuracy > 0.7


if __name__ == "__main__":
    main()
