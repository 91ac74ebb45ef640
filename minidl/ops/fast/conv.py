"""The fast convolutions: ``FastConv2D`` and ``FastConv2DTranspose``, what ``minidl.ops.conv2d``
and ``conv2d_transpose`` run by default.

They must equal the readable forms in ``minidl/ops/reference/conv.py`` (im2col, one matrix
product, col2im -- read those first) and compute the same three pieces, made fast:

* the batch goes through in cache-sized chunks of a few samples (``batch_chunks``), on every
  CPU core (``map_chunks``), each thread reusing one im2col buffer; backward rebuilds each
  chunk's windows into that buffer rather than keeping the whole im2col matrix (kh*kw times
  the input) in memory between forward and backward. On a GPU the batch is one chunk;
* im2col is one strided copy and col2im adds offset by offset (``fast/im2col.py``);
* ``activation='relu'`` is fused into the same pass: y = max(cols @ kernel + bias, 0) is applied
  to each chunk while it is still in cache, and backward first masks gy with
  d relu(z)/dz = [z > 0] = [y > 0] -- the numbers of a separate ReLU op, without two more trips
  through memory over the largest activation of a CNN;
* with fewer filters than input channels (stride 1), the windows are taken of the side with F
  channels rather than of the input: forward by output offsets when F <= C/4, backward by the
  windows of the output gradient when F <= C (``fast/conv_few_filters.py``).
"""

from minidl.autograd.function import Function, xp
from minidl.ops.fast import conv_few_filters as few_filters
from minidl.ops.fast.column_sums import column_sums
from minidl.ops.fast.im2col import batch_chunks, col2im, im2col, windows_by_offset
from minidl.ops.windows import crop_spatial, pad_spatial, padding_buffer
from minidl.runtime.parallel import largest_chunk, map_chunks, sum_in_order
from minidl.runtime.step_buffers import reusable_empty


class FastConv2D(Function):
    """y = activation(conv2d(x, kernel) + bias) with a fixed window geometry; bias is optional,
    activation is None or 'relu'.

    The batch runs in chunks (``batch_chunks``) through one reused im2col buffer. Backward
    rebuilds each chunk's windows into that buffer -- cheaper, on a CPU, than keeping the whole
    im2col matrix (kh*kw times the input) in memory between forward and backward. Few filters
    take the forms of ``conv_few_filters`` instead (the module docstring says when).

    Must equal ``Conv2D`` (``minidl/ops/reference/conv.py``), followed by the ReLU op for 'relu'.
    """

    def __init__(self, geometry, activation=None):
        self.geometry = geometry
        self.activation = activation

    def forward(self, x, kernel, *bias):
        geometry = self.geometry
        n, channels, filters = x.shape[0], x.shape[3], kernel.shape[3]
        out_h, out_w = geometry.output_size
        per_sample = out_h * out_w
        y = reusable_empty((n * per_sample, filters), x.dtype)
        padded = None  # the forward by output offsets reads x unpadded
        if few_filters.sums_output_offsets(geometry, channels, filters):
            chunks = few_filters.few_filter_chunks(n, geometry, channels, filters, x.dtype.itemsize)
            buffer_shape = few_filters.offset_products_shape(geometry, largest_chunk(chunks), filters)

            def convolve_chunk(start, stop, buffer):
                y_chunk = y[start * per_sample:stop * per_sample].reshape(stop - start, out_h, out_w, filters)
                few_filters.convolve_by_output_offsets(x[start:stop], kernel, geometry, y_chunk, buffer)
        else:
            # each chunk pads its own samples on its core, just before im2col reads them (backward
            # reads the whole padded batch again)
            padded = padding_buffer(x, geometry)
            kernel_rows = kernel.reshape(-1, filters)  # (kh*kw*C, F): a view, Keras's layout as is
            chunks = batch_chunks(n, geometry, channels, filters, x.dtype.itemsize)
            buffer_shape = (largest_chunk(chunks) * per_sample, kernel_rows.shape[0])

            def convolve_chunk(start, stop, buffer):
                padded_chunk = pad_spatial(x[start:stop], geometry.pads, out=padded[start:stop])
                cols = im2col(padded_chunk, geometry, out=buffer[:(stop - start) * per_sample])
                xp().matmul(cols, kernel_rows, out=y[start * per_sample:stop * per_sample])

        def convolve(start, stop, buffer):
            convolve_chunk(start, stop, buffer)
            y_chunk = y[start * per_sample:stop * per_sample]
            if bias:
                y_chunk += bias[0]
            if self.activation == "relu":
                xp().maximum(y_chunk, 0, out=y_chunk)

        map_chunks(convolve, chunks, buffer_shape, x.dtype)
        if self.needs_input_grad:
            self.kernel = kernel
            # the backward by the gradient's windows needs x, im2col's the padded x (a forward by
            # output offsets, F <= C/4, always has the former: F <= C)
            if few_filters.correlates_gradient(geometry, channels, filters):
                self.x, self.padded = x, None
            else:
                self.x, self.padded = None, padded
            self.y_rows = y if self.activation == "relu" else None
        return y.reshape(n, out_h, out_w, filters)

    def backward(self, gy):
        need_x, need_kernel = self.needs_input_grad[0], self.needs_input_grad[1]
        need_bias = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        if self.x is not None:
            return self._backward_by_gradient_windows(gy, need_x, need_kernel, need_bias)
        return self._backward_by_input_windows(gy, need_x, need_kernel, need_bias)

    def _backward_by_input_windows(self, gy, need_x, need_kernel, need_bias):
        """im2col's backward: dL/dkernel = cols^T @ gy, and dL/dx = col2im(gy @ kernel^T)."""
        geometry, kernel, padded = self.geometry, self.kernel, self.padded
        channels, filters = kernel.shape[2], kernel.shape[3]
        grad_padded = reusable_empty(padded.shape, gy.dtype) if need_x else None  # col2im writes all of it
        chunks = batch_chunks(gy.shape[0], geometry, channels, filters, gy.dtype.itemsize)
        per_sample = geometry.output_size[0] * geometry.output_size[1]

        def backpropagate(start, stop, buffer):
            """This chunk's share of dL/dkernel and dL/dbias; its dL/dx goes into grad_padded."""
            gy_chunk = self._output_gradient(gy, start, stop)
            buffer = buffer[:len(gy_chunk)]
            grad_kernel_part = None
            if need_kernel:
                # dL/dkernel = cols^T @ gy
                cols = im2col(padded[start:stop], geometry, out=buffer)
                grad_kernel_part = xp().matmul(cols.T, gy_chunk)
            if need_x:
                # dL/dcols = gy @ kernel^T; every window's gradient goes back where it was read
                grad_cols = windows_by_offset(gy_chunk, kernel, out=by_offset(buffer, kernel))
                col2im(grad_cols, geometry, out=grad_padded[start:stop])
            return grad_kernel_part, _bias_gradient_part(gy_chunk, need_bias)

        parts = map_chunks(backpropagate, chunks, (largest_chunk(chunks) * per_sample, channels * len(geometry.offsets)),
                           gy.dtype)
        grad_x = crop_spatial(grad_padded, geometry.pads) if need_x else None
        grad_kernel = sum_in_order(part[0] for part in parts).reshape(kernel.shape) if need_kernel else None
        return grad_x, grad_kernel, _bias_gradient(parts, need_bias)

    def _backward_by_gradient_windows(self, gy, need_x, need_kernel, need_bias):
        """The few-filters backward (``conv_few_filters``): with the windows of gy around every
        input position, dL/dx = windows @ flipped kernel rows and dL/dkernel = x^T @ windows."""
        geometry, kernel, x = self.geometry, self.kernel, self.x
        channels, filters = kernel.shape[2], kernel.shape[3]
        out_h, out_w = geometry.output_size
        # every position's dL/dx is written (zero where no window reaches): no zero fill first
        grad_x = reusable_empty(x.shape, gy.dtype) if need_x else None
        flipped_rows = few_filters.flipped_kernel_rows(kernel) if need_x else None
        chunks = few_filters.few_filter_chunks(x.shape[0], geometry, channels, filters, gy.dtype.itemsize)

        def backpropagate(start, stop, buffer):
            """This chunk's share of dL/dkernel (flipped offsets) and dL/dbias; its dL/dx goes into grad_x."""
            gy_chunk = self._output_gradient(gy, start, stop)
            x_rows = x[start:stop].reshape(-1, channels)
            windows = few_filters.gradient_windows(gy_chunk.reshape(stop - start, out_h, out_w, filters), geometry,
                                                   out=buffer[:len(x_rows)])
            grad_kernel_part = None
            if need_kernel:
                # dL/dkernel = x^T @ windows
                grad_kernel_part = xp().matmul(x_rows.T, windows)
            if need_x:
                # dL/dx = windows @ flipped kernel rows: every offset's share, summed in the GEMM
                xp().matmul(windows, flipped_rows, out=grad_x[start:stop].reshape(len(x_rows), channels))
            return grad_kernel_part, _bias_gradient_part(gy_chunk, need_bias)

        per_sample = x.shape[1] * x.shape[2]
        parts = map_chunks(backpropagate, chunks, (largest_chunk(chunks) * per_sample, filters * len(geometry.offsets)),
                           gy.dtype)
        grad_kernel = None
        if need_kernel:
            grad_kernel = few_filters.kernel_gradient(sum_in_order(part[0] for part in parts), kernel.shape)
        return grad_x, grad_kernel, _bias_gradient(parts, need_bias)

    def _output_gradient(self, gy, start, stop):
        """gy's rows for samples [start, stop), through the fused ReLU's derivative if any."""
        per_sample = gy.shape[1] * gy.shape[2]
        rows = slice(start * per_sample, stop * per_sample)
        gy_chunk = gy.reshape(-1, gy.shape[3])[rows]
        if self.activation == "relu":
            # d relu(z)/dz = [z > 0], and z > 0 exactly where y = relu(z) > 0
            gy_chunk = gy_chunk * (self.y_rows[rows] > 0)
        return gy_chunk


def _bias_gradient_part(gy_chunk, need_bias):
    """A chunk's share of dL/dbias: the sum of its gy over samples and positions."""
    return column_sums(gy_chunk) if need_bias else None


def _bias_gradient(parts, need_bias):
    return sum_in_order(part[1] for part in parts) if need_bias else None


class FastConv2DTranspose(Function):
    """z = conv2d_transpose(x, kernel) + bias: the adjoint of a conv2d with ``geometry``.

    ``geometry`` describes the convolution that maps an input of z's size to x's size, so the
    forward here is that convolution's input-gradient (GEMM, then col2im) and the backward
    is that convolution's forward (im2col, then GEMM).

    Must equal ``Conv2DTranspose`` (``minidl/ops/reference/conv.py``).
    """

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, kernel, *bias):
        geometry = self.geometry
        n, in_channels, filters = x.shape[0], x.shape[3], kernel.shape[2]
        per_sample = x.shape[1] * x.shape[2]
        x_rows = x.reshape(-1, in_channels)
        kernel_rows = kernel.reshape(-1, in_channels)  # (kh*kw*F, C_in)
        chunks = batch_chunks(n, geometry, filters, in_channels, x.dtype.itemsize)
        padded = reusable_empty((n, *geometry.padded_size, filters), x.dtype)  # col2im writes all of it

        def scatter_windows(start, stop, buffer):
            rows = x_rows[start * per_sample:stop * per_sample]
            windows = windows_by_offset(rows, kernel, out=by_offset(buffer[:len(rows)], kernel))
            col2im(windows, geometry, out=padded[start:stop])

        self.buffer_shape = (largest_chunk(chunks) * per_sample, kernel_rows.shape[0])
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
            padded = padding_buffer(gz, geometry)
            grad_x_rows = reusable_empty(self.x_rows.shape, gz.dtype) if need_x else None

            def convolve_gradient(start, stop, buffer):
                """This chunk's share of dL/dkernel; its dL/dx goes into grad_x_rows."""
                rows = slice(start * per_sample, stop * per_sample)
                padded_chunk = pad_spatial(gz[start:stop], geometry.pads, out=padded[start:stop])  # on this core
                cols = im2col(padded_chunk, geometry, out=buffer[:(stop - start) * per_sample])
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
            grad_bias = column_sums(gz.reshape(-1, gz.shape[-1]))
        return grad_x, grad_kernel, grad_bias


def by_offset(buffer, kernel):
    """A chunk's scratch ``buffer`` (rows, kh*kw*channels) viewed as (kh*kw, rows, channels),
    the layout of ``windows_by_offset`` with ``kernel`` (kh, kw, channels, ...): the same memory,
    regrouped."""
    kh, kw, channels = kernel.shape[:3]
    return buffer.reshape(kh * kw, buffer.shape[0], channels)
