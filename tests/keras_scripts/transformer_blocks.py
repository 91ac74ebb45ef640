"""Transformer blocks in the styles of keras.io's "text classification with Transformer" and
"timeseries classification with a Transformer model" examples, on made-up data.

Patterns: a ``TransformerBlock`` layer subclass holding a ``MultiHeadAttention``, a
``keras.Sequential`` feed-forward net, two ``LayerNormalization`` and two ``Dropout`` layers
as attributes (their weights are the block's); a ``TokenAndPositionEmbedding`` layer adding a
position ``Embedding`` of ``ops.arange`` to the token ``Embedding``; a functional encoder
written with ``MultiHeadAttention(...)(x, x)`` and residuals ``res = x + inputs`` on symbolic
tensors; ``Conv1D(kernel_size=1)`` feed-forward, ``GlobalAveragePooling1D(data_format=
"channels_first")`` (averaging the feature axis, keeping one value per step); ``return_attention_scores=True``; a causal mask; ``get_config`` on the custom
layers and ``save_weights`` / ``load_weights`` of the whole model.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import layers, ops

VOCAB_SIZE = 50
MAXLEN = 12


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.dropout2(self.ffn(out1), training=training)
        return self.layernorm2(out1 + ffn_output)

    def get_config(self):
        config = super().get_config()
        config.update({"embed_dim": self.embed_dim, "num_heads": self.num_heads, "ff_dim": self.ff_dim,
                       "rate": self.rate})
        return config


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        return self.token_emb(x) + positions


def build_text_classifier():
    inputs = layers.Input(shape=(MAXLEN,))
    x = TokenAndPositionEmbedding(MAXLEN, VOCAB_SIZE, 16)(inputs)
    x = TransformerBlock(16, 2, 16)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(8, activation="relu")(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0.0):
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def build_timeseries_classifier(input_shape=(20, 1), head_size=8, num_heads=2, ff_dim=4, blocks=2):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout=0.1)
    x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
    x = layers.Dense(16, activation="relu")(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def make_token_data(count, seed):
    """Token sequences whose class is whether token 7 occurs more often than token 8."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCAB_SIZE, (count, MAXLEN))
    labels = rng.integers(0, 2, count)
    for row, label in zip(tokens, labels):
        row[rng.choice(MAXLEN, 4, replace=False)] = 7 if label else 8
    return tokens, labels


def make_series(count, seed):
    """Noisy sine waves (class 1) against noisy ramps (class 0)."""
    rng = np.random.default_rng(seed)
    steps = np.linspace(0, 1, 20)
    labels = rng.integers(0, 2, count)
    waves = np.where(labels[:, None] == 1, np.sin(2 * np.pi * 3 * steps), steps * 2 - 1)
    series = waves + rng.normal(0, 0.2, (count, 20))
    return series[..., None].astype("float32"), labels


def main():
    keras.utils.set_random_seed(2)
    x_train, y_train = make_token_data(256, seed=0)
    x_val, y_val = make_token_data(64, seed=1)
    model = build_text_classifier()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=12, validation_data=(x_val, y_val), verbose=0)
    print("text transformer val accuracy:", round(history.history["val_accuracy"][-1], 3))
    assert history.history["val_accuracy"][-1] > 0.75

    block = next(layer for layer in model.layers if isinstance(layer, TransformerBlock))
    print("transformer block weights:", len(block.weights), "config:", block.get_config()["num_heads"])
    assert len(block.trainable_weights) == 8 + 4 + 4  # attention, feed-forward net, two normalisations

    model.save_weights("text_transformer.weights.h5")
    twin = build_text_classifier()
    twin.load_weights("text_transformer.weights.h5")
    np.testing.assert_allclose(twin.predict(x_val, verbose=0), model.predict(x_val, verbose=0), rtol=1e-5, atol=1e-6)

    series, labels = make_series(160, seed=3)
    classifier = build_timeseries_classifier()
    classifier.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                       metrics=["sparse_categorical_accuracy"])
    callbacks = [keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)]
    classifier.fit(series, labels, validation_split=0.2, epochs=12, batch_size=32, callbacks=callbacks, verbose=0)
    loss, accuracy = classifier.evaluate(*make_series(48, seed=4), verbose=0)
    print(f"timeseries transformer test accuracy {accuracy:.3f}")
    assert accuracy > 0.8

    attention = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    sequence = np.random.default_rng(5).normal(size=(1, 5, 6)).astype("float32")
    output, scores = attention(sequence, sequence, return_attention_scores=True, use_causal_mask=True)
    print("attention output", output.shape, "scores", scores.shape)
    assert np.allclose(np.triu(np.asarray(scores.numpy())[0, 0], k=1), 0.0, atol=1e-6)  # no step sees the future


if __name__ == "__main__":
    main()
