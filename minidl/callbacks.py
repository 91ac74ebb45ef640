"""Callbacks: code that ``fit`` runs at the start and end of training, epochs and batches.

Same classes, arguments, defaults and printed messages as ``tf.keras.callbacks`` (Keras 2).
A callback sees the model only through ``model.stop_training``, ``model.get_weights()`` /
``set_weights()``, ``model.save(path)`` / ``model.save_weights(path)`` and
``model.optimizer.learning_rate``; the ``logs`` it receives hold Python floats.

Under ``minidl.distributed`` every rank runs the callbacks, with the logs of all ranks, so they
decide alike; a callback whose class sets ``rank_zero_only = True`` (ModelCheckpoint, CSVLogger:
those that write files) runs on rank 0 only.
"""

import collections
import csv
import math
import os
import time
import warnings

import numpy as np

from minidl import tensorboard_events
from minidl.autograd.tensor import Tensor
from minidl.layers import arguments


class Callback:
    """Base class: every hook does nothing; override the ones you need."""

    rank_zero_only = False  # minidl.distributed: True -> runs on rank 0 only (see the module docstring)

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        """Keras's older name: called by ``on_train_batch_begin`` unless that is overridden."""

    def on_batch_end(self, batch, logs=None):
        """Keras's older name: called by ``on_train_batch_end`` unless that is overridden."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    # Which batch-level hooks do something: the loop skips building per-batch logs (a host
    # transfer) when no callback needs them.
    def _implements_train_batch_hooks(self):
        return _overridden(self, "on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")

    def _implements_test_batch_hooks(self):
        return _overridden(self, "on_test_batch_begin", "on_test_batch_end")

    def _implements_predict_batch_hooks(self):
        return _overridden(self, "on_predict_batch_begin", "on_predict_batch_end")


def _overridden(callback, *hooks):
    return any(getattr(type(callback), hook) is not getattr(Callback, hook) for hook in hooks)


_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
    "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)


class CallbackList:
    """Calls each hook on every callback in order (``fit`` talks to this one object)."""

    def __init__(self, callbacks=None, model=None, params=None):
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {type(callback).__name__}")
        self.model = None
        self.params = {}
        if model is not None:
            self.set_model(model)
        if params is not None:
            self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        callback.set_params(self.params)

    def set_model(self, model):
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    def _implements_train_batch_hooks(self):
        return any(callback._implements_train_batch_hooks() for callback in self.callbacks)

    def _implements_test_batch_hooks(self):
        return any(callback._implements_test_batch_hooks() for callback in self.callbacks)

    def _implements_predict_batch_hooks(self):
        return any(callback._implements_predict_batch_hooks() for callback in self.callbacks)

    def __iter__(self):
        return iter(self.callbacks)


def _make_dispatcher(hook):
    if hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
                "on_predict_end"):
        def dispatch(self, logs=None):
            self._call(hook, logs)
    else:
        def dispatch(self, index, logs=None):
            self._call(hook, index, logs)
    dispatch.__name__ = hook
    return dispatch


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _make_dispatcher(_hook))


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` is the list of epoch losses."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


def _monitor_op(owner, monitor, mode):
    """np.less or np.greater: 'auto' means greater for accuracies, less for everything else."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", stacklevel=3)
        mode = "auto"
    if mode == "min":
        return np.less
    if mode == "max":
        return np.greater
    if "acc" in monitor or monitor.startswith("fmeasure") or monitor.endswith("auc"):
        return np.greater
    return np.less


def _available(logs):
    return ",".join(list((logs or {}).keys()))


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs; optionally put back the weights of the best epoch."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False):
        super().__init__()
        patience = arguments.integer("EarlyStopping", "patience", patience)
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = None if baseline is None else arguments.number("EarlyStopping", "baseline", baseline)
        self.min_delta = abs(arguments.number("EarlyStopping", "min_delta", min_delta))
        self.restore_best_weights = restore_best_weights
        self.monitor_op = _monitor_op("EarlyStopping", monitor, mode)
        if self.monitor_op is np.less:
            self.min_delta *= -1
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op is np.less else -np.inf
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op is np.less else -np.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # the first epoch's, if nothing ever improves
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1:05d}: early stopping")

    def get_monitor_value(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {_available(logs)}", stacklevel=3,
            )
        return value

    def _is_improvement(self, value, reference):
        return bool(self.monitor_op(value - self.min_delta, reference))


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after every epoch, or only when ``monitor`` improves.

    ``filepath`` may contain ``str.format`` fields filled from the epoch (1-based) and the
    logs: ``'weights.{epoch:02d}-{val_loss:.2f}.npz'``. ``save_freq``: 'epoch', or a number of
    batches -- then it saves after every that many training batches, counted across epochs, and
    ``{batch}`` (1-based, within the epoch) may appear in ``filepath`` too, as in Keras.
    """

    rank_zero_only = True  # minidl.distributed: one rank writes the checkpoints

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch"):
        super().__init__()
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
                                     or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches, got "
                             f"{save_freq!r}")
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self._batches_seen, self._epoch = 0, 0
        self.filepath = os.fspath(filepath)
        if save_weights_only and str(self.filepath).lower().endswith(".keras"):
            # found here, not after the first epoch of training
            raise ValueError(
                f"ModelCheckpoint: with save_weights_only=True the filepath must name a weights file "
                f"(.weights.h5, .h5 or .npz), got {self.filepath!r}"
            )
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.monitor_op = _monitor_op("ModelCheckpoint", monitor, mode)
        self.best = np.inf if self.monitor_op is np.less else -np.inf

    def _implements_train_batch_hooks(self):
        return self.save_freq != "epoch"

    def on_train_begin(self, logs=None):
        self._batches_seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save(self._epoch, logs or {}, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _save(self, epoch, logs, batch=None):
        filepath = self._file_path(epoch, logs, batch)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", stacklevel=2)
                return
            if not self.monitor_op(current, self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1:05d}: {self.monitor} did not improve from {self.best:0.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1:05d}: {self.monitor} improved from {self.best:0.5f} to {current:0.5f}, "
                      f"saving model to {filepath}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: saving model to {filepath}")
        self._make_folder(filepath)
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)

    @staticmethod
    def _make_folder(filepath):
        directory = os.path.dirname(filepath)
        if not directory:
            return
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as error:
            message = (f"ModelCheckpoint: cannot create the folder {directory!r} to save {filepath!r}: "
                       f"{error.strerror or error}")
            raise type(error)(error.errno, message) from None

    def _file_path(self, epoch, logs, batch=None):
        fields = {"epoch": epoch + 1, **({} if batch is None else {"batch": batch + 1})}
        try:
            return self.filepath.format(**fields, **logs)
        except KeyError as exc:
            raise KeyError(
                f"ModelCheckpoint: failed to format filepath {self.filepath!r}: the logs have no key {exc}; "
                f"available: {', '.join(fields)}, {_available(logs)}"
            ) from None


class CSVLogger(Callback):
    """Write one CSV row per epoch: 'epoch' (0-based) and the logs in sorted key order."""

    rank_zero_only = True  # minidl.distributed: one rank writes the file

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.writer = None
        self.keys = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as existing:
                self.append_header = not bool(existing.readline())
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
        if self.model is not None and getattr(self.model, "stop_training", False):
            logs = {key: logs.get(key, "NA") for key in self.keys}
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) > 0:
        return '"[%s]"' % ", ".join(map(str, value))
    return value


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Each epoch's rate goes into the logs and ``history`` as ``'learning_rate'`` and ``'lr'``."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # Keras's old name for min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected argument(s) {sorted(kwargs)}")
        who = "ReduceLROnPlateau"
        if arguments.number(who, "factor", factor, minimum=0, above_minimum=True) >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0, got {factor}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = arguments.number(who, "min_lr", min_lr, minimum=0)
        self.min_delta = arguments.number(who, "min_delta", min_delta)
        self.patience = _count(who, "patience", patience)
        self.verbose = verbose
        self.cooldown = _count(who, "cooldown", cooldown)
        self.mode = mode
        self._reset()

    def _reset(self):
        if self.mode not in ("auto", "min", "max"):
            warnings.warn(f"Learning rate reduction mode {self.mode} is unknown, fallback to auto mode.", stacklevel=3)
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        _log_lr(self.model, logs)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {_available(logs)}", stacklevel=2,
            )
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _current_lr(self.model)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0


def _log_lr(model, logs):
    """Put the rate into the epoch's logs (and so into ``history``) under both names code reads
    it by: Keras 3's ``'learning_rate'`` and Keras 2's ``'lr'``.

    Both, because lab code asks ``history.history['learning_rate']`` or ``history.history['lr']``
    depending on the Keras it was written for, and either lookup failing would stop a lab at
    its plotting line. The epoch's progress bar is printed before the callbacks run, so it shows
    neither; a CSVLogger placed after this callback writes both columns."""
    logs["learning_rate"] = logs["lr"] = _current_lr(model)


def _current_lr(model):
    """The optimizer's learning rate as Keras reads it back: a float32 value, as a Python float."""
    rate = model.optimizer.learning_rate
    if callable(rate):
        raise TypeError(
            "this callback changes the learning rate, but the optimizer uses a schedule "
            f"({rate!r}); give the optimizer a fixed learning rate"
        )
    return float(np.float32(rate))


def _count(who, argument, value):
    """A number of epochs (patience, cooldown): an integer >= 0."""
    value = arguments.integer(who, argument, value)
    if value < 0:
        raise ValueError(f"{who}: {argument} must be >= 0, got {value}")
    return value


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)`` for a one-argument function): a number, or a one-element float tensor
    as Keras 2 accepts. Each epoch's rate goes into the logs and ``history`` as
    ``'learning_rate'`` and ``'lr'``."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be a function (epoch, lr) -> lr, got {schedule!r}"
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        try:
            rate = self.schedule(epoch, _current_lr(self.model))
        except TypeError:  # a schedule of the epoch only (Keras 2.0's signature)
            rate = self.schedule(epoch)
        if isinstance(rate, Tensor) and rate.size == 1 and np.issubdtype(rate.dtype, np.floating):
            rate = float(rate)  # Keras 2's own example, lr * tf.math.exp(-0.1), returns a float tensor
        if not isinstance(rate, (float, int, np.floating, np.integer)):
            raise ValueError(f'The output of the "schedule" function should be float, got {rate!r}')
        self.model.optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            _log_lr(self.model, logs)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite, saying which batch."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback built from plain functions: ``on_epoch_end=lambda epoch, logs: ...`` etc.

    Accepts on_epoch_begin/end(epoch, logs), on_batch_begin/end(batch, logs) and
    on_train_begin/end(logs), as Keras's does.
    """

    _ACCEPTED = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_begin",
                 "on_train_end")

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unexpected argument(s) {unknown}; accepted: {sorted(_HOOKS + self._ACCEPTED)}")
        functions = {
            "on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end, "on_batch_begin": on_batch_begin,
            "on_batch_end": on_batch_end, "on_train_begin": on_train_begin, "on_train_end": on_train_end,
            **kwargs,
        }
        self.functions = {hook: fn for hook, fn in functions.items() if fn is not None}
        for hook, fn in self.functions.items():
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {hook} must be a function or None, got {fn!r}")
        for hook, fn in kwargs.items():  # any other hook, e.g. on_test_end=..., as Keras allows
            if hook not in self._ACCEPTED:
                setattr(self, hook, fn)

    def _run(self, hook, *args):
        fn = self.functions.get(hook)
        if fn is not None:
            fn(*args)

    def on_train_begin(self, logs=None):
        self._run("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._run("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._run("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._run("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        self._run("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._run("on_batch_end", batch, logs)

    def _implements_train_batch_hooks(self):
        return any(hook in self.functions for hook in ("on_batch_begin", "on_batch_end"))


class TensorBoard(Callback):
    """Write the training curves as TensorBoard event files (``tensorboard --logdir logs``).

    As Keras 3 does: ``log_dir/train`` gets ``epoch_<name>`` for every training log after every
    epoch (``epoch_loss``, ``epoch_accuracy``, ...) and ``epoch_learning_rate``, at step = epoch;
    ``log_dir/validation`` gets the ``val_`` logs without their prefix (``epoch_loss``, ...), and
    ``evaluation_<name>_vs_iterations`` at step = the optimizer's iteration count after each
    validation. ``update_freq`` 'batch' or an integer N also writes ``batch_<name>`` to ``train``
    every N training batches, at step = the number of batches trained so far in this ``fit``.
    ``write_steps_per_second`` adds ``epoch_steps_per_second`` (and ``batch_steps_per_second``).

    Each run writes new files (``events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2``), flushed
    record by record; the format is written by ``minidl.tensorboard_events`` (no TensorFlow needed).

    minidl writes scalars only. Weight histograms (``histogram_freq``), the model graph
    (``write_graph``, on by default), weight images (``write_images``), profiling
    (``profile_batch``) and embeddings (``embeddings_freq``) are accepted and ignored, with one
    warning naming those that were asked for.
    """

    rank_zero_only = True  # minidl.distributed: one rank writes the event files
    _LEGACY_ARGUMENTS = ("batch_size", "write_grads", "embeddings_layer_names", "embeddings_data")

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(self._LEGACY_ARGUMENTS))
        if unknown:
            raise TypeError(f"TensorBoard: unexpected arguments {unknown}")
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"TensorBoard: log_dir must be a folder path, got {type(log_dir).__name__} {log_dir!r}")
        self.log_dir = os.fspath(log_dir)
        self.update_freq = _update_freq(update_freq)
        for name, value in (("histogram_freq", histogram_freq), ("embeddings_freq", embeddings_freq)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"TensorBoard: {name} must be a non-negative integer (0 = off), got {value!r}")
        self.histogram_freq, self.write_graph, self.write_images = histogram_freq, write_graph, write_images
        self.write_steps_per_second = bool(write_steps_per_second)
        self.profile_batch, self.embeddings_freq = profile_batch, embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        ignored = [f"{name}={value!r}" for name, value, asked in (
            ("histogram_freq", histogram_freq, histogram_freq), ("write_graph", write_graph, write_graph),
            ("write_images", write_images, write_images), ("profile_batch", profile_batch, profile_batch),
            ("embeddings_freq", embeddings_freq, embeddings_freq)) if asked]
        ignored += [f"{name}={kwargs[name]!r}" for name in self._LEGACY_ARGUMENTS if kwargs.get(name)]
        if ignored:
            warnings.warn(f"TensorBoard: minidl writes scalar summaries only; ignoring {', '.join(ignored)} "
                          "(histograms, the graph, images, profiling and embeddings are not written)", stacklevel=2)
        self._writers = {}
        self._train_batches = 0
        self._batch_start = self._epoch_start = 0.0
        self._epoch_start_iterations = 0

    # -- writers, one per sub-folder, opened when first needed ------------------------------------
    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = tensorboard_events.EventFileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _write(self, run, logs, prefix, step):
        writer = self._writer(run)
        for name, value in logs.items():
            writer.add_scalar(f"{prefix}{name}", _scalar("TensorBoard", name, value), step)

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        return int(getattr(optimizer, "iterations", 0) or 0)

    def _learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return None
        rate = optimizer.current_learning_rate() if hasattr(optimizer, "current_learning_rate") else \
            getattr(optimizer, "learning_rate", None)
        return float(rate) if isinstance(rate, (int, float, np.number)) else None

    # -- hooks -------------------------------------------------------------------------------------
    def _implements_train_batch_hooks(self):
        return self.update_freq != "epoch" or self.write_steps_per_second

    def on_train_begin(self, logs=None):
        self._train_batches = 0
        self._writer("train")

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_start_iterations = self._iterations()

    def on_train_batch_begin(self, batch, logs=None):
        self._train_batches += 1
        self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._train_batches % self.update_freq:
            return
        batch_logs = dict(logs or {})
        if self.write_steps_per_second:
            batch_logs["steps_per_second"] = 1.0 / max(time.time() - self._batch_start, 1e-9)
        self._write("train", batch_logs, "batch_", self._train_batches)

    def on_test_end(self, logs=None):
        if getattr(self.model, "optimizer", None) is not None and logs:
            writer = self._writer("validation")
            for name, value in logs.items():
                writer.add_scalar(f"evaluation_{name}_vs_iterations", _scalar("TensorBoard", name, value),
                                  self._iterations())

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train_logs = {name: value for name, value in logs.items() if not name.startswith("val_")}
        validation_logs = {name[len("val_"):]: value for name, value in logs.items() if name.startswith("val_")}
        rate = self._learning_rate()
        if rate is not None:
            train_logs["learning_rate"] = rate
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start, 1e-9)
            train_logs["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / elapsed
        if train_logs:
            self._write("train", train_logs, "epoch_", epoch)
        if validation_logs:
            self._write("validation", validation_logs, "epoch_", epoch)


def _update_freq(update_freq):
    """'epoch', or the number of batches between batch-level writes ('batch' = 1)."""
    if update_freq == "batch":
        return 1
    if update_freq == "epoch":
        return "epoch"
    if isinstance(update_freq, bool) or not isinstance(update_freq, (int, np.integer)) or update_freq < 1:
        raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive number of batches, got "
                         f"{update_freq!r}")
    return int(update_freq)


def _scalar(what, name, value):
    """A log value as a float, or a TypeError naming it."""
    try:
        return float(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        raise TypeError(f"{what}: the log {name!r} is not a single number (got {type(value).__name__} "
                        f"{value!r}); only scalars can be written") from None


__all__ = [
    "Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback", "LearningRateScheduler",
    "ModelCheckpoint", "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN",
]


class LayerMonitor(Callback):
    """Watch the inside of a network while it trains: per-layer activation norms and per-weight
    gradient norms, measured every ``every`` batches on a fixed probe batch.

    After ``fit``, ``activation_norms[layer_name]`` and ``gradient_norms[weight_name]`` are lists
    (one value per measurement); ``plot(path)`` draws them. The probe pass runs in inference
    mode and leaves no gradient behind, so training itself is unchanged. Vanishing gradients
    show up as gradient norms that shrink layer by layer towards the input.
    """

    def __init__(self, x_probe, y_probe, every=10):
        super().__init__()
        if every < 1:
            raise ValueError(f"LayerMonitor: every must be >= 1, got {every}")
        self.x_probe, self.y_probe, self.every = x_probe, y_probe, int(every)
        self.activation_norms = collections.OrderedDict()
        self.gradient_norms = collections.OrderedDict()
        self.steps = []
        self._batches_seen = 0

    def on_train_batch_end(self, batch, logs=None):
        if self._batches_seen % self.every == 0:
            self.measure()
        self._batches_seen += 1

    def measure(self):
        from minidl.autograd.tensor import Tensor
        from minidl.layers.base import capture_outputs
        from minidl.runtime import backend

        model = self.model
        activations = []

        def record(layer, outputs):
            if isinstance(outputs, Tensor) and layer is not model:
                activations.append((layer.name, outputs))

        with capture_outputs(record):
            predictions = model(backend.to_device(np.asarray(self.x_probe)), training=False)
        loss = model.compute_loss(y=self.y_probe, y_pred=predictions)
        weights = model.trainable_weights
        saved_grads = [w.grad for w in weights]
        for w in weights:
            w.grad = None
        loss.backward()
        xp = backend.get_xp()
        norms = [xp.linalg.norm(out.data.reshape(-1)) for _, out in activations]
        norms += [xp.linalg.norm(w.grad.reshape(-1)) if w.grad is not None else xp.zeros(()) for w in weights]
        values = backend.to_numpy(xp.stack(norms)).tolist() if norms else []  # one transfer
        for (name, _), value in zip(activations, values):
            self.activation_norms.setdefault(name, []).append(value)
        for w, value in zip(weights, values[len(activations):]):
            self.gradient_norms.setdefault(w.name, []).append(value)
        for w, grad in zip(weights, saved_grads):
            w.grad = grad
        self.steps.append(self._batches_seen)

    def plot(self, path):
        """Two PNGs: ``<path>`` for gradient norms and ``<stem>_activations.png`` for activations."""
        import pathlib

        from minidl import viz

        path = pathlib.Path(path)
        viz.plot_norms(self.gradient_norms, path, title="weight-gradient norms", xlabel="measurement")
        viz.plot_norms(self.activation_norms, path.with_name(path.stem + "_activations.png"),
                       title="activation norms", xlabel="measurement")
        return path
