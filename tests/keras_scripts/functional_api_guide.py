"""The functional API guide's models, reduced (a rewrite, not the guide's text).

Source: keras-io ``guides/functional_api.py``. Changed besides the imports: 512 MNIST digits and
random stand-ins for CIFAR-10 and the ticket data, one or two epochs on a few batches; the
VGG19 feature extractor is left out (ImageNet weights; minidl has VGG16 and ResNet50).

Patterns: ``keras.Input`` facts (``shape``, ``dtype``), ``plot_model``, save / ``load_model``
of a functional model, one graph of layers giving an encoder and an autoencoder, models
called like layers (nested encoder/decoder, an ensemble merged by ``layers.average``), a
three-input two-output model compiled with lists and with dicts of losses and loss weights and
fitted from dicts, a small residual network with ``layers.add``, a shared ``Embedding``, a
custom layer rebuilt by ``Model.from_config(custom_objects=...)``, and custom layers looping
over time with ``tf.zeros`` / ``tf.stack`` inside a functional model with ``batch_shape``.
"""

import os
import tempfile

import numpy as np

import minidl.tf as tf
from minidl.tf import keras
from minidl.tf.keras import layers


def build_mlp():
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    return keras.Model(inputs=inputs, outputs=layers.Dense(10)(x), name="mnist_mlp")


def build_encoder_decoder():
    image = keras.Input(shape=(28, 28, 1), name="original_img")
    x = layers.Conv2D(16, 3, activation="relu")(image)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder = keras.Model(image, layers.GlobalMaxPooling2D()(x), name="encoder")

    code = keras.Input(shape=(16,), name="encoded_img")
    x = layers.Reshape((4, 4, 1))(code)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder = keras.Model(code, layers.Conv2DTranspose(1, 3, activation="relu")(x), name="decoder")

    image_in = keras.Input(shape=(28, 28, 1), name="img")
    autoencoder = keras.Model(image_in, decoder(encoder(image_in)), name="autoencoder")
    return autoencoder, encoder, decoder


def build_ensemble():
    def member():
        inputs = keras.Input(shape=(128,))
        return keras.Model(inputs, layers.Dense(1)(inputs))

    inputs = keras.Input(shape=(128,))
    outputs = layers.average([member()(inputs), member()(inputs), member()(inputs)])
    return keras.Model(inputs=inputs, outputs=outputs)


def build_ticket_model(num_words=500, num_tags=12, num_departments=4):
    title = keras.Input(shape=(None,), name="title")
    body = keras.Input(shape=(None,), name="body")
    tags = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.LSTM(16)(layers.Embedding(num_words, 8)(title))
    body_features = layers.LSTM(8)(layers.Embedding(num_words, 8)(body))
    x = layers.concatenate([title_features, body_features, tags])
    priority = layers.Dense(1, name="priority")(x)
    department = layers.Dense(num_departments, name="department")(x)
    return keras.Model(inputs=[title, body, tags], outputs=[priority, department])


def build_toy_resnet():
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    block_1 = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(block_1)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    block_2 = layers.add([x, block_1])
    x = layers.Conv2D(16, 3, activation="relu")(block_2)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(layers.Dense(32, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(10)(x), name="toy_resnet")


class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


def build_custom_dense_model():
    inputs = keras.Input((4,))
    return keras.Model(inputs, CustomDense(10)(inputs))


class LoopedRNN(layers.Layer):
    """A recurrence written as a Python loop over time steps, then a dense head."""

    def __init__(self, units=8):
        super().__init__()
        self.units = units
        self.projection_1 = layers.Dense(units=units, activation="tanh")
        self.projection_2 = layers.Dense(units=units, activation="tanh")
        self.classifier = layers.Dense(1)

    def call(self, inputs):
        state = tf.zeros(shape=(inputs.shape[0], self.units))
        steps = []
        for t in range(inputs.shape[1]):
            state = self.projection_1(inputs[:, t, :]) + self.projection_2(state)
            steps.append(state)
        return self.classifier(tf.stack(steps, axis=1))


def build_looped_rnn_model(batch_size=4):
    inputs = keras.Input(batch_shape=(batch_size, 10, 5))
    return keras.Model(inputs, LoopedRNN()(layers.Conv1D(8, 3)(inputs)))


if __name__ == "__main__":
    model = build_mlp()
    assert model.inputs[0].shape == (None, 784) and model.inputs[0].dtype == "float32"
    model.summary()
    workdir = tempfile.mkdtemp()
    keras.utils.plot_model(model, os.path.join(workdir, "mlp.png"), show_shapes=True)

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train[:512].reshape(512, 784).astype("float32") / 255
    x_test = x_test[:128].reshape(128, 784).astype("float32") / 255
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
    model.fit(x_train, y_train[:512], batch_size=64, epochs=2, validation_split=0.2, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test[:128], verbose=0)
    path = os.path.join(workdir, "mlp.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0), rtol=1e-5)

    autoencoder, encoder, decoder = build_encoder_decoder()
    assert autoencoder.output_shape == (None, 28, 28, 1) and encoder.output_shape == (None, 16)
    assert build_ensemble()(np.ones((2, 128), "float32")).shape == (2, 1)

    tickets = build_ticket_model()
    tickets.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                    loss=[keras.losses.BinaryCrossentropy(from_logits=True),
                          keras.losses.CategoricalCrossentropy(from_logits=True)],
                    loss_weights=[1.0, 0.2])
    tickets.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                    loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                          "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                    loss_weights={"priority": 1.0, "department": 0.2})
    rng = np.random.default_rng(0)
    history = tickets.fit(
        {"title": rng.integers(500, size=(64, 10)), "body": rng.integers(500, size=(64, 20)),
         "tags": rng.integers(2, size=(64, 12)).astype("float32")},
        {"priority": rng.random((64, 1)), "department": rng.integers(2, size=(64, 4))},
        epochs=2, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][-1])

    resnet = build_toy_resnet()
    resnet.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                   loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["acc"])
    images = rng.random((40, 32, 32, 3)).astype("float32")
    labels = keras.utils.to_categorical(rng.integers(10, size=(40, 1)), 10)
    resnet.fit(images, labels, batch_size=16, epochs=1, validation_split=0.2, verbose=0)

    shared = layers.Embedding(100, 8)
    text_a = keras.Input(shape=(None,), dtype="int32")
    text_b = keras.Input(shape=(None,), dtype="int32")
    assert shared(text_a).shape == shared(text_b).shape == (None, None, 8)

    custom = build_custom_dense_model()
    rebuilt = keras.Model.from_config(custom.get_config(), custom_objects={"CustomDense": CustomDense})
    assert rebuilt.output_shape == (None, 10)

    looped = build_looped_rnn_model()
    assert looped.output_shape == (4, 8, 1), looped.output_shape
    assert LoopedRNN()(tf.zeros((1, 10, 5))).shape == (1, 10, 1)
    print("functional_api_guide: ok", round(float(accuracy), 3))
