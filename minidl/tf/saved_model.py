"""``tf.saved_model.save`` / ``load`` for Keras models: the model written as a folder (the
files of a ``.keras`` archive, which ``model.save('dir')`` also writes) and read back as a Keras
model.

TensorFlow's SavedModel is a serialized graph (``saved_model.pb``) that ``load`` turns into a
generic object with ``signatures``; minidl has no graphs to serialize, so ``load`` returns the
Keras model itself -- it can be called and asked to ``predict``, which is what tutorials do with
it. A SavedModel folder written by TensorFlow cannot be read (``load`` says so).
"""

import os

from minidl.layers.base import Layer


def save(obj, export_dir, signatures=None, options=None):
    """Write the Keras model ``obj`` to the folder ``export_dir``."""
    from minidl.models.model import Model

    if not isinstance(obj, Model):
        kind = "a layer" if isinstance(obj, Layer) else f"a {type(obj).__name__}"
        raise TypeError(f"tf.saved_model.save: obj is {kind}; minidl saves Keras models only (keras.Model / "
                        "Sequential) -- for variables use tf.train.Checkpoint")
    obj.save(os.fspath(export_dir), save_format="tf")


def load(export_dir, tags=None, options=None):
    """The Keras model saved in ``export_dir`` by ``save`` (or ``model.save('dir')``)."""
    from minidl.models.saving import load_model

    return load_model(os.fspath(export_dir))


__all__ = ["load", "save"]
