"""Reading HDF5 files that may be damaged or crafted, and writing them without touching the disk.

Keras keeps weights in HDF5 (``.h5``, ``.weights.h5``, the ``model.weights.h5`` inside a
``.keras``). h5py reads them; this module stands between h5py and minidl's readers so that

* every h5py or HDF5-library error (``OSError``, ``RuntimeError``, ``KeyError``, ...) becomes a
  :class:`~minidl.errors.ModelFileError` naming the file (:func:`reading`);
* only hard links are followed -- a soft link or an external link (which would open another
  file) is refused, and so are names that climb out of their group (:func:`child`);
* an attribute is measured before it is read (:func:`attribute`), a dataset's declared shape
  and type are checked against the bytes the file really holds before any memory is allocated
  for it (:func:`check_dataset`): contiguous data must lie inside the file, compressed chunks
  cannot unpack to more than deflate's 1032:1, data kept in another file (external storage,
  virtual datasets) is refused, and only plain numeric types are read;
* minidl's arrays are written with a Fletcher-32 checksum, so that a flipped bit in them is
  reported instead of loaded (Keras writes none, and reads such files unchanged); every chunk
  of a chunked dataset must be stored, inside the file, at a position of the dataset, and is
  fetched raw as well and compared with what HDF5 returned -- HDF5 silently returns zeros for
  a chunk its damaged index cannot find;
* a file is written into memory first (h5py's ``core`` driver without a backing store) and its
  bytes are then written atomically by :mod:`minidl.fileio` (:func:`hdf5_bytes`): a full disk
  fails in an ordinary ``write`` call, never inside the HDF5 library, and leaves the old file.
"""

import contextlib
import itertools
import math
import os
import signal
import time
import warnings

import numpy as np

from minidl.errors import ModelFileError
from minidl.models.file_checks import DEFLATE_MAX_RATIO, describe_exception, file_error

# An attribute holds a name list or a JSON text; 2**26 items or bytes is far above any real one.
MAX_ATTRIBUTE_ITEMS = 2**26
MAX_ATTRIBUTE_BYTES = 2**28
_NUMERIC_KINDS = "fiub"
_memory_file_counter = itertools.count()


def require_h5py(what):
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{what}: HDF5 files (.h5, .weights.h5, .keras) need the h5py package: pip install h5py") from None
    return h5py


@contextlib.contextmanager
def reading(source, path, what):
    """Open ``source`` (a path or a binary file object) for reading; inside the block, any error
    h5py raises becomes a ModelFileError about ``path``. Yields ``(file, size in bytes)``.

    The file is first read once in a child process (``survives_reading``), so that a file on
    which the HDF5 library itself would crash or hang is refused instead."""
    require_h5py(what)
    try:
        size = len(source.getbuffer()) if hasattr(source, "getbuffer") else os.path.getsize(source)
    except OSError as exc:
        raise file_error(path, f"{what}: cannot be read ({describe_exception(exc)})", exc) from None
    survives_reading(source, path, what, size)
    try:
        handle = _open(source)
    except Exception as exc:  # h5py raises OSError, RuntimeError, ... on a damaged file
        raise file_error(path, f"{what}: is not a readable HDF5 file; it may be truncated or corrupt "
                               f"({describe_exception(exc)})", exc) from None
    try:
        with handle:
            yield handle, size
    except ModelFileError:
        raise
    except MemoryError as exc:
        raise file_error(path, f"{what}: reading it needs more memory than there is; the file declares sizes it does "
                               "not hold", exc) from None
    except Exception as exc:  # h5py raises OSError, RuntimeError, KeyError, ... on a damaged file
        raise file_error(path, f"{what}: cannot be read; it may be truncated or corrupt ({describe_exception(exc)})",
                         exc) from None


def _open(source):
    import h5py

    if isinstance(source, (str, bytes, os.PathLike)):
        return h5py.File(source, "r", locking=False)
    source.seek(0)
    return h5py.File(source, "r")


# -- a first reading in a child process ------------------------------------------------------------------

# The HDF5 library is C code; on some damaged files it loops forever (a zeroed global heap,
# for one) or crashes, and no Python exception can catch that. So before minidl reads an HDF5
# file, a forked child reads all of it -- every attribute, every dataset's layout and chunk
# index, and the data of every compressed dataset -- and the parent goes on only if the child
# finished in time.
_TRIAL_SECONDS = 10.0
_TRIAL_BYTES_PER_SECOND = 20e6
_MAX_OBJECTS = 10**6


def survives_reading(source, path, what, size):
    """Refuse (ModelFileError) a file on which reading crashes or hangs the HDF5 library."""
    if not hasattr(os, "fork"):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() in a process with threads (Python 3.12)
        pid = os.fork()
    if pid == 0:  # the child: read everything, report only by surviving
        try:
            with _open(source) as handle:
                _read_everything(handle, path, size)
        except BaseException:  # noqa: BLE001 - errors are reported by the parent's own reading
            pass
        os._exit(0)
    limit = _TRIAL_SECONDS + size / _TRIAL_BYTES_PER_SECOND
    deadline = time.monotonic() + limit
    pause = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise file_error(path, f"{what}: the HDF5 library did not finish reading it in {limit:.0f} s; the file is "
                                   "corrupt or crafted")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise file_error(path, f"{what}: the HDF5 library crashed ({name}) reading it; the file is corrupt or crafted")


def _decompresses(dataset):
    """Whether reading the dataset runs a decompression filter (checked chunk by chunk already
    otherwise: contiguous data is copied, checksummed chunks are copied and summed)."""
    import h5py

    plist = dataset.id.get_create_plist()
    if plist.get_layout() != h5py.h5d.CHUNKED:
        return False
    filters = {plist.get_filter(index)[0] for index in range(plist.get_nfilters())}
    return bool(filters - {h5py.h5z.FILTER_FLETCHER32, h5py.h5z.FILTER_SHUFFLE})


def _read_everything(handle, path, size):
    import h5py

    stack = [handle]
    seen = 0
    while stack:
        group = stack.pop()
        for key in list(group.attrs):
            attribute(group, key, path)
        for name in group:
            seen += 1
            if seen > _MAX_OBJECTS:
                return
            if not isinstance(group.get(name, getlink=True), h5py.HardLink):
                continue
            item = group[name]
            if isinstance(item, h5py.Group):
                stack.append(item)
                continue
            for key in list(item.attrs):
                attribute(item, key, path)
            try:
                info = check_dataset(item, path, size)
            except ModelFileError:
                continue
            if _decompresses(item):
                read_dataset(info)


# -- navigation ------------------------------------------------------------------------------------

def child(group, name, kind, path, required=True):
    """``group[name]`` following hard links only; ``kind`` is 'group' or 'dataset'.

    ``name`` may hold '/' (Keras names datasets ``dense/kernel:0``); each part is checked.
    Returns None when the entry is missing and ``required`` is false.
    """
    h5py = require_h5py("reading HDF5")
    parts = name.split("/")
    if not name or name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise file_error(path, f"names the HDF5 entry {name!r} under {group.name!r}, which is not a plain relative name")
    current = group
    for index, part in enumerate(parts):
        link = current.get(part, getlink=True)
        if link is None:
            if required:
                raise file_error(path, f"has no entry {name!r} in HDF5 group {group.name!r}")
            return None
        if not isinstance(link, h5py.HardLink):
            raise file_error(path, f"HDF5 entry {current.name.rstrip('/')}/{part} is a {type(link).__name__}; only "
                                   "plain entries are followed (a link may point into another file)")
        current = current[part]
        wanted = h5py.Group if index < len(parts) - 1 or kind == "group" else h5py.Dataset
        if not isinstance(current, wanted):
            found = "group" if isinstance(current, h5py.Group) else "dataset"
            expected = "group" if wanted is h5py.Group else "dataset"
            raise file_error(path, f"HDF5 entry {current.name!r} is a {found}, expected a {expected}")
    return current


def members(group, path):
    """The names of a group's entries, each checked to be a hard link."""
    h5py = require_h5py("reading HDF5")
    names = list(group.keys())
    for name in names:
        link = group.get(name, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise file_error(path, f"HDF5 entry {group.name.rstrip('/')}/{name} is a {type(link).__name__}; only "
                                   "plain entries are followed")
    return names


# -- attributes ------------------------------------------------------------------------------------

def attribute(obj, key, path, default=None):
    """An attribute's value after checking its size; ``default`` when it is absent."""
    if key not in obj.attrs:
        return default
    attr_id = obj.attrs.get_id(key)
    count = math.prod(attr_id.shape) if attr_id.shape else 1
    if count == 0:
        return np.array([])
    stored = attr_id.get_storage_size()
    if count > MAX_ATTRIBUTE_ITEMS or stored > MAX_ATTRIBUTE_BYTES:
        raise file_error(path, f"attribute {key!r} of HDF5 entry {obj.name!r} declares {count} items "
                               f"({stored} bytes); more than an attribute may hold")
    return obj.attrs[key]


def text(value, path, where):
    """A str from an attribute value (bytes, str, or a 0-d/1-element array of them)."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise file_error(path, f"{where} is not UTF-8 text", exc) from None
    if isinstance(value, str):
        return value
    raise file_error(path, f"{where} should be text, found {type(value).__name__}")


def name_list(obj, key, path):
    """A list-of-names attribute, which Keras splits into ``key0``, ``key1``, ... when long.
    None when neither form is present."""
    if key in obj.attrs:
        chunks = [attribute(obj, key, path)]
    elif f"{key}0" in obj.attrs:
        chunks = []
        for index in itertools.count():
            if f"{key}{index}" not in obj.attrs:
                break
            chunks.append(attribute(obj, f"{key}{index}", path))
    else:
        return None
    names = []
    for chunk in chunks:
        values = np.asarray(chunk)
        if values.ndim > 1:
            raise file_error(path, f"attribute {key!r} of {obj.name!r} should be a list of names, found shape {values.shape}")
        if values.size and values.dtype.kind not in "SUO":
            raise file_error(path, f"attribute {key!r} of {obj.name!r} should be a list of names, found {values.dtype}")
        names.extend(text(value, path, f"an entry of attribute {key!r} of {obj.name!r}") for value in values.reshape(-1))
    return names


# -- datasets --------------------------------------------------------------------------------------

class DatasetInfo:
    """A dataset's declared shape and dtype, checked against the file (see ``check_dataset``)."""

    __slots__ = ("dataset", "name", "shape", "dtype", "path")

    def __init__(self, dataset, name, shape, dtype, path):
        self.dataset = dataset
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.path = path

    @property
    def size(self):
        return math.prod(self.shape)


def check_dataset(dataset, path, file_size):
    """A DatasetInfo for ``dataset`` once its type and storage are known to be sound."""
    h5py = require_h5py("reading HDF5")
    name = dataset.name
    dtype = dataset.dtype
    if dtype.kind not in _NUMERIC_KINDS or dtype.names is not None or dtype.subdtype is not None or dtype.itemsize > 16:
        raise file_error(path, f"dataset {name!r} has type {dtype}; weights are plain numbers (float, int)")
    shape = tuple(int(s) for s in dataset.shape) if dataset.shape is not None else None
    if shape is None:
        raise file_error(path, f"dataset {name!r} has no data space (an empty dataset cannot be a weight)")
    nbytes = math.prod(shape) * dtype.itemsize
    plist = dataset.id.get_create_plist()
    if plist.get_external_count():
        raise file_error(path, f"dataset {name!r} keeps its data in another file (external storage); refusing it")
    layout = plist.get_layout()
    if layout not in (h5py.h5d.COMPACT, h5py.h5d.CONTIGUOUS, h5py.h5d.CHUNKED):
        raise file_error(path, f"dataset {name!r} has storage layout {layout} (a virtual dataset reads other files); "
                               "refusing it")
    stored = dataset.id.get_storage_size()
    if nbytes == 0:
        return DatasetInfo(dataset, name, shape, dtype, path)
    declared = f"dataset {name!r} declares shape {shape} of {dtype} ({nbytes} bytes)"
    if stored == 0:
        raise file_error(path, f"{declared} but no data is stored for it; the file is truncated or crafted")
    if stored > file_size:
        raise file_error(path, f"{declared} stored in {stored} bytes, more than the file's {file_size}; it is corrupt")
    if layout == h5py.h5d.CONTIGUOUS:
        offset = dataset.id.get_offset()
        if stored != nbytes or not offset or offset + nbytes > file_size:
            raise file_error(path, f"{declared} but the file holds {stored} bytes for it at offset {offset} of "
                                   f"{file_size}; it is truncated or corrupt")
    elif layout == h5py.h5d.CHUNKED:
        filters = {plist.get_filter(index)[0] for index in range(plist.get_nfilters())}
        compressing = filters - {h5py.h5z.FILTER_FLETCHER32, h5py.h5z.FILTER_SHUFFLE}
        limit = stored * DEFLATE_MAX_RATIO if compressing else stored
        if nbytes > limit:
            raise file_error(path, f"{declared} but only {stored} bytes are stored for it; it is truncated or crafted")
        _check_chunks(dataset, shape, path, file_size, declared)
    return DatasetInfo(dataset, name, shape, dtype, path)


def _check_chunks(dataset, shape, path, file_size, declared):
    """Every chunk of a chunked dataset must be stored, inside the file: HDF5 silently reads a
    missing chunk as the fill value (zeros), which would load as weights."""
    expected = math.prod(-(-size // chunk) for size, chunk in zip(shape, dataset.chunks))
    count = dataset.id.get_num_chunks()
    if count != expected:
        raise file_error(path, f"{declared} in {expected} chunks but {count} are stored; the file is truncated or corrupt")
    positions = set()
    for index, chunk in enumerate(_chunks(dataset, count)):
        position = tuple(chunk.chunk_offset)
        if len(position) != len(shape) or any(p >= size or p % step for p, size, step in
                                                zip(position, shape, dataset.chunks)):
            raise file_error(path, f"{declared}; chunk {index} claims position {position}, outside the dataset; "
                                   "it is corrupt")
        positions.add(position)
        if not chunk.byte_offset or chunk.byte_offset + chunk.size > file_size:
            raise file_error(path, f"{declared}; chunk {index} lies outside the file's {file_size} bytes; it is corrupt")
        if chunk.filter_mask:
            raise file_error(path, f"{declared}; chunk {index} skips some of the dataset's filters (mask "
                                   f"{chunk.filter_mask}); it is corrupt")
    if len(positions) != expected:
        raise file_error(path, f"{declared}; two of its chunks claim the same position; it is corrupt")


def _chunks(dataset, count):
    """Every chunk's StoreInfo, in one pass of the chunk index where HDF5 allows it."""
    if hasattr(dataset.id, "chunk_iter"):
        chunks = []
        dataset.id.chunk_iter(chunks.append)
        return chunks
    return [dataset.id.get_chunk_info(index) for index in range(count)]


def read_dataset(info):
    """The data of a checked dataset as a NumPy array."""
    array = np.empty(info.shape, dtype=info.dtype)
    if array.size:
        info.dataset.read_direct(array)
        _compare_with_raw_chunks(info, array)
    return array


def _compare_with_raw_chunks(info, array):
    """HDF5 reads a chunk its index cannot find as the fill value (zeros) without a word. Each
    chunk is therefore fetched raw as well: it must exist, and -- when its only filter is the
    checksum, as in minidl's files -- hold exactly the values read (which HDF5 checksummed)."""
    import h5py

    dataset = info.dataset
    plist = dataset.id.get_create_plist()
    if plist.get_layout() != h5py.h5d.CHUNKED:
        return
    filters = [plist.get_filter(index)[0] for index in range(plist.get_nfilters())]
    checksum_only = filters == [h5py.h5z.FILTER_FLETCHER32]
    chunk_shape = dataset.chunks
    for chunk in _chunks(dataset, dataset.id.get_num_chunks()):
        position = tuple(chunk.chunk_offset)
        try:
            _, raw = dataset.id.read_direct_chunk(position)
        except Exception as exc:  # h5py: "chunk storage is not allocated", ...
            raise file_error(info.path, f"dataset {info.name!r}: its chunk at {position} cannot be read "
                                        f"({describe_exception(exc)}); the file is corrupt", exc) from None
        if not checksum_only:
            continue
        expected = math.prod(chunk_shape) * info.dtype.itemsize + 4
        region = tuple(slice(p, p + c) for p, c in zip(position, chunk_shape))
        if len(raw) != expected:
            raise file_error(info.path, f"dataset {info.name!r}: its chunk at {position} holds {len(raw)} bytes, "
                                        f"expected {expected}; the file is corrupt")
        stored = np.frombuffer(raw, dtype=info.dtype, count=math.prod(chunk_shape)).reshape(chunk_shape)
        part = array[region]
        if not np.array_equal(stored[tuple(slice(0, n) for n in part.shape)], part, equal_nan=True):
            raise file_error(info.path, f"dataset {info.name!r}: the values read for its chunk at {position} are not "
                                        "the ones stored; the file is corrupt")


# -- writing ---------------------------------------------------------------------------------------

def hdf5_bytes(fill, what):
    """The bytes of an HDF5 file that ``fill(h5py.File)`` writes, built in memory only."""
    h5py = require_h5py(what)
    name = f"minidl-{os.getpid()}-{next(_memory_file_counter)}.h5"
    with h5py.File(name, "w", driver="core", backing_store=False) as handle:
        fill(handle)
        handle.flush()
        return handle.id.get_file_image()


_CHUNK_BYTES = 16 * 2**20  # few, large chunks: one per 16 MiB of rows


def write_array(group, name, array):
    """A dataset holding ``array``; with a Fletcher-32 checksum (so that a damaged file is
    detected, not loaded) wherever HDF5 allows one: on arrays with at least one element."""
    array = np.asarray(array)
    if array.ndim and array.size:
        row_bytes = array.nbytes // array.shape[0]
        rows = int(min(array.shape[0], max(1, _CHUNK_BYTES // max(row_bytes, 1))))
        return group.create_dataset(name, data=array, fletcher32=True, chunks=(rows,) + array.shape[1:])
    return group.create_dataset(name, data=array)


def string_array(values):
    """Names as fixed-length UTF-8 bytes, as Keras 2 wrote ``layer_names`` and ``weight_names``."""
    encoded = [value.encode("utf-8") for value in values]
    return np.array(encoded, dtype=f"S{max((len(e) for e in encoded), default=1) or 1}")


def write_name_list(obj, key, names):
    """Keras's ``save_attributes_to_hdf5_group``: split a long list over ``key0``, ``key1``, ...
    so that no attribute exceeds HDF5's 64 KB object-header limit."""
    data = string_array(names)
    limit = 64512
    chunks = 1
    while data.nbytes / chunks > limit:
        chunks += 1
    if chunks == 1:
        obj.attrs[key] = data
        return
    for index, part in enumerate(np.array_split(data, chunks)):
        obj.attrs[f"{key}{index}"] = part
