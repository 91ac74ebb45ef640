"""Writing files so that a crash, a full disk or Ctrl-C never leaves half a file behind.

Every file minidl writes (saved models and weights, dataset caches, metrics, plots, word
vectors) goes through :func:`atomic_write`:

1. the bytes are written to a temporary file in the destination's folder, named
   ``.<name>.<pid>.<random>.partial`` so that it is hidden and says which process made it;
2. the temporary file is flushed and ``fsync``-ed, and given the mode a plain ``open()`` would
   have given the file (``0o666`` minus the umask; an existing file keeps its mode);
3. :func:`os.replace` moves it over the destination in one step.

If anything fails on the way -- a full disk, a permission error, an exception inside the
caller's ``write`` function, ``KeyboardInterrupt`` -- the temporary file is removed and the old
destination file, if there was one, is left exactly as it was.

A process killed with ``kill -9`` cannot clean up after itself; the next write to the same
destination removes the temporaries whose process no longer runs (or that are a day old).
"""

import contextlib
import errno
import os
import pathlib
import secrets
import stat
import time

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "normal_file_mode",
           "remove_stale_temporaries"]

_SUFFIX = ".partial"
_STALE_AFTER_S = 24 * 3600


def atomic_write(path, write, *, text=False, encoding="utf-8", make_parents=True):
    """Create or replace ``path`` with what ``write(stream)`` writes, atomically.

    ``write`` receives an open binary stream (a text stream with ``text=True``). Returns the
    path as a :class:`pathlib.Path`.
    """
    path = pathlib.Path(os.fspath(path))
    folder = path.parent
    _check_destination(path, make_parents)
    if make_parents:
        folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    temporary = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}"
    mode = normal_file_mode(path)
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with (os.fdopen(descriptor, "w", encoding=encoding, newline="") if text else os.fdopen(descriptor, "wb")) as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path


def _check_destination(path, make_parents):
    """Refuse, with a message naming the path, a destination that is a folder or whose folder
    (or a folder above it) is a file: otherwise ``mkdir`` or ``os.replace`` would fail with a
    bare ``FileExistsError``/``IsADirectoryError`` naming a temporary file or nothing useful."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"cannot write {path}: it is a folder, not a file", str(path))
    for folder in path.parents if make_parents else [path.parent]:
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise NotADirectoryError(
                    errno.ENOTDIR, f"cannot write {path}: {folder} is a file, not a folder", str(folder)
                )
            return


def atomic_write_bytes(path, data, **kwargs):
    """Create or replace ``path`` with ``data`` (bytes), atomically."""
    return atomic_write(path, lambda stream: stream.write(data), **kwargs)


def atomic_write_text(path, data, encoding="utf-8", **kwargs):
    """Create or replace ``path`` with the string ``data``, atomically."""
    return atomic_write(path, lambda stream: stream.write(data), text=True, encoding=encoding, **kwargs)


def normal_file_mode(path=None):
    """The permission bits a new file gets from ``open()``: ``0o666`` minus the process umask.

    An existing ``path`` keeps the permission bits it has.
    """
    if path is not None:
        try:
            return stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            pass
    return 0o666 & ~_umask()


def remove_stale_temporaries(path):
    """Remove temporary files left beside ``path`` by earlier writes that were killed.

    Only files named like :func:`atomic_write`'s temporaries for this very destination are
    considered, and only those whose process has ended or that are older than a day, so a
    write in progress in another process is never disturbed. Returns the removed paths.
    """
    path = pathlib.Path(os.fspath(path))
    prefix = f".{path.name}."
    removed = []
    try:
        candidates = [entry for entry in os.scandir(path.parent or ".")
                      if entry.name.startswith(prefix) and entry.name.endswith(_SUFFIX)]
    except OSError:
        return removed
    for entry in candidates:
        middle = entry.name[len(prefix):-len(_SUFFIX)].split(".")
        if len(middle) != 2 or not middle[0].isdigit():
            continue
        pid = int(middle[0])
        try:
            age = time.time() - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if _process_alive(pid) and age < _STALE_AFTER_S:
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(pathlib.Path(entry.path))
    return removed


def _process_alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it belongs to someone else
    except OSError:
        return True
    return True


def _umask():
    """The process umask, read without changing it where Linux allows (thread-safe)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current
