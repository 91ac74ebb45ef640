"""One layer at a time: forward and backward of a single Keras layer at the shapes the labs use,
timed in minidl and in Keras, to find the layers where minidl is far slower than it should be.

The model probe (``probe_models.py``) times whole training steps; a slow layer there is one of
many costs and takes a profile to find. Here every case is one layer, built from the *same*
constructor call in both frameworks, fed the same float32 input, and timed as

* minidl: ``y = layer(x, training=True)`` then ``y.backward(dy)`` (the gradients of the input
  and of every weight), one NumPy process on every core;
* Keras 3 on TensorFlow: the same inside one ``tf.function`` with a ``GradientTape``
  (``tape.gradient(y, [x, *weights], output_gradients=dy)``), so that no eager overhead is
  counted against it.

Each framework runs in its own process (TensorFlow's thread pools and minidl's never compete),
the two alternating over ``--rounds``. The report lists every case by the ratio
``keras ms / minidl ms`` (below 1: minidl slower), worst first. Run::

    python benchmarks/probe_layers.py --rounds 2 --out /tmp/probe_layers.json
"""

import argparse
import json
import statistics
import subprocess
import sys

import numpy as np
import probe_models  # the frameworks' setup and the timing loop, shared with the model probe

# (name, layer class, constructor keyword arguments, input shape with the batch first)
CASES = [
    ("dense_wide_input", "Dense", {"units": 50}, (500, 10000)),
    ("dense_mlp", "Dense", {"units": 512, "activation": "relu"}, (128, 784)),
    ("conv2d_3x3_32_64", "Conv2D", {"filters": 64, "kernel_size": 3, "activation": "relu"}, (128, 26, 26, 32)),
    ("conv2d_3x3_same_64_64", "Conv2D", {"filters": 64, "kernel_size": 3, "padding": "same"}, (64, 32, 32, 64)),
    ("conv2d_5x5_stride2", "Conv2D", {"filters": 64, "kernel_size": 5, "strides": 2, "padding": "same"},
     (256, 14, 14, 32)),
    ("conv2d_first_layer", "Conv2D", {"filters": 32, "kernel_size": 3, "activation": "relu"}, (128, 28, 28, 1)),
    ("conv2d_transpose", "Conv2DTranspose", {"filters": 32, "kernel_size": 5, "strides": 2, "padding": "same"},
     (128, 7, 7, 64)),
    ("conv1d_text", "Conv1D", {"filters": 64, "kernel_size": 5, "activation": "relu"}, (128, 200, 64)),
    ("max_pool2d", "MaxPooling2D", {"pool_size": 2}, (128, 24, 24, 64)),
    ("average_pool2d", "AveragePooling2D", {"pool_size": 2}, (128, 24, 24, 64)),
    ("max_pool1d", "MaxPooling1D", {"pool_size": 5}, (128, 200, 64)),
    ("global_max_pool1d", "GlobalMaxPooling1D", {}, (128, 196, 64)),
    ("global_avg_pool1d", "GlobalAveragePooling1D", {}, (128, 196, 64)),
    ("global_avg_pool2d", "GlobalAveragePooling2D", {}, (128, 12, 12, 128)),
    ("global_max_pool2d", "GlobalMaxPooling2D", {}, (128, 12, 12, 128)),
    ("batch_norm_conv", "BatchNormalization", {}, (64, 32, 32, 64)),
    ("batch_norm_dense", "BatchNormalization", {}, (128, 3136)),
    ("layer_norm", "LayerNormalization", {}, (64, 100, 128)),
    ("dropout", "Dropout", {"rate": 0.25}, (128, 200, 64)),
    ("leaky_relu", "LeakyReLU", {"negative_slope": 0.2}, (256, 14, 14, 32)),
    ("relu_activation", "Activation", {"activation": "relu"}, (128, 26, 26, 32)),
    ("softmax_activation", "Activation", {"activation": "softmax"}, (512, 1000)),
    ("flatten", "Flatten", {}, (128, 12, 12, 64)),
    ("upsampling2d", "UpSampling2D", {"size": 2}, (128, 14, 14, 32)),
    ("zero_padding2d", "ZeroPadding2D", {"padding": 2}, (128, 28, 28, 32)),
    ("lstm_sequence", "LSTM", {"units": 64, "return_sequences": True}, (64, 100, 32)),
    ("gru_last", "GRU", {"units": 64}, (64, 100, 32)),
    ("simple_rnn_last", "SimpleRNN", {"units": 32}, (128, 200, 32)),
    ("time_distributed_dense", "Dense", {"units": 10}, (64, 100, 64)),
    ("depthwise_conv2d", "DepthwiseConv2D", {"kernel_size": 3, "padding": "same"}, (64, 16, 16, 32)),
    ("separable_conv2d", "SeparableConv2D", {"filters": 64, "kernel_size": 3, "padding": "same"}, (64, 16, 16, 32)),
    ("multi_head_attention_self", "MultiHeadAttention", {"num_heads": 4, "key_dim": 32}, (32, 64, 128)),
    ("embedding", "Embedding", {"input_dim": 10000, "output_dim": 64}, (128, 200)),
    # shapes and layers no lab's harness workload has: a wide first kernel, few channels, a
    # pointwise convolution, overlapping pooling, noise, dilation, group norm, ELU
    ("conv2d_7x7_8_16", "Conv2D", {"filters": 16, "kernel_size": 7, "padding": "same"}, (64, 32, 32, 8)),
    ("conv2d_5x5_3_16", "Conv2D", {"filters": 16, "kernel_size": 5, "activation": "relu"}, (128, 32, 32, 3)),
    ("conv2d_3x3_stride2_16_32", "Conv2D", {"filters": 32, "kernel_size": 3, "strides": 2, "padding": "same"},
     (128, 32, 32, 16)),
    ("conv2d_1x1_128_64", "Conv2D", {"filters": 64, "kernel_size": 1}, (64, 16, 16, 128)),
    ("max_pool2d_3x3_stride2", "MaxPooling2D", {"pool_size": 3, "strides": 2}, (64, 27, 27, 32)),
    ("gaussian_noise", "GaussianNoise", {"stddev": 0.1}, (128, 28, 28, 1)),
    ("conv2d_dilated", "Conv2D", {"filters": 32, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
     (64, 32, 32, 32)),
    ("conv1d_causal_dilated", "Conv1D", {"filters": 32, "kernel_size": 3, "padding": "causal", "dilation_rate": 4},
     (64, 200, 32)),
    ("group_norm", "GroupNormalization", {"groups": 8}, (64, 16, 16, 64)),
    ("elu", "ELU", {}, (256, 14, 14, 32)),
    ("spatial_dropout2d", "SpatialDropout2D", {"rate": 0.2}, (128, 24, 24, 64)),
    ("conv1d_transpose", "Conv1DTranspose", {"filters": 32, "kernel_size": 5, "strides": 2, "padding": "same"},
     (64, 100, 64)),
    # a hunt for cliffs in shapes and options nothing above has (2026-12-07): strides with
    # depthwise and transposed kernels, overlapping 'same' pooling, long and rectangular kernels,
    # many channels, a large first-layer image, bilinear upsampling, a large vocabulary
    ("depthwise_conv2d_stride2", "DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "padding": "same"},
     (64, 32, 32, 32)),
    ("average_pool2d_3x3_stride1_same", "AveragePooling2D", {"pool_size": 3, "strides": 1, "padding": "same"},
     (64, 16, 16, 32)),
    ("max_pool2d_3x3_stride2_same", "MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"},
     (64, 32, 32, 64)),
    ("conv2d_transpose_stride1", "Conv2DTranspose", {"filters": 32, "kernel_size": 3, "padding": "same"},
     (64, 16, 16, 32)),
    ("conv1d_kernel15", "Conv1D", {"filters": 32, "kernel_size": 15}, (32, 500, 16)),
    ("conv2d_1x7", "Conv2D", {"filters": 16, "kernel_size": (1, 7), "padding": "same"}, (32, 32, 32, 16)),
    ("conv2d_256_channels", "Conv2D", {"filters": 256, "kernel_size": 3, "padding": "same"}, (16, 8, 8, 256)),
    ("conv2d_180x180_rgb", "Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
     (8, 180, 180, 3)),
    ("upsampling2d_bilinear", "UpSampling2D", {"size": 2, "interpolation": "bilinear"}, (32, 16, 16, 32)),
    ("embedding_50000_16", "Embedding", {"input_dim": 50000, "output_dim": 16}, (64, 100)),
    ("prelu", "PReLU", {}, (64, 28, 28, 16)),
]
TOKEN_INPUTS = {"Embedding"}  # layers fed integer ids below their input_dim, with no gradient of their own
FRAMEWORKS = ("minidl", "keras")


def _inputs(shape, seed=0, below=None):
    """Standard normal float32 inputs, or int32 ids in [0, below) for a layer fed token ids."""
    rng = np.random.default_rng(seed)
    if below is not None:
        return rng.integers(0, below, size=shape).astype(np.int32)
    return rng.standard_normal(shape).astype(np.float32)


def _case_inputs(class_name, arguments, shape):
    """The case's input array, whether it is token ids (no gradient), and whether the layer is
    called as attention(x, x)."""
    tokens = class_name in TOKEN_INPUTS
    x_array = _inputs(shape, below=arguments["input_dim"] if tokens else None)
    return x_array, tokens, class_name == "MultiHeadAttention"


def _minidl_step(class_name, arguments, shape):
    import minidl

    keras = probe_models.framework_module("minidl")
    layer = getattr(keras.layers, class_name)(**arguments)
    x_array, tokens, attention = _case_inputs(class_name, arguments, shape)

    def step():
        x = minidl.tensor(x_array, requires_grad=not tokens)
        y = layer(x, x, training=True) if attention else layer(x, training=True)
        y.backward(dy)
        return y

    x = minidl.tensor(x_array)
    first = layer(x, x) if attention else layer(x)
    dy = _inputs(first.shape, seed=1)
    return step


def _keras_step(class_name, arguments, shape):
    import tensorflow as tf

    keras = probe_models.framework_module("keras")
    layer = getattr(keras.layers, class_name)(**arguments)
    x_array, tokens, attention = _case_inputs(class_name, arguments, shape)
    x = tf.constant(x_array)
    first = layer(x, x) if attention else layer(x)
    dy = tf.constant(_inputs(tuple(first.shape), seed=1))
    sources = list(layer.trainable_variables) if tokens else [x, *layer.trainable_variables]

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            if not tokens:
                tape.watch(x)
            y = layer(x, x, training=True) if attention else layer(x, training=True)
        return tape.gradient(y, sources, output_gradients=dy)

    def step():
        results = forward_backward()
        getattr(results[0], "values", results[0]).numpy()  # wait for the work (an embedding's gradient: IndexedSlices)
        return results

    return step


def time_case(framework, name, seconds):
    _, class_name, arguments, shape = next(case for case in CASES if case[0] == name)
    build = _minidl_step if framework == "minidl" else _keras_step
    step = build(class_name, arguments, shape)
    return {"framework": framework, "case": name, "seconds": probe_models.median_seconds(step, seconds)[0]}


def run_in_process(framework, names, seconds):
    """Every case of ``names`` in one fresh process of ``framework``: their results, or for each
    case an ``error`` entry with the end of the process's error output."""
    command = [sys.executable, __file__, "--child", framework, "--seconds", str(seconds), "--cases", ",".join(names)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        error = completed.stderr.strip().splitlines()[-3:] or [f"exit status {completed.returncode}"]
        return [{"framework": framework, "case": name, "error": error} for name in names]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def report(results, names):
    """Markdown rows -- case, input shape, minidl ms, keras ms, keras/minidl (medians over the
    rounds) -- worst ratio first; a framework without a number shows "failed"."""
    shapes = {case[0]: "x".join(str(size) for size in case[3]) for case in CASES}
    rows = []
    for name in names:
        milliseconds = {}
        for framework in FRAMEWORKS:
            times = [r["seconds"] for r in results if r["case"] == name and r["framework"] == framework and "seconds" in r]
            milliseconds[framework] = 1e3 * statistics.median(times) if times else None
        minidl_ms, keras_ms = milliseconds["minidl"], milliseconds["keras"]
        ratio = keras_ms / minidl_ms if minidl_ms and keras_ms else None
        rows.append((float("inf") if ratio is None else ratio, name, minidl_ms, keras_ms, ratio))
    lines = ["| case | input | minidl ms | keras ms | keras/minidl |", "|---|---|---|---|---|"]
    for _, name, minidl_ms, keras_ms, ratio in sorted(rows, key=lambda row: row[0]):
        cells = [f"{value:.2f}" if value is not None else "failed" for value in (minidl_ms, keras_ms)]
        lines.append(f"| {name} | {shapes[name]} | {cells[0]} | {cells[1]} | {'-' if ratio is None else f'{ratio:.2f}'} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="all", help="comma-separated case names, or 'all'")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=1.0, help="timing per case and round")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--out", help="write every measurement here as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = [case[0] for case in CASES] if args.cases == "all" else args.cases.split(",")
    unknown = set(names) - {case[0] for case in CASES}
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}; known: {', '.join(case[0] for case in CASES)}")
    if args.child:
        print(json.dumps([time_case(args.child, name, args.seconds) for name in names]))
        return 0
    results = []
    for _ in range(args.rounds):
        for framework in args.frameworks.split(","):
            results.extend(run_in_process(framework, names, args.seconds))
    if args.out:
        with open(args.out, "w") as stream:
            json.dump({"results": results, "cases": names}, stream, indent=1)
    print(report(results, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
