"""ImageNet helpers shared by the applications: ``preprocess_input`` and ``decode_predictions``.

``preprocess_input`` follows ``tf.keras.applications.imagenet_utils.preprocess_input``:

* ``'caffe'`` (VGG16, ResNet50): RGB -> BGR, then subtract the ImageNet channel means
  (B 103.939, G 116.779, R 123.68), no scaling. This is how the original Caffe models
  were trained, and the Keras ``.h5`` weight files expect it.
* ``'tf'``: scale to [-1, 1].   * ``'torch'``: scale to [0, 1], then normalise per channel.

Unlike Keras's NumPy path it never modifies the caller's array in place.

``decode_predictions`` turns a (samples, 1000) probability array into the top classes. Keras
downloads the class names (``imagenet_class_index.json``) on first use; minidl has no
network here, so the file is looked up locally (see ``find_class_index``) and a clear error
says where to get it when it is missing.
"""

import json
import os
import warnings

import numpy as np

from minidl.runtime import backend

# Channel means in BGR order and the torch-mode statistics in RGB order, as in Keras.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN_RGB = (0.485, 0.456, 0.406)
TORCH_STD_RGB = (0.229, 0.224, 0.225)

CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"

_class_index_cache = {}  # absolute path -> {int index: (wnid, name)}


def _channel_axis(ndim, data_format):
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def preprocess_input(x, data_format=None, mode="caffe"):
    """Prepare images (values in [0, 255], RGB) for an ImageNet model; returns a new array.

    ``x``: a NumPy array of rank 3 (one image) or 4 (a batch), channels last by default.
    ``mode``: ``'caffe'`` (the default, what VGG16 and ResNet50 use), ``'tf'`` or ``'torch'``.
    Integer images are converted to ``floatx()`` first, as Keras does.
    """
    if data_format is None:
        data_format = "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"preprocess_input: data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
        )
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input: mode must be 'caffe', 'tf' or 'torch', got {mode!r}")
    if backend.is_array(x) and not isinstance(x, np.ndarray):
        raise TypeError(
            "preprocess_input: expects host (NumPy) images, as returned by img_to_array; got a device array. "
            "Preprocess before moving data to the device (model.predict does the move)."
        )
    x = np.array(x, copy=True)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx())
    if x.ndim not in (3, 4):
        raise ValueError(
            f"preprocess_input: expected one image (height, width, channels) or a batch (batch, height, width, "
            f"channels), got an array of shape {x.shape}"
        )
    axis = _channel_axis(x.ndim, data_format)
    if x.shape[axis] != 3:
        raise ValueError(
            f"preprocess_input: mode {mode!r} needs 3 colour channels on axis {axis} ({data_format}), "
            f"got shape {x.shape}"
        )
    if mode == "tf":
        return x / 127.5 - 1.0
    channel_shape = [1] * x.ndim
    channel_shape[axis] = 3
    if mode == "torch":
        mean = np.asarray(TORCH_MEAN_RGB, dtype=x.dtype).reshape(channel_shape)
        std = np.asarray(TORCH_STD_RGB, dtype=x.dtype).reshape(channel_shape)
        return (x / 255.0 - mean) / std
    bgr = np.flip(x, axis=axis)
    mean = np.asarray(CAFFE_MEAN_BGR, dtype=x.dtype).reshape(channel_shape)
    return bgr - mean


def class_index_locations():
    """Where ``decode_predictions`` looks for ``imagenet_class_index.json``, in order."""
    places = []
    data_dir = os.environ.get("MINIDL_DATA_DIR")
    if data_dir:
        places.append(os.path.join(data_dir, "imagenet", CLASS_INDEX_FILE))
    home = os.path.expanduser("~")
    places.append(os.path.join(home, ".minidl", "datasets", "imagenet", CLASS_INDEX_FILE))
    places.append(os.path.join(home, ".keras", "models", CLASS_INDEX_FILE))  # Keras's own cache
    return places


def find_class_index(class_index_path=None):
    """The path of the class-index file: ``class_index_path`` if given, else the first that exists
    of ``class_index_locations()``. Raises ``FileNotFoundError`` saying where to get it."""
    if class_index_path is not None:
        path = os.fspath(class_index_path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"decode_predictions: class index file {path!r} does not exist. Download {CLASS_INDEX_FILE} "
                f"from {CLASS_INDEX_URL}"
            )
        return path
    places = class_index_locations()
    for place in places:
        if os.path.isfile(place):
            return place
    raise FileNotFoundError(
        f"decode_predictions: the ImageNet class names ({CLASS_INDEX_FILE}) are not available and minidl does "
        f"not download them. Download {CLASS_INDEX_URL} and either pass "
        f"decode_predictions(preds, class_index_path='.../{CLASS_INDEX_FILE}') or put it at one of: "
        + ", ".join(places)
    )


def load_class_index(class_index_path=None):
    """``{class number: (wordnet id, class name)}`` read from Keras's JSON file (cached)."""
    path = os.path.abspath(find_class_index(class_index_path))
    if path in _class_index_cache:
        return _class_index_cache[path]
    try:
        with open(path, encoding="utf8") as file:
            raw = json.load(file)
        index = {}
        for key, value in raw.items():
            if not (isinstance(value, list) and len(value) == 2):
                raise ValueError(f"entry {key!r} is {value!r}, not [wordnet_id, class_name]")
            index[int(key)] = (str(value[0]), str(value[1]))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"decode_predictions: {path} is not a valid {CLASS_INDEX_FILE} (expected JSON like "
            f'{{"0": ["n01440764", "tench"], ...}}): {exc}'
        ) from None
    if sorted(index) != list(range(len(index))):
        raise ValueError(f"decode_predictions: {path} must number its classes 0..N-1 without gaps")
    _class_index_cache[path] = index
    return index


def decode_predictions(preds, top=5, class_index_path=None):
    """The ``top`` classes of each sample, as Keras: a list (one per sample) of lists of
    ``(wordnet_id, class_name, score)`` tuples, best first.

    ``preds``: shape (samples, classes), classes matching the class-index file (1000 for
    ImageNet). ``class_index_path``: the path of ``imagenet_class_index.json``; when omitted
    it is looked up in ``class_index_locations()``.
    """
    if backend.is_array(preds) and not isinstance(preds, np.ndarray):
        preds = backend.to_numpy(preds)
    elif hasattr(preds, "numpy") and not isinstance(preds, np.ndarray):
        preds = preds.numpy()
    preds = np.asarray(preds)
    if preds.ndim != 2:
        raise ValueError(
            f"decode_predictions: expects a batch of predictions of shape (samples, 1000), got shape {preds.shape}"
        )
    if int(top) < 1:
        raise ValueError(f"decode_predictions: top must be a positive integer, got {top}")
    index = load_class_index(class_index_path)
    if preds.shape[1] != len(index):
        raise ValueError(
            f"decode_predictions: the class index has {len(index)} classes but preds has shape {preds.shape} "
            f"(expected (samples, {len(index)}))"
        )
    results = []
    for row in preds:
        best = np.argsort(row, kind="stable")[::-1][: int(top)]
        results.append([index[int(i)] + (row[i],) for i in best])
    return results


# -- shared by the model builders ---------------------------------------------------------------

def obtain_input_shape(input_shape, default_size, min_size, model_name):
    """The (height, width, channels) a model is built for, validated as Keras's
    ``imagenet_utils.obtain_input_shape`` does (channels last).

    One difference: Keras builds a model without its top for ``(None, None, 3)`` inputs; minidl
    learns shapes by probing each layer with a sample, so it needs static sizes and builds for
    ``(default_size, default_size, 3)``. Being convolutional, such a model still runs on
    other image sizes; pass ``input_shape`` to get the shapes (and ``summary()``) of yours.
    """
    if input_shape is None:
        return (default_size, default_size, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or not all(isinstance(s, (int, np.integer)) for s in input_shape):
        raise ValueError(
            f"{model_name}: input_shape must be a tuple of three integers (height, width, channels), "
            f"got {input_shape!r}"
        )
    if input_shape[0] < min_size or input_shape[1] < min_size:
        raise ValueError(
            f"{model_name}: input size must be at least {min_size}x{min_size}; got input_shape={input_shape}"
        )
    if input_shape[-1] not in (1, 3):
        warnings.warn(
            f"{model_name}: this model usually expects 1 or 3 input channels, got input_shape={input_shape}",
            stacklevel=3,
        )
    return input_shape


def weights_download_message(model_name, file_names):
    """Why ``weights='imagenet'`` cannot be honoured, and what to do instead."""
    keras_cache = os.path.join(os.path.expanduser("~"), ".keras", "models")
    lines = [
        f"{model_name}: weights='imagenet' would download the pre-trained weights; minidl never downloads "
        "them. Download the Keras weights file yourself and pass its path, e.g. "
        f"{model_name}(weights='/path/to/{file_names[0][0]}'). The Keras files are:",
    ]
    for name, url in file_names:
        cached = os.path.join(keras_cache, name)
        found = f" (found on this machine: {cached})" if os.path.isfile(cached) else ""
        lines.append(f"  {name}: {url}{found}")
    return "\n".join(lines)


def resolve_weights(weights, model_name, file_names):
    """Validate the ``weights`` argument: None or the path of an existing .h5 file."""
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "imagenet":
        raise ValueError(weights_download_message(model_name, file_names))
    try:
        path = os.fspath(weights)
    except TypeError:
        raise TypeError(
            f"{model_name}: weights must be None or the path of a Keras .h5 weights file, got {type(weights).__name__}"
        ) from None
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{model_name}: weights file {path!r} does not exist. The weights argument must be None (random "
            "initialisation) or the path of a Keras .h5 weights file"
        )
    return path
