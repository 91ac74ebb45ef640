"""Gradient buckets: the gradients of many weights packed into a few flat buffers.

An allreduce costs a fixed latency plus its bytes over the bandwidth, so summing each weight's
gradient on its own would pay the latency once per weight. Gradients are therefore copied into
contiguous buckets of about ``bucket_bytes`` each, and a bucket is summed in one allreduce.
Weights are assigned in reverse order -- the last layer first -- because backprop produces the
last layers' gradients first: the first bucket is complete, and can travel, while the earlier
layers are still being differentiated.

Each bucket's buffer holds the gradients, each multiplied by this rank's share of the batch as
it is copied in (``rows / B``, so the allreduce's sum is the whole batch's gradient), followed
by one presence flag per weight: 1 when this rank has a gradient for it, 0 when not. After the
sum a flag of 0 means no rank had a gradient, and the weight is left out of the update exactly
as in one process (rather than being updated with a zero gradient).
"""

import numpy as np

from minidl.runtime import backend

DEFAULT_BUCKET_BYTES = 1 << 20

_MISSING = object()  # packed: this rank had no gradient for the weight


def communication_dtype(dtype):
    """float16 gradients travel as float32 (MPI has no half type; the sum is also more exact)."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def layout(weights, bucket_bytes=DEFAULT_BUCKET_BYTES):
    """Group ``weights`` into buckets: lists of weights of one communication dtype, in reverse
    order, each at most ``bucket_bytes`` (a larger weight gets a bucket of its own)."""
    if bucket_bytes <= 0:
        raise ValueError(f"bucket_bytes must be positive, got {bucket_bytes}")
    closed = []
    open_groups = {}  # dtype -> (weights, bytes)
    for weight in reversed(list(weights)):
        dtype = communication_dtype(weight.dtype)
        size = int(np.prod(weight.shape, dtype=np.int64)) * dtype.itemsize
        group, used = open_groups.get(dtype, ([], 0))
        if group and used + size > bucket_bytes:
            closed.append(group)
            group, used = [], 0
        group.append(weight)
        open_groups[dtype] = (group, used + size)
    closed.extend(group for group, _ in open_groups.values())
    return closed


class Bucket:
    """One flat buffer of gradients and presence flags, and what has been packed this step."""

    def __init__(self, index, weights):
        self.index = index
        self.weights = list(weights)
        self.dtype = communication_dtype(self.weights[0].dtype)
        self.shapes = [weight.shape for weight in self.weights]
        sizes = [int(np.prod(shape, dtype=np.int64)) for shape in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.size = self.offsets[-1]
        xp = backend.get_xp()
        self.buffer = xp.zeros(self.size + len(self.weights), dtype=self.dtype)
        self.packed = [None] * len(self.weights)  # per slot: the gradient packed, _MISSING, or None
        self.handle = None  # the started allreduce, while it runs

    @property
    def nbytes(self):
        return int(self.buffer.nbytes)

    def view(self, slot):
        """The part of the buffer that holds weight ``slot``'s gradient, in its shape."""
        return self.buffer[self.offsets[slot]:self.offsets[slot + 1]].reshape(self.shapes[slot])

    def pack(self, slot, grad, scale):
        """Copy ``grad`` (or zeros for None) times ``scale`` into the buffer; set the flag."""
        view = self.view(slot)
        if grad is None:
            view[...] = 0
            self.buffer[self.size + slot] = 0
            self.packed[slot] = _MISSING
            return
        if scale == 1:
            view[...] = grad
        else:
            backend.get_xp().multiply(grad, self.dtype.type(scale), out=view)
        self.buffer[self.size + slot] = 1
        self.packed[slot] = grad

    def holds(self, slot, grad):
        """True if what was packed into ``slot`` is ``grad`` (the very array, or both None)."""
        packed = self.packed[slot]
        return packed is _MISSING if grad is None else packed is grad

    @property
    def complete(self):
        return all(packed is not None for packed in self.packed)

    def unpacked(self, weight_dtypes):
        """Per slot: the summed gradient (a view of the buffer, in the weight's dtype) or None
        where no rank had one."""
        flags = backend.to_numpy(self.buffer[self.size:])
        grads = []
        for slot, dtype in enumerate(weight_dtypes):
            if flags[slot] == 0:
                grads.append(None)
                continue
            view = self.view(slot)
            grads.append(view if view.dtype == dtype else view.astype(dtype))
        return grads

    def clear(self):
        self.packed = [None] * len(self.weights)
        self.handle = None
