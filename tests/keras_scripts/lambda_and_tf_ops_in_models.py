"""Computations inside models without writing a Layer class: ``Lambda`` layers, TensorFlow
functions called on ``keras.Input`` tensors (TF 2's automatic op layers), ``keras.ops``
(Keras 3) and a VAE-style sampling step.

Patterns: ``Lambda(lambda x: x / 255.0)``, ``Lambda(function, arguments=...)``, a sampling
``Lambda`` using ``K.random_normal(shape=(K.shape(z_mean)[0], dim))`` and ``K.exp``,
``tf.concat`` / ``tf.reduce_mean`` / ``tf.nn.relu`` / ``tf.expand_dims`` on symbolic tensors,
``keras.ops.mean`` / ``keras.ops.concatenate``, ``Rescaling``, ``LayerNormalization``,
``Permute`` and ``RepeatVector``, and ``model.predict`` through all of them.
"""

import numpy as np

import minidl.keras as keras
import minidl.tf as tf
from minidl.keras import backend as K
from minidl.keras import layers

LATENT = 2


def sampling(args):
    z_mean, z_log_var = args
    epsilon = K.random_normal(shape=(K.shape(z_mean)[0], LATENT))
    return z_mean + K.exp(0.5 * z_log_var) * epsilon


def scaled(x, factor):
    return x * factor


def build_vae_encoder():
    inputs = keras.Input(shape=(12,))
    h = layers.Dense(8, activation="relu")(inputs)
    z_mean = layers.Dense(LATENT, name="z_mean")(h)
    z_log_var = layers.Dense(LATENT, name="z_log_var")(h)
    z = layers.Lambda(sampling, output_shape=(LATENT,), name="z")([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")


def build_tf_op_model():
    inputs = keras.Input(shape=(6, 4))
    scaled_inputs = layers.Lambda(lambda x: x / 255.0)(inputs)
    halved = layers.Lambda(scaled, arguments={"factor": 0.5})(scaled_inputs)
    mean_over_time = tf.reduce_mean(halved, axis=1)
    rectified = tf.nn.relu(mean_over_time)
    joined = tf.concat([rectified, mean_over_time], axis=-1)
    widened = tf.expand_dims(joined, axis=1)
    flat = layers.Flatten()(widened)
    normalised = layers.LayerNormalization()(flat)
    outputs = layers.Dense(3)(normalised)
    return keras.Model(inputs, outputs)


def build_keras_ops_model():
    inputs = keras.Input(shape=(5,))
    x = layers.Rescaling(1.0 / 10)(inputs)
    repeated = layers.RepeatVector(3)(x)
    swapped = layers.Permute((2, 1))(repeated)
    pooled = keras.ops.mean(swapped, axis=-1)
    both = keras.ops.concatenate([pooled, x], axis=-1)
    return keras.Model(inputs, layers.Dense(1)(both))


def main():
    rng = np.random.default_rng(2)
    encoder = build_vae_encoder()
    encoder.summary()
    z_mean, z_log_var, z = encoder.predict(rng.normal(size=(4, 12)))
    assert z.shape == (4, LATENT)

    model = build_tf_op_model()
    model.summary()
    x = rng.integers(0, 255, size=(8, 6, 4)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, rng.normal(size=(8, 3)), epochs=2, verbose=0)
    assert model.predict(x).shape == (8, 3)

    ops_model = build_keras_ops_model()
    ops_model.summary()
    assert ops_model.predict(rng.normal(size=(3, 5))).shape == (3, 1)


if __name__ == "__main__":
    main()
