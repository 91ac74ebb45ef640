"""Keras 3's ``train_step`` idioms from the guide on customising ``fit()`` (a reduced rewrite).

Source: keras-io ``guides/custom_train_step_in_tensorflow.py``. Changed besides the imports:
100 random samples instead of 1000, one epoch each, a smaller GAN on 64 MNIST digits.

Patterns: ``self.compute_loss(y=, y_pred=, sample_weight=)``, ``self.optimizer.apply(grads,
variables)`` (Keras 3's form of ``apply_gradients``), iterating ``self.metrics`` and telling
the loss tracker apart by ``metric.name == "loss"``, a ``sample_weight`` column of shape
``(n, 1)``, an overridden ``test_step`` used by ``evaluate``, and a GAN drawing noise with
``keras.random.normal(..., seed=SeedGenerator)``.
"""

import numpy as np

import minidl.keras as keras
import minidl.tf as tf
from minidl.keras import layers


class StepWithCompiledLoss(keras.Model):
    """A train step computing the compiled loss and updating the compiled metrics itself."""

    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            (x, y), sample_weight = data, None
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {metric.name: metric.result() for metric in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {metric.name: metric.result() for metric in self.metrics}


def build_regressor():
    inputs = keras.Input(shape=(32,))
    return StepWithCompiledLoss(inputs, layers.Dense(1)(inputs))


def build_discriminator():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ], name="discriminator")


def build_generator(latent_dim=16):
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 8),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Reshape((7, 7, 8)),
        layers.Conv2DTranspose(8, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(8, (4, 4), strides=(2, 2), padding="same"),
        layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
    ], name="generator")


class TinyGAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(1337)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        noise = keras.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        images = tf.concat([self.generator(noise), real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(images))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)
        noise = keras.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            g_loss = self.loss_fn(tf.zeros((batch_size, 1)), self.discriminator(self.generator(noise)))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    x, y = rng.random((100, 32)), rng.random((100, 1))
    model = build_regressor()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x, y, sample_weight=rng.random((100, 1)), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "mae"}, history.history
    loss, mae = model.evaluate(x, y, verbose=0)
    assert np.isfinite(loss) and np.isfinite(mae)

    (digits, _), _ = keras.datasets.mnist.load_data()
    digits = digits[:64].reshape(-1, 28, 28, 1).astype("float32") / 255.0
    gan = TinyGAN(build_discriminator(), build_generator(), latent_dim=16)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=3e-4), g_optimizer=keras.optimizers.Adam(learning_rate=3e-4),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    history = gan.fit(tf.data.Dataset.from_tensor_slices(digits).shuffle(64).batch(32), epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    print("keras3_train_step_apply: ok")
