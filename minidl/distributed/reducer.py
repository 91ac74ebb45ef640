"""``GradientReducer``: every rank's gradients summed, bucket by bucket, during the backward pass.

One step on every rank:

1. During ``loss.backward()`` the autograd engine announces each weight whose gradient is
   complete (``engine.leaf_grad_ready_hooks``). The reducer copies it, scaled by this rank's
   share of the batch, into its bucket; when a bucket is full -- and every bucket before it has
   been started, so that all ranks start the same allreduces in the same order -- its allreduce
   starts, while backprop goes on through the earlier layers.
2. ``reduce(pairs)``, called by the optimizer's step, packs whatever was not announced (a
   weight without gradient, a gradient replaced after backward, a second backward pass that
   accumulated into ``.grad``), starts the remaining buckets, waits for all of them under the
   watchdog, and returns the summed gradients -- views into the buckets, valid until the next
   step.

A gradient replaced after it was packed is noticed (the reducer keeps the very array it packed)
and its bucket is summed again; so gradient accumulation and hand-made changes to ``.grad``
before the step stay correct, only without overlap.

The first ``reduce`` for a set of weights checks that every rank has the same weights (shapes
and dtypes) and the same values (a per-weight checksum): different starting weights would
silently train different models, so that is an error naming
``minidl.distributed.broadcast_parameters``.

Every backward pass through watched weights starts allreduces, so every rank must make the same
backward passes: a pass on some ranks only (a saliency map under ``if rank == 0``) would start
collectives the others never join. Make such a pass on every rank, or through a model whose
optimizer was created with ``overlap=False`` (then nothing starts before the step).
"""

import time
import weakref

import numpy as np

from minidl.autograd import engine
from minidl.distributed import buckets as bucket_layout
from minidl.distributed.consistency import check_same_on_every_rank, ranks_unlike_rank_0
from minidl.errors import RankMismatchError
from minidl.runtime import backend


class GradientReducer:
    """Sums gradients across the ranks of ``communicator`` (see the module docstring)."""

    def __init__(self, communicator, bucket_bytes=bucket_layout.DEFAULT_BUCKET_BYTES, overlap=True):
        self.communicator = communicator
        self.bucket_bytes = int(bucket_bytes)
        self.overlap = bool(overlap)
        self.buckets = []
        self._weights = []
        self._slots = {}  # id(weight) -> (weight, bucket, slot)
        self._share = None  # (rows, global rows) of this rank in the step's batch; None: an equal share
        self.steps = 0
        self.communicated_bytes = 0  # per rank, summed over the steps
        self.waited_seconds = 0.0  # time spent waiting for allreduces after the backward pass

    # -- the layout -------------------------------------------------------------------------------
    def _prepare(self, weights):
        if len(weights) == len(self._weights) and all(a is b for a, b in zip(weights, self._weights)):
            return
        self._wait(self.buckets, "a step whose trained weights then changed")  # MPI still owns those buffers
        _stop_watching(self)
        check_same_on_every_rank(self.communicator, _weight_signature(weights), "the trained weights",
                                 "weights: check that every rank builds the same model")
        sums = _weight_checksums(weights)
        gathered = self.communicator.allgather_object(sums, "the check that every rank starts from the same weights")
        differing = ranks_unlike_rank_0(gathered)
        if differing:
            raise RankMismatchError(
                f"minidl.distributed: the weights on rank(s) {differing} differ from rank 0's before the first "
                "step; call minidl.distributed.broadcast_parameters(params, root=0) before training (fit under "
                "a DataParallel strategy does this by itself)"
            )
        self._weights = list(weights)
        self.buckets = [bucket_layout.Bucket(index, group)
                        for index, group in enumerate(bucket_layout.layout(weights, self.bucket_bytes))]
        self._slots = {id(weight): (weight, bucket, slot)
                       for bucket in self.buckets for slot, weight in enumerate(bucket.weights)}
        if self.overlap and self.communicator.size > 1:
            _watch(self, weights)

    # -- this rank's share of the batch -----------------------------------------------------------
    def set_batch_share(self, rows, global_rows):
        """This rank holds ``rows`` of the step's ``global_rows``; its gradient is weighted by
        rows / global_rows. Without a call, every rank's gradient weighs 1 / size."""
        if global_rows <= 0 or not 0 <= rows <= global_rows:
            raise ValueError(f"set_batch_share: need 0 <= rows <= global_rows and global_rows > 0, got {rows}, {global_rows}")
        self._share = (int(rows), int(global_rows))

    def _scale(self):
        if self._share is None:
            return 1.0 / self.communicator.size
        rows, global_rows = self._share
        return rows / global_rows

    # -- during backward --------------------------------------------------------------------------
    def grad_ready(self, weight):
        """The engine's announcement: ``weight.grad`` is complete for this backward pass."""
        entry = self._slots.get(id(weight))
        if entry is None or entry[0] is not weight:
            return
        _, bucket, slot = entry
        if bucket.handle is not None or bucket.packed[slot] is not None:
            return  # packed already (a second backward pass): reduce() sees the new gradient
        bucket.pack(slot, weight.grad, self._scale())
        self._start_complete_buckets()
        self.communicator.progress([b.handle for b in self.buckets if b.handle is not None])

    def _start_complete_buckets(self):
        for bucket in self.buckets:
            if bucket.handle is None:
                if not bucket.complete:
                    return  # a later bucket must wait, so that every rank starts them in one order
                bucket.handle = self.communicator.allreduce_start(bucket.buffer)

    # -- the step ---------------------------------------------------------------------------------
    def reduce(self, pairs, what="a step"):
        """``[(summed gradient or None, weight)]`` for ``[(gradient or None, weight)]``."""
        weights = [weight for _, weight in pairs]
        self._prepare(weights)
        grads = {id(weight): grad for grad, weight in pairs}
        scale = self._scale()
        repeat = []
        for bucket in self.buckets:
            for slot, weight in enumerate(bucket.weights):
                grad = grads[id(weight)]
                if bucket.handle is None and not bucket.holds(slot, grad):
                    bucket.pack(slot, grad, scale)
            if bucket.handle is not None and not all(bucket.holds(s, grads[id(w)]) for s, w in enumerate(bucket.weights)):
                repeat.append(bucket)
        self._start_complete_buckets()
        started = time.perf_counter()
        self._wait(self.buckets, what)
        for bucket in repeat:  # gradients changed after their bucket had started: sum them again
            for slot, weight in enumerate(bucket.weights):
                bucket.pack(slot, grads[id(weight)], scale)
            bucket.handle = self.communicator.allreduce_start(bucket.buffer)
        self._wait(repeat, what)
        self.waited_seconds += time.perf_counter() - started
        summed = {}
        for bucket in self.buckets:
            for weight, grad in zip(bucket.weights, bucket.unpacked([w.dtype for w in bucket.weights])):
                summed[id(weight)] = grad
            self.communicated_bytes += bucket.nbytes * (2 if bucket in repeat else 1)
            bucket.clear()
        self._share = None
        self.steps += 1
        return [(summed[id(weight)], weight) for weight in weights]

    def _wait(self, waiting, what):
        handles = [bucket.handle for bucket in waiting if bucket.handle is not None]
        if handles:
            count = len(self.buckets)
            self.communicator.wait(handles, f"the gradient allreduce ({count} bucket{'s' * (count > 1)}) of {what}")

    def close(self):
        _stop_watching(self)


def _weight_signature(weights):
    return [(tuple(weight.shape), np.dtype(weight.dtype).name) for weight in weights]


def _weight_checksums(weights):
    """One float64 sum per weight, read back in one transfer."""
    if not weights:
        return []
    xp = backend.get_xp()
    sums = xp.stack([weight.data.astype(np.float64).sum() for weight in weights])
    return backend.to_numpy(sums).tolist()


# -- who hears the engine's announcements -----------------------------------------------------------
_watchers = {}  # id(weight) -> WeakSet of reducers watching that weight


def _announce(weight):
    reducers = _watchers.get(id(weight))
    if reducers:
        for reducer in list(reducers):
            reducer.grad_ready(weight)


def _watch(reducer, weights):
    for weight in weights:
        _watchers.setdefault(id(weight), weakref.WeakSet()).add(reducer)
    reducer._watched = [id(weight) for weight in weights]
    weakref.finalize(reducer, _forget, list(reducer._watched))
    if _announce not in engine.leaf_grad_ready_hooks:
        engine.leaf_grad_ready_hooks.append(_announce)


def _stop_watching(reducer):
    watched = getattr(reducer, "_watched", None)
    if watched:
        for key in watched:
            reducers = _watchers.get(key)
            if reducers is not None:
                reducers.discard(reducer)
        reducer._watched = []
        _forget([])


def _forget(keys):
    """Drop emptied entries; without any reducer left, unhook from the engine (free again).
    (Listing a WeakSet skips reducers already collected, which its length may still count.)"""
    for key in list(keys) + list(_watchers):
        if key in _watchers and not list(_watchers[key]):
            del _watchers[key]
    if not _watchers and _announce in engine.leaf_grad_ready_hooks:
        engine.leaf_grad_ready_hooks.remove(_announce)
