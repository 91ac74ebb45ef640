"""``Communicator``: the collective operations data-parallel training needs, and the world of one.

Every rank of a data-parallel run calls the same collectives in the same order; each call
returns once every rank has made it. Training needs five:

* ``allreduce_start(buffer)`` / ``wait(handles, what)`` -- sum a buffer over the ranks, in place,
  started now and waited for later, so that a gradient bucket travels while the backward pass
  goes on; ``allreduce(array, op)`` is the blocking form (``op`` 'sum' or 'mean');
* ``broadcast(array, root)`` -- every rank gets root's values (the starting weights);
* ``allgather(array)`` -- every rank gets every rank's array, stacked on a new first axis;
* ``broadcast_object`` / ``allgather_object`` -- the same for small picklable Python values (the
  NumPy shuffling state, metric totals, the checks that the ranks train the same thing).

``what`` names the operation in the message raised if it cannot complete (a rank failed, died or
stalled), e.g. "the gradient allreduce (bucket 2 of 3) of step 41".

Implementations: ``LocalCommunicator`` (one process: every collective is the identity),
``minidl.distributed.mpi.MPICommunicator`` (host arrays over MPI) and
``minidl.distributed.nccl.NCCLCommunicator`` (device arrays over NCCL, on CuPy).
"""

import numpy as np

_OPS = ("sum", "mean")


class Communicator:
    """The interface (see the module docstring); ``rank`` and ``size`` describe the world."""

    rank = 0
    size = 1
    name = "communicator"

    def allreduce_start(self, buffer):
        """Start summing ``buffer`` over every rank, in place; returns a handle for ``wait``."""
        raise NotImplementedError

    def wait(self, handles, what):
        """Return once every started operation in ``handles`` has completed."""
        raise NotImplementedError

    def progress(self, handles):
        """Give started operations a chance to move along (MPI advances only inside its calls)."""

    def broadcast(self, array, root=0, what="a broadcast"):
        """Overwrite ``array`` with rank ``root``'s values, in place; returns ``array``."""
        raise NotImplementedError

    def allgather(self, array, what="an allgather"):
        """Every rank's ``array`` (same shape and dtype on every rank), stacked: (size, *shape)."""
        raise NotImplementedError

    def broadcast_object(self, value, root=0, what="a broadcast"):
        """Rank ``root``'s ``value`` (any picklable object) on every rank."""
        raise NotImplementedError

    def allgather_object(self, value, what="an allgather"):
        """A list of every rank's ``value``, in rank order."""
        raise NotImplementedError

    def abort(self, code=1):
        """Stop every rank now (after an error that the others cannot recover from)."""
        raise SystemExit(code)

    def allreduce(self, array, op="mean", what="an allreduce"):
        """The sum or mean of ``array`` over the ranks, as a new array (``array`` is unchanged)."""
        if op not in _OPS:
            raise ValueError(f"allreduce: op must be one of {_OPS}, got {op!r}")
        result = array.copy()
        self.wait([self.allreduce_start(result)], what)
        if op == "mean":
            if result.dtype.kind != "f":
                return result / self.size  # the mean of integers is a float
            if self.size > 1:
                result /= result.dtype.type(self.size)
        return result

    def __repr__(self):
        return f"<{type(self).__name__} rank {self.rank} of {self.size}>"


class LocalCommunicator(Communicator):
    """The world of one process: every collective returns its input."""

    name = "local"

    def allreduce_start(self, buffer):
        return None

    def wait(self, handles, what):
        return None

    def broadcast(self, array, root=0, what="a broadcast"):
        _check_root(root, self.size)
        return array

    def allgather(self, array, what="an allgather"):
        return array[None].copy() if hasattr(array, "copy") else np.asarray([array])

    def broadcast_object(self, value, root=0, what="a broadcast"):
        _check_root(root, self.size)
        return value

    def allgather_object(self, value, what="an allgather"):
        return [value]


def _check_root(root, size):
    if not isinstance(root, (int, np.integer)) or not 0 <= root < size:
        raise ValueError(f"root must be a rank in [0, {size - 1}], got {root!r}")
