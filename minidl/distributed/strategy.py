"""``DataParallel``: the Keras face -- ``fit`` on many processes with the same script.

Modelled on Keras's own distribution API (``keras.distribution.DataParallel`` in Keras 3,
``tf.distribute.MultiWorkerMirroredStrategy`` in tf.keras): create the model and compile it
inside the strategy's scope, and ``fit`` / ``evaluate`` do the rest::

    import minidl.distributed as dist

    strategy = dist.DataParallel()          # under mpiexec: joins the other ranks
    with strategy.scope():
        model = build_model()
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=3, validation_split=0.1)   # 64: the GLOBAL batch

    mpiexec -n 4 python train.py            # each rank trains on 16 rows of every batch

As in Keras, ``batch_size`` is the global batch: the N ranks split each batch of the one-process
run between them, so a script gives the same training on any number of ranks (to float
rounding) and only the speed changes. Why a strategy rather than Horovod's Keras API: there a
script shards its data itself, scales the learning rate by the number of ranks, adds a
broadcast callback and a metric-averaging callback, and guards every checkpoint and print with
``if hvd.rank() == 0`` -- five edits a student can get wrong, each silently. Under the strategy
a lab's script changes by one ``with`` line. The Horovod style (each rank's own batch) remains
available through ``DistributedOptimizer`` and ``train_on_batch``.

What happens in ``fit`` under the strategy (all of it on every rank):

1. Before the first step the ranks check that they train the same thing (model, optimizer,
   loss, data shapes and sizes, epochs: ``RankMismatchError`` otherwise), and take rank 0's
   NumPy random state (so every rank shuffles alike), weights and optimizer state -- which is
   also how a run resumed from a checkpoint continues on any number of ranks. Each rank then
   draws its own dropout masks (its device stream split by its rank), as the rows of one
   process's batch each have their own.
2. Each rank trains on its rows of every global batch (``minidl.distributed.sharding``);
   gradients are averaged, weighted by rows, in buckets started during the backward pass
   (``DistributedOptimizer``).
3. Epoch logs -- and batch logs when a callback asks for them -- are the metrics over all
   ranks (``metrics_sync``); validation data is split between the ranks the same way.
4. Only rank 0 prints progress; callbacks marked ``rank_zero_only`` (ModelCheckpoint,
   CSVLogger) run on rank 0 only (``rank_callbacks``).
5. After each epoch the ranks confirm that their trainable weights are still bit-identical.

A model that overrides ``train_step`` (the keras.io GAN and VAE pattern) trains the same way:
inside its step every optimizer's ``apply_gradients`` -- ``self.optimizer`` or any other, such
as a GAN's two -- averages the gradients over the ranks first, as under a Keras distribution
strategy (``minidl.optimizers.replicas``; all at the update, none started during the backward
pass). The step's returned logs are merged over the ranks: exactly for a value that is a
tracked metric's ``result()``, as the mean over the ranks otherwise. A rank whose share of a
batch is empty does not run the step; it joins the same updates with nothing to add.

``evaluate`` splits its data and sums its metrics the same way, on rank 0's weights.
``predict`` is not distributed: each rank predicts all of its input. ``train_on_batch`` takes
each rank's own batch (Horovod's convention) and averages the gradients with equal weights.
BatchNormalization's moving statistics are kept per rank, from its own rows, as in Horovod;
each ``fit`` and ``evaluate`` starts from rank 0's.
"""

import contextlib
import weakref

import numpy as np

from minidl import optimizers
from minidl.autograd.tensor import Tensor
from minidl.distributed import metrics_sync, rank_callbacks
from minidl.distributed import world as world_module
from minidl.distributed.buckets import DEFAULT_BUCKET_BYTES
from minidl.distributed.collectives import default_communicator
from minidl.distributed.consistency import check_same_on_every_rank, ranks_unlike_rank_0
from minidl.distributed.optimizer import DistributedOptimizer, broadcast_optimizer_state, broadcast_parameters
from minidl.distributed.reducer import GradientReducer
from minidl.distributed.sharding import Shard
from minidl.errors import RankMismatchError
from minidl.models import data_adapter
from minidl.models import distribution as distribution_seam
from minidl.optimizers import replicas
from minidl.runtime import backend


class DataParallel:
    """Synchronous data parallelism for ``fit`` / ``evaluate`` (see the module docstring).

    ``bucket_bytes`` and ``overlap`` are passed to ``DistributedOptimizer``; ``timeout`` to
    ``minidl.distributed.init``.
    """

    def __init__(self, bucket_bytes=DEFAULT_BUCKET_BYTES, overlap=True, timeout=None):
        self.world = world_module.init(timeout=timeout)
        self.bucket_bytes = bucket_bytes
        self.overlap = overlap
        self._synchronized = weakref.WeakSet()  # models given rank 0's weights since they were compiled
        self._custom_reducers = weakref.WeakKeyDictionary()  # optimizer -> its reducer in custom steps
        self._batch_share = None  # (rows, global rows) of this rank in the coming step
        self._last_custom_updates = []  # [(optimizer, weights)] of the last custom step, in order
        if self.world.size > 1 and backend.get_backend() == "cupy":
            default_communicator()  # picks this rank's GPU before the model's weights are made

    @property
    def num_replicas_in_sync(self):
        """How many ranks train together (tf.distribute's name)."""
        return self.world.size

    @property
    def rank(self):
        return self.world.rank

    @property
    def size(self):
        return self.world.size

    @contextlib.contextmanager
    def scope(self):
        """Models compiled inside train under this strategy."""
        previous = distribution_seam.set_active(self)
        try:
            yield self
        finally:
            distribution_seam.set_active(previous)

    def __repr__(self):
        return f"<DataParallel rank {self.world.rank} of {self.world.size}>"

    # -- the hooks the model calls (minidl.models.distribution) -----------------------------------
    def wrap_optimizer(self, optimizer):
        self._synchronized = weakref.WeakSet()
        return DistributedOptimizer(optimizer, self.bucket_bytes, self.overlap, default_communicator())

    def begin_fit(self, model, data, validation, settings, callbacks):
        """Check, split the data, and give every rank rank 0's starting point (module docstring)."""
        if self.world.size == 1:
            return settings["verbose"], list(callbacks)
        self._build_if_needed(model, data, "fit", "train_step")
        description = {
            "model": _describe_model(model),
            "data": _describe_data(data, "fit"),
            "validation data": _describe_data(validation, "fit (validation data)"),
            "fit": {key: settings[key] for key in ("epochs", "initial_epoch", "steps", "shuffle")},
        }
        check_same_on_every_rank(self.world.communicator, description, "training setup",
                                 "Every rank must run the same script on the same data")
        data.shard = Shard(self.world.rank, self.world.size, on_batch=self._set_batch_share(model))
        if validation is not None:
            validation.shard = Shard(self.world.rank, self.world.size)
        state = self.world.communicator.broadcast_object(np.random.get_state(), 0,
                                                         "the broadcast of rank 0's shuffling state")
        np.random.set_state(state)
        backend.split_device_rng(self.world.rank)  # each rank its own dropout masks, as each row has in one process
        self._synchronize(model)
        verbose = settings["verbose"] if self.world.is_primary else 0
        return verbose, rank_callbacks.for_this_rank(callbacks, self.world.rank)

    def begin_evaluate(self, model, data, verbose):
        if self.world.size == 1:
            return verbose
        self._build_if_needed(model, data, "evaluate", "test_step")
        description = {"model": _describe_model(model), "data": _describe_data(data, "evaluate")}
        check_same_on_every_rank(self.world.communicator, description, "evaluation setup",
                                 "Every rank must call evaluate on the same data")
        data.shard = Shard(self.world.rank, self.world.size)
        broadcast_parameters(model.weights, 0, default_communicator())
        return verbose if self.world.is_primary else 0

    def begin_batch(self, model):
        if self.world.size > 1 and model not in self._synchronized:
            self._synchronize(model)

    def run_train_step(self, model, data, rows, previous_logs):
        """A model's own ``train_step(data)`` on this rank's ``rows``, every optimizer averaging
        its gradients over the ranks (module docstring); returns the step's logs."""
        if self.world.size == 1:
            return model.train_step(data)
        share, self._batch_share = self._batch_share, None
        if rows == 0:
            self._join_updates_without_rows(share)
            return previous_logs
        updates = []

        def average_over_ranks(optimizer, pairs):
            updates.append((optimizer, [weight for _, weight in pairs]))
            return self._average(optimizer, pairs, share)

        with replicas.averaging_with(average_over_ranks):
            logs = model.train_step(data)
        self._last_custom_updates = updates
        return logs

    def merged_logs(self, model, sources):
        """The logs over every rank; also confirms that the ranks' weights are still equal."""
        names = [name for name, _ in sources]
        objects = [source for _, source in sources]
        if self.world.size == 1:
            return dict(zip(names, _local_floats(objects)))
        mine = (metrics_sync.local_state(objects), model._loss_tracker.count,
                _fingerprint(model._compiled.train_weights))
        everyone = self.world.communicator.allgather_object(mine, "the sum of the metrics over the ranks")
        _check_in_step([fingerprint for _, _, fingerprint in everyone])
        values = metrics_sync.merged_results(objects, [(states, rows) for states, rows, _ in everyone])
        return dict(zip(names, values))

    def merged_step_logs(self, model, logs):
        """A custom step's logs (``{name: float}``) over every rank (module docstring); also
        confirms that the ranks' weights are still equal. A rank that ran no step adds nothing."""
        if self.world.size == 1:
            return logs
        metrics = {metric.name: metric for metric in model.metrics}
        mine = {}
        for name, value in logs.items():
            metric = metrics.get(name)
            is_result = metric is not None and _local_floats([metric])[0] == value
            mine[name] = (value, metrics_sync.local_state([metric])[0] if is_result else None)
        everyone = self.world.communicator.allgather_object((mine, _fingerprint(model.trainable_weights)),
                                                            "the merge of the step's logs over the ranks")
        _check_in_step([fingerprint for _, fingerprint in everyone])
        merged = {}
        for entries, _ in everyone:
            for name in entries:
                if name in merged:
                    continue
                per_rank = [other[name] for other, _ in everyone if name in other]
                if all(state is not None for _, state in per_rank):
                    gathered = [([state], 1) for _, state in per_rank]
                    merged[name] = metrics_sync.merged_results([metrics[name]], gathered)[0]
                else:
                    merged[name] = float(np.mean([value for value, _ in per_rank]))
        return merged

    # -- helpers --------------------------------------------------------------------------------------
    def _set_batch_share(self, model):
        """What the shard calls with this rank's rows of each global batch."""
        if model._overrides("train_step"):
            def remember(rows, global_rows):  # for the optimizers of the model's own step
                self._batch_share = (rows, global_rows)

            return remember
        return model._compiled.optimizer.set_batch_share

    def _average(self, optimizer, pairs, share):
        """One optimizer's ``(grad, weight)`` pairs averaged over the ranks, weighted by ``share``."""
        reducer = self._custom_reducers.get(optimizer)
        if reducer is None:
            reducer = GradientReducer(default_communicator(), self.bucket_bytes, overlap=False)
            self._custom_reducers[optimizer] = reducer
        if share is not None:
            reducer.set_batch_share(*share)
        checked = [(None if grad is None else optimizer._checked_grad(grad, weight), weight) for grad, weight in pairs]
        return reducer.reduce(checked, f"{optimizer.name}'s step {optimizer.iterations + 1} in train_step")

    def _join_updates_without_rows(self, share):
        """This rank holds no rows of the step: it makes the updates of its last step again, with
        nothing to add, so that every rank joins the same allreduces and takes the same step."""
        if not self._last_custom_updates:
            raise ValueError(
                "fit under minidl.distributed.DataParallel: this rank's share of the first batch is empty (the batch "
                f"has fewer rows than the {self.world.size} ranks), and a custom train_step cannot run on no rows. "
                "Use a batch_size of at least the number of ranks"
            )
        with replicas.averaging_with(lambda optimizer, pairs: self._average(optimizer, pairs, share)):
            for optimizer, weights in self._last_custom_updates:
                optimizer.apply_gradients([(None, weight) for weight in weights])

    def _synchronize(self, model):
        """Rank 0's weights (all of them) and optimizer state on every rank."""
        broadcast_parameters(model.weights, 0, default_communicator())
        compiled = model._compiled
        if compiled is not None and compiled.train_weights:
            broadcast_optimizer_state(model.optimizer, compiled.train_weights, 0)
        self._synchronized.add(model)

    def _build_if_needed(self, model, data, what, step):
        if model.built or model._overrides(step):
            return  # a custom step builds what it calls itself (rank 0's weights are whatever exists)
        if isinstance(data, data_adapter.SequenceData):
            xs, _, _ = data.parse(data.sequence[0])
            model._ensure_built(xs)
            return
        raise ValueError(
            f"{what} under minidl.distributed.DataParallel: the model is not built, and a generator cannot be "
            "looked at before training. Build it first: give the first layer input_shape=..., start with an "
            "Input, or call model.build(input_shape)"
        )


def set_distribution(distribution):
    """Make ``distribution`` (a ``DataParallel``, or None to stop) active for every model
    compiled from now on -- Keras 3's ``keras.distribution.set_distribution``."""
    if distribution is not None and not hasattr(distribution, "wrap_optimizer"):
        raise TypeError(f"set_distribution: expected a DataParallel strategy or None, got {type(distribution).__name__}")
    distribution_seam.set_active(distribution)


def distribution():
    """The active distribution strategy (None when training runs in one process)."""
    return distribution_seam.active()


def _describe_model(model):
    compiled = model._compiled
    try:
        optimizer = optimizers.serialize(model.optimizer)
    except Exception:  # an optimizer that cannot be serialized is compared by its class
        optimizer = type(model.optimizer).__name__
    return {
        "weights": [_shape_and_dtype(w) for w in model.weights],
        "trainable weights": len(compiled.train_weights or []),
        "optimizer": optimizer,
        "losses": [getattr(fn, "name", type(fn).__name__) if fn is not None else None for fn in compiled.loss_fns],
    }


def _describe_data(data, what):
    if data is None:
        return None
    if isinstance(data, data_adapter.ArrayData):
        return {
            "samples": data.num_samples,
            "batch_size": data.batch_size,
            "x": [_shape_and_dtype(a, rows=True) for a in data.xs],
            "y": None if data.ys is None else [_shape_and_dtype(a, rows=True) for a in data.ys],
            "sample_weight": data.sample_weight is not None,
        }
    if isinstance(data, data_adapter.GeneratorData) and data.steps is None:
        raise ValueError(
            f"{what} under minidl.distributed.DataParallel: a generator without steps_per_epoch (or "
            "validation_steps) has no length the ranks can agree on; pass the number of batches per epoch"
        )
    return {"kind": type(data).__name__, "steps": data.steps}


def _shape_and_dtype(array, rows=False):
    """'(5, 6) float64'; with ``rows`` the first axis (the samples) shows as None."""
    shape = (None,) + tuple(array.shape[1:]) if rows else tuple(array.shape)
    return f"{shape} {np.dtype(array.dtype).name}"


def _check_in_step(fingerprints):
    """RankMismatchError if any rank's weights (``_fingerprint``, one per rank) differ from rank 0's."""
    differing = ranks_unlike_rank_0(fingerprints)
    if differing:
        raise RankMismatchError(
            f"minidl.distributed: the trainable weights of rank(s) {differing} no longer equal rank 0's. Something "
            "changed weights on some ranks only -- e.g. a callback marked rank_zero_only, or code under "
            "`if rank == 0` -- or a step was taken on some ranks only"
        )


def _fingerprint(weights):
    """One float64 sum per trainable weight: equal on every rank while the ranks are in step."""
    weights = list(weights or [])
    if not weights:
        return []
    xp = backend.get_xp()
    sums = xp.stack([weight.data.sum(dtype=np.float64) for weight in weights])
    return backend.to_numpy(sums).tolist()


def _local_floats(sources):
    """This rank's results as floats (one transfer), as the model's own logs are read."""
    if not sources:
        return []
    xp = backend.get_xp()
    results = [source.result() for source in sources]
    results = [result.data if isinstance(result, Tensor) else result for result in results]  # no device round trip
    stacked = xp.stack([xp.asarray(result, dtype=np.float64).reshape(()) for result in results])
    return [float(value) for value in backend.to_numpy(stacked)]
