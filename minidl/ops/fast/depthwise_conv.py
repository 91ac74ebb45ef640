"""The fast depthwise convolution: ``FastDepthwiseConv2D``, what ``minidl.ops.depthwise_conv2d``
runs by default.

It must equal the readable form in ``minidl/ops/reference/depthwise_conv.py`` (im2col, then a sum
over each window's taps per channel -- read that first). It makes the same sums without the
im2col matrix, which is kh*kw times the input: ``einsum`` reads the windows through a strided
view of the padded input (``strided_windows``, no copy), over chunks of a few samples that stay
in cache, the chunks on every CPU core (``map_chunks``). With windows[n, h, w, i, j, c] the
input under tap (i, j) of output position (h, w)::

    y[n, h, w, c, m]  = sum over i, j of windows[n, h, w, i, j, c] * K[i, j, c, m]  + b[c, m]
    dL/dK[i, j, c, m] = sum over n, h, w of windows[n, h, w, i, j, c] * dL/dy[n, h, w, c, m]

-- one einsum each per chunk. dL/dx, the adjoint of reading the windows: with stride 1 (and
'valid' or 'same' padding), every input position meets the windows around it in dL/dy, so dL/dx
is the same kind of sum over the windows of dL/dy (padded by the kernel's span less one, less the
input's own padding) with the kernel flipped -- the few-filters convolution's trick
(``conv_few_filters.gradient_window_view``), again one einsum. Otherwise each tap's gradient is
added back where the tap read, tap by tap.

It runs on the CPU only (``fast_form_applies``): a GPU wants one large kernel, not chunks, and
CuPy's einsum cannot write into a given array; there the readable form runs.

The two forms agree to rounding: einsum may group a window's sums differently, and the chunks'
shares of dL/dK and dL/db are added at the end.
"""

from minidl.autograd.function import Function, xp
from minidl.ops.fast.column_sums import column_sums
from minidl.ops.fast.conv_few_filters import fits_gradient_windows, gradient_window_view
from minidl.ops.fast.im2col import has_strided_views, strided_windows
from minidl.ops.windows import crop_spatial, pad_spatial, padding_buffer
from minidl.runtime import backend
from minidl.runtime.parallel import core_chunks, largest_chunk, map_chunks, sum_in_order
from minidl.runtime.step_buffers import reusable_empty

# A chunk's input is a quarter of the usual chunk size (``CPU_CHUNK_BYTES``): its einsum also
# reads the kernel and writes an output about as large, and backward reads the gradient too.
ARRAYS_PER_CHUNK = 4


def fast_form_applies():
    """Whether ``FastDepthwiseConv2D`` runs: on the CPU, where the backend makes strided views."""
    return backend.get_backend() != "cupy" and has_strided_views()


class FastDepthwiseConv2D(Function):
    """y = depthwise(x, K) + b for x (N, H, W, C), K (kh, kw, C, M), b (C * M,) with a fixed
    window geometry. Must equal ``DepthwiseConv2D`` (``minidl/ops/reference/depthwise_conv.py``)."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, kernel, bias):
        geometry = self.geometry
        n, channels, multiplier = x.shape[0], x.shape[3], kernel.shape[3]
        padded = padding_buffer(x, geometry)
        windows = strided_windows(padded, geometry)  # a view: each chunk pads its samples before reading them
        y = reusable_empty((n, *geometry.output_size, channels, multiplier), x.dtype)
        bias_by_multiplier = bias.reshape(channels, multiplier)

        def convolve(start, stop, _):
            pad_spatial(x[start:stop], geometry.pads, out=padded[start:stop])
            for m in range(multiplier):
                # y[n, h, w, c, m] = sum_ij windows[n, h, w, i, j, c] K[i, j, c, m]
                xp().einsum("nhwijc,ijc->nhwc", windows[start:stop], kernel[..., m], out=y[start:stop, ..., m])
            y[start:stop] += bias_by_multiplier

        self.chunks = core_chunks(n, ARRAYS_PER_CHUNK * max(padded[:1].nbytes, y[:1].nbytes))
        map_chunks(convolve, self.chunks)
        if self.needs_input_grad:
            self.x_shape, self.windows, self.kernel = x.shape, windows, kernel
        return y.reshape(n, *geometry.output_size, channels * multiplier)

    def backward(self, gy):
        geometry, kernel = self.geometry, self.kernel
        need_x, need_kernel, need_bias = self.needs_input_grad
        channels, multiplier = kernel.shape[2], kernel.shape[3]
        g = gy.reshape(*gy.shape[:3], channels, multiplier)
        grad_x = reusable_empty(self.x_shape, gy.dtype) if need_x else None
        by_windows = fits_gradient_windows(geometry)
        add_input_gradient = self._input_gradient_by_windows(gy, grad_x) if by_windows \
            else self._input_gradient_by_taps(g, grad_x)

        def backpropagate(start, stop, buffer):
            """This chunk's share of dL/dK and dL/db; its dL/dx goes into grad_x."""
            grad_kernel = grad_bias = None
            if need_kernel:
                grad_kernel = xp().empty(kernel.shape, dtype=gy.dtype)
                for m in range(multiplier):
                    # dy/dK[i, j, c, m] = windows[..., i, j, c]: summed over the chunk's samples and positions
                    xp().einsum("nhwijc,nhwc->ijc", self.windows[start:stop], g[start:stop, ..., m],
                                out=grad_kernel[..., m])
            if need_bias:
                grad_bias = column_sums(gy[start:stop].reshape(-1, gy.shape[3]))  # dy/db = 1 everywhere
            if need_x:
                add_input_gradient(start, stop, buffer)
            return grad_kernel, grad_bias

        scratch = None  # tap by tap, each chunk adds into a padded scratch of its own
        if need_x and not by_windows:
            scratch = (largest_chunk(self.chunks), *geometry.padded_size, channels)
        parts = map_chunks(backpropagate, self.chunks, scratch, gy.dtype)
        grad_kernel = sum_in_order(part[0] for part in parts) if need_kernel else None
        grad_bias = sum_in_order(part[1] for part in parts) if need_bias else None
        return grad_x, grad_kernel, grad_bias

    def _input_gradient_by_windows(self, gy, grad_x):
        """Stride 1: dL/dx[n, r, s, c] = sum over i, j, m of the windows of dL/dy around (r, s),
        padded so that every tap that read x[r, s] is in them, times the kernel flipped."""
        geometry, kernel = self.geometry, self.kernel
        n, channels, multiplier = gy.shape[0], kernel.shape[2], kernel.shape[3]
        g_windows = gradient_window_view(gy, geometry).reshape(n, *geometry.input_size, *geometry.kernel_size,
                                                               channels, multiplier)
        flipped = kernel[::-1, ::-1]

        def add(start, stop, _):
            grad = grad_x[start:stop]
            xp().einsum("nhwijc,ijc->nhwc", g_windows[start:stop, ..., 0], flipped[..., 0], out=grad)
            for m in range(1, multiplier):
                grad += xp().einsum("nhwijc,ijc->nhwc", g_windows[start:stop, ..., m], flipped[..., m])

        return add

    def _input_gradient_by_taps(self, g, grad_x):
        """Otherwise (a stride, or padding wider than the kernel's span less one): each tap's gradient,
        sum over m of dL/dy[..., c, m] K[i, j, c, m], added back where the tap read (the adds of
        col2im, one tap at a time) into a padded scratch."""
        geometry, kernel, multiplier = self.geometry, self.kernel, self.kernel.shape[3]

        def add(start, stop, grad_padded):
            grad_padded = grad_padded[:stop - start]
            grad_padded.fill(0)
            for i, j in geometry.offsets:
                tap_gradient = g[start:stop, ..., 0] * kernel[i, j, :, 0]
                for m in range(1, multiplier):
                    tap_gradient += g[start:stop, ..., m] * kernel[i, j, :, m]
                grad_padded[geometry.window_slice(i, j)] += tap_gradient
            grad_x[start:stop] = crop_spatial(grad_padded, geometry.pads)

        return add
