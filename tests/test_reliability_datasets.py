"""Reliability of the dataset loaders under hostile and careless input (issue #18).

Integrity is tested as a property, on small synthetic files in ``tmp_path`` so the suite runs in
seconds: a flipped bit anywhere, a truncation at any length, a header declaring any size, an
altered but valid file, a damaged cache, a missing file, two processes at once.  For each, the
loader either returns exactly the right data or raises one of :mod:`minidl.errors`'s classes naming
the file, without chained tracebacks; it never allocates what a header merely declares, and a
damaged file in minidl's own cache is removed with a warning and rebuilt or downloaded again.
"""

import gzip
import hashlib
import io
import json
import os
import pathlib
import pickle
import struct
import subprocess
import sys
import tarfile
import textwrap
import time
import traceback
import tracemalloc
import urllib.error
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.datasets
from minidl import errors
from minidl.datasets import (
    DatasetCacheWarning,
    _archives,
    _integrity,
    _mnist_format,
    _resolve,
    alice,
    amazon_fine_food,
    book_ch02,
    boston_housing,
    cifar10,
    image_folder,
    imdb,
    mnist,
    nltk_corpora,
    review_csv,
    sonar,
    stocks,
    text8,
    word_vectors,
)
from minidl.datasets._formats import read_idx_gz
from minidl.errors import ChecksumMismatchError, CorruptDatasetError, DatasetNotFoundError, MinidlError
from minidl.preprocessing import image_io
from minidl.text import KeyedVectors

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL_DATA = pathlib.Path(os.environ.get("MINIDL_DATA_DIR") or REPO_ROOT.parent / "shared" / "data").resolve()
URL = "https://example.org/data/"


# -- the test's world: data and cache folders, a fake network -------------------------------------

class World:
    """``data`` and ``cache`` folders in tmp_path, and a network that serves only ``served``."""

    def __init__(self, tmp_path, monkeypatch):
        self.tmp = tmp_path
        self.data, self.cache = tmp_path / "data", tmp_path / "cache"
        self.data.mkdir()
        self.monkeypatch = monkeypatch
        self.served = {}
        self.requests = []
        monkeypatch.setenv("MINIDL_DATA_DIR", str(self.data))
        monkeypatch.setenv("MINIDL_CACHE_DIR", str(self.cache))
        monkeypatch.delenv("MINIDL_OFFLINE", raising=False)
        monkeypatch.setattr(_resolve, "open_url", self._open)
        monkeypatch.setattr(imdb, "_memo", {})

    def _open(self, url, timeout):
        self.requests.append(url)
        if url not in self.served:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution (test)")
        payload = self.served[url]
        response = io.BytesIO(payload)
        response.headers = {"Content-Length": str(len(payload))}
        return response

    def fresh_cache(self):
        """Point MINIDL_CACHE_DIR at a new empty folder (hypothesis examples share one tmp_path)."""
        self.cache = self.tmp / f"cache-{time.monotonic_ns()}"
        self.monkeypatch.setenv("MINIDL_CACHE_DIR", str(self.cache))
        return self.cache

    def files_in_cache(self):
        return sorted(str(path.relative_to(self.cache)) for path in self.cache.rglob("*") if path.is_file()) \
            if self.cache.exists() else []

    def folders_in_cache(self):
        return sorted(str(path.relative_to(self.cache)) for path in self.cache.rglob("*") if path.is_dir()) \
            if self.cache.exists() else []


@pytest.fixture
def world(tmp_path, monkeypatch):
    return World(tmp_path, monkeypatch)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def assert_clean_error(error, path_part):
    """One of minidl's public errors, naming the file, raised without chained tracebacks."""
    assert isinstance(error, (errors.DatasetError, errors.ModelFileError)), f"{type(error).__name__}: {error}"
    assert type(error).__module__ == "minidl.errors" or type(error) is image_io.UnreadableImageError
    assert path_part in str(error), str(error)
    assert error.__cause__ is None and error.__suppress_context__
    rendered = "".join(traceback.format_exception(error))
    assert "During handling of the above exception" not in rendered
    assert "The above exception was the direct cause" not in rendered


def flip(data, offset, bit):
    changed = bytearray(data)
    changed[offset] ^= 1 << bit
    return bytes(changed)


def peak_bytes(function):
    """Peak traced allocation (bytes) while ``function()`` runs; returns (peak, exception)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        function()
        caught = None
    except Exception as error:  # noqa: BLE001 - the caller checks which
        caught = error
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, caught


# -- synthetic MNIST with published hashes --------------------------------------------------------

SMALL_COUNTS = {_mnist_format.TRAIN_IMAGES: 6, _mnist_format.TRAIN_LABELS: 6,
                _mnist_format.TEST_IMAGES: 4, _mnist_format.TEST_LABELS: 4}


def idx_bytes(array, magic):
    return magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape) + \
        array.astype(np.uint8).tobytes()


class SmallMnist:
    """MNIST's loader shrunk to 6 train / 4 test images, with published hashes of these files."""

    def __init__(self, world, seed=0):
        rng = np.random.default_rng(seed)
        self.world = world
        self.arrays, self.raw, self.packed = {}, {}, {}
        for name, count in SMALL_COUNTS.items():
            magic, _count, shape, _size = _mnist_format.LAYOUT[name]
            world.monkeypatch.setitem(_mnist_format.LAYOUT, name,
                                      (magic, count, shape, (16 if shape else 8) + count * int(np.prod(shape or (1,)))))
            array = rng.integers(0, 256 if shape else 10, size=(count,) + shape).astype(np.uint8)
            self.arrays[name] = array
            self.raw[name] = idx_bytes(array, magic)
            self.packed[name] = gzip.compress(self.raw[name], mtime=0)
            world.served[URL + "mnist/" + name] = self.packed[name]
        self.spec = _resolve.DatasetSpec("mnist", _mnist_format.idx_files(
            URL + "mnist/", {n: sha256(b) for n, b in self.packed.items()}, {n: sha256(b) for n, b in self.raw.items()}))
        world.monkeypatch.setattr(mnist, "SPEC", self.spec)

    def write(self, folder, name=None, payload=None):
        folder.mkdir(parents=True, exist_ok=True)
        for each in SMALL_COUNTS if name is None else [name]:
            (folder / each).write_bytes(self.packed[each] if payload is None else payload)
        return folder

    def check(self, result):
        (x_train, y_train), (x_test, y_test) = result
        names = _mnist_format.FILENAMES
        for got, name in zip((x_train, y_train, x_test, y_test), names):
            np.testing.assert_array_equal(got, self.arrays[name])


@pytest.fixture
def small_mnist(world):
    return SmallMnist(world)


# -- flipped bits: never silently different data ---------------------------------------------------

def test_every_flipped_bit_of_an_idx_label_file_is_caught_or_harmless(world, small_mnist):
    small_mnist.write(world.data / "mnist")
    target = world.data / "mnist" / _mnist_format.TRAIN_LABELS
    packed = small_mnist.packed[_mnist_format.TRAIN_LABELS]
    for offset in range(len(packed)):
        target.write_bytes(flip(packed, offset, offset % 8))
        try:
            result = mnist.load_data()
        except CorruptDatasetError as error:
            assert_clean_error(error, _mnist_format.TRAIN_LABELS)
            assert target.exists()  # a user's file is never deleted
            continue
        small_mnist.check(result)  # only a harmless header bit (gzip mtime, OS byte) may pass


@settings(max_examples=40, deadline=None)
@given(file_index=st.integers(0, 3), position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_a_flipped_bit_in_any_mnist_file_anywhere_is_caught(world, small_mnist, file_index, position, bit):
    name = _mnist_format.FILENAMES[file_index]
    small_mnist.write(world.data / "mnist")
    packed = small_mnist.packed[name]
    (world.data / "mnist" / name).write_bytes(flip(packed, int(position * len(packed)), bit))
    try:
        small_mnist.check(mnist.load_data())
    except CorruptDatasetError as error:
        assert_clean_error(error, name)


def imdb_archive(reviews_per_folder=2, text=lambda split, label, number: f"A {label} review {number}.<br />Fine.",
                 extra=()):
    """A small aclImdb archive as bytes; ``extra`` adds (TarInfo, data) members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT) as archive:
        for split in ("train", "test"):
            for label in ("neg", "pos"):
                for number in range(reviews_per_folder):
                    data = text(split, label, number).encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{number}_7.txt")
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
        for info, data in extra:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


@pytest.fixture
def small_imdb(world):
    world.monkeypatch.setattr(imdb, "REVIEWS_PER_FOLDER", 2)
    return imdb_archive()


def load_small_imdb(path):
    imdb._memo.clear()
    return imdb.load_texts() if path is None else imdb.get_word_index(path=path)


@settings(max_examples=60, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_a_flipped_bit_in_the_imdb_archive_is_caught(world, small_imdb, position, bit):
    """The probe's case: tarfile stopped before gzip's CRC, so a flipped review bit went unnoticed."""
    world.fresh_cache()
    archive = world.tmp / "aclImdb_v1.tar.gz"
    expected = imdb.get_word_index(path=_write(archive, small_imdb))
    archive.write_bytes(flip(small_imdb, int(position * len(small_imdb)), bit))
    imdb._memo.clear()
    try:
        assert imdb.get_word_index(path=archive) == expected
    except CorruptDatasetError as error:
        assert_clean_error(error, "aclImdb_v1.tar.gz")


def test_a_damaged_gzip_crc_is_reported_even_after_the_tar_end(world, small_imdb):
    archive = world.tmp / "aclImdb_v1.tar.gz"
    for offset in (-8, -5):  # the CRC-32 and the length in gzip's trailer, after the last tar block
        archive.write_bytes(flip(small_imdb, len(small_imdb) + offset, 0))
        with pytest.raises(CorruptDatasetError, match="aclImdb_v1.tar.gz: damaged: gzip's (CRC|length)") as caught:
            imdb.load_data(path=archive)
        assert_clean_error(caught.value, "aclImdb_v1.tar.gz")


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def text8_zip(text=b" anarchism originated as a term of abuse"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("text8", text)
    return buffer.getvalue()


def test_every_flipped_bit_of_a_zip_is_caught_or_harmless(world):
    packed = text8_zip()
    target = world.tmp / "text8.zip"
    for offset in range(len(packed)):
        target.write_bytes(flip(packed, offset, offset % 8))
        try:
            words = text8.load_words(target)
        except CorruptDatasetError as error:
            assert_clean_error(error, "text8.zip")
            continue
        assert words == ["anarchism", "originated", "as", "a", "term", "of", "abuse"]


def boston_npz(x=None, y=None):
    x = np.arange(506 * 13, dtype=np.float64).reshape(506, 13) / 7 if x is None else x
    y = np.linspace(5, 50, 506) if y is None else y
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y)
    return buffer.getvalue(), x, y


@pytest.fixture
def small_boston(world):
    packed, x, y = boston_npz()
    spec = _resolve.DatasetSpec("boston", (_resolve.RemoteFile(boston_housing.CSV_FILE),
                                           _resolve.RemoteFile(boston_housing.NPZ_FILE, URL + "boston.npz", sha256(packed))))
    world.monkeypatch.setattr(boston_housing, "SPEC", spec)
    world.served[URL + "boston.npz"] = packed
    return packed, x, y


@settings(max_examples=40, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_a_flipped_bit_in_an_npz_is_caught_or_harmless(world, small_boston, position, bit):
    packed, x, y = small_boston
    _write(world.data / "boston" / boston_housing.NPZ_FILE, flip(packed, int(position * len(packed)), bit))
    try:
        got_x, got_y, _ = boston_housing.load_arrays()
    except CorruptDatasetError as error:
        assert_clean_error(error, boston_housing.NPZ_FILE)
        return
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)


@pytest.mark.parametrize("damage", [b"\x00", b"("])  # NumPy's parser: SyntaxError, tokenize.TokenError
def test_npy_headers_that_break_numpys_parser_are_reported(world, small_boston, damage):
    """Found by the flipped-bit test above: a NUL byte or an unclosed bracket in an .npy header
    escaped as a raw SyntaxError/TokenError (errors.MALFORMED_NPY_HEADER_ERRORS lists them all)."""
    packed, _x, _y = small_boston
    start = packed.index(b"{'descr'")
    _write(world.data / "boston" / boston_housing.NPZ_FILE, packed[:start] + damage + packed[start + 1:])
    with pytest.raises(CorruptDatasetError) as info:
        boston_housing.load_arrays()
    assert "malformed .npy header" in str(info.value)
    assert_clean_error(info.value, boston_housing.NPZ_FILE)


def word2vec_text(count=3):
    lines = [f"w{i} {i}.5 -{i} 0.25" for i in range(count)]
    return (f"{count} 3\n" + "\n".join(lines) + "\n").encode()


@settings(max_examples=40, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_a_flipped_bit_in_gzipped_word_vectors_is_caught_or_harmless(world, position, bit):
    packed = gzip.compress(word2vec_text(), mtime=0)
    expected = word_vectors.load_word_vectors(_write(world.tmp / "good.txt.gz", packed))
    target = _write(world.tmp / "vectors.txt.gz", flip(packed, int(position * len(packed)), bit))
    try:
        words, vectors = word_vectors.load_word_vectors(target)
    except CorruptDatasetError as error:
        assert_clean_error(error, "vectors.txt.gz")
        return
    assert words == expected[0] and np.array_equal(vectors, expected[1])


def cifar_batch(count, first_label):
    data = (np.arange(count * 3072, dtype=np.int64).reshape(count, 3072) * (first_label + 3)) % 251
    return {b"batch_label": b"x", b"labels": [(first_label + i) % 10 for i in range(count)],
            b"data": data.astype(np.uint8), b"filenames": [b"f.png"] * count}


def cifar_archive(count=1, batches=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for number, name in enumerate(cifar10.BATCHES):
            raw = pickle.dumps(cifar_batch(count, number), protocol=2) if batches is None else batches[name]
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


@settings(max_examples=25, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_a_flipped_bit_in_the_cifar_archive_is_caught_or_harmless(world, position, bit):
    packed = cifar_archive()
    _write(world.data / "cifar10" / cifar10.ARCHIVE, packed)
    (expected_train, _), (expected_test, _) = cifar10.load_data()
    _write(world.data / "cifar10" / cifar10.ARCHIVE, flip(packed, int(position * len(packed)), bit))
    try:
        (x_train, _), (x_test, _) = cifar10.load_data()
    except CorruptDatasetError as error:
        assert_clean_error(error, cifar10.ARCHIVE)
        return
    assert np.array_equal(x_train, expected_train) and np.array_equal(x_test, expected_test)


def test_every_flipped_bit_in_a_cifar_batch_pickle_is_a_clean_error_or_a_well_formed_batch():
    """The decoder on its own, past the archive's CRC (which a reader meets only at the end): any
    damaged bit in a batch's pickle -- its opcodes, a codec name given to _codecs.encode, NumPy's
    reconstruction arguments, the pixels -- is a CorruptDatasetError naming the batch, or a batch
    of the right shapes and types (a changed pixel is caught by the archive's checksum)."""
    raw = pickle.dumps(cifar_batch(1, 0), protocol=2)
    assert b"latin1" in raw  # Python 2 style bytes inside: the _codecs.encode path is exercised
    for position in range(len(raw)):
        for bit in range(8):
            try:
                images, labels = cifar10._decode_batch(flip(raw, position, bit), "cifar-10-batches-py/data_batch_1")
            except CorruptDatasetError as error:
                assert_clean_error(error, "data_batch_1")
                continue
            assert images.shape == (1, 32, 32, 3) and images.dtype == np.uint8, (position, bit)
            assert labels.shape == (1,), (position, bit)


# -- truncations at every length ---------------------------------------------------------------------

def assert_every_prefix_fails(data, path, load, name):
    for length in range(len(data)):
        path.write_bytes(data[:length])
        with pytest.raises(MinidlError) as caught:
            load()
        assert isinstance(caught.value, CorruptDatasetError), (length, caught.value)
        assert_clean_error(caught.value, name)


def test_every_truncation_of_a_gzip_idx_file_is_caught(world, small_mnist):
    small_mnist.write(world.data / "mnist")
    name = _mnist_format.TEST_LABELS
    assert_every_prefix_fails(small_mnist.packed[name], world.data / "mnist" / name, mnist.load_data, name)


def test_every_truncation_of_the_idx_contents_is_caught(world, small_mnist):
    """Cut *before* compressing, so gzip's checks pass and only the IDX header can tell."""
    name = _mnist_format.TEST_LABELS
    raw = small_mnist.raw[name]
    spec = _resolve.DatasetSpec("mnist", tuple(_resolve.RemoteFile(f) for f in _mnist_format.FILENAMES))
    world.monkeypatch.setattr(mnist, "SPEC", spec)  # no published hash: the format check must do it
    small_mnist.write(world.data / "mnist")
    for length in range(len(raw)):
        (world.data / "mnist" / name).write_bytes(gzip.compress(raw[:length]))
        with pytest.raises(CorruptDatasetError) as caught:
            mnist.load_data()
        assert_clean_error(caught.value, name)


def test_every_truncation_of_a_tar_gz_is_caught(world, small_imdb):
    assert_every_prefix_fails(small_imdb, world.tmp / "aclImdb_v1.tar.gz",
                              lambda: load_small_imdb(world.tmp / "aclImdb_v1.tar.gz"), "aclImdb_v1.tar.gz")


def test_every_truncation_of_the_tar_inside_a_valid_gzip_is_caught(world, small_imdb):
    tar = gzip.decompress(small_imdb)
    archive = world.tmp / "aclImdb_v1.tar.gz"
    members_end = -(-len(tar.rstrip(b"\0")) // 512) * 512  # after this only the end marker and padding follow
    for length in list(range(0, members_end + 1, 512)) + list(range(1, members_end, 97)):
        archive.write_bytes(gzip.compress(tar[:length]))
        with pytest.raises(CorruptDatasetError) as caught:
            load_small_imdb(archive)
        assert_clean_error(caught.value, "aclImdb_v1.tar.gz")


def test_every_truncation_of_a_zip_is_caught(world):
    assert_every_prefix_fails(text8_zip(), world.tmp / "text8.zip", lambda: text8.load_words(world.tmp / "text8.zip"),
                              "text8.zip")


def test_every_truncation_of_an_npz_is_caught(world, small_boston):
    packed, _, _ = small_boston
    path = _write(world.data / "boston" / boston_housing.NPZ_FILE, packed)
    for length in list(range(0, len(packed), 97)) + list(range(len(packed) - 200, len(packed))):
        path.write_bytes(packed[:length])
        with pytest.raises(CorruptDatasetError) as caught:
            boston_housing.load_arrays()
        assert_clean_error(caught.value, boston_housing.NPZ_FILE)


def test_every_truncation_of_a_cifar_archive_is_caught(world):
    packed = cifar_archive()
    path = _write(world.data / "cifar10" / cifar10.ARCHIVE, packed)
    for length in list(range(0, len(packed), max(1, len(packed) // 150))) + list(range(len(packed) - 40, len(packed))):
        path.write_bytes(packed[:length])
        with pytest.raises(CorruptDatasetError) as caught:
            cifar10.load_data()
        assert_clean_error(caught.value, cifar10.ARCHIVE)


def test_every_truncation_of_word_vector_text_is_caught(world):
    text = word2vec_text()
    assert_every_prefix_fails(text, world.tmp / "v.txt", lambda: word_vectors.load_word_vectors(world.tmp / "v.txt"),
                              "v.txt")
    assert_every_prefix_fails(gzip.compress(text), world.tmp / "v.txt.gz",
                              lambda: word_vectors.load_word_vectors(world.tmp / "v.txt.gz"), "v.txt.gz")


def test_every_truncation_of_a_csv_table_is_caught(world):
    rows = ["label,x1,x2"] + [f"{i % 2},{i}.25,-{i}.5" for i in range(21)]
    text = ("\n".join(rows) + "\n").encode()
    path = world.data / "book-ch02" / "data.csv"
    _write(path, text)
    assert book_ch02.load_points()[0].shape == (21, 2)
    assert_every_prefix_fails(text, path, book_ch02.load_points, "data.csv")


def test_truncated_cifar_batch_files_and_pickles(world):
    folder = world.data / "cifar10" / cifar10.FOLDER
    folder.mkdir(parents=True)
    for number, name in enumerate(cifar10.BATCHES):
        (folder / name).write_bytes(pickle.dumps(cifar_batch(1, number), protocol=2))
    raw = (folder / "test_batch").read_bytes()
    for length in list(range(0, len(raw), 211)) + [len(raw) - 1]:
        (folder / "test_batch").write_bytes(raw[:length])
        with pytest.raises(CorruptDatasetError) as caught:
            cifar10.load_data()
        assert_clean_error(caught.value, "test_batch")


def test_truncated_alice_text_is_caught(world):
    story = "[Alice's Adventures in Wonderland by Lewis Carroll 1865]\n\n" + "words " * 50 + \
        "and the happy summer days.\n\n"
    path = _write(world.data / "text" / "carroll-alice.txt", story.encode())
    assert alice.load_text() == story
    path.write_text(story[: len(story) // 2])
    with pytest.raises(CorruptDatasetError, match="truncated") as caught:
        alice.load_text()
    assert_clean_error(caught.value, "carroll-alice.txt")


# -- crafted headers declaring huge sizes: refused before anything is allocated ----------------------

LIMIT = 24 << 20  # generous for the few MB these files really hold; the headers declare gigabytes


def assert_refused_cheaply(load, name, match=None):
    peak, error = peak_bytes(load)
    assert error is not None, "a crafted file was accepted"
    assert isinstance(error, CorruptDatasetError), f"{type(error).__name__}: {error}"
    assert_clean_error(error, name)
    if match is not None:
        assert any(word in str(error) for word in match.split("|")), str(error)
    assert peak < LIMIT, f"{peak / 1e6:.0f} MB allocated for a crafted {name}"


def test_idx_header_declaring_a_huge_shape(world):
    path = _write(world.tmp / "bomb-idx1.gz", gzip.compress((2049).to_bytes(4, "big") + (2**32 - 1).to_bytes(4, "big")))
    assert_refused_cheaply(lambda: read_idx_gz(path, 2049), "bomb-idx1.gz", "more than this file can hold")
    path = _write(world.tmp / "bomb-idx3.gz", gzip.compress(idx_bytes(np.zeros((0, 0, 0)), 2051)[:4] +
                                                            b"\xff\xff\xff\xff" * 3))
    assert_refused_cheaply(lambda: read_idx_gz(path, 2051), "bomb-idx3.gz", "more than this file can hold")


def test_gzip_bomb_in_place_of_an_mnist_file(world, small_mnist):
    """A small file whose data inflates by 40 MB: read exactly as far as the header says, no further."""
    name = _mnist_format.TRAIN_IMAGES
    raw = small_mnist.raw[name] + bytes(40 << 20)
    small_mnist.write(world.data / "mnist")
    (world.data / "mnist" / name).write_bytes(gzip.compress(raw, compresslevel=9))
    assert (world.data / "mnist" / name).stat().st_size < 100_000
    assert_refused_cheaply(mnist.load_data, name, "holds more")


def test_word2vec_header_declaring_a_huge_count(world):
    path = _write(world.tmp / "w2v.txt", b"99999999999 300\nthe " + b"0.1 " * 299 + b"0.1\n")
    assert_refused_cheaply(lambda: word_vectors.load_word_vectors(path), "w2v.txt", "header declares")
    path = _write(world.tmp / "w2v-dim.txt", b"1 999999999\nthe 0.1\n")
    assert_refused_cheaply(lambda: word_vectors.load_word_vectors(path), "w2v-dim.txt", "values per vector")


def test_gzipped_text_with_an_endless_line(world):
    """The probe's 400 KB gzip that inflated to 0.85 GB before the error: one line, no line break."""
    path = _write(world.tmp / "endless.txt.gz", gzip.compress(b"a" * (60 << 20), compresslevel=9))
    assert path.stat().st_size < 200_000
    assert_refused_cheaply(lambda: word_vectors.load_word_vectors(path), "endless.txt.gz", "longer than")


def npz_with_member(name, header_shape, dtype="<f8", payload=b"\0" * 8, compression=zipfile.ZIP_STORED):
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": dtype, "fortran_order": False, "shape": header_shape})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr(f"{name}.npy", member.getvalue() + payload)
    return buffer.getvalue()


def test_npz_array_header_declaring_a_huge_shape(world):
    path = _write(world.tmp / "huge.npz", npz_with_member("x", (10**12,)))
    assert_refused_cheaply(lambda: _archives.read_npz(path, {"x": lambda dtype, shape: None}), "huge.npz",
                           "declares shape")
    path = _write(world.tmp / "objects.npz", npz_with_member("x", (3,), dtype="|O"))
    assert_refused_cheaply(lambda: _archives.read_npz(path, {"x": lambda dtype, shape: None}), "objects.npz",
                           "never unpickles")


def test_zip_member_declaring_a_huge_size(world):
    """Patch the sizes in the zip's directory: refused from the directory, before inflating."""
    packed = bytearray(text8_zip(b"abc " * 1000))
    central = packed.rfind(b"PK\x01\x02")
    struct.pack_into("<I", packed, central + 24, 10**9)  # uncompressed size in the central directory
    path = _write(world.tmp / "text8.zip", bytes(packed))
    assert_refused_cheaply(lambda: text8.load_words(path), "text8.zip", "declares")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("text8", b" " * (120 << 20))  # more than text8's 10^8 characters
    path = _write(world.tmp / "bomb/text8.zip", bomb.getvalue())
    assert path.stat().st_size < 300_000
    assert_refused_cheaply(lambda: text8.load_words(path), "text8.zip", "declares")


def raw_tar_header(name, size_field, kind=b"0"):
    block = bytearray(512)
    block[:len(name)] = name
    block[100:108] = b"0000644\0"
    block[124:136] = size_field
    block[136:148] = b"00000000000\0"
    block[156:157] = kind
    block[257:263] = b"ustar\0"
    block[263:265] = b"00"
    block[148:156] = b" " * 8
    block[148:156] = f"{sum(block):06o}\0 ".encode()
    return bytes(block)


def test_tar_headers_declaring_huge_sizes(world, small_imdb):
    tar = gzip.decompress(small_imdb)
    body = tar[: -(-len(tar.rstrip(b"\0")) // 512) * 512]  # the members, without the end-of-archive blocks
    base256 = b"\x80" + (2**40).to_bytes(11, "big")
    cases = {
        "review": raw_tar_header(b"aclImdb/train/pos/9_7.txt", base256),
        "pax": raw_tar_header(b"././@PaxHeader", f"{850 << 20:011o}\0".encode(), kind=b"x"),
        "longname": raw_tar_header(b"././@LongLink", f"{850 << 20:011o}\0".encode(), kind=b"L"),
        "skipped": raw_tar_header(b"aclImdb/train/unsup/1_0.txt", base256),
    }
    for label, header in cases.items():
        path = _write(world.tmp / label / "aclImdb_v1.tar.gz", gzip.compress(body + header + b"x" * 512 + bytes(1024)))
        assert_refused_cheaply(lambda path=path: load_small_imdb(path), "aclImdb_v1.tar.gz",
                               "declares|truncated")


def test_tar_gz_bomb_is_stopped_at_the_datasets_maximum(world, small_imdb, monkeypatch):
    monkeypatch.setattr(imdb, "MAX_ARCHIVE_BYTES", 8 << 20)
    filler = tarfile.TarInfo("aclImdb/train/unsup/0_0.txt")
    filler.size = 40 << 20
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.addfile(filler, io.BytesIO(bytes(filler.size)))
    path = _write(world.tmp / "aclImdb_v1.tar.gz", buffer.getvalue())
    assert path.stat().st_size < 100_000
    assert_refused_cheaply(lambda: load_small_imdb(path), "aclImdb_v1.tar.gz", "inflates to more than")


@pytest.mark.parametrize("crafted", [
    b"\x80\x04\x8e" + struct.pack("<Q", 800_000_000) + b"abc.",  # BINBYTES8 declaring 800 MB
    b"\x80\x04\x8d" + struct.pack("<Q", 800_000_000) + b"abc.",  # BINUNICODE8
    b"\x80\x02]r" + struct.pack("<I", 2**31) + b".",  # LONG_BINPUT: a memo slot 2^31 up
    b"\x80\x04\x95" + struct.pack("<Q", 800_000_000) + b"N.",  # FRAME declaring 800 MB
    b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.",  # code execution
], ids=["bytes8", "unicode8", "memo", "frame", "os.system"])
def test_crafted_cifar_batches_are_refused_without_unpickling(world, crafted):
    folder = world.data / "cifar10" / cifar10.FOLDER
    folder.mkdir(parents=True)
    for number, name in enumerate(cifar10.BATCHES):
        (folder / name).write_bytes(pickle.dumps(cifar_batch(1, number), protocol=2))
    (folder / "data_batch_3").write_bytes(crafted)
    assert_refused_cheaply(cifar10.load_data, "data_batch_3")


def png_declaring(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("decoder", ["pillow", "matplotlib"])
def test_image_declaring_absurd_dimensions(world, decoder, monkeypatch):
    pytest.importorskip("PIL.Image", reason="Pillow decodes the images")
    if decoder == "matplotlib":
        monkeypatch.setattr(image_io, "_decode_with_pillow", lambda path, mode: (_ for _ in ()).throw(ImportError()))
    path = _write(world.tmp / "cls" / "a" / "bomb.png", png_declaring(100_000, 100_000))
    assert_refused_cheaply(lambda: image_io.load_img(path), "bomb.png", "declares")
    assert_refused_cheaply(lambda: image_folder.load_data(world.tmp / "cls"), "bomb.png", "declares")


def test_token_cache_declaring_a_huge_array_is_rebuilt(world, small_imdb):
    archive = _write(world.data / "imdb" / imdb.ARCHIVE, small_imdb)
    expected = imdb.load_data()
    cache_file = next((world.cache / "imdb").glob("*.npz"))
    cache_file.write_bytes(npz_with_member("train_tokens", (10**11,), dtype="<i4"))
    imdb._memo.clear()
    with pytest.warns(DatasetCacheWarning, match="token cache"):
        peak, error = peak_bytes(imdb.load_data)
    assert error is None and peak < LIMIT
    assert [list(x) for x in imdb.load_data()[0][0]] == [list(x) for x in expected[0][0]]
    assert archive.exists()


# -- altered but valid files ---------------------------------------------------------------------

def altered_labels(small_mnist):
    """The train labels with one label changed, compressed to exactly the original's size."""
    name = _mnist_format.TRAIN_LABELS
    original = small_mnist.arrays[name]
    for position in range(len(original)):
        for value in range(10):
            if value == original[position]:
                continue
            array = original.copy()
            array[position] = value
            packed = gzip.compress(idx_bytes(array, 2049), mtime=0)
            if len(packed) == len(small_mnist.packed[name]):
                return name, packed
    raise AssertionError("no same-size alteration found")


def test_altered_but_valid_mnist_in_the_data_dir_is_refused_and_kept(world, small_mnist):
    small_mnist.write(world.data / "mnist")
    name, altered = altered_labels(small_mnist)
    (world.data / "mnist" / name).write_bytes(altered)
    with pytest.raises(ChecksumMismatchError, match="decompressed contents") as caught:
        mnist.load_data()
    assert_clean_error(caught.value, name)
    assert (world.data / "mnist" / name).read_bytes() == altered  # never deleted


def test_recompressed_copy_is_accepted_by_its_contents(world, small_mnist):
    small_mnist.write(world.data / "mnist")
    for name, raw in small_mnist.raw.items():
        (world.data / "mnist" / name).write_bytes(gzip.compress(raw, compresslevel=1, mtime=12345))
    small_mnist.check(mnist.load_data())


def test_altered_but_valid_mnist_in_the_cache_is_replaced_with_a_warning(world, small_mnist):
    small_mnist.write(world.cache / "mnist")
    name, altered = altered_labels(small_mnist)
    (world.cache / "mnist" / name).write_bytes(altered)
    with pytest.warns(DatasetCacheWarning, match=f"{name}.*removed from minidl's cache and downloaded again"):
        small_mnist.check(mnist.load_data())
    assert world.requests == [URL + "mnist/" + name]
    assert (world.cache / "mnist" / name).read_bytes() == small_mnist.packed[name]


def test_altered_cached_file_offline_is_removed_and_reported(world, small_mnist, monkeypatch):
    monkeypatch.setenv("MINIDL_OFFLINE", "1")
    small_mnist.write(world.cache / "mnist")
    name, altered = altered_labels(small_mnist)
    (world.cache / "mnist" / name).write_bytes(altered)
    with pytest.raises(ChecksumMismatchError, match="removed from minidl's cache.*MINIDL_OFFLINE") as caught:
        mnist.load_data()
    assert_clean_error(caught.value, name)
    assert not (world.cache / "mnist" / name).exists()
    monkeypatch.delenv("MINIDL_OFFLINE")
    small_mnist.check(mnist.load_data())  # the next call recovers


def trusted_soon(monkeypatch):
    """Shorten the racy window (see _integrity) so that a test need not wait two seconds."""
    monkeypatch.setattr(_integrity, "RACY_SECONDS", 0.05)
    time.sleep(0.1)


def test_a_file_altered_after_it_was_verified_is_verified_again(world, small_mnist, monkeypatch):
    """The record vouches only while size and times are unchanged -- even a restored mtime."""
    folder = small_mnist.write(world.data / "mnist")
    trusted_soon(monkeypatch)
    small_mnist.check(mnist.load_data())
    record = json.loads((world.cache / _integrity.RECORD_NAME).read_text())
    assert len(record["files"]) == 4
    name, altered = altered_labels(small_mnist)
    target = folder / name
    stamp = target.stat()
    assert len(altered) == stamp.st_size  # same size, and the mtime is put back below
    target.write_bytes(altered)
    os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    with pytest.raises(ChecksumMismatchError):
        mnist.load_data()


def test_a_file_altered_right_after_verification_is_not_trusted(world, small_mnist):
    """Within the file system's timestamp granularity a rewrite can keep size and mtime: re-verify."""
    small_mnist.write(world.data / "mnist")
    small_mnist.check(mnist.load_data())
    name, altered = altered_labels(small_mnist)
    (world.data / "mnist" / name).write_bytes(altered)
    with pytest.raises(ChecksumMismatchError):
        mnist.load_data()


def test_the_record_saves_rehashing_old_files(world, small_mnist, monkeypatch):
    small_mnist.write(world.data / "mnist")
    trusted_soon(monkeypatch)
    small_mnist.check(mnist.load_data())

    def must_not_hash(*args):
        raise AssertionError("a file the record vouches for was hashed again")

    monkeypatch.setattr(_integrity, "sha256_of", must_not_hash)
    monkeypatch.setattr(_integrity, "gzip_content_sha256", must_not_hash)
    small_mnist.check(mnist.load_data())


def test_altered_npz_in_the_cache_is_downloaded_again(world, small_boston):
    packed, x, y = small_boston
    altered, _, _ = boston_npz(x=x + 1)
    _write(world.cache / "boston" / boston_housing.NPZ_FILE, altered)
    with pytest.warns(DatasetCacheWarning, match="SHA-256"):
        got_x, _, _ = boston_housing.load_arrays()
    np.testing.assert_array_equal(got_x, x)


def test_altered_imdb_archive_in_the_cache_is_replaced(world, small_imdb):
    spec = _resolve.DatasetSpec("imdb", (_resolve.RemoteFile(imdb.ARCHIVE, URL + "imdb.tgz", sha256(small_imdb)),))
    world.monkeypatch.setattr(imdb, "SPEC", spec)
    world.served[URL + "imdb.tgz"] = small_imdb
    altered = imdb_archive(text=lambda split, label, number: f"A {label} review {number}. Altered!")
    _write(world.cache / "imdb" / imdb.ARCHIVE, altered)
    with pytest.warns(DatasetCacheWarning, match="SHA-256"):
        index = imdb.get_word_index()
    assert "altered" not in index and "fine" in index
    assert (world.cache / "imdb" / imdb.ARCHIVE).read_bytes() == small_imdb
    assert len(list((world.cache / "imdb").glob("*.npz"))) == 1  # no token cache built from the altered copy


def test_repacked_imdb_archive_outside_the_cache_is_format_checked(world, small_imdb):
    """Like the development copy (no train/unsup): no published hash applies, the full parse does."""
    _write(world.data / "imdb" / imdb.ARCHIVE, imdb_archive(text=lambda *args: "Another packing, same layout."))
    assert "packing" in imdb.get_word_index()


# -- damaged caches recover on the next call, with a warning -------------------------------------

def damage_variants(good):
    return {
        "truncated": good[: len(good) // 2],
        "overwritten": b"garbage" * 10,
        "empty": b"",
        "flipped": flip(good, len(good) // 2, 3),
        "tail flipped": flip(good, len(good) - 30, 1),
    }


def test_every_kind_of_damaged_token_cache_is_rebuilt_with_a_warning(world, small_imdb):
    _write(world.data / "imdb" / imdb.ARCHIVE, small_imdb)
    expected = imdb.load_data(seed=1)
    cache_file = next((world.cache / "imdb").glob("*.npz"))
    good = cache_file.read_bytes()
    for label, damaged in damage_variants(good).items():
        cache_file.write_bytes(damaged)
        imdb._memo.clear()
        with pytest.warns(DatasetCacheWarning, match=f"{cache_file.name}.*rebuilt"):
            again = imdb.load_data(seed=1)
        assert [list(x) for x in again[0][0]] == [list(x) for x in expected[0][0]], label
        assert cache_file.read_bytes() == good, label  # rebuilt, byte for byte


def test_valid_token_cache_with_wrong_contents_is_rebuilt(world, small_imdb):
    _write(world.data / "imdb" / imdb.ARCHIVE, small_imdb)
    expected = imdb.get_word_index()
    cache_file = next((world.cache / "imdb").glob("*.npz"))
    with np.load(cache_file) as stored:
        arrays = dict(stored)
    wrong = {
        "token out of range": dict(arrays, train_tokens=arrays["train_tokens"] + 1000),
        "labels swapped": dict(arrays, test_labels=arrays["test_labels"][::-1].copy()),
        "lengths": dict(arrays, train_lengths=arrays["train_lengths"] + 1),
        "dtype": dict(arrays, train_tokens=arrays["train_tokens"].astype(np.float64)),
        "missing": {key: value for key, value in arrays.items() if key != "vocabulary"},
        "version": dict(arrays, format_version=np.array(99)),
    }
    for label, content in wrong.items():
        buffer = io.BytesIO()
        np.savez(buffer, **content)
        cache_file.write_bytes(buffer.getvalue())
        imdb._memo.clear()
        with pytest.warns(DatasetCacheWarning):
            assert imdb.get_word_index() == expected, label


def test_damaged_verification_record_is_rebuilt_with_a_warning(world, small_mnist):
    small_mnist.write(world.data / "mnist")
    small_mnist.check(mnist.load_data())
    record = world.cache / _integrity.RECORD_NAME
    good = record.read_bytes()
    for damaged in (good[: len(good) // 2], b"\xff\xfe garbage", b"[]", b'{"format": 1, "files": {"x": 3}}'):
        record.write_bytes(damaged)
        with pytest.warns(DatasetCacheWarning, match="verification record"):
            small_mnist.check(mnist.load_data())
        assert json.loads(record.read_text())["format"] == _integrity.RECORD_FORMAT


def test_damaged_downloads_in_the_cache_are_fetched_again(world, small_mnist, small_boston):
    small_mnist.write(world.cache / "mnist")
    name = _mnist_format.TEST_IMAGES
    for damaged in damage_variants(small_mnist.packed[name]).values():
        (world.cache / "mnist" / name).write_bytes(damaged)
        with pytest.warns(DatasetCacheWarning, match=name):
            small_mnist.check(mnist.load_data())
    packed, x, _ = small_boston
    for damaged in damage_variants(packed).values():
        _write(world.cache / "boston" / boston_housing.NPZ_FILE, damaged)
        with pytest.warns(DatasetCacheWarning, match=boston_housing.NPZ_FILE):
            np.testing.assert_array_equal(boston_housing.load_arrays()[0], x)


def test_user_files_are_never_deleted(world, small_boston, small_imdb):
    packed, _, _ = small_boston
    for path, load in ((world.data / "boston" / boston_housing.NPZ_FILE, boston_housing.load_arrays),
                       (world.data / "imdb" / imdb.ARCHIVE, imdb.load_data),
                       (world.tmp / "elsewhere" / imdb.ARCHIVE, lambda: imdb.load_data(path=world.tmp / "elsewhere" /
                                                                                           imdb.ARCHIVE))):
        _write(path, b"damaged")
        with pytest.raises(CorruptDatasetError) as caught:
            load()
        assert_clean_error(caught.value, path.name)
        assert path.read_bytes() == b"damaged"


# -- missing files: one clear exception, nothing left behind -------------------------------------

MISSING_LOADERS = {
    "mnist": mnist.load_data,
    "imdb": imdb.load_data,
    "cifar10": cifar10.load_data,
    "boston": boston_housing.load_data,
    "alice": alice.load_text,
    "sonar": sonar.load_data,
    "book": book_ch02.load_points,
    "stocks": lambda: stocks.load_prices("IBM"),
    "text8": text8.load_words,
    "amazon": amazon_fine_food.load_reviews,
    "reviews": review_csv.load_amazon_reviews,
}


@pytest.mark.parametrize("loader", sorted(MISSING_LOADERS))
def test_missing_dataset_is_one_exception_without_chained_noise(world, loader):
    with pytest.raises(DatasetNotFoundError) as caught:
        MISSING_LOADERS[loader]()
    error = caught.value
    assert_clean_error(error, "not found")
    assert isinstance(error, FileNotFoundError)
    assert minidl.datasets.DatasetNotFoundError is errors.DatasetNotFoundError
    lines = str(error).splitlines()
    failures = [line for line in lines if line.startswith("The download of")]
    assert len(failures) <= 1 and all("Temporary failure in name resolution" in line for line in failures)
    assert len("".join(traceback.format_exception(error)).splitlines()) < 40
    assert world.folders_in_cache() == [] and world.files_in_cache() == []


def test_missing_user_paths_name_the_path(world):
    nowhere = world.tmp / "nowhere"
    cases = [
        lambda: imdb.load_data(path=nowhere / "aclImdb_v1.tar.gz"),
        lambda: word_vectors.load_word_vectors(nowhere / "v.txt"),
        lambda: word_vectors.load_word_vectors(nowhere / "v.txt.gz"),
        lambda: KeyedVectors.load_word2vec_format(nowhere / "v.txt"),
        lambda: text8.load_words(nowhere / "text8.zip"),
        lambda: text8.load_words(nowhere / "text8"),
        lambda: amazon_fine_food.load_reviews(nowhere / "Reviews.csv"),
        lambda: review_csv.read_review_csv(nowhere / "r.csv"),
        lambda: image_io.load_img(nowhere / "a.png"),
        lambda: image_folder.load_data(nowhere),
        lambda: nltk_corpora.brown_sents(root=nowhere),
    ]
    for case in cases:
        with pytest.raises(DatasetNotFoundError) as caught:
            case()
        assert_clean_error(caught.value, "nowhere")


def test_failed_download_leaves_no_folder_and_is_one_line(world, small_mnist):
    world.served.clear()
    with pytest.raises(DatasetNotFoundError) as caught:
        mnist.load_data()
    failures = [line for line in str(caught.value).splitlines() if line.startswith("The download of")]
    assert len(failures) == 1 and "URLError" in failures[0]
    assert world.folders_in_cache() == [] and world.files_in_cache() == []
    world.served[URL + "mnist/" + _mnist_format.TRAIN_IMAGES] = b"wrong bytes"
    with pytest.raises(ChecksumMismatchError) as caught:
        mnist.load_data()
    assert_clean_error(caught.value, _mnist_format.TRAIN_IMAGES)
    assert world.folders_in_cache() == [] and world.files_in_cache() == []


# -- every file error, from every loader, is one of minidl's classes naming the file -------------

def garbage_cases(world):
    data = world.data

    def at(relative, content=b"\x00\xffnot what you expect\n" * 3):
        return _write(data / relative, content)

    return [
        (lambda: [at(f"mnist/{name}") for name in _mnist_format.FILENAMES][0], mnist.load_data),
        (lambda: at("imdb/aclImdb_v1.tar.gz"), imdb.load_data),
        (lambda: at("cifar10/cifar-10-python.tar.gz"), cifar10.load_data),
        (lambda: at("cifar10/cifar-10-batches-py/data_batch_1"), cifar10.load_data),
        (lambda: at("boston/housing.csv"), boston_housing.load_data),
        (lambda: at("boston/housing.csv", "CRIM,ZN\n1,2\n".encode()), boston_housing.load_data),
        (lambda: at("sonar/sonar.csv"), sonar.load_data),
        (lambda: at("sonar/sonar.csv", b'"unterminated,1\n'), sonar.load_data),
        (lambda: at("book-ch02/data.csv", b"label,x1,x2\n1,2,nan\n"), book_ch02.load_points),
        (lambda: at("book-ch02/iris.csv", b"a,b,c,d,species\n" + b"1,2,3,4,7\n" * 150), book_ch02.load_iris),
        (lambda: at("stocks/IBM.csv", b"Date,Close\n13/45/2020,1\n"), lambda: stocks.load_prices("IBM")),
        (lambda: at("text/carroll-alice.txt"), alice.load_text),
        (lambda: at("text8/text8"), text8.load_words),
        (lambda: (data / "text8" / "text8").unlink() or at("text8/text8.zip"), text8.load_words),
        (lambda: at("amazon-fine-food/Reviews.csv"), amazon_fine_food.load_reviews),
        (lambda: at("amazon-reviews/Amazon_reviews_train.csv", b"review_text,label\nx,1\n") and
         at("amazon-reviews/Amazon_reviews_test.csv", b"review_text,label\nx,\x00\n"), review_csv.load_amazon_reviews),
        (lambda: at("v.txt.gz"), lambda: word_vectors.load_word_vectors(data / "v.txt.gz")),
        (lambda: at("v.txt", b"a 1 2\nb nan 3\n"), lambda: KeyedVectors.load_word2vec_format(data / "v.txt")),
        (lambda: at("img/cat/x.png"), lambda: image_folder.load_data(data / "img")),
        (lambda: at("brown/cats.txt", b"ca01 news\n"), lambda: nltk_corpora.brown_sents(root=data / "brown")),
        (lambda: at("brown2/cats.txt", b"../../etc/passwd news\n"), lambda: nltk_corpora.brown_sents(root=data / "brown2")),
    ]


def test_every_loader_reports_a_bad_file_by_name_as_a_minidl_error(world, monkeypatch):
    monkeypatch.setenv("MINIDL_OFFLINE", "1")
    for number, (make, load) in enumerate(garbage_cases(world)):
        path = make()
        with pytest.raises(MinidlError) as caught:
            load()
        assert isinstance(caught.value, (CorruptDatasetError, DatasetNotFoundError)), (number, caught.value)
        assert_clean_error(caught.value, path.parent.name if "brown" in str(path) else path.name)


def test_a_folder_in_place_of_a_file(world):
    (world.tmp / "v.txt").mkdir()
    (world.tmp / "text8.zip").mkdir()
    for load, name in ((lambda: word_vectors.load_word_vectors(world.tmp / "v.txt"), "v.txt"),
                       (lambda: text8.load_words(world.tmp / "text8.zip"), "text8.zip"),
                       (lambda: image_io.load_img(world.tmp / "v.txt"), "v.txt")):
        with pytest.raises(CorruptDatasetError) as caught:
            load()
        assert_clean_error(caught.value, name)


# -- hostile archive members stay ignored; nothing is unpickled or extracted ------------------------

def test_hostile_tar_members_are_ignored(world, small_imdb):
    def info(name, kind, linkname=""):
        member = tarfile.TarInfo(name)
        member.type, member.linkname = kind, linkname
        return member, None

    evil = tarfile.TarInfo("../../outside.txt")
    evil.size = 4
    extra = [
        info("aclImdb/train/pos/77_7.txt", tarfile.SYMTYPE, "/etc/passwd"),
        info("aclImdb/train/neg/78_7.txt", tarfile.LNKTYPE, "aclImdb/train/neg/0_7.txt"),
        info("aclImdb/test/pos/79_7.txt", tarfile.CHRTYPE),
        info("aclImdb/test/neg/80_7.txt", tarfile.FIFOTYPE),
        info("aclImdb/test/neg/81_7.txt", tarfile.DIRTYPE),
        (evil, b"evil"),
    ]
    long_name = tarfile.TarInfo("aclImdb/train/unsup/" + "x" * 150 + ".txt")  # a GNU long-name header
    long_name.size = 3
    extra.append((long_name, b"abc"))
    archive = _write(world.tmp / "in" / imdb.ARCHIVE, imdb_archive(extra=extra))
    before = sorted(world.tmp.rglob("*"))
    (x_train, _), (x_test, _) = imdb.load_data(path=archive)
    assert len(x_train) == 4 and len(x_test) == 4
    created = sorted(set(world.tmp.rglob("*")) - set(before))
    assert all(world.cache in path.parents or path == world.cache for path in created), created


def test_pax_headers_are_followed_and_duplicates_refused(world, small_imdb):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for split in ("train", "test"):
            for label in ("neg", "pos"):
                for number in range(2):
                    data = f"pax review {number} ünïcode".encode()
                    member = tarfile.TarInfo(f"aclImdb/{split}/{label}/{number}_7.txt")
                    member.size = len(data)
                    member.pax_headers = {"comment": "x" * 300}
                    archive.addfile(member, io.BytesIO(data))
    path = _write(world.tmp / "pax" / imdb.ARCHIVE, buffer.getvalue())
    assert "ünïcode" in imdb.get_word_index(path=path)
    twice = tarfile.TarInfo("aclImdb/test/pos/1_9.txt")
    twice.size = 1
    path = _write(world.tmp / "dup" / imdb.ARCHIVE, imdb_archive(extra=[(twice, b"x")]))
    with pytest.raises(CorruptDatasetError, match="twice"):
        load_small_imdb(path)


def test_code_in_a_cifar_pickle_never_runs(world, tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    batches = {name: pickle.dumps(cifar_batch(1, number), protocol=2) for number, name in enumerate(cifar10.BATCHES)}
    batches["test_batch"] = pickle.dumps({b"data": Evil(), b"labels": [1]}, protocol=2)
    _write(world.data / "cifar10" / cifar10.ARCHIVE, cifar_archive(batches=batches))
    with pytest.raises(CorruptDatasetError, match="refusing") as caught:
        cifar10.load_data()
    assert_clean_error(caught.value, cifar10.ARCHIVE)
    assert not marker.exists()


def test_cifar_batch_contents_are_validated(world):
    def batch(changes):
        content = cifar_batch(2, 0)
        content.update(changes)
        return pickle.dumps(content, protocol=2)

    cases = {
        "labels": batch({b"labels": [3, 12]}),
        "label type": batch({b"labels": ["a", "b"]}),
        "count": batch({b"labels": [3]}),
        "dtype": batch({b"data": np.zeros((2, 3072), dtype=np.int64) + 300}),
        "shape": batch({b"data": np.zeros((2, 100), dtype=np.uint8)}),
        "not a dict": pickle.dumps([1, 2, 3], protocol=2),
    }
    for raw in cases.values():
        batches = {name: pickle.dumps(cifar_batch(2, n), protocol=2) for n, name in enumerate(cifar10.BATCHES)}
        batches["data_batch_2"] = raw
        _write(world.data / "cifar10" / cifar10.ARCHIVE, cifar_archive(batches=batches))
        with pytest.raises(CorruptDatasetError, match="data_batch_2") as caught:
            cifar10.load_data()
        assert_clean_error(caught.value, cifar10.ARCHIVE)


# -- two processes at once ---------------------------------------------------------------------------

RACE_SCRIPT = textwrap.dedent("""
    import hashlib, os, pathlib, sys, time
    go = pathlib.Path(sys.argv[1])
    while not go.exists():
        time.sleep(0.001)
    from minidl.datasets import imdb, _resolve
    imdb.REVIEWS_PER_FOLDER = 2
    task = sys.argv[2]
    if task == "imdb":
        (x, y), (xt, yt) = imdb.load_data(seed=3)
        print(hashlib.sha256(repr(([list(s) for s in x], y.tolist(), [list(s) for s in xt])).encode()).hexdigest())
    else:
        spec = _resolve.DatasetSpec("toy", (_resolve.RemoteFile("toy.bin", sys.argv[3], sys.argv[4]),))
        path = _resolve.resolve(spec)["toy.bin"]
        print(hashlib.sha256(path.read_bytes()).hexdigest())
""")


def run_two_at_once(world, *args):
    go = world.tmp / f"go-{args[0]}"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    processes = [subprocess.Popen([sys.executable, "-c", RACE_SCRIPT, str(go), *args], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    time.sleep(1.0)  # both have started and wait for the signal
    go.touch()
    results = [process.communicate(timeout=120) for process in processes]
    for process, (_out, err) in zip(processes, results):
        assert process.returncode == 0, err
    return [out.strip() for out, _err in results]


def test_two_processes_build_the_same_token_cache_at_once(world, small_imdb):
    _write(world.data / "imdb" / imdb.ARCHIVE, small_imdb)
    outputs = run_two_at_once(world, "imdb")
    imdb._memo.clear()
    (x, y), (xt, _) = imdb.load_data(seed=3)
    expected = hashlib.sha256(repr(([list(s) for s in x], y.tolist(), [list(s) for s in xt])).encode()).hexdigest()
    assert outputs == [expected, expected]
    assert [path.name for path in (world.cache / "imdb").iterdir()] == [next((world.cache / "imdb").glob("*.npz")).name]


def test_two_processes_download_the_same_file_at_once(world):
    payload = os.urandom(3 << 20)
    source = _write(world.tmp / "server" / "toy.bin", payload)
    outputs = run_two_at_once(world, "download", source.as_uri(), sha256(payload))
    assert outputs == [sha256(payload)] * 2
    assert world.files_in_cache() in (["toy/toy.bin"], ["toy/toy.bin", _integrity.RECORD_NAME])


# -- the real development copies still load and verify ---------------------------------------------

needs_real_data = pytest.mark.skipif(not (REAL_DATA / "mnist").is_dir(), reason=f"no development data at {REAL_DATA}")


@needs_real_data
def test_real_mnist_and_fashion_verify_by_their_contents(tmp_path, monkeypatch):
    from minidl.datasets import fashion_mnist

    monkeypatch.setenv("MINIDL_DATA_DIR", str(REAL_DATA))
    monkeypatch.setenv("MINIDL_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MINIDL_OFFLINE", "1")
    mnist.load_data()
    fashion_mnist.load_data()
    record = json.loads((tmp_path / _integrity.RECORD_NAME).read_text())["files"]
    verdicts = {pathlib.Path(path).parent.name + "/" + pathlib.Path(path).name: entry["verdict"]
                for path, entry in record.items()}
    assert len(verdicts) == 8
    assert set(verdicts.values()) == {_integrity.VERDICT_CONTENT_HASH}
    monkeypatch.setattr(_integrity, "gzip_content_sha256", lambda *args: pytest.fail("re-hashed a recorded file"))
    (_, y_train), _ = mnist.load_data()
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


# -- fuzzed headers: any declared size gives the right data or a clean error, never a big allocation --

def outcome(load, name):
    """Run ``load`` under tracemalloc; a failure must be a clean CorruptDatasetError naming ``name``."""
    peak, error = peak_bytes(load)
    assert peak < LIMIT, f"{peak / 1e6:.0f} MB allocated"
    if error is not None:
        assert isinstance(error, CorruptDatasetError), f"{type(error).__name__}: {error}"
        assert_clean_error(error, name)
    return error


@settings(max_examples=80, deadline=None)
@given(magic=st.sampled_from([2049, 2051, 2050, 0]), dims=st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=3),
       body=st.integers(0, 3000))
def test_fuzzed_idx_headers(world, magic, dims, body):
    raw = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + bytes(body)
    path = _write(world.tmp / "fuzz.gz", gzip.compress(raw))
    result = {}
    error = outcome(lambda: result.setdefault("array", read_idx_gz(path, 2051 if magic == 2051 else 2049)), "fuzz.gz")
    expected_magic = 2051 if magic == 2051 else 2049
    ndim = 3 if expected_magic == 2051 else 1
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    valid = magic == expected_magic and len(raw) >= header and len(raw) == header + int(np.prod(shape, dtype=object))
    assert (error is None) == valid, error
    if valid:
        assert result["array"].shape == shape and result["array"].tobytes() == raw[header:]


@settings(max_examples=80, deadline=None)
@given(shape=st.lists(st.integers(0, 2**40), min_size=0, max_size=3),
       dtype=st.sampled_from(["<f8", "<i4", "|u1", ">f4", "|O", "<U5", "|V3"]), payload=st.integers(0, 400),
       deflate=st.booleans())
def test_fuzzed_npy_headers_in_npz(world, shape, dtype, payload, deflate):
    packed = npz_with_member("x", tuple(shape), dtype=dtype, payload=bytes(payload),
                             compression=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)
    path = _write(world.tmp / "fuzz.npz", packed)
    result = {}
    error = outcome(lambda: result.setdefault("x", _archives.read_npz(path, {"x": lambda d, s: None})["x"]), "fuzz.npz")
    if error is None:
        assert result["x"].shape == tuple(shape) and result["x"].nbytes == payload


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from([b"aclImdb/train/pos/5_7.txt", b"aclImdb/x", b"././@PaxHeader", b"././@LongLink"]),
       kind=st.sampled_from([b"0", b"x", b"g", b"L", b"K", b"S", b"2", b"5", b"Z"]),
       size=st.one_of(st.integers(0, 4096), st.integers(0, 2**60)), tail=st.integers(0, 3000))
def test_fuzzed_tar_headers(world, small_imdb, name, kind, size, tail):
    tar = gzip.decompress(small_imdb)
    body = tar[: -(-len(tar.rstrip(b"\0")) // 512) * 512]
    field = f"{size:011o}\0".encode() if size < 8**11 else b"\x80" + size.to_bytes(11, "big")
    crafted = body + raw_tar_header(name, field, kind) + b"7 path=\n" * (tail // 8) + bytes(-(tail // 8 * 8) % 512)
    path = _write(world.tmp / "fuzz" / imdb.ARCHIVE, gzip.compress(crafted + bytes(1024)))
    outcome(lambda: load_small_imdb(path), imdb.ARCHIVE)


@settings(max_examples=60, deadline=None)
@given(header=st.tuples(st.integers(0, 10**15), st.integers(0, 10**9)), lines=st.integers(0, 4))
def test_fuzzed_word2vec_headers(world, header, lines):
    text = f"{header[0]} {header[1]}\n" + "".join(f"w{i} 1 2 3\n" for i in range(lines))
    path = _write(world.tmp / "fuzz.txt", text.encode())
    result = {}
    error = outcome(lambda: result.setdefault("v", word_vectors.load_word_vectors(path)), "fuzz.txt")
    if error is None:
        assert header == (lines, 3) and result["v"][1].shape == (lines, 3)


@settings(max_examples=80, deadline=None)
@given(raw=st.binary(max_size=300))
def test_fuzzed_cifar_pickles(world, raw):
    folder = world.data / "cifar10" / cifar10.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(cifar10.BATCHES):
        (folder / name).write_bytes(pickle.dumps(cifar_batch(1, number), protocol=2))
    (folder / "test_batch").write_bytes(b"\x80\x02" + raw)
    outcome(cifar10.load_data, "test_batch")


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from([16, 20, 24, 28, 30, 42]), value=st.integers(0, 2**32 - 1))
def test_fuzzed_zip_directory_fields(world, field, value):
    """Sizes, CRC, name length and offset in the zip's central directory, set to anything."""
    packed = bytearray(text8_zip(b"abc " * 500))
    central = packed.rfind(b"PK\x01\x02")
    width = 2 if field in (28, 30) else 4
    packed[central + field: central + field + width] = value.to_bytes(8, "little")[:width]
    path = _write(world.tmp / "text8.zip", bytes(packed))
    result = {}
    error = outcome(lambda: result.setdefault("words", text8.load_words(path)), "text8.zip")
    if error is None:
        assert result["words"] == ["abc"] * 500


# -- downloads -------------------------------------------------------------------------------------

def test_a_download_that_sends_more_than_announced_leaves_nothing(world, monkeypatch):
    def chatty(url, timeout):
        response = io.BytesIO(b"hello world and more")
        response.headers = {"Content-Length": "11"}
        return response

    monkeypatch.setattr(_resolve, "open_url", chatty)
    spec = _resolve.DatasetSpec("toy", (_resolve.RemoteFile("toy.bin", URL + "toy.bin", sha256(b"hello world")),))
    with pytest.raises(CorruptDatasetError, match="more than the 11 bytes"):
        _resolve.resolve(spec)
    assert world.folders_in_cache() == [] and world.files_in_cache() == []


def test_an_interrupted_download_leaves_nothing(world, monkeypatch):
    class Interrupted(io.BytesIO):
        headers = {"Content-Length": "100"}

        def read(self, size=-1):
            raise KeyboardInterrupt

    monkeypatch.setattr(_resolve, "open_url", lambda url, timeout: Interrupted())
    spec = _resolve.DatasetSpec("toy", (_resolve.RemoteFile("toy.bin", URL + "toy.bin", sha256(b"x")),))
    with pytest.raises(KeyboardInterrupt):
        _resolve.resolve(spec)
    assert world.folders_in_cache() == [] and world.files_in_cache() == []


def test_a_cache_inside_the_data_dir_never_deletes_data(world, small_mnist, monkeypatch):
    monkeypatch.setenv("MINIDL_CACHE_DIR", str(world.data))
    small_mnist.write(world.data / "mnist")
    name, altered = altered_labels(small_mnist)
    (world.data / "mnist" / name).write_bytes(altered)
    with pytest.raises(ChecksumMismatchError):
        mnist.load_data()
    assert (world.data / "mnist" / name).read_bytes() == altered


def test_a_cache_folder_linked_to_user_files_is_not_deleted(world, small_mnist):
    own = small_mnist.write(world.tmp / "my-mnist")
    name, altered = altered_labels(small_mnist)
    (own / name).write_bytes(altered)
    world.cache.mkdir()
    (world.cache / "mnist").symlink_to(own)
    with pytest.raises(ChecksumMismatchError):
        mnist.load_data()
    assert (own / name).read_bytes() == altered
