"""``NCCLCommunicator``: the collectives on GPU arrays, over NCCL through CuPy's bindings.

One process per GPU, as in ChainerMN and Horovod: rank r uses GPU ``local_rank % GPUs``. NCCL
moves the gradient buckets GPU to GPU (NVLink, PCIe, InfiniBand) without a round trip through
host memory; MPI is still there for what NCCL cannot do: handing every rank the NCCL id that
rank 0 created (``get_unique_id``), and the small pickled Python objects.

A collective is enqueued on a CUDA stream of its own, after an event that marks the end of the
work already queued on the computing stream (the gradients it sums), so the backward pass and
the allreduce of earlier buckets run side by side on the GPU. ``wait`` polls the collective's
completion event under the watchdog: if another rank failed or the deadline passes, the NCCL
communicator is aborted (``ncclCommAbort``) so that no kernel waits forever, and the error is
raised.

The CuPy calls used (``cupy.cuda.nccl``: ``get_unique_id``, ``NcclCommunicator(ndev, id, rank)``
and its ``allReduce`` / ``bcast`` / ``allGather`` with a stream pointer, ``abort``; ``cupy.cuda``
streams, events and devices) are those documented for CuPy 12-14. The module never imports
CuPy itself: it is given the active backend's module (``minidl.backend.get_xp()``).
"""

import numpy as np

from minidl.distributed.communicator import Communicator, _check_root


def device_pointer(array):
    """The device address of a CuPy array's first element."""
    return array.data.ptr


def nccl_dtype(nccl, dtype):
    """NCCL's constant for a NumPy dtype (the float types gradients come in)."""
    table = {
        np.dtype(np.float16): nccl.NCCL_FLOAT16,
        np.dtype(np.float32): nccl.NCCL_FLOAT32,
        np.dtype(np.float64): nccl.NCCL_FLOAT64,
        np.dtype(np.int32): nccl.NCCL_INT32,
        np.dtype(np.int64): nccl.NCCL_INT64,
        np.dtype(np.uint8): nccl.NCCL_UINT8,
    }
    try:
        return table[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"NCCL collectives support {sorted(d.name for d in table)}, got {np.dtype(dtype).name}") from None


def select_device(cupy, local_rank):
    """Make GPU ``local_rank % count`` this process's current device; returns its id."""
    count = cupy.cuda.runtime.getDeviceCount()
    if count == 0:
        raise RuntimeError("minidl.distributed: the cupy backend is active but no GPU is visible")
    device_id = local_rank % count
    cupy.cuda.Device(device_id).use()
    return device_id


class _Enqueued:
    __slots__ = ("done",)

    def __init__(self, done):
        self.done = done


class NCCLCommunicator(Communicator):
    """Collectives on CuPy arrays over NCCL; ``mpi`` (an MPICommunicator) for ids and objects."""

    name = "nccl"

    def __init__(self, mpi, cupy, local_rank):
        self.mpi = mpi
        self.cupy = cupy
        self.nccl = cupy.cuda.nccl
        self.rank = mpi.rank
        self.size = mpi.size
        self.device_id = select_device(cupy, local_rank)
        unique_id = self.nccl.get_unique_id() if self.rank == 0 else None
        unique_id = mpi.broadcast_object(unique_id, 0, "the broadcast of NCCL's id from rank 0")
        self.comm = self.nccl.NcclCommunicator(self.size, unique_id, self.rank)
        self.stream = cupy.cuda.Stream(non_blocking=True)

    def _after_queued_work(self):
        """Make the NCCL stream wait for everything queued so far on the current stream."""
        queued = self.cupy.cuda.Event(disable_timing=True)
        queued.record(self.cupy.cuda.get_current_stream())
        self.stream.wait_event(queued)

    def _done_event(self):
        done = self.cupy.cuda.Event(disable_timing=True)
        done.record(self.stream)
        return _Enqueued(done)

    # -- arrays -----------------------------------------------------------------------------------
    def allreduce_start(self, buffer):
        self._after_queued_work()
        pointer = device_pointer(buffer)
        self.comm.allReduce(pointer, pointer, buffer.size, nccl_dtype(self.nccl, buffer.dtype),
                            self.nccl.NCCL_SUM, self.stream.ptr)
        return self._done_event()

    def wait(self, handles, what):
        events = [handle.done for handle in handles if handle is not None]
        self.mpi.watchdog.wait(lambda: self._completed(events), what, on_timeout=self.comm.abort)
        current = self.cupy.cuda.get_current_stream()
        for event in events:
            current.wait_event(event)

    def _completed(self, events):
        if not all(event.done for event in events):
            try:
                self.mpi.watchdog.check_notices()
            except Exception:
                self.comm.abort()  # the collective would never finish: release the GPU
                raise
            self.comm.check_async_error()
            return False
        return True

    def broadcast(self, array, root=0, what="a broadcast"):
        _check_root(root, self.size)
        self._after_queued_work()
        self.comm.bcast(device_pointer(array), array.size, nccl_dtype(self.nccl, array.dtype), root, self.stream.ptr)
        self.wait([self._done_event()], what)
        return array

    def allgather(self, array, what="an allgather"):
        source = self.cupy.ascontiguousarray(array)
        gathered = self.cupy.empty((self.size,) + tuple(source.shape), dtype=source.dtype)
        self._after_queued_work()
        self.comm.allGather(device_pointer(source), device_pointer(gathered), source.size,
                            nccl_dtype(self.nccl, source.dtype), self.stream.ptr)
        self.wait([self._done_event()], what)
        return gathered

    # -- Python objects travel over MPI ------------------------------------------------------------
    def broadcast_object(self, value, root=0, what="a broadcast"):
        return self.mpi.broadcast_object(value, root, what)

    def allgather_object(self, value, what="an allgather"):
        return self.mpi.allgather_object(value, what)

    def abort(self, code=1):
        try:
            self.comm.abort()
        finally:
            self.mpi.abort(code)
