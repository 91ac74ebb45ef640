"""IMDB movie reviews (Maas et al., 2011), built from the raw ``aclImdb_v1.tar.gz`` archive.

``load_data`` has the signature and return types of ``keras.datasets.imdb.load_data``: two pairs
``(x, y)`` where ``x`` is a NumPy object array of Python ``int`` lists and ``y`` an int64 array of
0 (negative) / 1 (positive) labels, 25,000 reviews each for train and test.

How the word ids are made, and how they relate to Keras's pre-tokenised ``imdb.npz``
-----------------------------------------------------------------------------------
Keras ships the reviews already converted to ids and does not publish the script that made them,
so the ids here cannot be byte-for-byte the same.  minidl builds them as follows:

1. Reviews: ``aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt`` (the ``unsup`` reviews and
   ``*.feat`` files are not used).  Within a split the order is all ``neg`` then all ``pos``, each
   sorted by the numeric review id -- this is the order *before* ``load_data`` shuffles.
2. Text: decoded as UTF-8, every ``<br />`` replaced by a space, then split exactly like
   ``keras.preprocessing.text.text_to_word_sequence`` (lower-case, Keras's default punctuation
   filters become spaces, split on spaces; the apostrophe is kept, so ``don't`` is one word).
3. Ranking: every word is counted over all 50,000 labelled reviews (train and test, as Keras's
   documentation says: "indexed by overall frequency in the dataset").  Rank 1 is the most
   frequent word; ties are broken alphabetically (Python string order), so the index never
   depends on file order.  Every word seen is ranked: 124,252 words (Keras's index has 88,584);
   as in Keras, only ``' '`` splits, so e.g. a non-breaking space stays inside a token.
4. ``get_word_index()`` returns this ``{word: rank}`` map; ``load_data`` shifts ranks by
   ``index_from`` (default 3) and reserves 0 = padding, 1 = start, 2 = out-of-vocabulary, exactly
   as Keras does.

Consequences: the six most frequent words (``the and a of to is``) get ranks 1-6 as in Keras,
but Keras's index kept the HTML line break as the word ``br`` (rank 7), which minidl removes, so
from there on ranks differ (``in`` is 7 here, 8 in Keras; ``this`` 10 here, 11 in Keras) and
further down they drift apart with the different vocabularies.  The arrays carry the same
reviews and labels, so models should reach comparable accuracy, but ids are not interchangeable
with weights or id lists made with Keras.  Decoding a review with ``get_word_index()`` works after
subtracting ``index_from`` (the labs' lookup that forgets this is still off by 3 here).

``load_data`` follows Keras's algorithm step by step: one ``np.random.RandomState(seed)`` shuffles
the train set and then, continuing the same stream, the test set; ``start_char`` is prepended and
``index_from`` added; ``maxlen`` keeps only sequences *shorter* than ``maxlen`` (counting the
start mark); then ids outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped when it
is ``None``) -- including the start mark when ``skip_top > start_char``.  With ``num_words=None``
Keras uses the largest id present as the bound, so that single rarest id becomes OOV; minidl does
the same.

Parsing 50,000 files takes about ten seconds, so the token ids are cached in
``<cache>/imdb/aclImdb_v1.tokens-<sha256 prefix>-v1.npz`` (``<cache>`` is ``$MINIDL_CACHE_DIR``
or ``~/.minidl/datasets``), keyed by the archive's SHA-256 (itself remembered in the verification
record, so a warm load does not re-hash the archive) and written atomically; later calls load that
in well under a second.  :func:`load_texts` gives the raw review texts for labs with their own
text pipeline.

Integrity
---------
The archive is read with minidl's bounded tar reader (:mod:`minidl.datasets._archives`): only
regular files named ``aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt`` are read (links,
devices and any other member are skipped, nothing is extracted), a review may hold at most
:data:`MAX_REVIEW_BYTES`, and the gzip stream is read to its end so a flipped bit anywhere fails
its CRC check.  The canonical download must match its published SHA-256; a copy elsewhere (the
development archive omits ``train/unsup``) is accepted after these checks.  The token cache is
read without pickle, with every declared array size checked first and every value validated
(ranks within the vocabulary, lengths adding up, labels ordered as built) before it is used; a
cache that fails is removed with a :class:`~minidl.datasets.DatasetCacheWarning` and rebuilt.
"""

import pathlib
import re
from collections import Counter

import numpy as np

from minidl.datasets import _integrity
from minidl.datasets._archives import read_npz, read_tar_gz
from minidl.datasets._errors import corrupt
from minidl.datasets._resolve import (
    CorruptDatasetError,
    DatasetNotFoundError,
    DatasetSpec,
    RemoteFile,
    cache_dir,
    load_file,
    resolve,
)
from minidl.fileio import atomic_write
from minidl.preprocessing.text import DEFAULT_FILTERS, text_to_word_sequence

ARCHIVE = "aclImdb_v1.tar.gz"
SPEC = DatasetSpec(
    name="imdb",
    files=(
        RemoteFile(ARCHIVE, "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
                   "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"),
    ),
    homepage="https://ai.stanford.edu/~amaas/data/sentiment/",
)

REVIEWS_PER_FOLDER = 12500
SPLITS = ("train", "test")
LABELS = {"neg": 0, "pos": 1}
CACHE_FORMAT_VERSION = 1
MAX_REVIEW_BYTES = 1 << 20  # the longest review is 13,704 bytes
MAX_ARCHIVE_BYTES = 1 << 30  # the whole tar, inflated: the canonical one is a few hundred MB
_MEMBER = re.compile(r"^(?:\./)?aclImdb/(train|test)/(neg|pos)/(\d+)_(\d+)\.txt$")
_memo = {}


def archive_path():
    """The resolved path of ``aclImdb_v1.tar.gz`` (downloaded into the cache if needed)."""
    return resolve(SPEC)[ARCHIVE]


def load_texts():
    """``(train_texts, train_labels), (test_texts, test_labels)``: the raw reviews, unshuffled.

    Texts are the files' contents as ``str`` (HTML ``<br />`` tags left in), in the order described
    in the module docstring; labels are an int64 array (0 negative, 1 positive).
    """
    reviews = load_file(SPEC, ARCHIVE, _read_reviews)
    return tuple(
        ([text for text, _ in reviews[split]], np.array([label for _, label in reviews[split]], dtype=np.int64))
        for split in SPLITS
    )


def get_word_index(path=None):
    """``{word: rank}`` with rank 1 for the most frequent word (see the module docstring)."""
    parsed = _parsed(path)
    return {word: rank for rank, word in enumerate(parsed["vocabulary"], start=1)}


def load_data(path=None, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3):
    """``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.imdb.load_data``.

    ``path`` optionally names the ``aclImdb_v1.tar.gz`` archive; by default it is resolved like
    every dataset file.  See the module docstring for the exact algorithm.
    """
    _check_arguments(num_words, skip_top, maxlen, index_from, start_char, oov_char)
    parsed = _parsed(path)
    rng = np.random.RandomState(seed)
    splits = []
    for split in SPLITS:
        lengths = parsed[f"{split}_lengths"]
        order = np.arange(len(lengths))
        rng.shuffle(order)
        ids, lengths = _gather(parsed[f"{split}_tokens"], lengths, order)
        ids = ids + index_from
        if start_char is not None:
            ids, lengths = _prepend(ids, lengths, start_char)
        splits.append([ids, lengths, parsed[f"{split}_labels"][order]])

    if maxlen:
        for entry in splits:
            ids, lengths, labels = entry
            keep = np.flatnonzero(lengths < maxlen)
            entry[0], entry[1] = _gather(ids, lengths, keep)
            entry[2] = labels[keep]
        if not len(splits[0][1]) or not len(splits[1][1]):
            raise ValueError(
                f"imdb.load_data: maxlen={maxlen} leaves no train or no test review "
                "(only sequences shorter than maxlen are kept); raise maxlen"
            )

    if not num_words:
        num_words = max(int(ids.max()) if ids.size else 0 for ids, _, _ in splits)
    results = []
    for ids, lengths, labels in splits:
        ids, lengths = _limit_vocabulary(ids, lengths, skip_top, num_words, oov_char)
        results.append((_as_object_array(ids, lengths), labels))
    return results[0], results[1]


def _check_arguments(num_words, skip_top, maxlen, index_from, start_char=1, oov_char=2):
    for name, value in (("start_char", start_char), ("oov_char", oov_char)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"imdb.load_data: {name} must be an int >= 0 or None, got {value!r}")
    for name, value in (("num_words", num_words), ("maxlen", maxlen)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0):
            raise ValueError(f"imdb.load_data: {name} must be a positive int or None, got {value!r}")
    if isinstance(skip_top, bool) or not isinstance(skip_top, (int, np.integer)) or skip_top < 0:
        raise ValueError(f"imdb.load_data: skip_top must be an int >= 0, got {skip_top!r}")
    if isinstance(index_from, bool) or not isinstance(index_from, (int, np.integer)) or index_from < 0:
        raise ValueError(f"imdb.load_data: index_from must be an int >= 0, got {index_from!r}")
    if num_words is not None and num_words < index_from + 2:
        raise ValueError(
            f"imdb.load_data: num_words must be at least index_from + 2 = {index_from + 2} so that at least "
            f"one word is kept (the most frequent word gets id index_from + 1), got {num_words}"
        )


def _offsets(lengths):
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def _gather(ids, lengths, order):
    """Concatenate the segments ``order`` of a flat id array cut into ``lengths`` pieces."""
    starts = _offsets(lengths)[:-1][order]
    new_lengths = lengths[order]
    new_starts = _offsets(new_lengths)[:-1]
    positions = np.repeat(starts - new_starts, new_lengths) + np.arange(int(new_lengths.sum()))
    return ids[positions], new_lengths


def _prepend(ids, lengths, value):
    """Put ``value`` in front of every segment."""
    result = np.full(ids.size + lengths.size, value, dtype=ids.dtype)
    segment = np.repeat(np.arange(lengths.size), lengths)
    result[np.arange(ids.size) + segment + 1] = ids
    return result, lengths + 1


def _limit_vocabulary(ids, lengths, skip_top, num_words, oov_char):
    """Replace (or drop) ids outside ``[skip_top, num_words)``, as Keras does."""
    inside = (ids >= skip_top) & (ids < num_words)
    if oov_char is not None:
        return np.where(inside, ids, oov_char), lengths
    segment = np.repeat(np.arange(lengths.size), lengths)
    kept_lengths = np.bincount(segment[inside], minlength=lengths.size).astype(np.int64)
    return ids[inside], kept_lengths


def _as_object_array(ids, lengths):
    """A flat id array cut into an object array of Python int lists."""
    flat = ids.tolist()
    offsets = _offsets(lengths).tolist()
    result = np.empty(len(lengths), dtype=object)
    for position in range(len(lengths)):
        result[position] = flat[offsets[position]:offsets[position + 1]]
    return result


def _parsed(path=None):
    """The tokenised archive as arrays (memoised per process, cached on disk per archive hash)."""
    if path is None:
        parsed, digest, built = load_file(SPEC, ARCHIVE, _cached_or_parsed)
    else:
        archive = pathlib.Path(path)
        if not archive.is_file():
            raise DatasetNotFoundError(f"imdb: archive {archive} does not exist or is not a file", path=archive) from None
        parsed, digest, built = _cached_or_parsed(archive)
    if built:  # only now: the archive has passed every check, including its checksum
        _write_cache(_cache_file(digest), parsed)
    _memo.clear()
    _memo[digest] = parsed
    return parsed


def _cached_or_parsed(archive):
    """``(parsed, archive digest, built)``: from the memo, the token cache, or a full parse."""
    record = _integrity.VerificationRecord(cache_dir())
    digest = _integrity.file_sha256(archive, record)
    record.save()
    if digest in _memo:
        return _memo[digest], digest, False
    parsed = _read_cache(_cache_file(digest), archive)
    if parsed is not None:
        return parsed, digest, False
    return _tokenise(_read_reviews(archive)), digest, True


def _cache_file(digest):
    return cache_dir() / SPEC.name / f"aclImdb_v1.tokens-{digest[:16]}-v{CACHE_FORMAT_VERSION}.npz"


def _read_reviews(path):
    """``{split: [(text, label), ...]}`` from the archive, checking it is complete.

    A truncated, damaged or crafted archive, or one without 12,500 reviews in each of
    train/test x neg/pos, raises :class:`CorruptDatasetError` naming the file.
    """
    found = {(split, label): {} for split in SPLITS for label in LABELS}

    def wanted(name):
        match = _MEMBER.match(name)
        return match.groups() if match else None

    for name, (split, label, review_id, _rating), raw in read_tar_gz(path, wanted, MAX_REVIEW_BYTES,
                                                                      MAX_ARCHIVE_BYTES):
        folder = found[(split, label)]
        if int(review_id) in folder:
            raise corrupt(path, f"the archive holds review {review_id} of aclImdb/{split}/{label} twice "
                                f"(again as {name!r})") from None
        folder[int(review_id)] = raw.decode("utf-8", errors="replace")
    for (split, label), items in found.items():
        if len(items) != REVIEWS_PER_FOLDER:
            raise corrupt(path, f"aclImdb/{split}/{label} holds {len(items)} reviews, expected {REVIEWS_PER_FOLDER} "
                                "(truncated or not the Large Movie Review Dataset)") from None
    reviews = {}
    for split in SPLITS:
        reviews[split] = []
        for label in LABELS:
            for _review_id, text in sorted(found[(split, label)].items()):
                reviews[split].append((text, LABELS[label]))
    return reviews


def review_words(text):
    """The words of one review as minidl's IMDB ids are built: ``<br />`` removed, Keras split."""
    return text_to_word_sequence(text.replace("<br />", " "), filters=DEFAULT_FILTERS)


def _tokenise(reviews):
    words = {split: [review_words(text) for text, _ in reviews[split]] for split in SPLITS}
    flat = {split: [word for review in words[split] for word in review] for split in SPLITS}
    counts = Counter(flat["train"])
    counts.update(flat["test"])
    vocabulary = sorted(counts, key=lambda word: (-counts[word], word))
    rank = {word: position for position, word in enumerate(vocabulary, start=1)}
    parsed = {"vocabulary": vocabulary}
    for split in SPLITS:
        parsed[f"{split}_tokens"] = np.array(list(map(rank.__getitem__, flat[split])), dtype=np.int64)
        parsed[f"{split}_lengths"] = np.array([len(review) for review in words[split]], dtype=np.int64)
        parsed[f"{split}_labels"] = np.array([label for _, label in reviews[split]], dtype=np.int64)
    return parsed


def _write_cache(cache_file, parsed):
    arrays = {key: value for key, value in parsed.items() if key != "vocabulary"}
    for key in list(arrays):
        if key.endswith("_tokens"):
            arrays[key] = arrays[key].astype(np.int32)
    arrays["vocabulary"] = np.frombuffer("\n".join(parsed["vocabulary"]).encode("utf-8"), dtype=np.uint8)
    arrays["format_version"] = np.array(CACHE_FORMAT_VERSION, dtype=np.int64)
    try:  # uncompressed: several times faster to write and read
        atomic_write(cache_file, lambda stream: np.savez(stream, **arrays))
    except OSError:
        pass  # a read-only cache only costs speed


def _cache_layout():
    """What each array of the token cache must be: ``{name: (dtype, ndim)}``."""
    layout = {"vocabulary": (np.uint8, 1), "format_version": (np.int64, 0)}
    for split in SPLITS:
        layout.update({f"{split}_tokens": (np.int32, 1), f"{split}_lengths": (np.int64, 1),
                       f"{split}_labels": (np.int64, 1)})
    return layout


def _read_cache(cache_file, archive):
    """The token cache as ``parsed``, or ``None`` when there is none or it had to be removed."""
    if not cache_file.is_file():
        return None
    try:
        return _checked_cache(cache_file)
    except DatasetNotFoundError:
        return None  # removed by another process meanwhile: rebuild
    except CorruptDatasetError as error:
        try:
            cache_file.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            return None
        _integrity.cache_warning(f"{error}; this IMDB token cache was removed and is rebuilt from {archive}")
        return None


def _checked_cache(cache_file):
    def expect(dtype, ndim):
        def accept(found_dtype, shape):
            if found_dtype != np.dtype(dtype) or len(shape) != ndim:
                return f"{found_dtype} with {len(shape)} dimensions, expected {np.dtype(dtype)} with {ndim}"
            return None
        return accept

    stored = read_npz(cache_file, {name: expect(*kind) for name, kind in _cache_layout().items()})
    if int(stored["format_version"]) != CACHE_FORMAT_VERSION:
        raise corrupt(cache_file, f"cache format {int(stored['format_version'])}, expected {CACHE_FORMAT_VERSION}"
                      ) from None
    try:
        vocabulary = stored["vocabulary"].tobytes().decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise corrupt(cache_file, "the vocabulary is not UTF-8 text") from None
    if len(set(vocabulary)) != len(vocabulary):
        raise corrupt(cache_file, "the vocabulary repeats words") from None
    parsed = {"vocabulary": vocabulary}
    expected_labels = np.repeat(np.arange(len(LABELS), dtype=np.int64), REVIEWS_PER_FOLDER)
    for split in SPLITS:
        tokens, lengths, labels = (stored[f"{split}_{part}"] for part in ("tokens", "lengths", "labels"))
        if not np.array_equal(labels, expected_labels) or len(lengths) != len(labels):
            raise corrupt(cache_file, f"the {split} labels or review count differ from what the archive gives"
                          ) from None
        if lengths.size and (lengths.min() < 0 or int(lengths.sum()) != tokens.size):
            raise corrupt(cache_file, f"the {split} review lengths do not add up to its {tokens.size} tokens") from None
        if tokens.size and (tokens.min() < 1 or tokens.max() > len(vocabulary)):
            raise corrupt(cache_file, f"{split} token ids outside the vocabulary 1..{len(vocabulary)}") from None
        parsed[f"{split}_tokens"] = tokens.astype(np.int64)
        parsed[f"{split}_lengths"] = lengths
        parsed[f"{split}_labels"] = labels
    return parsed
