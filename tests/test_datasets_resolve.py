"""Dataset file resolution: search order, safe downloads, clear errors, corrupt files."""

import gzip
import hashlib
import io
import os
import urllib.error

import numpy as np
import pytest

from minidl.datasets import DatasetCacheWarning, _resolve, fashion_mnist, mnist
from minidl.datasets._formats import read_idx_gz
from minidl.datasets._resolve import (
    ChecksumMismatchError,
    CorruptDatasetError,
    DatasetNotFoundError,
    DatasetSpec,
    RemoteFile,
    resolve,
)


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """Empty data and cache folders; downloads go to a fake opener that fails unless replaced."""
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    cache.mkdir()
    monkeypatch.setenv("MINIDL_DATA_DIR", str(data))
    monkeypatch.setenv("MINIDL_CACHE_DIR", str(cache))
    monkeypatch.delenv("MINIDL_OFFLINE", raising=False)

    def offline(url, timeout):
        raise urllib.error.URLError("network is unreachable (test)")

    monkeypatch.setattr(_resolve, "open_url", offline)
    return data, cache


class FakeResponse(io.BytesIO):
    """What urlopen returns, enough for the downloader: read(), headers, a context manager."""

    def __init__(self, payload, declared_length=None):
        super().__init__(payload)
        length = len(payload) if declared_length is None else declared_length
        self.headers = {"Content-Length": str(length)}


def serve(monkeypatch, payload, declared_length=None):
    calls = []

    def opener(url, timeout):
        calls.append(url)
        return FakeResponse(payload, declared_length)

    monkeypatch.setattr(_resolve, "open_url", opener)
    return calls


def idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


SMALL = DatasetSpec(name="toy", files=(RemoteFile("toy.bin", "https://example.org/toy.bin",
                                                  hashlib.sha256(b"hello world").hexdigest()),))


def leftovers(folder):
    return sorted(path.name for path in folder.rglob("*") if path.is_file())


def test_data_dir_wins_over_cache(dirs):
    data, cache = dirs
    for root in (data, cache):
        (root / "toy").mkdir()
        (root / "toy" / "toy.bin").write_bytes(b"hello world")
    assert resolve(SMALL)["toy.bin"] == data / "toy" / "toy.bin"
    os.remove(data / "toy" / "toy.bin")
    assert resolve(SMALL)["toy.bin"] == cache / "toy" / "toy.bin"


def test_system_dir_is_searched(dirs, tmp_path):
    system = tmp_path / "usr-share"
    system.mkdir()
    (system / "toy.bin").write_bytes(b"hello world")
    spec = DatasetSpec(name="toy", files=SMALL.files, system_dirs=(str(system),))
    assert resolve(spec)["toy.bin"] == system / "toy.bin"


def test_fashion_mnist_knows_debians_folder():
    assert "/usr/share/datasets/fashion-mnist" in fashion_mnist.SPEC.system_dirs


def test_download_lands_atomically_in_cache(dirs, monkeypatch):
    _data, cache = dirs
    calls = serve(monkeypatch, b"hello world")
    path = resolve(SMALL)["toy.bin"]
    assert calls == ["https://example.org/toy.bin"]
    assert path == cache / "toy" / "toy.bin"
    assert path.read_bytes() == b"hello world"
    assert leftovers(cache) == ["toy.bin", "verified-files.json"]
    resolve(SMALL)  # found in the cache now: no second download
    assert len(calls) == 1


def test_checksum_mismatch_leaves_nothing(dirs, monkeypatch):
    _data, cache = dirs
    serve(monkeypatch, b"hello w0rld")
    with pytest.raises(ChecksumMismatchError, match="SHA-256") as caught:
        resolve(SMALL)
    assert "https://example.org/toy.bin" in str(caught.value)
    assert leftovers(cache) == []


def test_short_download_leaves_nothing(dirs, monkeypatch):
    _data, cache = dirs
    serve(monkeypatch, b"hello", declared_length=11)
    with pytest.raises(CorruptDatasetError, match="5 of 11 bytes"):
        resolve(SMALL)
    assert leftovers(cache) == []


def test_interrupted_download_leaves_nothing(dirs, monkeypatch):
    _data, cache = dirs

    class Broken(FakeResponse):
        def read(self, size=-1):
            if self.tell() > 0:
                raise ConnectionResetError("connection reset (test)")
            return super().read(4)

    monkeypatch.setattr(_resolve, "open_url", lambda url, timeout: Broken(b"hello world"))
    with pytest.raises(DatasetNotFoundError, match="connection reset"):
        resolve(SMALL)
    assert leftovers(cache) == []


def test_missing_offline_names_files_folder_and_url(dirs):
    data, _cache = dirs
    with pytest.raises(DatasetNotFoundError) as caught:
        mnist.load_data()
    message = str(caught.value)
    for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert name in message
    assert str(data / "mnist") in message
    assert "https://" in message and "train-images-idx3-ubyte.gz" in message
    assert isinstance(caught.value, FileNotFoundError)


def test_minidl_offline_skips_the_network(dirs, monkeypatch):
    monkeypatch.setenv("MINIDL_OFFLINE", "1")
    calls = serve(monkeypatch, b"hello world")
    with pytest.raises(DatasetNotFoundError, match="MINIDL_OFFLINE"):
        resolve(SMALL)
    assert calls == []


def test_file_without_published_checksum_is_never_downloaded(dirs, monkeypatch):
    calls = serve(monkeypatch, b"anything")
    spec = DatasetSpec(name="toy", files=(RemoteFile("toy.csv", "https://example.org/toy.csv", None),))
    with pytest.raises(DatasetNotFoundError, match="toy.csv"):
        resolve(spec)
    assert calls == []


def write_mnist_folder(folder, train=60000, test=10000, broken=None):
    """A format-valid MNIST folder of zeros; ``broken`` names a file to truncate."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "train-images-idx3-ubyte.gz": idx_bytes(np.zeros((train, 28, 28)), 2051),
        "train-labels-idx1-ubyte.gz": idx_bytes(np.arange(train) % 10, 2049),
        "t10k-images-idx3-ubyte.gz": idx_bytes(np.zeros((test, 28, 28)), 2051),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(np.arange(test) % 10, 2049),
    }
    for name, raw in contents.items():
        packed = gzip.compress(raw, compresslevel=1)
        if name == broken:
            packed = packed[: len(packed) // 2]
        (folder / name).write_bytes(packed)


def test_truncated_idx_in_data_dir_is_reported_by_name(dirs):
    data, cache = dirs
    write_mnist_folder(data / "mnist", broken="train-labels-idx1-ubyte.gz")
    with pytest.raises(CorruptDatasetError, match="train-labels-idx1-ubyte.gz"):
        mnist.load_data()
    assert (data / "mnist" / "train-labels-idx1-ubyte.gz").exists()  # user files are never deleted
    assert leftovers(cache) == []


def test_corrupt_file_in_cache_is_removed(dirs):
    _data, cache = dirs
    write_mnist_folder(cache / "mnist", broken="t10k-images-idx3-ubyte.gz")
    with pytest.raises(CorruptDatasetError, match="t10k-images-idx3-ubyte.gz.*removed from minidl's cache"):
        mnist.load_data()
    assert "t10k-images-idx3-ubyte.gz" not in leftovers(cache)


def test_wrong_count_is_reported(dirs):
    data, _cache = dirs
    write_mnist_folder(data / "mnist", train=60000, test=9999)
    with pytest.raises(CorruptDatasetError, match="9999 items, expected 10000"):
        mnist.load_data()


def test_idx_checks(tmp_path):
    good = tmp_path / "labels.gz"
    good.write_bytes(gzip.compress(idx_bytes(np.arange(5), 2049)))
    assert read_idx_gz(good, 2049, 5).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(CorruptDatasetError, match="magic number 2049, expected 2051"):
        read_idx_gz(good, 2051)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(idx_bytes(np.arange(5), 2049)[:-1]))
    with pytest.raises(CorruptDatasetError, match="short.gz.*holds 12 bytes"):
        read_idx_gz(short, 2049)
    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(b"this is not gzip at all")
    with pytest.raises(CorruptDatasetError, match="garbage.gz"):
        read_idx_gz(garbage, 2049)


def test_downloaded_mnist_is_verified_then_used(dirs, monkeypatch):
    """A download with the right checksum but a bad format is removed from the cache again."""
    _data, cache = dirs
    payload = gzip.compress(b"not an idx file")
    digest = hashlib.sha256(payload).hexdigest()
    spec = DatasetSpec(name="mnist", files=tuple(
        RemoteFile(remote.filename, remote.url, digest) for remote in mnist.SPEC.files))
    serve(monkeypatch, payload)
    from minidl.datasets._mnist_format import load_idx_dataset
    with pytest.warns(DatasetCacheWarning, match="downloaded again"), \
            pytest.raises(CorruptDatasetError, match="magic number.*a fresh download has the same problem"):
        load_idx_dataset(spec)
    assert "train-images-idx3-ubyte.gz" not in leftovers(cache)


def test_a_download_draws_the_progress_bar_on_its_stream(tmp_path, monkeypatch):
    """The download's bar is minidl's one progress bar (minidl.progbar), counting megabytes; on a
    stream that is not a terminal only the finished line is written."""
    payload = bytes(2_500_000)
    serve(monkeypatch, payload, declared_length=len(payload))
    stream = io.StringIO()
    _resolve.download("https://example.org/big.bin", tmp_path / "big.bin", hashlib.sha256(payload).hexdigest(),
                      progress_stream=stream)
    assert stream.getvalue().startswith("\rDownloading big.bin 2.5/2.5 MB [==============================] - ")
    assert stream.getvalue().count("\n") == 1 and (tmp_path / "big.bin").read_bytes() == payload


