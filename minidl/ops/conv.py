"""Convolutions, channels-last as in Keras: ``conv2d``, ``conv1d`` and ``conv2d_transpose``.

Layouts: inputs (N, H, W, C) or (N, W, C); kernels (kh, kw, C, filters) / (k, C, filters); the
transposed convolution's kernel is (kh, kw, filters, C) as in Keras's Conv2DTranspose.

These functions check their operands and run one of two forms that give the same numbers:

* the readable form, ``minidl/ops/reference/conv.py``: im2col, one matrix product, col2im, and
  the backward written out beside the forward. It runs inside ``minidl.reference_ops()``, and
  always as ``conv2d_reference`` / ``conv1d_reference`` / ``conv2d_transpose_reference``;
* the fast form, ``minidl/ops/fast/conv.py``: the same pieces in cache-sized chunks on every
  core, with the ReLU fused into the pass. It runs by default.

A 1-D convolution is run as a 2-D one over an image of height one.

Errors name the op and the argument (``conv2d: strides must be ...``); when a layer calls the
op, ``Layer.__call__`` adds the layer's name and input shapes to the message, once.
"""

from minidl.autograd.function import xp
from minidl.autograd.tensor import Tensor
from minidl.ops import activations, shapes
from minidl.ops._util import as_tensor, require_float
from minidl.ops.arguments import int_tuple, normalize_padding, pair
from minidl.ops.fast.conv import FastConv2D, FastConv2DTranspose
from minidl.ops.forms import reference_forms_active
from minidl.ops.reference.conv import Conv2D, Conv2DTranspose
from minidl.ops.windows import deconv_output_length, dilated_size, window_geometry

FUSED_ACTIVATIONS = (None, "relu")


# -- argument checks (``op`` is the name of the op the user called, for the messages) ----------

def _check_operands(x, kernel, bias, op, rank, in_axis, x_layout, kernel_layout):
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    require_float(op, x)
    require_float(op, kernel, "kernel")
    for name, operand in (("kernel", kernel), ("bias", bias)):
        if operand is not None and operand.dtype != x.dtype:
            raise TypeError(
                f"{op}: the input is {x.dtype} but the {name} is {operand.dtype}; convert one so "
                "both match (layers cast their inputs to the layer's dtype, as Keras does)"
            )
    if x.ndim != rank + 2:
        raise ValueError(f"{op}: expected input of rank {rank + 2} {x_layout}, got shape {x.shape}")
    if kernel.ndim != rank + 2:
        raise ValueError(f"{op}: expected a kernel of rank {rank + 2} {kernel_layout}, got shape {kernel.shape}")
    if x.shape[-1] != kernel.shape[in_axis]:
        raise ValueError(
            f"{op}: the input has {x.shape[-1]} channels (shape {x.shape}) but the kernel "
            f"{kernel_layout} expects {kernel.shape[in_axis]} (kernel shape {kernel.shape})"
        )
    out_axis = rank + 1 if in_axis == rank else rank
    if bias is not None and bias.shape != (kernel.shape[out_axis],):
        raise ValueError(
            f"{op}: bias must have shape ({kernel.shape[out_axis]},), one per filter, got {bias.shape}"
        )
    return x, kernel, bias


def _operands(x, kernel, bias):
    return (x, kernel) if bias is None else (x, kernel, bias)


def _check_activation(activation, op):
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(
            f"{op}: activation must be one of {FUSED_ACTIVATIONS} (the ones fused into the convolution), "
            f"got {activation!r}; apply any other activation to the output"
        )
    return activation


# -- conv2d -----------------------------------------------------------------------------------

_X2D = "(batch, height, width, channels)"
_K2D = "(kernel_h, kernel_w, in_channels, filters)"


def _conv2d(x, kernel, bias, strides, padding, dilation, activation, op, readable):
    """``conv2d`` checked under the name ``op``, in the readable form or the one ``reference_ops`` picks."""
    activation = _check_activation(activation, op)
    x, kernel, bias = _check_operands(x, kernel, bias, op, 2, 2, _X2D, _K2D)
    strides = pair(strides, "strides", op)
    dilation = pair(dilation, "dilation", op)
    if isinstance(padding, str):
        padding = normalize_padding(padding, op)
    geometry = window_geometry(x.shape[1:3], kernel.shape[:2], strides, padding, dilation, op)
    if readable or reference_forms_active():
        return _readable_conv2d(x, kernel, bias, geometry, activation)
    return FastConv2D(geometry, activation)(*_operands(x, kernel, bias))


def conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1), activation=None):
    """2-D convolution (cross-correlation, as in every DL framework) of NHWC ``x`` with a
    (kh, kw, C, F) ``kernel``, plus an optional (F,) ``bias``, then optionally a fused ReLU.

    ``padding``: 'valid', 'same' (TensorFlow's rule), or explicit ((top, bottom), (left, right)).
    ``activation``: None or 'relu' (``relu(conv2d(...))`` in one pass).
    Output: (N, out_h, out_w, F).
    """
    return _conv2d(x, kernel, bias, strides, padding, dilation, activation, "conv2d", readable=False)


def conv2d_reference(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1), activation=None):
    """``conv2d`` in its readable form (``minidl/ops/reference/conv.py``), always."""
    return _conv2d(x, kernel, bias, strides, padding, dilation, activation, "conv2d_reference", readable=True)


def _readable_conv2d(x, kernel, bias, geometry, activation):
    """``Conv2D`` (a zero bias when there is none), then the ReLU op if asked."""
    bias = _zero_bias(kernel.shape[3], x) if bias is None else bias
    y = Conv2D(geometry)(x, kernel, bias)
    return activations.relu(y) if activation == "relu" else y


def _zero_bias(filters, like):
    """A constant zero bias for the readable forms: adds nothing, receives no gradient."""
    return Tensor._from_op(xp().zeros(filters, dtype=like.dtype))


# -- conv1d: a conv2d over a height of one ----------------------------------------------------

_X1D = "(batch, steps, channels)"
_K1D = "(kernel_size, in_channels, filters)"


def _conv1d(x, kernel, bias, strides, padding, dilation, activation, op, readable):
    """The 1-D problem as a 2-D one of height 1 (views, no copies), checked under the name ``op``."""
    x, kernel, bias = _check_operands(x, kernel, bias, op, 1, 1, _X1D, _K1D)
    strides = int_tuple(strides, 1, "strides", op)[0]  # an int or a 1-tuple, as Keras's Conv1D takes
    dilation = int_tuple(dilation, 1, "dilation", op)[0]
    padding = normalize_padding(padding, op, ("valid", "same", "causal"))
    if padding == "causal":  # Keras: pad (k-1)*d on the left only, so y[t] sees x[..t] alone
        padding = ((0, 0), (dilated_size(kernel.shape[0], dilation) - 1, 0))
    x4 = shapes.reshape(x, (x.shape[0], 1, x.shape[1], x.shape[2]))
    kernel4 = shapes.reshape(kernel, (1, *kernel.shape))
    y = _conv2d(x4, kernel4, bias, (1, strides), padding, (1, dilation), activation, op, readable)
    return shapes.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))


def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation=1, activation=None):
    """1-D convolution of (N, steps, C) ``x`` with a (k, C, F) ``kernel``: (N, out_steps, F).

    ``padding``: 'valid', 'same' or 'causal' (Keras's Conv1D choices); ``activation``: None or 'relu'.
    """
    return _conv1d(x, kernel, bias, strides, padding, dilation, activation, "conv1d", readable=False)


def conv1d_reference(x, kernel, bias=None, strides=1, padding="valid", dilation=1, activation=None):
    """``conv1d`` in its readable form (through the readable ``conv2d``), always."""
    return _conv1d(x, kernel, bias, strides, padding, dilation, activation, "conv1d_reference", readable=True)


# -- conv2d_transpose -------------------------------------------------------------------------

_KT2D = "(kernel_h, kernel_w, filters, in_channels)"


def conv2d_transpose_output_size(input_size, kernel_size, strides, padding, output_padding=None, dilation=(1, 1)):
    """Keras/TensorFlow's (out_h, out_w) of a transposed convolution."""
    output_padding = (None, None) if output_padding is None else output_padding
    return tuple(
        deconv_output_length(n, k, s, padding, op, d)
        for n, k, s, op, d in zip(input_size, kernel_size, strides, output_padding, dilation)
    )


def _conv2d_transpose(x, kernel, bias, strides, padding, output_padding, dilation, op, readable):
    """``conv2d_transpose`` checked under the name ``op``."""
    x, kernel, bias = _check_operands(x, kernel, bias, op, 2, 3, _X2D, _KT2D)
    strides = pair(strides, "strides", op)
    dilation = pair(dilation, "dilation", op)
    padding = normalize_padding(padding, op)
    if output_padding is not None:
        output_padding = pair(output_padding, "output_padding", op, minimum=0)
        if any(extra >= s for extra, s in zip(output_padding, strides)):
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than the strides {strides} "
                "on each axis (as in Keras)"
            )
    input_size, kernel_size = x.shape[1:3], kernel.shape[:2]
    output_size = conv2d_transpose_output_size(input_size, kernel_size, strides, padding, output_padding, dilation)
    if min(output_size) < 1:
        raise ValueError(f"{op}: the output size {output_size} is empty for input {x.shape}")
    # The convolution this op is the adjoint of maps output_size back onto input_size.
    geometry = window_geometry(output_size, kernel_size, strides, padding, dilation, op)
    if geometry.output_size != tuple(input_size):
        raise ValueError(
            f"{op}: with kernel {kernel_size}, strides {strides}, padding {padding!r} and "
            f"output_padding {output_padding} the output size {output_size} does not convolve back "
            f"to the input size {tuple(input_size)} (TensorFlow refuses this too); change output_padding"
        )
    if readable or reference_forms_active():
        bias = _zero_bias(kernel.shape[2], x) if bias is None else bias
        return Conv2DTranspose(geometry)(x, kernel, bias)
    return FastConv2DTranspose(geometry)(*_operands(x, kernel, bias))


def conv2d_transpose(x, kernel, bias=None, strides=(1, 1), padding="valid", output_padding=None, dilation=(1, 1)):
    """Transposed convolution ("deconvolution") of NHWC ``x`` with a (kh, kw, F, C) ``kernel``.

    The output size follows Keras: with ``output_padding=None``, 'same' gives in * stride and
    'valid' gives in * stride + max(k - stride, 0); otherwise
    (in - 1) * stride + k - 2 * pad + output_padding with pad = k // 2 for 'same', 0 for 'valid'.
    """
    return _conv2d_transpose(x, kernel, bias, strides, padding, output_padding, dilation, "conv2d_transpose",
                             readable=False)


def conv2d_transpose_reference(x, kernel, bias=None, strides=(1, 1), padding="valid", output_padding=None,
                               dilation=(1, 1)):
    """``conv2d_transpose`` in its readable form (``minidl/ops/reference/conv.py``), always."""
    return _conv2d_transpose(x, kernel, bias, strides, padding, output_padding, dilation,
                             "conv2d_transpose_reference", readable=True)


__all__ = [
    "conv1d", "conv1d_reference", "conv2d", "conv2d_reference", "conv2d_transpose", "conv2d_transpose_output_size",
    "conv2d_transpose_reference",
]
