"""CIFAR-10 (60,000 32x32 colour images, 10 classes) from the "python version" batches.

Reads ``cifar-10-python.tar.gz`` (downloaded from the canonical URL and checked against its
published SHA-256 if missing) or an already extracted ``cifar-10-batches-py/`` folder under
``$MINIDL_DATA_DIR/cifar10``/the cache.  Returns what ``keras.datasets.cifar10.load_data`` does:
uint8 images in channels-last layout (N, 32, 32, 3) and uint8 labels of shape (N, 1).

The batches are Python pickles.  They are never unpickled as such: each is first scanned opcode
by opcode (:func:`_scan_pickle`), which refuses any length, frame or memo index a small file could
use to make the unpickler allocate gigabytes, and then read with an unpickler that only accepts
plain containers and NumPy arrays, so a tampered file cannot run code.  Archive members and batch
files are bounded by :data:`MAX_BATCH_BYTES` before they are read, and the archive is read to its
end so gzip's CRC covers it.
"""

import io
import pathlib
import pickle
import pickletools

import numpy as np

from minidl.datasets._archives import read_tar_gz
from minidl.datasets._errors import corrupt, reading
from minidl.datasets._resolve import DatasetSpec, RemoteFile, cache_dir, data_dir, load_file

ARCHIVE = "cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
BATCHES = TRAIN_BATCHES + (TEST_BATCH,)
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MAX_BATCH_BYTES = 32 << 20  # a canonical batch is 31,035,704 bytes
MAX_ARCHIVE_BYTES = 256 << 20  # the canonical archive inflates to 186 MB
MAX_PICKLE_OPS = 200_000  # a canonical batch has about 40,000
SPEC = DatasetSpec(
    name="cifar10",
    files=(RemoteFile(ARCHIVE, "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                      "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),),
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    notes=f"An extracted {FOLDER}/ folder in the same place works too.",
)

_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("builtins", "bytearray"), ("_codecs", "encode"),
}
_MEMO_OPS = {"PUT", "BINPUT", "LONG_BINPUT"}
_LENGTH_OPS = {"FRAME"}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 (50000, 32, 32, 3) / (10000, 32, 32, 3)
    images and uint8 (N, 1) labels."""
    folder = _extracted_folder()
    if folder is not None:
        batches = {name: _read_batch_file(folder / name) for name in BATCHES}
    else:
        batches = load_file(SPEC, ARCHIVE, _read_archive)
    train = [batches[name] for name in TRAIN_BATCHES]
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train]).reshape(-1, 1)
    x_test, y_test = batches[TEST_BATCH]
    return (x_train, y_train), (x_test, y_test.reshape(-1, 1))


def _extracted_folder():
    roots = [root / SPEC.name for root in (data_dir(), cache_dir()) if root is not None]
    for root in roots:
        if (root / FOLDER).is_dir():
            return root / FOLDER
    return None


def _read_batch_file(path):
    if not path.is_file():
        raise corrupt(path.parent, f"the extracted CIFAR-10 folder lacks {path.name}") from None
    with reading(path):
        size = path.stat().st_size
        if size > MAX_BATCH_BYTES:
            raise corrupt(path, f"{size} bytes, more than a CIFAR-10 batch holds ({MAX_BATCH_BYTES})") from None
        raw = path.read_bytes()
    return _decode_batch(raw, path)


def _read_archive(path):
    batches = {}

    def wanted(name):
        base = pathlib.PurePosixPath(name).name
        return base if base in BATCHES else None

    for name, base, raw in read_tar_gz(path, wanted, MAX_BATCH_BYTES, MAX_ARCHIVE_BYTES):
        if base in batches:
            raise corrupt(path, f"the archive holds {base} twice (the second as {name!r})") from None
        batches[base] = _decode_batch(raw, f"{path}:{name}", path)
    missing = [name for name in BATCHES if name not in batches]
    if missing:
        raise corrupt(path, f"the archive lacks {', '.join(missing)}") from None
    return batches


def _scan_pickle(raw, where, path):
    """Walk the pickle's opcodes without building anything; refuse what could exhaust memory."""
    remaining = len(raw)
    try:
        for count, (opcode, argument, position) in enumerate(pickletools.genops(raw), start=1):
            if count > MAX_PICKLE_OPS:
                raise ValueError(f"more than {MAX_PICKLE_OPS} pickle operations")
            if opcode.name in _MEMO_OPS and argument > MAX_PICKLE_OPS:
                raise ValueError(f"memo index {argument} at byte {position}")
            if opcode.name in _LENGTH_OPS and argument > remaining - position:
                raise ValueError(f"a frame of {argument} bytes at byte {position}, past the end")
    except (ValueError, TypeError, IndexError) as error:
        raise corrupt(path, f"not a readable CIFAR-10 batch ({error})", error, where) from None


def _decode_batch(raw, where, path=None):
    """One pickled batch -> (uint8 images (N, 32, 32, 3), uint8 labels (N,))."""
    path = path if path is not None else where
    _scan_pickle(raw, where, path)
    try:
        batch = _ArraysOnlyUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as error:  # noqa: BLE001 - damaged bytes can fail anywhere in the allowed callables
        # (a codec name with a flipped bit is a LookupError in _codecs.encode, a shape a ValueError
        # in NumPy's reconstruction...): whatever it is, the batch is unreadable
        raise corrupt(path, f"not a readable CIFAR-10 batch ({error})", error, where) from None
    if not isinstance(batch, dict):
        raise corrupt(path, f"a CIFAR-10 batch must be a dict, got {type(batch).__name__}", where=where) from None
    batch = {(key.decode("latin1") if isinstance(key, bytes) else key): value for key, value in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise corrupt(path, f"a CIFAR-10 batch needs 'data' and 'labels', has {sorted(map(str, batch))}",
                      where=where) from None
    data, labels = batch["data"], batch["labels"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        shape = getattr(data, "shape", None)
        raise corrupt(path, f"'data' must be a uint8 array of shape (N, 3072), got {type(data).__name__} "
                            f"{getattr(data, 'dtype', '')} {shape}", where=where) from None
    if not isinstance(labels, (list, np.ndarray)) or len(labels) != len(data):
        length = len(labels) if hasattr(labels, "__len__") else "?"
        raise corrupt(path, f"'labels' must list one class per image ({len(data)}), got {type(labels).__name__} "
                            f"of length {length}", where=where) from None
    if not all(isinstance(label, (int, np.integer)) and not isinstance(label, bool) and 0 <= label <= 9
               for label in labels):
        raise corrupt(path, "'labels' must be integers 0-9", where=where) from None
    labels = np.asarray(labels, dtype=np.int64).astype(np.uint8)
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels
