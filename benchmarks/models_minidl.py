"""The workloads in minidl, written exactly as a lab would with minidl's Keras-style API:
``Sequential([...])``, ``compile(optimizer, loss)``, ``train_on_batch``, ``predict``, ``fit``.

A workload whose layers are not in minidl (yet) raises ImportError from ``build``; the worker
reports it as "unavailable" and goes on with the next one.
"""

import importlib
import pkgutil

import numpy as np
import workloads

NAME = "minidl"


def setup(backend_name=None):
    """Select the array backend (numpy by default, as the benchmark is about the CPU). Nothing
    else: the worker runs minidl as a lab script with only its imports changed would, glibc's
    allocator at its defaults (no ``minidl.runtime.keep_freed_memory()``; minidl reuses its own
    step arrays, ``minidl.runtime.step_buffers``)."""
    import minidl

    if backend_name:
        minidl.set_backend(backend_name)
    minidl.set_seed(0)


def versions():
    import minidl

    return {"minidl": minidl.__version__, "numpy": np.__version__, "minidl_backend": minidl.get_backend()}


def layer(name):
    """``minidl.layers.<name>``; a layer written but not yet exported from ``minidl.layers`` is
    found in its own module, so the benchmark can run while the package is being assembled."""
    import minidl.layers

    found = getattr(minidl.layers, name, None)
    if found is not None:
        return found
    for module_info in pkgutil.iter_modules(minidl.layers.__path__):
        try:
            module = importlib.import_module(f"minidl.layers.{module_info.name}")
        except ImportError:
            continue
        found = getattr(module, name, None)
        if isinstance(found, type):
            return found
    raise ImportError(f"cannot import name {name!r} from 'minidl.layers'")


def _sequential(layers):
    from minidl.models import Sequential

    return Sequential(layers)


def _optimizer(workload):
    if workload.model == "dcgan":
        from minidl.optimizers import Adam

        return Adam(learning_rate=0.0002, beta_1=0.5)
    return workload.optimizer


# -- models -----------------------------------------------------------------------------------
def _recurrent_stack(workload):
    units = workload.units
    if workload.cell == "lstm":
        return [layer("LSTM")(units)]
    if workload.cell == "gru":
        return [layer("GRU")(units)]
    if workload.cell == "rnn":
        return [layer("SimpleRNN")(units)]
    if workload.cell == "bilstm":
        return [layer("Bidirectional")(layer("LSTM")(units))]
    if workload.cell == "stacked_lstm":
        return [layer("LSTM")(units, return_sequences=True), layer("LSTM")(units)]
    raise ValueError(f"workload {workload.name}: unknown recurrent cell {workload.cell!r}")


def build_model(workload):
    """The compiled Sequential model of a train/predict workload."""
    dense = layer("Dense")
    if workload.model == "rnn_classifier":
        model = _sequential([
            layer("Embedding")(workload.vocab, workload.embed_dim, input_shape=(workload.seq,)),
            *_recurrent_stack(workload),
            dense(1, activation="sigmoid"),
        ])
    elif workload.model == "cnn":
        conv2d = layer("Conv2D")
        model = _sequential([
            conv2d(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
            conv2d(64, (3, 3), activation="relu"),
            layer("MaxPooling2D")(pool_size=(2, 2)),
            layer("Flatten")(),
            dense(128, activation="relu"),
            dense(10, activation="softmax"),
        ])
    elif workload.model == "cifar_cnn":
        conv2d, max_pooling = layer("Conv2D"), layer("MaxPooling2D")
        model = _sequential([
            conv2d(64, 3, activation="relu", input_shape=(32, 32, 3)),
            max_pooling(),
            conv2d(128, 3, activation="relu"),
            max_pooling(),
            layer("Flatten")(),
            dense(128, activation="relu"),
            dense(10, activation="softmax"),
        ])
    elif workload.model == "dense_multihot":
        dropout = layer("Dropout")
        model = _sequential([
            dense(50, activation="relu", input_shape=(workload.vocab,)),
            dropout(0.3),
            dense(50, activation="relu"),
            dropout(0.2),
            dense(50, activation="relu"),
            dense(1, activation="sigmoid"),
        ])
    else:
        raise ValueError(f"workload {workload.name}: no minidl model for {workload.model!r}")
    model.compile(optimizer=_optimizer(workload), loss=workload.loss)
    return model


def _dcgan_models(workload):
    dense, activation, batch_norm = layer("Dense"), layer("Activation"), layer("BatchNormalization")
    conv2d, conv2d_transpose, leaky_relu = layer("Conv2D"), layer("Conv2DTranspose"), layer("LeakyReLU")
    generator = _sequential([
        dense(512, input_shape=(100,)), activation("relu"), batch_norm(),
        dense(7 * 7 * 64), activation("relu"), batch_norm(),
        layer("Reshape")((7, 7, 64)),
        conv2d_transpose(32, (5, 5), strides=(2, 2), padding="same"), activation("relu"), batch_norm(),
        conv2d_transpose(1, (5, 5), strides=(2, 2), padding="same"), activation("tanh"),
    ])
    discriminator = _sequential([
        conv2d(32, (5, 5), strides=(2, 2), padding="same", input_shape=(28, 28, 1)), leaky_relu(0.2),
        conv2d(64, (5, 5), strides=(2, 2), padding="same"), leaky_relu(0.2),
        layer("Flatten")(),
        dense(512), leaky_relu(0.2),
        dense(1, activation="sigmoid"),
    ])
    discriminator.compile(optimizer=_optimizer(workload), loss="binary_crossentropy")
    discriminator.trainable = False  # the lab's ganModel(): frozen inside the combined model
    gan = _sequential([generator, discriminator])
    gan.compile(optimizer=_optimizer(workload), loss="binary_crossentropy")
    return generator, discriminator, gan


# -- timed steps ------------------------------------------------------------------------------
def build_step(workload):
    """A zero-argument callable doing one timed unit of work (see ``workloads`` for the kinds)."""
    if workload.kind == "word2vec":
        return _word2vec_step(workload)
    if workload.kind == "gan":
        return _gan_step(workload)
    model = build_model(workload)
    if workload.kind == "predict":
        x, _ = workloads.training_data(workload, workload.predict_samples)
        return lambda: model.predict(x, batch_size=workload.batch, verbose=0)
    x, y = workloads.training_data(workload, workload.batch)
    return lambda: model.train_on_batch(x, y)


def build_epoch(workload, samples):
    """One ``fit`` epoch over ``samples`` synthetic samples (for the dataset-size sweep)."""
    model = build_model(workload)
    x, y = workloads.training_data(workload, samples)
    return lambda: model.fit(x, y, batch_size=workload.batch, epochs=1, verbose=0, shuffle=True)


def _gan_step(workload):
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


def _word2vec_step(workload):
    from minidl.text import Word2Vec

    sentences = workloads.zipf_corpus(workload.corpus_tokens, workload.vocab)
    model = Word2Vec(vector_size=100, window=5, negative=5, sg=0, seed=1)
    model.build_vocab(sentences)
    return lambda: model.train(sentences, epochs=1)
