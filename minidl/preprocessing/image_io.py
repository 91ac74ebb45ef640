"""Reading image files into arrays, and listing an image-folder tree (one sub-folder per class).

Images are decoded with Pillow when it is installed, else with ``matplotlib.image`` (which
itself reads PNG; JPEG needs Pillow).  A file that cannot be decoded raises
:class:`UnreadableImageError` naming it, and a missing file or folder
:class:`~minidl.errors.DatasetNotFoundError`; both are minidl's public dataset errors, raised
without the decoder's chained traceback (the decoder's exception is kept on ``cause``).

The width and height an image *declares* are checked before it is decoded: a small crafted file
can declare 50,000 x 50,000 pixels, which would take gigabytes to decode.  The limit is Pillow's
own ``Image.MAX_IMAGE_PIXELS`` (about 89 million pixels; set it to ``None`` to lift it), applied
as an error instead of Pillow's warning; without Pillow, a PNG's declared size is read from its
header and held to :data:`DEFAULT_MAX_PIXELS`.
"""

import os
import pathlib
import warnings

import numpy as np

from minidl.errors import CorruptDatasetError, DatasetNotFoundError, UnreadableImageError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".tif", ".tiff")
COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}
DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's default Image.MAX_IMAGE_PIXELS
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def list_class_folders(directory, classes=None):
    """``(paths, labels, class_names)`` for a folder with one sub-folder of images per class.

    Class names are the sub-folder names in sorted order (label i is ``class_names[i]``), unless
    ``classes`` gives them; files are sorted within each class and filtered by extension.
    """
    root = pathlib.Path(directory)
    if not root.is_dir():
        raise DatasetNotFoundError(f"image folder {root} does not exist or is not a directory", path=root) from None
    if classes is None:
        classes = sorted(entry.name for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith("."))
    if not classes:
        raise CorruptDatasetError(
            f"image folder {root} has no class sub-folders; expected {root}/<class name>/<image files>", path=root) from None
    paths, labels = [], []
    for label, name in enumerate(classes):
        folder = root / name
        if not folder.is_dir():
            raise DatasetNotFoundError(f"image folder {root}: class folder {name!r} does not exist", path=folder) from None
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
                paths.append(path)
                labels.append(label)
    return paths, np.array(labels, dtype=np.int64), list(classes)


def load_img(path, color_mode="rgb", target_size=None):
    """An image file as a uint8 array (height, width, channels), optionally resized.

    ``color_mode`` is ``grayscale`` (1 channel), ``rgb`` (3) or ``rgba`` (4); ``target_size`` is
    ``(height, width)`` and resizing uses nearest-neighbour sampling, Keras's default.
    """
    if color_mode not in COLOR_MODES:
        raise ValueError(f"load_img: color_mode must be one of {sorted(COLOR_MODES)}, got {color_mode!r}")
    if isinstance(path, (str, os.PathLike)) and not pathlib.Path(path).is_file():
        if pathlib.Path(path).is_dir():
            raise UnreadableImageError(f"{path}: is a folder, not an image file", path=path) from None
        raise DatasetNotFoundError(f"{path}: no such image file", path=path) from None
    try:
        pixels = _decode_with_pillow(path, color_mode)
    except ImportError:
        pixels = _decode_with_matplotlib(path, color_mode)
    if target_size is not None:
        pixels = resize_nearest(pixels, target_size)
    return pixels


def resize_nearest(pixels, target_size):
    """Nearest-neighbour resize of an (h, w, c) array to ``target_size`` = (height, width)."""
    height, width = (int(size) for size in target_size)
    if height <= 0 or width <= 0:
        raise ValueError(f"target_size must be two positive ints (height, width), got {target_size!r}")
    rows = np.minimum(((np.arange(height) + 0.5) * pixels.shape[0] / height).astype(np.int64), pixels.shape[0] - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * pixels.shape[1] / width).astype(np.int64), pixels.shape[1] - 1)
    return pixels[rows][:, cols]


def _decode_with_pillow(path, color_mode):
    from PIL import Image, UnidentifiedImageError

    mode = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}[color_mode]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                _check_declared_size(path, image.size, Image.MAX_IMAGE_PIXELS)
                image.load()
                converted = image.convert(mode)
    except UnreadableImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UnreadableImageError(f"cannot read image {path}: it declares more pixels than allowed ({error})",
                                   path=path, cause=error) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, MemoryError) as error:
        raise UnreadableImageError(f"cannot read image {path}: {error}", path=path, cause=error) from None
    pixels = np.asarray(converted, dtype=np.uint8)
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def _check_declared_size(path, size, max_pixels):
    width, height = size
    if width <= 0 or height <= 0:
        raise UnreadableImageError(f"cannot read image {path}: it declares {width} x {height} pixels", path=path) from None
    if max_pixels is not None and width * height > max_pixels:
        raise UnreadableImageError(
            f"cannot read image {path}: it declares {width} x {height} pixels, more than the {max_pixels} "
            "allowed (damaged or crafted file; raise PIL.Image.MAX_IMAGE_PIXELS for real images this large)",
            path=path) from None


def _png_declared_size(path):
    """(width, height) from a PNG's IHDR chunk, or ``None`` for files that are not PNG."""
    if not isinstance(path, (str, os.PathLike)):
        return None
    with open(path, "rb") as stream:
        head = stream.read(24)
    if len(head) < 24 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _decode_with_matplotlib(path, color_mode):
    import matplotlib.image

    try:
        declared = _png_declared_size(path)
        if declared is not None:
            _check_declared_size(path, declared, DEFAULT_MAX_PIXELS)
        pixels = matplotlib.image.imread(path)
    except UnreadableImageError:
        raise
    except Exception as error:  # matplotlib raises assorted errors for bad files
        raise UnreadableImageError(f"cannot read image {path}: {error}", path=path, cause=error) from None
    if pixels.dtype != np.uint8:
        pixels = np.clip(np.round(pixels * 255), 0, 255).astype(np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    channels = pixels.shape[2]
    if color_mode == "grayscale" and channels >= 3:
        weights = np.array([0.299, 0.587, 0.114])
        pixels = np.round(pixels[:, :, :3] @ weights).astype(np.uint8)[:, :, None]
    elif color_mode == "grayscale":
        pixels = pixels[:, :, :1]
    elif color_mode == "rgb":
        pixels = np.repeat(pixels[:, :, :1], 3, axis=2) if channels < 3 else pixels[:, :, :3]
    elif channels < 4:
        rgb = np.repeat(pixels[:, :, :1], 3, axis=2) if channels < 3 else pixels
        pixels = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return pixels
