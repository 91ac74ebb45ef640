"""Models and layers written as Python classes (keras.io's "making new layers and models via
subclassing").

Patterns: a ``keras.layers.Layer`` subclass with ``__init__(**kwargs)``, ``build(input_shape)``
creating weights with ``self.add_weight(name=..., shape=..., initializer=...)`` and ``call(inputs)``; a ``keras.Model`` subclass
holding layers as attributes and a ``call(inputs, training=False)`` that passes ``training`` to
``Dropout``; ``compile``/``fit``/``evaluate`` on it; ``model.trainable_weights`` counts;
``get_config`` of the custom layer.
"""

import numpy as np

import minidl.keras as keras
import minidl.tf as tf


class Linear(keras.layers.Layer):
    """y = x w + b, its weights created on the first call."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs, training=False):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class MLP(keras.Model):
    def __init__(self, hidden=16, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Linear(hidden)
        self.dropout = keras.layers.Dropout(0.2)
        self.classifier = keras.layers.Dense(classes, activation="softmax")

    def call(self, inputs, training=False):
        x = tf.nn.relu(self.hidden(inputs))
        x = self.dropout(x, training=training)
        return self.classifier(x)


def build_model():
    return keras.Sequential([keras.Input(shape=(6,)), Linear(16), keras.layers.Activation("relu"), Linear(3)])


def main():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(240, 6)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)

    model = MLP()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    print(f"subclassed MLP: loss {loss:.4f} accuracy {accuracy:.4f}, {len(model.trainable_weights)} weight tensors")
    assert len(model.trainable_weights) == 4 and accuracy > 0.7

    stacked = build_model()
    stacked.summary()
    assert stacked.count_params() == 6 * 16 + 16 + 16 * 3 + 3
    print(Linear(4).get_config()["units"])


if __name__ == "__main__":
    main()
