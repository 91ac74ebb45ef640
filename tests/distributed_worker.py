"""Training runs for the distributed tests, run under ``mpiexec -n 2`` (and in-process by the tests).

    mpiexec -n 2 python tests/distributed_worker.py equality OUT_DIR
    mpiexec -n 2 python tests/distributed_worker.py fault:raise OUT_DIR

The same functions give the one-process references when the test process calls them directly
(a world of one). Everything trains in float64 so that two ranks and one process agree to float
rounding. Each run writes ``<name>_rank<r>.npz`` (the final weights and, for fit, the history).

The data are chosen to exercise the sharding rule's corners: 50 training rows in global batches
of 7 split 3 / 4 between two ranks, and the last batch has 1 row, so rank 0's share is empty.
"""

import os
import pathlib
import signal
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import minidl  # noqa: E402
import minidl.distributed as dist  # noqa: E402
import minidl.tf as tf  # noqa: E402
from minidl import losses, metrics, optimizers  # noqa: E402
from minidl.callbacks import Callback, LambdaCallback, ModelCheckpoint  # noqa: E402
from minidl.layers import LSTM, Conv2D, Dense, Dropout, Embedding, Flatten, Input, MaxPooling2D  # noqa: E402
from minidl.models import Model, Sequential, load_model  # noqa: E402
from minidl.ops.dropout import dropout_mask  # noqa: E402

GLOBAL_BATCH = 7
ROWS = 63  # validation_split=0.2 leaves 50 rows for training and 13 for validation
KINDS = ("dense", "conv", "recurrent")


def data(kind):
    """(x, y) for one kind of model; the same on every rank (fixed seed)."""
    rng = np.random.default_rng(42)
    if kind == "dense":
        x = rng.normal(size=(ROWS, 5))
        y = rng.integers(0, 3, size=(ROWS,))
    elif kind == "conv":
        x = rng.normal(size=(ROWS, 6, 6, 1))
        y = (x.mean(axis=(1, 2, 3)) > 0).astype("float64")[:, None]
    else:
        x = rng.integers(1, 20, size=(ROWS, 6))
        y = (x[:, :3].sum(axis=1) > 30).astype("float64")[:, None]
    return x, y


def build(kind):
    """A small model of each kind, compiled with Adam (weights from the fixed seed)."""
    minidl.set_seed(7)
    if kind == "dense":
        model = Sequential([Dense(6, activation="relu", input_shape=(5,)), Dense(3, activation="softmax")])
        loss = "sparse_categorical_crossentropy"
    elif kind == "conv":
        model = Sequential([Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)), MaxPooling2D(2), Flatten(),
                            Dense(1, activation="sigmoid")])
        loss = "binary_crossentropy"
    else:
        model = Sequential([Embedding(20, 4, input_length=6), LSTM(5), Dense(1, activation="sigmoid")])
        loss = "binary_crossentropy"
    model.compile(optimizer=optimizers.Adam(0.01), loss=loss, metrics=["accuracy"])
    return model


def fit_run(model, kind, epochs=2, initial_epoch=0, callbacks=()):
    """model.fit on the kind's data (data parallel if the model was compiled in a strategy's scope)."""
    np.random.seed(3)  # fit's shuffling
    x, y = data(kind)
    history = model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=epochs, initial_epoch=initial_epoch,
                        validation_split=0.2, shuffle=True, verbose=0, callbacks=list(callbacks))
    return history.history


class Batches:
    """A Keras ``Sequence`` over the kind's data: 9 batches of 7 rows."""

    def __init__(self, kind):
        self.x, self.y = data(kind)

    def __len__(self):
        return ROWS // GLOBAL_BATCH

    def __getitem__(self, index):
        rows = slice(index * GLOBAL_BATCH, (index + 1) * GLOBAL_BATCH)
        return self.x[rows], self.y[rows]


def sequence_run(model, kind):
    """fit on a Sequence, whose batches come whole: each rank cuts out its rows (3 and 4)."""
    np.random.seed(4)
    return model.fit(Batches(kind), epochs=2, shuffle=True, verbose=0).history


def evaluate_run(model, kind):
    """evaluate() in batches of 5 (13 of them split 2 / 3 between two ranks, the last 3 rows 1 / 2)."""
    x, y = data(kind)
    return np.asarray(model.evaluate(x, y, batch_size=5, verbose=0), dtype=np.float64)


def train_on_batch_run(kind, steps=3):
    """train_on_batch, Horovod's way: each rank passes its own rows (here: its half of 14 rows)."""
    model = build(kind)
    x, y = data(kind)
    first, last = dist.local_rows(0, 14)
    losses = [model.train_on_batch(x[first:last], y[first:last])[0] for _ in range(steps)]
    return model, losses


def lowlevel_run(kind, steps=None, communicator=None):
    """The PyTorch-style loop: forward, backward, DistributedOptimizer.step on this rank's rows."""
    model = build(kind)
    x, y = data(kind)
    params = model.trainable_weights
    dist.broadcast_parameters(params, root=0, communicator=communicator)
    opt = dist.DistributedOptimizer(optimizers.Adam(params, learning_rate=0.01), bucket_bytes=256,
                                    communicator=communicator)
    order = np.random.default_rng(5).permutation(ROWS)
    for start in range(0, ROWS, GLOBAL_BATCH)[:steps]:
        stop = min(start + GLOBAL_BATCH, ROWS)
        first, last = dist.local_rows(start, stop)
        opt.set_batch_share(last - first, stop - start)
        opt.zero_grad()
        if last > first:
            rows = order[first:last]
            loss = model.compute_loss(y=y[rows], y_pred=model(x[rows], training=True))
            loss.backward()
        opt.step() if last > first else opt.apply_gradients([(None, p) for p in params])
    return model


class OwnStepModel(Model):
    """A keras.io-style ``train_step`` override: its own loss tracker, ``self.optimizer``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = metrics.Mean(name="loss")
        self.accuracy = metrics.SparseCategoricalAccuracy(name="accuracy")

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = tf.reduce_mean(losses.sparse_categorical_crossentropy(y, y_pred))
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.accuracy.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class TwoOptimizerModel(Model):
    """Two sub-models with an optimizer each, updated one after the other in ``train_step``
    (the GAN pattern, without the random noise that would differ between ranks)."""

    def __init__(self, first, second):
        super().__init__()
        self.first, self.second = first, second

    def compile(self, first_optimizer, second_optimizer):
        super().compile()
        self.first_optimizer, self.second_optimizer = first_optimizer, second_optimizer

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            first_loss = tf.reduce_mean(tf.square(self.first(x, training=True) - y))
        grads = tape.gradient(first_loss, self.first.trainable_weights)
        self.first_optimizer.apply_gradients(zip(grads, self.first.trainable_weights))
        with tf.GradientTape() as tape:
            second_loss = tf.reduce_mean(tf.square(self.second(self.first(x)) - y))
        grads = tape.gradient(second_loss, self.second.trainable_weights)
        self.second_optimizer.apply_gradients(zip(grads, self.second.trainable_weights))
        return {"first_loss": first_loss, "second_loss": second_loss}


def own_step_run(kind):
    """fit on a model whose ``train_step`` is the user's own (``kind``: "own-step" or "two-optimizers")."""
    minidl.set_seed(7)
    x, y = data("dense")
    x, y = x[:50], y[:50]  # batches of 7: the last one has 1 row, none for rank 0
    if kind == "own-step":
        inputs = Input(shape=(5,))
        model = OwnStepModel(inputs, Dense(3, activation="softmax")(Dense(6, activation="relu")(inputs)))
        model.compile(optimizer=optimizers.Adam(0.01))
    else:
        y = x[:, :1] * 0.5 + 0.25
        model = TwoOptimizerModel(Sequential([Dense(4, activation="tanh", input_shape=(5,)), Dense(1)]),
                                  Sequential([Dense(3, activation="relu", input_shape=(1,)), Dense(1)]))
        model.compile(optimizers.Adam(0.01), optimizers.SGD(0.05))
    np.random.seed(3)
    history = model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=2, shuffle=True, verbose=0)
    return model, history.history


def dropout_run(strategy):
    """fit with Dropout on two ranks seeded alike; also the first dropout mask each rank draws."""
    with strategy.scope():
        minidl.set_seed(7)
        model = Sequential([Dense(8, activation="relu", input_shape=(5,)), Dropout(0.5), Dense(3, activation="softmax")])
        model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = data("dense")
    first = {}
    draw = LambdaCallback(on_train_begin=lambda logs: first.setdefault("mask", dropout_mask((64,), 0.5, np.float64)))
    model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=1, verbose=0, callbacks=[draw])
    return model, {"first_mask": first["mask"]}


def save(out, name, model, history=None):
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    for key, values in (history or {}).items():
        arrays[f"h_{key}"] = np.asarray(values, dtype=np.float64)
    np.savez(out / f"{name}_rank{dist.rank()}.npz", **arrays)


class RankZeroMarker(Callback):
    """Writes a file naming the rank it runs on (it should run on rank 0 only)."""

    rank_zero_only = True

    def __init__(self, out):
        super().__init__()
        self.out = out

    def on_epoch_end(self, epoch, logs=None):
        (self.out / f"marker_rank{dist.rank()}").write_text(str(epoch))


class RowCounter(Callback):
    """The rows this rank trained on in the last epoch (and, having batch hooks, it makes every
    step's logs be merged over the ranks)."""

    def __init__(self):
        super().__init__()
        self.rows = 0

    def on_train_batch_end(self, batch, logs=None):
        self.rows = self.model._loss_tracker.count


def equality(out):
    """Every kind through fit and through the low-level loop, and resuming a checkpoint."""
    strategy = dist.DataParallel(bucket_bytes=256)  # tiny buckets: several per model, started during backward
    for kind in KINDS:
        with strategy.scope():
            model = build(kind)
        talker = LambdaCallback(on_epoch_end=lambda epoch, logs: print(f"epoch {epoch} ends on rank {dist.rank()}"))
        counter = RowCounter()
        callbacks = [ModelCheckpoint(str(out / f"{kind}_checkpoint.npz")), RankZeroMarker(out), talker, counter]
        history = fit_run(model, kind, callbacks=callbacks)
        history["rows_trained"] = [counter.rows]
        history["rows_validated"] = [model._loss_tracker.count]
        history["evaluate"] = evaluate_run(model, kind)
        history["rows_evaluated"] = [model._loss_tracker.count]
        save(out, f"{kind}_fit", model, history)
        save(out, f"{kind}_lowlevel", lowlevel_run(kind))
    with strategy.scope():
        model, _ = train_on_batch_run("dense")
    save(out, "dense_train_on_batch", model)
    with strategy.scope():
        model = build("recurrent")
    save(out, "recurrent_sequence", model, sequence_run(model, "recurrent"))
    for kind in ("own-step", "two-optimizers"):
        with strategy.scope():
            save(out, kind, *own_step_run(kind))
    save(out, "dropout", *dropout_run(strategy))
    # The simulated device (CuPy's host rules): gradients staged to the host for MPI and back.
    minidl.set_backend("simulated")
    with strategy.scope():
        model = build("dense")
    history = fit_run(model, "dense")
    save(out, "dense_simulated_fit", model, history)
    save(out, "dense_simulated_lowlevel", lowlevel_run("dense"))
    minidl.set_backend("numpy")
    # Resume a checkpoint written by one process (by the test) for a third epoch on two ranks.
    with strategy.scope():
        resumed = load_model(str(out / "dense_one_process_checkpoint.npz"))
    history = fit_run(resumed, "dense", epochs=3, initial_epoch=2)
    save(out, "dense_resumed", resumed, history)


def nccl_on_fake_cupy(out):
    """The NCCL communicator's Python side on two real ranks: CuPy's NCCL bindings are faked on
    host memory (tests/distributed_fakes.py), with allReduce summing over MPI underneath."""
    from minidl.distributed import nccl
    from tests import distributed_fakes

    nccl.device_pointer = distributed_fakes.host_pointer
    current = dist.init()
    cupy = distributed_fakes.fake_cupy(devices=2, sum_over=current.comm)
    communicator = nccl.NCCLCommunicator(current.communicator, cupy, current.local_rank)
    save(out, "dense_nccl_fake", lowlevel_run("dense", communicator=communicator))


def gpu_fit(out):
    """fit on the cupy backend (MINIDL_BACKEND=cupy): NCCL between two GPUs."""
    with dist.DataParallel().scope():
        model = build("dense")
    fit_run(model, "dense")
    save(out, "dense_gpu_fit", model)


def fault(mode, out):
    """Training in which rank 1 misbehaves at its 4th batch (``mode``), or the ranks disagree."""
    with dist.DataParallel().scope():
        model = build("dense")
        if mode == "mismatch-model" and dist.rank() == 1:
            model = Sequential([Dense(7, activation="relu", input_shape=(5,)), Dense(3, activation="softmax")])
            model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = data("dense")
    if mode == "mismatch-data" and dist.rank() == 1:
        x, y = x[:-2], y[:-2]

    def misbehave(batch, logs):
        if batch != 3 or dist.rank() != 1:
            return
        if mode == "raise":
            raise ValueError("rank 1 cannot go on")
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "hang":
            time.sleep(600)

    model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=3, verbose=0,
              callbacks=[LambdaCallback(on_batch_begin=misbehave)])
    print(f"rank {dist.rank()} finished", flush=True)


def main(argv):
    minidl.set_floatx("float64")
    scenario, out = argv[1], pathlib.Path(argv[2])
    if scenario == "equality":
        equality(out)
        nccl_on_fake_cupy(out)
    elif scenario == "gpu-fit":
        gpu_fit(out)
    elif scenario.startswith("fault:"):
        fault(scenario.split(":", 1)[1], out)
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")


if __name__ == "__main__":
    main(sys.argv)
