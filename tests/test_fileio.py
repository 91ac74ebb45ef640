"""Atomic writes: the old file survives every failure, no temporary is left, modes are normal."""

import os
import stat
import subprocess
import sys

import pytest

from minidl import fileio


def _listing(folder):
    return sorted(os.listdir(folder))


def test_writes_bytes_and_text(tmp_path):
    fileio.atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
    fileio.atomic_write_text(tmp_path / "b.txt", "héllo\n")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "héllo\n"
    assert _listing(tmp_path) == ["a.bin", "b.txt"]


def test_creates_missing_parent_folders(tmp_path):
    target = tmp_path / "runs" / "deep" / "x.txt"
    fileio.atomic_write_text(target, "x")
    assert target.read_text() == "x"


def test_failure_inside_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")

    def half_then_fail(stream):
        stream.write(b"new but incomplete")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fileio.atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert _listing(tmp_path) == ["model.npz"]


def test_disk_full_keeps_the_old_file(tmp_path):
    target = tmp_path / "w.bin"
    target.write_bytes(b"old")

    def full(stream):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        fileio.atomic_write(target, full)
    assert target.read_bytes() == b"old"
    assert _listing(tmp_path) == ["w.bin"]


def test_new_files_get_the_umask_mode_and_existing_files_keep_theirs(tmp_path):
    old_umask = os.umask(0o022)
    try:
        fileio.atomic_write_bytes(tmp_path / "new", b"1")
        assert stat.S_IMODE(os.stat(tmp_path / "new").st_mode) == 0o644
        existing = tmp_path / "existing"
        existing.write_bytes(b"0")
        os.chmod(existing, 0o640)
        fileio.atomic_write_bytes(existing, b"1")
        assert stat.S_IMODE(os.stat(existing).st_mode) == 0o640
    finally:
        os.umask(old_umask)


def test_temporaries_of_killed_writes_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "model.keras"
    # A process that has ended cannot still be writing: its temporary is stale.
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(ended.stdout)
    stale = tmp_path / f".model.keras.{dead_pid}.abcd1234.partial"
    stale.write_bytes(b"half")
    live = tmp_path / f".model.keras.{os.getppid()}.abcd1234.partial"  # a running process's write
    live.write_bytes(b"in progress")
    unrelated = tmp_path / ".other.123.abcd1234.partial"
    unrelated.write_bytes(b"x")
    fileio.atomic_write_bytes(target, b"new")
    assert not stale.exists()
    assert live.exists() and unrelated.exists()
    assert target.read_bytes() == b"new"


def test_a_killed_process_leaves_only_a_temporary_which_the_next_save_removes(tmp_path):
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    script = (
        "import os, signal, sys; from minidl import fileio\n"
        "def write(stream):\n"
        "    stream.write(b'x' * 1000)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"fileio.atomic_write({str(target)!r}, write)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -9
    assert target.read_bytes() == b"old"
    assert len(_listing(tmp_path)) == 2
    fileio.atomic_write_bytes(target, b"new")
    assert _listing(tmp_path) == ["big.bin"]
