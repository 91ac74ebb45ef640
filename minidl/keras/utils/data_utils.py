"""``Sequence`` (Keras 3: ``PyDataset``), the base class of batch generators that ``fit`` can
shuffle and reuse every epoch, and ``get_file``, Keras's cached file fetcher."""

import os
import pathlib
import shutil

from minidl import fileio
from minidl.datasets import _resolve
from minidl.errors import DatasetNotFoundError


class Sequence:
    """Subclass and define ``__len__`` (batches per epoch) and ``__getitem__(index)`` returning
    ``(x, y)`` (or ``(x, y, sample_weight)``); ``on_epoch_end`` runs after every epoch.
    ``model.fit(sequence)`` uses it through minidl's Sequence adapter."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) returning a batch")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__() (the number of batches)")

    def on_epoch_end(self):
        """Called after every epoch (e.g. to reshuffle)."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


PyDataset = Sequence


def _keras_cache_dir(cache_dir):
    if cache_dir is not None:
        return pathlib.Path(cache_dir).expanduser()
    configured = os.environ.get("KERAS_HOME")
    return pathlib.Path(configured).expanduser() if configured else pathlib.Path.home() / ".keras"


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """The path of ``fname`` in Keras's cache (``~/.keras/datasets``), fetched from ``origin`` if needed.

    A file already there (or in ``$MINIDL_DATA_DIR``) is used as it is. A download needs
    ``file_hash`` (its SHA-256): the bytes are checked before they are kept, and nothing is left
    behind on failure. Without a hash, or offline, the error names the path to put the file at.
    ``extract=True`` unpacks a zip/tar archive beside it (once); the archive's path is returned,
    as TensorFlow 2's Keras does.
    """
    if fname is None:
        if origin is None:
            raise ValueError("get_file: give fname or origin")
        fname = origin.rstrip("/").rsplit("/", 1)[-1]
    folder = _keras_cache_dir(cache_dir) / cache_subdir
    path = folder / fname
    local = _local_copy(fname)
    if local is not None and not force_download:
        path = local
    elif force_download or not path.exists():
        _fetch(origin, path, file_hash or md5_hash, hash_algorithm)
    if extract or untar:
        _extract_once(path, archive_format)
    return str(path)


def _local_copy(fname):
    data_dir = _resolve.data_dir()
    if data_dir is not None and (data_dir / fname).exists():
        return data_dir / fname
    return None


def _fetch(origin, path, file_hash, hash_algorithm):
    if origin is None:
        raise DatasetNotFoundError(f"get_file: {path} does not exist and no origin URL was given to fetch it from")
    sha256 = file_hash if file_hash and len(file_hash) == 64 and hash_algorithm in ("auto", "sha256") else None
    if sha256 is None or not _resolve.downloads_allowed():
        reason = "downloads are turned off (MINIDL_OFFLINE)" if sha256 else "no SHA-256 file_hash was given to check it"
        raise DatasetNotFoundError(
            f"get_file: {path} is not there and minidl did not download it ({reason}). Download {origin} yourself "
            f"and save it as {path} (or put it in $MINIDL_DATA_DIR), or pass file_hash=<its SHA-256>"
        )
    _resolve.download(origin, path, sha256)


def _extract_once(path, archive_format):
    """Unpack ``path`` into its folder unless a marker says it was done before."""
    marker = path.with_name(f".{path.name}.extracted")
    if marker.exists():
        return
    format_name = None if archive_format in ("auto", None) else archive_format
    try:
        shutil.unpack_archive(str(path), str(path.parent), format_name)
    except (shutil.ReadError, ValueError) as error:
        raise DatasetNotFoundError(f"get_file: cannot extract {path}: {error}") from None
    fileio.atomic_write_text(marker, "")
