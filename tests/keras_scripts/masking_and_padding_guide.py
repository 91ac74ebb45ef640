"""Padding and masking, after the guide on masking (a reduced rewrite).

Source: keras-io ``guides/understanding_masking_and_padding.py``. Changed besides the imports:
smaller vocabularies and batches; the last model is called on the token ids alone (the guide
also passes a random array as the second positional argument, which Keras 3 binds to
``training``).

Patterns: ``pad_sequences(padding="post")``, the mask an ``Embedding(mask_zero=True)`` or a
``Masking`` layer attaches to its output (``_keras_mask``), the mask reaching an ``LSTM`` in
Sequential and functional models, ``embedding.compute_mask`` passed as ``mask=`` by hand, a
custom layer's ``compute_mask`` splitting the mask with ``tf.split``, a custom embedding built
on ``tf.nn.embedding_lookup`` producing a mask, ``supports_masking = True`` passing the mask
on, and a layer whose ``call`` takes ``mask``.
"""

import numpy as np

import minidl.tf as tf
from minidl.tf import keras
from minidl.tf.keras import layers


class TemporalSplit(keras.layers.Layer):
    """Two halves along time, each with its half of the mask."""

    def call(self, inputs):
        return tf.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else tf.split(mask, 2, axis=1)


class CustomEmbedding(keras.layers.Layer):
    def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.mask_zero = mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), initializer="random_normal",
                                          dtype="float32")

    def call(self, inputs):
        return tf.nn.embedding_lookup(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        return tf.not_equal(inputs, 0) if self.mask_zero else None


class MaskedRelu(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return tf.nn.relu(inputs)


class TemporalSoftmax(keras.layers.Layer):
    def call(self, inputs, mask=None):
        keep = tf.expand_dims(tf.cast(mask, "float32"), -1)
        exps = tf.exp(inputs) * keep
        return exps / tf.reduce_sum(exps, axis=1, keepdims=True)


class EmbedThenLSTM(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(input_dim=200, output_dim=8, mask_zero=True)
        self.lstm = layers.LSTM(6)

    def call(self, inputs):
        return self.lstm(self.embedding(inputs), mask=self.embedding.compute_mask(inputs))


def build_sequential_lstm():
    return keras.Sequential([keras.Input(shape=(None,), dtype="int32"),
                             layers.Embedding(input_dim=200, output_dim=8, mask_zero=True), layers.LSTM(6)])


def build_masked_relu_lstm():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=200, output_dim=8, mask_zero=True)(inputs)
    x = MaskedRelu()(x)
    assert x._keras_mask is not None  # the mask survives the custom layer
    return keras.Model(inputs, layers.LSTM(6)(x))


def build_temporal_softmax():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=10, output_dim=8, mask_zero=True)(inputs)
    return keras.Model(inputs, TemporalSoftmax()(layers.Dense(1)(x)))


if __name__ == "__main__":
    padded = keras.preprocessing.sequence.pad_sequences([[71, 32, 7], [73, 8, 15, 55, 92], [83, 91, 1, 64, 12, 97]],
                                                        padding="post")
    assert padded.shape == (3, 6) and padded[0, 3] == 0

    embedded = layers.Embedding(input_dim=200, output_dim=4, mask_zero=True)(padded)
    np.testing.assert_array_equal(np.asarray(embedded._keras_mask), padded != 0)

    spread = tf.cast(tf.tile(tf.expand_dims(padded, axis=-1), [1, 1, 10]), tf.float32)
    masked = layers.Masking()(spread)
    np.testing.assert_array_equal(np.asarray(masked._keras_mask), padded != 0)

    first_half, second_half = TemporalSplit()(masked)
    np.testing.assert_array_equal(np.asarray(first_half._keras_mask), padded[:, :3] != 0)
    np.testing.assert_array_equal(np.asarray(second_half._keras_mask), padded[:, 3:] != 0)

    ids = np.random.default_rng(0).integers(0, 10, size=(3, 10)).astype("int32")
    custom = CustomEmbedding(10, 4, mask_zero=True)
    assert custom(ids).shape == (3, 10, 4)
    np.testing.assert_array_equal(np.asarray(custom(ids)._keras_mask), ids != 0)
    np.testing.assert_array_equal(np.asarray(custom.compute_mask(ids)), ids != 0)

    # a padded sequence gives the LSTM the same answer as the unpadded one
    lstm_model = build_masked_relu_lstm()
    short = np.array([[5, 6, 7]])
    np.testing.assert_allclose(lstm_model(np.array([[5, 6, 7, 0, 0]])).numpy(), lstm_model(short).numpy(),
                               rtol=1e-5, atol=1e-6)
    assert build_sequential_lstm()(padded).shape == (3, 6)
    assert EmbedThenLSTM()(padded).shape == (3, 6)

    probabilities = build_temporal_softmax()(np.array([[1, 2, 0, 0], [3, 0, 0, 0]]))
    np.testing.assert_allclose(np.asarray(probabilities).sum(axis=1), 1.0, rtol=1e-5)
    assert float(np.asarray(probabilities)[1, 1:].sum()) == 0.0
    print("masking_and_padding_guide: ok")
