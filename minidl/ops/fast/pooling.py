"""The fast poolings: ``FastMaxPool2D`` and ``FastAvgPool2D``, what ``minidl.ops.max_pool2d`` and
``avg_pool2d`` run by default.

They must equal the readable forms in ``minidl/ops/reference/pooling.py`` (im2col, then a max
or a mean of each window's row; col2im back -- read those first), and compute the same
numbers without ever building the im2col matrix: they loop over the pool's window offsets
only (4 for a 2x2 pool), each offset one vectorised operation over a chunk of samples, the
chunks on every CPU core. Max pooling remembers which offset won each window (the first
maximum, TensorFlow's tie rule) as a small integer, and routes the gradient there. When the
windows tile the input (a 2x2 pool with stride 2), both write each offset's gradient straight
into its place: no zero fill, no adds. Overlapping windows hand their offsets' shares to the
convolutions' ``col2im`` (``fast/im2col.py``), laid out as its blocks, chunk by chunk on the cores
(for a mean, every offset's share is the same block, seen kh*kw times).
"""

import functools

import numpy as np

from minidl.autograd.function import Function, xp
from minidl.ops.fast.im2col import col2im
from minidl.ops.windows import crop_spatial, pad_spatial, padding_buffer, window_counts
from minidl.runtime import backend
from minidl.runtime.parallel import core_chunks, largest_chunk, map_chunks
from minidl.runtime.step_buffers import reusable_empty

# -- max pooling ------------------------------------------------------------------------------

class FastMaxPool2D(Function):
    """Window maxima, remembering (while recording) which offset of each window won.
    Must equal ``MaxPool2D`` (``minidl/ops/reference/pooling.py``)."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        geometry = self.geometry
        record = bool(self.needs_input_grad)
        index_dtype = np.uint8 if len(geometry.offsets) <= 255 else np.int32
        n, channels = x.shape[0], x.shape[3]
        padded = padding_buffer(x, geometry)
        y = reusable_empty((n, *geometry.output_size, channels), x.dtype)
        winner = reusable_empty(y.shape, index_dtype) if record else None

        def pool(start, stop, _):
            # each chunk pads its own samples (-inf: padding never wins) just before reading them
            padded_chunk = pad_spatial(x[start:stop], geometry.pads, value=-np.inf, out=padded[start:stop])
            y_chunk = y[start:stop]
            if record:
                candidate = xp().empty(y_chunk.shape, dtype=index_dtype)
                # "this offset beats the maximum so far" goes straight into the candidate's bytes
                # when they are one byte each: a uint8 multiply then makes it the offset's index,
                # twice as fast as a bool-by-uint8 one
                in_place = candidate.itemsize == 1
                greater = candidate.view(bool) if in_place else xp().empty(y_chunk.shape, dtype=bool)
            for index, (i, j) in enumerate(geometry.offsets):
                window = padded_chunk[geometry.window_slice(i, j)]
                if index == 0:
                    y_chunk[...] = window
                    if record:
                        winner[start:stop] = 0
                    continue
                if record:
                    # strictly greater: the first maximum keeps its place. The offsets come in
                    # increasing order, so winner = max(winner, index * [window > y]) moves the
                    # winner to this offset exactly where it beats the maximum so far (a masked
                    # copy would do the same some ten times slower)
                    xp().greater(window, y_chunk, out=greater)
                    xp().multiply(candidate if in_place else greater, index_dtype(index), out=candidate)
                    xp().maximum(winner[start:stop], candidate, out=winner[start:stop])
                xp().maximum(y_chunk, window, out=y_chunk)

        map_chunks(pool, _pool_chunks(padded))
        self.winner, self.x_shape = winner, x.shape
        return y

    def backward(self, gy):
        geometry = self.geometry
        n, _, _, channels = self.x_shape
        if _windows_tile(geometry):
            return crop_spatial(self._tiled_backward(gy, n, channels), geometry.pads)
        padded = reusable_empty((n, *geometry.padded_size, channels), gy.dtype)  # col2im writes all of it
        per_sample = geometry.output_size[0] * geometry.output_size[1]  # windows per sample

        def route(start, stop, blocks):
            blocks = blocks[:, :(stop - start) * per_sample]
            for index in range(len(geometry.offsets)):
                # d max(window) / d window[k] = 1 for the winning k, 0 for the others
                won = self.winner[start:stop] == index
                xp().multiply(gy[start:stop], won, out=blocks[index].reshape(won.shape))
            col2im(blocks, geometry, out=padded[start:stop])  # each offset's share back where it was read

        chunks = _pool_chunks(padded)
        map_chunks(route, chunks, (len(geometry.offsets), largest_chunk(chunks) * per_sample, channels), gy.dtype)
        return crop_spatial(padded, geometry.pads)

    def _tiled_backward(self, gy, n, channels):
        """The common case -- windows side by side, e.g. a 2x2 pool with stride 2 -- where every
        input element lies in exactly one window: each offset's gradient is written straight into
        its place in a (n, out_h, kh, out_w, kw, channels) view, with no zero fill and no adds."""
        (kh, kw), (out_h, out_w) = self.geometry.kernel_size, self.geometry.output_size
        grad = reusable_empty((n, out_h, kh, out_w, kw, channels), gy.dtype)

        def route(start, stop, _):
            for index, (i, j) in enumerate(self.geometry.offsets):
                # d max(window) / d window[k] = 1 for the winning k, 0 for the others
                won = self.winner[start:stop] == index
                xp().multiply(gy[start:stop], won, out=grad[start:stop, :, i, :, j, :])

        map_chunks(route, core_chunks(n, gy[:1].nbytes * kh * kw))
        return grad.reshape(n, out_h * kh, out_w * kw, channels)


def _pool_chunks(padded):
    """Cache-sized chunks of samples; pooling runs them in parallel (``map_chunks``)."""
    return core_chunks(padded.shape[0], padded[:1].nbytes)


def _windows_tile(geometry):
    """True when the windows cover the padded input exactly once (stride = pool size)."""
    return (
        tuple(geometry.strides) == tuple(geometry.kernel_size) and tuple(geometry.dilation) == (1, 1)
        and tuple(geometry.padded_size) == tuple(o * k for o, k in zip(geometry.output_size, geometry.kernel_size))
    )


# -- average pooling --------------------------------------------------------------------------

def _divisor(geometry, dtype):
    """The window size as a number, or a (1, out_h, out_w, 1) device array when 'same' padding
    makes the border windows smaller."""
    if not geometry.has_padding:
        return float(np.prod(geometry.kernel_size))
    return _device_counts(geometry, np.dtype(dtype).name, backend.get_backend())


@functools.lru_cache(maxsize=64)
def _device_counts(geometry, dtype_name, backend_name):
    """The window counts moved to the device once per geometry, dtype and backend."""
    return backend.to_device(window_counts(geometry).astype(dtype_name)[None, :, :, None])


class FastAvgPool2D(Function):
    """Window means: the sum over the window offsets divided by each window's real size.
    Must equal ``AvgPool2D`` (``minidl/ops/reference/pooling.py``)."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        geometry = self.geometry
        divisor = _divisor(geometry, x.dtype)
        padded = padding_buffer(x, geometry)
        total = reusable_empty((x.shape[0], *geometry.output_size, x.shape[3]), x.dtype)

        def average(start, stop, _):
            # each chunk pads its own samples (zeros: they add nothing) just before reading them
            padded_chunk = pad_spatial(x[start:stop], geometry.pads, out=padded[start:stop])
            total_chunk = total[start:stop]
            for index, (i, j) in enumerate(geometry.offsets):
                window = padded_chunk[geometry.window_slice(i, j)]
                if index == 0:
                    total_chunk[...] = window
                else:
                    total_chunk += window
            total_chunk /= divisor

        map_chunks(average, _pool_chunks(padded))
        self.divisor, self.x_shape = divisor, x.shape
        return total

    def backward(self, gy):
        geometry = self.geometry
        n, _, _, channels = self.x_shape
        (kh, kw), (out_h, out_w) = geometry.kernel_size, geometry.output_size
        if _windows_tile(geometry):  # every element in one window: its share, written in place
            share = gy / self.divisor  # d mean(window) / d window[k] = 1 / (window count)
            grad = reusable_empty((n, out_h, kh, out_w, kw, channels), gy.dtype)
            grad[...] = share[:, :, None, :, None, :]
            return crop_spatial(grad.reshape(n, *geometry.padded_size, channels), geometry.pads)
        padded = reusable_empty((n, *geometry.padded_size, channels), gy.dtype)  # col2im writes all of it
        per_sample = out_h * out_w

        def spread(start, stop, share):
            share = share[:(stop - start) * per_sample].reshape(stop - start, out_h, out_w, channels)
            xp().divide(gy[start:stop], self.divisor, out=share)  # d mean(window) / d window[k] = 1 / count
            # every offset of a window receives the same share: col2im of one block seen kh*kw times
            blocks = xp().broadcast_to(share.reshape(1, -1, channels), (kh * kw, share.size // channels, channels))
            col2im(blocks, geometry, out=padded[start:stop])

        chunks = _pool_chunks(padded)
        map_chunks(spread, chunks, (largest_chunk(chunks) * per_sample, channels), gy.dtype)
        return crop_spatial(padded, geometry.pads)
