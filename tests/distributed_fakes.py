"""Stand-ins for the distributed tests: an in-process MPI, a two-rank communicator, and CuPy's
NCCL bindings running on NumPy arrays.

* ``FakeMPI`` / ``FakeComm``: the few mpi4py calls the ``Watchdog`` makes, with requests the
  test completes (or never completes) by hand.
* ``MirrorCommunicator``: a world of two in one process, in which the other rank always sends
  exactly what this one sends (so a sum doubles a buffer); it records what was started when.
* ``fake_cupy(...)``: ``cupy.cuda`` with ``nccl`` (unique id, communicator with allReduce /
  bcast / allGather on raw pointers, abort), streams, events and devices, on host memory. The
  pointers are NumPy addresses (``array.ctypes.data``); with ``sum_over`` (an mpi4py
  communicator) allReduce really sums over the MPI ranks, so the NCCL code path can train.
"""

import ctypes
import types

import numpy as np

from minidl.distributed.communicator import Communicator


class FakeRequest:
    def __init__(self, done=False):
        self.done = done
        self.cancelled = False
        self.source = 0

    def Test(self, status=None):  # noqa: N802 - mpi4py's name
        if self.done and status is not None:
            status.source = self.source
        return self.done

    def Cancel(self):  # noqa: N802
        self.cancelled = True

    def Wait(self):  # noqa: N802
        return None


class FakeStatus:
    def __init__(self):
        self.source = None

    def Get_source(self):  # noqa: N802
        return self.source


class FakeComm:
    def __init__(self, rank=0, size=2):
        self.rank, self.size = rank, size
        self.notice = None  # the Irecv request of the watchdog's notice channel
        self.notice_buffer = None
        self.sent = []

    def Get_rank(self):  # noqa: N802
        return self.rank

    def Get_size(self):  # noqa: N802
        return self.size

    def Dup(self):  # noqa: N802
        return self

    def Irecv(self, buffer, source=None, tag=None):  # noqa: N802
        self.notice_buffer = buffer[0]
        self.notice = FakeRequest()
        return self.notice

    def Issend(self, buffer, dest=None, tag=None):  # noqa: N802
        self.sent.append((dest, bytes(buffer[0]).split(b"\0", 1)[0].decode()))
        return FakeRequest(done=True)

    def Free(self):  # noqa: N802
        return None

    def deliver_notice(self, source, text):
        """Another rank's failure notice arrives."""
        encoded = text.encode()
        self.notice_buffer[:len(encoded)] = encoded
        self.notice.source = source
        self.notice.done = True


class FakeMPI:
    BYTE = "byte"
    ANY_SOURCE = -1
    Status = FakeStatus

    class Request:
        @staticmethod
        def Testall(requests):  # noqa: N802
            return all(request.done for request in requests)


class MirrorCommunicator(Communicator):
    """Rank ``rank`` of a world of two whose other rank mirrors this one (module docstring)."""

    name = "mirror"

    def __init__(self, rank=0, other_checksums=None):
        self.rank, self.size = rank, 2
        self.started = []  # the buffers started, in order
        self.completed = 0
        self.other_checksums = other_checksums  # what the other rank reports in the weight check

    def allreduce_start(self, buffer):
        self.started.append(buffer)
        return buffer

    def wait(self, handles, what):
        for buffer in handles:
            buffer *= 2  # this rank's part plus the other's (the same)
            self.completed += 1

    def broadcast(self, array, root=0, what="a broadcast"):
        return array

    def allgather(self, array, what="an allgather"):
        return np.stack([array, array])

    def broadcast_object(self, value, root=0, what="a broadcast"):
        return value

    def allgather_object(self, value, what="an allgather"):
        if self.other_checksums is not None and "same weights" in what:
            return [value, self.other_checksums]
        return [value, value]


# -- CuPy's NCCL on host memory ------------------------------------------------------------------

def host_pointer(array):
    return array.ctypes.data


_CTYPES = {0: ctypes.c_uint8, 2: ctypes.c_int32, 4: ctypes.c_int64, 6: ctypes.c_uint16, 7: ctypes.c_float,
           8: ctypes.c_double}
_NUMPY = {0: np.uint8, 2: np.int32, 4: np.int64, 6: np.float16, 7: np.float32, 8: np.float64}


def _array_at(pointer, count, datatype):
    raw = (_CTYPES[datatype] * count).from_address(pointer)
    return np.frombuffer(raw, dtype=_NUMPY[datatype], count=count)


class FakeEvent:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.recorded_on = None
        self.polls_before_done = 0

    def record(self, stream=None):
        self.recorded_on = stream

    @property
    def done(self):
        if self.polls_before_done > 0:
            self.polls_before_done -= 1
            return False
        return True


class FakeStream:
    count = 0

    def __init__(self, non_blocking=False):
        FakeStream.count += 1
        self.ptr = 1000 + FakeStream.count
        self.waited_for = []

    def wait_event(self, event):
        self.waited_for.append(event)


class FakeNcclCommunicator:
    def __init__(self, ndev, unique_id, rank, sum_over=None, log=None):
        self.ndev, self.unique_id, self.rank = ndev, unique_id, rank
        self.sum_over = sum_over
        self.log = log if log is not None else []
        self.aborted = False

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):  # noqa: N802 - CuPy's name
        self.log.append(("allReduce", sendbuf, recvbuf, count, datatype, op, stream))
        data = _array_at(recvbuf, count, datatype)
        if self.sum_over is not None:
            from mpi4py import MPI

            self.sum_over.Allreduce(MPI.IN_PLACE, data, op=MPI.SUM)

    def bcast(self, buff, count, datatype, root, stream):
        self.log.append(("bcast", buff, count, datatype, root, stream))
        if self.sum_over is not None:
            self.sum_over.Bcast(_array_at(buff, count, datatype), root=root)

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):  # noqa: N802
        self.log.append(("allGather", sendbuf, recvbuf, count, datatype, stream))
        source = _array_at(sendbuf, count, datatype)
        target = _array_at(recvbuf, count * self.ndev, datatype)
        if self.sum_over is not None:
            self.sum_over.Allgather(source.copy(), target)
        else:
            target[:] = np.tile(source, self.ndev)

    def check_async_error(self):
        return None

    def abort(self):
        self.aborted = True


def fake_cupy(devices=1, sum_over=None):
    """A module shaped like ``cupy`` for NCCLCommunicator (see the module docstring)."""
    state = types.SimpleNamespace(unique_ids=0, current_device=None, communicators=[], events=[], log=[])

    def get_unique_id():
        state.unique_ids += 1
        return b"fake-nccl-id-%d" % state.unique_ids

    def make_communicator(ndev, unique_id, rank):
        communicator = FakeNcclCommunicator(ndev, unique_id, rank, sum_over=sum_over, log=state.log)
        state.communicators.append(communicator)
        return communicator

    class Device:
        def __init__(self, device_id):
            self.id = device_id

        def use(self):
            state.current_device = self.id

    def make_event(*args, **kwargs):
        event = FakeEvent(*args, **kwargs)
        state.events.append(event)
        return event

    current_stream = FakeStream()
    nccl = types.SimpleNamespace(
        get_unique_id=get_unique_id, NcclCommunicator=make_communicator, NCCL_SUM=0, NCCL_UINT8=0,
        NCCL_INT32=2, NCCL_INT64=4, NCCL_FLOAT16=6, NCCL_FLOAT32=7, NCCL_FLOAT64=8,
    )
    cuda = types.SimpleNamespace(
        nccl=nccl, Device=Device, Stream=FakeStream, Event=make_event, get_current_stream=lambda: current_stream,
        runtime=types.SimpleNamespace(getDeviceCount=lambda: devices),
    )
    return types.SimpleNamespace(cuda=cuda, state=state, current_stream=current_stream,
                                 ascontiguousarray=np.ascontiguousarray, empty=np.empty)
