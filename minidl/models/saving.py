"""Saving and loading models: which file format a path gets, and the public functions.

Writing picks the format from the path's suffix, as Keras does:

===========================  =========================================  ==================
call and path                format written                             module
===========================  =========================================  ==================
``save('m.keras')``          Keras 3 archive (zip of config + weights)  ``keras_archive``
``save('m.h5')``, ``.hdf5``  whole-model HDF5 (TensorFlow 2 / Keras 3)  ``h5_model``
``save('m.npz')``            minidl's own ``.npz`` (exact resume)       ``npz_format``
``save('dir/name')``         a folder with the Keras 3 archive's files  ``keras_archive``
(any other suffix)           (TensorFlow 2 wrote a SavedModel folder)
``save_weights('w.weights.h5')``  Keras 3 weights layout               ``keras_weights``
``save_weights('w.h5')``     Keras 2 HDF5 weights layout               ``h5_weights``
``save_weights('w.npz')``    minidl's ``.npz`` (also for ``.ckpt``,     ``npz_format``
                             no suffix and other paths)
===========================  =========================================  ==================

A ``.ckpt`` or suffix-less weights path is a TensorFlow checkpoint prefix: its folder's
``checkpoint`` file records it, as TensorFlow does, for ``tf.train.latest_checkpoint``
(``checkpoint_state``).

``save_format='keras'|'h5'|'tf'|'npz'`` overrides the suffix (``'tf'`` is the folder), and
Keras 3's ``zipped=False`` turns a ``.keras`` path into that folder. Missing
parent folders are created, as TensorFlow 2 did. Every file is written through
``minidl.fileio``: to a temporary file beside the target, then moved over it, so a full disk,
a permission error or Ctrl-C leaves the previous file as it was and no temporary behind.
HDF5 files are built in memory first, so the HDF5 library never writes to a disk that may fill.

Reading looks at what the path holds, not at its name: a folder (the three files of a
``.keras``), an HDF5 file (a whole model, Keras 2 weights or Keras 3 weights, told apart by
their contents), or a zip (minidl's ``.npz`` or a ``.keras``). ``load_weights`` therefore
reads every format above, and ``load_model`` every whole-model one. Every reader checks the
whole file before it assigns a single weight, and reports any problem as a
:class:`~minidl.errors.ModelFileError` naming the file and what is wrong with it.
"""

import json
import os
import zipfile

from minidl.custom_objects import custom_object_scope
from minidl.errors import ModelFileError
from minidl.models import arguments as model_arguments
from minidl.models import (
    checkpoint_state,
    h5_model,
    h5_weights,
    hdf5_io,
    keras_archive,
    keras_weights,
    npz_format,
    registry,
    training_config,
)
from minidl.models.file_checks import describe_exception, file_error, file_kind, unknown_format_error
from minidl.models.keras_config import keras_spec

__all__ = ["ModelFileError", "load_model", "load_weights", "model_from_config", "model_from_json", "model_to_json",
           "save_model", "save_weights"]

_HDF5_SUFFIXES = (".h5", ".hdf5", ".keras_h5")
_SAVE_FORMATS = ("keras", "h5", "hdf5", "tf", "npz")


# -- architecture ---------------------------------------------------------------------------------------

def model_to_json(model, **kwargs):
    """The architecture (and compile arguments) in Keras 3's JSON dialect."""
    spec = keras_spec(model)
    compile_config = training_config.keras_compile_config(model)
    if compile_config is not None:
        spec["compile_config"] = compile_config
    return json.dumps(spec, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (fresh weights) from JSON written by minidl, Keras 3 or Keras 2; a
    ``compile_config`` in it (Keras 3 writes one for a compiled model) compiles it, as in Keras 3."""
    if isinstance(json_string, (bytes, bytearray)):
        json_string = bytes(json_string).decode("utf-8", errors="replace")
    if isinstance(json_string, dict):
        spec = json_string
    else:
        if not isinstance(json_string, str):
            raise TypeError(f"model_from_json: expected a JSON string, got {type(json_string).__name__}")
        try:
            spec = json.loads(json_string)
        except json.JSONDecodeError as exc:
            raise ValueError(f"model_from_json: not valid JSON ({exc})") from None
        except RecursionError:
            raise ValueError("model_from_json: the JSON is nested too deeply to be a model") from None
        if isinstance(spec, str):  # json.dump(model.to_json(), file) stores the JSON text as a string
            return model_from_json(spec, custom_objects)
    with custom_object_scope(custom_objects):
        model = registry.deserialize_layer(spec, custom_objects)
        compile_config = spec.get("compile_config")
        if compile_config:
            training_config.compile_from_keras(model, compile_config, custom_objects)
    return model


def model_from_config(config, custom_objects=None):
    return registry.deserialize_layer(config, custom_objects)


# -- writing -------------------------------------------------------------------------------------------

def _check_overwrite(path, overwrite, what="save"):
    overwrite = model_arguments.boolean(overwrite, "overwrite", what)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")


def _suffix_format(path, save_format):
    if save_format is not None:
        if save_format not in _SAVE_FORMATS:
            raise ValueError(f"save: save_format must be one of {_SAVE_FORMATS}, got {save_format!r}")
        return {"hdf5": "h5"}.get(save_format, save_format)
    lower = path.lower()
    if lower.endswith(".keras"):
        return "keras"
    if lower.endswith(_HDF5_SUFFIXES):
        return "h5"
    if lower.endswith(".npz"):
        return "npz"
    return "tf"


def _writing(what, path, write):
    """Run ``write()``; an OSError (full disk, permission) is re-raised naming the file."""
    try:
        write()
    except FileExistsError:
        raise
    except OSError as exc:
        message = f"{what}: could not write {path}: {exc.strerror or exc}; any previous file there is unchanged"
        if exc.errno is None:
            raise type(exc)(message) from None
        raise type(exc)(exc.errno, message) from None


def _accept_only(what, kwargs, ignored):
    """TensorFlow's saving options (``options=``, ``signatures=``, ...) have no meaning here."""
    unknown = sorted(set(kwargs) - set(ignored))
    if unknown:
        raise TypeError(f"{what}: unexpected argument(s) {unknown}")


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
    """Architecture, weights and optimizer state in one file or folder (see the module docstring)."""
    _accept_only("save", kwargs, ("options", "signatures", "save_traces", "zipped"))
    path = os.fspath(filepath)
    _check_overwrite(path, overwrite)
    include_optimizer = model_arguments.boolean(include_optimizer, "include_optimizer", "save")
    kind = _suffix_format(path, save_format)
    if kwargs.get("zipped") is False and kind == "keras":
        kind = "tf"  # Keras 3's save_model(..., zipped=False): the archive's files in a folder
    if kind == "h5" and not _has_a_graph(model):
        raise ValueError(f"save: {path}: a subclassed model cannot be saved whole as HDF5 (.h5), as in Keras -- it "
                         "has no graph of layers to write; save it as .keras, or its weights with save_weights()")
    writer = {"keras": keras_archive.save_archive, "h5": h5_model.save_model, "npz": npz_format.write_model,
              "tf": keras_archive.save_directory}[kind]
    _writing("save", path, lambda: writer(model, path, include_optimizer))


def _has_a_graph(model):
    """A Sequential or functional model (what an HDF5 model file describes), not a subclassed one."""
    from minidl.models.functional import Functional
    from minidl.models.sequential import Sequential

    return isinstance(model, (Sequential, Functional))


def save_weights(model, filepath, overwrite=True, save_format=None, **kwargs):
    """The weights only (see the module docstring for the format each path gets)."""
    _accept_only("save_weights", kwargs, ("options",))
    path = os.fspath(filepath)
    _check_overwrite(path, overwrite, "save_weights")
    lower = path.lower()
    if save_format is not None and save_format not in ("h5", "hdf5", "tf", "npz"):
        raise ValueError(f"save_weights: save_format must be 'h5', 'tf' or 'npz', got {save_format!r}")
    if save_format is None and lower.endswith(".keras"):
        raise ValueError(f"save_weights: {path} ends in .keras, which holds a whole model; use model.save({path!r}) "
                         "or a path ending in .weights.h5")
    if save_format in ("h5", "hdf5") or (save_format is None and lower.endswith(_HDF5_SUFFIXES)):
        writer = keras_weights.save_weights if lower.endswith(".weights.h5") else h5_weights.save_keras_h5_weights
    else:
        writer = npz_format.write_weights
    _writing("save_weights", path, lambda: writer(model, path))
    if save_format in (None, "tf") and checkpoint_state.is_checkpoint_path(path):
        # A TensorFlow checkpoint prefix ('cp-0005.ckpt'): recorded for tf.train.latest_checkpoint.
        _writing("save_weights", path, lambda: checkpoint_state.record(path))


# -- reading -------------------------------------------------------------------------------------------

def _zip_kind(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except Exception as exc:  # zipfile raises many kinds of error on a crafted directory
        raise file_error(path, f"is not a readable zip archive; it may be truncated or corrupt "
                               f"({describe_exception(exc)})", exc) from None
    if "__header__.npy" in names:
        return "npz"
    if keras_archive.CONFIG in names or keras_archive.WEIGHTS in names:
        return "keras"
    raise file_error(path, f"is a zip archive but neither a minidl .npz (no __header__.npy) nor a .keras file (no "
                           f"config.json); it holds {sorted(names)[:5]}")


def _hdf5_kind(path, what):
    with hdf5_io.reading(path, path, what) as (file, _):
        if "model_config" in file.attrs:
            return "h5-model"
        if hdf5_io.name_list(file, "layer_names", path) is not None:
            return "h5-weights"
        if keras_weights.is_keras3_layout(file):
            return "keras3-weights"
        if "model_weights" in file:
            return "h5-weights"
    raise file_error(path, f"{what}: is an HDF5 file but holds neither a Keras model nor Keras weights")


def _kind(path, what):
    if not os.path.exists(path) and os.path.exists(path + ".index"):
        raise file_error(path, f"{what}: is a TensorFlow checkpoint ({path}.index), which minidl cannot read; save "
                               "the weights with Keras as .weights.h5 or .h5 instead")
    kind = file_kind(path, what)
    if kind == "zip":
        return _zip_kind(path)
    if kind == "hdf5":
        return _hdf5_kind(path, what)
    if kind == "directory":
        return "keras"
    raise unknown_format_error(path, what)


def load_weights(model, filepath, by_name=False, skip_mismatch=False, **kwargs):
    """Load weights from any file ``save_weights`` or ``save`` writes (minidl's or Keras's).

    ``by_name`` (Keras 2, ``.h5`` files only): pair layers by name instead of by order.
    ``skip_mismatch``: skip, with a warning, the layers whose stored weights do not fit.
    """
    _accept_only("load_weights", kwargs, ("options",))
    by_name = model_arguments.boolean(by_name, "by_name", "load_weights")
    skip_mismatch = model_arguments.boolean(skip_mismatch, "skip_mismatch", "load_weights")
    path = os.fspath(filepath)
    kind = _kind(path, "load_weights")
    if by_name and kind not in ("h5-model", "h5-weights"):
        raise ValueError(f"load_weights: by_name=True is supported for Keras .h5 weight files (as in Keras); {path} is "
                         "not one")
    if kind in ("h5-model", "h5-weights"):
        h5_weights.load_keras_h5_weights(model, path, by_name=by_name, skip_mismatch=skip_mismatch)
    elif kind == "keras3-weights":
        keras_weights.load_weights(model, path, path, skip_mismatch)
    elif kind == "keras":
        keras_archive.load_weights(model, path, skip_mismatch)
    else:
        npz_format.load_weights(model, path, skip_mismatch=skip_mismatch)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 - Keras's name
    """Rebuild a model saved with ``model.save`` (by minidl, Keras 3 or TensorFlow 2):
    architecture, weights, and -- with ``compile=True`` -- compile arguments and optimizer state.
    (``safe_mode`` is accepted for Keras 3; minidl never runs code from a file.)

    ``custom_objects`` (name -> class or function) are known by name to everything rebuilt,
    layers, activations, losses and metrics alike, as are objects registered with
    ``register_keras_serializable`` and those of an open ``custom_object_scope``."""
    with custom_object_scope(custom_objects):
        return _load_model(os.fspath(filepath), custom_objects, compile)


def _load_model(path, custom_objects, compile):  # noqa: A002 - Keras's name
    kind = _kind(path, "load_model")
    if kind in ("h5-weights", "keras3-weights"):
        raise file_error(path, "load_model: holds only weights (written by save_weights); rebuild the model in code and "
                               "call model.load_weights()")
    if kind == "h5-model":
        return h5_model.load_model(path, custom_objects, compile)
    if kind == "keras":
        return keras_archive.load_model(path, custom_objects, compile)
    return npz_format.load_model(path, custom_objects, compile)
