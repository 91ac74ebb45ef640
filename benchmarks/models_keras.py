"""The workloads in Keras (Keras 3 on the TensorFlow backend, or tf.keras 2), written as the
labs wrote them: ``Sequential``, ``compile``, ``train_on_batch`` (a compiled TF function after
the first call), ``predict``, ``fit``. TensorFlow is told to use every core.
"""

import os

import numpy as np
import workloads

NAME = "keras"


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
    except ImportError:
        from tensorflow import keras
    return keras


def setup(backend_name=None):
    keras = _keras()
    import tensorflow as tf

    cores = os.cpu_count()
    tf.config.threading.set_intra_op_parallelism_threads(cores)
    tf.config.threading.set_inter_op_parallelism_threads(cores)
    keras.utils.set_random_seed(0)


def versions():
    keras = _keras()
    import tensorflow as tf

    return {"keras": keras.__version__, "tensorflow": tf.__version__}


def _optimizer(workload):
    keras = _keras()
    if workload.model == "dcgan":
        return keras.optimizers.Adam(learning_rate=0.0002, beta_1=0.5)
    return workload.optimizer


def _recurrent_stack(workload):
    layers = _keras().layers
    units = workload.units
    if workload.cell == "lstm":
        return [layers.LSTM(units)]
    if workload.cell == "gru":
        return [layers.GRU(units)]
    if workload.cell == "rnn":
        return [layers.SimpleRNN(units)]
    if workload.cell == "bilstm":
        return [layers.Bidirectional(layers.LSTM(units))]
    if workload.cell == "stacked_lstm":
        return [layers.LSTM(units, return_sequences=True), layers.LSTM(units)]
    raise ValueError(f"workload {workload.name}: unknown recurrent cell {workload.cell!r}")


def build_model(workload):
    keras = _keras()
    layers = keras.layers
    if workload.model == "rnn_classifier":
        stack = [
            keras.Input(shape=(workload.seq,), dtype="int32"),
            layers.Embedding(workload.vocab, workload.embed_dim),
            *_recurrent_stack(workload),
            layers.Dense(1, activation="sigmoid"),
        ]
    elif workload.model == "cnn":
        stack = [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    elif workload.model == "cifar_cnn":
        stack = [
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(128, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    elif workload.model == "dense_multihot":
        stack = [
            keras.Input(shape=(workload.vocab,)),
            layers.Dense(50, activation="relu"), layers.Dropout(0.3),
            layers.Dense(50, activation="relu"), layers.Dropout(0.2),
            layers.Dense(50, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    else:
        raise ValueError(f"workload {workload.name}: no Keras model for {workload.model!r}")
    model = keras.Sequential(stack)
    model.compile(optimizer=_optimizer(workload), loss=workload.loss)
    return model


def _keras_data(workload, x):
    return x.astype(np.int32) if workload.model == "rnn_classifier" else x


# -- timed steps ------------------------------------------------------------------------------
def build_step(workload):
    if workload.kind == "word2vec":
        raise NotImplementedError("Keras has no built-in word2vec")
    if workload.kind == "gan":
        return _gan_step(workload)
    model = build_model(workload)
    if workload.kind == "predict":
        x, _ = workloads.training_data(workload, workload.predict_samples)
        x = _keras_data(workload, x)
        return lambda: model.predict(x, batch_size=workload.batch, verbose=0)
    x, y = workloads.training_data(workload, workload.batch)
    x = _keras_data(workload, x)
    return lambda: model.train_on_batch(x, y)


def build_epoch(workload, samples):
    model = build_model(workload)
    x, y = workloads.training_data(workload, samples)
    x = _keras_data(workload, x)
    return lambda: model.fit(x, y, batch_size=workload.batch, epochs=1, verbose=0, shuffle=True)


def _dcgan_models(workload):
    keras = _keras()
    layers = keras.layers
    generator = keras.Sequential([
        keras.Input(shape=(100,)),
        layers.Dense(512), layers.Activation("relu"), layers.BatchNormalization(),
        layers.Dense(7 * 7 * 64), layers.Activation("relu"), layers.BatchNormalization(),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(32, (5, 5), strides=(2, 2), padding="same"), layers.Activation("relu"),
        layers.BatchNormalization(),
        layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same"), layers.Activation("tanh"),
    ])
    discriminator = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (5, 5), strides=(2, 2), padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"), layers.LeakyReLU(0.2),
        layers.Flatten(),
        layers.Dense(512), layers.LeakyReLU(0.2),
        layers.Dense(1, activation="sigmoid"),
    ])
    discriminator.compile(optimizer=_optimizer(workload), loss="binary_crossentropy")
    discriminator.trainable = False
    gan = keras.Sequential([generator, discriminator])
    gan.compile(optimizer=_optimizer(workload), loss="binary_crossentropy")
    return generator, discriminator, gan


def _gan_step(workload):
    """The lab's loop body; the discriminator's trainable flag is set before each of its two
    uses so that either Keras generation (flag read at compile or at trace time) trains the
    discriminator alone in its step and the generator alone in the GAN step."""
    generator, discriminator, gan = _dcgan_models(workload)
    batch = workload.batch
    rng = np.random.default_rng(0)
    real, _ = workloads.training_data(workload, batch)
    noise_for_fakes = workloads.gan_noise(batch, rng)
    noise_for_generator = workloads.gan_noise(batch, rng)
    labels = np.concatenate([np.ones((batch, 1)), np.zeros((batch, 1))]).astype(np.float32)
    fooled = np.ones((batch, 1), np.float32)

    def step():
        fake = generator.predict_on_batch(noise_for_fakes)
        discriminator.trainable = True
        discriminator.train_on_batch(np.concatenate([real, np.asarray(fake)]), labels)
        discriminator.trainable = False
        gan.train_on_batch(noise_for_generator, fooled)

    return step
