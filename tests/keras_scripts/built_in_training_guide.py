"""Training with the built-in fit / evaluate / predict, after the keras-io guide
"Training & evaluation with the built-in methods" (guides/training_with_built_in_methods.py,
fchollet, TF 2 edition). Reduced rewrite: beyond the imports, 2,000 MNIST images instead of
60,000, one or two epochs, and the guide's parts that Keras 3 dropped (symbolic
``model.add_loss`` on a functional model, SavedModel checkpoint paths, integer ``save_freq``)
left out. The endpoint layer takes (targets, logits) in that order so its loss has a gradient.

Patterns: a ``keras.metrics.Metric`` subclass whose state is ``self.add_weight(name=...,
initializer="zeros")`` with the default (Keras 3) ``reset_state``; a ``keras.losses.Loss``
subclass; a loss function written with ``tf.math``; a layer called on two positional tensors
(``layer(targets, logits)`` -> ``call(self, targets, logits)``) that adds its own loss, in a
model compiled without a loss and fitted on a dict with no y; ``class_weight``; a dataset
yielding (x, y, sample_weight); a two-input, two-output model with per-output losses,
metrics and ``loss_weights`` given as dicts.
"""

import numpy as np

import minidl.tf as tf
from minidl.tf import keras
from minidl.tf.keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:2000].reshape(-1, 784).astype("float32") / 255
y_train = y_train[:2000].astype("float32")
x_test = x_test[:300].reshape(-1, 784).astype("float32") / 255
y_test = y_test[:300].astype("float32")


def mlp(softmax=True):
    inputs = keras.Input(shape=(784,), name="digits")
    hidden = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(10, activation="softmax" if softmax else None, name="predictions")(hidden)
    return keras.Model(inputs, outputs)


class CorrectCount(keras.metrics.Metric):
    """How many samples the argmax gets right, summed over the epoch."""

    def __init__(self, name="correct_count", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        guess = tf.reshape(tf.argmax(y_pred, axis=1), shape=(-1, 1))
        same = tf.cast(tf.cast(y_true, "int32") == tf.cast(guess, "int32"), "float32")
        self.hits.assign_add(tf.reduce_sum(same))

    def result(self):
        return self.hits


model = mlp()
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=[CorrectCount()])
history = model.fit(x_train, tf.reshape(y_train, (-1, 1)), batch_size=64, epochs=2)
counts = history.history["correct_count"]
assert 0 < counts[0] <= 2000 and counts[1] > counts[0], counts  # reset between epochs, then more right
print("correct per epoch:", counts)


class PenalisedMSE(keras.losses.Loss):
    def __init__(self, factor=0.1, name="penalised_mse"):
        super().__init__(name=name)
        self.factor = factor

    def call(self, y_true, y_pred):
        return tf.math.reduce_mean(tf.square(y_true - y_pred)) + self.factor * tf.math.reduce_mean(tf.square(0.5 - y_pred))


for loss in (lambda t, p: tf.math.reduce_mean(tf.square(t - p)), PenalisedMSE()):
    model = mlp()
    model.compile(optimizer=keras.optimizers.Adam(), loss=loss)
    model.fit(x_train, tf.one_hot(y_train, depth=10), batch_size=64, epochs=1, verbose=0)


class CrossentropyEndpoint(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        return tf.nn.softmax(logits)


features = keras.Input(shape=(3,), name="inputs")
targets = keras.Input(shape=(10,), name="targets")
probabilities = CrossentropyEndpoint(name="predictions")(targets, layers.Dense(10)(features))
model = keras.Model(inputs=[features, targets], outputs=probabilities)
model.compile(optimizer="adam")  # no loss: the endpoint's add_loss is the whole loss
rng = np.random.default_rng(0)
data = {"inputs": rng.random((64, 3)), "targets": (rng.random((64, 10)) > 0.5).astype("float32")}
losses = model.fit(data, epochs=5, verbose=0).history["loss"]
assert losses[-1] < losses[0], losses
print("endpoint losses:", [round(v, 4) for v in losses])

model = mlp()
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
model.fit(x_train, y_train, class_weight={c: 2.0 if c == 5 else 1.0 for c in range(10)}, batch_size=64, epochs=1, verbose=0)
weights = np.where(y_train == 5, 2.0, 1.0)
dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train, weights)).shuffle(1024).batch(64)
model.fit(dataset, epochs=1, verbose=0)
print("test loss, accuracy:", model.evaluate(x_test, y_test, batch_size=128, verbose=0))

image = keras.Input(shape=(16, 16, 3), name="img_input")
series = keras.Input(shape=(None, 10), name="ts_input")
joined = layers.concatenate([
    layers.GlobalMaxPooling2D()(layers.Conv2D(3, 3)(image)),
    layers.GlobalMaxPooling1D()(layers.Conv1D(3, 3)(series)),
])
model = keras.Model([image, series], [layers.Dense(1, name="score_output")(joined),
                                      layers.Dense(5, name="class_output")(joined)])
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={"score_output": keras.losses.MeanSquaredError(), "class_output": keras.losses.CategoricalCrossentropy()},
    metrics={"score_output": [keras.metrics.MeanAbsoluteError()], "class_output": [keras.metrics.CategoricalAccuracy()]},
    loss_weights={"score_output": 2.0, "class_output": 1.0},
)
inputs = {"img_input": rng.random((40, 16, 16, 3)), "ts_input": rng.random((40, 12, 10))}
outputs = {"score_output": rng.random((40, 1)), "class_output": np.eye(5)[rng.integers(0, 5, 40)]}
logs = model.fit(inputs, outputs, batch_size=16, epochs=1, verbose=0).history
print("multi-output keys:", sorted(logs))
