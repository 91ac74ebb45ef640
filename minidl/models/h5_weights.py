"""Keras's HDF5 weights layout (Keras 2, and the ``.h5`` files Keras 3 still reads and writes):
``model.save_weights('w.h5')``, the ImageNet files of ``keras.applications``, and the
``model_weights`` group of a whole-model ``.h5``.

The layout (``save_weights_to_hdf5_group``)::

    /                      attrs: layer_names = [b'input_1', b'block1_conv1', ...]
                                  backend = b'tensorflow', keras_version = b'2.4.0'
    /block1_conv1          attrs: weight_names = [b'block1_conv1/kernel:0', b'block1_conv1/bias:0']
    /block1_conv1/block1_conv1/kernel:0   dataset (3, 3, 3, 64) float32
    ...

``layer_names`` lists the model's layers in Keras's ``model.layers`` order (for a functional
model, by depth from the outputs -- see ``keras_layer_order``); an attribute longer than
HDF5's 64 KB header limit is split into ``layer_names0``, ``layer_names1``, ... (likewise
``weight_names``). Each layer's group lists its weights in ``trainable + non-trainable``
order; a nested model is one group holding all its layers' weights (``keras_saved_weight_order``).
TensorFlow 2 names the datasets ``dense/kernel:0``, Keras 3 ``sequential/dense/kernel``;
minidl writes TensorFlow 2's names. Keras 3 writes the names as variable-length strings,
Keras 2 as fixed-length bytes; both are read. A layer's arrays are stored in Keras's order and
shapes, which are minidl's (DESIGN.md, "Conventions"), so they are copied, never transposed.

Two ways of pairing stored layers with the model's layers, as Keras's ``load_weights``:

* by order (the default): the stored layers that have weights, in file order, against the
  model's layers that have weights, in *Keras's* layer order. For a branching functional
  model Keras orders layers by their depth from the outputs (``keras_layer_order``), which is
  not the order the layers were created in; ResNet50's shortcut convolution ``..._0_conv``,
  for instance, comes after ``..._2_relu``. Reproducing that order is what lets a Keras file
  load by order. (One liberty: when the file names exactly the model's layers but lists
  them in another order, they are paired by name, which is then unambiguous.)
* ``by_name=True``: each stored layer goes to the model layer of the same name; model layers
  missing from the file keep their values, stored layers missing from the model are ignored.

``skip_mismatch=True`` skips (with a warning) the layers whose weights do not fit, where Keras
would raise. (Keras skips single mismatched arrays and loads the rest of such a layer; minidl
skips the whole layer, so no layer is left half-loaded.)

Everything is read and checked before the first weight is assigned: the file's structure is
indexed first (names, declared shapes, checked against the bytes the file holds), the stored
layers are paired with the model's and every shape compared, and only then are the arrays
read and assigned. A file for another architecture, a mismatched shape, or a truncated or
crafted file raises ``ModelFileError`` and leaves the model untouched.
"""

import os
import re

from minidl import fileio
from minidl.errors import ModelFileError
from minidl.models import hdf5_io, loading
from minidl.models.file_checks import file_error
from minidl.models.functional import Functional
from minidl.models.model import Model

__all__ = ["ModelFileError", "keras_layer_order", "keras_saved_weight_order", "load_keras_h5_weights",
           "read_keras_h5_weights", "save_keras_h5_weights"]

WHAT = "load_weights"


# -- reading the file's structure --------------------------------------------------------------------

class StoredLayer:
    """One layer's group in the file: its name and its (weight name, dataset or array) pairs in file order."""

    __slots__ = ("name", "weights")

    def __init__(self, name, weights):
        self.name = name
        self.weights = weights

    def __repr__(self):
        return f"<StoredLayer {self.name!r} {[(n, tuple(a.shape)) for n, a in self.weights]}>"


def weights_root(file, path):
    """The group holding ``layer_names``: the file itself, or ``model_weights`` of a whole-model file."""
    root = file
    if hdf5_io.name_list(root, "layer_names", path) is None and "model_weights" in root:
        root = hdf5_io.child(file, "model_weights", "group", path)
    if hdf5_io.name_list(root, "layer_names", path) is None:
        raise file_error(path, f"is an HDF5 file but not in Keras's weights layout (no 'layer_names' attribute; "
                               f"top-level entries: {sorted(file.keys())[:10]})")
    return root


def index_layers(root, path, file_size):
    """[StoredLayer] with checked ``DatasetInfo`` (no data read yet), in file order."""
    _check_backend(root, path)
    stored = []
    for name in hdf5_io.name_list(root, "layer_names", path):
        group = hdf5_io.child(root, name, "group", path)
        weight_names = hdf5_io.name_list(group, "weight_names", path) or []
        infos = [(weight_name, hdf5_io.check_dataset(hdf5_io.child(group, weight_name, "dataset", path), path, file_size))
                 for weight_name in weight_names]
        stored.append(StoredLayer(name, infos))
    return stored


def read_keras_h5_weights(path):
    """Every layer group of a Keras HDF5 weights file, in file order, arrays read into memory
    (each checked against the bytes the file holds first).

    Raises ``ModelFileError`` for a file that cannot be read (truncated, corrupt, crafted) or
    that is not in Keras's layout, ``FileNotFoundError`` for a missing one.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_keras_h5_weights: weights file {path!r} does not exist")
    with hdf5_io.reading(path, path, WHAT) as (file, size):
        stored = index_layers(weights_root(file, path), path, size)
        return [StoredLayer(layer.name, [(name, hdf5_io.read_dataset(info)) for name, info in layer.weights])
                for layer in stored]


def _check_backend(root, path):
    """Keras 1 files (no ``keras_version``, or '1.x') need no conversion for channels-last
    Conv2D, Dense and BatchNormalization, as in Keras 2's ``preprocess_weights_for_loading``;
    Theano files store flipped convolution kernels, which minidl does not convert."""
    backend_name = hdf5_io.attribute(root, "backend", path, default=b"")
    if hdf5_io.text(backend_name, path, "attribute 'backend'") == "theano":
        raise file_error(path, "was written with the Theano backend, whose convolution kernels are flipped; use the "
                               "TensorFlow-ordered file (the '..._tf_dim_ordering_tf_kernels' one)")


# -- Keras's orders -----------------------------------------------------------------------------

def keras_layer_order(model):
    """The model's layers in the order Keras lists them (``model.layers``), which is the order
    of the groups in a Keras weights file: a functional model's layers by decreasing depth
    from the outputs (``minidl.models.layer_order``), which is minidl's ``model.layers`` too."""
    if isinstance(model, Functional):
        return list(model.layers)
    return list(model.layers) if isinstance(model, Model) else [model]


def keras_saved_weight_order(layer):
    """A layer's weights in the order Keras writes them to HDF5 (``trainable_weights +
    non_trainable_weights``). For a plain layer that is minidl's ``layer.weights``; for a
    nested model Keras lists all trainable weights of its layers first, then all the rest --
    unless the model is frozen, when every layer's weights come layer by layer."""
    if not isinstance(layer, Model):
        return list(layer.weights)
    return _unique(_trainable_in_keras_order(layer) + _non_trainable_in_keras_order(layer))


def _trainable_in_keras_order(layer):
    if not layer.trainable:
        return []
    if not isinstance(layer, Model):
        return list(layer.trainable_weights)
    own = [w for w in layer._params if w.trainable]
    return [w for child in keras_layer_order(layer) for w in _trainable_in_keras_order(child)] + own


def _non_trainable_in_keras_order(layer):
    if not isinstance(layer, Model):
        return list(layer.non_trainable_weights)
    children = [child for child in keras_layer_order(layer) if child is not layer]
    if layer.trainable:
        own = [w for w in layer._params if not w.trainable]
        return [w for child in children for w in _non_trainable_in_keras_order(child)] + own
    return [w for child in children for w in keras_saved_weight_order(child)] + list(layer._params)


def _unique(weights):
    seen, unique = set(), []
    for weight in weights:
        if id(weight) not in seen:
            seen.add(id(weight))
            unique.append(weight)
    return unique


# -- pairing stored arrays with weights ---------------------------------------------------------

_VARIABLE_SUFFIX = re.compile(r":\d+$")


def _match_by_weight_names(weights, stored):
    """Pair stored arrays with weights by name when every stored name ends with exactly one
    weight's name (``'conv1_bn/gamma:0'`` -> ``conv1_bn/gamma``); else None."""
    if len(weights) != len(stored.weights):
        return None
    pairs = []
    unused = list(weights)
    for stored_name, info in stored.weights:
        name = _VARIABLE_SUFFIX.sub("", stored_name)
        hits = [i for i, w in enumerate(unused) if name == w.name or name.endswith("/" + w.name)]
        if len(hits) != 1:
            return None
        pairs.append((unused.pop(hits[0]), stored_name, info))
    return pairs


def _pair_layer(layer, stored, path):
    """(weight, stored name, dataset) for every weight of ``layer``, or a ModelFileError
    explaining why the stored layer does not fit."""
    weights = keras_saved_weight_order(layer)
    if len(weights) != len(stored.weights):
        raise file_error(
            path, f"layer {layer.name!r} has {len(weights)} weights {[w.name for w in weights]} but the file holds "
                  f"{len(stored.weights)} for layer {stored.name!r} {[n for n, _ in stored.weights]}; nothing was loaded"
        )
    pairs = _match_by_weight_names(weights, stored)
    if pairs is None:
        pairs = [(weight, name, info) for weight, (name, info) in zip(weights, stored.weights)]
    for weight, name, info in pairs:
        if tuple(info.shape) != tuple(weight.shape):
            raise file_error(
                path, f"shape mismatch for layer {layer.name!r}, weight {weight.name!r}: the model has shape "
                      f"{tuple(weight.shape)} but the file holds shape {tuple(info.shape)} for {name!r} (stored layer "
                      f"{stored.name!r}); nothing was loaded"
            )
    return pairs


def _layers_with_weights(layers):
    return [layer for layer in layers if layer.weights]


def _plan_by_order(model, stored_layers, path, skip_mismatch):
    layers = _layers_with_weights(keras_layer_order(model))
    stored = [s for s in stored_layers if s.weights]
    if len(layers) != len(stored):
        raise file_error(
            path, f"layer count mismatch: model {model.name!r} has {len(layers)} layers with weights "
                  f"{[layer.name for layer in layers][:20]} but the file holds weights for {len(stored)} layers "
                  f"{[s.name for s in stored][:20]}; is the file for another architecture (e.g. with vs without the top "
                  "classifier)? Nothing was loaded"
        )
    layer_names = [layer.name for layer in layers]
    stored_names = [s.name for s in stored]
    if layer_names != stored_names and len(set(layer_names)) == len(layers) and set(layer_names) == set(stored_names):
        # Same layers listed in another order (a file written in creation order, say): the
        # names say unambiguously which is which.
        position = {name: index for index, name in enumerate(stored_names)}
        stored = [stored[position[name]] for name in layer_names]
    return _plan(zip(layers, stored), path, skip_mismatch)


def _plan(candidates, path, skip_mismatch):
    plan = []
    for layer, stored in candidates:
        try:
            plan.append((layer, _pair_layer(layer, stored, path)))
        except ModelFileError as exc:
            if not skip_mismatch:
                raise
            loading.skip_warning(layer.name, str(exc))
    return plan


def _plan_by_name(model, stored_layers, path, skip_mismatch):
    by_name = {}
    for layer in keras_layer_order(model):
        by_name.setdefault(layer.name, []).append(layer)
    candidates = [(layer, stored) for stored in stored_layers for layer in by_name.get(stored.name, [])
                  if layer.weights or stored.weights]
    return _plan(candidates, path, skip_mismatch)


def plan_from_group(model, root, path, file_size, by_name=False, skip_mismatch=False):
    """(weight, DatasetInfo) pairs for ``model`` from an open Keras weights group, all checked."""
    stored_layers = index_layers(root, path, file_size)
    if by_name:
        plan = _plan_by_name(model, stored_layers, path, skip_mismatch)
    else:
        plan = _plan_by_order(model, stored_layers, path, skip_mismatch)
    return [(weight, info) for _, pairs in plan for weight, _, info in pairs]


def stored_elements(root, path, file_size):
    """How many numbers the weights in a Keras weights group hold (their sizes checked)."""
    return sum(info.size for layer in index_layers(root, path, file_size) for _, info in layer.weights)


def load_keras_h5_weights(model, path, by_name=False, skip_mismatch=False):
    """Load a Keras HDF5 weights file into ``model`` (a minidl model or layer); see the module
    docstring for how layers are paired. Every array is checked before any is assigned."""
    path = os.fspath(path)
    loading.require_built(model, "load_keras_h5_weights", path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_keras_h5_weights: weights file {path!r} does not exist")
    with hdf5_io.reading(path, path, WHAT) as (file, size):
        pairs = plan_from_group(model, weights_root(file, path), path, size, by_name, skip_mismatch)
        arrays = [(weight, hdf5_io.read_dataset(info)) for weight, info in pairs]
    loading.assign_all(arrays)


# -- writing -------------------------------------------------------------------------------------

def write_weights_group(group, model):
    """Fill an h5py group with ``model``'s weights in Keras's layout."""
    layers = keras_layer_order(model) if isinstance(model, Model) else [model]
    hdf5_io.write_name_list(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"2.15.0"
    for layer in sorted(layers, key=lambda item: item.name):
        layer_group = group.create_group(layer.name)
        weights = keras_saved_weight_order(layer)
        names = _unique_dataset_names(weights)
        hdf5_io.write_name_list(layer_group, "weight_names", names)
        for name, weight in zip(names, weights):
            hdf5_io.write_array(layer_group, name, weight.numpy())


def _unique_dataset_names(weights):
    names, seen = [], set()
    for weight in weights:
        name = f"{weight.name}:0"
        index = 0
        while name in seen:
            index += 1
            name = f"{weight.name}:{index}"
        seen.add(name)
        names.append(name)
    return names


def save_keras_h5_weights(model, path):
    """``model.save_weights('w.h5')``: Keras's HDF5 layout, built in memory, written atomically."""
    data = hdf5_io.hdf5_bytes(lambda file: write_weights_group(file, model), "save_weights")
    fileio.atomic_write_bytes(path, data)
