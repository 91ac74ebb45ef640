"""Keras 3's whole-model format: ``model.save('m.keras')``, and the same three files in a folder.

A ``.keras`` file is a zip archive (members stored, not compressed) of exactly:

* ``metadata.json`` -- ``{"keras_version": "3.x.y", "date_saved": "2024-01-31@12:00:00"}``;
  minidl adds ``"minidl_version"``. Keras does not read it back.
* ``config.json`` -- the model in Keras 3's JSON dialect (see ``keras_config``), with the
  compile arguments under the top-level key ``"compile_config"`` (see ``training_config``).
* ``model.weights.h5`` -- the weights and the optimizer's variables in Keras 3's HDF5 layout
  (see ``keras_weights``).

Keras also puts an ``assets/`` folder in it for layers whose state is not a weight: an adapted
``TextVectorization`` / ``StringLookup`` / ``IntegerLookup`` keeps its vocabulary in
``assets/<the layer's path>/vocabulary.txt`` (the path of its weights group, e.g.
``assets/layers/text_vectorization/vocabulary.txt``). minidl reads those files into the layers
(``layer.load_assets``); it writes such a vocabulary into the layer's configuration instead,
which Keras reads as well. Other assets, and ``model.weights.npz``, are refused with a clear
error.

When ``model.save(path)`` is given a path without one of the suffixes minidl knows
(``.keras``, ``.h5``, ``.hdf5``, ``.npz``), TensorFlow 2 wrote a SavedModel *directory* there;
minidl writes a directory too, holding the same three files (this is also what Keras 3's
``save_model(..., zipped=False)`` writes, so Keras 3 reads it). Each file is written
atomically, the weights first and ``config.json`` last.

Reading refuses archives with unexpected, duplicated or path-climbing member names, encrypted
or oddly compressed members, and members declaring more bytes than the archive holds; the JSON
must parse, the model it describes may not ask for more weights than ``model.weights.h5``
holds, and every weight is checked before any is assigned.
"""

import datetime
import io
import json
import os
import stat
import zipfile

from minidl import fileio
from minidl.errors import ModelFileError
from minidl.models import hdf5_io, keras_weights, loading, optimizer_state, training_config
from minidl.models.file_checks import MAX_JSON_BYTES, file_error, open_zip, parse_json, read_member
from minidl.models.keras_config import keras_spec
from minidl.version import __version__

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
ASSETS = "assets/"
VOCABULARY = "vocabulary.txt"
_MEMBERS = (CONFIG, METADATA, WEIGHTS)
_KERAS_VERSION_WRITTEN = "3.0.0"


# -- writing -------------------------------------------------------------------------------------------

def _refuse_asset_hooks(model):
    """Keras 3 calls a layer's ``save_assets(dir)`` / ``load_assets(dir)`` to keep files beside
    the model; minidl's archives hold only lookup vocabularies, so a user's layer relying on
    them is refused when saving, rather than saved without its state."""
    for layer in model._walk():
        cls = type(layer)
        if cls.__module__.startswith("minidl."):
            continue
        hooks = [name for name in ("save_assets", "load_assets") if callable(getattr(cls, name, None))]
        if hooks:
            raise NotImplementedError(
                f"save: layer {layer.name!r} ({cls.__name__}) defines {' and '.join(hooks)}, Keras 3's hooks for "
                "files kept beside the model; minidl's .keras files hold no assets of a user's layer. Keep that "
                "state in get_config() (text, numbers) or in save_own_variables() / load_own_variables() (arrays)")


def _parts(model, include_optimizer):
    _refuse_asset_hooks(model)
    config = keras_spec(model)
    compile_config = training_config.keras_compile_config(model) if include_optimizer else None
    if compile_config is not None:
        config["compile_config"] = compile_config
    metadata = {"keras_version": _KERAS_VERSION_WRITTEN, "minidl_version": __version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = hdf5_io.hdf5_bytes(lambda file: keras_weights.write_groups(file, model, include_optimizer), "save")
    return json.dumps(metadata).encode(), json.dumps(config).encode(), weights


def save_archive(model, path, include_optimizer=True):
    """``model.save('m.keras')``: the zip written to a temporary file, then moved into place."""
    metadata, config, weights = _parts(model, include_optimizer)

    def write(stream):
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(METADATA, metadata)
            archive.writestr(CONFIG, config)
            archive.writestr(WEIGHTS, weights)

    fileio.atomic_write(path, write)


def save_directory(model, path, include_optimizer=True):
    """``model.save('dir/name')``: a folder holding the three files (TensorFlow 2 wrote a folder there)."""
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(f"save: {path} is an existing file; a model saved without a file suffix is a folder. "
                              "Remove the file, or save to 'name.keras' or 'name.h5'")
    metadata, config, weights = _parts(model, include_optimizer)
    fileio.atomic_write_bytes(os.path.join(path, WEIGHTS), weights)
    fileio.atomic_write_bytes(os.path.join(path, METADATA), metadata)
    fileio.atomic_write_bytes(os.path.join(path, CONFIG), config)


# -- reading -------------------------------------------------------------------------------------------

class _Contents:
    """The config (parsed), the weights (HDF5 bytes or a path) and the vocabulary assets
    ({path under assets/: text}) of an archive or folder."""

    def __init__(self, path, config, weights_source, assets=None):
        self.path = path
        self.config = config
        self.weights_source = weights_source
        self.assets = assets or {}


def _is_asset(name):
    return name.startswith(ASSETS) and name.endswith("/" + VOCABULARY)


def _read_archive(path, what):
    def allowed(name):
        if name == "assets/" or (name.startswith(ASSETS) and name.endswith("/")):
            return False  # a folder entry
        if (name.startswith(ASSETS) and not _is_asset(name)) or name == "model.weights.npz":
            raise file_error(path, f"{what}: holds {name!r}; Keras assets other than lookup vocabularies, and .npz "
                                   "weights, inside a .keras file are not supported by minidl")
        return name in _MEMBERS or _is_asset(name)

    with open_zip(path, path, allowed, what) as archive:
        names = set(archive.namelist())
        for required in (CONFIG, WEIGHTS):
            if required not in names:
                raise file_error(path, f"{what}: this .keras archive has no {required!r}; it is truncated or not a Keras "
                                       "model")
        config = parse_json(read_member(archive, CONFIG, path, MAX_JSON_BYTES), path, CONFIG)
        weights = read_member(archive, WEIGHTS, path)
        assets = {name[len(ASSETS):]: _asset_text(read_member(archive, name, path, MAX_JSON_BYTES), path, name)
                  for name in names if _is_asset(name)}
    return _Contents(path, config, io.BytesIO(weights), assets)


def _asset_text(data, path, name):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise file_error(path, f"{name} is not UTF-8 text ({exc})", exc) from None


def load_assets(model, assets, path):
    """Give every layer that keeps a vocabulary the ``vocabulary.txt`` stored at its path;
    a layer whose vocabulary the file should hold and does not is an error."""
    _read_vocabularies(model, assets, path)
    waiting = [layer for layer in model._walk()
               if getattr(layer, "awaits_vocabulary", None) is not None and layer.awaits_vocabulary()]
    inside_another = {id(inner) for layer in waiting for inner in layer._walk()[1:]}  # TextVectorization's lookup
    missing = [layer.name for layer in waiting if id(layer) not in inside_another]
    if missing:
        raise file_error(path, f"holds no vocabulary (assets/.../vocabulary.txt) for the adapted layer(s) {missing}; the "
                               "file is incomplete")


def _read_vocabularies(model, assets, path):
    if not assets:
        return
    owners = {}
    for group in keras_weights.variable_groups(model):
        if group.path.endswith("vars"):
            owners.setdefault(id(group.owner), (group.owner, group.path[:-len("vars")]))
    used = set()
    for owner, prefix in owners.values():
        files = {name[len(prefix):]: text for name, text in assets.items()
                 if name.startswith(prefix) and "/" not in name[len(prefix):]}
        if files and hasattr(owner, "load_assets"):
            try:
                owner.load_assets(files)
            except (ValueError, TypeError) as exc:
                raise file_error(path, f"the vocabulary of layer {owner.name!r} in assets/{prefix} cannot be used "
                                       f"({exc})", exc) from None
            used.update(prefix + name for name in files)
    unused = sorted(name for name in assets if name not in used and "/_lookup_layer/" not in name)
    if unused:
        raise file_error(path, f"holds vocabularies for layers the model does not have ({unused[:3]})")


def _regular_file(path, name, directory):
    full = os.path.join(directory, name)
    try:
        mode = os.lstat(full).st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode):
        raise file_error(directory, f"{name} is not a regular file (a link or device is not followed)")
    return full


def _read_directory(path, what):
    config_path = _regular_file(path, CONFIG, path)
    weights_path = _regular_file(path, WEIGHTS, path)
    if config_path is None or weights_path is None:
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            raise file_error(path, f"{what}: is a TensorFlow SavedModel folder, which minidl cannot read; in TensorFlow "
                                   "save the model with model.save('name.keras') or model.save('name.h5')")
        missing = [name for name, found in ((CONFIG, config_path), (WEIGHTS, weights_path)) if found is None]
        raise file_error(path, f"{what}: this folder is not a saved model: it lacks {missing}")
    if os.path.getsize(config_path) > MAX_JSON_BYTES:
        raise file_error(path, f"{CONFIG} is larger than a configuration may be")
    with open(config_path, "rb") as stream:
        config = parse_json(stream.read(), path, CONFIG)
    return _Contents(path, config, weights_path, _directory_assets(path))


def _directory_assets(path):
    """The ``vocabulary.txt`` files under the folder's ``assets/`` (regular files only)."""
    root = os.path.join(path, "assets")
    assets = {}
    if not os.path.isdir(root) or os.path.islink(root):
        return assets
    for folder, _, files in os.walk(root):
        for name in files:
            relative = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            if name != VOCABULARY:
                raise file_error(path, f"holds assets/{relative}; Keras assets other than lookup vocabularies are not "
                                       "supported by minidl")
            full = _regular_file(path, os.path.join("assets", relative), path)
            if os.path.getsize(full) > MAX_JSON_BYTES:
                raise file_error(path, f"assets/{relative} is larger than a vocabulary may be")
            with open(full, "rb") as stream:
                assets[relative] = _asset_text(stream.read(), path, f"assets/{relative}")
    return assets


def read(path, what):
    """The checked contents of a ``.keras`` file or a saved-model folder."""
    path = os.fspath(path)
    contents = _read_directory(path, what) if os.path.isdir(path) else _read_archive(path, what)
    if not isinstance(contents.config, dict) or not isinstance(contents.config.get("class_name"), str):
        raise file_error(path, f"{CONFIG} does not describe a model (no 'class_name')")
    return contents


def _weights_name(contents):
    return f"{contents.path} ({WEIGHTS})"


def load_weights(model, path, skip_mismatch=False, what="load_weights"):
    contents = read(path, what)
    keras_weights.load_weights(model, contents.weights_source, _weights_name(contents), skip_mismatch, what)


def load_model(path, custom_objects=None, compile=True, what="load_model"):  # noqa: A002 - Keras's name
    contents = read(path, what)
    name = _weights_name(contents)
    with hdf5_io.reading(contents.weights_source, name, what) as (file, size):
        if not keras_weights.is_keras3_layout(file):
            raise file_error(name, "is not in Keras 3's weights layout (no 'layers' group)")
        model = loading.build_model(contents.config, contents.path, custom_objects,
                                    keras_weights.stored_elements(file, name, size))
        pairs = keras_weights.plan(model, file, name, size)
        arrays = [(weight, hdf5_io.read_dataset(info)) for weight, info in pairs]
        stores = keras_weights.custom_stores(model, file, name, size)
        optimizer_infos = keras_weights.optimizer_datasets(file, name, size) if compile else []
        optimizer_arrays = [hdf5_io.read_dataset(info) for info in optimizer_infos]
    loading.assign_all(arrays)
    keras_weights.load_custom_stores(stores, name)
    load_assets(model, contents.assets, contents.path)
    compile_config = contents.config.get("compile_config")
    if compile and compile_config:
        restore_training(model, compile_config, optimizer_arrays, contents.path, custom_objects)
    return model


def restore_training(model, compile_config, optimizer_arrays, path, custom_objects, optimizer_names=None):
    """Compile ``model`` from a Keras compile config and restore its optimizer's state."""
    try:
        training_config.compile_from_keras(model, compile_config, custom_objects)
        if optimizer_arrays:
            optimizer_state.restore(model, optimizer_arrays, path, optimizer_names)
    except ModelFileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise file_error(path, f"its compile configuration or optimizer state cannot be restored "
                               f"({type(exc).__name__}: {exc})", exc) from None
