"""The LM-3 CNN training step on a GPU: minidl on CuPy against PyTorch on CUDA, same run.

    python benchmarks/gpu_cnn.py [--json out.json] [--quick]

Model (the "Performance" issue's CNN workload): Conv2D(32, 3x3, relu) -> Conv2D(64, 3x3, relu)
-> MaxPooling2D(2) -> Flatten -> Dense(128, relu) -> Dense(10, softmax), 28x28x1 inputs,
batch 128, Adam, categorical cross-entropy; one ``train_on_batch`` (host batch in, host loss
out) against PyTorch's zero_grad / forward / backward / step with the loss read back. Samples
per second are medians of timed repeats after warm-up, the device synchronised around each.
PyTorch runs with its defaults (cuDNN, TF32 convolutions allowed).
"""

import argparse
import json

import numpy as np
from gpu_rnn import _median_rate

BATCH = 128


def minidl_cnn_step():
    from minidl.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from minidl.models import Sequential
    from minidl.preprocessing.utils import to_categorical

    rng = np.random.default_rng(0)
    model = Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)), Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)), Flatten(), Dense(128, activation="relu"), Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = rng.random((BATCH, 28, 28, 1), dtype=np.float32)
    y = to_categorical(rng.integers(0, 10, BATCH), 10)
    return lambda: model.train_on_batch(x, y)


def torch_cnn_step():
    import torch
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10),
    ).cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.random((BATCH, 1, 28, 28), dtype=np.float32))
    y = torch.as_tensor(rng.integers(0, 10, BATCH))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x.cuda()), y.cuda())
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args()
    warmup, repeats, seconds = (2, 3, 0.3) if args.quick else (5, 7, 1.0)

    import minidl

    minidl.runtime.keep_freed_memory()  # as a training script does (and as these numbers always had)
    minidl.set_backend("cupy")
    minidl.set_seed(0)
    cupy = minidl.backend.get_xp()
    import torch

    results = {"device": cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(), "cupy": cupy.__version__,
               "torch": torch.__version__, "cudnn": torch.backends.cudnn.version()}
    results["minidl_samples_per_s"] = _median_rate(minidl_cnn_step(), cupy.cuda.Device().synchronize, BATCH,
                                                   warmup, repeats, seconds)
    results["torch_samples_per_s"] = _median_rate(torch_cnn_step(), torch.cuda.synchronize, BATCH,
                                                  warmup, repeats, seconds)
    results["ratio"] = results["minidl_samples_per_s"] / results["torch_samples_per_s"]
    print(f"LM-3 CNN train step on {results['device']} (CuPy {results['cupy']}, torch {results['torch']}, "
          f"cuDNN {results['cudnn']}): minidl {results['minidl_samples_per_s']:.0f}, "
          f"PyTorch {results['torch_samples_per_s']:.0f} samples/s, ratio {results['ratio']:.2f}", flush=True)
    if args.json:
        from minidl.fileio import atomic_write_text

        atomic_write_text(args.json, json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
