"""TensorBoard event files, written and read by hand: scalars only, no TensorFlow needed.

An event file (``events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2``) is a sequence of TFRecord
records, each holding one serialized ``tensorflow.Event`` protocol-buffer message. A record is::

    uint64 length          little-endian, the number of bytes of data
    uint32 masked_crc32c(length bytes)
    bytes  data            the serialized Event
    uint32 masked_crc32c(data)

CRC32C is the Castagnoli CRC (reflected polynomial 0x82F63B78), computed here with a 256-entry
table; TFRecord "masks" it -- rotates it right by 15 bits and adds 0xA282EAD8 -- so that a CRC
stored inside checksummed data does not checksum to a constant.

The messages are protocol buffers, encoded by the few rules they need: every field is a key
``(field_number << 3) | wire_type`` written as a varint, then its value -- a varint (wire type 0:
7 bits per byte, low bits first, the top bit saying "more follows"; negative int64 as their
64-bit two's complement), 8 little-endian bytes (type 1, a double), a varint length and the bytes
(type 2, strings and nested messages), or 4 little-endian bytes (type 5, a float). The fields
used, from ``tensorflow/core/util/event.proto`` and ``framework/summary.proto``::

    Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
    Summary { repeated Value value = 1; }
    Value   { string tag = 1; float simple_value = 2; }

The first event of a file carries ``file_version = "brain.Event:2"``; each scalar is then an event
with a one-value summary (TensorBoard's reader reads ``simple_value`` as a scalar, as it reads
TF 1's summaries). Every record is flushed as it is written, so a crashed run leaves a file that
is readable up to its last whole record.
"""

import itertools
import os
import socket
import struct
import time

FILE_VERSION = "brain.Event:2"
_MASK_DELTA = 0xA282EAD8
_file_counter = itertools.count()  # makes two writers of one process in one second name different files

# -- CRC32C ---------------------------------------------------------------------------------------


def _crc32c_table(polynomial=0x82F63B78):
    """The CRC of every byte value: 8 shift-and-xor steps of the reflected polynomial each."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ polynomial if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    """The CRC32C (Castagnoli) of ``data`` (bytes), one table look-up per byte."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked CRC: the CRC32C rotated right by 15 bits, plus 0xA282EAD8 (mod 2**32)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def tfrecord(data):
    """``data`` framed as one TFRecord record (see the module docstring)."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


# -- protocol-buffer encoding ---------------------------------------------------------------------

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5


def varint(value):
    """``value`` (an int64) as a protobuf varint; negative numbers take ten bytes."""
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def field(number, wire_type, payload):
    """One encoded field: its key, then ``payload`` (already encoded for the wire type)."""
    return varint((number << 3) | wire_type) + payload


def varint_field(number, value):
    return field(number, VARINT, varint(int(value)))


def double_field(number, value):
    return field(number, FIXED64, struct.pack("<d", float(value)))


def float_field(number, value):
    return field(number, FIXED32, struct.pack("<f", float(value)))


def bytes_field(number, value):
    """A string (UTF-8) or bytes or nested message: its length, then the bytes."""
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return field(number, LENGTH_DELIMITED, varint(len(data)) + data)


def scalar_summary(tag, value):
    """A ``Summary`` with one ``Value{tag, simple_value}``."""
    return bytes_field(1, bytes_field(1, tag) + float_field(2, value))


def event(wall_time, step, file_version=None, summary=None):
    """A serialized ``Event``: its time and step, and a file version or a summary."""
    message = double_field(1, wall_time) + varint_field(2, step)
    if file_version is not None:
        message += bytes_field(3, file_version)
    if summary is not None:
        message += bytes_field(5, summary)
    return message


# -- writing --------------------------------------------------------------------------------------

def event_file_name(when=None):
    """TensorFlow's name of a new event file: ``events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2``."""
    seconds = int(time.time() if when is None else when)
    return f"events.out.tfevents.{seconds}.{socket.gethostname()}.{os.getpid()}.{next(_file_counter)}.v2"


class EventFileWriter:
    """Appends scalar events to a new event file in ``log_dir`` (created if needed).

    ``add_scalar(tag, value, step)`` writes and flushes one record; ``close()`` closes the file.
    """

    def __init__(self, log_dir):
        self.log_dir = os.fspath(log_dir)
        try:
            os.makedirs(self.log_dir, exist_ok=True)
        except OSError as error:
            raise OSError(f"TensorBoard: cannot create the log folder {self.log_dir!r}: {error}") from None
        self.path = os.path.join(self.log_dir, event_file_name())
        self._file = open(self.path, "xb")  # noqa: SIM115 - kept open for the run, closed by close()
        self._write(event(time.time(), 0, file_version=FILE_VERSION))

    def _write(self, data):
        if self._file is None:
            raise ValueError(f"TensorBoard: the event file {self.path} is closed")
        self._file.write(tfrecord(data))
        self._file.flush()

    def add_scalar(self, tag, value, step):
        """One scalar ``value`` under ``tag`` at ``step`` (an int)."""
        self._write(event(time.time(), int(step), summary=scalar_summary(tag, value)))

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None


# -- reading (for tests and for users without TensorFlow) ----------------------------------------

def read_records(path):
    """The data of every record of a TFRecord file, checking both CRCs of each."""
    with open(path, "rb") as stream:
        while True:
            header = stream.read(12)
            if not header:
                return
            if len(header) < 12:
                raise ValueError(f"{path}: truncated record header ({len(header)} of 12 bytes)")
            length_bytes, length_crc = header[:8], struct.unpack("<I", header[8:])[0]
            if masked_crc32c(length_bytes) != length_crc:
                raise ValueError(f"{path}: a record's length fails its CRC32C check")
            (length,) = struct.unpack("<Q", length_bytes)
            data, footer = stream.read(length), stream.read(4)
            if len(data) < length or len(footer) < 4:
                raise ValueError(f"{path}: truncated record (expected {length} bytes of data and its CRC)")
            if masked_crc32c(data) != struct.unpack("<I", footer)[0]:
                raise ValueError(f"{path}: a record's data fails its CRC32C check")
            yield data


def _read_varint(data, position):
    result, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, position


def parse_message(data):
    """``{field number: [raw values]}`` of a protobuf message: ints for varints, bytes for the
    other wire types (decode them with ``struct`` or ``parse_message`` as their type says)."""
    fields, position = {}, 0
    while position < len(data):
        key, position = _read_varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == VARINT:
            value, position = _read_varint(data, position)
        elif wire_type == FIXED64:
            value, position = data[position:position + 8], position + 8
        elif wire_type == FIXED32:
            value, position = data[position:position + 4], position + 4
        elif wire_type == LENGTH_DELIMITED:
            length, position = _read_varint(data, position)
            value, position = data[position:position + length], position + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type} (field {number})")
        fields.setdefault(number, []).append(value)
    return fields


def read_events(path):
    """Every event of an event file as a dict: ``wall_time``, ``step``, and ``file_version`` or
    ``scalars`` (a list of ``(tag, value)``)."""
    events = []
    for data in read_records(path):
        fields = parse_message(data)
        step = fields.get(2, [0])[0]
        decoded = {"wall_time": struct.unpack("<d", fields[1][0])[0] if 1 in fields else 0.0,
                   "step": step - (1 << 64) if step >= 1 << 63 else step}
        if 3 in fields:
            decoded["file_version"] = fields[3][0].decode("utf-8")
        if 5 in fields:
            values = [parse_message(value) for value in parse_message(fields[5][0]).get(1, [])]
            decoded["scalars"] = [(value[1][0].decode("utf-8"), struct.unpack("<f", value[2][0])[0])
                                  for value in values if 2 in value]
        events.append(decoded)
    return events


def read_scalars(path):
    """``[(tag, step, value)]`` of every scalar in an event file, in the order written."""
    return [(tag, event["step"], value) for event in read_events(path) for tag, value in event.get("scalars", [])]
