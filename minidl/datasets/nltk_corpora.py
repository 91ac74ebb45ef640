"""Readers for two NLTK corpora in NLTK's own on-disk layout, without NLTK or its downloader.

* Brown: ``brown/`` with files ``ca01`` ... ``cr09`` of tagged tokens (``The/at Fulton/np-tl``),
  one sentence per non-empty line, and ``cats.txt`` mapping file ids to categories.
* movie_reviews: ``movie_reviews/{pos,neg}/cv*.txt``, already tokenised (tokens separated by
  spaces), one sentence per line.

Folders are searched in ``$MINIDL_DATA_DIR``, the minidl cache and NLTK's usual data folders
(``~/nltk_data/corpora`` and the system ones), or given as ``root``.  Nobody publishes checksums
for these folders; every file is read in full as strict UTF-8, and a missing or unreadable file
is reported by name (:mod:`minidl.errors`).
"""

import pathlib

from minidl.datasets._errors import corrupt, reading
from minidl.datasets._resolve import DatasetNotFoundError, cache_dir, data_dir

NLTK_DIRS = (
    pathlib.Path.home() / "nltk_data" / "corpora",
    pathlib.Path("/usr/share/nltk_data/corpora"),
    pathlib.Path("/usr/local/share/nltk_data/corpora"),
    pathlib.Path("/usr/lib/nltk_data/corpora"),
)


def corpus_root(name, root=None):
    """The folder of corpus ``name`` (``brown`` or ``movie_reviews``)."""
    if root is not None:
        folder = pathlib.Path(root)
        if not folder.is_dir():
            raise DatasetNotFoundError(f"corpus {name!r}: {folder} is not a directory") from None
        return folder
    candidates = [base / name for base in (data_dir(), cache_dir()) if base is not None]
    candidates += [base / name for base in NLTK_DIRS]
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise DatasetNotFoundError(
        f"corpus {name!r} not found; looked in: {', '.join(str(c) for c in candidates)}. "
        f"Put NLTK's unzipped {name}/ folder in one of them (nltk.download('{name}') puts it in ~/nltk_data/corpora)."
    ) from None


def brown_categories(root=None):
    """``{file_id: [categories]}`` from ``cats.txt``."""
    folder = corpus_root("brown", root)
    categories = {}
    for number, line in enumerate(_read_corpus_file(folder, "cats.txt").splitlines(), start=1):
        parts = line.split()
        if parts and (parts[0] in (".", "..") or "/" in parts[0] or "\\" in parts[0]):
            raise corrupt(folder / "cats.txt", f"line {number} names {parts[0]!r}, not a file of the corpus folder") from None
        if parts:
            categories[parts[0]] = parts[1:]
    return categories


def brown_sents(root=None, categories=None):
    """Brown sentences as lists of words (tags removed), in file-id order.

    ``categories`` (a name or list of names) restricts the files, as in NLTK.
    """
    folder = corpus_root("brown", root)
    file_ids = sorted(brown_categories(folder))
    if categories is not None:
        wanted = {categories} if isinstance(categories, str) else set(categories)
        mapping = brown_categories(folder)
        file_ids = [file_id for file_id in file_ids if wanted & set(mapping[file_id])]
    sentences = []
    for file_id in file_ids:
        for line in _read_corpus_file(folder, file_id).splitlines():
            tokens = line.split()
            if tokens:
                sentences.append([token.rsplit("/", 1)[0] for token in tokens])
    return sentences


def movie_reviews_docs(root=None):
    """``[(words, label)]`` for every review, label ``'neg'`` or ``'pos'``, neg first."""
    folder = corpus_root("movie_reviews", root)
    documents = []
    for label in ("neg", "pos"):
        for path in sorted((folder / label).glob("*.txt")):
            documents.append((_read_corpus_file(folder, path.relative_to(folder)).split(), label))
    return documents


def movie_reviews_sents(root=None):
    """Every review sentence (one per line in the files) as a list of tokens."""
    folder = corpus_root("movie_reviews", root)
    sentences = []
    for label in ("neg", "pos"):
        for path in sorted((folder / label).glob("*.txt")):
            for line in _read_corpus_file(folder, path.relative_to(folder)).splitlines():
                if line.split():
                    sentences.append(line.split())
    return sentences


def _read_corpus_file(folder, name):
    """The text of ``folder/name``; a missing file is a damaged corpus, not a missing one."""
    path = folder / name
    if not path.is_file():
        raise corrupt(path, f"the corpus folder {folder} lacks this file (incomplete corpus?)") from None
    with reading(path):
        return path.read_text(encoding="utf-8")
