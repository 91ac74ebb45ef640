"""Convolutions, channels-last as in Keras: ``conv2d``, ``conv1d`` and ``conv2d_transpose``.

Layouts: inputs (N, H, W, C) or (N, W, C); kernels (kh, kw, C, filters) / (k, C, filters); the
transposed convolution's kernel is (kh, kw, filters, C) as in Keras's Conv2DTranspose.

The fused form (``Conv2DFunction``) is im2col + one GEMM (see ``minidl.ops.im2col``)::

    cols = im2col(pad(x))                   (N*out_h*out_w, kh*kw*C), one strided copy
    y    = cols @ kernel.reshape(-1, F)     (N*out_h*out_w, F) = (N, out_h, out_w, F)

and its backward, for gy = dL/dy reshaped to (N*out_h*out_w, F)::

    dL/dkernel = cols^T @ gy                 one GEMM
    dL/dbias   = sum of gy over all output positions
    dL/dx      = crop(col2im(gy @ kernel^T)) one GEMM per kernel offset, then one strided add each

``activation='relu'`` fuses the layer's ReLU into the same pass: y = max(cols @ kernel + bias, 0)
is applied to each chunk while it is still in cache, and the backward first masks gy with
d relu(z)/dz = [z > 0] = [y > 0] -- the same numbers as a separate ReLU op, without two more
trips through memory over the largest activation of a CNN.

On the CPU the batch goes through these steps a few samples at a time (cache-sized chunks,
one reused buffer); on a GPU as one chunk.

A transposed convolution is exactly the input-gradient of a convolution, so
``Conv2DTransposeFunction`` runs the same three pieces the other way round.

The reference forms (``*_reference``) compute the same results from primitive minidl ops, a
loop over the kernel offsets only -- the definition of a convolution, readable at a glance,
and the tests' oracle.
"""

from minidl.autograd.function import Function, xp
from minidl.ops import activations, math, shapes
from minidl.ops._util import as_tensor, require_float
from minidl.ops.im2col import (
    batch_chunks,
    col2im_add,
    crop_spatial,
    deconv_output_length,
    dilated_size,
    im2col,
    int_tuple,
    normalize_padding,
    pad_spatial,
    pair,
    window_geometry,
    windows_by_offset,
)
from minidl.ops.parallel import map_chunks, sum_in_order

FUSED_ACTIVATIONS = (None, "relu")


class Conv2DFunction(Function):
    """y = activation(conv2d(x, kernel) + bias) with a fixed window geometry; bias is optional,
    activation is None or 'relu'.

    The batch runs in chunks (``batch_chunks``) through one reused im2col buffer. Backward
    rebuilds each chunk's windows into that buffer -- cheaper, on a CPU, than keeping the whole
    im2col matrix (kh*kw times the input) in memory between forward and backward.
    """

    def __init__(self, geometry, activation=None):
        self.geometry = geometry
        self.activation = activation

    def forward(self, x, kernel, *bias):
        geometry = self.geometry
        n, filters = x.shape[0], kernel.shape[3]
        per_sample = geometry.output_size[0] * geometry.output_size[1]
        padded = pad_spatial(x, geometry.pads)
        kernel_rows = kernel.reshape(-1, filters)  # (kh*kw*C, F): a view, Keras's layout as is
        chunks = batch_chunks(n, geometry, x.shape[3], x.dtype.itemsize)
        y = xp().empty((n * per_sample, filters), dtype=x.dtype)

        def convolve(start, stop, buffer):
            cols = im2col(padded[start:stop], geometry, out=buffer[:(stop - start) * per_sample])
            y_chunk = y[start * per_sample:stop * per_sample]
            xp().matmul(cols, kernel_rows, out=y_chunk)
            if bias:
                y_chunk += bias[0]
            if self.activation == "relu":
                xp().maximum(y_chunk, 0, out=y_chunk)

        self.buffer_shape = (_largest(chunks) * per_sample, kernel_rows.shape[0])
        map_chunks(convolve, chunks, self.buffer_shape, x.dtype)
        if self.needs_input_grad:
            self.padded, self.kernel, self.chunks = padded, kernel, chunks
            self.y_rows = y if self.activation == "relu" else None
        return y.reshape(n, *geometry.output_size, filters)

    def backward(self, gy):
        geometry, kernel = self.geometry, self.kernel
        per_sample = geometry.output_size[0] * geometry.output_size[1]
        gy_rows = gy.reshape(-1, kernel.shape[3])
        need_x, need_kernel = self.needs_input_grad[0], self.needs_input_grad[1]
        need_bias = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        grad_padded = xp().zeros(self.padded.shape, dtype=gy.dtype) if need_x else None

        def backpropagate(start, stop, buffer):
            """This chunk's share of dL/dkernel and dL/dbias; its dL/dx goes into grad_padded."""
            rows = slice(start * per_sample, stop * per_sample)
            buffer = buffer[:(stop - start) * per_sample]
            gy_chunk = gy_rows[rows]
            if self.activation == "relu":
                # d relu(z)/dz = [z > 0], and z > 0 exactly where y = relu(z) > 0
                gy_chunk = gy_chunk * (self.y_rows[rows] > 0)
            grad_kernel_part = grad_bias_part = None
            if need_bias:
                # dL/dbias = sum of gy over batch and positions
                grad_bias_part = gy_chunk.sum(axis=0)
            if need_kernel:
                # dL/dkernel = cols^T @ gy
                cols = im2col(self.padded[start:stop], geometry, out=buffer)
                grad_kernel_part = xp().matmul(cols.T, gy_chunk)
            if need_x:
                # dL/dcols = gy @ kernel^T; every window's gradient goes back where it was read
                grad_cols = windows_by_offset(gy_chunk, kernel, out=by_offset(buffer, kernel))
                col2im_add(grad_cols, geometry, grad_padded[start:stop])
            return grad_kernel_part, grad_bias_part

        parts = map_chunks(backpropagate, self.chunks, self.buffer_shape, gy.dtype)
        grad_x = crop_spatial(grad_padded, geometry.pads) if need_x else None
        grad_kernel = sum_in_order(part[0] for part in parts).reshape(kernel.shape) if need_kernel else None
        grad_bias = sum_in_order(part[1] for part in parts) if need_bias else None
        return grad_x, grad_kernel, grad_bias


class Conv2DTransposeFunction(Function):
    """z = conv2d_transpose(x, kernel) + bias: the adjoint of a conv2d with ``geometry``.

    ``geometry`` describes the convolution that maps an input of z's size to x's size, so the
    forward here is that convolution's input-gradient (GEMM, then col2im) and the backward
    is that convolution's forward (im2col, then GEMM).
    """

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, kernel, *bias):
        geometry = self.geometry
        n, in_channels, filters = x.shape[0], x.shape[3], kernel.shape[2]
        per_sample = x.shape[1] * x.shape[2]
        x_rows = x.reshape(-1, in_channels)
        kernel_rows = kernel.reshape(-1, in_channels)  # (kh*kw*F, C_in)
        chunks = batch_chunks(n, geometry, filters, x.dtype.itemsize)
        padded = xp().zeros((n, *geometry.padded_size, filters), dtype=x.dtype)

        def scatter_windows(start, stop, buffer):
            rows = x_rows[start * per_sample:stop * per_sample]
            windows = windows_by_offset(rows, kernel, out=by_offset(buffer[:len(rows)], kernel))
            col2im_add(windows, geometry, padded[start:stop])

        self.buffer_shape = (_largest(chunks) * per_sample, kernel_rows.shape[0])
        map_chunks(scatter_windows, chunks, self.buffer_shape, x.dtype)
        z = crop_spatial(padded, geometry.pads)
        if bias:
            z += bias[0]
        if self.needs_input_grad:
            self.x_rows, self.kernel, self.chunks = x_rows, kernel, chunks
        return z

    def backward(self, gz):
        geometry, kernel = self.geometry, self.kernel
        in_channels = kernel.shape[3]
        per_sample = geometry.output_size[0] * geometry.output_size[1]
        kernel_rows = kernel.reshape(-1, in_channels)
        need_x, need_kernel = self.needs_input_grad[0], self.needs_input_grad[1]
        grad_x = grad_kernel = grad_bias = None
        if need_x or need_kernel:
            padded = pad_spatial(gz, geometry.pads)
            grad_x_rows = xp().empty(self.x_rows.shape, dtype=gz.dtype) if need_x else None

            def convolve_gradient(start, stop, buffer):
                """This chunk's share of dL/dkernel; its dL/dx goes into grad_x_rows."""
                rows = slice(start * per_sample, stop * per_sample)
                cols = im2col(padded[start:stop], geometry, out=buffer[:(stop - start) * per_sample])
                if need_x:
                    # dL/dx = im2col(gz) @ kernel: the forward convolution of gz
                    xp().matmul(cols, kernel_rows, out=grad_x_rows[rows])
                if need_kernel:
                    # dL/dkernel = im2col(gz)^T @ x
                    return xp().matmul(cols.T, self.x_rows[rows])
                return None

            parts = map_chunks(convolve_gradient, self.chunks, self.buffer_shape, gz.dtype)
            if need_x:
                grad_x = grad_x_rows.reshape(gz.shape[0], *geometry.output_size, in_channels)
            if need_kernel:
                grad_kernel = sum_in_order(parts).reshape(kernel.shape)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            # dL/dbias = sum of gz over batch and positions
            grad_bias = gz.sum(axis=(0, 1, 2))
        return grad_x, grad_kernel, grad_bias


def by_offset(buffer, kernel):
    """A chunk's scratch ``buffer`` (rows, kh*kw*channels) viewed as (kh*kw, rows, channels),
    the layout of ``windows_by_offset`` with ``kernel`` (kh, kw, channels, ...): the same memory,
    regrouped."""
    kh, kw, channels = kernel.shape[:3]
    return buffer.reshape(kh * kw, buffer.shape[0], channels)


def _largest(chunks):
    return max(stop - start for start, stop in chunks)


# -- argument checks --------------------------------------------------------------------------

def _check_operands(x, kernel, bias, caller, rank, in_axis, x_layout, kernel_layout):
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    require_float(caller, x)
    require_float(caller, kernel, "kernel")
    for name, operand in (("kernel", kernel), ("bias", bias)):
        if operand is not None and operand.dtype != x.dtype:
            raise TypeError(
                f"{caller}: the input is {x.dtype} but the {name} is {operand.dtype}; convert one so "
                "both match (layers cast their inputs to the layer's dtype, as Keras does)"
            )
    if x.ndim != rank + 2:
        raise ValueError(f"{caller}: expected input of rank {rank + 2} {x_layout}, got shape {x.shape}")
    if kernel.ndim != rank + 2:
        raise ValueError(f"{caller}: expected a kernel of rank {rank + 2} {kernel_layout}, got shape {kernel.shape}")
    if x.shape[-1] != kernel.shape[in_axis]:
        raise ValueError(
            f"{caller}: the input has {x.shape[-1]} channels (shape {x.shape}) but the kernel "
            f"{kernel_layout} expects {kernel.shape[in_axis]} (kernel shape {kernel.shape})"
        )
    out_axis = rank + 1 if in_axis == rank else rank
    if bias is not None and bias.shape != (kernel.shape[out_axis],):
        raise ValueError(
            f"{caller}: bias must have shape ({kernel.shape[out_axis]},), one per filter, got {bias.shape}"
        )
    return x, kernel, bias


def _operands(x, kernel, bias):
    return (x, kernel) if bias is None else (x, kernel, bias)


# -- conv2d -----------------------------------------------------------------------------------

_X2D = "(batch, height, width, channels)"
_K2D = "(kernel_h, kernel_w, in_channels, filters)"


def _check_activation(activation, caller):
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(
            f"{caller}: activation must be one of {FUSED_ACTIVATIONS} (the ones fused into the convolution), "
            f"got {activation!r}; apply any other activation to the output"
        )
    return activation


def _conv2d_setup(x, kernel, bias, strides, padding, dilation, caller):
    x, kernel, bias = _check_operands(x, kernel, bias, caller, 2, 2, _X2D, _K2D)
    strides = pair(strides, "strides", caller)
    dilation = pair(dilation, "dilation", caller)
    if isinstance(padding, str):
        padding = normalize_padding(padding, caller)
    geometry = window_geometry(x.shape[1:3], kernel.shape[:2], strides, padding, dilation, caller)
    return x, kernel, bias, geometry


def conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1), caller="conv2d",
           activation=None):
    """2-D convolution (cross-correlation, as in every DL framework) of NHWC ``x`` with a
    (kh, kw, C, F) ``kernel``, plus an optional (F,) ``bias``, then optionally a fused ReLU.

    ``padding``: 'valid', 'same' (TensorFlow's rule), or explicit ((top, bottom), (left, right)).
    ``activation``: None or 'relu' (``relu(conv2d(...))`` in one pass).
    Output: (N, out_h, out_w, F).
    """
    activation = _check_activation(activation, caller)
    x, kernel, bias, geometry = _conv2d_setup(x, kernel, bias, strides, padding, dilation, caller)
    return Conv2DFunction(geometry, activation)(*_operands(x, kernel, bias))


def conv2d_reference(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1),
                     caller="conv2d_reference", activation=None):
    """``conv2d`` from primitive ops: y = sum over kernel offsets (i, j) of
    x_padded[:, i*dh::sh, j*dw::sw, :] @ kernel[i, j], plus bias, then the activation."""
    activation = _check_activation(activation, caller)
    x, kernel, bias, geometry = _conv2d_setup(x, kernel, bias, strides, padding, dilation, caller)
    if geometry.has_padding:
        x = shapes.pad(x, ((0, 0), *geometry.pads, (0, 0)))
    y = None
    for i, j in geometry.offsets:
        patch = shapes.getitem(x, geometry.window_slice(i, j))  # (N, out_h, out_w, C)
        term = math.matmul(patch, shapes.getitem(kernel, (i, j)))  # (C, F) tap of the kernel
        y = term if y is None else y + term
    if bias is not None:
        y = y + bias
    return activations.relu(y) if activation == "relu" else y


# -- conv1d: a conv2d over a height of one ----------------------------------------------------

_X1D = "(batch, steps, channels)"
_K1D = "(kernel_size, in_channels, filters)"


def _conv1d_as_2d(x, kernel, bias, strides, padding, dilation, caller):
    """Reshape the 1-D problem into a 2-D one of height 1 (views, no copies)."""
    x, kernel, bias = _check_operands(x, kernel, bias, caller, 1, 1, _X1D, _K1D)
    strides = _single(strides, "strides", caller)
    dilation = _single(dilation, "dilation", caller)
    padding = normalize_padding(padding, caller, ("valid", "same", "causal"))
    if padding == "causal":  # Keras: pad (k-1)*d on the left only, so y[t] sees x[..t] alone
        padding = ((0, 0), (dilated_size(kernel.shape[0], dilation) - 1, 0))
    x4 = shapes.reshape(x, (x.shape[0], 1, x.shape[1], x.shape[2]))
    kernel4 = shapes.reshape(kernel, (1, *kernel.shape))
    return x4, kernel4, bias, (1, strides), padding, (1, dilation)


def _single(value, name, caller):
    """An int or a 1-tuple of ints (Keras accepts both for Conv1D) as a positive int."""
    return int_tuple(value, 1, name, caller)[0]


def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation=1, caller="conv1d", activation=None):
    """1-D convolution of (N, steps, C) ``x`` with a (k, C, F) ``kernel``: (N, out_steps, F).

    ``padding``: 'valid', 'same' or 'causal' (Keras's Conv1D choices); ``activation``: None or 'relu'.
    """
    x4, kernel4, bias, strides, padding, dilation = _conv1d_as_2d(x, kernel, bias, strides, padding, dilation, caller)
    y = conv2d(x4, kernel4, bias, strides, padding, dilation, caller, activation)
    return shapes.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))


def conv1d_reference(x, kernel, bias=None, strides=1, padding="valid", dilation=1, caller="conv1d_reference",
                     activation=None):
    """``conv1d`` from primitive ops (through ``conv2d_reference``)."""
    x4, kernel4, bias, strides, padding, dilation = _conv1d_as_2d(x, kernel, bias, strides, padding, dilation, caller)
    y = conv2d_reference(x4, kernel4, bias, strides, padding, dilation, caller, activation)
    return shapes.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))


# -- conv2d_transpose -------------------------------------------------------------------------

_KT2D = "(kernel_h, kernel_w, filters, in_channels)"


def conv2d_transpose_output_size(input_size, kernel_size, strides, padding, output_padding=None, dilation=(1, 1)):
    """Keras/TensorFlow's (out_h, out_w) of a transposed convolution."""
    output_padding = (None, None) if output_padding is None else output_padding
    return tuple(
        deconv_output_length(n, k, s, padding, op, d)
        for n, k, s, op, d in zip(input_size, kernel_size, strides, output_padding, dilation)
    )


def _conv2d_transpose_setup(x, kernel, bias, strides, padding, output_padding, dilation, caller):
    x, kernel, bias = _check_operands(x, kernel, bias, caller, 2, 3, _X2D, _KT2D)
    strides = pair(strides, "strides", caller)
    dilation = pair(dilation, "dilation", caller)
    padding = normalize_padding(padding, caller)
    if output_padding is not None:
        output_padding = pair(output_padding, "output_padding", caller, minimum=0)
        if any(op >= s for op, s in zip(output_padding, strides)):
            raise ValueError(
                f"{caller}: output_padding {output_padding} must be smaller than the strides {strides} "
                "on each axis (as in Keras)"
            )
    input_size, kernel_size = x.shape[1:3], kernel.shape[:2]
    output_size = conv2d_transpose_output_size(input_size, kernel_size, strides, padding, output_padding, dilation)
    if min(output_size) < 1:
        raise ValueError(f"{caller}: the output size {output_size} is empty for input {x.shape}")
    # The convolution this op is the adjoint of maps output_size back onto input_size.
    geometry = window_geometry(output_size, kernel_size, strides, padding, dilation, caller)
    if geometry.output_size != tuple(input_size):
        raise ValueError(
            f"{caller}: with kernel {kernel_size}, strides {strides}, padding {padding!r} and "
            f"output_padding {output_padding} the output size {output_size} does not convolve back "
            f"to the input size {tuple(input_size)} (TensorFlow refuses this too); change output_padding"
        )
    return x, kernel, bias, geometry


def conv2d_transpose(x, kernel, bias=None, strides=(1, 1), padding="valid", output_padding=None,
                     dilation=(1, 1), caller="conv2d_transpose"):
    """Transposed convolution ("deconvolution") of NHWC ``x`` with a (kh, kw, F, C) ``kernel``.

    The output size follows Keras: with ``output_padding=None``, 'same' gives in * stride and
    'valid' gives in * stride + max(k - stride, 0); otherwise
    (in - 1) * stride + k - 2 * pad + output_padding with pad = k // 2 for 'same', 0 for 'valid'.
    """
    x, kernel, bias, geometry = _conv2d_transpose_setup(x, kernel, bias, strides, padding, output_padding,
                                                        dilation, caller)
    return Conv2DTransposeFunction(geometry)(*_operands(x, kernel, bias))


def _insert_zeros(x, strides):
    """(N, H, W, C) -> (N, (H-1)*sh + 1, (W-1)*sw + 1, C) with x's rows and columns spread
    ``strides`` apart and zeros between them, from reshape, pad and slicing."""
    n, height, width, channels = x.shape
    sh, sw = strides
    spread = shapes.reshape(x, (n, height, 1, width, 1, channels))
    spread = shapes.pad(spread, ((0, 0), (0, 0), (0, sh - 1), (0, 0), (0, sw - 1), (0, 0)))
    spread = shapes.reshape(spread, (n, height * sh, width * sw, channels))
    return shapes.getitem(spread, (slice(None), slice(0, (height - 1) * sh + 1), slice(0, (width - 1) * sw + 1)))


def conv2d_transpose_reference(x, kernel, bias=None, strides=(1, 1), padding="valid", output_padding=None,
                               dilation=(1, 1), caller="conv2d_transpose_reference"):
    """``conv2d_transpose`` from primitive ops, by its textbook definition: insert stride-1
    zeros between x's pixels, pad, and convolve (stride 1) with the spatially flipped kernel
    whose two channel axes are swapped."""
    x, kernel, bias, geometry = _conv2d_transpose_setup(x, kernel, bias, strides, padding, output_padding,
                                                        dilation, caller)
    spread = _insert_zeros(x, geometry.strides)
    pads = []
    for axis in range(2):
        span = dilated_size(geometry.kernel_size[axis], geometry.dilation[axis])
        before, after = geometry.pads[axis]
        # windows the forward convolution never reached (stride leftovers) receive zeros
        unreached = geometry.padded_size[axis] - ((geometry.output_size[axis] - 1) * geometry.strides[axis] + span)
        pads.append((span - 1 - before, span - 1 - after + unreached))
    flipped = shapes.transpose(shapes.flip(kernel, axis=(0, 1)), (0, 1, 3, 2))
    return conv2d_reference(spread, flipped, bias, (1, 1), tuple(pads), geometry.dilation, caller)


__all__ = [
    "Conv2DFunction", "Conv2DTransposeFunction", "conv1d", "conv1d_reference", "conv2d",
    "conv2d_reference", "conv2d_transpose", "conv2d_transpose_output_size", "conv2d_transpose_reference",
]
