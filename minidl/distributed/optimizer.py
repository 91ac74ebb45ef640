"""The low-level face: a distributed optimizer wrapper and the broadcasts that start training.

Horovod's and PyTorch DDP's design, for a training loop written by hand::

    import minidl
    import minidl.distributed as dist

    dist.init()                                          # under mpiexec: rank and size
    params = model.parameters()
    dist.broadcast_parameters(params, root=0)            # every rank starts from rank 0's weights
    opt = dist.DistributedOptimizer(minidl.optimizers.Adam(params, learning_rate=1e-3))
    for start in range(0, n, global_batch):
        first, last = dist.local_rows(start, min(start + global_batch, n))
        opt.zero_grad()
        loss = loss_fn(model(x[first:last]), y[first:last])
        loss.backward()                                  # gradient buckets start their allreduce
        opt.step()                                       # waits, then updates with the average

``step()`` (and ``apply_gradients`` / ``minimize``, the Keras and TensorFlow faces) averages the
gradients over the ranks -- in buckets, started during the backward pass -- and then lets the
wrapped optimizer update the weights with the average, so every rank takes the same step and the
weights stay identical. Clipping (``clipnorm`` ...) applies to the averaged gradient, as in one
process. When the ranks hold different numbers of rows of a step's batch (the last batch of an
epoch), call ``opt.set_batch_share(rows, global_rows)`` before ``backward()`` so that each rank's
gradient is weighted by its rows; otherwise every rank weighs the same.

The wrapper is itself an ``Optimizer``: learning rate, iterations and state are the wrapped
optimizer's, read and set through it.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.distributed.buckets import DEFAULT_BUCKET_BYTES
from minidl.distributed.collectives import default_communicator, host_communicator
from minidl.distributed.consistency import check_same_on_every_rank
from minidl.distributed.reducer import GradientReducer
from minidl.optimizers import replicas
from minidl.optimizers.base import Optimizer
from minidl.runtime import backend

_OWN_ATTRIBUTES = ("optimizer", "reducer", "communicator")


class DistributedOptimizer(Optimizer):
    """Wraps ``optimizer`` so that every update uses the gradient averaged over all ranks.

    ``bucket_bytes``: gradients are summed in buckets of about this size (1 MiB by default);
    ``overlap``: start a bucket's allreduce as soon as its gradients are ready during backward
    (False: all at the step). ``communicator``: default NCCL on CuPy, MPI otherwise.
    """

    def __init__(self, optimizer, bucket_bytes=DEFAULT_BUCKET_BYTES, overlap=True, communicator=None):
        if isinstance(optimizer, DistributedOptimizer):
            raise TypeError("DistributedOptimizer: the optimizer is already a DistributedOptimizer")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"DistributedOptimizer: expected a minidl optimizer (e.g. minidl.optimizers.Adam(params)), "
                f"got {type(optimizer).__name__}"
            )
        communicator = communicator or default_communicator()
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "communicator", communicator)
        reducer = GradientReducer(communicator, bucket_bytes, overlap) if communicator.size > 1 else None
        object.__setattr__(self, "reducer", reducer)

    # Everything not defined here is the wrapped optimizer's: learning_rate, iterations, params...
    def __getattr__(self, name):
        return getattr(object.__getattribute__(self, "optimizer"), name)

    def __setattr__(self, name, value):
        if name in _OWN_ATTRIBUTES:
            object.__setattr__(self, name, value)
        else:
            setattr(self.optimizer, name, value)

    # -- the update ---------------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Average each gradient over the ranks, then apply the averages (see the class docstring)."""
        pairs = list(grads_and_vars)
        if self.reducer is None:  # a world of one: exactly the wrapped optimizer
            return self.optimizer.apply_gradients(pairs)
        checked = []
        for position, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(
                    f"{self.name}.apply_gradients: expected (gradient, weight) pairs, got "
                    f"{type(pair).__name__} at position {position}"
                )
            grad, weight = pair
            checked.append((None if grad is None else self.optimizer._checked_grad(grad, weight), weight))
        averaged = self.reducer.reduce(checked, f"step {self.optimizer.iterations + 1}")
        with replicas.averaging_with(None):  # averaged already (even inside a custom train_step)
            return self.optimizer.apply_gradients(averaged)

    def set_batch_share(self, rows, global_rows):
        """This rank holds ``rows`` of the next step's ``global_rows`` (see the module docstring)."""
        if self.reducer is not None:
            self.reducer.set_batch_share(rows, global_rows)

    # -- what the wrapped optimizer defines -----------------------------------------------------------
    def _slot_names(self):
        return self.optimizer._slot_names()

    def _slots_of(self, weight):
        return self.optimizer._slots_of(weight)

    def _coefficients(self, dtype):
        return self.optimizer._coefficients(dtype)

    def _apply_dense(self, var, grad, slots, c):
        return self.optimizer._apply_dense(var, grad, slots, c)

    def get_state(self, var_list=None):
        return self.optimizer.get_state(var_list)

    def set_state(self, state, var_list):
        return self.optimizer.set_state(state, var_list)

    def get_config(self):
        raise TypeError(
            "DistributedOptimizer is not saved itself: save the optimizer it wraps (its .optimizer). "
            "For model.fit, compile under minidl.distributed.DataParallel().scope() instead: model.optimizer "
            "then stays the plain optimizer and saves and loads as usual"
        )

    @classmethod
    def from_config(cls, config):
        raise TypeError("DistributedOptimizer has no config of its own; rebuild it around the loaded optimizer")

    def __repr__(self):
        return f"<DistributedOptimizer of {self.optimizer!r} over {self.communicator!r}>"


def _as_tensor_list(params, what):
    if isinstance(params, Tensor):
        params = [params]
    params = list(params)
    for index, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(f"{what}: params[{index}] is a {type(param).__name__}; expected minidl Tensors")
    return params


def broadcast_parameters(params, root=0, communicator=None):
    """Overwrite every rank's ``params`` (Tensors, in place) with rank ``root``'s values.

    Checks first that every rank passes the same number of tensors with the same shapes and
    dtypes (a ``RankMismatchError`` otherwise). The tensors of one dtype travel as one buffer.
    """
    params = _as_tensor_list(params, "broadcast_parameters")
    communicator = communicator or default_communicator()
    if communicator.size == 1:
        return params
    signature = [(tuple(p.shape), np.dtype(p.dtype).name) for p in params]
    check_same_on_every_rank(communicator, signature, "parameters (count, shapes and dtypes)",
                             "Every rank must build the same model before broadcast_parameters")
    xp = backend.get_xp()
    for dtype in sorted({np.dtype(p.dtype).name for p in params}):
        group = [p for p in params if np.dtype(p.dtype).name == dtype and p.size > 0]
        if not group:
            continue
        flat = xp.concatenate([p.data.reshape(-1) for p in group])
        communicator.broadcast(flat, root, f"the broadcast of the {dtype} parameters from rank {root}")
        offset = 0
        for param in group:
            param.data[...] = flat[offset:offset + param.size].reshape(param.shape)
            offset += param.size
    return params


def broadcast_optimizer_state(optimizer, params=None, root=0):
    """Give every rank rank ``root``'s optimizer state (step count and slots such as Adam's
    moments) for ``params`` (default: the optimizer's own parameters): after resuming from a
    checkpoint that only ``root`` loaded, the ranks continue from the same state."""
    inner = optimizer.optimizer if isinstance(optimizer, DistributedOptimizer) else optimizer
    communicator = host_communicator()
    if communicator.size == 1:
        return
    weights = _as_tensor_list(inner._own_params("broadcast_optimizer_state") if params is None else params,
                              "broadcast_optimizer_state")
    description = {"optimizer": type(inner).__name__, "weights": [tuple(w.shape) for w in weights]}
    check_same_on_every_rank(communicator, description, "optimizer")
    state = inner.get_state(weights) if communicator.rank == root else None
    state = communicator.broadcast_object(state, root, f"the broadcast of the optimizer state from rank {root}")
    if communicator.rank != root:
        inner.set_state(state, weights)
