"""IMDB built from the raw aclImdb archive: Keras's load_data contract, caching, bad archives."""

import io
import os
import pathlib
import tarfile
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minidl.datasets import DatasetCacheWarning, imdb
from minidl.errors import CorruptDatasetError

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA_DIR = pathlib.Path(os.environ.get("MINIDL_DATA_DIR") or REPO_ROOT.parent / "shared" / "data").resolve()
HAS_IMDB = (DATA_DIR / "imdb" / imdb.ARCHIVE).is_file()
needs_imdb = pytest.mark.skipif(not HAS_IMDB, reason=f"IMDB archive not found under {DATA_DIR}")


@pytest.fixture(scope="module")
def imdb_env(request, tmp_path_factory):
    """Real data, no network, and a parse cache kept in pytest's own cache folder (never the
    user's ~/.minidl), so the archive is parsed once, not on every test run."""
    if getattr(request.config, "cache", None) is not None:
        cache = request.config.cache.mkdir("minidl-datasets-cache")
    else:  # pytest -p no:cacheprovider
        cache = tmp_path_factory.mktemp("imdb-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINIDL_DATA_DIR", str(DATA_DIR))
        patch.setenv("MINIDL_CACHE_DIR", str(cache))
        patch.setenv("MINIDL_OFFLINE", "1")
        yield cache


@pytest.fixture(scope="module")
def keras_default(imdb_env):
    return imdb.load_data(num_words=10000)


@needs_imdb
def test_load_data_num_words_10000(keras_default):
    (x_train, y_train), (x_test, y_test) = keras_default
    assert x_train.shape == (25000,) and x_test.shape == (25000,)
    assert x_train.dtype == object and x_test.dtype == object
    assert y_train.dtype == np.int64 and y_train.shape == (25000,)
    assert y_train.sum() == 12500 and y_test.sum() == 12500
    for sequences in (x_train, x_test):
        assert all(isinstance(sequence, list) for sequence in sequences)
        assert all(sequence[0] == 1 for sequence in sequences)
        assert max(max(sequence) for sequence in sequences) < 10000
        assert min(min(sequence) for sequence in sequences) >= 1
    assert type(x_train[0][1]) is int
    lengths = np.array([len(sequence) for sequence in x_train])
    assert 200 < lengths.mean() < 280  # Keras's imdb.npz: mean about 239


@needs_imdb
def test_cache_file_written_and_reused(imdb_env, keras_default):
    cached = list((imdb_env / "imdb").glob("aclImdb_v1.tokens-*.npz"))
    assert len(cached) == 1
    assert [path.name for path in (imdb_env / "imdb").iterdir() if path.name.startswith(".")] == []
    imdb._memo.clear()
    started = time.perf_counter()
    (x_again, _), _ = imdb.load_data(num_words=10000)
    assert time.perf_counter() - started < 10
    assert x_again[0] == keras_default[0][0][0]


@needs_imdb
def test_word_index_ranks_by_frequency(imdb_env):
    index = imdb.get_word_index()
    assert index["the"] == 1 and index["and"] == 2 and index["a"] == 3
    assert sorted(index.values()) == list(range(1, len(index) + 1))
    assert "br" not in index or index["br"] > 1000  # the <br /> tags are not words here
    assert "don't" in index  # apostrophes are kept, as in Keras's tokenizer


@needs_imdb
def test_ids_decode_back_to_the_review(imdb_env):
    (train_texts, train_labels), _ = imdb.load_texts()
    assert len(train_texts) == 25000 and train_labels[:12500].sum() == 0 and train_labels[12500:].sum() == 12500
    index = imdb.get_word_index()
    (x_plain, y_plain), _ = imdb.load_data(seed=113)
    words_of = {rank + 3: word for word, rank in index.items()}
    rng = np.random.RandomState(113)
    order = np.arange(25000)
    rng.shuffle(order)
    first = order[0]
    assert y_plain[0] == train_labels[first]
    decoded = [words_of.get(token, "?") for token in x_plain[0][1:]]
    assert decoded == imdb.review_words(train_texts[first])[: len(decoded)]


@needs_imdb
def test_seed_and_maxlen_on_real_data(imdb_env, keras_default):
    (x_default, _), _ = keras_default
    (x_other, _), _ = imdb.load_data(num_words=10000, seed=7)
    assert any(x_other[i] != x_default[i] for i in range(5))
    (x_short, y_short), (x_short_test, _) = imdb.load_data(num_words=1000, maxlen=100)
    assert 0 < len(x_short) < 25000 and len(y_short) == len(x_short)
    assert all(len(sequence) < 100 for sequence in x_short)
    assert all(len(sequence) < 100 for sequence in x_short_test)


def keras_reference(parsed, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
                    index_from=3):
    """Keras's imdb.load_data algorithm, written with plain lists, on already-tokenised reviews."""
    rng = np.random.RandomState(seed)
    splits = []
    for split in ("train", "test"):
        offsets = np.concatenate([[0], np.cumsum(parsed[f"{split}_lengths"])])
        xs = [parsed[f"{split}_tokens"][offsets[i]:offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]
        order = np.arange(len(xs))
        rng.shuffle(order)
        xs, ys = [xs[i] for i in order], parsed[f"{split}_labels"][order]
        if start_char is not None:
            xs = [[start_char] + [w + index_from for w in x] for x in xs]
        elif index_from:
            xs = [[w + index_from for w in x] for x in xs]
        if maxlen:
            keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
            xs, ys = [xs[i] for i in keep], ys[keep]
        splits.append((xs, ys))
    if not num_words:
        num_words = max(max(x) for xs, _ in splits for x in xs if x)
    result = []
    for xs, ys in splits:
        if oov_char is not None:
            xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
        else:
            xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
        result.append((xs, ys))
    return result


@pytest.fixture
def tiny_parsed(monkeypatch):
    """A small tokenised corpus standing in for the archive (ranks 1..40, lengths 0..30)."""
    rng = np.random.default_rng(0)
    parsed = {"vocabulary": [f"w{i}" for i in range(1, 41)]}
    for split, count in (("train", 37), ("test", 23)):
        lengths = rng.integers(0, 31, size=count)
        parsed[f"{split}_lengths"] = lengths
        parsed[f"{split}_tokens"] = rng.integers(1, 41, size=int(lengths.sum()))
        parsed[f"{split}_labels"] = rng.integers(0, 2, size=count)
    monkeypatch.setattr(imdb, "_parsed", lambda path=None: parsed)
    return parsed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    num_words=st.one_of(st.none(), st.integers(5, 50)),
    skip_top=st.integers(0, 8),
    maxlen=st.one_of(st.none(), st.integers(25, 40)),
    seed=st.integers(0, 1000),
    start_char=st.one_of(st.none(), st.just(1)),
    oov_char=st.one_of(st.none(), st.just(2)),
    index_from=st.integers(0, 3),
)
def test_load_data_follows_keras_algorithm(tiny_parsed, num_words, skip_top, maxlen, seed, start_char, oov_char,
                                          index_from):
    options = dict(num_words=num_words, skip_top=skip_top, maxlen=maxlen, seed=seed, start_char=start_char,
                   oov_char=oov_char, index_from=index_from)
    if num_words is not None and num_words < index_from + 2:
        return
    expected = keras_reference(tiny_parsed, **options)
    got = imdb.load_data(**options)
    for (x_got, y_got), (x_expected, y_expected) in zip(got, expected):
        assert x_got.dtype == object and list(x_got) == x_expected
        np.testing.assert_array_equal(y_got, y_expected)


def test_skip_top_turns_the_start_mark_into_oov(tiny_parsed):
    (x_train, _), _ = imdb.load_data(num_words=30, skip_top=5)
    assert all(sequence[0] == 2 for sequence in x_train)
    (x_train, _), _ = imdb.load_data(num_words=30, skip_top=5, oov_char=None)
    assert all(1 not in sequence and 2 not in sequence for sequence in x_train)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="num_words must be at least index_from \\+ 2 = 5.*got 3"):
        imdb.load_data(num_words=3)
    with pytest.raises(ValueError, match="maxlen must be a positive int or None, got 0"):
        imdb.load_data(maxlen=0)
    with pytest.raises(ValueError, match="skip_top"):
        imdb.load_data(skip_top=-1)


def fake_archive(path, reviews_per_folder=2, truncate=False):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for split in ("train", "test"):
            for label in ("neg", "pos"):
                for number in range(reviews_per_folder):
                    data = f"A {label} review number {number}.<br />Fine.".encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{number}_7.txt")
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    path.write_bytes(raw[: len(raw) // 2] if truncate else raw)
    return path


def test_parse_and_cache_round_trip_on_a_small_archive(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(imdb, "REVIEWS_PER_FOLDER", 2)
    monkeypatch.setattr(imdb, "_memo", {})
    archive = fake_archive(tmp_path / "aclImdb_v1.tar.gz")
    index = imdb.get_word_index(path=archive)
    # every review has a, review, number, fine once; neg/pos and 0/1 twice each (ties: alphabetical)
    assert list(index)[:8] == ["a", "fine", "number", "review", "0", "1", "neg", "pos"]
    (x_train, y_train), (x_test, y_test) = imdb.load_data(path=archive, seed=0)
    assert sorted(y_train.tolist()) == [0, 0, 1, 1] and len(x_test) == 4
    cached = list((tmp_path / "cache" / "imdb").glob("*.npz"))
    assert len(cached) == 1
    monkeypatch.setattr(imdb, "_memo", {})
    monkeypatch.setattr(imdb, "_read_reviews", lambda path: pytest.fail("the cache should have been used"))
    (x_again, _), _ = imdb.load_data(path=archive, seed=0)
    assert list(x_again) == list(x_train)
    cached[0].write_bytes(b"garbage")  # an unreadable cache is removed with a warning and rebuilt, not used
    monkeypatch.setattr(imdb, "_memo", {})
    with pytest.warns(DatasetCacheWarning, match="token cache was removed"), pytest.raises(pytest.fail.Exception):
        imdb.load_data(path=archive, seed=0)
    assert not cached[0].exists()


def test_incomplete_archive_is_reported_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_CACHE_DIR", str(tmp_path / "cache"))
    archive = fake_archive(tmp_path / "aclImdb_v1.tar.gz")
    with pytest.raises(CorruptDatasetError, match="aclImdb_v1.tar.gz.*holds 2 reviews, expected 12500"):
        imdb.load_data(path=archive)
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").rglob("*.npz")) == []


def test_truncated_archive_in_cache_is_reported_and_removed(tmp_path, monkeypatch):
    data, cache = tmp_path / "data", tmp_path / "cache"
    (cache / "imdb").mkdir(parents=True)
    monkeypatch.setenv("MINIDL_DATA_DIR", str(data))
    monkeypatch.setenv("MINIDL_CACHE_DIR", str(cache))
    monkeypatch.setenv("MINIDL_OFFLINE", "1")
    fake_archive(cache / "imdb" / imdb.ARCHIVE, truncate=True)
    with pytest.raises(CorruptDatasetError, match="aclImdb_v1.tar.gz.*truncated or damaged"):
        imdb.load_data()
    assert [path for path in cache.rglob("*") if path.is_file()] == []


def test_missing_archive_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MINIDL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINIDL_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="aclImdb_v1.tar.gz.*\n.*\n.*imdb.*\n.*https://ai.stanford.edu"):
        imdb.load_data()
