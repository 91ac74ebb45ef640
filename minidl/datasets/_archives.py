"""Reading gzip, tar, zip and ``.npz`` files with every size bounded before anything is allocated.

A small crafted file can declare a huge size -- a tar member or pax header of a gigabyte, a zip
member that inflates a thousandfold, an ``.npy`` header with a shape of 10^12 elements -- and the
standard readers believe it: ``tarfile`` reads a pax header in one ``read(size)``, NumPy allocates
the array a header declares before reading it, ``BufferedReader.read(n)`` allocates ``n`` bytes
up front.  The readers here

* read compressed streams in chunks of at most :data:`CHUNK` bytes and count what they inflate,
  stopping at a per-dataset maximum (:class:`InflatedStream`);
* check each declared size against what the format and the file allow *before* reading it: a tar
  member against the dataset's largest legitimate member, a zip member against the deflate limit
  of 1032:1 and its position against the archive's length, an ``.npy`` shape against its zip
  member's size;
* read every stream to its end, so gzip's CRC-32 and size trailer and zip's CRC-32 are checked
  and a flipped bit anywhere is reported;
* never extract anything to disk and never unpickle: tar members are returned as bytes only when
  they are regular files whose name the caller asked for, so links, devices, absolute or ``..``
  names are simply skipped.

Every problem raises :class:`~minidl.errors.CorruptDatasetError` naming the file.
"""

import gzip
import math
import os
import zipfile

import numpy as np

from minidl.datasets._errors import corrupt, reading
from minidl.errors import MALFORMED_NPY_HEADER_ERRORS

CHUNK = 1 << 20
DEFLATE_MAX_RATIO = 1032  # no deflate stream inflates by more (RFC 1951's longest match per bit)
_BLOCK = 512
_MAX_TAR_METADATA = 1 << 20  # pax and GNU long-name headers: a few hundred bytes in practice
_NO_DATA_TYPES = frozenset(b"123456")  # hard/sym links, devices, folders, FIFOs carry no data
_REGULAR_TYPES = frozenset((b"0", b"\0", b"7"))


class InflatedStream:
    """A gzip file read in bounded chunks, refusing to inflate more than ``limit`` bytes."""

    def __init__(self, path, limit):
        self.path = path
        self.limit = limit
        self.total = 0
        self._gzip = gzip.open(path, "rb")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._gzip.close()

    def read(self, size):
        data = self._gzip.read(min(size, CHUNK))
        self.total += len(data)
        if self.total > self.limit:
            raise corrupt(self.path, f"inflates to more than {self.limit} bytes, more than this dataset can hold "
                                     "(damaged or crafted file)") from None
        return data

    def read_exactly(self, size, what):
        parts = []
        left = size
        while left:
            data = self.read(left)
            if not data:
                raise corrupt(self.path, f"truncated or damaged: the data ends inside {what}") from None
            parts.append(data)
            left -= len(data)
        return b"".join(parts)

    def readinto_exactly(self, buffer, what):
        """Fill the flat uint8 array ``buffer``; returns how many bytes the stream had."""
        view = memoryview(buffer)
        done = 0
        while done < len(view):
            data = self.read(len(view) - done)
            if not data:
                return done
            view[done:done + len(data)] = data
            done += len(data)
        return done

    def skip(self, size, what):
        left = size
        while left:
            data = self.read(left)
            if not data:
                raise corrupt(self.path, f"truncated or damaged: the data ends inside {what}") from None
            left -= len(data)

    def drain(self):
        """Read to the end of the gzip stream, so its CRC and length are checked."""
        while self.read(CHUNK):
            pass


def read_tar_gz(path, wanted, max_member_bytes, max_total_bytes):
    """Yield ``(name, key, data)`` for the regular-file members of a ``.tar.gz`` that ``wanted`` accepts.

    ``wanted(name)`` returns a key (anything not ``None``) for a member to read.  Such a member
    may hold at most ``max_member_bytes``; the whole archive may inflate to at most
    ``max_total_bytes``.  Every other member is skipped without being held in memory.  After the
    last member the gzip stream is read to its end, so the CRC covers every byte.
    """
    with reading(path), InflatedStream(path, max_total_bytes) as stream:
        yield from _tar_members(stream, path, wanted, max_member_bytes)
        stream.drain()


def _tar_members(stream, path, wanted, max_member_bytes):
    overrides = {}
    number = 0
    while True:
        block = stream.read(_BLOCK)
        if len(block) < _BLOCK:
            raise corrupt(path, "truncated or damaged: the tar archive ends without its end-of-archive marker") from None
        if not any(block):
            return  # the end-of-archive marker
        number += 1
        header = _parse_header(block, path, number)
        name = overrides.pop("path", None) or header["name"]
        size = overrides.pop("size", None)
        size = header["size"] if size is None else size
        kind = header["type"]
        if kind in (b"x", b"g", b"L", b"K"):
            metadata = _read_metadata(stream, path, size, number)
            if kind == b"x":
                overrides = _parse_pax(metadata, path, number)
            elif kind == b"L":
                overrides = {"path": metadata.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")}
            continue
        if kind == b"S":
            _skip_sparse_extensions(stream, block)
        if kind in _NO_DATA_TYPES:
            continue
        key = wanted(name) if kind in _REGULAR_TYPES else None
        padded = -size % _BLOCK
        if key is None:
            stream.skip(size + padded, f"member {name!r}")
            continue
        if size > max_member_bytes:
            raise corrupt(path, f"member {name!r} declares {size} bytes; this dataset's members hold at most "
                                f"{max_member_bytes} (damaged or crafted archive)") from None
        data = stream.read_exactly(size, f"member {name!r}")
        stream.skip(padded, f"member {name!r}")
        yield name, key, data


def _parse_header(block, path, number):
    stored = _octal(block[148:156], path, number, "checksum")
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    if stored != unsigned and stored != _signed_checksum(block):
        raise corrupt(path, f"the header of tar member {number} is damaged (checksum {stored}, computed {unsigned}); "
                            "not a tar archive or a damaged one") from None
    name = block[:100].split(b"\0", 1)[0]
    if block[257:263] == b"ustar\0":  # POSIX ustar: a prefix extends the name
        prefix = block[345:500].split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    return {"name": name.decode("utf-8", "surrogateescape"), "size": _size(block[124:136], path, number),
            "type": block[156:157]}


def _signed_checksum(block):
    """The header checksum as some old tar programs computed it, with bytes taken as signed."""
    return sum(byte - 256 if byte > 127 else byte for byte in block[:148] + b" " * 8 + block[156:])


def _octal(field, path, number, what):
    text = field.split(b"\0", 1)[0].strip(b" ")
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise corrupt(path, f"the header of tar member {number} has a malformed {what} field {field!r}") from None


def _size(field, path, number):
    if field[0] & 0x80:  # GNU base-256 for sizes of 8 GiB and more
        value = int.from_bytes(field[1:], "big")
        if field[0] == 0xFF:
            raise corrupt(path, f"tar member {number} declares a negative size") from None
        return value
    return _octal(field, path, number, "size")


def _read_metadata(stream, path, size, number):
    if size > _MAX_TAR_METADATA:
        raise corrupt(path, f"tar member {number} is a metadata header that declares {size} bytes, more than the "
                            f"{_MAX_TAR_METADATA} such headers need (damaged or crafted archive)") from None
    data = stream.read_exactly(size, f"the metadata of member {number}")
    stream.skip(-size % _BLOCK, f"the metadata of member {number}")
    return data


def _parse_pax(data, path, number):
    """The ``path`` and ``size`` records of a pax extended header (others are ignored)."""
    overrides = {}
    position = 0
    while position < len(data):
        space = data.find(b" ", position)
        try:
            length = int(data[position:space])
        except ValueError:
            length = 0
        if space < 0 or length <= 0 or position + length > len(data):
            raise corrupt(path, f"the pax header of tar member {number} is malformed") from None
        record = data[space + 1:position + length - 1]
        key, _, value = record.partition(b"=")
        if key == b"path":
            overrides["path"] = value.decode("utf-8", "surrogateescape")
        elif key == b"size":
            try:
                overrides["size"] = int(value)
            except ValueError:
                raise corrupt(path, f"the pax header of tar member {number} has a malformed size") from None
            if overrides["size"] < 0:
                raise corrupt(path, f"the pax header of tar member {number} declares a negative size") from None
        position += length
    return overrides


def _skip_sparse_extensions(stream, block):
    extended = block[482]
    while extended:
        extension = stream.read_exactly(_BLOCK, "a sparse-file header")
        extended = extension[504]


def zip_member_info(archive, path, name, max_bytes, archive_size):
    """The checked :class:`zipfile.ZipInfo` of member ``name`` (exactly one such member)."""
    matches = [info for info in archive.infolist() if info.filename == name]
    if not matches:
        return None
    if len(matches) > 1:
        raise corrupt(path, f"the zip archive holds member {name!r} {len(matches)} times") from None
    info = matches[0]
    if info.flag_bits & 0x1:
        raise corrupt(path, f"zip member {name!r} is encrypted") from None
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise corrupt(path, f"zip member {name!r} uses compression method {info.compress_type}; "
                            "only stored and deflated members are read") from None
    if info.file_size > max_bytes:
        raise corrupt(path, f"zip member {name!r} declares {info.file_size} bytes, more than the {max_bytes} "
                            "this dataset can hold (damaged or crafted file)") from None
    if info.header_offset + info.compress_size > archive_size:
        raise corrupt(path, f"truncated or damaged: zip member {name!r} extends past the end of the file") from None
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise corrupt(path, f"zip member {name!r} is stored uncompressed but declares {info.file_size} bytes "
                            f"in {info.compress_size}") from None
    if info.file_size > DEFLATE_MAX_RATIO * info.compress_size + 1024:
        raise corrupt(path, f"zip member {name!r} declares {info.file_size} bytes from {info.compress_size} "
                            "compressed, more than deflate can produce (damaged or crafted file)") from None
    return info


def read_zip_member(path, name, max_bytes):
    """The bytes of member ``name`` of a zip file (read to its end, so its CRC is checked)."""
    with reading(path), zipfile.ZipFile(path) as archive:
        info = zip_member_info(archive, path, name, max_bytes, _file_size(path))
        if info is None:
            return None
        with archive.open(info) as stream:
            return _read_member(stream, info, path)


def _read_member(stream, info, path):
    parts = []
    total = 0
    while True:
        data = stream.read(CHUNK)
        if not data:
            break
        total += len(data)
        if total > info.file_size:
            raise corrupt(path, f"zip member {info.filename!r} holds more than the {info.file_size} bytes it declares") from None
        parts.append(data)
    if total != info.file_size:
        raise corrupt(path, f"truncated or damaged: zip member {info.filename!r} holds {total} of its {info.file_size} bytes") from None
    return b"".join(parts)


def read_npz(path, members, max_member_bytes=None):
    """``{name: array}`` for ``members`` of an ``.npz`` file, every size checked before reading.

    ``members`` maps each array name to a function ``accept(dtype, shape)`` that returns an error
    message (or ``None`` when the declared dtype and shape are acceptable), so a header asking for
    a terabyte is refused before anything is allocated.  Object arrays (which would need pickle)
    are always refused.  ``max_member_bytes`` defaults to the file's own size, which bounds the
    members of an uncompressed ``.npz`` (the kind minidl writes).
    """
    with reading(path), zipfile.ZipFile(path) as archive:
        archive_size = _file_size(path)
        limit = archive_size if max_member_bytes is None else max_member_bytes
        arrays = {}
        for name, accept in members.items():
            info = zip_member_info(archive, path, f"{name}.npy", limit, archive_size)
            if info is None:
                raise corrupt(path, f"lacks the array {name!r}") from None
            with archive.open(info) as stream:
                arrays[name] = _read_npy(stream, info, path, name, accept)
        return arrays


def _read_npy(stream, info, path, name, accept):
    where = f"array {name!r}"
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f".npy format version {version} is not supported")
    except MALFORMED_NPY_HEADER_ERRORS as error:
        raise corrupt(path, f"{where} has a malformed .npy header ({error})") from None
    if dtype.hasobject:
        raise corrupt(path, f"{where} holds Python objects, which minidl never unpickles") from None
    problem = accept(dtype, shape)
    if problem:
        raise corrupt(path, f"{where}: {problem}") from None
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    header_end = stream.tell()
    if header_end + nbytes != info.file_size:
        raise corrupt(path, f"{where} declares shape {shape} of {dtype} ({nbytes} bytes) but its member holds "
                            f"{info.file_size - header_end} bytes of data") from None
    raw = np.empty(nbytes, dtype=np.uint8)
    view = memoryview(raw)
    done = 0
    while done < nbytes:
        data = stream.read(min(CHUNK, nbytes - done))
        if not data:
            raise corrupt(path, f"truncated or damaged: {where} ends after {done} of {nbytes} bytes") from None
        view[done:done + len(data)] = data
        done += len(data)
    if stream.read(1):
        raise corrupt(path, f"{where} holds more data than its header declares") from None
    return raw.view(dtype).reshape(shape, order="F" if fortran_order else "C")


def _file_size(path):
    return os.stat(path).st_size
