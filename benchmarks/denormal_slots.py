"""A small lab model trained for many epochs: where optimizer slots stuck in the denormal range
slow training down, in minidl with and without flushing them (``minidl.runtime.denormals``), in
Keras (TensorFlow flushes in its kernels) and in PyTorch (which does not by default;
``torch.set_flush_denormal(True)`` turns it on).

    python benchmarks/denormal_slots.py --epochs 10 --out benchmarks/results_denormal_slots.json

The model is DLW Ex 2.07's MNIST MLP (Flatten -> Dense50 relu -> Dense20 relu -> Dense10
softmax; Adam, sparse categorical cross-entropy, batch 32) on the real MNIST training images
scaled to [0, 1] (``MINIDL_DATA_DIR``). Each configuration is a fresh process, without
OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE; it reports every epoch's seconds and, at the end, how many
of its optimizer's slot values are denormal. With ``--unscaled`` the images stay 0-255 (as
LM-2's quirk leaves them), which kills more ReLU units.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
CONFIGURATIONS = ["minidl", "minidl-no-flush", "keras", "torch", "torch-flush"]


def _mnist(unscaled, samples):
    from minidl.datasets import mnist

    (x, y), _ = mnist.load_data()
    x, y = x[:samples].astype(np.float32), y[:samples].astype(np.int64)
    return (x if unscaled else x / 255), y


def _denormal_count(arrays):
    tiny = np.finfo(np.float32).tiny
    return int(sum(np.sum((a != 0) & (np.abs(a) < tiny)) for a in arrays))


def train_keras_api(x, y, epochs, keras_module):
    layers = keras_module.layers
    model = keras_module.Sequential([
        layers.Input((28, 28)), layers.Flatten(), layers.Dense(50, activation="relu"),
        layers.Dense(20, activation="relu"), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        seconds.append(time.perf_counter() - start)
    if keras_module.__name__.startswith("minidl"):
        slots = [s for _, named in model.optimizer._slots.values() for s in named.values()]
    else:  # Keras 3
        slots = [np.asarray(v) for v in model.optimizer.variables if len(v.shape) > 0]
    return seconds, _denormal_count(slots)


def train_torch(x, y, epochs, flush):
    import torch

    torch.set_flush_denormal(flush)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 50), torch.nn.ReLU(),
                                torch.nn.Linear(50, 20), torch.nn.ReLU(), torch.nn.Linear(20, 10))
    optimizer = torch.optim.Adam(model.parameters(), eps=1e-7)
    loss_function = torch.nn.CrossEntropyLoss()
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(inputs))
        for first in range(0, len(inputs), 32):
            batch = order[first:first + 32]
            optimizer.zero_grad()
            loss_function(model(inputs[batch]), labels[batch]).backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    slots = [value.numpy() for state in optimizer.state.values() for value in state.values() if value.ndim > 0]
    return seconds, _denormal_count(slots)


def measure(configuration, epochs, unscaled, samples):
    x, y = _mnist(unscaled, samples)
    if configuration.startswith("minidl"):
        import minidl

        minidl.set_seed(0)
        return train_keras_api(x, y, epochs, minidl.keras)
    if configuration == "keras":
        import keras

        keras.utils.set_random_seed(0)
        return train_keras_api(x, y, epochs, keras)
    return train_torch(x, y, epochs, flush=configuration == "torch-flush")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--configurations", default=",".join(CONFIGURATIONS))
    parser.add_argument("--unscaled", action="store_true")
    parser.add_argument("--samples", type=int, default=60_000, help="the first this many training images")
    parser.add_argument("--out")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        seconds, denormal = measure(args.worker, args.epochs, args.unscaled, args.samples)
        print(json.dumps({"configuration": args.worker, "epoch_seconds": seconds, "denormal_slot_values": denormal}))
        return
    env = {key: value for key, value in os.environ.items() if key not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    results = []
    for configuration in args.configurations.split(","):
        child_env = dict(env, MINIDL_FLUSH_DENORMALS="0" if configuration == "minidl-no-flush" else "1",
                         TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, __file__, "--worker", configuration, "--epochs", str(args.epochs),
                   "--samples", str(args.samples)]
        output = subprocess.run(command + (["--unscaled"] if args.unscaled else []), env=child_env, check=True,
                                capture_output=True, text=True).stdout
        record = json.loads(output.strip().splitlines()[-1])
        results.append(record)
        seconds = record["epoch_seconds"]
        print(f"{configuration:16s} epochs 1-{len(seconds)}: " + " ".join(f"{s:.2f}" for s in seconds)
              + f" s; last 3 median {sorted(seconds[-3:])[1] if len(seconds) >= 3 else seconds[-1]:.2f} s;"
              f" denormal slot values {record['denormal_slot_values']}", flush=True)
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps({"epochs": args.epochs, "unscaled": args.unscaled,
                                                      "results": results}, indent=1))


if __name__ == "__main__":
    main()
