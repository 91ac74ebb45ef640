"""Overriding ``train_step`` to keep ``fit``'s loop with one's own update (keras.io's
"customizing what happens in fit").

Patterns: a ``keras.Model`` subclass whose ``train_step(self, data)`` unpacks ``x, y = data``,
runs the model under ``tf.GradientTape``, computes ``self.compiled_loss`` (TF2) /
``self.compute_loss`` (Keras 3), applies gradients with ``self.optimizer``, updates
``self.compiled_metrics`` and returns a dict of ``m.result()`` for ``m in self.metrics``.
"""

import numpy as np

import minidl.keras as keras
import minidl.tf as tf


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def build_model():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    return CustomModel(inputs, outputs)


def main():
    model = build_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = np.random.random((256, 32))
    y = np.random.random((256, 1))
    history = model.fit(x, y, epochs=3)
    print(history.history)


if __name__ == "__main__":
    main()
