"""Finding a dataset's files on disk, or downloading them safely into the user cache.

Every loader asks :func:`resolve` for the files it needs.  Each file is looked up, in order, in

1. ``$MINIDL_DATA_DIR/<name>/<file>`` (the development copies; tests and CI point this at
   ``../shared/data``),
2. the user cache ``$MINIDL_CACHE_DIR/<name>/<file>``, by default ``~/.minidl/datasets/<name>/<file>``,
3. known system locations (Debian's ``/usr/share/datasets/fashion-mnist``),

and only then downloaded from the dataset's canonical URL into the user cache.  A download is
streamed into a temporary file beside its destination, hashed while it streams, compared with
the canonical file's published SHA-256 and only then moved into place with :func:`os.replace`,
so an interrupted or corrupt download never leaves a file in the cache.  Setting
``MINIDL_OFFLINE=1`` turns downloads off.

Files found locally are not compared with the canonical checksum (the development copies are
recompressed, so their bytes differ); instead the loader passes a ``verify`` function that checks
the file's format (magic numbers, counts, archive integrity) and raises
:class:`CorruptDatasetError` naming the file.  A corrupt file inside minidl's own cache is removed
so that the next call downloads a fresh copy; files elsewhere are never touched.

The network is reached only through the module attribute :data:`open_url`, so tests replace it
with a fake that serves bytes.
"""

import hashlib
import os
import pathlib
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass

from minidl.errors import (  # noqa: F401 - DatasetError is re-exported for the loaders
    ChecksumMismatchError,
    CorruptDatasetError,
    DatasetError,
    DatasetNotFoundError,
)

DOWNLOAD_TIMEOUT_S = 60
_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its name, where to download it and the canonical SHA-256.

    ``url`` or ``sha256`` may be ``None`` when there is no canonical download with a published
    checksum; such a file is only ever read from disk.
    """

    filename: str
    url: str = None
    sha256: str = None


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


def resolve(spec, filenames=None, verify=None, download=True):
    """Paths of ``spec``'s files (all of them, or just ``filenames``), downloading missing ones.

    ``verify(path)`` is called on every file before it is returned and must raise
    :class:`CorruptDatasetError` for a bad file.  Returns ``{filename: pathlib.Path}``.
    """
    wanted = list(filenames) if filenames is not None else [remote.filename for remote in spec.files]
    paths = {}
    missing = []
    for filename in wanted:
        path = find_local(spec, filename)
        if path is None:
            missing.append(filename)
        else:
            paths[filename] = path
    if missing:
        downloadable = [spec.file(name) for name in missing]
        if not (download and downloads_allowed() and all(r.url and r.sha256 for r in downloadable)):
            raise DatasetNotFoundError(_not_found_message(spec, missing))
        for remote in downloadable:
            paths[remote.filename] = _download_into_cache(spec, remote, missing)
    for filename in wanted:
        if verify is not None:
            checked(paths[filename], verify)
    return paths


def checked(path, verify):
    """Return ``verify(path)``; a corrupt file inside minidl's cache is deleted before re-raising.

    ``verify`` may be a pure check or a reader that parses (and so checks) the whole file.
    """
    try:
        return verify(path)
    except CorruptDatasetError:
        if _inside(path, cache_dir()):
            _remove_quietly(path)
        raise


def _download_into_cache(spec, remote, missing):
    destination = cache_dir() / spec.name / remote.filename
    try:
        download(remote.url, destination, remote.sha256)
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        message = _not_found_message(spec, missing)
        raise DatasetNotFoundError(f"{message}\nThe download of {remote.url} failed: {error}") from error
    return destination


def download(url, destination, sha256, progress=None):
    """Download ``url`` to ``destination`` atomically, checking the SHA-256 on the way.

    The bytes go to a temporary file in the destination folder; only when the whole body has
    arrived and its hash equals ``sha256`` is it renamed onto ``destination``.  On any failure
    the temporary file is removed and nothing is left behind.
    """
    destination = pathlib.Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if progress is None:
        progress = ProgressBar(destination.name)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as sink, open_url(url, DOWNLOAD_TIMEOUT_S) as response:
            total = _content_length(response)
            received = 0
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                sink.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                progress.update(received, total)
        progress.close()
        if total is not None and received != total:
            raise CorruptDatasetError(
                f"download of {url} stopped after {received} of {total} bytes; nothing was saved to {destination}"
            )
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ChecksumMismatchError(
                f"download of {url} has SHA-256 {actual}, expected {sha256}; the file was discarded "
                f"(nothing was saved to {destination})"
            )
        os.replace(temporary, destination)
    except BaseException:
        _remove_quietly(pathlib.Path(temporary))
        raise
    return destination


def sha256_of(path):
    """The SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as sink:
            sink.write(data)
        os.replace(temporary, path)
    except BaseException:
        _remove_quietly(pathlib.Path(temporary))
        raise
    return path


class ProgressBar:
    """A one-line download progress bar on stderr (silent when stderr is not a terminal)."""

    def __init__(self, label, stream=None, width=30):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = stream is not None or _isatty(self.stream)
        self._last_fraction = -1.0

    def update(self, received, total):
        if not self.enabled:
            return
        if total:
            fraction = received / total
            if fraction - self._last_fraction < 0.01 and received != total:
                return
            self._last_fraction = fraction
            filled = int(self.width * fraction)
            bar = "=" * filled + "." * (self.width - filled)
            self.stream.write(f"\rDownloading {self.label} [{bar}] {received / 1e6:.1f}/{total / 1e6:.1f} MB")
        else:
            self.stream.write(f"\rDownloading {self.label} {received / 1e6:.1f} MB")
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _content_length(response):
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _not_found_message(spec, missing):
    configured = data_dir()
    target = (configured / spec.name) if configured is not None else (cache_dir() / spec.name)
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


def _inside(path, folder):
    try:
        pathlib.Path(path).resolve().relative_to(pathlib.Path(folder).resolve())
    except ValueError:
        return False
    return True


def _remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
