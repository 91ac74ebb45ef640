"""Depthwise convolutions, channels-last: ``depthwise_conv2d`` and ``depthwise_conv1d``.

Each input channel is convolved with its own ``depth_multiplier`` kernels (Keras's layout:
kernel (kh, kw, in_channels, depth_multiplier), output channel ``c * depth_multiplier + m``),
so a (3, 3) depthwise convolution of C channels has 9 * C weights where an ordinary one has
9 * C * filters. These functions check their operands and run ``FastDepthwiseConv2D``
(``minidl/ops/fast/depthwise_conv.py``: einsum over strided windows, chunks of samples on every
core), or, inside ``minidl.reference_ops()`` and on a GPU, the readable ``DepthwiseConv2D``
(``minidl/ops/reference/depthwise_conv.py``: im2col and a sum over each window's taps per
channel, the backward written out beside it). A 1-D one runs as a 2-D one over an image of
height one. ``padding`` is 'valid' or 'same' (TensorFlow's rule; 'causal' too in 1-D).
"""

from minidl.autograd.function import xp
from minidl.autograd.tensor import Tensor
from minidl.ops import shapes
from minidl.ops._util import as_tensor, require_float
from minidl.ops.arguments import int_tuple, normalize_padding, pair
from minidl.ops.fast.depthwise_conv import FastDepthwiseConv2D, fast_form_applies
from minidl.ops.forms import reference_forms_active
from minidl.ops.reference.depthwise_conv import DepthwiseConv2D
from minidl.ops.windows import dilated_size, window_geometry


def _check(x, kernel, bias, rank, what):
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    require_float(what, x)
    require_float(what, kernel, "kernel")
    layout = "(batch, height, width, channels)" if rank == 2 else "(batch, steps, channels)"
    kernel_layout = ("(kernel_h, kernel_w, in_channels, depth_multiplier)" if rank == 2
                     else "(kernel_size, in_channels, depth_multiplier)")
    if x.ndim != rank + 2:
        raise ValueError(f"{what}: expected input of rank {rank + 2} {layout}, got shape {x.shape}")
    if kernel.ndim != rank + 2:
        raise ValueError(f"{what}: expected a kernel of rank {rank + 2} {kernel_layout}, got shape {kernel.shape}")
    if kernel.shape[-2] != x.shape[-1]:
        raise ValueError(f"{what}: the input has {x.shape[-1]} channels (shape {x.shape}) but the kernel {kernel_layout} "
                         f"has {kernel.shape[-2]} (kernel shape {kernel.shape})")
    outputs = kernel.shape[-2] * kernel.shape[-1]
    if bias is not None and bias.shape != (outputs,):
        raise ValueError(f"{what}: bias must have shape ({outputs},), one per output channel, got {bias.shape}")
    for name, operand in (("kernel", kernel), ("bias", bias)):
        if operand is not None and operand.dtype != x.dtype:
            raise TypeError(f"{what}: the input is {x.dtype} but the {name} is {operand.dtype}; convert one so both match")
    return x, kernel, bias


def depthwise_conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Depthwise convolution of NHWC ``x`` with a (kh, kw, C, M) ``kernel`` plus an optional
    (C * M,) ``bias``: output (N, out_h, out_w, C * M)."""
    what = "depthwise_conv2d"
    x, kernel, bias = _check(x, kernel, bias, 2, what)
    strides, dilation = pair(strides, "strides", what), pair(dilation, "dilation", what)
    if isinstance(padding, str):
        padding = normalize_padding(padding, what)
    geometry = window_geometry(x.shape[1:3], kernel.shape[:2], strides, padding, dilation, what)
    if bias is None:  # a constant zero bias: adds nothing, receives no gradient
        bias = Tensor._from_op(xp().zeros(kernel.shape[2] * kernel.shape[3], dtype=x.dtype))
    fast = fast_form_applies() and not reference_forms_active()
    form = FastDepthwiseConv2D if fast else DepthwiseConv2D
    return form(geometry)(x, kernel, bias)


def depthwise_conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation=1):
    """Depthwise convolution of (N, steps, C) ``x`` with a (k, C, M) ``kernel``: (N, out_steps,
    C * M). ``padding``: 'valid', 'same' or 'causal'."""
    what = "depthwise_conv1d"
    x, kernel, bias = _check(x, kernel, bias, 1, what)
    (stride,), (rate,) = int_tuple(strides, 1, "strides", what), int_tuple(dilation, 1, "dilation", what)
    padding = normalize_padding(padding, what, ("valid", "same", "causal"))
    if padding == "causal":  # pad (k - 1) * d steps at the start only, as Conv1D does
        padding = ((0, 0), (dilated_size(kernel.shape[0], rate) - 1, 0))
    x4 = shapes.reshape(x, (x.shape[0], 1, x.shape[1], x.shape[2]))
    kernel4 = shapes.reshape(kernel, (1, *kernel.shape))
    y = depthwise_conv2d(x4, kernel4, bias, (1, stride), padding, (1, rate))
    return shapes.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))


__all__ = ["depthwise_conv1d", "depthwise_conv2d"]
