"""The ``checkpoint`` file TensorFlow keeps beside its checkpoints, so that
``tf.train.latest_checkpoint(directory)`` finds the newest one.

TensorFlow 2's ``model.save_weights('training_2/cp-0005.ckpt')`` (and the ``ModelCheckpoint``
callback, and ``tf.train.Checkpoint.save``) write the checkpoint and then record its name in
``training_2/checkpoint``, a small text file::

    model_checkpoint_path: "cp-0005.ckpt"
    all_model_checkpoint_paths: "cp-0005.ckpt"

minidl writes such paths in its own ``.npz`` format (see ``npz_format``) and keeps the same
state file, so the TensorFlow tutorials' ``latest = tf.train.latest_checkpoint(checkpoint_dir)``
followed by ``model.load_weights(latest)`` works unchanged.
"""

import os
import re

from minidl import fileio

STATE_FILE = "checkpoint"
_LINE = re.compile(r'^\s*(model_checkpoint_path|all_model_checkpoint_paths)\s*:\s*"((?:[^"\\]|\\.)*)"\s*$')


def is_checkpoint_path(path):
    """Whether ``save_weights`` treats ``path`` as a TensorFlow checkpoint prefix: no suffix that
    names another format (``.ckpt``, no suffix, ``cp-0005.ckpt``)."""
    lower = os.fspath(path).lower()
    return not lower.endswith((".h5", ".hdf5", ".keras_h5", ".keras", ".npz", ".json"))


def record(path, keep=None):
    """Record ``path`` as the newest checkpoint of its folder (``keep``: the earlier ones still
    listed, TensorFlow's ``all_model_checkpoint_paths``; by default only this one)."""
    if os.path.basename(os.fspath(path)) == STATE_FILE:
        return  # the weights themselves are in a file named 'checkpoint': keep them, record nothing
    directory = os.path.dirname(os.path.abspath(path))
    names = [os.path.basename(os.fspath(p)) for p in (keep or [])] + [os.path.basename(os.fspath(path))]
    lines = [f'model_checkpoint_path: "{_quoted(names[-1])}"']
    lines += [f'all_model_checkpoint_paths: "{_quoted(name)}"' for name in dict.fromkeys(names)]
    fileio.atomic_write_bytes(os.path.join(directory, STATE_FILE), ("\n".join(lines) + "\n").encode())


def _quoted(name):
    return name.replace("\\", "\\\\").replace('"', '\\"')


def read(directory, latest_filename=None):
    """(newest path, all paths) recorded in ``directory``'s state file, or (None, []) without one.
    Relative names are joined to ``directory``, as TensorFlow does."""
    state_path = os.path.join(os.fspath(directory), latest_filename or STATE_FILE)
    if not os.path.isfile(state_path):
        return None, []
    newest, every = None, []
    with open(state_path, encoding="utf-8") as file:
        for line in file:
            match = _LINE.match(line)
            if not match:
                continue
            name = re.sub(r"\\(.)", r"\1", match.group(2))
            full = name if os.path.isabs(name) else os.path.join(os.fspath(directory), name)
            if match.group(1) == "model_checkpoint_path":
                newest = full
            else:
                every.append(full)
    return newest, every


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """``tf.train.latest_checkpoint``: the newest checkpoint recorded in ``checkpoint_dir`` that
    still exists, or None (no state file, or its checkpoint is gone), as TensorFlow."""
    newest, _ = read(checkpoint_dir, latest_filename)
    if newest is None or not os.path.exists(newest):
        return None
    return newest
