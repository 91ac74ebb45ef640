"""When the few-filters convolution forms pay: one stride-1 3x3 'same' convolution's forward and
backward at batch 128 on every core, im2col against ``minidl/ops/fast/conv_few_filters.py``'s
forms, for C input channels and F filters. The choice in ``sums_output_offsets`` and
``correlates_gradient`` follows from this table (RESULTS.md, "A wider probe").

    python benchmarks/conv_forms.py --channels 32 --filters 1,2,4,8,16,32,64
"""

import argparse
import statistics
import time

import numpy as np

import minidl
from minidl.ops.conv import conv2d
from minidl.ops.fast import conv_few_filters


def _milliseconds(step, repeats):
    for _ in range(2):
        step()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def time_forms(channels, filters, size, batch, repeats):
    """{(pass, form): median ms} for one convolution, the forms taking turns."""
    rng = np.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((batch, size, size, channels)).astype(np.float32), requires_grad=True)
    kernel = minidl.tensor(rng.standard_normal((3, 3, channels, filters)).astype(np.float32), requires_grad=True)
    grad_out = rng.standard_normal((batch, size, size, filters)).astype(np.float32)
    chosen = conv_few_filters.sums_output_offsets, conv_few_filters.correlates_gradient
    forced = {"im2col": (lambda *args: False, lambda *args: False), "few filters": (lambda *args: True,) * 2}
    results = {}
    for form, (forward_choice, backward_choice) in forced.items():
        conv_few_filters.sums_output_offsets, conv_few_filters.correlates_gradient = forward_choice, backward_choice
        try:
            results[("forward", form)] = _milliseconds(lambda: conv2d(x, kernel, padding="same"), repeats)

            def forward_backward():
                x.grad = kernel.grad = None
                conv2d(x, kernel, padding="same").backward(grad_out)

            results[("forward+backward", form)] = _milliseconds(forward_backward, repeats)
        finally:
            conv_few_filters.sums_output_offsets, conv_few_filters.correlates_gradient = chosen
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--filters", default="1,2,4,8,16,32,64")
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=15)
    options = parser.parse_args(argv)
    print(f"C={options.channels}, {options.size}x{options.size}, batch {options.batch}; median ms")
    print("| F | forward im2col | forward few filters | backward im2col | backward few filters |")
    print("|---|---|---|---|---|")
    for filters in (int(f) for f in options.filters.split(",")):
        r = time_forms(options.channels, filters, options.size, options.batch, options.repeats)
        backward = {form: r[("forward+backward", form)] - r[("forward", form)] for form in ("im2col", "few filters")}
        print(f"| {filters} | {r[('forward', 'im2col')]:.2f} | {r[('forward', 'few filters')]:.2f} | "
              f"{backward['im2col']:.2f} | {backward['few filters']:.2f} |")


if __name__ == "__main__":
    main()
