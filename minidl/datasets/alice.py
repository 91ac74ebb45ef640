"""*Alice's Adventures in Wonderland* (Lewis Carroll), as NLTK's ``gutenberg`` corpus holds it.

The Deep Learning Workshop's chapter 4 reads it with ``nltk.corpus.gutenberg.raw('carroll-alice.txt')``;
this gives the same string from ``text/carroll-alice.txt`` (144,396 characters, beginning
``[Alice's Adventures in Wonderland by Lewis Carroll 1865]`` and ending with the story's last
sentence, which is checked so that a truncated copy is refused), without NLTK's downloader.  NLTK's
own data folders (``~/nltk_data/corpora/gutenberg``) are searched too.
"""

import pathlib

from minidl.datasets._errors import corrupt, reading
from minidl.datasets._resolve import DatasetSpec, RemoteFile, load_file

FILE = "carroll-alice.txt"
LAST_SENTENCE = "the happy summer days."
SPEC = DatasetSpec(
    name="text",
    files=(RemoteFile(FILE),),
    system_dirs=(
        str(pathlib.Path.home() / "nltk_data" / "corpora" / "gutenberg"),
        "/usr/share/nltk_data/corpora/gutenberg",
        "/usr/local/share/nltk_data/corpora/gutenberg",
    ),
    homepage="https://www.gutenberg.org/ebooks/11 (NLTK's copy: nltk_data gutenberg.zip)",
)


def load_text():
    """The whole book as one ``str``."""
    return load_file(SPEC, FILE, _read)


def _read(path):
    with reading(path):
        text = pathlib.Path(path).read_text(encoding="utf-8")
    if "Alice" not in text[:200]:
        raise corrupt(path, "does not start like Alice's Adventures in Wonderland") from None
    if LAST_SENTENCE not in text[-30000:]:  # Gutenberg's copy has its licence after the story
        raise corrupt(path, f"truncated or damaged: the story does not end with {LAST_SENTENCE!r}") from None
    return text
