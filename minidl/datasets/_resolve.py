"""Finding a dataset's files, downloading them safely, and reading them with integrity checks.

Every loader asks :func:`load_files` (or :func:`load_file`) for the files it needs, passing a
*reader* per file.  Each file is looked up, in order, in

1. ``$MINIDL_DATA_DIR/<name>/<file>`` (the development copies; tests and CI point this at
   ``../shared/data``),
2. the user cache ``$MINIDL_CACHE_DIR/<name>/<file>``, by default ``~/.minidl/datasets/<name>/<file>``,
3. known system locations (Debian's ``/usr/share/datasets/fashion-mnist``),

and only then downloaded from the dataset's canonical URL into the user cache
(``MINIDL_OFFLINE=1`` turns downloads off).  A download is streamed through
:func:`minidl.fileio.atomic_write`, hashed while it streams and compared with the published
SHA-256 before it replaces anything, so an interrupted or corrupt download never leaves a file in
the cache, and a failed one leaves no folder behind either.

Then every file is checked in two stages, all files of the call before any data is returned:

1. **format**: the reader parses the whole file and raises :class:`CorruptDatasetError` naming
   it for anything wrong (truncated, bad magic, wrong counts, a gzip CRC that fails);
2. **checksum**: :func:`minidl.datasets._integrity.check_published` compares the file with its
   published hashes, using the verification record so a file is hashed once, not on every load.

A file in minidl's own cache that fails either stage is removed, a :class:`DatasetCacheWarning`
says so, and it is downloaded again and checked again (once); when it cannot be downloaded the
error says the file was removed.  Files anywhere else belong to the user and are never touched:
they get the error.  Every error is one of :mod:`minidl.errors`'s classes, names the file and
the problem, and is raised without chained tracebacks.

The network is reached only through the module attribute :data:`open_url`, so tests replace it
with a fake that serves bytes.
"""

import contextlib
import hashlib
import http.client
import os
import pathlib
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

from minidl.datasets import _integrity
from minidl.datasets._integrity import DatasetCacheWarning, VerificationRecord, cache_warning, sha256_of
from minidl.errors import (
    ChecksumMismatchError,
    CorruptDatasetError,
    DatasetError,
    DatasetNotFoundError,
)
from minidl.fileio import atomic_write
from minidl.progbar import Progbar, megabytes

__all__ = [
    "ChecksumMismatchError", "CorruptDatasetError", "DatasetCacheWarning", "DatasetError",
    "DatasetNotFoundError", "DatasetSpec", "RemoteFile", "cache_dir", "data_dir", "download",
    "find_local", "load_file", "load_files", "resolve", "sha256_of",
]

DOWNLOAD_TIMEOUT_S = 60
_CHUNK = 1 << 20
_NETWORK_ERRORS = (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException, ValueError)


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its name, where to download it and what it must hash to.

    ``sha256`` is the published SHA-256 of the file as downloaded.  ``content_sha256`` and
    ``content_size`` describe a gzip file's decompressed contents, which a recompressed copy
    keeps.  ``url`` or ``sha256`` may be ``None`` when there is no canonical download with a
    published checksum; such a file is only ever read from disk.
    """

    filename: str
    url: str = None
    sha256: str = None
    content_sha256: str = None
    content_size: int = None


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset as the resolver sees it: a folder name, its files and extra places to look."""

    name: str
    files: tuple
    system_dirs: tuple = ()
    homepage: str = ""
    notes: str = ""

    def file(self, filename):
        for remote in self.files:
            if remote.filename == filename:
                return remote
        raise KeyError(f"dataset {self.name!r} has no file {filename!r}")


def open_url(url, timeout):
    """Open ``url`` for reading (tests replace this attribute with a fake)."""
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - canonical https/http URLs only


def data_dir():
    """``$MINIDL_DATA_DIR`` as a path, or ``None`` when it is not set."""
    configured = os.environ.get("MINIDL_DATA_DIR")
    return pathlib.Path(configured).expanduser() if configured else None


def cache_dir():
    """The user cache root: ``$MINIDL_CACHE_DIR``, else ``~/.minidl/datasets``."""
    configured = os.environ.get("MINIDL_CACHE_DIR")
    if configured:
        return pathlib.Path(configured).expanduser()
    return pathlib.Path.home() / ".minidl" / "datasets"


def downloads_allowed():
    """False when ``MINIDL_OFFLINE`` is set to a true value (1, true, yes)."""
    return os.environ.get("MINIDL_OFFLINE", "").strip().lower() not in ("1", "true", "yes")


def candidate_dirs(spec):
    """The folders searched for ``spec``'s files, in order, each with a short label."""
    found = []
    configured = data_dir()
    if configured is not None:
        found.append(("MINIDL_DATA_DIR", configured / spec.name))
    found.append(("user cache", cache_dir() / spec.name))
    for system in spec.system_dirs:
        found.append(("system", pathlib.Path(system)))
    return found


def find_local(spec, filename):
    """The first existing ``<dir>/<filename>`` among :func:`candidate_dirs`, or ``None``."""
    for _label, folder in candidate_dirs(spec):
        path = folder / filename
        if path.is_file():
            return path
    return None


def in_cache(path):
    """Whether ``path`` lies inside minidl's user cache (where minidl may delete and rebuild).

    Symbolic links are followed, so a cache folder linked to the user's own copies is theirs; a
    file that is also inside ``$MINIDL_DATA_DIR`` is never minidl's to delete.
    """
    real = pathlib.Path(path).resolve()
    configured = data_dir()
    return _within(real, cache_dir()) and not (configured is not None and _within(real, configured))


def _within(real, folder):
    try:
        real.relative_to(pathlib.Path(folder).resolve())
    except (ValueError, OSError):
        return False
    return True


def locate(spec, filenames, download=True):
    """``{filename: path}`` for ``filenames``, downloading missing ones into the cache.

    When any file is missing and cannot be downloaded, one :class:`DatasetNotFoundError` lists
    every missing file, where minidl looked and where to get them.
    """
    paths = {}
    missing = []
    for filename in filenames:
        path = find_local(spec, filename)
        if path is None:
            missing.append(filename)
        else:
            paths[filename] = path
    if missing:
        remotes = [spec.file(name) for name in missing]
        if not (download and all(_downloadable(remote) for remote in remotes)):
            raise DatasetNotFoundError(_not_found_message(spec, missing), path=cache_dir() / spec.name) from None
        for remote in remotes:
            paths[remote.filename] = _download_into_cache(spec, remote, missing)
    return paths


def load_files(spec, readers, download=True):
    """``{filename: reader(path)}`` for each ``filename: reader`` pair, every file checked.

    ``reader(path)`` must read the whole file and raise :class:`CorruptDatasetError` for anything
    wrong with it (see the module docstring for the two stages and the self-healing cache).
    """
    return _load(spec, dict(readers), download)[1]


def load_file(spec, filename, reader, download=True):
    """``reader(path)`` for one of ``spec``'s files, checked like :func:`load_files`."""
    return load_files(spec, {filename: reader}, download)[filename]


def resolve(spec, filenames=None, verify=None, download=True):
    """Paths of ``spec``'s files (all of them, or just ``filenames``), downloaded and checked.

    ``verify(path)``, when given, is the format check each file must pass.  Returns
    ``{filename: pathlib.Path}``.
    """
    wanted = list(filenames) if filenames is not None else [remote.filename for remote in spec.files]
    check = verify if verify is not None else _no_format_check
    return _load(spec, {name: check for name in wanted}, download)[0]


def _no_format_check(path):
    return None


def _load(spec, readers, download):
    paths = locate(spec, list(readers), download)
    record = VerificationRecord(cache_dir())
    try:
        results = {name: _read(spec, name, paths, reader, record, download) for name, reader in readers.items()}
        for name, reader in readers.items():
            _verify(spec, name, paths, reader, results, record, download)
    finally:
        record.save()
    return paths, results


def _read(spec, name, paths, reader, record, download):
    """Stage 1: ``reader(path)``; a cached copy that fails is replaced once."""
    healed = relocated = False
    while True:
        path = paths[name]
        before = _fingerprint_or_none(path)
        try:
            return reader(path)
        except FileNotFoundError:  # removed (by another process?) between finding and reading it
            if relocated:
                raise DatasetNotFoundError(f"{path}: removed while it was being read", path=path) from None
            relocated = True
            paths[name] = locate(spec, [name], download)[name]
        except CorruptDatasetError as error:
            if not in_cache(path):
                raise
            if healed:
                _discard(path, before, record)
                raise _amended(error, "it was removed from minidl's cache; a fresh download has the same problem",
                               path) from None
            healed = True
            paths[name] = _heal(spec, name, path, before, error, record, download)


def _verify(spec, name, paths, reader, results, record, download):
    """Stage 2: the published hashes; a cached copy that fails is replaced and read again (once)."""
    remote = spec.file(name)
    path = paths[name]
    try:
        _integrity.check_published(path, remote, record, in_cache(path))
        return
    except CorruptDatasetError as error:
        if not in_cache(path):
            raise
        paths[name] = _heal(spec, name, path, None, error, record, download)
    path = paths[name]
    try:
        results[name] = reader(path)
        _integrity.check_published(path, remote, record, True)
    except CorruptDatasetError as error:
        _discard(path, None, record)
        raise _amended(error, "it was removed from minidl's cache; a fresh download has the same problem",
                       path) from None


def _heal(spec, name, path, before, error, record, download):
    """Remove a damaged file from the cache; download it again or raise ``error``, amended."""
    _discard(path, before, record)
    remote = spec.file(name)
    if not (download and _downloadable(remote)):
        reason = "downloads are off (MINIDL_OFFLINE)" if not downloads_allowed() else "it cannot be downloaded"
        raise _amended(error, f"it was removed from minidl's cache, and {reason}: put a good copy in "
                              f"{_suggested_folder(spec)}", path) from None
    try:
        fresh = _download_into_cache(spec, remote, [name])
    except DatasetNotFoundError as failure:
        raise _amended(error, "it was removed from minidl's cache, and downloading it again failed: "
                              f"{_one_line(failure.cause or failure)}", path) from None
    cache_warning(f"{error}; it was removed from minidl's cache and downloaded again")
    return fresh


def _fingerprint_or_none(path):
    try:
        return _integrity.fingerprint(path)
    except OSError:
        return None


def _discard(path, before, record):
    """Remove a damaged file from the cache, unless another process has already replaced it."""
    with contextlib.suppress(OSError):
        if before is None or _integrity.fingerprint(path) == before:
            os.remove(path)
    record.forget(path)


def _amended(error, note, path):
    """``error`` again (same class), its message followed by ``note``."""
    return type(error)(f"{error}; {note}", path=path, cause=error.cause or error)


def _suggested_folder(spec):
    configured = data_dir()
    return (configured if configured is not None else cache_dir()) / spec.name


def _downloadable(remote):
    return bool(remote.url and remote.sha256 and downloads_allowed())


def _download_into_cache(spec, remote, missing):
    destination = cache_dir() / spec.name / remote.filename
    created = _folders_to_create(destination.parent)
    try:
        download(remote.url, destination, remote.sha256)
    except DatasetError:
        _remove_empty_folders(created)
        raise
    except _NETWORK_ERRORS as error:
        _remove_empty_folders(created)
        message = _not_found_message(spec, missing)
        raise DatasetNotFoundError(f"{message}\nThe download of {remote.url} failed: {_one_line(error)}",
                                   path=destination, cause=error) from None
    except BaseException:
        _remove_empty_folders(created)
        raise
    return destination


def download(url, destination, sha256, progress_stream=None):
    """Download ``url`` to ``destination`` atomically, checking the SHA-256 on the way.

    The bytes go to a temporary file in the destination folder; only when the whole body has
    arrived and its hash equals ``sha256`` does it replace ``destination``.  On any failure the
    temporary file is removed and nothing is left behind.  A progress bar (``minidl.progbar``)
    is drawn on ``progress_stream`` (stderr by default; only the finished line when that is not a
    terminal).
    """
    destination = pathlib.Path(destination)

    def stream_into(sink):
        digest = hashlib.sha256()
        with open_url(url, DOWNLOAD_TIMEOUT_S) as response:
            total = _content_length(response)
            progress = Progbar(total, unit_name=None, label=f"Downloading {destination.name}", counts=megabytes,
                               stream=progress_stream if progress_stream is not None else sys.stderr)
            received = 0
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                sink.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if total is not None and received > total:
                    raise CorruptDatasetError(
                        f"download of {url} sent more than the {total} bytes it announced; nothing was saved to "
                        f"{destination}", path=destination) from None
                progress.update(received, finalize=False)
        progress.update(received, finalize=True)
        if total is not None and received != total:
            raise CorruptDatasetError(
                f"download of {url} stopped after {received} of {total} bytes; nothing was saved to {destination}",
                path=destination) from None
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ChecksumMismatchError(
                f"download of {url} has SHA-256 {actual}, expected {sha256}; the file was discarded "
                f"(nothing was saved to {destination})", path=destination) from None

    atomic_write(destination, stream_into)
    return destination


def _folders_to_create(folder):
    """The folders, deepest first, that creating ``folder`` would add."""
    created = []
    folder = pathlib.Path(folder)
    while not folder.exists() and folder != folder.parent:
        created.append(folder)
        folder = folder.parent
    return created


def _remove_empty_folders(folders):
    for folder in folders:  # deepest first; a folder another process has filled stays
        with contextlib.suppress(OSError):
            folder.rmdir()


def _one_line(error):
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}" if type(error).__name__ not in text else text


def _content_length(response):
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _not_found_message(spec, missing):
    target = _suggested_folder(spec)
    lines = [f"dataset {spec.name!r}: file(s) not found: {', '.join(missing)}"]
    lines.append("Looked in: " + ", ".join(f"{folder} ({label})" for label, folder in candidate_dirs(spec)))
    lines.append(f"Put the file(s) in {target} (or set MINIDL_DATA_DIR to a folder holding {spec.name}/).")
    for name in missing:
        remote = spec.file(name)
        if remote.url:
            lines.append(f"  {name}: {remote.url}")
    if spec.homepage:
        lines.append(f"Source: {spec.homepage}")
    if spec.notes:
        lines.append(spec.notes)
    if not downloads_allowed():
        lines.append("Downloads are off because MINIDL_OFFLINE is set.")
    return "\n".join(lines)
