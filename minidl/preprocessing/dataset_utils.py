"""The plain-Python half of Keras's dataset builders (``image_dataset_from_directory``,
``text_dataset_from_directory``, ``timeseries_dataset_from_array``): which files, with which
labels, in which order, in which split, and which windows of a series.

``minidl.keras.utils.dataset_utils`` turns these lists into ``tf.data`` datasets; everything here
is NumPy and the standard library, so it is testable without the faces. The rules are Keras 3's
(``keras/src/utils/dataset_utils.py``):

* Class names are the sub-folders of ``directory`` in sorted order (hidden ones skipped), or the
  ``class_names`` given (a subset of the sub-folders, in the order given). Each class folder is
  walked recursively, folders and files in sorted order; a file is kept when its name ends
  (case-insensitively) with one of the allowed extensions.
* ``shuffle=True`` shuffles the file list once with ``np.random.RandomState(seed)`` (the labels
  with a second generator of the same seed), so the same seed picks the same files as Keras.
* ``validation_split`` keeps the *last* ``int(validation_split * n)`` files of that list for
  validation and the rest for training.
"""

import os
import pathlib

import numpy as np

LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both")


# -- argument checks ------------------------------------------------------------------------------

def check_labels(what, labels, class_names):
    """``labels`` as "inferred", None, or a list of integers; ``class_names`` only with "inferred"."""
    if labels is None or (isinstance(labels, str) and labels == "inferred"):
        if labels is None and class_names is not None:
            raise ValueError(f"{what}: class_names can only be given with labels='inferred', got labels=None and "
                             f"class_names={class_names!r}")
        return labels
    if not isinstance(labels, (list, tuple, np.ndarray)) or np.ndim(labels) != 1:
        raise ValueError(f"{what}: labels must be 'inferred' (from the sub-folder names), None (no labels) or a "
                         f"list of integer labels, one per file in sorted path order; got {labels!r}")
    if class_names is not None:
        raise ValueError(f"{what}: class_names can only be given with labels='inferred', got a list of labels and "
                         f"class_names={class_names!r}")
    for label in labels:
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or label < 0:
            raise ValueError(f"{what}: labels must be non-negative integers, got {label!r} in labels")
    return list(labels)


def check_label_mode(what, label_mode):
    if label_mode not in LABEL_MODES:
        raise ValueError(f"{what}: label_mode must be 'int', 'categorical', 'binary' or None, got {label_mode!r}")


def check_batch_size(what, batch_size):
    """``batch_size`` is a positive integer, or None (one element at a time, unbatched)."""
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{what}: batch_size must be a positive integer or None, got {batch_size!r}")
    return int(batch_size)


def check_validation_split(what, validation_split, subset, shuffle, seed):
    """Keras's rules: a split needs a subset and the other way round; shuffled splits need a seed
    (otherwise the training and validation calls would shuffle differently and overlap)."""
    if validation_split is not None and validation_split != 0:
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.floating)) \
                or not 0 < validation_split < 1:
            raise ValueError(f"{what}: validation_split must be a fraction between 0 and 1 (exclusive), got "
                             f"{validation_split!r}")
    if subset is not None and subset not in SUBSETS:
        raise ValueError(f"{what}: subset must be 'training', 'validation', 'both' or None, got {subset!r}")
    if bool(validation_split) != (subset is not None):
        raise ValueError(f"{what}: subset and validation_split go together: give both or neither (got "
                         f"validation_split={validation_split!r}, subset={subset!r})")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{what}: with validation_split and shuffle=True, give a seed, so that the 'training' and "
                         f"'validation' calls shuffle the files alike and do not overlap")


def default_seed(seed):
    """``seed``, or one drawn from NumPy's global generator as Keras does (``np.random.seed`` repeats it)."""
    return int(np.random.randint(1e6)) if seed is None else int(seed)


# -- listing the files ----------------------------------------------------------------------------

def class_folders(root):
    """The non-hidden sub-folders of ``root``, sorted."""
    return sorted(entry.name for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith("."))


def files_under(folder, formats, follow_links):
    """Files under ``folder`` (recursively) whose names end with one of ``formats``, in Keras's order:
    folders sorted by path, files sorted by name within each."""
    walk = sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0])
    return [os.path.join(root, name) for root, _, names in walk for name in sorted(names)
            if name.lower().endswith(formats)]


def index_directory(what, directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False):
    """``(file_paths, labels, class_names)`` of ``directory`` (see the module docstring).

    ``labels`` "inferred" gives each file its class folder's index (int32); None gives no labels
    (and no class names); a list gives them explicitly, one per file in sorted path order, and
    the class names are then the sorted distinct labels as strings.
    """
    labels = check_labels(what, labels, class_names)
    root = pathlib.Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"{what}: directory {str(directory)!r} does not exist or is not a folder")
    inferred = isinstance(labels, str)
    if inferred:
        folders = class_folders(root)
        if not folders:
            raise ValueError(f"{what}: directory {str(directory)!r} has no class sub-folders; with "
                             f"labels='inferred' it must hold one folder of files per class (or pass labels=None)")
        if class_names is not None:
            class_names = list(class_names)
            unknown = [name for name in class_names if name not in folders]
            if unknown or len(set(class_names)) != len(class_names):
                raise ValueError(f"{what}: class_names must be distinct names of sub-folders of {str(directory)!r}, "
                                 f"which are {folders}; got class_names={class_names}")
            folders = class_names
    else:
        folders = [""]
    paths, found_labels = [], []
    for index, folder in enumerate(folders):
        found = files_under(os.path.join(directory, folder) if folder else str(directory), formats, follow_links)
        paths.extend(found)
        found_labels.extend([index] * len(found))
    if inferred:
        labels, class_names = np.array(found_labels, dtype=np.int32), list(folders)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"{what}: labels has {len(labels)} entries but {str(directory)!r} holds {len(paths)} "
                             f"files with extensions {formats}; give one label per file")
        labels = np.array(labels, dtype=np.int32)
        class_names = [str(label) for label in sorted(set(labels.tolist()))]
    if shuffle:
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def describe_found(paths, class_names):
    """Keras's message after indexing: 'Found 10 files belonging to 2 classes.'"""
    if class_names is None:
        return f"Found {len(paths)} files."
    return f"Found {len(paths)} files belonging to {len(class_names)} classes."


def split_subset(what, paths, labels, validation_split, subset):
    """``(paths, labels, message)`` of ``subset`` ('training' or 'validation'): the validation set is
    the last ``int(validation_split * len(paths))`` files (see the module docstring)."""
    if not validation_split:
        return paths, labels, None
    validation_count = int(validation_split * len(paths))
    if validation_count == 0:  # Keras would give an empty validation set and a training set of nothing
        raise ValueError(f"{what}: validation_split={validation_split} of {len(paths)} files leaves no file for "
                         f"validation; use a larger fraction or more files")
    if subset == "training":
        kept = slice(None, len(paths) - validation_count)
        message = f"Using {len(paths) - validation_count} files for training."
    else:
        kept = slice(len(paths) - validation_count, None)
        message = f"Using {validation_count} files for validation."
    return paths[kept], None if labels is None else labels[kept], message


def encode_labels(labels, label_mode, num_classes):
    """Integer labels as Keras's datasets give them: 'int' int32 (n,), 'binary' float32 (n, 1),
    'categorical' float32 one-hot (n, num_classes)."""
    labels = np.asarray(labels, dtype=np.int32)
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[labels]
    return labels


def check_binary_classes(what, label_mode, class_names):
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"{what}: label_mode='binary' needs exactly 2 classes, got {len(class_names)}: "
                         f"{class_names}")


# -- reading text files ---------------------------------------------------------------------------

def read_text(path, max_length=None):
    """The text of ``path`` (UTF-8), cut to its first ``max_length`` bytes when given.

    Keras cuts the raw bytes (``tf.strings.substr``); minidl keeps text as ``str``, so a character
    that the cut splits in two is dropped rather than kept half."""
    data = pathlib.Path(path).read_bytes()
    if max_length is not None:
        data = data[:max_length]
    return data.decode("utf-8", errors="ignore" if max_length is not None else "strict")


# -- windows of a series --------------------------------------------------------------------------

def window_starts(targets_length, sequence_length, sequence_stride, sampling_rate, start_index,
                  end_index):
    """Start positions (relative to ``start_index``) of Keras's windows over ``data[start_index:end_index]``.

    A window starting at ``p`` holds rows ``p, p + sampling_rate, ...`` (``sequence_length`` of
    them) and its target is ``targets[start_index + p]``; windows start every ``sequence_stride``
    rows while the whole window fits, and no further than there are targets.
    """
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets_length is not None:
        count = min(count, targets_length)
    return np.arange(0, max(count, 0), sequence_stride, dtype=np.int64)


def window_rows(starts, sequence_length, sampling_rate):
    """The row indices (len(starts), sequence_length) of the windows that start at ``starts``."""
    return starts[:, None] + np.arange(sequence_length, dtype=np.int64)[None, :] * sampling_rate
