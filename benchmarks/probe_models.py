"""A wider probe than the harness: lab-shaped models the harness does not time, written once
against a Keras-shaped module and run on minidl (``minidl.keras``) and on Keras 3 (TensorFlow).

The harness (``run.py``) times the twelve workloads of issue #19 against PyTorch and Keras. A
user's own model meets other layers and shapes: 'same' padding, Conv1D, UpSampling2D, batch
normalization inside a CNN, recurrent dropout, a tiny time-series model at batch 32. This script
builds such models from the labs (``../shared/LABS.md``) with the *same* model code for both
frameworks -- only the ``keras`` module differs, as in a lab that changed its imports -- and
times ``train_on_batch`` on synthetic data of the labs' shapes. Each (framework, model) runs in
its own process (no shared threads or caches); rounds alternate the frameworks.

    python benchmarks/probe_models.py                         # every model, both frameworks
    python benchmarks/probe_models.py --models text_cnn,afr3_lstm --rounds 3

Unset ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` in the command (see RESULTS.md). PyTorch is not
a peer here: it would need every model written twice.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

FRAMEWORKS = ("minidl", "keras")


# -- the models, written once against a Keras-shaped module ``k`` ------------------------------

def fashion_cnn(k):
    """GB-3B: Fashion-MNIST CNN, adam, sparse CCE, batch 32."""
    L = k.layers
    model = k.Sequential([
        k.Input((28, 28, 1)),
        L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)), L.Dropout(0.25),
        L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)), L.Dropout(0.25),
        L.Conv2D(128, (3, 3), activation="relu"),
        L.Flatten(), L.Dense(128, activation="relu"), L.Dropout(0.25), L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model, 32, ("image", (28, 28, 1)), ("class", 10)


def _two_convolution_cnn(k, second_filters, batch):
    """Conv64 -> MaxPool -> Conv(second_filters) -> MaxPool -> Dense128 -> Dense10, Adam."""
    L = k.layers
    model = k.Sequential([
        k.Input((28, 28, 1)),
        L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
        L.Conv2D(second_filters, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
        L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model, batch, ("image", (28, 28, 1)), ("class", 10)


def book_cnn(k):
    """DLW Ex 3.02: Conv64 -> MaxPool -> Conv64 -> MaxPool -> Dense128 -> Dense10, Adam, batch 32."""
    return _two_convolution_cnn(k, 64, 32)


def augmented_cnn(k):
    """DLW Act 3.01's Conv64 -> Conv128 model on augmented Fashion-MNIST, batch 16."""
    return _two_convolution_cnn(k, 128, 16)


def same_padding_bn_cnn(k):
    """A CIFAR-10 VGG block pair with 'same' padding and batch normalization, batch 64."""
    L = k.layers
    model = k.Sequential([
        k.Input((32, 32, 3)),
        L.Conv2D(32, 3, padding="same", activation="relu"), L.BatchNormalization(),
        L.Conv2D(32, 3, padding="same", activation="relu"), L.BatchNormalization(),
        L.MaxPooling2D(), L.Dropout(0.2),
        L.Conv2D(64, 3, padding="same", activation="relu"), L.BatchNormalization(),
        L.Conv2D(64, 3, padding="same", activation="relu"), L.BatchNormalization(),
        L.MaxPooling2D(), L.Dropout(0.3),
        L.Flatten(), L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model, 64, ("image", (32, 32, 3)), ("class", 10)


def conv_autoencoder(k):
    """LM-4 ``--conv``: the classic convolutional autoencoder ('same' convs, pooling, UpSampling2D), batch 128."""
    L = k.layers
    model = k.Sequential([
        k.Input((28, 28, 1)),
        L.Conv2D(32, 3, padding="same", activation="relu"), L.MaxPooling2D(2, padding="same"),
        L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(2, padding="same"),
        L.Conv2D(16, 3, padding="same", activation="relu"), L.UpSampling2D(2),
        L.Conv2D(32, 3, padding="same", activation="relu"), L.UpSampling2D(2),
        L.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model, 128, ("image", (28, 28, 1)), ("same_as_input", None)


def dense_autoencoder(k):
    """LM-4: the dense autoencoder with LeakyReLU(0.3) and Dropout(0.5), nadam, BCE, batch 32."""
    L = k.layers
    hidden = []
    for units in (512, 256, 128, 64):
        hidden += [L.Dense(units), L.LeakyReLU(0.3), L.Dropout(0.5)]
    mirror = []
    for units in (64, 128, 256, 512):
        mirror += [L.Dense(units), L.LeakyReLU(0.3), L.Dropout(0.5)]
    model = k.Sequential([
        k.Input((28, 28)), L.Flatten(), *hidden, L.Dense(32), L.LeakyReLU(0.3),
        *mirror, L.Dense(784, activation="sigmoid"), L.Reshape((28, 28)),
    ])
    model.compile(optimizer="nadam", loss="binary_crossentropy")
    return model, 32, ("image", (28, 28)), ("same_as_input", None)


def mnist_mlp(k):
    """The MNIST MLP: Dense512 relu, Dropout .2, Dense512 relu, Dropout .2, Dense10, RMSprop, batch 128."""
    L = k.layers
    model = k.Sequential([
        k.Input((784,)),
        L.Dense(512, activation="relu"), L.Dropout(0.2),
        L.Dense(512, activation="relu"), L.Dropout(0.2),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return model, 128, ("image", (784,)), ("onehot", 10)


def text_cnn(k):
    """A Conv1D text classifier on IMDB-shaped sequences: Embedding -> Conv1D -> GlobalMaxPooling1D, batch 128."""
    L = k.layers
    model = k.Sequential([
        k.Input((200,), dtype="int32"),
        L.Embedding(10000, 64), L.Dropout(0.2),
        L.Conv1D(64, 5, activation="relu"), L.GlobalMaxPooling1D(),
        L.Dense(64, activation="relu"), L.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model, 128, ("tokens", (200, 10000)), ("binary", None)


def afr3_lstm(k):
    """AFR-3: Embedding -> BatchNorm -> Dropout -> 3x LSTM50 with dropout and recurrent_dropout .4
    and an L2 kernel penalty -> Dropout -> BatchNorm -> Dense1, batch 64, 100 steps."""
    L = k.layers
    regularizer = k.regularizers.l2(0.01)

    def lstm(return_sequences):
        return L.LSTM(50, dropout=0.4, recurrent_dropout=0.4, kernel_regularizer=regularizer,
                      return_sequences=return_sequences)

    model = k.Sequential([
        k.Input((100,), dtype="int32"),
        L.Embedding(5000, 32), L.BatchNormalization(), L.Dropout(0.4),
        lstm(True), lstm(True), lstm(False),
        L.Dropout(0.4), L.BatchNormalization(), L.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model, 64, ("tokens", (100, 5000)), ("binary", None)


def stock_conv_rnn(k):
    """DLW Ex 5.05: Conv1D(5, 3) -> SimpleRNN(32) -> Dense1 on 60-day windows, MSE, batch 32."""
    L = k.layers
    model = k.Sequential([
        k.Input((60, 1)), L.Conv1D(5, 3), L.SimpleRNN(32), L.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model, 32, ("series", (60, 1)), ("real", 1)


def gru_sequence(k):
    """A sequence-to-sequence GRU: GRU(64, return_sequences) -> TimeDistributed(Dense1), MSE, batch 32."""
    L = k.layers
    model = k.Sequential([
        k.Input((50, 4)), L.GRU(64, return_sequences=True), L.TimeDistributed(L.Dense(1)),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model, 32, ("series", (50, 4)), ("real_sequence", (50, 1))


MODELS = {builder.__name__: builder for builder in (
    fashion_cnn, book_cnn, augmented_cnn, same_padding_bn_cnn, conv_autoencoder, dense_autoencoder,
    mnist_mlp, text_cnn, afr3_lstm, stock_conv_rnn, gru_sequence,
)}


# -- one model in one process ------------------------------------------------------------------

def synthetic_batch(batch, inputs, targets, seed=0):
    """Inputs and targets of the model's shapes and kinds (the same arrays for both frameworks)."""
    rng = np.random.default_rng(seed)
    kind, shape = inputs
    if kind == "tokens":
        steps, vocab = shape
        x = rng.integers(1, vocab, size=(batch, steps)).astype(np.int32)
    elif kind == "image":
        x = rng.random((batch, *shape), dtype=np.float32)
    else:
        x = rng.standard_normal((batch, *shape)).astype(np.float32)
    kind, size = targets
    if kind == "class":
        y = rng.integers(0, size, size=(batch,)).astype(np.int32)
    elif kind == "onehot":
        y = np.eye(size, dtype=np.float32)[rng.integers(0, size, size=batch)]
    elif kind == "binary":
        y = rng.integers(0, 2, size=(batch, 1)).astype(np.float32)
    elif kind == "same_as_input":
        y = x
    elif kind == "real_sequence":
        y = rng.standard_normal((batch, *size)).astype(np.float32)
    else:
        y = rng.standard_normal((batch, size)).astype(np.float32)
    return x, y


def framework_module(framework):
    """``minidl.keras`` or Keras 3 (TensorFlow's thread pools on every core), seeded with 0."""
    if framework == "minidl":
        import minidl
        import minidl.keras as keras

        minidl.set_seed(0)
        return keras
    import keras
    import tensorflow as tf

    cores = os.cpu_count()
    tf.config.threading.set_intra_op_parallelism_threads(cores)
    tf.config.threading.set_inter_op_parallelism_threads(cores)
    keras.utils.set_random_seed(0)
    return keras


def time_model(framework, name, seconds):
    """Median seconds per ``train_on_batch`` of model ``name`` (warm-up: 3 steps untimed)."""
    keras = framework_module(framework)
    model, batch, inputs, targets = MODELS[name](keras)
    x, y = synthetic_batch(batch, inputs, targets)
    median, steps = median_seconds(lambda: model.train_on_batch(x, y), seconds)
    return {"framework": framework, "model": name, "batch": batch, "seconds_per_step": median, "steps": steps}


def median_seconds(function, seconds):
    """(median seconds of ``function()``, how many calls were timed): three untimed calls first,
    then calls for about ``seconds``, and at least five."""
    for _ in range(3):
        function()
    times = []
    finish = time.perf_counter() + seconds
    while time.perf_counter() < finish or len(times) < 5:
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(times)


# -- the parent: every model in a fresh process per framework, rounds alternating ---------------

def run_in_process(framework, name, seconds):
    command = [sys.executable, __file__, "--worker", framework, name, "--seconds", str(seconds)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        return {"framework": framework, "model": name, "error": completed.stderr.strip().splitlines()[-1:]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated names (default: all)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; each runs every framework once per model")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per process")
    parser.add_argument("--out", help="write the raw results as JSON here")
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "MODEL"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        print(json.dumps(time_model(*options.worker, options.seconds)))
        return
    names = options.models.split(",")
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {sorted(MODELS)}")
    results = []
    for round_index in range(options.rounds):
        order = FRAMEWORKS if round_index % 2 == 0 else FRAMEWORKS[::-1]
        for name in names:
            for framework in order:
                results.append(run_in_process(framework, name, options.seconds))
                print(json.dumps(results[-1]), file=sys.stderr)
    print(report(results, names))
    if options.out:
        with open(options.out, "w") as handle:
            json.dump(results, handle, indent=1)


def report(results, names):
    lines = ["| model | batch | minidl samples/s | keras samples/s | minidl/keras |", "|---|---|---|---|---|"]
    for name in names:
        rates, batch = {}, None
        for framework in FRAMEWORKS:
            timed = [r for r in results if r["model"] == name and r["framework"] == framework and "error" not in r]
            if timed:  # a framework without a timed run (its process failed) reads "failed"
                batch = timed[0]["batch"]
                rates[framework] = statistics.median(batch / r["seconds_per_step"] for r in timed)
        cells = [f"{rates[f]:,.0f}" if rates.get(f) else "failed" for f in FRAMEWORKS]
        ratio = f"{rates['minidl'] / rates['keras']:.2f}" if rates.get("minidl") and rates.get("keras") else "-"
        lines.append(f"| {name} | {batch} | {cells[0]} | {cells[1]} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
