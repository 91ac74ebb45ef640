"""Checks shared by every model-file reader: what kind of file a path holds, JSON and zip
members read with their declared sizes checked first, and one way of reporting a bad file.

A model file may be damaged (truncated by a full disk, flipped bits) or crafted to hurt the
reader (a 1 KB file declaring a terabyte array, a zip member named ``../../.bashrc``, a JSON
header nested a million levels deep). The readers therefore trust nothing a file declares:

* every size a header declares (a zip member's length, an ``.npy`` header's shape, an HDF5
  dataset's shape) is compared with the bytes the file really holds -- and, when a model is
  being loaded, with the model's own weights -- before any memory is allocated for it;
* every problem becomes a :class:`~minidl.errors.ModelFileError` that names the file and what is
  wrong with it, raised ``from None`` (the library's own exception is kept on ``cause``);
* nothing is ever unpickled: arrays are read with ``allow_pickle=False`` semantics (object
  dtypes are refused) and configurations are JSON.

The format of a file is recognised from its first bytes, not from its name: an HDF5 file starts
with ``\\x89HDF\\r\\n\\x1a\\n`` (at byte 0, or 512, 1024, ... after a user block), a zip file (a
``.npz`` or a ``.keras``) with ``PK\\x03\\x04``.
"""

import json
import os
import stat
import zipfile

from minidl.errors import ModelFileError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")

# Configurations and headers are small; a Keras config of ResNet50 is about 100 KB.
MAX_JSON_BYTES = 64 * 2**20
# Deflate cannot expand data by more than 1032:1; a member claiming more is lying.
DEFLATE_MAX_RATIO = 1032
# Beyond 64 MiB a zip member may unpack to at most 100 times its stored size (read_member).
MAX_UNPACKED_WITHOUT_RATIO = 64 * 2**20
MAX_MEMBER_RATIO = 100
# One sample of a model input declared by a file (height x width x channels, steps x features):
# 2**28 elements (1 GiB of float32) is far above any lab's input and far below a memory bomb.
MAX_INPUT_SAMPLE_ELEMENTS = 2**28


def file_error(path, message, cause=None):
    """A ModelFileError about ``path`` (the caller raises it ``from None``)."""
    where = f"{os.fspath(path)}: " if path is not None else ""
    return ModelFileError(where + message, path=None if path is None else os.fspath(path), cause=cause)


def describe_exception(exc):
    text = str(exc).strip() or "no details"
    return f"{type(exc).__name__}: {text}"


# -- what a path holds -----------------------------------------------------------------------------

def file_kind(path, what):
    """'directory', 'hdf5', 'zip' or 'unknown' for an existing path; FileNotFoundError otherwise."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{what}: no such file or directory: {path}") from None
    except OSError as exc:
        raise file_error(path, f"cannot be opened ({describe_exception(exc)})", exc) from None
    if stat.S_ISDIR(mode):
        return "directory"
    if not stat.S_ISREG(mode):
        raise file_error(path, "is not a regular file (a device, pipe or socket cannot hold a model)")
    try:
        with open(path, "rb") as stream:
            head = stream.read(8)
            if head.startswith(ZIP_SIGNATURES):
                return "zip"
            if head == HDF5_SIGNATURE:
                return "hdf5"
            for offset in (512, 1024, 2048, 4096):  # an HDF5 user block shifts the signature
                stream.seek(offset)
                if stream.read(8) == HDF5_SIGNATURE:
                    return "hdf5"
    except OSError as exc:
        raise file_error(path, f"cannot be read ({describe_exception(exc)})", exc) from None
    return "unknown"


def unknown_format_error(path, what):
    return file_error(
        path,
        f"{what}: not a model or weights file minidl can read: it is neither HDF5 (.h5, .weights.h5) nor a zip "
        "archive (.keras, .npz). A TensorFlow checkpoint or SavedModel cannot be read; save the model with "
        "Keras as .keras or .h5 instead",
    )


# -- JSON ------------------------------------------------------------------------------------------

def parse_json(data, path, what):
    """A JSON document (bytes or str) as Python objects; ModelFileError naming ``what`` if it is not."""
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_JSON_BYTES:
            raise file_error(path, f"{what} is {len(data)} bytes long; more than the {MAX_JSON_BYTES} a configuration may have")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise file_error(path, f"{what} is not UTF-8 text ({exc})", exc) from None
    if not isinstance(data, str):
        raise file_error(path, f"{what} should be JSON text, found {type(data).__name__}")
    if len(data) > MAX_JSON_BYTES:
        raise file_error(path, f"{what} is {len(data)} characters long; more than a configuration may have")
    try:
        return json.loads(data)
    except ValueError as exc:  # JSONDecodeError, or an integer longer than Python converts
        raise file_error(path, f"{what} is not valid JSON ({exc})", exc) from None
    except RecursionError as exc:
        raise file_error(path, f"{what} is nested too deeply to be a configuration", exc) from None


def field(mapping, key, kinds, path, where, default=...):
    """``mapping[key]`` checked to be of one of ``kinds`` (types); a clear error if missing or wrong."""
    if not isinstance(mapping, dict):
        raise file_error(path, f"{where} should be a JSON object, found {type(mapping).__name__}")
    if key not in mapping:
        if default is not ...:
            return default
        raise file_error(path, f"{where} has no field {key!r}")
    value = mapping[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        expected = " or ".join(kind.__name__ for kind in _as_tuple(kinds))
        raise file_error(path, f"field {key!r} of {where} should be {expected}, found {_short(value)}")
    return value


def shape_field(value, path, where):
    """A list of non-negative integers (an array shape) as a tuple."""
    if not isinstance(value, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value):
        raise file_error(path, f"{where} should be a list of non-negative integers (a shape), found {_short(value)}")
    return tuple(value)


def _as_tuple(kinds):
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# -- zip archives ----------------------------------------------------------------------------------

def check_member_name(name, path):
    """Refuse names that could escape a folder if extracted, or that no writer of ours produces."""
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or "\x00" in name or ":" in parts[0]
            or any(part in ("", ".", "..") for part in parts)):
        raise file_error(path, f"has a zip member with an unsafe name {name!r} (absolute, or with '..', "
                               "'\\' or empty parts); refusing the file")


def open_zip(source, path, allowed_names, what):
    """A ``zipfile.ZipFile`` whose members were checked: safe names, no duplicates, only
    ``allowed_names`` (a callable name -> bool), no encryption, stored or deflated, and
    declared sizes consistent with the archive's real size."""
    try:
        size = len(source.getbuffer()) if hasattr(source, "getbuffer") else os.path.getsize(source)
        archive = zipfile.ZipFile(source)
    except Exception as exc:  # zipfile raises many kinds of error on a crafted directory
        raise file_error(path, f"is not a readable zip archive; it may be truncated or corrupt "
                               f"({describe_exception(exc)})", exc) from None
    try:
        seen = set()
        for info in archive.infolist():
            check_member_name(info.filename, path)
            if info.filename in seen:
                raise file_error(path, f"holds the zip member {info.filename!r} twice; refusing the file")
            seen.add(info.filename)
            if not allowed_names(info.filename):
                raise file_error(path, f"{what}: unexpected zip member {info.filename!r}; refusing the file")
            if info.flag_bits & 0x1:
                raise file_error(path, f"zip member {info.filename!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise file_error(path, f"zip member {info.filename!r} uses compression method {info.compress_type}; "
                                       "only stored and deflated members are read")
            if info.header_offset + info.compress_size > size:
                raise file_error(path, f"zip member {info.filename!r} declares {info.compress_size} bytes at offset "
                                       f"{info.header_offset} but the file has only {size} bytes; it is truncated")
            limit = info.compress_size if info.compress_type == zipfile.ZIP_STORED else (
                info.compress_size * DEFLATE_MAX_RATIO + 1024)
            if info.file_size > limit:
                raise file_error(path, f"zip member {info.filename!r} declares {info.file_size} bytes unpacked from "
                                       f"{info.compress_size} stored bytes, which is impossible; refusing the file")
    except ModelFileError:
        archive.close()
        raise
    return archive


def read_member(archive, name, path, limit=None):
    """The whole content of a checked zip member, with its CRC verified.

    Weights barely compress, so a member unpacking to more than 100 times its stored size
    (beyond 64 MiB) is refused as a decompression bomb, as Keras 3 does."""
    info = archive.getinfo(name)
    if limit is not None and info.file_size > limit:
        raise file_error(path, f"zip member {name!r} is {info.file_size} bytes; more than the {limit} it may have")
    if info.file_size > MAX_UNPACKED_WITHOUT_RATIO and info.file_size > MAX_MEMBER_RATIO * info.compress_size:
        raise file_error(path, f"zip member {name!r} unpacks {info.compress_size} stored bytes to {info.file_size}; "
                               "refusing a decompression bomb")
    try:
        with archive.open(info) as stream:
            data = stream.read(info.file_size)
            extra = stream.read(1)  # reaching the end makes zipfile verify the CRC
    except Exception as exc:  # zipfile and zlib errors of a damaged member
        raise file_error(path, f"zip member {name!r} cannot be read; the file may be truncated or corrupt "
                               f"({describe_exception(exc)})", exc) from None
    if len(data) != info.file_size or extra:
        raise file_error(path, f"zip member {name!r} holds {len(data) + len(extra)} bytes but declares "
                               f"{info.file_size}; the file is corrupt")
    return data
