"""``tf.train``: checkpoints of models, optimizers and variables, as TensorFlow 2 tutorials use them.

    checkpoint = tf.train.Checkpoint(generator_optimizer=g_opt, generator=generator, ...)
    checkpoint.save(file_prefix=os.path.join(checkpoint_dir, "ckpt"))     # ckpt-1, ckpt-2, ...
    checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))

A checkpoint is one file, a NumPy ``.npz`` archive (``np.load`` reads it), at the path
TensorFlow would use as the prefix of its ``.index``/``.data`` files (``ckpt-3``). It holds,
under each keyword's name: a model's or layer's weights (``get_weights`` order), a
``tf.Variable``'s value, an optimizer's step count and slots (its moments, per weight in the
order it met them). The folder's ``checkpoint`` file records the newest one, as TensorFlow does
(``minidl.models.checkpoint_state``), for ``latest_checkpoint`` and ``CheckpointManager``.

``restore`` assigns everything at once, after checking every shape. An optimizer restored
before its first step receives its slots when it first meets each weight, as TensorFlow defers
them. A model must be built (have its weights) when restored: minidl cannot defer a model's
weights until it is first called, and says so.
"""

import io
import os

import numpy as np

from minidl import fileio
from minidl.layers.base import Layer
from minidl.models import checkpoint_state
from minidl.optimizers.base import Optimizer
from minidl.tf.tensor import constant
from minidl.tf.variable import Variable

latest_checkpoint = checkpoint_state.latest_checkpoint

_WHAT = "tf.train.Checkpoint"


class Checkpoint:
    """``tf.train.Checkpoint(**objects)``: saves and restores models, layers, optimizers and
    ``tf.Variable``s by the keyword they were given under (see the module docstring)."""

    def __init__(self, root=None, **kwargs):
        objects = dict(kwargs)
        if root is not None:
            objects["root"] = root
        for name, value in objects.items():
            _check_trackable(name, value)
        self._objects = objects
        self._save_counter = 0
        self._saved = []

    def __getattr__(self, name):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(f"{_WHAT} has no attribute {name!r}; it tracks {sorted(objects)}")

    @property
    def save_counter(self):
        """How many times ``save`` has run (TensorFlow's int64 variable)."""
        return constant(np.int64(self._save_counter))

    def save(self, file_prefix, options=None):
        """Write ``{file_prefix}-{n}`` (n counts the saves from 1) and record it as the newest."""
        self._save_counter += 1
        path = self.write(f"{os.fspath(file_prefix)}-{self._save_counter}")
        self._saved.append(path)
        checkpoint_state.record(path, keep=self._saved[:-1])
        return path

    def write(self, file_prefix, options=None):
        """Write the checkpoint to exactly ``file_prefix`` (no counter, no state file)."""
        path = os.fspath(file_prefix)
        arrays = {}
        for name, value in self._objects.items():
            arrays.update(_saved_arrays(name, value))
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        fileio.atomic_write_bytes(path, buffer.getvalue())
        return path

    def restore(self, save_path, options=None):
        """Assign what ``save_path`` holds to the tracked objects; ``None`` (no checkpoint yet,
        what ``latest_checkpoint`` returns for an empty folder) restores nothing, as TensorFlow."""
        if save_path is None:
            return LoadStatus(restored=False, unused=[])
        path = os.fspath(save_path)
        if not os.path.isfile(path) and os.path.isfile(path + ".index"):
            raise ValueError(f"{_WHAT}.restore: {path} is a checkpoint written by TensorFlow ({path}.index), which "
                             "minidl cannot read; save it again with minidl's tf.train.Checkpoint, or move the "
                             "weights over with Keras as a .weights.h5 file")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{_WHAT}.restore: no checkpoint at {path} (save_path should be what save() or "
                                    "tf.train.latest_checkpoint returned)")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        assignments = []
        for name, value in self._objects.items():
            assignments.append(_restoration(name, value, arrays, path))
        for assign in assignments:
            assign()
        used = {key for key in arrays if key.split("/", 1)[0] in self._objects}
        return LoadStatus(restored=True, unused=sorted(set(arrays) - used))

    read = restore


class LoadStatus:
    """What ``Checkpoint.restore`` returns: TensorFlow's status checks, answered at once."""

    def __init__(self, restored, unused):
        self.restored = restored
        self.unused = unused

    def assert_consumed(self):
        if not self.restored:
            raise AssertionError(f"{_WHAT}: nothing was restored (save_path was None)")
        if self.unused:
            raise AssertionError(f"{_WHAT}: the checkpoint holds values no tracked object took: {self.unused[:5]}")
        return self

    def assert_existing_objects_matched(self):
        return self.assert_consumed()

    def assert_nontrivial_match(self):
        if not self.restored:
            raise AssertionError(f"{_WHAT}: nothing was restored (save_path was None)")
        return self

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        return None

    def initialize_or_restore(self, session=None):
        return None


class CheckpointManager:
    """``tf.train.CheckpointManager(checkpoint, directory, max_to_keep)``: numbered saves in one
    folder, keeping the newest ``max_to_keep`` (None keeps all)."""

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None, init_fn=None):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"tf.train.CheckpointManager: checkpoint must be a tf.train.Checkpoint, got "
                            f"{type(checkpoint).__name__}")
        if max_to_keep is not None and int(max_to_keep) < 1:
            raise ValueError(f"tf.train.CheckpointManager: max_to_keep must be None or >= 1, got {max_to_keep!r}")
        self._checkpoint = checkpoint
        self.directory = os.fspath(directory)
        self.max_to_keep = None if max_to_keep is None else int(max_to_keep)
        self._prefix = os.path.join(self.directory, checkpoint_name)
        _, every = checkpoint_state.read(self.directory)
        self._kept = [path for path in every if os.path.exists(path)]

    @property
    def latest_checkpoint(self):
        return self._kept[-1] if self._kept else None

    @property
    def checkpoints(self):
        return list(self._kept)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        if checkpoint_number is None:
            self._checkpoint._save_counter += 1
            checkpoint_number = self._checkpoint._save_counter
        path = self._checkpoint.write(f"{self._prefix}-{int(checkpoint_number)}")
        self._kept = [p for p in self._kept if p != path] + [path]
        while self.max_to_keep is not None and len(self._kept) > self.max_to_keep:
            old = self._kept.pop(0)
            if os.path.exists(old):
                os.remove(old)
        checkpoint_state.record(path, keep=self._kept[:-1])
        return path

    def restore_or_initialize(self):
        if self.latest_checkpoint is None:
            return None
        self._checkpoint.restore(self.latest_checkpoint)
        return self.latest_checkpoint


# -- what each kind of object saves and restores -----------------------------------------------------

def _check_trackable(name, value):
    if not isinstance(value, (Layer, Optimizer, Variable, Checkpoint)):
        raise TypeError(f"{_WHAT}: {name}= is a {type(value).__name__}; minidl checkpoints models, layers, "
                        "optimizers, tf.Variables and other tf.train.Checkpoints")


def _saved_arrays(name, value):
    if isinstance(value, Checkpoint):
        arrays = {}
        for inner_name, inner in value._objects.items():
            arrays.update(_saved_arrays(f"{name}/{inner_name}", inner))
        return arrays
    if isinstance(value, Variable):
        return {f"{name}/value": value.numpy()}
    if isinstance(value, Layer):
        return {f"{name}/weights/{index:04d}": array for index, array in enumerate(value.get_weights())}
    state = value.get_state()
    arrays = {f"{name}/iterations": np.asarray(state["iterations"], dtype=np.int64)}
    for slot, per_weight in state["slots"].items():
        for index, array in enumerate(per_weight):
            arrays[f"{name}/slots/{slot}/{index:04d}"] = array
    return arrays


def _restoration(name, value, arrays, path):
    """A function that assigns ``value`` its saved arrays, returned after every check passed."""
    if isinstance(value, Checkpoint):
        inner = [_restoration(f"{name}/{n}", v, arrays, path) for n, v in value._objects.items()]
        return lambda: [assign() for assign in inner]
    if isinstance(value, Variable):
        saved = _required(arrays, f"{name}/value", path)
        if tuple(saved.shape) != tuple(value.shape):
            raise ValueError(f"{_WHAT}.restore: {name} has shape {tuple(value.shape)} but {path} holds shape "
                             f"{tuple(saved.shape)}")
        return lambda: value.assign(saved)
    if isinstance(value, Layer):
        return _layer_restoration(name, value, arrays, path)
    return _optimizer_restoration(name, value, arrays, path)


def _layer_restoration(name, layer, arrays, path):
    prefix = f"{name}/weights/"
    saved = [arrays[key] for key in sorted(key for key in arrays if key.startswith(prefix))]
    current = layer.get_weights()
    if saved and not current:
        raise ValueError(f"{_WHAT}.restore: {name} ({type(layer).__name__}) has no weights yet; build it first "
                         f"(call it on a batch, or give its first layer an input_shape) -- minidl cannot defer "
                         f"restoring a model until it is built, as TensorFlow does")
    if len(saved) != len(current) or any(a.shape != b.shape for a, b in zip(saved, current)):
        raise ValueError(f"{_WHAT}.restore: {name} has weights of shapes {[w.shape for w in current]} but {path} "
                         f"holds {[a.shape for a in saved]} for it")
    return lambda: layer.set_weights(saved)


def _optimizer_restoration(name, optimizer, arrays, path):
    iterations = int(_required(arrays, f"{name}/iterations", path))
    prefix = f"{name}/slots/"
    slots = {}
    for key in sorted(key for key in arrays if key.startswith(prefix)):
        slot, index = key[len(prefix):].rsplit("/", 1)
        slots.setdefault(slot, []).append(arrays[key])
    met = [entry[0] for entry in optimizer._slots.values()]

    def assign():
        if met and all(len(per_weight) == len(met) for per_weight in slots.values()):
            optimizer.set_state({"iterations": iterations, "slots": slots}, met)
            return
        count = max((len(per_weight) for per_weight in slots.values()), default=0)
        optimizer.restore_slots_when_created([{slot: slots[slot][i] for slot in slots} for i in range(count)])
        optimizer.iterations = iterations

    return assign


def _required(arrays, key, path):
    if key not in arrays:
        raise ValueError(f"{_WHAT}.restore: {path} holds nothing for {key.split('/')[0]!r} ({key}); it holds "
                         f"{sorted({k.split('/')[0] for k in arrays})}")
    return arrays[key]


__all__ = ["Checkpoint", "CheckpointManager", "latest_checkpoint"]
