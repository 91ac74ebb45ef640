"""Saving and loading: whole models, architectures (JSON) and weights.

File formats (both are ``.npz`` archives, i.e. zip files of ``.npy`` arrays, readable with
``numpy.load`` alone):

* ``model.save(path)`` -- entry ``__header__`` holds JSON: the architecture (Keras's
  ``{"class_name", "config"}`` layout), the compile arguments and the structure of the
  optimizer state; entries ``weight_0000``... hold the weights in ``model.weights`` order and
  ``optimizer_0000``... the optimizer's arrays (moments, ...), so training resumes exactly.
* ``model.save_weights(path)`` -- the same header/weights without architecture or optimizer.
  A path ending in ``.h5``/``.hdf5`` is written with h5py in Keras's HDF5 layout (one group
  per layer with a ``weight_names`` attribute), so weights can be exchanged with Keras.

Writes are atomic: the file is written to a temporary name in the same directory and moved
over the target with ``os.replace``, so a crash never leaves half a file behind. Reads load and
check every array (count, shapes, zip CRCs) BEFORE any weight is touched: a truncated or
corrupt file raises ``ModelFileError`` and leaves the model as it was.
"""

import json
import os
import tempfile
import zipfile
import zlib

import numpy as np

import minidl
from minidl import backend, losses, metrics, optimizers
from minidl.errors import ModelFileError
from minidl.models import registry

MODEL_FORMAT = "minidl-model"
WEIGHTS_FORMAT = "minidl-weights"
FORMAT_VERSION = 1
_HDF5_SUFFIXES = (".h5", ".hdf5", ".keras_h5")


# -- architecture ---------------------------------------------------------------------------------

def _class_name(model):
    name = type(model).__name__
    return "Functional" if name == "Functional" else name


def model_config(model):
    return {"class_name": _class_name(model), "config": model.get_config()}


def model_to_json(model, **kwargs):
    spec = model_config(model)
    spec["backend"] = "minidl"
    spec["minidl_version"] = minidl.__version__
    return json.dumps(spec, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (fresh weights) from ``model.to_json()``."""
    try:
        spec = json.loads(json_string)
    except json.JSONDecodeError as exc:
        raise ValueError(f"model_from_json: not valid JSON ({exc})") from None
    return registry.deserialize_layer(spec, custom_objects)


def model_from_config(config, custom_objects=None):
    return registry.deserialize_layer(config, custom_objects)


# -- writing --------------------------------------------------------------------------------------

def _atomic_write(path, write):
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")


def _weights_header(model):
    return [
        {"name": weight.name, "shape": list(weight.shape), "dtype": weight.dtype.name}
        for weight in model.weights
    ]


def _flatten_state(value, arrays):
    """JSON-able structure with arrays replaced by {'__array__': key} (arrays go to ``arrays``)."""
    if isinstance(value, dict):
        return {"__dict__": [[_flatten_state(k, arrays), _flatten_state(v, arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"__list__": [_flatten_state(v, arrays) for v in value], "tuple": isinstance(value, tuple)}
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        key = f"optimizer_{len(arrays):04d}"
        arrays[key] = backend.to_numpy(value)
        return {"__array__": key}
    return value


def _unflatten_state(value, arrays):
    if isinstance(value, dict):
        if "__array__" in value:
            return arrays[value["__array__"]]
        if "__dict__" in value:
            return {_unflatten_state(k, arrays): _unflatten_state(v, arrays) for k, v in value["__dict__"]}
        if "__list__" in value:
            items = [_unflatten_state(v, arrays) for v in value["__list__"]]
            return tuple(items) if value.get("tuple") else items
    return value


def _serializable(identifier, module):
    """A compile argument as JSON: strings and None as they are; objects through ``serialize``."""
    if identifier is None or isinstance(identifier, (str, int, float, bool)):
        return identifier
    if isinstance(identifier, dict):
        return {key: _serializable(value, module) for key, value in identifier.items()}
    if isinstance(identifier, (list, tuple)):
        return [_serializable(value, module) for value in identifier]
    serialize = getattr(module, "serialize", None)
    if serialize is not None:
        return {"__serialized__": serialize(identifier)}
    return getattr(identifier, "name", None) or getattr(identifier, "__name__", None)


def _restored(value, module, custom_objects):
    if isinstance(value, dict) and "__serialized__" in value:
        serialized = value["__serialized__"]
        if isinstance(serialized, str) and custom_objects and serialized in custom_objects:
            return custom_objects[serialized]
        return module.get(serialized)
    if isinstance(value, dict):
        return {key: _restored(item, module, custom_objects) for key, item in value.items()}
    if isinstance(value, list):
        return [_restored(item, module, custom_objects) for item in value]
    if isinstance(value, str) and custom_objects and value in custom_objects:
        return custom_objects[value]
    return value


def _training_config(model):
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


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Architecture + weights + compile arguments + optimizer state in one ``.npz`` file."""
    filepath = os.fspath(filepath)
    _check_overwrite(filepath, overwrite)
    arrays = {}
    optimizer_state = None
    if include_optimizer and model._compiled is not None:
        optimizer_state = _flatten_state(model.optimizer.get_state(), arrays)
    header = {
        "format": MODEL_FORMAT,
        "version": FORMAT_VERSION,
        "minidl_version": minidl.__version__,
        "model_config": model_config(model),
        "training_config": _training_config(model) if include_optimizer else None,
        "optimizer_state": optimizer_state,
        "weights": _weights_header(model),
    }
    for index, weight in enumerate(model.weights):
        arrays[f"weight_{index:04d}"] = weight.numpy()
    arrays["__header__"] = np.array(json.dumps(header))
    _atomic_write(filepath, lambda stream: np.savez(stream, **arrays))


def save_weights(model, filepath, overwrite=True):
    filepath = os.fspath(filepath)
    _check_overwrite(filepath, overwrite)
    if filepath.lower().endswith(_HDF5_SUFFIXES):
        _save_weights_h5(model, filepath)
        return
    header = {
        "format": WEIGHTS_FORMAT, "version": FORMAT_VERSION, "minidl_version": minidl.__version__,
        "model": model.name, "weights": _weights_header(model),
    }
    arrays = {f"weight_{index:04d}": weight.numpy() for index, weight in enumerate(model.weights)}
    arrays["__header__"] = np.array(json.dumps(header))
    _atomic_write(filepath, lambda stream: np.savez(stream, **arrays))


# -- reading --------------------------------------------------------------------------------------

def _read_archive(filepath, what):
    """Every array of an ``.npz`` file, fully read (so CRC errors surface now), and its header."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"{what}: no such file: {filepath}")
    try:
        with np.load(filepath, allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError) as exc:
        raise ModelFileError(
            f"{what}: {filepath} is not a readable minidl file; it may be truncated or corrupt "
            f"({type(exc).__name__}: {exc})"
        ) from None
    if "__header__" not in contents:
        raise ModelFileError(f"{what}: {filepath} has no minidl header; it was not written by minidl's save")
    try:
        header = json.loads(str(contents["__header__"]))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{what}: {filepath} has a damaged header ({exc})") from None
    if header.get("format") not in (MODEL_FORMAT, WEIGHTS_FORMAT):
        raise ModelFileError(f"{what}: {filepath} is not a minidl model or weights file")
    if int(header.get("version", 0)) > FORMAT_VERSION:
        raise ModelFileError(
            f"{what}: {filepath} uses file format version {header['version']}; this minidl reads up to {FORMAT_VERSION}"
        )
    return contents, header


def _weight_arrays(contents, header, filepath, what):
    described = header.get("weights", [])
    arrays = []
    for index, entry in enumerate(described):
        key = f"weight_{index:04d}"
        if key not in contents:
            raise ModelFileError(f"{what}: {filepath} lacks the array of weight {entry.get('name')!r} ({key})")
        array = contents[key]
        if list(array.shape) != list(entry["shape"]):
            raise ModelFileError(
                f"{what}: {filepath}: weight {entry.get('name')!r} is stored with shape {array.shape} but its "
                f"header says {tuple(entry['shape'])}; the file is corrupt"
            )
        arrays.append((entry.get("name"), array))
    return arrays


def _assign_checked(model, named_arrays, source, what):
    """Check every array against the model's weights, then (only then) assign them all."""
    weights = model.weights
    if not weights and named_arrays:
        raise ModelFileError(
            f"{what}: model {model.name!r} has no weights yet (it is not built); build it first, e.g. by "
            "calling it on data or giving the first layer an input_shape"
        )
    if len(named_arrays) != len(weights):
        raise ModelFileError(
            f"{what}: {source} holds {len(named_arrays)} weight arrays but model {model.name!r} has "
            f"{len(weights)} weights; is the file for a different architecture?"
        )
    for weight, (name, array) in zip(weights, named_arrays):
        if tuple(array.shape) != weight.shape:
            raise ModelFileError(
                f"{what}: weight {weight.name!r} of model {model.name!r} has shape {weight.shape} but {source} "
                f"holds shape {tuple(array.shape)} (stored as {name!r}); nothing was loaded"
            )
    for weight, (_, array) in zip(weights, named_arrays):
        weight.assign(backend.to_device(np.asarray(array, dtype=weight.dtype)))


def load_weights(model, filepath):
    """Load weights saved by ``save_weights`` or ``save`` (checked before anything is changed)."""
    filepath = os.fspath(filepath)
    if filepath.lower().endswith(_HDF5_SUFFIXES):
        _load_weights_h5(model, filepath)
        return
    contents, header = _read_archive(filepath, "load_weights")
    arrays = _weight_arrays(contents, header, filepath, "load_weights")
    _assign_checked(model, arrays, filepath, "load_weights")


def load_model(filepath, custom_objects=None, compile=True):  # noqa: A002 - Keras's argument name
    """Rebuild a model saved with ``model.save``: architecture, weights, compile and optimizer state."""
    filepath = os.fspath(filepath)
    contents, header = _read_archive(filepath, "load_model")
    if header.get("format") != MODEL_FORMAT:
        raise ModelFileError(
            f"load_model: {filepath} holds only weights (written by save_weights); rebuild the model in code "
            "and call model.load_weights()"
        )
    arrays = _weight_arrays(contents, header, filepath, "load_model")
    model = registry.deserialize_layer(header["model_config"], custom_objects)
    _assign_checked(model, arrays, filepath, "load_model")
    training = header.get("training_config")
    if compile and training:
        optimizer = optimizers.get(training["optimizer"])
        model.compile(
            optimizer=optimizer,
            loss=_restored(training["loss"], losses, custom_objects),
            metrics=_restored(training["metrics"], metrics, custom_objects),
            weighted_metrics=_restored(training.get("weighted_metrics"), metrics, custom_objects),
            loss_weights=training["loss_weights"],
        )
        state = header.get("optimizer_state")
        if state is not None:
            model._capture_trainable_weights()
            model.optimizer.set_state(_unflatten_state(state, contents), model._compiled.train_weights)
    return model


# -- HDF5 (Keras's layout) ----------------------------------------------------------------------

def _h5py(what):
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{what}: .h5 files need h5py (pip install h5py); or use a .npz path") from None
    return h5py


def _save_weights_h5(model, filepath):
    h5py = _h5py("save_weights")
    directory = os.path.dirname(os.path.abspath(filepath))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(filepath)}.", suffix=".tmp")
    os.close(handle)
    try:
        with h5py.File(temporary, "w") as file:
            layers = model.layers
            file.attrs["layer_names"] = np.array([layer.name.encode("utf8") for layer in layers], dtype="S")
            file.attrs["backend"] = b"minidl"
            file.attrs["keras_version"] = b"2.4.0"
            for layer in layers:
                group = file.create_group(layer.name)
                names = [f"{weight.name}:0" for weight in layer.weights]
                group.attrs["weight_names"] = np.array([name.encode("utf8") for name in names], dtype="S")
                for name, weight in zip(names, layer.weights):
                    group.create_dataset(name, data=weight.numpy())
        os.replace(temporary, filepath)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _load_weights_h5(model, filepath):
    """Keras HDF5 weights: layers paired in Keras's order, every shape checked before assigning."""
    from minidl.models.h5_weights import load_keras_h5_weights

    load_keras_h5_weights(model, filepath)
