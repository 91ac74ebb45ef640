"""Layer and model subclassing, after the guide on making new layers (a reduced rewrite).

Source: keras-io ``guides/making_new_layers_and_models_via_subclassing.py``. Changed besides
the imports: 256 MNIST digits, one epoch, smaller layers; its functional VAE with
``vae.add_loss(kl_loss)`` on symbolic tensors is left out (Keras 3 rejects it too; minidl
raises UnsupportedError saying so).

Patterns: ``add_weight(..., trainable=False)`` updated with ``assign_add`` inside ``call``,
``tf.zeros(1, 1)`` (TensorFlow reads the second 1 as DT_FLOAT), a model with no trainable
weights fitted (Keras warns and only reports the loss), ``compile()`` without a loss when a
layer calls ``add_loss``, ``keras.metrics.Mean()`` called on a loss value, and a subclassed
VAE trained by a ``GradientTape`` loop and by ``fit``.
"""

import warnings

import numpy as np

import minidl.tf as tf
from minidl.tf import keras
from minidl.tf.keras import layers


class RunningSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return self.total


class MeanActivityPenalty(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * tf.reduce_mean(inputs))
        return inputs


class Sampling(layers.Layer):
    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = tf.keras.backend.random_normal(shape=(tf.shape(z_mean)[0], tf.shape(z_mean)[1]))
        return z_mean + tf.exp(0.5 * z_log_var) * epsilon


class SmallVAE(keras.Model):
    def __init__(self, original_dim, intermediate_dim=32, latent_dim=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(intermediate_dim, activation="relu")
        self.z_mean = layers.Dense(latent_dim)
        self.z_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()
        self.decoder_hidden = layers.Dense(intermediate_dim, activation="relu")
        self.reconstruction = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.hidden(inputs)
        z_mean, z_log_var = self.z_mean(x), self.z_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        self.add_loss(-0.5 * tf.reduce_mean(z_log_var - tf.square(z_mean) - tf.exp(z_log_var) + 1))
        return self.reconstruction(self.decoder_hidden(z))


def build_penalty_model():
    inputs = keras.Input(shape=(3,))
    return keras.Model(inputs, MeanActivityPenalty()(inputs))


if __name__ == "__main__":
    running = RunningSum(2)
    running(tf.ones((2, 2)))
    np.testing.assert_allclose(running(tf.ones((2, 2))).numpy(), [4.0, 4.0])
    assert len(running.non_trainable_weights) == 1 and running.trainable_weights == []
    assert tf.zeros(1, 1).dtype == tf.float32

    model = build_penalty_model()
    model.compile(optimizer="adam", loss="mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(np.random.random((2, 3)), np.random.random((2, 3)), verbose=0)
    assert any("trainable weights" in str(w.message) for w in caught)
    model.compile(optimizer="adam")  # no loss: the added loss is the whole loss
    history = model.fit(np.random.random((2, 3)), np.random.random((2, 3)), verbose=0)
    assert np.isfinite(history.history["loss"][0])

    (x_train, _), _ = keras.datasets.mnist.load_data()
    x_train = x_train[:256].reshape(256, 784).astype("float32") / 255
    vae = SmallVAE(784)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    mse = keras.losses.MeanSquaredError()
    loss_metric = keras.metrics.Mean()
    for batch in tf.data.Dataset.from_tensor_slices(x_train).shuffle(256).batch(64):
        with tf.GradientTape() as tape:
            loss = mse(batch, vae(batch)) + sum(vae.losses)
        grads = tape.gradient(loss, vae.trainable_weights)
        optimizer.apply_gradients(zip(grads, vae.trainable_weights))
        loss_metric(loss)
    assert np.isfinite(float(loss_metric.result()))

    vae = SmallVAE(784)
    vae.compile(keras.optimizers.Adam(learning_rate=1e-3), loss=keras.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=1, batch_size=64, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    inputs = keras.Input(shape=(4,))
    functional = keras.Model(inputs, layers.Dense(2)(inputs))
    try:
        functional.add_loss(tf.reduce_mean(functional.output))
    except AttributeError as error:  # minidl.errors.UnsupportedError is an AttributeError
        assert "add_loss" in str(error)
    else:
        raise AssertionError("a symbolic add_loss should be refused")
    print("layer_subclassing_guide: ok")
