"""``Model``: a Layer that knows how to train itself -- compile, fit, evaluate, predict.

A model is a layer (so models nest inside models, share weights, and ``trainable`` propagates);
``Sequential`` and the functional ``Model(inputs, outputs)`` only add how the layers are
wired. Everything about training lives here, in one place:

* ``compile`` resolves the optimizer, losses and metrics, and CAPTURES the list of trainable
  weights, as Keras does: a discriminator compiled while trainable keeps training in its own
  ``train_on_batch`` after ``discriminator.trainable = False``, while a GAN compiled after that
  leaves it frozen. (A model not built at compile time captures its weights when it is built.)
* One training step: forward with ``training=True``, the loss (plus the layers' regularization
  penalties, as Keras reports it), backward, ``optimizer.apply_gradients`` on the captured
  weights, then metric updates on the device. The running loss is accumulated on the device;
  nothing is read back to the host except when the progress bar redraws or a callback asks
  for the batch's logs.
* Inference (``evaluate``, ``predict``) runs under ``no_grad()`` with ``training=False``.
"""

import copy
import warnings

import numpy as np

from minidl import backend, callbacks, losses, metrics, optimizers
from minidl.autograd.function import no_grad
from minidl.layers.base import Layer
from minidl.models import data_adapter, distribution
from minidl.models.progbar import Progbar

# ``compile(metrics=...)`` and ``fit(callbacks=...)`` shadow the module names inside those methods.
_metrics_module = metrics

_KNOWN_SHAPE_LOSSES = {
    "binary_crossentropy", "categorical_crossentropy", "mean_squared_error", "mse",
    "mean_absolute_error", "mae", "huber", "huber_loss",
}
_SPARSE_LOSSES = {"sparse_categorical_crossentropy"}


class _RunningMean:
    """A mean weighted by batch size whose running total stays on the device."""

    __slots__ = ("total", "count")

    def __init__(self):
        self.total = None
        self.count = 0

    def reset(self):
        self.total = None
        self.count = 0

    def add(self, value, weight):
        term = value * weight
        self.total = term if self.total is None else self.total + term
        self.count += weight

    def result(self):
        """The mean as a 0-d device array (zero before any update)."""
        if self.total is None:
            return backend.get_xp().zeros(())
        return self.total / self.count


class _Compiled:
    """What ``compile`` resolved; kept together so re-compiling replaces all of it at once."""

    def __init__(self, optimizer, loss_fns, loss_weights, metrics_per_output, identifiers):
        self.optimizer = optimizer
        self.loss_fns = loss_fns
        self.loss_weights = loss_weights
        self.metrics = metrics_per_output
        self.identifiers = identifiers  # what the user passed, for saving
        self.train_weights = None  # captured trainable weights (None until the model is built)
        self.all_weights = None


def _read_floats(values):
    """Device scalars -> Python floats with ONE device-to-host transfer."""
    if not values:
        return []
    xp = backend.get_xp()
    stacked = xp.stack([xp.asarray(v, dtype=np.float64).reshape(()) for v in values])
    return [float(v) for v in backend.to_numpy(stacked)]


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def _per_output(value, names, what):
    """One entry per model output from a single value, a list, or a dict keyed by output name."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile: {what} names unknown outputs {unknown}; the outputs are {names}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(f"compile: {what} has {len(value)} entries but the model has {len(names)} outputs {names}")
        return list(value)
    if isinstance(value, (list, tuple)) and len(value) == 1 and what == "loss":
        return list(value)
    return [value] * len(names)


def _metric_lists(value, names):
    if value is None:
        return [[] for _ in names]
    if isinstance(value, dict):
        lists = _per_output(value, names, "metrics")
        return [[] if m is None else (list(m) if isinstance(m, (list, tuple)) else [m]) for m in lists]
    if not isinstance(value, (list, tuple)):
        value = [value]
    if len(names) > 1 and len(value) == len(names) and all(isinstance(m, (list, tuple)) for m in value):
        return [list(m) for m in value]
    return [list(value) for _ in names]


def _shapes_match(data_shape, model_shape):
    return len(data_shape) == len(model_shape) and all(
        m is None or d == m for d, m in zip(data_shape, model_shape)
    )


class Model(Layer):
    """A trainable graph of layers. ``Model(inputs, outputs)`` builds a functional model;
    subclass it and define ``call`` for a model written as code."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from minidl.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, name=None, trainable=True, **kwargs):
        if args:
            raise TypeError(f"{type(self).__name__}: unexpected positional arguments {args}")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._compiled = None
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._loss_tracker = _RunningMean()
        self._output_loss_trackers = []
        self._auto_track = type(self).call is not Model.call  # subclassed models track attributes
        self._distribution = None  # minidl.distributed: the strategy it was compiled under, if any

    # -- structure ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if not name.startswith("_") and self.__dict__.get("_auto_track"):
            candidates = value if isinstance(value, (list, tuple)) else [value]
            for item in candidates:
                if isinstance(item, Layer) and item is not self and all(item is not s for s in self._sublayers):
                    self.track(item)
        object.__setattr__(self, name, value)

    def call(self, inputs, training=False):
        raise NotImplementedError(
            f"{type(self).__name__}: a subclassed Model must define call(inputs, training=False)"
        )

    @property
    def layers(self):
        return list(self._sublayers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in ``self.layers``, as in Keras."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{self.name}: no layer named {name!r}; the layers are {[layer.name for layer in self.layers]}")

    @property
    def input_names(self):
        return ["input_1"]

    @property
    def output_names(self):
        return ["output_1"]

    def _output_shapes(self):
        """The output shapes (batch axis None) once known, else None."""
        seen = self.output_shape_seen
        if seen is None:
            return None
        return [tuple(s) for s in seen] if isinstance(seen, list) else [tuple(seen)]

    def _ensure_built(self, first_inputs):
        """Build a model that has not seen data yet by running it once on a few rows."""
        if not self.built:
            with no_grad():
                self(first_inputs[0] if len(first_inputs) == 1 else first_inputs, training=False)
        if self._compiled is not None and self._compiled.train_weights is None:
            self._capture_trainable_weights()

    # -- weights -----------------------------------------------------------------------------
    @staticmethod
    def _dedup(weights):
        seen = set()
        unique = []
        for weight in weights:
            if id(weight) not in seen:
                seen.add(id(weight))
                unique.append(weight)
        return unique

    @property
    def weights(self):
        """Every weight, layer after layer (each layer's trainable weights first), as Keras."""
        nested = [w for layer in self._sublayers for w in layer.weights]
        return self._dedup(nested + list(self._params))

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        nested = [w for layer in self._sublayers for w in layer.trainable_weights]
        return self._dedup(nested + [w for w in self._params if w.trainable])

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        nested = [w for layer in self._sublayers for w in layer.non_trainable_weights]
        return self._dedup(nested + [w for w in self._params if not w.trainable])

    # -- compile -----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None, **kwargs):
        """Choose the optimizer, loss(es) and metrics; capture the trainable weights.

        ``run_eagerly`` and ``steps_per_execution`` are accepted for Keras compatibility and
        have no effect (minidl always runs eagerly). ``weighted_metrics`` are computed with the
        sample weights, like ``metrics``.
        """
        if kwargs:
            raise TypeError(f"compile: unexpected argument(s) {sorted(kwargs)}")
        names = self.output_names
        loss_ids = _per_output(loss, names, "loss")
        if all(identifier is None for identifier in loss_ids):
            warnings.warn(f"{self.name}.compile: no loss given; fit() and evaluate() will need one", stacklevel=2)
        loss_fns = [None if identifier is None else losses.get(identifier) for identifier in loss_ids]
        weights = [1.0 if w is None else float(w) for w in _per_output(loss_weights, names, "loss_weights")]
        metric_ids = _metric_lists(metrics, names)
        for index, extra in enumerate(_metric_lists(weighted_metrics, names)):
            metric_ids[index] = metric_ids[index] + extra
        metric_objects = []
        for index, identifiers in enumerate(metric_ids):
            resolved = []
            for identifier in identifiers:
                if not isinstance(identifier, (str, dict)) and index > 0:
                    identifier = copy.deepcopy(identifier)  # one stateful metric per output
                resolved.append(_metrics_module.get(identifier, loss=loss_fns[index]))
            metric_objects.append(resolved)
        self.optimizer = optimizers.get(optimizer)
        self._distribution = distribution.active()  # minidl.distributed: set inside a strategy's scope
        step_optimizer = self.optimizer
        if self._distribution is not None:  # the steps average gradients over the ranks
            step_optimizer = self._distribution.wrap_optimizer(self.optimizer)
        self._compiled = _Compiled(step_optimizer, loss_fns, weights, metric_objects, {
            "optimizer": optimizer, "loss": loss, "metrics": metrics, "loss_weights": loss_weights,
            "weighted_metrics": weighted_metrics,
        })
        self._loss_tracker = _RunningMean()
        self._output_loss_trackers = [_RunningMean() for _ in names]
        if self.built:
            self._capture_trainable_weights()

    def _capture_trainable_weights(self):
        self._compiled.train_weights = list(self.trainable_weights)
        captured = {id(w) for w in self._compiled.train_weights}
        self._compiled.all_weights = list(self.weights)
        self._compiled.frozen_weights = [w for w in self._compiled.all_weights if id(w) not in captured]

    def _assert_compiled(self, what):
        if self._compiled is None:
            raise RuntimeError(f"{self.name}.{what}: you must compile the model before training or "
                               "evaluating it: model.compile(optimizer=..., loss=...)")

    @property
    def metrics_names(self):
        """The keys of the logs, in order: 'loss', per-output losses, then the metrics."""
        if self._compiled is None:
            return []
        return [name for name, _ in self._log_sources()]

    @property
    def metrics(self):
        if self._compiled is None:
            return []
        return [m for group in self._compiled.metrics for m in group]

    def _log_sources(self):
        """(name, object with .result()) pairs: the loss tracker(s) then the metrics."""
        compiled = self._compiled
        names = self.output_names
        sources = [("loss", self._loss_tracker)]
        several = len(names) > 1
        if several:
            sources += [
                (f"{name}_loss", tracker)
                for name, tracker, fn in zip(names, self._output_loss_trackers, compiled.loss_fns) if fn is not None
            ]
        for name, group in zip(names, compiled.metrics):
            prefix = f"{name}_" if several else ""
            sources += [(prefix + metric.name, metric) for metric in group]
        return sources

    def reset_metrics(self):
        self._loss_tracker.reset()
        for tracker in self._output_loss_trackers:
            tracker.reset()
        for metric in self.metrics:
            metric.reset_state()

    def _logs(self, across_ranks=False):
        """The current loss and metric values as Python floats (one device-to-host transfer).

        ``across_ranks``: under minidl.distributed, over every rank's rows (a collective: every
        rank must ask at the same point); otherwise this process's own values."""
        sources = self._log_sources()
        if across_ranks and self._distribution is not None:
            return self._distribution.merged_logs(self, sources)
        values = _read_floats([source.result() for _, source in sources])
        return {name: value for (name, _), value in zip(sources, values)}

    # -- the step ----------------------------------------------------------------------------
    def _model_inputs(self, xs):
        return xs[0] if len(xs) == 1 else xs

    def _as_output_list(self, outputs):
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    def _total_loss(self, outputs, ys, sample_weight):
        compiled = self._compiled
        total = None
        per_output = []
        for index, loss_fn in enumerate(compiled.loss_fns):
            if loss_fn is None:
                per_output.append(None)
                continue
            value = loss_fn(ys[index], outputs[index], sample_weight=sample_weight)
            per_output.append(value)
            weight = compiled.loss_weights[index]
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        if total is None:
            raise RuntimeError(f"{self.name}: compile() was given no loss, so there is nothing to train or evaluate")
        for penalty in self.regularization_losses():
            total = total + penalty
        return total, per_output

    def compute_loss(self, y, y_pred, sample_weight=None):
        """The compiled loss (regularisation penalties included) of predictions ``y_pred``
        against targets ``y`` (one array, or a list for several outputs), as a scalar Tensor."""
        self._assert_compiled("compute_loss")
        ys = [y] if not isinstance(y, (list, tuple)) else list(y)
        ys = [target if backend.is_array(target) else backend.to_device(np.asarray(target)) for target in ys]
        total, _ = self._total_loss(self._as_output_list(y_pred), ys, sample_weight)
        return total

    def _record(self, total, per_output, outputs, ys, sample_weight, rows):
        """Update the running loss(es) and the metrics (device work only)."""
        with no_grad():
            self._loss_tracker.add(total.data, rows)
            if len(per_output) > 1:
                for tracker, value in zip(self._output_loss_trackers, per_output):
                    if value is not None:
                        tracker.add(value.data, rows)
            for index, group in enumerate(self._compiled.metrics):
                for metric in group:
                    metric.update_state(ys[index], outputs[index].data, sample_weight)

    def _train_step(self, xs, ys, sample_weight):
        compiled = self._compiled
        train_weights = compiled.train_weights
        if self._distribution is not None and len(xs[0]) == 0:
            # minidl.distributed: this rank's share of a batch smaller than the world is empty; it
            # still joins the gradient allreduce, adding nothing, so every rank takes the step
            compiled.optimizer.apply_gradients([(None, weight) for weight in train_weights])
            return
        for weight in compiled.frozen_weights:
            weight.requires_grad = False
        for weight in train_weights:
            weight.requires_grad = True
        try:
            outputs = self._as_output_list(self(self._model_inputs(xs), training=True))
            self._check_output_count(outputs, ys)
            total, per_output = self._total_loss(outputs, ys, sample_weight)
            total.backward()
        finally:
            for weight in compiled.all_weights:
                weight.requires_grad = weight.trainable
        compiled.optimizer.apply_gradients([(weight.grad, weight) for weight in train_weights])
        for weight in train_weights:
            weight.grad = None
        self._record(total, per_output, outputs, ys, sample_weight, len(xs[0]))

    def _test_step(self, xs, ys, sample_weight):
        if self._distribution is not None and len(xs[0]) == 0:
            return  # minidl.distributed: this rank's share of a small batch is empty
        with no_grad():
            outputs = self._as_output_list(self(self._model_inputs(xs), training=False))
            self._check_output_count(outputs, ys)
            total, per_output = self._total_loss(outputs, ys, sample_weight)
        self._record(total, per_output, outputs, ys, sample_weight, len(xs[0]))

    def _check_output_count(self, outputs, ys):
        if ys is None:
            raise ValueError(f"{self.name}: targets (y) are needed to compute the loss, but none were given")
        if len(ys) != len(outputs):
            raise ValueError(f"{self.name}: the model has {len(outputs)} output(s) but {len(ys)} target array(s) were given")

    # -- checks done once per call on the host ----------------------------------------------------
    def _check_targets(self, data, what):
        """Target shapes against the output shapes, and sparse labels against the class count."""
        ys = getattr(data, "ys", None)
        if ys is None:
            if isinstance(data, data_adapter.ArrayData):
                raise ValueError(f"{what}: y is required (the model is compiled with a loss to compute against it)")
            return
        shapes = self._output_shapes()
        if shapes is None:
            return
        names = self.output_names
        if len(ys) != len(shapes):
            raise ValueError(f"{what}: the model has {len(shapes)} output(s) {names} but y holds {len(ys)} array(s)")
        for y, out_shape, loss_fn, name in zip(ys, shapes, self._compiled.loss_fns, names):
            loss_name = getattr(loss_fn, "name", None)
            if loss_name in _SPARSE_LOSSES:
                self._check_sparse_labels(y, out_shape, name, what)
            elif loss_name in _KNOWN_SHAPE_LOSSES:
                data_shape = (None,) + tuple(y.shape[1:])
                ok = _shapes_match(data_shape, out_shape) or _shapes_match(data_shape + (1,), out_shape)
                if not ok:
                    raise ValueError(
                        f"{what}: target y has shape {tuple(y.shape)} but the model output {name!r} has shape "
                        f"{out_shape}; they must match (an (n,) target is accepted for an (n, 1) output)"
                    )

    @staticmethod
    def _check_sparse_labels(y, out_shape, name, what):
        label_shape = (None,) + tuple(y.shape[1:])
        expected = out_shape[:-1]
        if not (_shapes_match(label_shape, expected) or _shapes_match(label_shape, expected + (1,))):
            raise ValueError(
                f"{what}: sparse_categorical_crossentropy needs integer labels of shape {expected} or "
                f"{expected + (1,)} for the output {name!r} of shape {out_shape}, but y has shape {tuple(y.shape)}"
            )
        classes = out_shape[-1]
        if classes is None or len(y) == 0:
            return
        low = float(backend.to_numpy(y.min()))
        high = float(backend.to_numpy(y.max()))
        if low < 0 or high >= classes or (y.dtype.kind == "f" and not np.all(np.mod(backend.to_numpy(y), 1) == 0)):
            raise ValueError(
                f"{what}: sparse_categorical_crossentropy labels must be integers in [0, {classes - 1}] for the "
                f"{classes}-unit output {name!r}, but y holds values from {low:g} to {high:g}"
            )

    # -- training ----------------------------------------------------------------------------
    def _data(self, x, y, sample_weight, batch_size, steps, what):
        return data_adapter.make_data(
            x, y, sample_weight, batch_size, steps, self._known_input_names(), self._known_output_names(), what
        )

    def _known_input_names(self):
        return None

    def _known_output_names(self):
        return None

    def _prepare(self, data, what):
        if isinstance(data, data_adapter.ArrayData):
            if data.num_samples == 0:
                raise ValueError(f"{what}: got 0 samples")
            self._ensure_built(data.first_rows())
        elif not self.built:
            return False
        else:
            self._ensure_built(None)
        return True

    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns the ``History`` callback (Keras's semantics)."""
        self._assert_compiled("fit")
        verbose = _resolve_verbose(verbose)
        data = self._data(x, y, sample_weight, batch_size, steps_per_epoch, "fit")
        validation = None
        if validation_data is not None:
            validation = self._validation_data(validation_data, validation_batch_size or batch_size, validation_steps)
        elif validation_split:
            if not isinstance(data, data_adapter.ArrayData):
                raise ValueError("fit: validation_split needs array data; with a generator or Sequence pass validation_data")
            data, validation = data.split(validation_split)
            if validation_batch_size:
                validation = validation.with_batch_size(validation_batch_size)
        if class_weight is not None and isinstance(data, data_adapter.ArrayData):
            self._apply_class_weight(data, class_weight)
        built = self._prepare(data, "fit")
        if built:
            self._check_targets(data, "fit")
        if isinstance(validation, data_adapter.ArrayData):
            self._ensure_built(validation.first_rows())
            self._check_targets(validation, "fit (validation data)")

        steps = data.steps if steps_per_epoch is None else int(steps_per_epoch)
        if steps is not None and isinstance(data, data_adapter.ArrayData):
            steps = min(steps, data.steps)
        history = _make_history()
        user_callbacks = list(callbacks or [])
        if self._distribution is not None:  # minidl.distributed: check, split the data, start alike
            settings = {"verbose": verbose, "epochs": epochs, "initial_epoch": initial_epoch, "steps": steps,
                        "shuffle": shuffle}
            verbose, user_callbacks = self._distribution.begin_fit(self, data, validation, settings, user_callbacks)
        callback_list = _callback_list(user_callbacks + [history], self,
                                       {"verbose": verbose, "epochs": epochs, "steps": steps})
        batch_hooks = any(cb._implements_train_batch_hooks() for cb in user_callbacks)
        self.history = history
        self.stop_training = False
        logs = {}
        callback_list.on_train_begin(logs)
        for epoch in range(int(initial_epoch), int(epochs)):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch, {})
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}", flush=True)
            progbar = Progbar(steps, verbose=verbose)
            step = 0
            for xs, ys, weights in data.batches(shuffle):
                if not built:
                    self._ensure_built(xs)
                    self._check_target_batch(ys)
                    built = True
                if class_weight is not None and not isinstance(data, data_adapter.ArrayData):
                    weights = self._class_weight_batch(ys, weights, class_weight)
                if batch_hooks:
                    callback_list.on_train_batch_begin(step, {})
                self._train_step(xs, ys, weights)
                step += 1
                batch_logs = None
                if batch_hooks:
                    batch_logs = self._logs(across_ranks=True)
                    callback_list.on_train_batch_end(step - 1, batch_logs)
                if progbar.due(step) and not (steps is not None and step >= steps):
                    progbar.update(step, list((batch_logs or self._logs()).items()))
                if self.stop_training or (steps is not None and step >= steps):
                    break
            end_epoch = getattr(data, "end_epoch", None)
            if end_epoch is not None:
                end_epoch()
            if step == 0:
                warnings.warn("fit: the input ran out of data; stopping training", stacklevel=2)
                break
            logs = self._logs(across_ranks=True)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_loop(validation, callback_list, verbose=0)
                logs.update({f"val_{key}": value for key, value in val_logs.items()})
            progbar.target = progbar.target if progbar.target is not None else step
            progbar.update(step, list(logs.items()), finalize=True)
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end(logs)
        return history

    def _check_target_batch(self, ys):
        class _Batch:
            pass

        batch = _Batch()
        batch.ys = ys
        self._check_targets(batch, "fit")

    def _validation_data(self, validation_data, batch_size, steps):
        if data_adapter.is_batch_source(validation_data):
            return self._data(validation_data, None, None, batch_size, steps, "fit (validation_data)")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "fit: validation_data must be (x_val, y_val), (x_val, y_val, sample_weight_val), "
                f"a generator or a Sequence; got {type(validation_data).__name__}"
                + (f" of length {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else "")
            )
        x_val, y_val = validation_data[0], validation_data[1]
        weight = validation_data[2] if len(validation_data) == 3 else None
        return self._data(x_val, y_val, weight, batch_size, steps, "fit (validation_data)")

    @staticmethod
    def _apply_class_weight(data, class_weight):
        if data.ys is None or len(data.ys) != 1:
            raise ValueError("fit: class_weight is supported for models with exactly one output")
        weights = data_adapter.class_weight_to_sample_weight(data.ys[0], class_weight).astype(backend.floatx())
        if data.sample_weight is not None:
            weights = weights * backend.to_numpy(data.sample_weight)
        data.sample_weight = weights

    @staticmethod
    def _class_weight_batch(ys, sample_weight, class_weight):
        weights = data_adapter.class_weight_to_sample_weight(ys[0], class_weight).astype(backend.floatx())
        weights = backend.to_device(weights)
        return weights if sample_weight is None else weights * sample_weight

    # -- evaluation and prediction -----------------------------------------------------------------
    def _evaluate_loop(self, data, callback_list=None, verbose=0, steps=None):
        self.reset_metrics()
        if callback_list is not None:
            callback_list.on_test_begin({})
        total_steps = data.steps if steps is None else int(steps)
        if total_steps is not None and isinstance(data, data_adapter.ArrayData):
            total_steps = min(total_steps, data.steps)
        progbar = Progbar(total_steps, verbose=verbose)
        step = 0
        for xs, ys, weights in data.batches(False):
            self._ensure_built(xs)
            self._test_step(xs, ys, weights)
            step += 1
            if progbar.due(step) and not (total_steps is not None and step >= total_steps):
                progbar.update(step, list(self._logs().items()))
            if total_steps is not None and step >= total_steps:
                break
        logs = self._logs(across_ranks=True)
        if verbose:
            progbar.target = progbar.target if progbar.target is not None else step
            progbar.update(step, list(logs.items()), finalize=True)
        if callback_list is not None:
            callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=32, verbose=1, sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss (and metrics) on ``x``/``y``: a float, or ``[loss, *metrics]``, or a dict."""
        self._assert_compiled("evaluate")
        data = self._data(x, y, sample_weight, batch_size, steps, "evaluate")
        if self._prepare(data, "evaluate"):
            self._check_targets(data, "evaluate")
        if self._distribution is not None:  # minidl.distributed: split the data, rank 0's weights
            verbose = self._distribution.begin_evaluate(self, data, verbose)
        callback_list = None
        if callbacks:
            callback_list = _callback_list(list(callbacks), self, {"verbose": verbose, "steps": data.steps})
        logs = self._evaluate_loop(data, callback_list, verbose=_resolve_verbose(verbose), steps=steps)
        return _returned(logs, return_dict)

    def predict(self, x, batch_size=32, verbose=0, steps=None, callbacks=None):
        """The model's outputs as NumPy arrays (a list of them for several outputs)."""
        data = self._data(x, None, None, batch_size, steps, "predict")
        if isinstance(data, data_adapter.ArrayData):
            data.ys = None
        self._prepare(data, "predict")
        verbose = _resolve_verbose(verbose)
        total_steps = data.steps if steps is None else int(steps)
        progbar = Progbar(total_steps, verbose=verbose)
        chunks = None
        step = 0
        with no_grad():
            for xs, _, _ in data.batches(False):
                self._ensure_built(xs)
                outputs = self._as_output_list(self(self._model_inputs(xs), training=False))
                if chunks is None:
                    chunks = [[] for _ in outputs]
                for chunk, output in zip(chunks, outputs):
                    chunk.append(output.data)
                step += 1
                if progbar.due(step):
                    progbar.update(step)
                if total_steps is not None and step >= total_steps:
                    break
        if chunks is None:
            raise ValueError("predict: the input produced no batches")
        if verbose:
            progbar.target = progbar.target if progbar.target is not None else step
            progbar.update(step, finalize=True)
        xp = backend.get_xp()
        results = [backend.to_numpy(xp.concatenate(chunk, axis=0)) if len(chunk) > 1 else backend.to_numpy(chunk[0])
                   for chunk in chunks]
        return results[0] if len(results) == 1 else results

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: argmax of a multi-unit output, or probability > 0.5 for one unit
        (the removed Keras Sequential helper, kept because the labs call it)."""
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """The removed Keras helper: ``predict`` (the outputs are already probabilities)."""
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    # -- single batches ----------------------------------------------------------------------
    def _single_batch(self, x, y, sample_weight, what):
        data = self._data(x, y, sample_weight, None, None, what)
        if not isinstance(data, data_adapter.ArrayData):
            raise TypeError(f"{what}: expects arrays, not a generator or Sequence")
        data.batch_size = max(data.num_samples, 1)
        return data

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """One gradient update on exactly this batch; returns the loss (and metrics)."""
        self._assert_compiled("train_on_batch")
        data = self._single_batch(x, y, sample_weight, "train_on_batch")
        if class_weight is not None:
            self._apply_class_weight(data, class_weight)
        self._prepare(data, "train_on_batch")
        self._check_targets(data, "train_on_batch")
        if self._distribution is not None:  # minidl.distributed: every rank starts from rank 0's weights
            self._distribution.begin_batch(self)
        if reset_metrics:
            self.reset_metrics()
        xs, ys, weights = next(data.batches(False))
        self._train_step(xs, ys, weights)
        return _returned(self._logs(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """The loss (and metrics) on exactly this batch, without updating the weights."""
        self._assert_compiled("test_on_batch")
        data = self._single_batch(x, y, sample_weight, "test_on_batch")
        self._prepare(data, "test_on_batch")
        self._check_targets(data, "test_on_batch")
        if self._distribution is not None:  # minidl.distributed: every rank starts from rank 0's weights
            self._distribution.begin_batch(self)
        if reset_metrics:
            self.reset_metrics()
        xs, ys, weights = next(data.batches(False))
        self._test_step(xs, ys, weights)
        return _returned(self._logs(), return_dict)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch, as NumPy arrays."""
        data = self._single_batch(x, None, None, "predict_on_batch")
        self._prepare(data, "predict_on_batch")
        xs, _, _ = next(data.batches(False))
        with no_grad():
            outputs = self._as_output_list(self(self._model_inputs(xs), training=False))
        results = [output.numpy() for output in outputs]
        return results[0] if len(results) == 1 else results

    # -- summary and saving ------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print Keras's table of layers, output shapes and parameter counts."""
        from minidl.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def to_json(self, **kwargs):
        """The architecture as Keras-style JSON (``model_from_json`` rebuilds it)."""
        from minidl.models import saving

        return saving.model_to_json(self, **kwargs)

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Architecture, weights and optimizer state in one file (see ``minidl.models.saving``)."""
        from minidl.models import saving

        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        from minidl.models import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        from minidl.models import saving

        saving.load_weights(self, filepath)

    def get_config(self):
        raise NotImplementedError(
            f"{type(self).__name__}: a subclassed model has no architecture config; save its weights with "
            "save_weights() and rebuild it in code"
        )


def _make_history():
    return callbacks.History()


def _callback_list(callback_objects, model, params):
    return callbacks.CallbackList(callback_objects, model=model, params=params)


def _returned(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
