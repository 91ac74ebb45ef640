"""minidl's own file format: a NumPy ``.npz`` archive, readable with ``numpy.load`` alone.

An ``.npz`` is a zip archive of ``.npy`` files (stored, not compressed). minidl writes:

* ``__header__.npy`` -- a 0-d unicode array holding a JSON object::

      {"format": "minidl-model" | "minidl-weights", "version": 1, "minidl_version": "...",
       "weights": [{"name": "dense/kernel", "shape": [4, 8], "dtype": "float32"}, ...],
       # whole models ("minidl-model") only:
       "model_config": {"class_name": "Sequential", "config": {...}},   # minidl's dialect
       "training_config": {...} | null,        # what compile() was given
       "optimizer_state": {...} | null}        # moments etc., arrays as {"__array__": key}

* ``weight_0000.npy``, ``weight_0001.npy``, ... -- the weights in ``model.weights`` order;
* ``optimizer_0000.npy``, ... -- the optimizer's arrays (``model.save`` only), so that
  training resumes exactly where it stopped.

``model.save('m.npz')`` writes a whole model, ``model.save_weights('w.npz')`` the weights
(the header then has ``"model": name`` instead of the configs). Any path ``save_weights`` does
not recognise (TensorFlow 2 wrote its checkpoints there) also gets this format.

Reading trusts nothing: member names must be the ones above; each ``.npy`` header (format 1.0
or 2.0) is parsed on its own, its dtype must be a plain number type (nothing is unpickled), and
its shape times item size must equal the bytes the member really holds; the JSON header's
declared shapes must agree with the ``.npy`` headers, and -- when loading into a model -- with
the model's weights. Only then is any array read, and only after all are read is any assigned.
"""

import io
import json
import math
import re
import struct

import numpy as np

from minidl import fileio
from minidl.errors import MALFORMED_NPY_HEADER_ERRORS, ModelFileError
from minidl.models import loading, training_config
from minidl.models.file_checks import (
    MAX_JSON_BYTES,
    field,
    file_error,
    open_zip,
    parse_json,
    shape_field,
)
from minidl.runtime import backend
from minidl.version import __version__

MODEL_FORMAT = "minidl-model"
WEIGHTS_FORMAT = "minidl-weights"
FORMAT_VERSION = 1
HEADER = "__header__"
_MEMBER = re.compile(r"^(__header__|weight_\d{4,}|optimizer_\d{4,})\.npy$")
_NUMBER_KINDS = "fiub"
_NPY_MAGIC = b"\x93NUMPY"
_MAX_NPY_HEADER = 2**16


# -- writing -------------------------------------------------------------------------------------------

def _weights_header(model):
    return [{"name": weight.name, "shape": list(weight.shape), "dtype": weight.dtype.name} for weight in model.weights]


def _flatten_state(value, arrays):
    """JSON-able structure with arrays replaced by {'__array__': key} (arrays go to ``arrays``)."""
    if isinstance(value, dict):
        return {"__dict__": [[_flatten_state(k, arrays), _flatten_state(v, arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"__list__": [_flatten_state(v, arrays) for v in value], "tuple": isinstance(value, tuple)}
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        key = f"optimizer_{len(arrays):04d}"
        arrays[key] = backend.to_numpy(value)
        return {"__array__": key}
    return value


def _write(path, header, arrays):
    arrays = dict(arrays)
    arrays[HEADER] = np.array(json.dumps(header))
    fileio.atomic_write(path, lambda stream: np.savez(stream, **arrays))


def write_model(model, path, include_optimizer=True):
    """The whole model: architecture, weights, compile arguments and optimizer state."""
    arrays = {}
    optimizer_state = None
    if include_optimizer and model._compiled is not None:
        optimizer_state = _flatten_state(model.optimizer.get_state(), arrays)
    header = {
        "format": MODEL_FORMAT, "version": FORMAT_VERSION, "minidl_version": __version__,
        "model_config": {"class_name": _class_name(model), "config": model.get_config()},
        "training_config": training_config.minidl_training_config(model) if include_optimizer else None,
        "optimizer_state": optimizer_state,
        "weights": _weights_header(model),
    }
    for index, weight in enumerate(model.weights):
        arrays[f"weight_{index:04d}"] = weight.numpy()
    _write(path, header, arrays)


def write_weights(model, path):
    header = {
        "format": WEIGHTS_FORMAT, "version": FORMAT_VERSION, "minidl_version": __version__,
        "model": model.name, "weights": _weights_header(model),
    }
    _write(path, header, {f"weight_{index:04d}": weight.numpy() for index, weight in enumerate(model.weights)})


def _class_name(model):
    return type(model).__name__


# -- reading -------------------------------------------------------------------------------------------

class _Member:
    """One ``.npy`` member: its declared dtype/shape (checked against its size) and where its data starts."""

    __slots__ = ("name", "dtype", "shape", "fortran", "data_offset")

    def __init__(self, name, dtype, shape, fortran, data_offset):
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.fortran = fortran
        self.data_offset = data_offset


def _npy_header(archive, name, path, kinds):
    info = archive.getinfo(name)
    try:
        with archive.open(info) as stream:
            prefix = stream.read(8)
            if len(prefix) < 8 or not prefix.startswith(_NPY_MAGIC):
                raise file_error(path, f"member {name!r} is not an .npy array (bad magic bytes)")
            major = prefix[6]
            if major == 1:
                length_bytes = stream.read(2)
                length = struct.unpack("<H", length_bytes)[0] if len(length_bytes) == 2 else None
                reader = np.lib.format.read_array_header_1_0
            elif major == 2:
                length_bytes = stream.read(4)
                length = struct.unpack("<I", length_bytes)[0] if len(length_bytes) == 4 else None
                reader = np.lib.format.read_array_header_2_0
            else:
                raise file_error(path, f"member {name!r} uses .npy format version {major}.{prefix[7]}; 1.0 and 2.0 are read")
            if length is None or length > _MAX_NPY_HEADER:
                raise file_error(path, f"member {name!r} has an .npy header length of {length}; it is corrupt")
            header = stream.read(length)
    except ModelFileError:
        raise
    except Exception as exc:  # zipfile/zlib errors of a damaged member
        raise file_error(path, f"member {name!r} cannot be read; the file may be truncated or corrupt ({exc})",
                         exc) from None
    if len(header) != length:
        raise file_error(path, f"member {name!r} ends inside its .npy header; the file is truncated")
    try:
        shape, fortran, dtype = reader(io.BytesIO(length_bytes + header), max_header_size=_MAX_NPY_HEADER)
    except MALFORMED_NPY_HEADER_ERRORS as exc:
        raise file_error(path, f"member {name!r} has a malformed .npy header ({exc})", exc) from None
    if dtype.hasobject or dtype.kind not in kinds or dtype.names is not None or dtype.subdtype is not None:
        raise file_error(path, f"member {name!r} holds dtype {dtype}; only plain numbers are read (nothing is unpickled)")
    if not all(isinstance(s, int) and s >= 0 for s in shape):
        raise file_error(path, f"member {name!r} declares the invalid shape {shape}")
    data_offset = 8 + len(length_bytes) + length
    declared = math.prod(shape) * dtype.itemsize
    if info.file_size - data_offset != declared:
        raise file_error(path, f"member {name!r} declares shape {shape} of {dtype} ({declared} bytes) but holds "
                               f"{info.file_size - data_offset} bytes of data; the file is truncated or corrupt")
    return _Member(name, dtype, tuple(shape), fortran, data_offset)


def _read_data(archive, member, path):
    info = archive.getinfo(member.name)
    count = math.prod(member.shape)
    array = np.empty(count, dtype=member.dtype)
    view = memoryview(array.view(np.uint8).reshape(-1))
    try:
        with archive.open(info) as stream:
            stream.read(member.data_offset)
            filled = 0
            while filled < len(view):
                got = stream.readinto(view[filled:])
                if not got:
                    break
                filled += got
            extra = stream.read(1)  # reaching the end makes zipfile verify the CRC
    except Exception as exc:  # zipfile/zlib errors of a damaged member
        raise file_error(path, f"member {member.name!r} cannot be read; the file may be truncated or corrupt ({exc})",
                         exc) from None
    if filled != len(view) or extra:
        raise file_error(path, f"member {member.name!r} is shorter or longer than declared; the file is corrupt")
    return array.reshape(member.shape, order="F" if member.fortran else "C")


class NpzFile:
    """A checked minidl ``.npz``: its header and members; arrays are read on request."""

    def __init__(self, path, what):
        self.path = path
        self.what = what
        self.archive = open_zip(path, path, lambda name: bool(_MEMBER.match(name)), what)
        try:
            self.header = self._read_header()
            self.weights = self._weight_entries()
        except BaseException:
            self.archive.close()
            raise

    def close(self):
        self.archive.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_header(self):
        path = self.path
        names = set(self.archive.namelist())
        if f"{HEADER}.npy" not in names:
            raise file_error(path, f"{self.what}: this zip archive has no {HEADER!r} member; it is not a minidl "
                                   "model or weights file")
        member = _npy_header(self.archive, f"{HEADER}.npy", path, "U")
        if member.shape != () or math.prod(member.shape) * member.dtype.itemsize > 4 * MAX_JSON_BYTES:
            raise file_error(path, f"its header member declares shape {member.shape} of {member.dtype}; expected one "
                                   "JSON text")
        text = _read_data(self.archive, member, path).item()
        header = parse_json(text, path, "the minidl header")
        fmt = field(header, "format", str, path, "the minidl header")
        if fmt not in (MODEL_FORMAT, WEIGHTS_FORMAT):
            raise file_error(path, f"its header names the format {fmt!r}; expected {MODEL_FORMAT!r} or {WEIGHTS_FORMAT!r}")
        version = field(header, "version", int, path, "the minidl header")
        if version > FORMAT_VERSION or version < 1:
            raise file_error(path, f"uses minidl file format version {version}; this minidl reads 1 to {FORMAT_VERSION}")
        return header

    def _weight_entries(self):
        """[(name, _Member)] for the weights the header declares, each checked against its member."""
        path = self.path
        described = field(self.header, "weights", list, path, "the minidl header")
        names = set(self.archive.namelist())
        expected_members = {f"weight_{index:04d}.npy" for index in range(len(described))}
        extra = sorted(n for n in names if n.startswith("weight_") and n not in expected_members)
        if extra:
            raise file_error(path, f"holds weight members {extra[:5]} that its header does not declare; it is corrupt")
        entries = []
        for index, entry in enumerate(described):
            where = f"weight {index} of the header"
            name = field(entry, "name", str, path, where)
            shape = shape_field(field(entry, "shape", list, path, where), path, f"the shape of {where}")
            member_name = f"weight_{index:04d}.npy"
            if member_name not in names:
                raise file_error(path, f"lacks the array of weight {name!r} ({member_name}); it is truncated or corrupt")
            member = _npy_header(self.archive, member_name, path, _NUMBER_KINDS)
            if member.shape != shape:
                raise file_error(path, f"weight {name!r} is stored with shape {member.shape} but the header says "
                                       f"{shape}; the file is corrupt")
            entries.append((name, member))
        return entries

    def stored_elements(self):
        return sum(math.prod(member.shape) for _, member in self.weights)

    def read(self, member):
        return _read_data(self.archive, member, self.path)

    def optimizer_arrays(self):
        """Every ``optimizer_XXXX`` array, header checked first."""
        members = sorted(n for n in self.archive.namelist() if n.startswith("optimizer_"))
        checked = [_npy_header(self.archive, name, self.path, _NUMBER_KINDS) for name in members]
        return {member.name[:-len(".npy")]: self.read(member) for member in checked}


def _unflatten_state(value, arrays, path):
    if isinstance(value, dict):
        if "__array__" in value:
            key = value["__array__"]
            if not isinstance(key, str) or key not in arrays:
                raise file_error(path, f"its optimizer state refers to an array {key!r} that the file does not hold")
            return arrays[key]
        if "__dict__" in value:
            pairs = value["__dict__"]
            if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                raise file_error(path, "its optimizer state has a malformed '__dict__' entry")
            result = {}
            for key, item in pairs:
                key = _unflatten_state(key, arrays, path)
                if not isinstance(key, (str, int, float, bool, type(None))):
                    raise file_error(path, "its optimizer state has a dictionary key that is not a plain value")
                result[key] = _unflatten_state(item, arrays, path)
            return result
        if "__list__" in value:
            if not isinstance(value["__list__"], list):
                raise file_error(path, "its optimizer state has a malformed '__list__' entry")
            items = [_unflatten_state(v, arrays, path) for v in value["__list__"]]
            return tuple(items) if value.get("tuple") else items
    return value


def _pairs_by_order(weights, npz, skip_mismatch):
    """(weight, _Member) pairs by position; a mismatched layer is an error or (skip_mismatch) skipped whole."""
    path = npz.path
    if len(npz.weights) != len(weights):
        raise file_error(path, f"holds {len(npz.weights)} weight arrays but the model has {len(weights)} weights; is "
                               "the file for a different architecture? Nothing was loaded")
    pairs = list(zip(weights, (member for _, member in npz.weights), (name for name, _ in npz.weights)))
    skipped_layers = set()
    for weight, member, name in pairs:
        if tuple(member.shape) != tuple(weight.shape):
            if not skip_mismatch:
                loading.check_shape(weight, member.shape, path, f"stored as {name!r}")
            skipped_layers.add(id(weight.owner))
    kept = []
    warned = set()
    for weight, member, _ in pairs:
        if id(weight.owner) in skipped_layers:
            if id(weight.owner) not in warned:
                warned.add(id(weight.owner))
                loading.skip_warning(getattr(weight.owner, "name", weight.name),
                                     f"its weights do not have the shapes stored in {path}")
            continue
        kept.append((weight, member))
    return kept


def load_weights(model, path, what="load_weights", skip_mismatch=False):
    """Load a minidl ``.npz`` (weights or whole model) into ``model``; all checked first."""
    loading.require_built(model, what, path)
    with NpzFile(path, what) as npz:
        pairs = _pairs_by_order(model.weights, npz, skip_mismatch)
        arrays = [(weight, npz.read(member)) for weight, member in pairs]
    loading.assign_all(arrays)


def load_model(path, custom_objects=None, compile=True, what="load_model"):  # noqa: A002 - Keras's name
    with NpzFile(path, what) as npz:
        header = npz.header
        if header["format"] != MODEL_FORMAT:
            raise file_error(path, f"{what}: holds only weights (written by save_weights); rebuild the model in code "
                                   "and call model.load_weights()")
        spec = field(header, "model_config", dict, path, "the minidl header")
        model = loading.build_model(spec, path, custom_objects, npz.stored_elements())
        pairs = _pairs_by_order(model.weights, npz, skip_mismatch=False)
        arrays = [(weight, npz.read(member)) for weight, member in pairs]
        training = header.get("training_config")
        state = header.get("optimizer_state")
        optimizer_arrays = npz.optimizer_arrays() if compile and training and state is not None else {}
    loading.assign_all(arrays)
    if compile and training:
        try:
            training_config.compile_from_minidl(model, training, custom_objects)
            if state is not None:
                model._capture_trainable_weights()
                model.optimizer.set_state(_unflatten_state(state, optimizer_arrays, path),
                                          model._compiled.train_weights)
        except ModelFileError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise file_error(path, f"its training configuration cannot be restored ({type(exc).__name__}: {exc})",
                             exc) from None
    return model
