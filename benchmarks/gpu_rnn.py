"""Recurrent layers on the GPU: minidl (CuPy) with and without its whole-sequence CUDA kernels,
against PyTorch's cuDNN layers, in the same process on the same GPU.

Measures forward+backward samples/s of one recurrent layer (gradients of the input and of
every weight, as inside a model) on the issue's shapes, and training samples/s of the DLW 6
LSTM workload (Embedding(8000,32) -> LSTM(32) -> Dense(1) sigmoid, seq 200, batch 128,
RMSprop, binary cross-entropy, ``train_on_batch``). "before" is minidl's generic per-step path
(``minidl.ops.fast.rnn_cuda.ENABLED = False``), "after" the fused kernels. Each figure is the median
of several timed repeats after warm-up, with the device synchronised around every repeat.

    PYTHONPATH=. python benchmarks/gpu_rnn.py [--json results.json] [--quick] [--breakdown]
"""

import argparse
import json
import statistics
import time

import numpy as np

LAYER_CASES = [  # (name, cell, units, batch, seq, features)
    ("LSTM(32)", "lstm", 32, 128, 200, 32),
    ("GRU(32)", "gru", 32, 128, 200, 32),
    ("SimpleRNN(32)", "rnn", 32, 128, 200, 32),
    ("LSTM(100) LM-6", "lstm", 100, 64, 500, 32),
]


def _median_rate(step, synchronize, samples, warmup, repeats, min_seconds):
    """Samples/s of ``step``: median over ``repeats`` timed runs of enough calls to last ``min_seconds``."""
    for _ in range(warmup):
        step()
    synchronize()
    start = time.perf_counter()
    step()
    synchronize()
    calls = max(1, int(min_seconds / max(time.perf_counter() - start, 1e-6)))
    rates = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        for _ in range(calls):
            step()
        synchronize()
        rates.append(samples * calls / (time.perf_counter() - start))
    return statistics.median(rates)


# -- minidl -------------------------------------------------------------------------------------


def minidl_layer_step(cell, units, batch, seq, features):
    """One forward+backward of the fused op with Keras-initialised weights, on the device."""
    import minidl
    from minidl.ops.recurrent import gru, lstm, simple_rnn

    rng = np.random.default_rng(0)
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell]

    def weight(shape, scale):
        return minidl.tensor(minidl.to_device((rng.standard_normal(shape) * scale).astype(np.float32)),
                             requires_grad=True)

    x = weight((batch, seq, features), 1.0)
    kernel = weight((features, gates * units), 1 / np.sqrt(features))
    recurrent = weight((units, gates * units), 1 / np.sqrt(units))
    bias = weight((2, 3 * units) if cell == "gru" else (gates * units,), 0.1)
    op = {"lstm": lstm, "gru": gru, "rnn": simple_rnn}[cell]
    params = [x, kernel, recurrent, bias]

    def step():
        for param in params:
            param.grad = None
        output = op(x, kernel, recurrent, bias)[0]
        output.sum().backward()

    return step


def minidl_dlw_lstm_step(batch=128, seq=200):
    from minidl.layers.core import Dense
    from minidl.layers.embedding import Embedding
    from minidl.layers.recurrent import LSTM
    from minidl.models import Sequential

    rng = np.random.default_rng(0)
    model = Sequential([Embedding(8000, 32, input_shape=(seq,)), LSTM(32), Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    ids = rng.integers(0, 8000, size=(batch, seq))
    labels = rng.integers(0, 2, size=(batch, 1)).astype(np.float32)
    return lambda: model.train_on_batch(ids, labels)


# -- PyTorch ------------------------------------------------------------------------------------


def torch_layer_step(cell, units, batch, seq, features):
    import torch

    layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](
        features, units, batch_first=True).cuda()
    x = torch.randn(batch, seq, features, device="cuda", requires_grad=True)

    def step():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        output, _ = layer(x)
        output[:, -1].sum().backward()

    return step


def torch_dlw_lstm_step(batch=128, seq=200):
    import torch

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(8000, 32)
            self.lstm = torch.nn.LSTM(32, 32, batch_first=True)
            self.output = torch.nn.Linear(32, 1)

        def forward(self, ids):
            sequence, _ = self.lstm(self.embedding(ids))
            return self.output(sequence[:, -1]).sigmoid()

    model = Classifier().cuda()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    rng = np.random.default_rng(0)
    ids = torch.as_tensor(rng.integers(0, 8000, size=(batch, seq)))
    labels = torch.as_tensor(rng.integers(0, 2, size=(batch, 1)).astype(np.float32))

    def step():  # host batch in, host loss out, as train_on_batch does
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.binary_cross_entropy(model(ids.cuda()), labels.cuda())
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


# -- where the time of the fused LSTM goes ------------------------------------------------------


def lstm_breakdown(units, batch, seq, features, sync, warmup, repeats, seconds):
    """Milliseconds per call of: the op's forward, its forward+backward, and the two
    whole-sequence kernels alone (the rest is GEMMs, layout copies and Python)."""
    import minidl
    from minidl.ops.fast import rnn_cuda
    from minidl.ops.fast.rnn_common import get_inplace_activation

    module = minidl.backend.get_xp()
    sigma = get_inplace_activation("sigmoid", "benchmark", "recurrent_activation")
    tanh = get_inplace_activation("tanh", "benchmark", "activation")
    rng = np.random.default_rng(0)

    def device(shape, scale=1.0):
        return minidl.to_device((rng.standard_normal(shape) * scale).astype(np.float32))

    gates = device((seq, 4 * units, batch))
    states_h, states_c = module.zeros((seq + 1, units, batch), np.float32), module.zeros((seq + 1, units, batch),
                                                                                          np.float32)
    act_c = module.zeros((seq, units, batch), np.float32)
    kernel = device((units, 4 * units), 1 / np.sqrt(units))
    dh, dc = device((units, batch)), device((units, batch))

    def forward_kernel():
        rnn_cuda.lstm_forward(gates, states_h, states_c, act_c, kernel, None, None, sigma, tanh)

    def backward_kernel():
        rnn_cuda.lstm_backward(gates, states_c, act_c, kernel, None, None, None, dh, dc, sigma, tanh)

    full = minidl_layer_step("lstm", units, batch, seq, features)
    from minidl.ops.recurrent import lstm

    x = minidl.tensor(device((batch, seq, features)), requires_grad=True)
    weights = [minidl.tensor(device(shape, 0.2), requires_grad=True)
               for shape in ((features, 4 * units), (units, 4 * units), (4 * units,))]

    def forward_only():
        lstm(x, *weights)

    timings = {}
    for label, step in (("op forward", forward_only), ("op forward+backward", full),
                        ("forward kernel", forward_kernel), ("backward kernel", backward_kernel)):
        timings[label] = 1000 / _median_rate(step, sync, 1, warmup, repeats, seconds)
    return timings


# -- main ---------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default="", help="also write the results here")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the fused LSTM's kernels alone against the whole op")
    args = parser.parse_args()
    warmup, repeats, seconds = (1, 3, 0.2) if args.quick else (3, 5, 0.5)

    import minidl
    from minidl.ops.fast import rnn_cuda

    minidl.runtime.keep_freed_memory()  # as a training script does (and as these numbers always had)
    minidl.set_backend("cupy")
    minidl.set_seed(0)
    cupy = minidl.backend.get_xp()
    sync_cupy = cupy.cuda.Device().synchronize
    results = {"cupy": cupy.__version__, "device": cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(),
               "rows": []}
    try:
        import torch

        results["torch"] = torch.__version__
        results["cudnn"] = torch.backends.cudnn.version()
        sync_torch = torch.cuda.synchronize
    except ImportError:
        torch = None

    def measure(label, make_minidl, make_torch, samples):
        row = {"case": label}
        for mode, enabled in (("before", False), ("after", True)):
            rnn_cuda.ENABLED = enabled
            step = make_minidl()
            # the generic path is slow: time it with fewer, single-call repeats
            row[mode] = _median_rate(step, sync_cupy, samples, 1 if not enabled else warmup,
                                     3 if not enabled else repeats, 0.0 if not enabled else seconds)
        rnn_cuda.ENABLED = True
        if torch is not None:
            row["cudnn"] = _median_rate(make_torch(), sync_torch, samples, warmup, repeats, seconds)
            row["after_vs_cudnn"] = row["after"] / row["cudnn"]
        row["speedup"] = row["after"] / row["before"]
        results["rows"].append(row)
        print(f"{label:>24}: before {row['before']:9.0f}  after {row['after']:9.0f}  "
              f"cuDNN {row.get('cudnn', float('nan')):9.0f} samples/s  "
              f"(x{row['speedup']:.1f}; {row.get('after_vs_cudnn', float('nan')):.2f} of cuDNN)", flush=True)

    print(f"device {results['device']}, CuPy {results['cupy']}, torch {results.get('torch')}, "
          f"cuDNN {results.get('cudnn')}", flush=True)
    for label, cell, units, batch, seq, features in LAYER_CASES:
        shape = (cell, units, batch, seq, features)
        measure(f"{label} fwd+bwd", lambda s=shape: minidl_layer_step(*s), lambda s=shape: torch_layer_step(*s), batch)
    measure("DLW 6.02 LSTM train", minidl_dlw_lstm_step, torch_dlw_lstm_step, 128)
    if args.breakdown:
        results["breakdown_ms"] = {}
        for units, batch, seq in ((32, 128, 200), (100, 64, 500)):
            timings = lstm_breakdown(units, batch, seq, 32, sync_cupy, warmup, repeats, seconds)
            results["breakdown_ms"][f"LSTM({units}) batch {batch} seq {seq}"] = timings
            print(f"LSTM({units}) batch {batch} seq {seq}, ms per call: "
                  + ", ".join(f"{label} {value:.3f}" for label, value in timings.items()), flush=True)
    if args.json:
        from minidl.fileio import atomic_write_text

        atomic_write_text(args.json, json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
