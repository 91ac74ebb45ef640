"""An optimizer's state (step count and per-weight moments) as Keras 3 stores it, and back.

Keras 3 keeps ``optimizer.variables`` in a ``.keras``/``.weights.h5`` file (``optimizer/vars/0``,
``1``, ...) and in an ``.h5`` file (``optimizer_weights``, named like ``adam/iteration``), in
this order:

1. ``iteration`` -- int64, the number of steps taken;
2. ``learning_rate`` -- float32, the current rate (absent when the rate is a schedule);
3. the slots (only once the optimizer has taken a step), built per trainable variable in ``model.trainable_variables`` order. Slots built
   together are interleaved (Adam: m0, v0, m1, v1, ...); slots built apart follow one another
   (RMSprop: every velocity, then every momentum, then every average gradient).

TensorFlow 2's ``.h5`` files hold no learning rate and name each variable
(``Adam/iter:0``, ``Adam/dense/kernel/m:0``); its slot names are minidl's, so those are paired
by name.

minidl's optimizers use the same formulas and slots under other names; the table below pairs
them. Nadam (whose Keras 3 form keeps an extra running product) has no mapping: its state is
not exchanged, and a warning says so.
"""

import warnings

import numpy as np

# Keras 3 build order of each optimizer's slots, in minidl's slot names: each tuple is built
# together (interleaved per weight); the tuples follow one another.
_SLOT_GROUPS = {
    "Adam": (("m", "v"), ("vhat",)),
    "Adamax": (("m", "v"),),
    "SGD": (("momentum",),),
    "RMSprop": (("rms",), ("momentum",), ("mg",)),
    "Adagrad": (("accumulator",),),
    "Adadelta": (("accum_grad", "accum_var"),),
}


def supported(optimizer):
    return type(optimizer).__name__ in _SLOT_GROUPS


def _groups(optimizer):
    present = set(optimizer._slot_names())
    groups = []
    for group in _SLOT_GROUPS[type(optimizer).__name__]:
        kept = tuple(name for name in group if name in present)
        if kept:
            groups.append(kept)
    return groups


def keras_trainable_order(model):
    """The model's trainable weights in Keras 3's ``model.trainable_variables`` order."""
    from minidl.models.keras_weights import variable_groups

    seen, order = set(), []
    for group in variable_groups(model):
        for weight in group.weights:
            if weight.trainable and id(weight) not in seen:
                seen.add(id(weight))
                order.append(weight)
    return order


def _learning_rate_is_variable(optimizer):
    """Keras 3 keeps the rate as a variable unless it is a schedule (Keras 2's ``decay`` is
    written as an InverseTimeDecay schedule, see ``training_config``)."""
    return not callable(optimizer.learning_rate) and not getattr(optimizer, "decay", 0.0)


def keras_variables(model):
    """``[(name, array)]`` of the compiled model's optimizer, as Keras 3 lists them; None when
    the optimizer has no Keras 3 mapping (a warning says so)."""
    optimizer = model.optimizer
    if optimizer is None:
        return None
    if not supported(optimizer):
        warnings.warn(f"the state of optimizer {type(optimizer).__name__} is not written in Keras's layout (only its "
                      "configuration is); Keras will start it afresh", stacklevel=4)
        return None
    prefix = optimizer.name.lower()
    variables = [(f"{prefix}/iteration", np.array(int(optimizer.iterations), dtype=np.int64))]
    if _learning_rate_is_variable(optimizer):
        variables.append((f"{prefix}/learning_rate", np.array(optimizer.learning_rate, dtype=np.float32)))
    if not optimizer._slots:
        return variables  # not built yet: Keras writes just these for an optimizer that never stepped
    weights = keras_trainable_order(model)
    state = optimizer.get_state(weights)
    for group in _groups(optimizer):
        for index, weight in enumerate(weights):
            for slot in group:
                if state["slots"].get(slot):
                    value = state["slots"][slot][index]
                else:
                    value = np.full(weight.shape, optimizer._initial_slot_value(slot), dtype=weight.dtype)
                variables.append((f"{prefix}/{weight.name.replace('/', '_')}_{slot}", np.asarray(value)))
    return variables


def expected_shapes(model):
    """The shapes Keras 3 would store for the model's optimizer, or None when not mapped."""
    optimizer = model.optimizer
    if optimizer is None or not supported(optimizer):
        return None
    weights = keras_trainable_order(model)
    shapes = [()]
    if _learning_rate_is_variable(optimizer):
        shapes.append(())
    for group in _groups(optimizer):
        shapes.extend(tuple(weight.shape) for weight in weights for _ in group)
    return shapes


def restore(model, arrays, path, names=None):
    """Set the compiled model's optimizer state from a Keras file's optimizer variables.

    ``arrays`` in Keras 3's order (above); or, when ``names`` are TensorFlow 2's
    (``Adam/iter:0``, ``Adam/dense/kernel/m:0``, ...: no learning rate, each slot grouped),
    paired by name. Returns False (with a warning) when they do not fit this optimizer."""
    optimizer = model.optimizer
    if expected_shapes(model) is None:
        warnings.warn(f"{path}: the optimizer state of {type(optimizer).__name__} is not read from Keras files; "
                      "training resumes with a fresh optimizer state", stacklevel=4)
        return False
    weights = keras_trainable_order(model)
    if names and names[0].endswith("iter:0"):
        state = _tensorflow2_state(optimizer, weights, arrays, names)
    else:
        state = _keras3_state(model, optimizer, weights, arrays)
    if state is None:
        warnings.warn(f"{path}: the stored optimizer state ({len(arrays)} arrays) does not fit this model's "
                      f"{type(optimizer).__name__}; training resumes with a fresh optimizer state", stacklevel=4)
        return False
    model._capture_trainable_weights()
    optimizer.set_state(state, weights)
    return True


def _keras3_state(model, optimizer, weights, arrays):
    shapes = expected_shapes(model)
    stored = [tuple(np.shape(a)) for a in arrays]
    if stored == shapes[:len(stored)] and len(stored) == (2 if _learning_rate_is_variable(optimizer) else 1):
        return {"iterations": int(np.asarray(arrays[0]).reshape(())), "slots": {}}  # never stepped: no slots yet
    if stored != shapes:
        return None
    position = 2 if _learning_rate_is_variable(optimizer) else 1
    slots = {}
    for group in _groups(optimizer):
        for _ in weights:
            for slot in group:
                slots.setdefault(slot, []).append(arrays[position])
                position += 1
    return {"iterations": int(np.asarray(arrays[0]).reshape(())), "slots": slots}


def _tensorflow2_state(optimizer, weights, arrays, names):
    """TensorFlow 2 names slots as minidl does (m, v, vhat, momentum, rms, mg, accumulator, ...)."""
    by_name = dict(zip(names, arrays))
    prefix = names[0][: -len("iter:0")]
    if len(names) == 1:
        return {"iterations": int(np.asarray(arrays[0]).reshape(())), "slots": {}}
    slots = {}
    for slot in optimizer._slot_names():
        for weight in weights:
            array = by_name.get(f"{prefix}{weight.name}/{slot}:0")
            if array is None or tuple(np.shape(array)) != tuple(weight.shape):
                return None
            slots.setdefault(slot, []).append(array)
    return {"iterations": int(np.asarray(arrays[0]).reshape(())), "slots": slots}
