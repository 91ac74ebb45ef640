"""Keras 3's weights layout: ``model.save_weights('w.weights.h5')`` and the ``model.weights.h5``
inside a ``.keras`` file.

Keras 3 walks the model as a tree of objects and gives every object a group named by its
*position*, not by its layer name: the children of a model are listed under ``layers``, each
keyed by its class name in snake case, made unique in its list (``dense``, ``dense_1``, ...);
an object's own variables are datasets ``0``, ``1``, ... of its ``vars`` group, whose
attribute ``name`` is the object's name. For ``Sequential([Input((3,)), Dense(2), Dropout(0.5),
Dense(1)])`` compiled with Adam::

    /vars                         attrs: name='sequential'   (the model's own variables: none)
    /layers/dense/vars/0          (3, 2) float32   kernel
    /layers/dense/vars/1          (2,)   float32   bias
    /layers/dropout/vars          (a layer without weights still has its group)
    /layers/dense_1/vars/0, 1
    /optimizer/vars/0, 1, ...     iteration, learning_rate, slots (see ``optimizer_state``)

The rules minidl follows (what Keras 3 writes):

* A Sequential's children are its layers *without* the input layer; a functional model's are
  its layers in Keras's order (``keras_layer_order``), input layers included.
* A layer's variables are numbered in creation order, those created trainable first
  (Dense: kernel, bias; BatchNormalization: gamma, beta, moving_mean, moving_variance).
* A recurrent layer (SimpleRNN, LSTM, GRU) keeps its variables in its cell:
  ``layers/lstm/cell/vars/0..2`` = kernel, recurrent_kernel, bias; ``layers/lstm/vars`` is empty.
* ``Bidirectional`` holds two such layers: ``.../forward_layer/cell/vars`` and
  ``.../backward_layer/cell/vars``.
* ``RNN(cell)`` keeps its cell's variables under ``cell`` (``layers/rnn/cell/vars``); a stack of
  cells under ``cell/cells/<cell key>``. A layer whose Keras counterpart is made of sub-layers
  says where its weights go with ``keras3_variable_groups()`` (``MultiHeadAttention``:
  ``query_dense/vars``, ``key_dense``, ``value_dense``, ``output_dense``; ``TextVectorization``:
  an empty ``_lookup_layer/vars``).
* A nested model is a child like any other, with its own ``layers``:
  ``layers/sequential/layers/dense/vars/0``.
* A subclassed model's children are its attributes holding layers (``dense1/vars``), in
  alphabetical order, private ones last; a list of layers is keyed like ``layers`` above. A
  custom layer holding layers (a transformer block's ``att``, ``ffn``, ...) keeps them the same way.

Reading checks every group the model expects: it must exist when the object has variables,
hold exactly datasets ``0`` .. ``n-1`` with the weights' shapes, and the file must hold no
variables for layers the model does not have. All is checked before anything is assigned.
``skip_mismatch=True`` skips (with a warning) the layers that do not fit, whole.
"""

import re

import numpy as np

from minidl import fileio
from minidl.models import hdf5_io, loading, optimizer_state
from minidl.models.file_checks import file_error

WHAT = "load_weights"


def keras_snake_case(name):
    """Keras 3's ``naming.to_snake_case``: 'Conv2DTranspose' -> 'conv2d_transpose'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class VariableGroup:
    """One ``vars`` group: its path, the weights stored in it, and the top layer they belong to."""

    __slots__ = ("path", "name", "weights", "owner", "layer")

    def __init__(self, path, name, weights, owner, layer=None):
        self.path = path
        self.name = name
        self.weights = weights
        self.owner = owner
        self.layer = layer  # the plain layer whose own variables these are (None for containers)

    def custom_hook(self, hook):
        """The layer's own ``save_own_variables`` / ``load_own_variables`` when a user's class
        overrides minidl's (Keras 3's hooks for saving more than the weights); else None."""
        from minidl.layers.base import Layer

        if self.layer is None or getattr(type(self.layer), hook) is getattr(Layer, hook):
            return None
        return getattr(self.layer, hook)


def _join(*parts):
    return "/".join(part for part in parts if part)


def _declared_order(layer):
    params = list(layer._params)
    return [w for w in params if w.declared_trainable] + [w for w in params if not w.declared_trainable]


def _children(model):
    """The (key, layer) children of a model, as Keras 3 lists them."""
    from minidl.models.functional import Functional
    from minidl.models.h5_weights import keras_layer_order
    from minidl.models.sequential import Sequential

    if isinstance(model, Sequential):
        return [("layers", _keyed(model.layers))]
    if isinstance(model, Functional):
        return [("layers", _keyed(keras_layer_order(model)))]
    return _attribute_children(model)


def _keyed(layers):
    used, keyed = {}, []
    for layer in layers:
        key = keras_snake_case(type(layer).__name__)
        if key in used:
            used[key] += 1
            key = f"{key}_{used[key]}"
        else:
            used[key] = 0
        keyed.append((key, layer))
    return keyed


def _attribute_children(model):
    """A subclassed model's layers by attribute name (private names last), as Keras 3 walks them."""
    from minidl.layers.base import Layer

    tracked = {id(layer) for layer in model._sublayers}
    children = []
    for name in sorted(vars(model), key=lambda n: "~" + n if n.startswith("_") else n):
        value = vars(model)[name]
        if name.startswith("__") or name in ("_sublayers", "_loss_layers"):
            continue
        if isinstance(value, Layer) and id(value) in tracked:
            children.append((None, [(name, value)]))
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
            if any(id(v) in tracked for v in value):
                children.append((name, _keyed(value)))
    return children


def _cell_groups(layer, path, owner):
    """``RNN(cell)``: its own (empty) group, then the cell's under ``cell``; a StackedRNNCells
    keeps its cells under ``cells``, keyed like a model's layers."""
    from minidl.layers.rnn_cells import StackedRNNCells

    yield VariableGroup(_join(path, "vars"), layer.name, [], owner)
    if isinstance(layer, StackedRNNCells):
        for key, cell in _keyed(layer.cells):
            yield from variable_groups(cell, _join(path, "cells", key), owner)
        return
    yield from variable_groups(layer.cell, _join(path, "cell"), owner)


def variable_groups(layer, path="", owner=None):
    """Every ``vars`` group of ``layer`` in Keras 3's layout, in Keras's traversal order."""
    from minidl.layers.recurrent import BaseRNN
    from minidl.layers.rnn import RNN
    from minidl.layers.rnn_cells import StackedRNNCells
    from minidl.layers.wrappers import Bidirectional
    from minidl.models.model import Model

    owner = owner or layer
    if isinstance(layer, Model):
        yield VariableGroup(_join(path, "vars"), layer.name, list(layer._params), owner)
        seen = set()
        for container, keyed in _children(layer):
            for key, child in keyed:
                if id(child) in seen:
                    continue
                seen.add(id(child))
                child_owner = child if not isinstance(child, Model) else None
                yield from variable_groups(child, _join(path, container, key), child_owner)
        return
    if isinstance(layer, Bidirectional):
        yield VariableGroup(_join(path, "vars"), layer.name, [], owner)
        yield from variable_groups(layer.forward_layer, _join(path, "forward_layer"), owner)
        yield from variable_groups(layer.backward_layer, _join(path, "backward_layer"), owner)
        return
    if isinstance(layer, (RNN, StackedRNNCells)):
        yield from _cell_groups(layer, path, owner)
        return
    layout = getattr(layer, "keras3_variable_groups", None)
    if layout is not None:  # a layer whose Keras counterpart holds sub-layers (MultiHeadAttention)
        for sub_path, name, weights in layout():
            yield VariableGroup(_join(path, sub_path, "vars"), name, weights, owner)
        return
    if layer._sublayers:  # a custom layer holding layers: its children are its attributes, as a subclassed model's
        yield VariableGroup(_join(path, "vars"), layer.name, _declared_order(layer), owner)
        seen = set()
        for container, keyed in _attribute_children(layer):
            for key, child in keyed:
                if id(child) not in seen:
                    seen.add(id(child))
                    yield from variable_groups(child, _join(path, container, key), owner)
        return
    if isinstance(layer, BaseRNN):
        yield VariableGroup(_join(path, "vars"), layer.name, [], owner)
        cell = keras_snake_case(type(layer).__name__) + "_cell"
        yield VariableGroup(_join(path, "cell", "vars"), cell, _declared_order(layer), owner)
        return
    yield VariableGroup(_join(path, "vars"), layer.name, _declared_order(layer), owner, layer)


# -- writing -------------------------------------------------------------------------------------------

def write_groups(file, model, include_optimizer=True):
    """Fill an open h5py file with ``model``'s weights (and its optimizer's) in Keras 3's layout."""
    for group in variable_groups(model):
        handle = file.require_group(group.path)
        handle.attrs["name"] = group.name
        save_own_variables = group.custom_hook("save_own_variables")
        if save_own_variables is not None:  # a user's layer decides what its store holds
            store = {}
            save_own_variables(store)
            for key, value in store.items():
                hdf5_io.write_array(handle, str(key), np.asarray(value))
            continue
        for index, weight in enumerate(group.weights):
            hdf5_io.write_array(handle, str(index), weight.numpy())
    if include_optimizer and model._compiled is not None:
        variables = optimizer_state.keras_variables(model)
        if variables is not None:
            handle = file.create_group("optimizer/vars")
            handle.attrs["name"] = model.optimizer.name.lower()
            for index, (_, array) in enumerate(variables):
                hdf5_io.write_array(handle, str(index), array)


def weights_h5_bytes(model, what="save_weights"):
    return hdf5_io.hdf5_bytes(lambda file: write_groups(file, model), what)


def save_weights(model, path):
    """``model.save_weights('w.weights.h5')``, built in memory and written atomically."""
    fileio.atomic_write_bytes(path, weights_h5_bytes(model))


# -- reading -------------------------------------------------------------------------------------------

def is_keras3_layout(file):
    return "layers" in file or ("vars" in file and "layer_names" not in file.attrs)


def _stored_datasets(group, path, file_size):
    """{index: DatasetInfo} of a ``vars`` group, every entry a dataset named 0..n-1."""
    stored = {}
    for name in hdf5_io.members(group, path):
        if not name.isdigit() or (len(name) > 1 and name.startswith("0")):
            raise file_error(path, f"HDF5 group {group.name!r} holds {name!r}; a 'vars' group holds datasets 0, 1, ...")
        stored[int(name)] = hdf5_io.check_dataset(hdf5_io.child(group, name, "dataset", path), path, file_size)
    return stored


def _all_variable_paths(file, path, prefix="layers", depth=0):
    """Every dataset path under ``prefix`` (the variables the file holds for layers)."""
    if depth > 64:
        raise file_error(path, f"HDF5 groups under {prefix!r} are nested too deeply to be a model")
    group = hdf5_io.child(file, prefix, "group", path, required=False)
    if group is None:
        return []
    h5py = hdf5_io.require_h5py(WHAT)
    found = []
    for name in hdf5_io.members(group, path):
        item = group[name]
        if isinstance(item, h5py.Dataset):
            found.append(f"{prefix}/{name}")
        else:
            found.extend(_all_variable_paths(file, path, f"{prefix}/{name}", depth + 1))
    return found


def plan(model, file, path, file_size, skip_mismatch=False):
    """(weight, DatasetInfo) pairs for ``model`` from an open Keras 3 weights file, all checked."""
    groups = list(variable_groups(model))
    problems = {}  # id(owner) -> (owner, message)
    pairs = []
    expected_paths = set()
    for group in groups:
        if group.custom_hook("load_own_variables") is not None:  # read by custom_stores instead
            handle = hdf5_io.child(file, group.path, "group", path, required=False)
            expected_paths.update(f"{group.path}/{name}" for name in (hdf5_io.members(handle, path) if handle else []))
            continue
        for index in range(len(group.weights)):
            expected_paths.add(f"{group.path}/{index}")
        if id(group.owner) in problems:
            continue
        handle = hdf5_io.child(file, group.path, "group", path, required=bool(group.weights))
        stored = _stored_datasets(handle, path, file_size) if handle is not None else {}
        if sorted(stored) != list(range(len(group.weights))):
            problems[id(group.owner)] = (group.owner, (
                f"layer {group.owner.name!r} expects {len(group.weights)} variables in {group.path!r} "
                f"({[w.name for w in group.weights]}) but the file holds {len(stored)} there; is the file for "
                "another architecture? Nothing was loaded"))
            continue
        for index, weight in enumerate(group.weights):
            info = stored[index]
            if tuple(info.shape) != tuple(weight.shape):
                problems[id(group.owner)] = (group.owner, (
                    f"weight {weight.name!r} of layer {group.owner.name!r} has shape {tuple(weight.shape)} but the "
                    f"file holds shape {tuple(info.shape)} for it ({group.path}/{index}); nothing was loaded"))
                break
            pairs.append((weight, info, group.owner))
    unexpected = [p for p in _all_variable_paths(file, path) if p not in expected_paths]
    if unexpected and not skip_mismatch:
        raise file_error(path, f"holds variables for layers model {model.name!r} does not have ({unexpected[:5]}); is "
                               "the file for another architecture? Nothing was loaded")
    for owner, message in problems.values():
        if not skip_mismatch:
            raise file_error(path, message)
        loading.skip_warning(owner.name, message)
    return [(weight, info) for weight, info, owner in pairs if id(owner) not in problems]


def custom_stores(model, file, path, file_size):
    """``(load_own_variables, {key: array})`` for each layer of ``model`` whose class overrides
    Keras 3's ``load_own_variables``: its ``vars`` group read whole, to be handed over once the
    other weights are assigned (:func:`load_custom_stores`)."""
    stores = []
    for group in variable_groups(model):
        load_own_variables = group.custom_hook("load_own_variables")
        if load_own_variables is None:
            continue
        handle = hdf5_io.child(file, group.path, "group", path, required=False)
        store = {}
        for name in (hdf5_io.members(handle, path) if handle is not None else []):
            info = hdf5_io.check_dataset(hdf5_io.child(handle, name, "dataset", path), path, file_size)
            store[name] = hdf5_io.read_dataset(info)
        stores.append((group.layer, load_own_variables, store))
    return stores


def load_custom_stores(stores, path):
    """Call each layer's own ``load_own_variables(store)``; its failure names the layer and file."""
    for layer, load_own_variables, store in stores:
        try:
            load_own_variables(store)
        except Exception as exc:
            raise file_error(path, f"layer {layer.name!r}: its load_own_variables failed on the stored "
                                   f"{sorted(store)}: {type(exc).__name__}: {exc}") from exc


def optimizer_datasets(file, path, file_size):
    """The DatasetInfos of ``optimizer/vars`` in index order (empty when absent)."""
    group = hdf5_io.child(file, "optimizer/vars", "group", path, required=False)
    if group is None:
        return []
    stored = _stored_datasets(group, path, file_size)
    if sorted(stored) != list(range(len(stored))):
        raise file_error(path, "its optimizer variables are not numbered 0, 1, ...; the file is corrupt")
    return [stored[index] for index in range(len(stored))]


def stored_elements(file, path, file_size):
    """How many numbers the layer variables hold (each dataset checked against the file)."""
    total = 0
    h5py = hdf5_io.require_h5py(WHAT)
    # ``layers`` for Sequential and functional models; a subclassed model's attribute names
    # (``dense_layers/dense/vars/0``) for its own; the optimizer's state is not a layer's.
    children = [name for name in hdf5_io.members(file, path)
                if name not in ("optimizer", "vars") and not isinstance(file[name], h5py.Dataset)]
    for child in children:
        for dataset_path in _all_variable_paths(file, path, prefix=child):
            total += hdf5_io.check_dataset(hdf5_io.child(file, dataset_path, "dataset", path), path, file_size).size
    vars_group = hdf5_io.child(file, "vars", "group", path, required=False)
    if vars_group is not None:
        total += sum(info.size for info in _stored_datasets(vars_group, path, file_size).values())
    return total


def load_weights(model, source, path, skip_mismatch=False, what=WHAT):
    """Load Keras 3 layout weights from ``source`` (a path or a file object) into ``model``."""
    loading.require_built(model, what, path)
    with hdf5_io.reading(source, path, what) as (file, size):
        if not is_keras3_layout(file):
            raise file_error(path, "is an HDF5 file but not in Keras 3's weights layout (no 'layers' group)")
        pairs = plan(model, file, path, size, skip_mismatch)
        arrays = [(weight, hdf5_io.read_dataset(info)) for weight, info in pairs]
        stores = custom_stores(model, file, path, size)
    loading.assign_all(arrays)
    load_custom_stores(stores, path)

