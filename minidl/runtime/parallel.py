"""The CPU side of the runtime: one op's independent pieces run on every core by a small thread
pool, with BLAS held to one thread around them.

NumPy runs an elementwise op or a copy on one core, and a BLAS GEMM on all of them. The heavy
ops of a CNN (im2col copies, GEMMs, col2im adds, pooling) split naturally into chunks of a few
samples that touch disjoint memory, and NumPy releases the GIL inside each of those calls, so a
small thread pool runs the chunks side by side:

* ``sample_chunks`` cuts a batch into cache-sized (start, stop) ranges of samples and
  ``core_chunks`` into such ranges for the cores (equal, a multiple of the core count),
  ``element_ranges`` a flat array into ranges of elements (element-wise work), and
  ``row_ranges`` a matrix into ranges of whole rows (per-column statistics);
* ``map_chunks`` runs a function over them, one thread per core, each thread with its own
  scratch buffer and a single-threaded BLAS, and returns the results in chunk order (so a sum
  of the chunks' partial gradients never depends on which thread ran what);
* ``matmul_on_cores`` is a large 2-D GEMM split by rows (or columns) the same way;
  ``stacked_matmul_on_cores`` / ``summed_matmul_on_cores`` split an RNN's per-step products
  (all time steps at once) by blocks of steps, and ``sum_in_order`` adds partial sums;
* ``one_blas_thread`` holds BLAS to one thread around code making many small GEMMs in a row
  (the recurrent time loops);
* ``WorkBehind`` runs blocks of work on another core as they become ready while the caller
  goes on (an RNN's weight gradients behind its backward time loop);
* ``chunks_ahead`` is the other way round: the next chunk of work is computed on another core
  while the caller uses the current one (an RNN's input projection ahead of its forward loop);
* ``on_own_core`` marks a thread that already has a core to itself (one of several the caller
  keeps busy at once): there, ``map_chunks``, ``chunks_ahead`` and ``WorkBehind`` work inline.

Why not leave the threading to BLAS: a multi-threaded GEMM per chunk leaves a core idle during
every copy between GEMMs, and OpenBLAS's worker threads keep spinning for a while after each
call, stealing the core from whatever runs next. Running everything of an op on our threads
with BLAS held to one thread avoids both (measured on the LM-3 CNN: see benchmarks/RESULTS.md).

On a GPU there is one chunk and the pool is never used.
"""

import contextlib
import functools
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from minidl.runtime import backend, denormals
from minidl.runtime.backend import get_xp as xp
from minidl.runtime.step_buffers import reusable_empty

# Batches are processed in chunks of about this many bytes of work (an im2col matrix, a pooled
# input) on the CPU: a chunk stays in cache between being written and being used, which is
# markedly faster than one huge array, and needs a fraction of the memory. A GPU wants the
# opposite -- one large kernel -- so there the whole batch is one chunk.
CPU_CHUNK_BYTES = 2 << 20

# A product of at least this many multiply-adds is split over the cores; a smaller one is not
# worth the thread hand-off and runs as one NumPy call. (1 << 23 split LM-4's dense autoencoder's
# 12.8M-MAC products at batch 32: 9.1 ms a step against 8.2 unsplit, measured in turns on a
# 2-core Xeon; the CIFAR CNN and GB-2A steps were the same either way.)
PARALLEL_MATMUL_MIN_MACS = 1 << 24

# NumPy's ufunc buffer, in elements, in the pool's threads (``_configure_worker_thread``)
WORKER_UFUNC_BUFFER = 2048

# A batch whose work (its largest array: an im2col matrix, a pooled input) is smaller than this
# runs as one chunk on one core (``core_chunks``).
MIN_SPLIT_BYTES = 1 << 18

# Element-wise work on a large array is split into ranges of this many elements (1 MiB of
# float32 per array: a range's few arrays stay in a 2 MiB L2 cache between the passes over it).
# Each range is a handful of NumPy calls, and two threads hand the interpreter back and forth at
# every call: with ranges of 2^16 elements batch normalisation was 15-25% slower, forward and
# backward, on the 2-core Xeon ((64, 32, 32, 64) 17.2-19.3 -> 14.8-16.2 ms; (128, 3136) 2.6 ->
# 2.0), LeakyReLU 10-25% (5.2-6.2 -> 4.7-4.9 ms; 0.9 -> 0.7), the probe's VGG pair with batch
# norm 134-143 -> 131-136 ms a step; the DCGAN step did not move. An array under two ranges --
# half a million elements -- is done faster on one core than handed to two.
ELEMENT_RANGE_SIZE = 1 << 18

# OpenBLAS runs a product of at most this many multiply-adds on one thread by itself
# (SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD in its interface/gemm.c).
OPENBLAS_ONE_THREAD_MACS = 1 << 18


def sample_chunks(batch, sample_bytes):
    """(start, stop) ranges of samples of about CPU_CHUNK_BYTES each (one range on a GPU)."""
    if backend.get_backend() == "cupy" or batch == 0:
        return [(0, batch)]
    step = max(1, min(batch, CPU_CHUNK_BYTES // max(sample_bytes, 1)))
    return [(start, min(start + step, batch)) for start in range(0, batch, step)]


def core_chunks(batch, sample_bytes, split_from_bytes=None, chunk_bytes=None):
    """``sample_chunks`` for a batch that ``map_chunks`` spreads over the cores: ranges of at most
    about ``chunk_bytes`` (default CPU_CHUNK_BYTES), as many as a multiple of the cores and as
    equal as the batch allows, so that no core idles while another finishes a long last chunk.
    Work under ``split_from_bytes`` (default ``MIN_SPLIT_BYTES``) is one range: the threads'
    hand-off would cost more than they save.

    A batch that fits in one chunk is still split over the cores: one chunk runs inline with
    BLAS's own threads, and OpenBLAS's threads then spin for a while after the call, taking the
    cores from the next op's threads (a batch-32 CNN's second convolution ran at half speed).
    """
    if backend.get_backend() == "cupy" or batch == 0:
        return [(0, batch)]
    chunk_bytes = CPU_CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    largest = max(1, chunk_bytes // max(sample_bytes, 1))  # samples in a cache-sized chunk
    count = -(-batch // largest)
    if batch * sample_bytes >= (MIN_SPLIT_BYTES if split_from_bytes is None else split_from_bytes):
        workers = cpu_workers()
        count = min(-(-count // workers) * workers, batch)
    size, larger = divmod(batch, count)  # the first `larger` chunks take one sample more
    stops = [(index + 1) * size + min(index + 1, larger) for index in range(count)]
    return list(zip([0] + stops[:-1], stops))


def largest_chunk(chunks):
    """The most samples (or elements) any of the (start, stop) ``chunks`` holds: the size of the
    scratch buffer ``map_chunks`` gives each thread."""
    return max(stop - start for start, stop in chunks)


@functools.lru_cache(maxsize=1)
def cpu_workers():
    """How many threads ``map_chunks`` uses on the CPU: the cores this process may run on.

    Read once per process (a forked child reads it again): every product and chunk map asks,
    and a small model's step makes dozens of them (the sine GAN of DLW Ex 7.04: 3.7 -> 3.5 ms a
    batch with the answer kept)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=cpu_workers.cache_clear)


@functools.lru_cache(maxsize=1)
def _blas_controller():
    """threadpoolctl's handle on the BLAS that NumPy loaded (made once: finding it costs ~1 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@functools.lru_cache(maxsize=1)
def _thread_pool(workers):
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="minidl-chunks",
                              initializer=_configure_worker_thread)


def _configure_worker_thread():
    """Each pool thread's NumPy settings (a thread's own: the caller's threads keep theirs).

    NumPy 2's ufuncs copy an operand through a buffer of ``getbufsize()`` elements (8192 by
    default) when its contiguous runs are shorter than that -- a window of an image, a slice of
    rows -- and then work on the copies: an add into a conv's padded gradient (runs of
    out_w * C = 2048 floats) takes 2.5x as long as with a buffer of ``WORKER_UFUNC_BUFFER``
    elements, which lets it run along the rows in place. (Measured with NumPy 2.4: col2im of a
    3x3 64 -> 64 convolution on 32x32 images, 20.4 -> 10.3 ms for 64 samples on one core;
    mixed-dtype ops, which do need the buffer, are 5% slower at 2048 and 45% at 1024.)

    They also flush denormal floats to zero for good, as TensorFlow's threads do
    (``minidl.runtime.denormals``): they run nothing but minidl's work."""
    np.setbufsize(WORKER_UFUNC_BUFFER)
    denormals.flush_in_this_thread()


def one_blas_thread(method):
    """Decorator: run ``method`` with BLAS held to one thread (on the CPU).

    For code that makes many small GEMMs one after the other -- an RNN's time loop, one
    (4u, u) @ (u, batch) product per step. A product that small gains little from a second BLAS
    thread and pays for waking it and waiting for it; on a machine with anything else running,
    that wait made a (128, 32) @ (32, 512) product 4-8x slower than on one thread (measured
    here: 460-1050 us against 120-140 us). Work inside that uses ``map_chunks`` still runs on
    every core, through its own threads.
    """

    @functools.wraps(method)
    def with_one_blas_thread(*args, **kwargs):
        if backend.get_backend() == "cupy":
            return method(*args, **kwargs)
        with _blas_controller().limit(limits=1, user_api="blas"):
            return method(*args, **kwargs)

    return with_one_blas_thread


_thread_state = threading.local()


@contextlib.contextmanager
def on_own_core():
    """Inside: this thread is one of several the caller keeps busy on the cores at once (each
    with half of a batch, say), so work handed to "another core" would only compete with them
    (or, from a pool thread, wait for a pool that is all taken): ``another_core_is_free()`` is
    False, and ``map_chunks``, ``chunks_ahead`` and ``WorkBehind`` work inline, until the block
    ends."""
    before = getattr(_thread_state, "own_core", False)
    _thread_state.own_core = True
    try:
        yield
    finally:
        _thread_state.own_core = before


def another_core_is_free():
    """False inside ``on_own_core()`` (in this thread), on a GPU and on a single core."""
    return not getattr(_thread_state, "own_core", False) and backend.get_backend() != "cupy" and cpu_workers() > 1


def _scratch(shape, dtype):
    return None if shape is None else reusable_empty(shape, dtype)


def element_ranges(size, range_size=None):
    """(start, stop) ranges of ``range_size`` (default ``ELEMENT_RANGE_SIZE``) elements of a flat
    array of ``size``, for element-wise work run on every core by ``map_chunks``; one range on a
    GPU or for fewer than two ranges."""
    range_size = range_size or ELEMENT_RANGE_SIZE
    if backend.get_backend() == "cupy" or size < 2 * range_size:
        return [(0, size)]
    return [(start, min(start + range_size, size)) for start in range(0, size, range_size)]


def row_ranges(rows, row_size, range_size=None):
    """(start, stop) ranges of whole rows of a (rows, row_size) array, about ``range_size``
    (default ``ELEMENT_RANGE_SIZE``) elements each, for row-wise work run on every core by
    ``map_chunks`` (a per-channel statistic summed range by range); one range on a GPU or for
    fewer than two ranges."""
    range_size = range_size or ELEMENT_RANGE_SIZE
    step = max(1, range_size // max(row_size, 1))
    if backend.get_backend() == "cupy" or rows < 2 * step:
        return [(0, rows)]
    return [(start, min(start + step, rows)) for start in range(0, rows, step)]


def map_chunks(work, chunks, buffer_shape=None, dtype=None):
    """``[work(start, stop, buffer) for (start, stop) in chunks]``, run on every CPU core.

    ``buffer`` is a scratch array of ``buffer_shape`` owned by the thread running the chunk
    (big enough for the largest chunk; ``work`` slices what it needs), or None when no
    ``buffer_shape`` is given. ``work`` must only write memory that belongs to its own chunk.
    Results come back in chunk order. On a GPU, with one chunk, or in a thread ``on_own_core``, it
    is a plain loop.
    """
    workers = min(cpu_workers(), len(chunks))
    if workers <= 1 or not another_core_is_free():
        buffer = _scratch(buffer_shape, dtype)
        return [work(start, stop, buffer) for start, stop in chunks]
    pending = queue.SimpleQueue()
    for index in range(len(chunks)):
        pending.put(index)
    results = [None] * len(chunks)

    def worker():
        buffer = _scratch(buffer_shape, dtype)
        while True:
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            results[index] = work(*chunks[index], buffer)

    with _blas_controller().limit(limits=1, user_api="blas"):
        futures = [_thread_pool(cpu_workers()).submit(worker) for _ in range(workers)]
        for future in futures:
            future.result()  # re-raises a worker's exception here
    return results


def matmul_on_cores(a, b):
    """``a @ b`` for 2-D arrays; a large product is split into blocks run by ``map_chunks``.

    The blocks are rows of the result (a[rows] @ b) or, when the result is wider than tall,
    columns (a @ b[:, columns]): independent products, so the result is that of one GEMM up to
    the order BLAS sums in. ``a`` and ``b`` may be transposed views.
    """
    rows, inner = a.shape
    columns = b.shape[1]
    workers = cpu_workers()
    macs = rows * inner * columns
    if backend.get_backend() == "cupy" or workers <= 1 or macs <= OPENBLAS_ONE_THREAD_MACS:
        return a @ b
    if macs < PARALLEL_MATMUL_MIN_MACS:
        # Too small to split, yet big enough that OpenBLAS would wake its own threads, which then
        # spin for a while and take a core from the next split product's threads (GB-2A's model:
        # a step of 18 ms instead of 11): one BLAS thread.
        with _blas_controller().limit(limits=1, user_api="blas"):
            return a @ b
    out = reusable_empty((rows, columns), xp().result_type(a, b))
    by_rows = rows >= columns
    length = rows if by_rows else columns
    step = -(-length // workers)

    def multiply(start, stop, _):
        if by_rows:
            xp().matmul(a[start:stop], b, out=out[start:stop])
        else:
            xp().matmul(a, b[:, start:stop], out=out[:, start:stop])

    map_chunks(multiply, [(start, min(start + step, length)) for start in range(0, length, step)])
    return out


def _time_blocks(length, macs):
    """(start, stop) blocks of a stack of ``length`` products, one or two per core, or None when
    the whole job (``macs`` multiply-adds) is too small to be worth the threads."""
    workers = cpu_workers()
    if backend.get_backend() == "cupy" or workers <= 1 or length < 2 or macs < PARALLEL_MATMUL_MIN_MACS:
        return None
    step = -(-length // (2 * workers))
    return [(start, min(start + step, length)) for start in range(0, length, step)]


def stacked_matmul_on_cores(a, b, add=None):
    """``a @ b (+ add)`` where at least one operand is a (T, m, k) / (T, k, n) stack of matrices
    and the other a stack of the same T or one 2-D matrix: the T products split over the cores.

    An RNN's input projection (every time step's x_t W + b at once) and its input gradient are
    such stacks; each product is small, so NumPy's loop over them would otherwise use one core.
    ``add`` (broadcastable to one product, e.g. a bias column) is added to each block while it is
    still in cache.
    """
    stack = a if a.ndim == 3 else b
    length, rows, columns = stack.shape[0], a.shape[-2], b.shape[-1]
    blocks = _time_blocks(length, length * rows * a.shape[-1] * columns)
    if blocks is None:
        product = xp().matmul(a, b)
        if add is not None:
            product += add
        return product
    out = reusable_empty((length, rows, columns), xp().result_type(a, b))

    def multiply(start, stop, _):
        a_block = a[start:stop] if a.ndim == 3 else a
        b_block = b[start:stop] if b.ndim == 3 else b
        xp().matmul(a_block, b_block, out=out[start:stop])
        if add is not None:
            out[start:stop] += add

    map_chunks(multiply, blocks)
    return out


def summed_matmul_on_cores(a, b):
    """``sum over t of a[t] @ b[t]`` for stacks (T, m, k) and (T, k, n): a weight gradient summed
    over time steps. Each core sums a block of steps; the blocks' sums are added in order."""
    length, rows, columns = a.shape[0], a.shape[1], b.shape[2]
    blocks = _time_blocks(length, length * rows * a.shape[2] * columns)
    if blocks is None:
        return xp().matmul(a, b).sum(axis=0)

    def multiply_and_sum(start, stop, _):
        return xp().matmul(a[start:stop], b[start:stop]).sum(axis=0)

    return sum_in_order(map_chunks(multiply_and_sum, blocks))


class WorkBehind:
    """Blocks of work done on another core as they become ready, while the calling thread goes
    on with something else; ``results()`` has the caller help with what is left, and returns the
    blocks' results in the order they were handed over (so sums of them are deterministic).

    Meant for a caller that runs a Python loop of small NumPy calls (an RNN's backward time
    loop) beside large calls on the other core (its weight-gradient GEMMs): those release the GIL
    for their whole length, so the two overlap. On a GPU or a single core, the blocks simply run
    in ``results()``.
    """

    def __init__(self, work):
        self.work = work
        self.pending = queue.SimpleQueue()
        self.results_by_block = []
        self.helper = None
        self.in_background = another_core_is_free()

    def add(self, *args):
        """Hand over one block: ``work(*args)`` will run on a pool thread (or in ``results()``)."""
        self.results_by_block.append(None)
        self.pending.put((len(self.results_by_block) - 1, args))
        if self.in_background and (self.helper is None or self.helper.done()):
            if self.helper is not None:
                self.helper.result()  # re-raise what went wrong there
            self.helper = _thread_pool(cpu_workers()).submit(self._work_through_pending)

    def _work_through_pending(self):
        while True:
            try:
                index, args = self.pending.get_nowait()
            except queue.Empty:
                return
            self.results_by_block[index] = self.work(*args)

    def results(self):
        """Every block's result, in hand-over order, once all are done."""
        self._work_through_pending()  # a block still waiting runs here, beside the helper's last one
        if self.helper is not None:
            self.helper.result()
        results = self.results_by_block
        # Done: drop the work and the helper's future. ``work`` is usually a bound method of an
        # object that holds this one (a reference cycle); left in place, the cycle -- and the
        # arrays it reaches -- would wait for the garbage collector instead of going at once.
        self.work = self.helper = self.results_by_block = None
        return results


def chunks_ahead(work, chunks, on_another_core=True):
    """``(first, stop, work(first, stop))`` for each (first, stop) of ``chunks``, in order; while the
    caller uses one chunk's result, the next chunk's is computed on another core (unless
    ``on_another_core`` is False: then each chunk is computed when it is reached).

    Meant for a producer of large GIL-free calls (an RNN's input projection, one GEMM per chunk
    of steps) feeding a Python loop of small calls (the forward time loop): the two overlap, and
    each chunk is still in cache when the loop reads it. On a GPU or a single core the chunks
    are simply computed in turn.
    """
    if not on_another_core or not another_core_is_free():
        for first, stop in chunks:
            yield first, stop, work(first, stop)
        return
    pool = _thread_pool(cpu_workers())
    upcoming = pool.submit(work, *chunks[0]) if chunks else None
    for index, (first, stop) in enumerate(chunks):
        result = upcoming.result()
        if index + 1 < len(chunks):
            upcoming = pool.submit(work, *chunks[index + 1])
        yield first, stop, result


def sum_in_order(parts):
    """Partial sums from ``map_chunks`` added in chunk order, so the total never depends on which
    thread ran what."""
    total = None
    for part in parts:
        total = part if total is None else total + part
    return total
