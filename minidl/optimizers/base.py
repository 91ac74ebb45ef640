"""``Optimizer``: what every optimizer shares -- learning rate, clipping, slots, the update loop.

An optimizer turns gradients into weight updates. The Keras face is
``apply_gradients([(grad, weight), ...])`` (what ``model.fit`` calls) and, for the book's
low-level chapters, ``minimize(loss_fn, var_list)``; the PyTorch face is ``zero_grad()`` /
``loss.backward()`` / ``step()`` on the parameters given to the constructor.

Every update follows TensorFlow 2's Keras optimizers (OptimizerV2) to the order of the float
operations, so the book's deterministic results reproduce to float32 precision:

* the scalars of a step (the learning rate, Adam's bias-corrected step size, ...) are computed
  on the host from the integer step count, in the weight's own dtype, exactly as TensorFlow
  computes them in float32 before calling its update kernel (``step_scalars``);
* the update itself changes ``weight.data`` in place; the per-weight state ("slots": Adam's
  moments, RMSprop's mean square, ...) lives on the device beside the weight and is created as
  zeros the first time the weight is seen.

Each optimizer writes its update twice. ``update_one(w, g, state, s)`` is the update as its
formula, one line per equation -- read that one. ``fast_update`` is the same float operations
into reused scratch buffers (``minidl/optimizers/fast_updates.py``), split into ranges of
elements over the CPU cores for a large weight, and gives the same bits. ``apply_gradients``
runs the fast one, and ``update_one`` inside ``minidl.reference_ops()``.

A subclass names its slots (``_slot_names``), computes its step's scalars for one dtype
(``step_scalars``) and writes ``update_one`` and ``fast_update``.
"""

import functools
import inspect
import numbers
import types
import warnings

import numpy as np

from minidl.autograd.function import enable_grad
from minidl.autograd.tensor import Tensor
from minidl.ops.forms import reference_forms_active
from minidl.optimizers import clipping, fast_updates, replicas
from minidl.runtime import backend
from minidl.runtime.denormals import flushes_denormals

_ALLOWED_KWARGS = ("lr", "decay")


class StepCount(int):
    """An optimizer's step count: a Python int with TensorFlow's ``.numpy()`` (an int64)."""

    def numpy(self):
        return np.int64(self)


class LearningRate(float):
    """An optimizer's fixed learning rate as ``optimizer.learning_rate`` reads it: a Python float
    (arithmetic, comparisons, ``float()``, ``np.float32()``, JSON all treat it as one) that also
    answers the methods of the variable Keras keeps the rate in, so that Keras/TensorFlow code
    runs: ``optimizer.learning_rate.assign(0.001)`` (and ``assign_add`` / ``assign_sub``) sets the
    optimizer's rate exactly as ``optimizer.learning_rate = 0.001`` does, and ``numpy()`` gives a
    float32 as the variable's does.

    The optimizer itself keeps a plain float (its update code and ``get_config`` use that); this
    is a fresh value at each read. Unlike a variable, a name still bound to it after an
    ``assign`` reads the rate it had then: read ``optimizer.learning_rate`` again for the new one.
    A copy or a pickle is a plain float."""

    def __new__(cls, value, optimizer):
        rate = super().__new__(cls, value)
        rate._optimizer = optimizer
        return rate

    def assign(self, value):
        """Set the optimizer's learning rate to ``value``; returns the new rate."""
        self._optimizer.learning_rate = value
        return self._optimizer.learning_rate

    def assign_add(self, delta):
        return self.assign(float(self) + float(delta))

    def assign_sub(self, delta):
        return self.assign(float(self) - float(delta))

    def numpy(self):
        return np.float32(self)

    def __reduce__(self):
        return (float, (float(self),))


class Optimizer:
    """Base class of the optimizers (see the module docstring)."""

    default_learning_rate = 0.001

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _keras_positional_order(cls.__dict__["__init__"])

    def __init__(self, params=None, learning_rate=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        unknown = sorted(set(kwargs) - set(_ALLOWED_KWARGS))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: unexpected argument(s) {unknown}; besides its own "
                f"hyper-parameters it accepts params, learning_rate (alias lr), clipnorm, clipvalue, "
                f"global_clipnorm, decay and name"
            )
        params, learning_rate = self._split_params_and_rate(params, learning_rate, kwargs.get("lr"))
        self.name = name or type(self).__name__
        self.learning_rate = learning_rate
        self.decay = _non_negative(self.name, "decay", kwargs.get("decay", 0.0))
        self.clipnorm = _positive_or_none(self.name, "clipnorm", clipnorm)
        self.clipvalue = _positive_or_none(self.name, "clipvalue", clipvalue)
        self.global_clipnorm = _positive_or_none(self.name, "global_clipnorm", global_clipnorm)
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError(
                f"{self.name}: give at most one of clipnorm ({clipnorm}) and global_clipnorm "
                f"({global_clipnorm}), as in Keras"
            )
        self.params = None if params is None else self._checked_params(params)
        self.iterations = 0
        self._slots = {}  # id(weight) -> (weight, {slot name: array}), in first-seen order
        self._pending_slots = []  # slots read from a checkpoint before the weights were met
        self._warned_missing = set()

    # -- construction helpers ------------------------------------------------------------------
    def _split_params_and_rate(self, params, learning_rate, lr_alias):
        """Accept Keras's ``Adam(0.01)`` as well as PyTorch's ``Adam(model.parameters(), lr=0.01)``."""
        if lr_alias is not None:
            if learning_rate is not None:
                raise TypeError(f"{type(self).__name__}: give learning_rate or its alias lr, not both")
            learning_rate = lr_alias
        if params is not None and _is_rate(params):
            if learning_rate is not None:
                raise TypeError(
                    f"{type(self).__name__}: the first argument ({params!r}) was taken as the learning "
                    f"rate, and learning_rate={learning_rate!r} was given too; pass the other "
                    "hyper-parameters by keyword"
                )
            params, learning_rate = None, params
        if learning_rate is None:
            learning_rate = self.default_learning_rate
        return params, learning_rate

    def _checked_params(self, params):
        if isinstance(params, Tensor):
            params = [params]
        params = list(params)
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{self.name}: params[{index}] is a {type(param).__name__}; expected minidl Tensors "
                    "(e.g. model.parameters() or minidl.tensor(..., requires_grad=True))"
                )
        return params

    # -- the step count ---------------------------------------------------------------------
    @property
    def iterations(self):
        """The number of steps taken: an int that also answers ``.numpy()`` (Keras keeps it in an
        int64 variable, and the custom-training tutorial prints ``optimizer.iterations.numpy()``)."""
        return StepCount(self._iterations)

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)

    # -- the learning rate ---------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The rate as a ``LearningRate`` (a float with Keras's ``assign`` / ``numpy``), or the
        schedule given (a callable ``schedule(step) -> rate``), as tf.keras 2 returns it;
        ``current_learning_rate()`` is a schedule's value now."""
        rate = self._learning_rate
        return rate if callable(rate) else LearningRate(rate, self)

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, Tensor):
            value = value.item()
        elif backend.is_array(value) or isinstance(value, np.ndarray):
            value = backend.to_numpy(value).item()
        if callable(value):
            self._learning_rate = value
            return
        if not _is_number(value):
            raise TypeError(
                f"{self.name}: learning_rate must be a number or a schedule (a callable step -> rate), "
                f"got {type(value).__name__}"
            )
        self._learning_rate = _non_negative(self.name, "learning_rate", value)

    lr = learning_rate  # Keras's older name for the same property

    def current_learning_rate(self):
        """The rate the next step will use: the schedule's value at ``iterations``, then ``decay``."""
        rate = self._learning_rate
        if callable(rate):
            rate = float(rate(self.iterations))
        return rate

    def _rate_in(self, dtype):
        """Keras's ``_decayed_lr``: lr / (1 + decay * iterations), computed in the weight dtype."""
        rate = dtype.type(self.current_learning_rate())
        if self.decay > 0:
            rate = rate / (dtype.type(1) + dtype.type(self.decay) * dtype.type(self.iterations))
        return rate

    # -- the Keras face ------------------------------------------------------------------------
    @flushes_denormals  # stuck denormal slots would slow every update: minidl/runtime/denormals.py
    def apply_gradients(self, grads_and_vars):
        """Clip the gradients and update each weight in place; ``iterations += 1``.

        ``grads_and_vars`` is an iterable of ``(grad, weight)`` pairs; a grad is a backend array
        (as ``Tensor.grad`` holds it) or None for a weight that received no gradient (skipped).
        """
        pairs = list(grads_and_vars)
        for position, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(
                    f"{self.name}.apply_gradients: expected (gradient, weight) pairs, got "
                    f"{type(pair).__name__} at position {position}"
                )
            grad, weight = pair
            # checked before any weight gets slots; fit's own pairs (an array, a leaf) skip the call
            if isinstance(weight, Tensor) and (weight.creator is not None or isinstance(grad, Tensor)):
                _check_pair(self.name, position, grad, weight)
        pairs = replicas.averaged(self, pairs)  # minidl.distributed: a custom train_step's update
        for _, weight in pairs:
            self._slots_of(weight)  # register every weight, in order, even one without gradient
        present = [(self._checked_grad(grad, weight), weight) for grad, weight in pairs if grad is not None]
        if not present:
            names = [_weight_name(weight) for _, weight in pairs]
            raise ValueError(f"{self.name}: no gradients provided for any variable: {names}")
        if len(present) < len(pairs):
            self._warn_missing([weight for grad, weight in pairs if grad is None])
        grads = self._clipped([grad for grad, _ in present])
        scalars = {}
        readable = reference_forms_active()
        tasks = []
        for grad, (_, weight) in zip(grads, present):
            dtype = weight.data.dtype
            if dtype not in scalars:
                scalars[dtype] = self.step_scalars(dtype)
            if readable:
                self.update_one(weight.data, grad, self._slots_of(weight), scalars[dtype])
            else:  # every weight's fast update, run together on the cores below
                update = functools.partial(self.fast_update, s=scalars[dtype])
                tasks += fast_updates.update_tasks(update, weight.data, grad, self._slots_of(weight))
        fast_updates.run_tasks(tasks, side_by_side=len({id(weight) for _, weight in present}) == len(present))
        self.iterations += 1
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """Keras 3's ``optimizer.apply(grads, trainable_variables)``: ``apply_gradients`` on the
        gradients paired with the variables in order. Without ``trainable_variables`` the
        optimizer's own weights are used (``SGD(model.parameters())``, or those of an earlier call)."""
        grads = list(grads)
        if trainable_variables is None:
            trainable_variables = self.params or [weight for weight, _ in self._slots.values()]
            if not trainable_variables:
                raise ValueError(f"{self.name}.apply: pass trainable_variables (e.g. model.trainable_variables); "
                                 "this optimizer has not been given any weights yet")
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"{self.name}.apply: got {len(grads)} gradients for {len(variables)} variables; "
                             "pass one gradient per variable, in the same order")
        self.apply_gradients(zip(grads, variables))

    def minimize(self, loss, var_list):
        """One step of TensorFlow 2's ``optimizer.minimize(loss, var_list)``.

        ``loss`` is a zero-argument callable returning the loss Tensor (the graph is recorded
        while it runs) or an already computed Tensor. A non-scalar loss is differentiated as
        its sum, as ``tf.GradientTape`` does. ``var_list`` is a Tensor, a list of them, or a
        callable returning the list. Returns the loss Tensor (cut off from the graph).
        """
        variables = self._variables_for_minimize(var_list)
        previous = [variable.requires_grad for variable in variables]
        for variable in variables:
            variable.requires_grad = True  # tf.Variables are always watched by the tape
            variable.grad = None
        try:
            with enable_grad():
                value = loss() if callable(loss) and not isinstance(loss, Tensor) else loss
        finally:
            for variable, flag in zip(variables, previous):
                variable.requires_grad = flag
        if not isinstance(value, Tensor):
            raise TypeError(f"{self.name}.minimize: the loss must be a minidl Tensor, got {type(value).__name__}")
        if not value.requires_grad:
            names = [_weight_name(variable) for variable in variables]
            raise ValueError(f"{self.name}.minimize: the loss does not depend on any of {names}; no gradients")
        seed = None if value.size == 1 else backend.get_xp().ones_like(value.data)
        value.backward(seed)
        try:
            self.apply_gradients([(variable.grad, variable) for variable in variables])
        finally:
            for variable in variables:
                variable.grad = None
        return value.detach()

    def _variables_for_minimize(self, var_list):
        if callable(var_list) and not isinstance(var_list, Tensor):
            var_list = var_list()
        if isinstance(var_list, Tensor):
            var_list = [var_list]
        variables = list(var_list)
        if not variables:
            raise ValueError(f"{self.name}.minimize: var_list is empty")
        for index, variable in enumerate(variables):
            if not isinstance(variable, Tensor):
                raise TypeError(f"{self.name}.minimize: var_list[{index}] is a {type(variable).__name__}, not a Tensor")
            if variable.creator is not None:
                raise ValueError(
                    f"{self.name}.minimize: var_list[{index}] was computed by an operation; only leaf "
                    "tensors (variables made with minidl.tensor or a layer's weights) can be trained"
                )
            if not np.issubdtype(variable.dtype, np.floating):
                raise TypeError(f"{self.name}.minimize: var_list[{index}] has dtype {variable.dtype}; variables must be floating point")
        return variables

    # -- the PyTorch face ----------------------------------------------------------------------
    def zero_grad(self):
        """Forget the gradients of the parameters given to the constructor."""
        for param in self._own_params("zero_grad"):
            param.grad = None

    def step(self):
        """Apply each constructor parameter's ``.grad`` (parameters without one are skipped)."""
        params = self._own_params("step")
        if all(param.grad is None for param in params):
            raise ValueError(
                f"{self.name}.step: none of its {len(params)} parameters has a gradient; "
                "call loss.backward() first"
            )
        return self.apply_gradients([(param.grad, param) for param in params])

    def _own_params(self, what):
        if self.params is None:
            raise RuntimeError(
                f"{self.name}.{what}: this optimizer was created without parameters; create it as "
                f"{type(self).__name__}(model.parameters(), ...) or use apply_gradients / minimize"
            )
        return self.params

    # -- gradients ------------------------------------------------------------------------------
    def _checked_grad(self, grad, weight):
        if not isinstance(weight, Tensor):
            raise TypeError(f"{self.name}.apply_gradients: expected a minidl Tensor as weight, got {type(weight).__name__}")
        if isinstance(grad, Tensor):
            grad = grad.data
        elif not backend.is_array(grad):
            grad = backend.to_device(np.asarray(grad))
        if tuple(grad.shape) != weight.shape:
            raise ValueError(
                f"{self.name}.apply_gradients: the gradient for {_weight_name(weight)} has shape "
                f"{tuple(grad.shape)} but the weight has shape {weight.shape}"
            )
        if grad.dtype != weight.data.dtype:
            grad = grad.astype(weight.data.dtype)
        return grad

    def _clipped(self, grads):
        """Keras's order: clipvalue, then clipnorm per gradient, then global_clipnorm."""
        if self.clipvalue is not None:
            grads = [clipping.clip_by_value(g, g.dtype.type(self.clipvalue)) for g in grads]
        if self.clipnorm is not None:
            grads = [clipping.clip_by_norm(g, g.dtype.type(self.clipnorm)) for g in grads]
        if self.global_clipnorm is not None:
            grads = clipping.clip_by_global_norm(grads, grads[0].dtype.type(self.global_clipnorm))
        return grads

    def _warn_missing(self, weights):
        names = tuple(_weight_name(weight) for weight in weights)
        if names not in self._warned_missing:
            self._warned_missing.add(names)
            warnings.warn(
                f"{self.name}: gradients do not exist for variables {list(names)} when minimizing the "
                "loss; they are left unchanged", stacklevel=3,
            )

    # -- slots ----------------------------------------------------------------------------------
    def _slot_names(self):
        """The per-weight state this optimizer keeps, in Keras's order."""
        return ()

    def _initial_slot_value(self, slot_name):
        return 0.0

    def _slots_of(self, weight):
        entry = self._slots.get(id(weight))
        if entry is None:
            slots = self._restored_slots(weight) or self._new_slots(weight)
            entry = self._slots[id(weight)] = (weight, slots)
        return entry[1]

    def _new_slots(self, weight):
        xp = backend.get_xp()
        slots = {}
        for slot_name in self._slot_names():
            array = xp.zeros_like(weight.data)
            initial = self._initial_slot_value(slot_name)
            if initial:
                array += array.dtype.type(initial)
            slots[slot_name] = array
        return slots

    def restore_slots_when_created(self, per_weight_slots):
        """Slots read from a checkpoint before this optimizer met its weights: the n-th weight it
        meets gets the n-th saved ``{slot name: array}`` (the order it met them in when saved) --
        TensorFlow's deferred restoration, used by ``tf.train.Checkpoint.restore``."""
        self._pending_slots = list(per_weight_slots)

    def _restored_slots(self, weight):
        index = len(self._slots)
        if index >= len(self._pending_slots):
            return None
        saved = self._pending_slots[index]
        if set(saved) != set(self._slot_names()) or any(np.shape(a) != weight.shape for a in saved.values()):
            return None
        return {name: backend.to_device(np.asarray(array, dtype=weight.dtype)) for name, array in saved.items()}

    # -- to be written by each optimizer ----------------------------------------------------------
    def step_scalars(self, dtype):
        """The scalars of this step for weights of ``dtype`` (NumPy scalars of that dtype), as a
        namespace: ``s.lr``, and whatever else the optimizer's formula needs."""
        return types.SimpleNamespace(lr=self._rate_in(dtype))

    def update_one(self, w, g, state, s):
        """The update as its formula: change the weight array ``w`` in place from its gradient
        ``g``, its ``state`` (slot name -> array, changed in place) and the step's scalars ``s``."""
        raise NotImplementedError(f"{type(self).__name__} must define update_one()")

    def fast_update(self, var, grad, slots, s):
        """The fast form of ``update_one``: the same bits, into reused scratch buffers."""
        raise NotImplementedError(f"{type(self).__name__} must define fast_update()")

    # -- state for saving and resuming --------------------------------------------------------------
    def get_state(self, var_list=None):
        """``{'iterations': int, 'slots': {slot name: [NumPy array per weight]}}`` in the order of
        ``var_list`` (default: the order in which the weights were first given to the optimizer)."""
        weights = [entry[0] for entry in self._slots.values()] if var_list is None else list(var_list)
        slots = {name: [] for name in self._slot_names()}
        for weight in weights:
            for name, array in self._slots_of(weight).items():
                slots[name].append(backend.to_numpy(array).copy())
        return {"iterations": int(self.iterations), "slots": slots, **self._extra_state()}

    def set_state(self, state, var_list):
        """Restore what ``get_state`` returned, for the weights ``var_list`` in the same order."""
        weights = list(var_list)
        slots = state.get("slots", {})
        if all(len(arrays) == 0 for arrays in slots.values()):  # saved before its first update
            self.iterations = int(state["iterations"])
            self._load_extra_state(state)
            return
        missing = [name for name in self._slot_names() if name not in slots]
        if missing:
            raise ValueError(f"{self.name}.set_state: the state has no slot(s) {missing}; it holds {sorted(slots)}")
        for name in self._slot_names():
            if len(slots[name]) != len(weights):
                raise ValueError(
                    f"{self.name}.set_state: slot {name!r} holds {len(slots[name])} arrays but "
                    f"{len(weights)} weights were given"
                )
            for weight, value in zip(weights, slots[name]):
                if tuple(np.shape(value)) != weight.shape:
                    raise ValueError(
                        f"{self.name}.set_state: slot {name!r} of {_weight_name(weight)} has shape "
                        f"{tuple(np.shape(value))}, the weight has shape {weight.shape}"
                    )
        for name in self._slot_names():
            for weight, value in zip(weights, slots[name]):
                self._slots_of(weight)[name][...] = backend.to_device(np.asarray(value, dtype=weight.dtype))
        self.iterations = int(state["iterations"])
        self._load_extra_state(state)

    def _extra_state(self):
        return {}

    def _load_extra_state(self, state):
        pass

    # -- configuration ------------------------------------------------------------------------------
    def get_config(self):
        """Constructor arguments (Keras's names), for ``serialize`` / ``from_config``."""
        from minidl import schedules

        rate = self._learning_rate
        config = {
            "name": self.name,
            "learning_rate": schedules.serialize(rate) if callable(rate) else rate,
            "decay": self.decay,
        }
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config):
        from minidl import schedules

        config = dict(config)
        rate = config.get("learning_rate")
        if isinstance(rate, dict):
            config["learning_rate"] = schedules.deserialize(rate)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} learning_rate={self._learning_rate!r} iterations={self.iterations}>"


# -- validation helpers ---------------------------------------------------------------------------

def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _keras_positional_order(init):
    """Let ``init`` -- an optimizer's ``__init__(self, params, learning_rate, ...)``, PyTorch's
    order -- also take Keras's positional order, which has no ``params``: when the first
    positional argument is a rate (a number or a schedule), the arguments are bound as if
    ``params`` were not there. ``Adam(0.0002, 0.5)``, the classic DCGAN line, is then learning
    rate 0.0002 and beta_1 0.5, and ``Adam(model.parameters(), 0.01)`` is unchanged. An
    ``__init__`` whose first argument is not ``params`` (a user's subclass) is left as it is."""
    first = next(iter(list(inspect.signature(init).parameters)[1:]), None)
    if first != "params":
        return init

    @functools.wraps(init)
    def with_keras_order(self, *args, **kwargs):
        if args and _is_rate(args[0]):
            return init(self, None, *args, **kwargs)
        return init(self, *args, **kwargs)

    return with_keras_order


def _is_rate(value):
    return _is_number(value) or (callable(value) and not isinstance(value, Tensor))


def _non_negative(owner, argument, value):
    if not _is_number(value):
        raise TypeError(f"{owner}: {argument} must be a number, got {type(value).__name__}")
    value = float(value)
    if not 0 <= value < np.inf:  # NaN fails both comparisons
        raise ValueError(f"{owner}: {argument} must be a finite number >= 0, got {value}")
    return value


def _positive_or_none(owner, argument, value):
    if value is None:
        return None
    if not _is_number(value):
        raise TypeError(f"{owner}: {argument} must be a number or None, got {type(value).__name__}")
    value = float(value)
    if not value > 0:
        raise ValueError(f"{owner}: {argument} must be > 0 (or None for no clipping), got {value}")
    return value


def _in_range(owner, argument, value, low, high, high_open=False):
    if not _is_number(value):
        raise TypeError(f"{owner}: {argument} must be a number, got {type(value).__name__}")
    value = float(value)
    inside = low <= value < high if high_open else low <= value <= high
    if not inside:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{owner}: {argument} must be in [{low}, {high}{bracket}, got {value}")
    return value


def _is_variable(value):
    """A layer weight or a ``tf.Variable`` (both carry ``trainable``), or a leaf Tensor that
    requires grad: something an optimizer updates. A gradient is never one."""
    return isinstance(value, Tensor) and value.is_leaf and (value.requires_grad or hasattr(value, "trainable"))


def _check_pair(optimizer_name, position, grad, weight):
    """Refuse the pairs whose update would silently train nothing: a weight that is the result
    of an op (updating it changes no variable), and pairs given as (weight, gradient) -- a
    variable in the gradient's place and none in the weight's."""
    if not weight.is_leaf:
        raise TypeError(
            f"{optimizer_name}.apply_gradients: the weight at position {position} is the result of an op "
            f"(shape {weight.shape}), not a variable; pass the variables themselves, e.g. "
            "zip(grads, model.trainable_variables)"
        )
    if _is_variable(grad) and not _is_variable(weight):
        raise TypeError(
            f"{optimizer_name}.apply_gradients: the pair at position {position} holds a variable "
            f"({_weight_name(grad)}) as its gradient and a plain tensor as its weight; pairs go "
            "(gradient, weight), e.g. zip(grads, model.trainable_variables)"
        )


def _weight_name(weight):
    name = getattr(weight, "name", None)
    return name if name else f"<tensor of shape {getattr(weight, 'shape', '?')}>"
