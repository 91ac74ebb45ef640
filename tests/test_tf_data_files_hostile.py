"""``TextLineDataset``, ``CsvDataset`` and ``make_csv_dataset`` on files that are damaged, mislabelled
or huge: every bad file raises :class:`~minidl.errors.CorruptDatasetError` naming the reader, the
file and what is wrong (never a bare ``EOFError``, ``zlib.error``, ``BadGzipFile`` or
``UnicodeDecodeError``), and a ZLIB file is decompressed as it is read, never whole."""

import gzip
import io
import random
import tracemalloc
import zlib

import pytest

import minidl.tf as tf
from minidl.errors import CorruptDatasetError

TEXT = "a,b\n" + "1,2\n" * 200


def text_lines(path, compression=None):
    return [line.numpy().decode() for line in tf.data.TextLineDataset(str(path), compression_type=compression)]


def readers(path, compression):
    """Each file reader, as a function that reads ``path`` through."""
    return {
        "TextLineDataset": lambda: list(tf.data.TextLineDataset(str(path), compression_type=compression)),
        "CsvDataset": lambda: list(tf.data.experimental.CsvDataset(str(path), [0, 0], header=True,
                                                                   compression_type=compression)),
        "make_csv_dataset": lambda: list(tf.data.experimental.make_csv_dataset(
            str(path), batch_size=4, num_epochs=1, compression_type=compression)),
    }


def zlib_file_of(block, repeats):
    """A zlib stream of ``block`` repeated ``repeats`` times, built in milliseconds however large it
    inflates: ``block`` is compressed once, ending on a full flush (which resets the compressor), so
    each repeat compresses to the same bytes; the Adler-32 trailer covers the whole."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(repeats):
        checksum = zlib.adler32(block, checksum)
    return b"\x78\xda" + compressed * repeats + deflate.flush() + checksum.to_bytes(4, "big")


def flipped(data, index):
    return data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1:]


BAD_FILES = [  # (file name, its bytes, compression_type, what the error must say)
    ("cut.csv.gz", gzip.compress(TEXT.encode())[:-12], "GZIP", "truncated"),
    ("crc.csv.gz", flipped(gzip.compress(TEXT.encode()), -8), "GZIP", "CRC check failed"),
    ("plain.csv", TEXT.encode(), "GZIP", "compression_type='GZIP' but the file is not gzip-compressed"),
    ("plain.csv", TEXT.encode(), "ZLIB", "compression_type='ZLIB' but the file is not zlib-compressed"),
    ("zlib.csv.z", zlib.compress(TEXT.encode()), "GZIP", "not gzip-compressed.*pass compression_type='ZLIB'"),
    ("gzip.csv.gz", gzip.compress(TEXT.encode()), "ZLIB", "not zlib-compressed.*pass compression_type='GZIP'"),
    ("cut.csv.z", zlib.compress(TEXT.encode())[:-6], "ZLIB", "truncated"),
    ("bad.csv.z", flipped(zlib.compress(TEXT.encode()), 20), "ZLIB", "damaged"),
    ("tail.csv.z", zlib.compress(TEXT.encode()) + b"more", "ZLIB", "follows the end of the zlib stream"),
    ("gzip.csv.gz", gzip.compress(TEXT.encode()), None, "not UTF-8 text.*pass compression_type='GZIP'"),
    ("binary.csv", bytes(range(256)) * 4, None, "not UTF-8 text"),
    ("latin1.csv", ("a,b\n" + "1,caf\xe9\n" * 3).encode("latin-1"), None, "not UTF-8 text"),
]


@pytest.mark.parametrize("name, data, compression, problem", BAD_FILES)
def test_a_bad_file_is_reported_with_its_name_and_problem(tmp_path, name, data, compression, problem):
    path = tmp_path / name
    path.write_bytes(data)
    for reader, read in readers(path, compression).items():
        with pytest.raises(CorruptDatasetError, match=problem) as caught:
            read()
        message = str(caught.value)
        assert str(path) in message and reader in message, message
        assert caught.value.path == str(path) and caught.value.cause is not None
        assert isinstance(caught.value, ValueError)  # what a caller catching ValueError expects


def test_good_lines_before_the_damage_come_first(tmp_path):
    """The error is raised where reading fails, after the records read before it."""
    lines = [f"{i},{i}" for i in range(100_000)]
    path = tmp_path / "cut.txt.z"
    path.write_bytes(zlib.compress("\n".join(lines).encode())[:-100])
    seen = []
    with pytest.raises(CorruptDatasetError, match="cut.txt.z: truncated"):
        for line in tf.data.TextLineDataset(str(path), compression_type="ZLIB"):
            seen.append(line.numpy().decode())
    assert seen and seen == lines[:len(seen)]


def test_a_csv_field_over_the_csv_modules_limit_is_reported_with_its_line(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text('a,b\n1,2\n"' + "x" * 200_000 + '",3\n')
    with pytest.raises(CorruptDatasetError, match=r"wide.csv: line 3: not well-formed CSV \(field larger"):
        list(tf.data.experimental.CsvDataset(str(path), ["", 0], header=True))


@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_zlib_files_read_back_exactly(tmp_path, level):
    """Decompressed in chunks, the text comes back as it was: multi-byte characters and \\r\\n
    line ends split across chunk borders, stored (level 0) and compressed blocks."""
    rng = random.Random(level)
    pieces = ["é", "日本", "a", "b,c", "\r\n", "\n", "x" * 70, "😀"]
    text = "".join(rng.choice(pieces) for _ in range(200_000))
    path = tmp_path / "mixed.txt.z"
    path.write_bytes(zlib.compress(text.encode(), level))
    assert text_lines(path, "ZLIB") == [line.rstrip("\r\n") for line in io.StringIO(text, newline="")]


def test_zlib_csv_reads_like_the_plain_file(tmp_path):
    (tmp_path / "plain.csv").write_text(TEXT)
    (tmp_path / "packed.csv.z").write_bytes(zlib.compress(TEXT.encode()))
    plain = [tuple(int(v) for v in row) for row in tf.data.experimental.CsvDataset(
        str(tmp_path / "plain.csv"), [0, 0], header=True)]
    packed = [tuple(int(v) for v in row) for row in tf.data.experimental.CsvDataset(
        str(tmp_path / "packed.csv.z"), [0, 0], header=True, compression_type="ZLIB")]
    assert packed == plain == [(1, 2)] * 200


def test_a_zlib_file_is_streamed_not_decompressed_whole(tmp_path):
    """A 1 MB zlib file that inflates to 1 GiB: the first line comes back at once, holding well
    under a MiB, where decompressing it whole would allocate over 1 GiB."""
    path = tmp_path / "huge.csv.z"
    path.write_bytes(zlib_file_of(b"1,2\n" * (1 << 18), repeats=1024))
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()  # the memory held is the test (a time limit would flake on a loaded machine)
    try:
        first = next(iter(tf.data.TextLineDataset(str(path), compression_type="ZLIB")))
        row = next(iter(tf.data.experimental.CsvDataset(str(path), [0, 0], compression_type="ZLIB")))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first.numpy() == b"1,2" and [int(v) for v in row] == [1, 2]
    assert peak < 8 << 20, f"reading one line of a zlib file held {peak} bytes"
