"""A training loop written by hand with ``tf.GradientTape``, as in keras.io's "training loop
from scratch" and TensorFlow's beginner tutorials.

Patterns: a functional model returning logits, ``keras.losses.SparseCategoricalCrossentropy(
from_logits=True)``, ``tf.data.Dataset.from_tensor_slices(...).shuffle(...).batch(...)``,
iterating ``enumerate(dataset)``, ``model(x, training=True)`` under a tape,
``tape.gradient(loss, model.trainable_weights)``, ``optimizer.apply_gradients(zip(...))``,
metric objects (``update_state`` / ``result`` / ``reset_state``), ``@tf.function`` on the step,
``float(loss)``, and a validation loop with ``training=False``.
"""

import numpy as np

import minidl.keras as keras
import minidl.tf as tf


def build_model():
    inputs = keras.Input(shape=(20,), name="features")
    x = keras.layers.Dense(32, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(32, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(4, name="logits")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def make_data(rng, rows):
    """Four classes, each a cloud around its own centre."""
    centres = rng.normal(size=(4, 20)) * 3
    labels = rng.integers(0, 4, size=rows)
    features = centres[labels] + rng.normal(size=(rows, 20))
    return features.astype("float32"), labels


def main():
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(rng, 512)
    x_val, y_val = x_train[-128:], y_train[-128:]
    x_train, y_train = x_train[:-128], y_train[:-128]

    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(buffer_size=256).batch(32)
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(64)

    model = build_model()
    optimizer = keras.optimizers.SGD(learning_rate=0.05)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        train_acc_metric.update_state(y, logits)
        return loss_value

    for epoch in range(3):
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            loss_value = train_step(x_batch_train, y_batch_train)
            if step % 5 == 0:
                print(f"epoch {epoch} step {step}: loss {float(loss_value):.4f}")
        train_acc = train_acc_metric.result()
        print("Training acc over epoch: %.4f" % (float(train_acc),))
        train_acc_metric.reset_state()

        for x_batch_val, y_batch_val in val_dataset:
            val_logits = model(x_batch_val, training=False)
            val_acc_metric.update_state(y_batch_val, val_logits)
        val_acc = float(val_acc_metric.result())
        val_acc_metric.reset_states()
        print("Validation acc: %.4f" % (val_acc,))
    assert val_acc > 0.8, val_acc


if __name__ == "__main__":
    main()
