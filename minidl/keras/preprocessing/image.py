"""``keras.preprocessing.image``: ``ImageDataGenerator`` (augmentation, ``flow``,
``flow_from_directory``), ``load_img`` and the array conversions Keras pairs with it.

``load_img`` returns the pixels as a uint8 array (height, width, channels) rather than a PIL
image; ``img_to_array`` turns that (or a PIL image) into floats, so Keras's two-line idiom
``img_to_array(load_img(path, target_size=(224, 224)))`` works unchanged.
"""

import numpy as np

from minidl.preprocessing.image import ImageDataGenerator, apply_affine_transform
from minidl.preprocessing.image_io import load_img
from minidl.runtime import backend


def img_to_array(img, data_format=None, dtype=None):
    """An image (array or PIL image) as a float array (height, width, channels)."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"img_to_array: only data_format='channels_last' is supported, got {data_format!r}")
    if isinstance(img, (str, bytes)) or hasattr(img, "__fspath__"):
        raise TypeError(f"img_to_array: expected an image (an array or a PIL image), got the path {img!r}; "
                        "read it first: img_to_array(load_img(path))")
    try:
        array = np.asarray(img, dtype=dtype or backend.floatx())
    except (TypeError, ValueError) as error:
        raise TypeError(f"img_to_array: expected an image (an array or a PIL image) of numbers, got "
                        f"{type(img).__name__} ({error})") from None
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"img_to_array: expected an image of rank 2 or 3, got shape {array.shape}")
    return array


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """An array (height, width, channels) as a PIL image; ``scale`` maps its range to 0-255."""
    from PIL import Image

    array = np.asarray(x, dtype=np.float64)
    if scale:
        array = array - array.min()
        peak = array.max()
        if peak > 0:
            array = array / peak * 255
    pixels = np.clip(array, 0, 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    return Image.fromarray(pixels)


__all__ = ["ImageDataGenerator", "apply_affine_transform", "array_to_img", "img_to_array", "load_img"]
