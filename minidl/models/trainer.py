"""``Trainer``: how a model trains -- compile, fit, evaluate, predict -- mixed into ``Model``.

Everything about training lives here, in one place (``model.py`` holds what a model is):

* ``compile`` resolves the optimizer, losses and metrics, and CAPTURES the list of trainable
  weights, as Keras does: a discriminator compiled while trainable keeps training in its own
  ``train_on_batch`` after ``discriminator.trainable = False``, while a GAN compiled after that
  leaves it frozen. (A model not built at compile time captures its weights when it is built.)
* One training step: forward with ``training=True``, the loss (plus ``model.losses``: the
  layers' regularization penalties and what they ``add_loss``-ed, as Keras reports it),
  backward, ``optimizer.apply_gradients`` on the captured weights, then metric updates on the
  device. The running loss is accumulated on the device; nothing is read back to the host
  except when the progress bar redraws or a callback asks for the batch's logs.
* Inference (``evaluate``, ``predict``) runs under ``no_grad()`` with ``training=False``.

Customising, as in Keras 3 (and tf.keras 2): a subclass may override

* ``train_step(self, data)`` / ``test_step(self, data)`` -- ``data`` is the batch as Keras
  passes it: ``x`` alone, ``(x, y)`` or ``(x, y, sample_weight)``, as tensors (a list for
  several inputs); the returned dict of logs (tensors, floats, metric results) is what the
  progress bar, the callbacks and ``History`` show; the logs of the last step of an epoch
  are the epoch's logs. ``model.metrics`` (the ``"loss"`` tracker and the compiled metrics,
  plus metric objects assigned as attributes) are reset at the start of every epoch.
* ``predict_step(self, data)`` -- returns the batch's outputs, concatenated by ``predict``;
* ``compute_loss(self, x, y, y_pred, sample_weight)`` -- used by the default steps;
* ``compile(...)`` with arguments of its own, calling ``super().compile()``.

Every argument of compile/fit/evaluate/predict is checked first (``minidl.models.arguments``)
and the input data against the model's declared inputs (``minidl.models.input_contract``), so
bad input is an error that names what is wrong before anything has run or trained. Data that
passed those checks once per call runs through ``Model._forward``, without per-batch checks.
"""

import inspect
import warnings

import numpy as np

from minidl import callbacks, optimizers
from minidl.autograd.function import no_grad
from minidl.autograd.tensor import Tensor
from minidl.labels import check_label_shape, check_label_values
from minidl.layers.base import may_have_losses
from minidl.models import arguments, data_adapter, distribution
from minidl.models.compile_utils import (
    Compiled,
    CompiledLoss,
    CompiledMetrics,
    LossTracker,
    metric_weights,
    per_output,
    read_floats,
    read_logs,
    resolve_losses,
    resolve_metrics,
)
from minidl.models.input_contract import text_inputs
from minidl.progbar import Progbar
from minidl.runtime import backend, step_buffers
from minidl.runtime.denormals import flushes_denormals

# Keras 3 refuses empty input too ("Unexpected result of `train_function` (Empty logs)").
_NO_BATCHES = ("the input produced no batches (an empty array, generator or dataset); there is nothing "
               "to run on")

_KNOWN_SHAPE_LOSSES = {
    "binary_crossentropy", "categorical_crossentropy", "mean_squared_error", "mse",
    "mean_absolute_error", "mae", "huber", "huber_loss",
}
_SPARSE_LOSSES = {"sparse_categorical_crossentropy"}


def _shapes_match(data_shape, model_shape):
    return len(data_shape) == len(model_shape) and all(
        m is None or d == m for d, m in zip(data_shape, model_shape)
    )


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def _as_step_tensor(array):
    if array is None or isinstance(array, Tensor):
        return array
    return Tensor._from_op(array)


_signature_cache = {}


def _takes_argument(function, name):
    """True when ``function``'s signature names the parameter ``name`` (cached per function)."""
    key = (function, name)
    if key not in _signature_cache:
        _signature_cache[key] = name in inspect.signature(function).parameters
    return _signature_cache[key]



class Trainer:
    """The training half of ``Model`` (see the module docstring); ``Model`` calls
    ``_init_trainer`` from its constructor."""

    loss = None  # the ``loss`` given to compile, as Keras keeps it (``model.loss``)

    def _init_trainer(self):
        self._compiled = None
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._loss_tracker = LossTracker("loss")
        self._output_loss_trackers = []
        self._added_metric_trackers = {}  # add_metric name -> LossTracker
        self._tracked_metrics = []  # metric objects assigned as attributes (Keras 3 tracks them)
        self._distribution = None  # minidl.distributed: the strategy it was compiled under, if any

    # -- compile -----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None, jit_compile=None,
                **kwargs):
        """Choose the optimizer, loss(es) and metrics; capture the trainable weights.

        ``run_eagerly``, ``steps_per_execution`` and ``jit_compile`` are checked and have no
        effect (minidl always runs eagerly). As in Keras, ``metrics`` ignore the sample weights
        (and ``class_weight``) and ``weighted_metrics`` use them; a weighted metric named like
        an unweighted one is logged as ``weighted_<name>``. Keras 2's ``sample_weight_mode``
        ('temporal' or None) is accepted: sample weights of shape (samples, steps) weigh a
        sequence output step by step either way. Everything is resolved before anything
        changes, so a bad argument leaves an earlier compile in place.
        """
        mode = kwargs.pop("sample_weight_mode", None)
        if mode not in (None, "temporal"):
            raise ValueError(f"compile: sample_weight_mode must be None or 'temporal' (Keras 2), got {mode!r}")
        if kwargs:
            raise TypeError(f"compile: unexpected argument(s) {sorted(kwargs)}")
        what = "compile"
        if run_eagerly is not None:
            arguments.boolean(run_eagerly, "run_eagerly", what)
        if jit_compile is not None and jit_compile != "auto":
            arguments.boolean(jit_compile, "jit_compile", what)
        arguments.integer(steps_per_execution, "steps_per_execution", what, minimum=1, allow_none=True)
        arguments.loss_weights(loss_weights, what)
        names = self._output_keys()
        loss_fns = resolve_losses(loss, names)
        weights = [1.0 if w is None else float(w) for w in per_output(loss_weights, names, "loss_weights")]
        metric_objects, weighted_metric_ids = resolve_metrics(metrics, weighted_metrics, names, loss_fns)
        optimizer_object = optimizers.get(optimizer)
        self.optimizer = optimizer_object
        self.loss = loss
        self._distribution = distribution.active()  # minidl.distributed: set inside a strategy's scope
        step_optimizer = optimizer_object
        if self._distribution is not None:  # the steps average gradients over the ranks
            step_optimizer = self._distribution.wrap_optimizer(optimizer_object)
        self._compiled = Compiled(step_optimizer, loss_fns, weights, metric_objects, {
            "optimizer": optimizer, "loss": loss, "metrics": metrics, "loss_weights": loss_weights,
            "weighted_metrics": weighted_metrics,
        }, weighted_metric_ids)
        self._loss_tracker = LossTracker("loss")
        self._output_loss_trackers = [LossTracker(f"{name}_loss") for name in names]
        self._added_metric_trackers = {}
        if self.built:
            self._capture_trainable_weights()

    def _capture_trainable_weights(self):
        self._compiled.train_weights = list(self.trainable_weights)
        captured = {id(w) for w in self._compiled.train_weights}
        self._compiled.all_weights = list(self.weights)
        self._compiled.frozen_weights = [w for w in self._compiled.all_weights if id(w) not in captured]
        self._compiled.penalized = any(w.regularizer is not None for w in self._compiled.all_weights)

    def _assert_compiled(self, what):
        if self._compiled is None:
            raise RuntimeError(f"{self.name}.{what}: you must compile the model before training or "
                               "evaluating it: model.compile(optimizer=..., loss=...)")

    @property
    def compiled_loss(self):
        """tf.keras 2's ``compiled_loss(y, y_pred, sample_weight, regularization_losses)``."""
        self._assert_compiled("compiled_loss")
        return CompiledLoss(self)

    @property
    def compiled_metrics(self):
        """tf.keras 2's ``compiled_metrics.update_state(y, y_pred, sample_weight)``."""
        self._assert_compiled("compiled_metrics")
        return CompiledMetrics(self)

    @property
    def metrics_names(self):
        """The keys of the logs, in order: 'loss', per-output losses, then the metrics."""
        if self._compiled is None:
            return []
        return [name for name, _ in self._log_sources()]

    @property
    def metrics(self):
        """Keras 3's list of metric objects: once compiled, the ``"loss"`` tracker (and one per
        output), the compiled metrics and the ``add_metric`` means; then the metric objects
        assigned as attributes (a custom ``train_step``'s trackers), then those its layers hold
        (``Layer.metrics``). ``fit`` resets them all at the start of every epoch."""
        found = [source for _, source in self._compiled_sources()] if self._compiled is not None else []
        for metric in [*self._tracked_metrics, *self._layer_metrics()]:
            if all(metric is not known for known in found):
                found.append(metric)
        return found

    def _log_sources(self):
        """(name, object with .result()) pairs: the compiled ones (``_compiled_sources``), then the
        metric objects held by the model's layers (Keras 3 logs them too), each object once."""
        sources = self._compiled_sources()
        held = [metric for metric in self._layer_metrics() if all(metric is not known for _, known in sources)]
        return sources + [(metric.name, metric) for metric in held]

    def _compiled_sources(self):
        """(name, object with .result()) pairs: the loss tracker(s), the metrics, add_metric means."""
        compiled = self._compiled
        names = self._output_keys()
        sources = [("loss", self._loss_tracker)]
        several = len(names) > 1
        if several:
            sources += [
                (f"{name}_loss", tracker)
                for name, tracker, fn in zip(names, self._output_loss_trackers, compiled.loss_fns) if fn is not None
            ]
        for name, group in zip(names, compiled.metrics):
            prefix = f"{name}_" if several else ""
            plain_names = {metric.name for metric in group if id(metric) not in compiled.weighted_metric_ids}
            for metric in group:
                key = metric.name
                if id(metric) in compiled.weighted_metric_ids and key in plain_names:
                    key = f"weighted_{key}"  # Keras's key for a weighted twin of an unweighted metric
                sources.append((prefix + key, metric))
        sources += list(self._added_metric_trackers.items())
        return sources

    def get_metrics_result(self):
        """Keras 3's ``{name: result}`` of every object in ``self.metrics`` (what a custom
        ``train_step`` returns); a metric whose result is a dict contributes its entries."""
        results = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    def reset_metrics(self):
        self._loss_tracker.reset_state()
        for tracker in self._output_loss_trackers:
            tracker.reset_state()
        for tracker in self._added_metric_trackers.values():
            tracker.reset_state()
        if self._compiled is not None:
            for group in self._compiled.metrics:
                for metric in group:
                    metric.reset_state()
        for metric in self.metrics:
            metric.reset_state()

    def _logs(self, across_ranks=False):
        """The current loss and metric values as Python floats (one device-to-host transfer).

        ``across_ranks``: under minidl.distributed, over every rank's rows (a collective: every
        rank must ask at the same point); otherwise this process's own values."""
        sources = self._log_sources()
        if across_ranks and self._distribution is not None:
            return self._distribution.merged_logs(self, sources)
        values = read_floats([source.result() for _, source in sources])
        return {name: value for (name, _), value in zip(sources, values)}

    def _device_logs(self):
        """The current loss and metric values as 0-d device arrays (no transfer)."""
        return {name: source.result() for name, source in self._log_sources()}

    # -- losses ------------------------------------------------------------------------------
    def _as_output_list(self, outputs):
        if isinstance(outputs, dict):  # a model made with a dict of outputs, in its keys' order
            return list(outputs.values())
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    def _compiled_total(self, outputs, ys, sample_weight):
        """The compiled loss(es) alone: (total, per-output values)."""
        compiled = self._compiled
        total = None
        per_output_values = []
        for index, loss_fn in enumerate(compiled.loss_fns):
            if loss_fn is None:
                per_output_values.append(None)
                continue
            value = loss_fn(ys[index], outputs[index], sample_weight=sample_weight)
            per_output_values.append(value)
            weight = compiled.loss_weights[index]
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, per_output_values

    def _total_loss(self, outputs, ys, sample_weight):
        """The compiled loss plus ``self.losses`` (penalties and added losses). A model compiled
        without a loss trains on its added losses alone, as in Keras (``add_loss`` in ``call``)."""
        total, per_output_values = self._compiled_total(outputs, ys, sample_weight)
        if self._compiled.penalized is not False or may_have_losses(self):
            for penalty in self.losses:
                total = penalty if total is None else total + penalty
        if total is None:
            raise RuntimeError(f"{self.name}: compile() was given no loss and the model adds none (add_loss), "
                               "so there is nothing to train or evaluate; pass loss= to compile()")
        return total, per_output_values

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of predictions ``y_pred`` against targets ``y`` as a scalar Tensor: the
        compiled loss plus ``self.losses``, as Keras 3. Override it to change the loss of the
        default training and test steps; ``x`` and ``training`` are for such overrides."""
        self._assert_compiled("compute_loss")
        if y is None:
            raise ValueError(f"{self.name}.compute_loss: y (the targets) is needed for the compiled loss")
        ys = [_raw(target) for target in (y if isinstance(y, (list, tuple)) else [y])]
        ys = [target if backend.is_array(target) else backend.to_device(np.asarray(target)) for target in ys]
        total, _ = self._total_loss(self._as_output_list(y_pred), ys, _raw(sample_weight))
        return total

    def _step_loss(self, inputs, outputs, ys, sample_weight, training):
        """The step's (total, per-output losses): the compiled path, or an overridden compute_loss."""
        if type(self).compute_loss is Trainer.compute_loss:
            self._check_output_count(outputs, ys)
            return self._total_loss(outputs, ys, sample_weight)
        y = None if ys is None else [_as_step_tensor(target) for target in ys]
        y = y[0] if y is not None and len(y) == 1 else y
        y_pred = outputs[0] if len(outputs) == 1 else outputs
        x = [_as_step_tensor(a) for a in inputs] if isinstance(inputs, list) else _as_step_tensor(inputs)
        keywords = {"x": x, "y": y, "y_pred": y_pred, "sample_weight": _as_step_tensor(sample_weight)}
        if _takes_argument(type(self).compute_loss, "training"):
            keywords["training"] = training
        total = self.compute_loss(**keywords)
        if not isinstance(total, Tensor):
            raise TypeError(f"{type(self).__name__}.compute_loss must return a scalar Tensor, "
                            f"got {type(total).__name__}")
        return total, [None] * len(outputs)

    def _check_output_count(self, outputs, ys):
        if ys is None:
            if all(fn is None for fn in self._compiled.loss_fns):
                return  # compiled without a loss: the add_loss() terms alone (Keras 3)
            raise ValueError(f"{self.name}: targets (y) are needed to compute the loss, but none were given")
        if len(ys) != len(outputs):
            raise ValueError(f"{self.name}: the model has {len(outputs)} output(s) but {len(ys)} target array(s) were given")

    # -- the default steps -------------------------------------------------------------------
    def _record(self, total, per_output_values, outputs, ys, sample_weight, rows):
        """Update the running loss(es), the metrics and the add_metric means (device work only)."""
        with no_grad():
            self._loss_tracker.add(total.data, rows)
            if len(per_output_values) > 1:
                for tracker, value in zip(self._output_loss_trackers, per_output_values):
                    if value is not None:
                        tracker.add(value.data, rows)
            if ys is not None:
                for index, group in enumerate(self._compiled.metrics):
                    for metric in group:
                        weights = metric_weights(self._compiled, metric, outputs[index], sample_weight)
                        metric.update_state(ys[index], outputs[index].data, weights)
            if self._loss_layers:
                for layer in self._loss_layers:
                    for name, value in layer._added_metrics:
                        tracker = self._added_metric_trackers.setdefault(name, LossTracker(name))
                        tracker.add(_raw(value).mean(), rows)

    @flushes_denormals  # one scope for the step's forward, backward and update
    def _train_step(self, xs, ys, sample_weight):
        compiled = self._compiled
        train_weights = compiled.train_weights
        if self._empty_share(xs):
            # it still joins the gradient allreduce, adding nothing, so every rank takes the step
            compiled.optimizer.apply_gradients([(None, weight) for weight in train_weights])
            return
        for weight in compiled.frozen_weights:
            weight.requires_grad = False
        for weight in train_weights:
            weight.requires_grad = True
        try:
            inputs = self._model_inputs(xs)
            outputs = self._as_output_list(self._forward(inputs, training=True))
            total, per_output_values = self._step_loss(inputs, outputs, ys, sample_weight, training=True)
            if train_weights:
                total.backward()
        finally:
            for weight in compiled.all_weights:
                weight.requires_grad = weight.trainable
        if not train_weights:
            # Keras trains nothing then, and warns; the loss and metrics are still reported
            if not getattr(self, "_warned_no_trainable_weights", False):
                warnings.warn(f"{self.name}: the model does not have any trainable weights; fit() only "
                              "reports the loss and metrics", stacklevel=3)
                self._warned_no_trainable_weights = True
            self._record(total, per_output_values, outputs, ys, sample_weight, len(xs[0]))
            return
        compiled.optimizer.apply_gradients([(weight.grad, weight) for weight in train_weights])
        for weight in train_weights:
            weight.grad = None
        self._record(total, per_output_values, outputs, ys, sample_weight, len(xs[0]))

    def _empty_share(self, xs):
        """minidl.distributed: True where this rank's share of a batch smaller than the world is empty."""
        return self._distribution is not None and len(xs[0]) == 0

    @flushes_denormals
    def _test_step(self, xs, ys, sample_weight):
        if self._empty_share(xs):
            return
        with no_grad():
            inputs = self._model_inputs(xs)
            outputs = self._as_output_list(self._forward(inputs, training=False))
            total, per_output_values = self._step_loss(inputs, outputs, ys, sample_weight, training=False)
        self._record(total, per_output_values, outputs, ys, sample_weight, len(xs[0]))

    def train_step(self, data):
        """One training step on a batch: ``data`` is ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

        Forward, loss (``compute_loss``), backward, optimizer update, metric updates; returns the
        running logs as a dict of 0-d tensors. Override it to train differently (see the module
        docstring); ``super().train_step(data)`` runs this default.
        """
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        xs, ys = self._step_arrays(x), None if y is None else self._step_arrays(y)
        self._ensure_built(xs)
        self._train_step(xs, ys, _raw(sample_weight))
        return self._device_logs()

    def test_step(self, data):
        """One evaluation step on a batch (as ``train_step``, without the update)."""
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        xs, ys = self._step_arrays(x), None if y is None else self._step_arrays(y)
        self._ensure_built(xs)
        self._test_step(xs, ys, _raw(sample_weight))
        return self._device_logs()

    def predict_step(self, data):
        """The model's outputs for one batch (``data`` as in ``train_step``; only x is used)."""
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    @staticmethod
    def _step_arrays(value):
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        arrays = [_raw(v) for v in values]
        return [a if backend.is_array(a) else backend.to_device(np.asarray(a)) for a in arrays]

    def _custom_step_data(self, xs, ys, sample_weight):
        """A batch packed as Keras hands it to an overridden step (tensors; lists for several)."""
        x = self._model_inputs([_as_step_tensor(a) for a in xs])
        y = None if ys is None else [_as_step_tensor(a) for a in ys]
        return data_adapter.pack_x_y_sample_weight(
            x,
            None if y is None else (y[0] if len(y) == 1 else y),
            _as_step_tensor(sample_weight),
        )

    def _overrides(self, method):
        return getattr(type(self), method) is not getattr(Trainer, method)

    # -- checks done once per call on the host ----------------------------------------------------
    def _check_targets(self, data, what):
        """Target shapes against the output shapes, and sparse labels against the class count."""
        ys = getattr(data, "ys", None)
        if ys is None:
            compiled = getattr(self, "_compiled", None)
            has_loss = compiled is None or any(fn is not None for fn in compiled.loss_fns)
            # Keras 3: a model compiled without a loss trains on its add_loss() terms alone.
            needs_targets = type(self).compute_loss is Trainer.compute_loss and has_loss
            if isinstance(data, data_adapter.ArrayData) and needs_targets:
                raise ValueError(f"{what}: y is required (the model is compiled with a loss to compute against it)")
            return
        shapes = self._output_shapes()
        if shapes is None:
            return
        names = self._output_keys()
        if len(ys) != len(shapes):
            raise ValueError(f"{what}: the model has {len(shapes)} output(s) {names} but y holds {len(ys)} array(s)")
        for y, out_shape, loss_fn, name in zip(ys, shapes, self._compiled.loss_fns, names):
            out_shape = (None,) + tuple(out_shape[1:])  # a declared batch size does not fix the data's sample count
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
        who = f"{what}: sparse_categorical_crossentropy, output {name!r}"
        check_label_shape(y.shape, out_shape, who)
        if out_shape[-1] is not None:
            check_label_values(backend.to_numpy(y), out_shape[-1], who)  # once per call, explicitly

    def _check_class_weight(self, class_weight, what):
        """class_weight's keys against the classes of the (single) output, once its shape is known."""
        if class_weight is None:
            return
        shapes = self._output_shapes()
        if shapes is None:
            return
        if len(shapes) != 1:
            raise ValueError(f"{what}: class_weight is supported for models with exactly one output, "
                             f"this one has {len(shapes)} {self.output_names}")
        units = shapes[0][-1] if shapes[0] else None
        if units is None:
            return
        classes = units if units > 1 else 2  # one sigmoid unit: classes 0 and 1
        outside = sorted(key for key in class_weight if key >= classes)
        if outside:
            raise arguments.ArgumentError(
                f"{what}: class_weight has keys {outside} outside the model's classes 0..{classes - 1} "
                f"(the output {self.output_names[0]!r} has {units} unit{'s' if units > 1 else ''})"
            )

    # -- data ----------------------------------------------------------------------------------
    def _data(self, x, y, sample_weight, batch_size, steps, what):
        contract = self.input_contract()
        names = self._known_input_names()
        if names is None and isinstance(x, dict):
            self._remember_dict_keys(tuple(x))
        data = data_adapter.make_data(
            x, y, sample_weight, batch_size, steps, names, self._known_output_names(), what,
            conform_x=None if contract is None else contract.conform_arrays, accepts_text=text_inputs(self, contract),
        )
        if names is None and isinstance(data, data_adapter._BatchSource):
            data.on_dict_keys = self._remember_dict_keys  # a dataset or generator of dict batches
        return data

    def _remember_dict_keys(self, keys):
        """A model without input names fed a dict (``fit(dict(df), y)``, a dataset of dicts) gets
        the dict back in ``call``, with these keys (see ``Model._model_inputs``)."""
        self._dict_input_keys = keys

    def _prepare(self, data, what, build=True):
        """Build the model on the first rows where needed; False when that must wait for a batch."""
        if isinstance(data, data_adapter.ArrayData):
            if data.num_samples == 0:
                raise ValueError(f"{what}: got 0 samples")
            if build:
                self._ensure_built(data.first_rows())
        elif not self.built:
            return False
        elif build:
            self._ensure_built(None)
        return self.built

    # -- training ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1,
            max_queue_size=10, workers=1, use_multiprocessing=False):
        """Train for ``epochs`` epochs; returns the ``History`` callback (Keras's semantics).

        ``max_queue_size``, ``workers`` and ``use_multiprocessing`` (tf.keras 2) are checked and
        unused: batches are prepared in the training thread.
        """
        what = "fit"
        self._assert_compiled(what)
        batch_size = arguments.integer(batch_size, "batch_size", what, minimum=1, allow_none=True, none_means="for 32")
        epochs = arguments.integer(epochs, "epochs", what)
        initial_epoch = arguments.integer(initial_epoch, "initial_epoch", what)
        verbose = arguments.verbose(verbose, what)
        user_callbacks = arguments.callback_list(callbacks, what)
        validation_split = arguments.validation_split(validation_split, what)
        shuffle = arguments.shuffle(shuffle, what)
        class_weight = arguments.class_weight(class_weight, what)
        steps_per_epoch = arguments.integer(steps_per_epoch, "steps_per_epoch", what, minimum=1, allow_none=True)
        validation_steps = arguments.integer(validation_steps, "validation_steps", what, minimum=1, allow_none=True)
        validation_batch_size = arguments.integer(validation_batch_size, "validation_batch_size", what, minimum=1,
                                                  allow_none=True)
        validation_freq = arguments.validation_freq(validation_freq, what)
        arguments.queue_arguments(max_queue_size, workers, use_multiprocessing, what)

        custom_step = self._overrides("train_step")
        data = self._data(x, y, sample_weight, batch_size, steps_per_epoch, what)
        validation = None
        if validation_data is not None:
            validation = self._validation_data(validation_data, validation_batch_size or batch_size, validation_steps)
        elif validation_split:
            if not isinstance(data, data_adapter.ArrayData):
                raise ValueError("fit: validation_split needs array data; with a generator or Sequence pass validation_data")
            data, validation = data.split(validation_split)
            if validation_batch_size:
                validation = validation.with_batch_size(validation_batch_size)
        built = self._prepare(data, what, build=not custom_step)
        if not custom_step:
            if built:
                self._check_targets(data, what)
            if isinstance(validation, data_adapter.ArrayData) and not self._overrides("test_step"):
                self._ensure_built(validation.first_rows())
                self._check_targets(validation, "fit (validation data)")
        self._check_class_weight(class_weight, what)
        if class_weight is not None and isinstance(data, data_adapter.ArrayData):
            self._apply_class_weight(data, class_weight)

        steps = data.steps if steps_per_epoch is None else steps_per_epoch
        if steps is not None and isinstance(data, data_adapter.ArrayData):
            steps = min(steps, data.steps)
        history = _make_history()
        if self._distribution is not None:  # minidl.distributed: check, split the data, start alike
            settings = {"verbose": verbose, "epochs": epochs, "initial_epoch": initial_epoch, "steps": steps,
                        "shuffle": shuffle}
            verbose, user_callbacks = self._distribution.begin_fit(self, data, validation, settings, user_callbacks)
        callback_list = _callback_list(user_callbacks + [history], self,
                                       {"verbose": verbose, "epochs": epochs, "steps": steps})
        batch_hooks = any(cb._implements_train_batch_hooks() for cb in user_callbacks)
        self.history = history
        self.stop_training = False
        try:
            logs = {}
            callback_list.on_train_begin(logs)
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch, {})
                if verbose:
                    print(f"Epoch {epoch + 1}/{epochs}", flush=True)
                progbar = Progbar(steps, verbose=verbose)
                step = 0
                step_logs = None
                for xs, ys, weights in data.batches(shuffle):
                    if not built and not custom_step:
                        self._ensure_built(xs)
                        self._check_target_batch(ys)
                        built = True
                    if class_weight is not None and not isinstance(data, data_adapter.ArrayData):
                        weights = self._class_weight_batch(ys, weights, class_weight)
                    if batch_hooks:
                        callback_list.on_train_batch_begin(step, {})
                    if custom_step:
                        step_logs = self._run_train_step(xs, ys, weights, step_logs)
                    else:
                        self._train_step(xs, ys, weights)
                    step += 1
                    batch_logs = None
                    if batch_hooks:
                        batch_logs = self._current_logs(step_logs, custom_step, across_ranks=True)
                        callback_list.on_train_batch_end(step - 1, batch_logs)
                    if progbar.due(step) and not (steps is not None and step >= steps):
                        progbar.update(step, list((batch_logs or self._current_logs(step_logs, custom_step)).items()))
                    if self.stop_training or (steps is not None and step >= steps):
                        break
                end_epoch = getattr(data, "end_epoch", None)
                if end_epoch is not None:
                    end_epoch()
                if step == 0:
                    if epoch == initial_epoch:
                        raise ValueError(f"fit: {_NO_BATCHES}")
                    warnings.warn("fit: the input ran out of data; stopping training", stacklevel=2)
                    break
                logs = self._current_logs(step_logs, custom_step, across_ranks=True)
                if validation is not None and arguments.validate_now(validation_freq, epoch):
                    val_logs = self._evaluate_loop(validation, callback_list, verbose=0,
                                                   what="fit: validation_data")
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                progbar.target = progbar.target if progbar.target is not None else step
                progbar.update(step, list(logs.items()), finalize=True)
                callback_list.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
            callback_list.on_train_end(logs)
        finally:  # also when training stops with an exception (a Ctrl-C in a notebook, say)
            step_buffers.release()  # the steps' free work arrays go back to the process between runs
        return history

    def _run_train_step(self, xs, ys, weights, previous_logs):
        """An overridden ``train_step`` on one batch; returns its logs."""
        data = self._custom_step_data(xs, ys, weights)
        if self._distribution is None:
            return self.train_step(data)
        # minidl.distributed: every optimizer averages its gradients over the ranks
        return self._distribution.run_train_step(self, data, len(xs[0]), previous_logs)

    def _current_logs(self, step_logs, custom_step, what="train_step", across_ranks=False):
        """The logs to show: an overridden step's last returned dict, else the running values
        (over every rank's rows with ``across_ranks`` under minidl.distributed)."""
        if custom_step:
            logs = read_logs(step_logs, what)
            if across_ranks and self._distribution is not None:
                return self._distribution.merged_step_logs(self, logs)
            return logs
        return self._logs(across_ranks=across_ranks)

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
    def _evaluate_loop(self, data, callback_list=None, verbose=0, steps=None, what="evaluate"):
        self.reset_metrics()
        custom_step = self._overrides("test_step")
        if callback_list is not None:
            callback_list.on_test_begin({})
        total_steps = data.steps if steps is None else int(steps)
        if total_steps is not None and isinstance(data, data_adapter.ArrayData):
            total_steps = min(total_steps, data.steps)
        progbar = Progbar(total_steps, verbose=verbose)
        step = 0
        step_logs = None
        for xs, ys, weights in data.batches(False):
            step_buffers.new_step()  # (training's backward passes start theirs in the engine)
            if custom_step:
                if not self._empty_share(xs):
                    with no_grad():
                        step_logs = self.test_step(self._custom_step_data(xs, ys, weights))
            else:
                self._ensure_built(xs)
                self._test_step(xs, ys, weights)
            step += 1
            if progbar.due(step) and not (total_steps is not None and step >= total_steps):
                progbar.update(step, list(self._current_logs(step_logs, custom_step, "test_step").items()))
            if total_steps is not None and step >= total_steps:
                break
        if step == 0:
            raise ValueError(f"{what}: {_NO_BATCHES}")
        logs = self._current_logs(step_logs, custom_step, "test_step", across_ranks=True)
        if verbose:
            progbar.target = progbar.target if progbar.target is not None else step
            progbar.update(step, list(logs.items()), finalize=True)
        if callback_list is not None:
            callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, max_queue_size=10, workers=1, use_multiprocessing=False):
        """The loss (and metrics) on ``x``/``y``: a float, or ``[loss, *metrics]``, or a dict."""
        what = "evaluate"
        self._assert_compiled(what)
        batch_size = arguments.integer(batch_size, "batch_size", what, minimum=1, allow_none=True, none_means="for 32")
        verbose = arguments.verbose(verbose, what)
        steps = arguments.integer(steps, "steps", what, minimum=1, allow_none=True)
        user_callbacks = arguments.callback_list(callbacks, what)
        return_dict = arguments.boolean(return_dict, "return_dict", what)
        arguments.queue_arguments(max_queue_size, workers, use_multiprocessing, what)
        data = self._data(x, y, sample_weight, batch_size, steps, what)
        custom_step = self._overrides("test_step")
        if self._prepare(data, what, build=not custom_step) and not custom_step:
            self._check_targets(data, what)
        if self._distribution is not None:  # minidl.distributed: split the data, rank 0's weights
            verbose = self._distribution.begin_evaluate(self, data, verbose)
        callback_list = None
        if user_callbacks:
            callback_list = _callback_list(user_callbacks, self, {"verbose": verbose, "steps": data.steps})
        logs = self._evaluate_loop(data, callback_list, verbose=verbose, steps=steps)
        return _returned(logs, return_dict)

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None, max_queue_size=10, workers=1,
                use_multiprocessing=False):
        """The model's outputs as NumPy arrays (a list of them for several outputs).

        ``callbacks`` are called as Keras 3 calls them: ``on_predict_begin({})``, then per batch
        ``on_predict_batch_begin(step, {})`` and ``on_predict_batch_end(step, {"outputs": ...})``
        with the batch's outputs as NumPy arrays (see ``_predict_batch_logs``), then
        ``on_predict_end({})``; a callback may stop early with ``model.stop_predicting = True``.
        """
        what = "predict"
        batch_size = arguments.integer(batch_size, "batch_size", what, minimum=1, allow_none=True, none_means="for 32")
        verbose = arguments.verbose(verbose, what)
        steps = arguments.integer(steps, "steps", what, minimum=1, allow_none=True)
        user_callbacks = arguments.callback_list(callbacks, what)
        arguments.queue_arguments(max_queue_size, workers, use_multiprocessing, what)
        data = self._data(x, None, None, batch_size, steps, what)
        if isinstance(data, data_adapter.ArrayData):
            data.ys = None
        custom_step = self._overrides("predict_step")
        self._prepare(data, what, build=not custom_step)
        total_steps = data.steps if steps is None else steps
        if total_steps is not None and isinstance(data, data_adapter.ArrayData):
            total_steps = min(total_steps, data.steps)
        callback_list = _callback_list(user_callbacks, self, {"verbose": verbose, "epochs": 1, "steps": total_steps})
        batch_hooks = callback_list._implements_predict_batch_hooks()  # else no batch is copied to the host for them
        progbar = Progbar(total_steps, verbose=verbose)
        chunks = None
        structure = None
        step = 0
        self.stop_predicting = False
        callback_list.on_predict_begin({})
        with no_grad():
            for xs, _, _ in data.batches(False):
                step_buffers.new_step()
                if batch_hooks:
                    callback_list.on_predict_batch_begin(step, {})
                if custom_step:
                    outputs = self.predict_step(self._custom_step_data(xs, None, None))
                else:
                    self._ensure_built(xs)
                    outputs = self._forward(self._model_inputs(xs), training=False)
                structure, arrays = _flatten_outputs(outputs, structure)
                if chunks is None:
                    chunks = [[] for _ in arrays]
                for chunk, array in zip(chunks, arrays):
                    chunk.append(array)
                if batch_hooks:
                    callback_list.on_predict_batch_end(step, _predict_batch_logs(arrays, structure))
                step += 1
                if progbar.due(step):
                    progbar.update(step)
                if self.stop_predicting or (total_steps is not None and step >= total_steps):
                    break
        if chunks is None:
            raise ValueError(f"predict: {_NO_BATCHES}")
        callback_list.on_predict_end({})
        if verbose:
            progbar.target = progbar.target if progbar.target is not None else step
            progbar.update(step, finalize=True)
        xp = backend.get_xp()
        results = [backend.to_numpy(xp.concatenate(chunk, axis=0)) if len(chunk) > 1 else backend.to_numpy(chunk[0])
                   for chunk in chunks]
        return _restructure(results, structure)

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

    # -- TensorFlow 2.0's generator methods (removed in Keras 3; the labs call them) ----------------
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """``fit`` on a generator or Sequence, as TensorFlow 2.0 spelled it."""
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch, max_queue_size=max_queue_size, workers=workers,
                        use_multiprocessing=use_multiprocessing)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose,
                             max_queue_size=max_queue_size, workers=workers, use_multiprocessing=use_multiprocessing)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose,
                            max_queue_size=max_queue_size, workers=workers, use_multiprocessing=use_multiprocessing)

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
        what = "train_on_batch"
        self._assert_compiled(what)
        class_weight = arguments.class_weight(class_weight, what)
        reset_metrics = arguments.boolean(reset_metrics, "reset_metrics", what)
        return_dict = arguments.boolean(return_dict, "return_dict", what)
        data = self._single_batch(x, y, sample_weight, what)
        custom_step = self._overrides("train_step")
        self._prepare(data, what, build=not custom_step)
        if not custom_step:
            self._check_targets(data, what)
        self._check_class_weight(class_weight, what)
        if class_weight is not None:
            self._apply_class_weight(data, class_weight)
        if self._distribution is not None:  # minidl.distributed: every rank starts from rank 0's weights
            self._distribution.begin_batch(self)
        if reset_metrics:
            self.reset_metrics()
        xs, ys, weights = next(data.batches(False))
        if custom_step:
            return _returned(read_logs(self._run_train_step(xs, ys, weights, None)), return_dict)
        self._train_step(xs, ys, weights)
        return _returned(self._logs(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """The loss (and metrics) on exactly this batch, without updating the weights."""
        what = "test_on_batch"
        self._assert_compiled(what)
        reset_metrics = arguments.boolean(reset_metrics, "reset_metrics", what)
        return_dict = arguments.boolean(return_dict, "return_dict", what)
        data = self._single_batch(x, y, sample_weight, what)
        custom_step = self._overrides("test_step")
        self._prepare(data, what, build=not custom_step)
        if not custom_step:
            self._check_targets(data, what)
        if self._distribution is not None:  # minidl.distributed: every rank starts from rank 0's weights
            self._distribution.begin_batch(self)
        if reset_metrics:
            self.reset_metrics()
        xs, ys, weights = next(data.batches(False))
        if custom_step:
            with no_grad():
                logs = self.test_step(self._custom_step_data(xs, ys, weights))
            return _returned(read_logs(logs, "test_step"), return_dict)
        self._test_step(xs, ys, weights)
        return _returned(self._logs(), return_dict)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch, as NumPy arrays."""
        data = self._single_batch(x, None, None, "predict_on_batch")
        custom_step = self._overrides("predict_step")
        self._prepare(data, "predict_on_batch", build=not custom_step)
        xs, _, _ = next(data.batches(False))
        with no_grad():
            if custom_step:
                outputs = self.predict_step(self._custom_step_data(xs, None, None))
            else:
                outputs = self._forward(self._model_inputs(xs), training=False)
        structure, arrays = _flatten_outputs(outputs, None)
        return _restructure([backend.to_numpy(a) for a in arrays], structure)


def _make_history():
    return callbacks.History()


def _callback_list(callback_objects, model, params):
    return callbacks.CallbackList(callback_objects, model=model, params=params)


def _predict_batch_logs(arrays, structure):
    """The logs of ``on_predict_batch_end``, as Keras 3 writes them: ``{"outputs": array}`` (a
    list of arrays for several outputs); a model returning a dict has its outputs as the logs
    themselves, by name (Keras flattens the nested dict)."""
    host = [backend.to_numpy(array) for array in arrays]
    kind, detail = structure
    if kind == "dict":
        return dict(sorted(zip(detail, host)))
    return {"outputs": host[0] if kind == "single" else host}


def _returned(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _flatten_outputs(outputs, structure):
    """(structure, device arrays) of what a model or predict_step returned: a tensor, an array,
    a list/tuple of them, or a dict of them."""
    if isinstance(outputs, dict):
        found = ("dict", tuple(outputs))
        values = list(outputs.values())
    elif isinstance(outputs, (list, tuple)):
        found = ("list", len(outputs))
        values = list(outputs)
    else:
        found = ("single", 1)
        values = [outputs]
    if structure is not None and found != structure:
        raise ValueError(f"predict: the batches gave outputs of different structures ({structure} then {found})")
    arrays = []
    for value in values:
        value = _raw(value)
        arrays.append(value if backend.is_array(value) else backend.to_device(np.asarray(value)))
    return found, arrays


def _restructure(results, structure):
    kind, detail = structure
    if kind == "dict":
        return dict(zip(detail, results))
    return results[0] if len(results) == 1 else results
