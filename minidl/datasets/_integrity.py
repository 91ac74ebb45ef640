"""Knowing a dataset file is the one it claims to be, without re-hashing it on every load.

Which check a file gets
-----------------------
* A file with a **published SHA-256** (:attr:`RemoteFile.sha256`, the hash of the file as
  downloaded) passes when its bytes hash to it.
* A gzip file whose **decompressed contents** have a known SHA-256
  (:attr:`RemoteFile.content_sha256`; MNIST and Fashion-MNIST) also passes when its contents hash
  to it.  Recompressing a file changes its bytes but not its contents, so this verifies the
  recompressed development copies and Debian's package as strictly as the canonical download.
  Such a file must match one of the two hashes wherever it is found: a valid-looking copy with
  altered labels is refused.
* An archive with only a file hash (IMDB's and CIFAR-10's ``.tar.gz``, Keras's ``.npz``) found
  *outside* minidl's cache may be a repacked copy (the development IMDB archive omits
  ``train/unsup``), which no published hash can vouch for: it is accepted after the loader's full
  format checks, which read it to the end so gzip's CRC is checked.  Inside minidl's cache every
  file came from a checksum-verified download, so there a mismatch always means damage.
* Files nobody published a hash for (CSV tables, user files) get the loader's full format checks.

The loader reads (and so format-checks) a file *before* its hash is compared, so a truncated file
is reported as truncated rather than as a mere checksum mismatch; nothing read is returned until
both checks have passed.

The verification record
-----------------------
Hashing a 100 MB archive or decompressing 50 MB of MNIST on every load would double its cost, so
the digests are remembered in ``<cache>/verified-files.json``: for each file (by absolute path)
its size, ``mtime_ns``, ``ctime_ns`` and inode when it was hashed, the time of the check, its
SHA-256, the SHA-256 of its contents when that was computed, and the verdict.  A later load trusts
an entry only while the file's size and times are unchanged, so any write to the file -- even one
that restores the old mtime, which changes the ctime -- makes it be verified again.  An entry made
within :data:`RACY_SECONDS` of the file's last change is not trusted either: a second write inside
the file system's timestamp granularity could leave size and times as they were (git's "racily
clean" problem), so such files are simply verified again on their next load.

The record is a cache like any other: written atomically (:func:`minidl.fileio.atomic_write_text`),
merged with the copy on disk so that concurrent processes lose no more than a repeated hash, and
when it cannot be parsed it is removed with a :class:`DatasetCacheWarning` and rebuilt.  A
read-only cache only costs speed.  Nothing is ever written next to the data files themselves.
"""

import contextlib
import gzip
import hashlib
import json
import os
import pathlib
import sys
import time
import warnings

from minidl.datasets._errors import reading
from minidl.errors import ChecksumMismatchError, DatasetCacheWarning
from minidl.fileio import atomic_write_text

RECORD_NAME = "verified-files.json"
RECORD_FORMAT = 1
RACY_SECONDS = 2.0
MAX_RECORD_BYTES = 4 << 20
MAX_RECORD_ENTRIES = 2000
_CHUNK = 1 << 20

VERDICT_FILE_HASH = "matches the published SHA-256"
VERDICT_CONTENT_HASH = "its contents match the published SHA-256"
VERDICT_DIGEST_ONLY = "digest recorded; no published hash applies"


def cache_warning(message):
    """Issue a :class:`DatasetCacheWarning` attributed to the caller's code, not minidl's."""
    warnings.warn(message, DatasetCacheWarning, stacklevel=_first_frame_outside_minidl())


def _first_frame_outside_minidl():
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level


def record_path(cache_root):
    return pathlib.Path(cache_root) / RECORD_NAME


def fingerprint(path):
    """What must stay the same for a recorded verdict about ``path`` to still hold."""
    info = os.stat(path)
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "ctime_ns": info.st_ctime_ns,
            "inode": info.st_ino}


def sha256_of(path):
    """The SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with reading(path), open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def gzip_content_sha256(path, max_bytes):
    """SHA-256 of a gzip file's decompressed contents, or ``None`` past ``max_bytes``.

    Decompressing to the end checks gzip's CRC; a damaged stream raises
    :class:`CorruptDatasetError` naming the file.  Returning ``None`` once the contents are longer
    than the published file's keeps a gzip bomb from being inflated to the end.
    """
    digest = hashlib.sha256()
    total = 0
    with reading(path), gzip.open(path, "rb") as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                return digest.hexdigest()
            total += len(chunk)
            if total > max_bytes:
                return None
            digest.update(chunk)


class VerificationRecord:
    """The ``verified-files.json`` of one cache folder (see the module docstring)."""

    def __init__(self, cache_root):
        self.path = record_path(cache_root)
        self._entries = self._load()
        self._changed = {}

    def lookup(self, path):
        """The recorded entry for ``path`` if it still describes the file, else ``None``."""
        key = _key(path)
        entry = self._changed.get(key) or self._entries.get(key)
        if entry is None:
            return None
        try:
            current = fingerprint(path)
        except OSError:
            return None
        if any(entry.get(field) != value for field, value in current.items()):
            return None
        last_change = max(current["mtime_ns"], current["ctime_ns"])
        if entry.get("verified_at_ns", 0) - last_change < RACY_SECONDS * 1e9:
            return None
        return entry

    def store(self, path, before, **facts):
        """Remember ``facts`` about ``path`` if it still has the fingerprint ``before``."""
        try:
            if fingerprint(path) != before:
                return  # the file changed while it was being checked: verify it again next time
        except OSError:
            return
        entry = dict(before, verified_at_ns=time.time_ns(), **facts)
        self._changed[_key(path)] = entry

    def forget(self, path):
        key = _key(path)
        self._entries.pop(key, None)
        self._changed[key] = None

    def save(self):
        """Merge this process's changes into the record on disk (atomically; failures are ignored)."""
        if not self._changed:
            return
        merged = self._load(quiet=True)
        for key, entry in self._changed.items():
            if entry is None:
                merged.pop(key, None)
            else:
                merged[key] = entry
        if len(merged) > MAX_RECORD_ENTRIES:  # keep the most recently verified files
            newest = sorted(merged.items(), key=lambda item: item[1].get("verified_at_ns", 0))
            merged = dict(newest[-MAX_RECORD_ENTRIES:])
        text = json.dumps({"format": RECORD_FORMAT, "files": merged}, indent=1, sort_keys=True)
        try:
            if merged:
                atomic_write_text(self.path, text + "\n")
            else:  # nothing left to remember: leave no file behind
                os.remove(self.path)
        except OSError:
            return  # a read-only cache only costs speed
        self._entries, self._changed = merged, {}

    def _load(self, quiet=False):
        try:
            if self.path.stat().st_size > MAX_RECORD_BYTES:
                raise ValueError(f"larger than {MAX_RECORD_BYTES} bytes")
            content = json.loads(self.path.read_text(encoding="utf-8"))
            return _valid_entries(content)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, AttributeError) as error:
            if not quiet:
                self._discard_damaged(error)
            return {}

    def _discard_damaged(self, error):
        with contextlib.suppress(OSError):
            os.remove(self.path)
        cache_warning(f"{self.path}: the verification record was damaged ({error}); it was removed and is being "
                      "rebuilt (dataset files are verified again)")


def _valid_entries(content):
    if not isinstance(content, dict) or content.get("format") != RECORD_FORMAT:
        raise ValueError(f"not a version {RECORD_FORMAT} verification record")
    files = content.get("files")
    if not isinstance(files, dict):
        raise ValueError("no 'files' table")
    for key, entry in files.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise ValueError(f"entry {key!r} is malformed")
        for field in ("size", "mtime_ns", "ctime_ns", "inode", "verified_at_ns"):
            if not isinstance(entry.get(field), int):
                raise ValueError(f"entry {key!r} lacks {field}")
    return files


def _key(path):
    return os.path.realpath(os.fspath(path))


def check_published(path, remote, record, in_cache):
    """Verify ``path`` against ``remote``'s published hashes (see the module docstring).

    Returns the file's SHA-256.  Raises :class:`ChecksumMismatchError` naming the file when a
    published hash applies and does not match, and :class:`CorruptDatasetError` when the gzip
    stream to be hashed is damaged.
    """
    entry = record.lookup(path)
    if entry is not None and _vouches(entry, remote, in_cache):
        return entry["sha256"]
    with reading(path):
        before = fingerprint(path)
    digest = entry["sha256"] if entry is not None else sha256_of(path)
    if remote.sha256 and digest == remote.sha256.lower():
        record.store(path, before, sha256=digest, verdict=VERDICT_FILE_HASH)
        return digest
    if remote.content_sha256:
        content = entry.get("content_sha256") if entry is not None else None
        if content is None:
            limit = remote.content_size if remote.content_size is not None else 1 << 34
            content = gzip_content_sha256(path, limit)
        if content != remote.content_sha256.lower():
            found = "more data than the published file holds" if content is None else f"SHA-256 {content}"
            raise ChecksumMismatchError(
                f"{path}: altered or damaged: its decompressed contents have {found}, but the published "
                f"{remote.filename} has {remote.content_sha256} (a recompressed copy would match)"
                f"{_replace_hint(remote, in_cache)}",
                path=path,
            ) from None
        record.store(path, before, sha256=digest, content_sha256=content, verdict=VERDICT_CONTENT_HASH)
        return digest
    if remote.sha256 and in_cache:
        raise ChecksumMismatchError(
            f"{path}: altered or damaged: its SHA-256 is {digest}, but the published {remote.filename} has "
            f"{remote.sha256}",
            path=path,
        ) from None
    record.store(path, before, sha256=digest, verdict=VERDICT_DIGEST_ONLY)
    return digest


def file_sha256(path, record):
    """The SHA-256 of ``path``, from the record when it still describes the file."""
    entry = record.lookup(path)
    if entry is not None:
        return entry["sha256"]
    with reading(path):
        before = fingerprint(path)
    digest = sha256_of(path)
    record.store(path, before, sha256=digest, verdict=VERDICT_DIGEST_ONLY)
    return digest


def _vouches(entry, remote, in_cache):
    if remote.sha256 and entry["sha256"] == remote.sha256.lower():
        return True
    if remote.content_sha256:
        return entry.get("content_sha256") == remote.content_sha256.lower()
    return not (remote.sha256 and in_cache)


def _replace_hint(remote, in_cache):
    if in_cache:
        return ""  # the caller removes it and says so
    source = f" from {remote.url}" if remote.url else ""
    return f"; replace it with a good copy{source}"
