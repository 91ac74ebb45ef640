"""What ``compile`` was given, saved with a model and turned back into ``compile`` arguments.

Three forms exist:

* minidl's own (inside its ``.npz``): ``{"optimizer": {"class_name", "config"}, "loss",
  "metrics", "weighted_metrics", "loss_weights"}`` where a loss or metric object is
  ``{"__serialized__": ...}`` and a name stays a string;
* Keras 3's ``compile_config`` (top level of a ``.keras`` file's ``config.json``):
  ``{"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {...}},
  "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly", "steps_per_execution",
  "jit_compile"}`` with loss and metric objects written as ``{"module", "class_name",
  "config"}``;
* the ``training_config`` attribute of an ``.h5`` file (TensorFlow 2 and Keras 3 write the
  same keys): the optimizer is under ``"optimizer_config": {"class_name", "config"}``;
  TensorFlow 2 wrote metrics as ``MeanMetricWrapper`` objects whose ``name`` is what the user
  passed (``"accuracy"``), sometimes nested one list per output.

Keras 3's optimizers have no ``decay`` argument; Keras 2's ``decay`` d makes the learning rate
``lr / (1 + d * iterations)``, which is exactly Keras 3's ``InverseTimeDecay(lr, decay_steps=1,
decay_rate=d)``, so that is what minidl writes for it.

The optimizer's *state* (step count, moments) is handled by ``optimizer_state``.
"""

import inspect

from minidl import custom_objects as registration
from minidl import losses, metrics, optimizers, schedules
from minidl.models.keras_config import is_neutral
from minidl.models.serialization import deserialize_keras_object, serialize_keras_object

# -- minidl's own form --------------------------------------------------------------------------------


def _serializable(identifier, module):
    """A compile argument as JSON: strings and None as they are; objects through ``serialize``."""
    if identifier is None or isinstance(identifier, (str, int, float, bool)):
        return identifier
    if isinstance(identifier, dict):
        return {key: _serializable(value, module) for key, value in identifier.items()}
    if isinstance(identifier, (list, tuple)):
        return [_serializable(value, module) for value in identifier]
    if _is_users(identifier):
        return {"__serialized__": serialize_keras_object(identifier)}
    serialize = getattr(module, "serialize", None)
    if serialize is not None:
        return {"__serialized__": serialize(identifier)}
    return getattr(identifier, "name", None) or getattr(identifier, "__name__", None)


def _restored(value, module, custom_objects):
    if isinstance(value, dict) and "__serialized__" in value:
        serialized = value["__serialized__"]
        if isinstance(serialized, str) and custom_objects and serialized in custom_objects:
            return custom_objects[serialized]
        if isinstance(serialized, dict) and "registered_name" in serialized:  # a user's object
            return deserialize_keras_object(serialized, custom_objects)
        return module.get(serialized)
    if isinstance(value, dict):
        return {key: _restored(item, module, custom_objects) for key, item in value.items()}
    if isinstance(value, list):
        return [_restored(item, module, custom_objects) for item in value]
    if isinstance(value, str) and custom_objects and value in custom_objects:
        return custom_objects[value]
    return value


def minidl_training_config(model):
    """minidl's form of the compile arguments (None for a model that was not compiled)."""
    compiled = model._compiled
    if compiled is None:
        return None
    identifiers = compiled.identifiers
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _serializable(identifiers["loss"], losses),
        "metrics": _serializable(identifiers["metrics"], metrics),
        "weighted_metrics": _serializable(identifiers["weighted_metrics"], metrics),
        "loss_weights": identifiers["loss_weights"],
    }


def compile_from_minidl(model, training, custom_objects):
    """``model.compile`` with what ``minidl_training_config`` saved."""
    if not isinstance(training, dict):
        raise ValueError(f"the training config should be a JSON object, found {type(training).__name__}")
    model.compile(
        optimizer=optimizers.get(training["optimizer"]),
        loss=_restored(training.get("loss"), losses, custom_objects),
        metrics=_restored(training.get("metrics"), metrics, custom_objects),
        weighted_metrics=_restored(training.get("weighted_metrics"), metrics, custom_objects),
        loss_weights=training.get("loss_weights"),
    )


# -- Keras 3 and TensorFlow 2 forms: writing --------------------------------------------------------

def _keras_optimizer_config(optimizer):
    config = dict(optimizer.get_config())
    decay = config.pop("decay", 0.0) or 0.0
    config.pop("schedule_decay", None)  # Keras 3's Nadam has this decay built in
    rate = config.get("learning_rate")
    if isinstance(rate, dict):
        rate = {"module": "keras.optimizers.schedules", "class_name": rate["class_name"], "config": rate["config"],
                "registered_name": None}
    if decay:
        if isinstance(rate, dict):
            raise ValueError(f"{optimizer.name}: a learning-rate schedule together with decay={decay} has no Keras 3 "
                             "equivalent")
        rate = {"module": "keras.optimizers.schedules", "class_name": "InverseTimeDecay",
                "config": {"initial_learning_rate": rate, "decay_steps": 1, "decay_rate": decay, "staircase": False,
                           "name": "InverseTimeDecay"},
                "registered_name": None}
    config["learning_rate"] = rate
    return {"class_name": type(optimizer).__name__, "config": config}


def _is_users(identifier):
    """A loss or metric the user wrote (a class or function outside minidl): it is saved with its
    class, config and registered name, so that a registered one loads without custom_objects."""
    if isinstance(identifier, (losses.Loss, metrics.Metric)):
        owner = type(identifier)
        if type(identifier) in (losses.LossFunctionWrapper, metrics.MeanMetricWrapper):
            return _is_users(identifier.fn)
    elif callable(identifier) and not isinstance(identifier, type):
        owner = identifier
    else:
        return False
    return not str(getattr(owner, "__module__", "") or "").startswith("minidl.")


def _users_object(value, custom_objects):
    """A user's loss or metric saved by :func:`_is_users` (None when ``value`` is not one)."""
    if value.get("module") is not None or value.get("class_name") == "function":
        return None
    registered = registration.get_registered_object(value.get("registered_name") or value["class_name"],
                                                    custom_objects)
    if registered is None:
        registered = registration.get_registered_object(value["class_name"], custom_objects)
    if not isinstance(registered, type):
        return None
    return deserialize_keras_object(value, custom_objects)


def _keras_object(identifier, module, module_name):
    """A loss/metric argument as Keras 3 writes it: names as they are, objects as dicts."""
    if identifier is None or isinstance(identifier, (str, int, float, bool)):
        return identifier
    if isinstance(identifier, dict):
        return {key: _keras_object(value, module, module_name) for key, value in identifier.items()}
    if isinstance(identifier, (list, tuple)):
        return [_keras_object(value, module, module_name) for value in identifier]
    if _is_users(identifier):
        serialized = serialize_keras_object(identifier)
        if isinstance(serialized.get("config"), dict) and serialized["config"].get("reduction") == "auto":
            serialized["config"]["reduction"] = "sum_over_batch_size"  # Keras 3's name for TF 2's default
        return serialized
    serialized = module.serialize(identifier)
    if isinstance(serialized, str):
        return serialized
    config = dict(serialized.get("config") or {})
    if config.get("reduction") == "auto":
        config["reduction"] = "sum_over_batch_size"
    return {"module": module_name, "class_name": serialized["class_name"], "config": config, "registered_name": None}


def keras_compile_config(model, legacy=False):
    """Keras 3's ``compile_config`` (``legacy=True``: the ``training_config`` of an ``.h5``)."""
    compiled = model._compiled
    if compiled is None:
        return None
    identifiers = compiled.identifiers
    optimizer = _keras_optimizer_config(model.optimizer)
    config = {
        "loss": _keras_object(identifiers["loss"], losses, "keras.losses"),
        "loss_weights": identifiers["loss_weights"],
        "metrics": _keras_object(identifiers["metrics"], metrics, "keras.metrics"),
        "weighted_metrics": _keras_object(identifiers["weighted_metrics"], metrics, "keras.metrics"),
        "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False,
    }
    if legacy:
        config["optimizer_config"] = optimizer
    else:
        config = {"optimizer": {"module": "keras.optimizers", **optimizer, "registered_name": None}, **config}
    return config


# -- Keras 3 and TensorFlow 2 forms: reading --------------------------------------------------------

def _filtered(cls, config, what):
    parameters = inspect.signature(cls.__init__).parameters
    accepted = {name for name in parameters if name != "self"}
    if any(p.kind == p.VAR_KEYWORD for p in parameters.values()) and issubclass(cls, optimizers.Optimizer):
        accepted |= set(inspect.signature(optimizers.Optimizer.__init__).parameters) | {"lr", "decay"}
    kept = {}
    for key, value in config.items():
        if key in accepted:
            kept[key] = value
        elif not is_neutral(key, value):
            raise ValueError(f"{what} {cls.__name__}: the Keras option {key}={value!r} is not supported by minidl")
    return kept


def _optimizer_from_keras(value):
    if isinstance(value, str):
        return optimizers.get(value)
    if not isinstance(value, dict) or not isinstance(value.get("class_name"), str):
        raise ValueError(f"the optimizer should be a name or {{'class_name', 'config'}}, found {value!r:.80}")
    class_name = value["class_name"]
    cls = _optimizer_class(class_name)
    config = dict(value.get("config") or {})
    rate = config.get("learning_rate", config.get("lr"))
    if isinstance(rate, dict):
        schedule = {"class_name": rate.get("class_name"), "config": rate.get("config") or {}}
        schedule_class = getattr(schedules, str(schedule["class_name"]), None)
        if not isinstance(schedule_class, type):
            raise ValueError(f"unknown learning-rate schedule {schedule['class_name']!r}")
        schedule["config"] = _filtered(schedule_class, schedule["config"], "learning-rate schedule")
        config["learning_rate" if "learning_rate" in config else "lr"] = schedule
    return optimizers.deserialize({"class_name": class_name, "config": _filtered(cls, config, "optimizer")})


def _optimizer_class(class_name):
    for name in optimizers.__all__:
        cls = getattr(optimizers, name)
        if name.lower() == class_name.lower() and isinstance(cls, type) and issubclass(cls, optimizers.Optimizer):
            return cls
    raise ValueError(f"unknown optimizer {class_name!r}")


def _loss_from_keras(value, custom_objects):
    if value is None:
        return None
    if isinstance(value, str):
        return custom_objects.get(value, value) if custom_objects else value
    if isinstance(value, list):
        return [_loss_from_keras(item, custom_objects) for item in value]
    if not isinstance(value, dict):
        raise ValueError(f"a loss should be a name or an object, found {value!r:.80}")
    if "class_name" not in value:
        return {key: _loss_from_keras(item, custom_objects) for key, item in value.items()}
    class_name, config = value["class_name"], value.get("config")
    if class_name == "function" and isinstance(config, str):
        return _loss_from_keras(config, custom_objects)
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    users = _users_object(value, custom_objects)
    if users is not None:
        return users
    cls = losses._CLASSES.get(class_name)
    if cls is None or not isinstance(config, dict):
        raise ValueError(f"unknown loss {class_name!r}")
    config = {key: item for key, item in config.items() if key != "dtype"}
    if config.get("reduction") in ("sum_over_batch_size", "mean"):
        config["reduction"] = "auto"
    return cls.from_config(_filtered(cls, config, "loss"))


def _metric_from_keras(value, custom_objects):
    if value is None or isinstance(value, str):
        return custom_objects.get(value, value) if custom_objects and value else value
    if isinstance(value, list):
        return [_metric_from_keras(item, custom_objects) for item in value]
    if not isinstance(value, dict):
        raise ValueError(f"a metric should be a name or an object, found {value!r:.80}")
    if "class_name" not in value:
        return {key: _metric_from_keras(item, custom_objects) for key, item in value.items()}
    class_name, config = value["class_name"], value.get("config")
    if class_name == "function" and isinstance(config, str):
        return _metric_from_keras(config, custom_objects)
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    users = _users_object(value, custom_objects)
    if users is not None:
        return users
    if not isinstance(config, dict):
        raise ValueError(f"metric {class_name!r} has a config that is not a JSON object")
    if class_name == "MeanMetricWrapper":  # TensorFlow 2: the name is what the user passed
        name = config.get("name")
        metrics.get(name)  # a clear error for a metric minidl does not know
        return name
    cls = metrics._CLASSES.get(class_name)
    if cls is None:
        raise ValueError(f"unknown metric {class_name!r}")
    return cls.from_config(_filtered(cls, config, "metric"))


def _flatten_single_output(value, outputs):
    """TensorFlow 2 sometimes wrote a single output's metrics as ``[[...]]``."""
    if outputs == 1 and isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        return value[0]
    return value


def compile_from_keras(model, config, custom_objects):
    """``model.compile`` with a Keras ``compile_config`` or ``.h5`` ``training_config``."""
    if not isinstance(config, dict):
        raise ValueError(f"the compile config should be a JSON object, found {type(config).__name__}")
    optimizer = config.get("optimizer", config.get("optimizer_config"))
    outputs = len(model.output_names)
    model.compile(
        optimizer=_optimizer_from_keras(optimizer if optimizer is not None else "rmsprop"),
        loss=_loss_from_keras(config.get("loss"), custom_objects),
        metrics=_flatten_single_output(_metric_from_keras(config.get("metrics"), custom_objects), outputs),
        weighted_metrics=_flatten_single_output(_metric_from_keras(config.get("weighted_metrics"), custom_objects),
                                                outputs),
        loss_weights=config.get("loss_weights"),
    )
