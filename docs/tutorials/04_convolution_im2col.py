"""Tutorial 4 -- convolution as im2col + one matrix product, forward and backward.

A 2-D convolution slides a kernel K (kh, kw, C_in, C_out) over an image x (N, H, W, C_in).
Each output pixel is the dot product of one window of x with the kernel:

    y[n, r, c, o] = sum_{i, j, ch} x[n, r*s + i, c*s + j, ch] * K[i, j, ch, o]

im2col turns that into a single matrix product. Copy every window into one row of a matrix
X_col (N * out_h * out_w, kh * kw * C_in); reshape the kernel to W (kh * kw * C_in, C_out); then

    Y = X_col @ W          (one GEMM: all pixels, all filters at once)

and the backward pass is the two products of any matmul,

    dW = X_col^T @ dY      dX_col = dY @ W^T

followed by col2im: every row of dX_col is added back onto the window it came from
(windows overlap, so contributions add up). minidl's readable convolution does exactly this
(``minidl/ops/reference/conv.py`` and ``reference/im2col.py``, a loop over kernel offsets);
the fast ``conv2d`` (``minidl/ops/fast/``) builds X_col through a strided view in cache-sized
chunks on every core. This script does the steps by hand on a tiny image, then checks the
fast op, the readable reference and finite differences against each other.

Run:  python docs/tutorials/04_convolution_im2col.py
"""

import sys

import numpy as np

import minidl
from minidl.ops import conv


def im2col_by_hand(x, kh, kw):
    """Every kh x kw window of x (N, H, W, C) as one row, stride 1, no padding."""
    n, h, w, c = x.shape
    rows = []
    for image in range(n):
        for r in range(h - kh + 1):
            for col in range(w - kw + 1):
                rows.append(x[image, r:r + kh, col:col + kw, :].reshape(-1))
    return np.array(rows)


def main(out_dir=None):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 4, 4, 2))           # one 4x4 image with 2 channels
    kernel = rng.normal(size=(3, 3, 2, 5))      # five 3x3 filters

    x_col = im2col_by_hand(x, 3, 3)             # (1 * 2 * 2, 3 * 3 * 2) = (4, 18)
    w = kernel.reshape(-1, 5)                   # (18, 5)
    y_by_hand = (x_col @ w).reshape(1, 2, 2, 5)
    print("X_col shape", x_col.shape, "x W shape", w.shape, "-> output", y_by_hand.shape)

    minidl.set_floatx("float64")
    fused = conv.conv2d(minidl.tensor(x), minidl.tensor(kernel)).numpy()
    reference = conv.conv2d_reference(minidl.tensor(x), minidl.tensor(kernel)).numpy()
    print("fused vs by hand:", np.abs(fused - y_by_hand).max(), " fused vs reference:", np.abs(fused - reference).max())

    # Backward: the gradient of sum(y * g) with respect to x and the kernel, three ways.
    g = rng.normal(size=y_by_hand.shape)
    grad_w_by_hand = (x_col.T @ g.reshape(-1, 5)).reshape(kernel.shape)          # dW = X_col^T dY
    tensors = [minidl.tensor(x, requires_grad=True), minidl.tensor(kernel, requires_grad=True)]
    (conv.conv2d(*tensors) * minidl.tensor(g)).sum().backward()
    grad_w_fused = minidl.to_numpy(tensors[1].grad)
    print("dW fused vs by hand:", np.abs(grad_w_fused - grad_w_by_hand).max())
    worst = minidl.gradcheck(lambda a, k: conv.conv2d(a, k, strides=(1, 1), padding="same"), x, kernel)
    print("gradcheck of conv2d (padding='same'), worst errors (x, kernel):", worst)
    minidl.set_floatx("float32")
    return {
        "forward_vs_hand": float(np.abs(fused - y_by_hand).max()),
        "forward_vs_reference": float(np.abs(fused - reference).max()),
        "grad_w_vs_hand": float(np.abs(grad_w_fused - grad_w_by_hand).max()),
        "gradcheck": worst,
    }


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
