"""Page faults and time per training step, minidl's step buffers off and on, on lab-shaped models.

    python benchmarks/page_faults.py                       # every model, off and on in turn
    python benchmarks/page_faults.py --models lstm_dropout,cnn_bn --steps 20

A training step that allocates its large arrays afresh has them faulted in again by the kernel
every step (glibc hands the freed top of its heap back between steps); ``minidl.runtime
.step_buffers`` hands them out again instead. Each (model, setting) runs in its own process,
as a plain lab script would: no ``keep_freed_memory()``, ``MINIDL_REUSE_STEP_BUFFERS`` set to 0
or 1. After three warm-up steps the script reports the median ms per ``train_on_batch`` and
the minor page faults (``ru_minflt``) per step. These are models beside the harness's
workloads -- dropout masks, strided and average-pooled convolutions, batch norm, Conv1D, an
autoencoder, stacked GRUs -- to see that the reuse covers the class, not only the benchmarked
shapes.
"""

import argparse
import json
import os
import subprocess
import sys

MODELS = {
    "mlp": "Dense 784-512-512-10 with dropout, batch 256",
    "conv1d": "Embedding 5000x64, Conv1D 128x5, global max pool, batch 128 x 200 ids",
    "autoencoder": "Conv2D 32 / max pool / Conv2D 16 / upsampling / Conv2D 1 on 28x28x1, batch 128",
    "cnn_bn": "strided Conv2D 32, batch norm, average pool, Conv2D 64 + ReLU layer on 32x32x3, SGD",
    "lstm_dropout": "Embedding 10000x32, LSTM 32 with dropout and recurrent_dropout 0.2, batch 128 x 200",
    "gru_dropout": "the same with a GRU",
    "rnn_dropout": "the same with a SimpleRNN",
    "stacked_gru": "GRU 64 (sequences) -> GRU 64 -> Dense 1 on 120 steps of 14 features, batch 128",
}


def build(name, rng):
    """(model, x, y) of one of ``MODELS``, compiled."""
    import numpy as np

    from minidl import layers as L
    from minidl.models import Sequential

    def ids(vocab):
        return rng.integers(0, vocab, (128, 200))

    def labels(classes, count=128):
        return rng.integers(0, classes, count)

    binary = rng.integers(0, 2, (128, 1)).astype(np.float32)
    if name == "mlp":
        layers = [L.Dense(512, activation="relu", input_shape=(784,)), L.Dropout(0.2),
                  L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")]
        data, loss, optimizer = (rng.normal(size=(256, 784)).astype(np.float32), labels(10, 256)), \
            "sparse_categorical_crossentropy", "adam"
    elif name == "conv1d":
        layers = [L.Embedding(5000, 64, input_length=200), L.Conv1D(128, 5, activation="relu"),
                  L.GlobalMaxPooling1D(), L.Dense(1, activation="sigmoid")]
        data, loss, optimizer = (ids(5000), binary), "binary_crossentropy", "adam"
    elif name == "autoencoder":
        images = rng.random((128, 28, 28, 1)).astype(np.float32)
        layers = [L.Conv2D(32, 3, activation="relu", padding="same", input_shape=(28, 28, 1)), L.MaxPooling2D(2),
                  L.Conv2D(16, 3, activation="relu", padding="same"), L.UpSampling2D(2),
                  L.Conv2D(1, 3, activation="sigmoid", padding="same")]
        data, loss, optimizer = (images, images), "binary_crossentropy", "adam"
    elif name == "cnn_bn":
        layers = [L.Conv2D(32, 3, strides=2, activation="relu", input_shape=(32, 32, 3)), L.BatchNormalization(),
                  L.AveragePooling2D(2), L.Conv2D(64, 3, padding="same"), L.Activation("relu"), L.Flatten(),
                  L.Dense(10, activation="softmax")]
        data, loss, optimizer = (rng.random((128, 32, 32, 3)).astype(np.float32), labels(10)), \
            "sparse_categorical_crossentropy", "sgd"
    elif name in ("lstm_dropout", "gru_dropout", "rnn_dropout"):
        cell = {"lstm_dropout": L.LSTM, "gru_dropout": L.GRU, "rnn_dropout": L.SimpleRNN}[name]
        layers = [L.Embedding(10000, 32, input_length=200), cell(32, dropout=0.2, recurrent_dropout=0.2),
                  L.Dense(1, activation="sigmoid")]
        data, loss, optimizer = (ids(10000), binary), "binary_crossentropy", "rmsprop"
    elif name == "stacked_gru":
        layers = [L.GRU(64, return_sequences=True, input_shape=(120, 14)), L.GRU(64), L.Dense(1)]
        data, loss, optimizer = (rng.normal(size=(128, 120, 14)).astype(np.float32),
                                 rng.normal(size=(128, 1)).astype(np.float32)), "mse", "adam"
    else:
        raise ValueError(f"page_faults: unknown model {name!r}; known: {', '.join(MODELS)}")
    model = Sequential(layers)
    model.compile(optimizer, loss)
    return model, *data


def measure(name, steps):
    """Median ms per training step and minor page faults per step, in this process."""
    import resource
    import statistics
    import time

    import numpy as np

    import minidl

    minidl.set_seed(0)
    model, x, y = build(name, np.random.default_rng(0))
    for _ in range(3):
        model.train_on_batch(x, y)
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    seconds = []
    for _ in range(steps):
        started = time.perf_counter()
        model.train_on_batch(x, y)
        seconds.append(time.perf_counter() - started)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before
    return {"ms_per_step": 1e3 * statistics.median(seconds), "faults_per_step": faults / steps}


def run_in_process(name, steps, reuse):
    """``measure`` in a fresh interpreter with the step buffers on (``reuse``) or off."""
    env = dict(os.environ, MINIDL_REUSE_STEP_BUFFERS="1" if reuse else "0")
    env.pop("MINIDL_KEEP_FREED_MEMORY", None)
    program = f"import json, page_faults; print(json.dumps(page_faults.measure({name!r}, {steps})))"
    result = subprocess.run([sys.executable, "-c", program], env=env, cwd=os.path.dirname(os.path.abspath(__file__)),
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of: " + ", ".join(MODELS))
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per process")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODELS]
    if unknown or args.steps < 1:
        parser.error(f"unknown models {unknown} (known: {', '.join(MODELS)})" if unknown else "--steps must be >= 1")
    print("| model | step buffers off: ms, faults per step | on: ms, faults per step |")
    print("|---|---|---|")
    for name in names:
        off, on = run_in_process(name, args.steps, False), run_in_process(name, args.steps, True)
        print(f"| {name} ({MODELS[name]}) | {off['ms_per_step']:.1f} ms, {off['faults_per_step']:,.0f} "
              f"| {on['ms_per_step']:.1f} ms, {on['faults_per_step']:,.1f} |", flush=True)


if __name__ == "__main__":
    main()
