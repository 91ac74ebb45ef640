"""Custom layers and models written against Keras 3's layer API.

Patterns: ``self.add_weight(shape=..., initializer=..., trainable=True)`` without a name,
``self.add_loss(...)`` for an activity penalty, ``layer.trainable_variables`` /
``model.trainable_variables`` (TensorFlow's names), ``model.variables``, a layer with a
non-trainable weight updated in ``call``, and a model evaluated after ``fit``.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class ActivityPenalty(keras.layers.Layer):
    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


def build_model():
    inputs = keras.Input(shape=(4,))
    x = Linear(8)(inputs)
    x = ActivityPenalty()(x)
    outputs = Linear(1)(keras.layers.Activation("relu")(x))
    return keras.Model(inputs, outputs)


def main():
    layer = Linear(3)
    layer(np.ones((2, 4), dtype="float32"))
    print("weights of a Linear layer:", [tuple(w.shape) for w in layer.trainable_variables])
    assert len(layer.trainable_variables) == 2

    model = build_model()
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    model.fit(x, x.sum(axis=1, keepdims=True), epochs=2, verbose=0)
    print(len(model.trainable_variables), len(model.variables), model.losses)


if __name__ == "__main__":
    main()
