"""The whole-model ``.h5`` file of TensorFlow 2 and Keras 3 (``model.save('m.h5')``).

One HDF5 file holds::

    /                     attrs: backend = 'tensorflow', keras_version = '2.x' or '3.x'
                                 model_config    = JSON text {"class_name": "Sequential", "config": {...}}
                                 training_config = JSON text (what compile() was given; absent
                                                   for a model that was not compiled)
    /model_weights        the weights, in Keras's HDF5 weights layout (see ``h5_weights``)
    /optimizer_weights    attrs: weight_names = ['adam/iteration', 'adam/learning_rate', ...]
                          one dataset per optimizer variable, in that order (see ``optimizer_state``)

TensorFlow 2 wrote ``model_config`` in Keras 2's dialect, Keras 3 in Keras 3's without the
``module`` keys at the layer level; minidl reads both and writes the latter (see
``keras_config``), so Keras 3 loads minidl's files with ``keras.models.load_model``. The file is
built in memory and written atomically.

TensorFlow 2 named the optimizer variables ``Adam/iter:0``, ``Adam/dense/kernel/m:0``, ... (no
learning rate; each kind of slot for all weights, then the next kind); Keras 3 writes them in
its own order; both are read (see ``optimizer_state``).

Reading checks everything before assigning anything: the configuration may not describe more
weights than ``model_weights`` holds, and every stored array is paired with a weight and its
shape compared first.
"""

import json
import os

from minidl import fileio
from minidl.models import h5_weights, hdf5_io, keras_archive, loading, optimizer_state, training_config
from minidl.models.file_checks import field, file_error, parse_json
from minidl.models.keras_config import keras_spec
from minidl.version import __version__

_KERAS_VERSION_WRITTEN = b"3.0.0"


def _fill(file, model, include_optimizer):
    file.attrs["backend"] = b"tensorflow"
    file.attrs["keras_version"] = _KERAS_VERSION_WRITTEN
    file.attrs["minidl_version"] = __version__.encode()
    file.attrs["model_config"] = json.dumps(keras_spec(model, legacy=True)).encode("utf-8")
    compile_config = training_config.keras_compile_config(model, legacy=True) if include_optimizer else None
    if compile_config is not None:
        file.attrs["training_config"] = json.dumps(compile_config).encode("utf-8")
    h5_weights.write_weights_group(file.create_group("model_weights"), model)
    if include_optimizer and model._compiled is not None:
        variables = optimizer_state.keras_variables(model)
        if variables:
            group = file.create_group("optimizer_weights")
            hdf5_io.write_name_list(group, "weight_names", [name for name, _ in variables])
            for name, array in variables:
                hdf5_io.write_array(group, name, array)


def save_model(model, path, include_optimizer=True):
    data = hdf5_io.hdf5_bytes(lambda file: _fill(file, model, include_optimizer), "save")
    fileio.atomic_write_bytes(path, data)


def _json_attribute(file, key, path, required):
    value = hdf5_io.attribute(file, key, path)
    if value is None:
        if required:
            raise file_error(path, f"has no {key!r} attribute: it holds weights only (save_weights); rebuild the model "
                                   "in code and call model.load_weights()")
        return None
    return parse_json(hdf5_io.text(value, path, f"attribute {key!r}"), path, f"attribute {key!r}")


def _optimizer_arrays(file, path, size):
    """The optimizer variables' names and arrays (empty lists when the file has none)."""
    group = hdf5_io.child(file, "optimizer_weights", "group", path, required=False)
    if group is None:
        return [], []
    names = hdf5_io.name_list(group, "weight_names", path) or []
    infos = [hdf5_io.check_dataset(hdf5_io.child(group, name, "dataset", path), path, size) for name in names]
    return names, [hdf5_io.read_dataset(info) for info in infos]


def load_model(path, custom_objects=None, compile=True, what="load_model"):  # noqa: A002 - Keras's name
    path = os.fspath(path)
    with hdf5_io.reading(path, path, what) as (file, size):
        spec = _json_attribute(file, "model_config", path, required=True)
        field(spec, "class_name", str, path, "attribute 'model_config'")
        root = hdf5_io.child(file, "model_weights", "group", path)
        model = loading.build_model(spec, path, custom_objects, h5_weights.stored_elements(root, path, size))
        pairs = h5_weights.plan_from_group(model, root, path, size)
        arrays = [(weight, hdf5_io.read_dataset(info)) for weight, info in pairs]
        training = _json_attribute(file, "training_config", path, required=False) if compile else None
        optimizer_names, optimizer_arrays = _optimizer_arrays(file, path, size) if training else ([], [])
    loading.assign_all(arrays)
    if compile and training:
        keras_archive.restore_training(model, training, optimizer_arrays, path, custom_objects, optimizer_names)
    return model
