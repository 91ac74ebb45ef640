"""The collectives as functions, on the communicator that suits the active backend.

    import minidl.distributed as dist
    mean_loss = dist.allreduce(np.array([loss]), op="mean")
    dist.broadcast(weights_array, root=0)
    every_ranks_accuracy = dist.allgather(np.array([accuracy]))

On the NumPy (and simulated-device) backend the arrays travel over MPI; on CuPy they travel
over NCCL, GPU to GPU (``default_communicator()``), with MPI only to exchange NCCL's id and for
the small Python objects. In a world of one process every collective returns its input.
"""

from minidl.distributed import world as world_module
from minidl.runtime import backend

_nccl_communicators = {}  # per world: NCCL's communicator is made once (it is costly)


def default_communicator():
    """NCCL for CuPy arrays when several processes train together, else the world's own (MPI or local)."""
    current = world_module.init()
    if current.size > 1 and backend.get_backend() == "cupy":
        communicator = _nccl_communicators.get(id(current))
        if communicator is None:
            from minidl.distributed.nccl import NCCLCommunicator

            communicator = NCCLCommunicator(current.communicator, backend.get_xp(), current.local_rank)
            _nccl_communicators[id(current)] = communicator
            backend.set_backend("cupy")  # the device's random generator again, now on this rank's GPU
        return communicator
    return current.communicator


def host_communicator():
    """The world's communicator for host arrays and Python objects (MPI, or the world of one)."""
    return world_module.init().communicator


def allreduce(array, op="mean"):
    """The mean (or ``op='sum'``) of ``array`` over every rank, as a new array."""
    return default_communicator().allreduce(array, op, "minidl.distributed.allreduce")


def broadcast(array, root=0):
    """Overwrite ``array`` in place with rank ``root``'s values; returns it."""
    return default_communicator().broadcast(array, root, "minidl.distributed.broadcast")


def allgather(array):
    """Every rank's ``array`` stacked along a new first axis, in rank order."""
    return default_communicator().allgather(array, "minidl.distributed.allgather")


def broadcast_object(value, root=0):
    """Rank ``root``'s picklable ``value`` on every rank."""
    return host_communicator().broadcast_object(value, root, "minidl.distributed.broadcast_object")


def allgather_object(value):
    """A list of every rank's picklable ``value``, in rank order."""
    return host_communicator().allgather_object(value, "minidl.distributed.allgather_object")
