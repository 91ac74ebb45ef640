"""Keras's dataset builders: ``image_dataset_from_directory``, ``text_dataset_from_directory`` and
``timeseries_dataset_from_array``, returning minidl's ``tf.data.Dataset``.

Which files, labels, splits and windows is decided in ``minidl.preprocessing.dataset_utils`` (Keras
3's rules, described there); this module turns those lists into datasets the way Keras does --
(shuffle with a buffer of ``8 * batch_size``,) read each element, batch -- so ``.map``,
``.cache``, ``.prefetch``, ``.take``, ``.unbatch`` and ``model.fit(dataset)`` work on them.

What the elements are, as in Keras: images float32 (height, width, channels) with values 0-255
(uint8 with ``interpolation="nearest"``), resized by ``minidl.ops.image.resize``
(``tf.image.resize``'s geometry); texts strings (minidl's
host arrays of ``str``, see ``minidl/layers/text_values.py``); labels int32 (``label_mode="int"``),
float32 one-hot ("categorical") or float32 (n, 1) ("binary"). The datasets carry
``class_names`` (and ``file_paths``). ``validation_split`` with ``subset="both"`` gives the list
``[training, validation]``. Shuffling within the buffer uses minidl's generator, so the order
of elements within an epoch is not TensorFlow's (the split, the set of files and the windows are).
"""

import numpy as np

from minidl.autograd.tensor import tensor
from minidl.layers.preprocessing.image_resizing import smart_resize
from minidl.ops import image as image_ops
from minidl.preprocessing import dataset_utils as index
from minidl.preprocessing import image_io
from minidl.tf.data import AUTOTUNE, Dataset

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_FORMATS = (".txt",)
INTERPOLATIONS = ("bilinear", "nearest")


def _as_text(path):
    """A path element of a dataset (a string tensor) as a Python ``str``."""
    value = path.numpy() if hasattr(path, "numpy") else path
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _files_dataset(paths, labels, label_mode, num_classes, read, shuffle, seed, batch_size):
    """Keras's pipeline over a list of files: (path, label) pairs, shuffled with a buffer of
    ``8 * batch_size`` (1024 unbatched), each path ``read`` into its element, then batched."""
    path_array = np.array(paths, dtype=object)
    if label_mode:
        dataset = Dataset.from_tensor_slices((path_array, index.encode_labels(labels, label_mode, num_classes)))
    else:
        dataset = Dataset.from_tensor_slices(path_array)
    if shuffle:
        dataset = dataset.shuffle(8 * batch_size if batch_size is not None else 1024, seed=seed)
    if label_mode:
        dataset = dataset.map(lambda path, label: (read(_as_text(path)), label))
    else:
        dataset = dataset.map(lambda path: read(_as_text(path)))
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    return dataset.prefetch(AUTOTUNE)


def _directory_datasets(what, directory, labels, label_mode, class_names, formats, read, batch_size, shuffle,
                        seed, validation_split, subset, follow_links, verbose):
    """The dataset (or [training, validation] for subset='both') of the files of ``directory``."""
    labels = index.check_labels(what, labels, class_names)
    index.check_label_mode(what, label_mode)
    batch_size = index.check_batch_size(what, batch_size)
    index.check_validation_split(what, validation_split, subset, shuffle, seed)
    if label_mode is None and labels is not None and class_names is not None:
        raise ValueError(f"{what}: class_names cannot be used with label_mode=None: without labels every file under "
                         f"the directory is listed, whatever its folder; got class_names={class_names!r}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    seed = index.default_seed(seed)
    paths, labels, class_names = index.index_directory(what, directory, labels, formats, class_names=class_names,
                                                       shuffle=shuffle, seed=seed, follow_links=follow_links)
    if verbose:
        print(index.describe_found(paths, class_names))
    if label_mode is not None:
        index.check_binary_classes(what, label_mode, class_names)
    num_classes = len(class_names) if class_names else 0
    subsets = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for part in subsets:
        part_paths, part_labels, message = index.split_subset(what, paths, labels, validation_split, part)
        if verbose and message:
            print(message)
        if not part_paths:
            name = f"{part} " if part else ""
            raise ValueError(f"{what}: no {name}files with extensions {', '.join(formats)} found in {str(directory)!r}"
                             f" (searched {'its class sub-folders' if class_names else 'it'} recursively)")
        dataset = _files_dataset(part_paths, part_labels, label_mode, num_classes, read,
                                 shuffle and part != "validation", seed, batch_size)
        dataset.class_names = class_names
        dataset.file_paths = list(part_paths)
        datasets.append(dataset)
    return datasets if subset == "both" else datasets[0]


# -- images ---------------------------------------------------------------------------------------

def _check_image_size(what, image_size):
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2 or not all(
            isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size > 0 for size in image_size):
        raise ValueError(f"image_dataset_from_directory: image_size must be (height, width), two positive integers, "
                         f"got {image_size!r}")
    return int(image_size[0]), int(image_size[1])


def resize_with_pad(images, height, width, interpolation):
    """``tf.image.resize_with_pad``: resize keeping the aspect ratio to fit (height, width), then
    pad with zeros, centred, to exactly that size."""
    in_height, in_width = images.shape[1], images.shape[2]
    ratio = max(np.float32(in_width) / np.float32(width), np.float32(in_height) / np.float32(height))
    inner_height, inner_width = np.float32(in_height) / ratio, np.float32(in_width) / ratio
    top = max(0, int(np.floor((np.float32(height) - inner_height) / np.float32(2))))
    left = max(0, int(np.floor((np.float32(width) - inner_width) / np.float32(2))))
    resized = image_ops.resize(images, (int(np.floor(inner_height)), int(np.floor(inner_width))), interpolation)
    pixels = resized.numpy()
    padded = np.zeros((pixels.shape[0], height, width, pixels.shape[3]), dtype=pixels.dtype)
    padded[:, top:top + pixels.shape[1], left:left + pixels.shape[2]] = pixels
    return padded


def load_image(path, image_size, color_mode, interpolation, crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
    """One image file as Keras's datasets give it: (height, width, channels) with values 0-255,
    float32 -- or uint8 with 'nearest', which copies pixels (``tf.image.resize`` keeps the
    images' type for that method only)."""
    height, width = image_size
    pixels = tensor(image_io.load_img(path, color_mode=color_mode)[None].astype(np.float32))
    if crop_to_aspect_ratio:
        resized = smart_resize(pixels, height, width, interpolation).numpy()[0]
    elif pad_to_aspect_ratio:
        resized = resize_with_pad(pixels, height, width, interpolation)[0]
    else:
        resized = image_ops.resize(pixels, (height, width), interpolation).numpy()[0]
    return resized.astype(np.uint8) if interpolation == "nearest" else resized


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
                                 subset=None, interpolation="bilinear", follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf", verbose=True):
    """A ``tf.data.Dataset`` of (images, labels) batches from a folder with one sub-folder per class.

    ``directory/<class>/<image files>`` (.bmp .gif .jpeg .jpg .png, searched recursively); class
    names are the sorted sub-folder names unless ``class_names`` orders them. Images are decoded
    (``color_mode`` 'rgb', 'rgba' or 'grayscale'), resized to ``image_size`` with
    ``interpolation`` ('bilinear' or 'nearest'; with ``crop_to_aspect_ratio`` the centred window
    of the target's aspect ratio first, with ``pad_to_aspect_ratio`` fitted and zero-padded) and
    given as float32 0-255. See the module docstring for labels, splits and shuffling.
    """
    what = "image_dataset_from_directory"
    if color_mode not in image_io.COLOR_MODES:
        raise ValueError(f"{what}: color_mode must be 'rgb', 'rgba' or 'grayscale', got {color_mode!r}")
    size = _check_image_size(what, image_size)
    if not isinstance(interpolation, str) or interpolation.lower() not in INTERPOLATIONS:
        raise ValueError(f"{what}: interpolation must be 'bilinear' or 'nearest' (the ones minidl's resize has), "
                         f"got {interpolation!r}")
    interpolation = interpolation.lower()
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{what}: give crop_to_aspect_ratio or pad_to_aspect_ratio, not both")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{what}: data_format must be None or 'channels_last' (minidl is channels-last), got "
                         f"{data_format!r}")
    if format != "tf":
        raise ValueError(f"{what}: format must be 'tf' (minidl's tf.data.Dataset), got {format!r}")

    def read(path):
        return load_image(path, size, color_mode, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio)

    return _directory_datasets(what, directory, labels, label_mode, class_names, IMAGE_FORMATS, read, batch_size,
                               shuffle, seed, validation_split, subset, follow_links, verbose)


# -- texts ----------------------------------------------------------------------------------------

def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A ``tf.data.Dataset`` of (texts, labels) batches from ``directory/<class>/<.txt files>``.

    Each element is a file's whole text (cut to ``max_length`` bytes when given), as a string
    that ``TextVectorization`` reads; the aclImdb layout (``train/pos``, ``train/neg``) works as
    in Keras's "text classification from scratch". See the module docstring for labels, splits
    and shuffling.
    """
    what = "text_dataset_from_directory"
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer))
                                   or max_length < 1):
        raise ValueError(f"{what}: max_length must be a positive integer (bytes) or None, got {max_length!r}")
    if format != "tf":
        raise ValueError(f"{what}: format must be 'tf' (minidl's tf.data.Dataset), got {format!r}")

    def read(path):
        return np.array(index.read_text(path, max_length), dtype=object)

    return _directory_datasets(what, directory, labels, label_mode, class_names, TEXT_FORMATS, read, batch_size,
                               shuffle, seed, validation_split, subset, follow_links, verbose)


# -- time series ----------------------------------------------------------------------------------

def _check_count(what, argument, value, minimum, upper=None, upper_name=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{what}: {argument} must be an integer >= {minimum}, got {value!r}")
    if upper is not None and value >= upper:
        raise ValueError(f"{what}: {argument} must be lower than {upper_name} ({upper}), got {value}")
    return int(value)


def _as_rows(what, argument, value):
    array = value.to_numpy() if hasattr(value, "to_numpy") else np.asarray(value)
    if array.ndim == 0:
        raise ValueError(f"{what}: {argument} must be an array with one row per time step, got a scalar {value!r}")
    return array


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format="tf"):
    """A ``tf.data.Dataset`` of windows over the rows of ``data`` (with their targets), as Keras.

    Window ``i`` starts at row ``s = start_index + i * sequence_stride`` and holds rows ``s, s +
    sampling_rate, ...`` (``sequence_length`` rows): shape (batch, sequence_length, *features).
    Its target is ``targets[s]`` (pass ``targets=data[sequence_length:]`` to predict the next
    row). Windows are taken while they fit in ``data[start_index:end_index]`` and while there are
    targets. ``shuffle`` shuffles the window order with ``np.random.RandomState(seed)`` as Keras
    does (plus a buffer shuffle within ``8 * batch_size`` windows); ``batch_size=None`` yields
    single windows.
    """
    what = "timeseries_dataset_from_array"
    data = _as_rows(what, "data", data)
    targets = None if targets is None else _as_rows(what, "targets", targets)
    length = len(data)
    sequence_length = _check_count(what, "sequence_length", sequence_length, 1)
    sampling_rate = _check_count(what, "sampling_rate", sampling_rate, 1, length, "the length of data")
    sequence_stride = _check_count(what, "sequence_stride", sequence_stride, 1, length, "the length of data")
    start = 0 if start_index is None else _check_count(what, "start_index", start_index, 0, length,
                                                       "the length of data")
    if end_index is None:
        end = length
    else:
        end = _check_count(what, "end_index", end_index, 1, length, "the length of data")
        if end <= start:
            raise ValueError(f"{what}: end_index ({end}) must be higher than start_index ({start})")
    batch_size = index.check_batch_size(what, batch_size)
    if format != "tf":
        raise ValueError(f"{what}: format must be 'tf' (minidl's tf.data.Dataset), got {format!r}")
    targets_length = None if targets is None else len(targets)
    starts = index.window_starts(targets_length, sequence_length, sequence_stride, sampling_rate, start, end)
    if len(starts) == 0:
        raise ValueError(f"{what}: no window fits: a window spans (sequence_length - 1) * sampling_rate + 1 = "
                         f"{(sequence_length - 1) * sampling_rate + 1} rows, data[start_index:end_index] has "
                         f"{end - start}" + ("" if targets is None else f" and targets has {len(targets)}"))
    if shuffle:
        seed = index.default_seed(seed)
        np.random.RandomState(seed).shuffle(starts)
    series = data[start:end]
    series_targets = None if targets is None else targets[start:end]

    def windows(first_rows):
        first_rows = np.asarray(first_rows.numpy(), dtype=np.int64)
        rows = index.window_rows(first_rows.reshape(-1), sequence_length, sampling_rate)
        gathered = series[rows]
        batch = gathered.reshape(first_rows.shape + gathered.shape[1:])
        if series_targets is None:
            return batch
        return batch, series_targets[first_rows]

    dataset = Dataset.from_tensor_slices(starts)
    if shuffle:
        dataset = dataset.shuffle(8 * batch_size if batch_size is not None else 1024, seed=seed)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    return dataset.map(windows).prefetch(AUTOTUNE)


__all__ = ["image_dataset_from_directory", "text_dataset_from_directory", "timeseries_dataset_from_array"]
