"""minidl.runtime.host_memory: ``import minidl`` leaves glibc's allocator alone; a training script
that calls ``keep_freed_memory()`` gets freed large arrays back without page faults (Linux, glibc)."""

import os
import subprocess
import sys
import textwrap

import pytest

from minidl.runtime import host_memory

GLIBC = host_memory.is_glibc()

# Import minidl (optionally opting in), train a small model, then allocate and touch a 64 MiB
# array, free it, allocate another: count the page faults of the second. glibc's default serves
# blocks above 32 MiB with a fresh mmap every time, so the second array is faulted in page by page.
REFAULT_SCRIPT = textwrap.dedent("""
    import resource
    import sys
    import numpy as np
    import minidl
    from minidl.layers import Dense
    from minidl.models import Sequential
    if sys.argv[1] == "opt-in":
        minidl.runtime.keep_freed_memory()
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1)])
    model.compile("adam", "mse")
    model.fit(np.ones((64, 3), np.float32), np.ones((64, 1), np.float32), epochs=1, verbose=0)
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    first = np.ones(16 << 20, dtype=np.float32)
    del first
    before = faults()
    second = np.ones(16 << 20, dtype=np.float32)
    print(minidl.runtime.host_memory.kept, faults() - before)
""")

# Record every look-up of ``mallopt`` through ctypes while minidl and its optional parts load.
MALLOPT_SPY_SCRIPT = textwrap.dedent("""
    import ctypes
    looked_up = []
    class Spy(ctypes.CDLL):
        def __getattr__(self, name):
            if name == "mallopt":
                looked_up.append(name)
            return super().__getattr__(name)
        def __getitem__(self, name):
            if name == "mallopt":
                looked_up.append(name)
            return super().__getitem__(name)
    ctypes.CDLL = Spy
    ctypes.cdll = ctypes.LibraryLoader(Spy)
    import minidl
    import minidl.keras, minidl.tf, minidl.viz, minidl.applications
    print(len(looked_up), minidl.runtime.host_memory.kept)
    minidl.runtime.keep_freed_memory()
    print(len(looked_up), minidl.runtime.host_memory.kept)
""")


def run_script(script, *args, keep=None):
    env = dict(os.environ)
    env.pop("MINIDL_KEEP_FREED_MEMORY", None)
    if keep is not None:
        env["MINIDL_KEEP_FREED_MEMORY"] = keep
    result = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True,
                            check=True)
    return result.stdout.split()


def run_refault(mode, keep=None):
    kept, faults = run_script(REFAULT_SCRIPT, mode, keep=keep)
    return kept == "True", int(faults)


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc on Linux")
def test_importing_minidl_never_calls_mallopt():
    at_import, kept_at_import, after_call, kept_after_call = run_script(MALLOPT_SPY_SCRIPT)
    assert (at_import, kept_at_import) == ("0", "False")
    assert int(after_call) >= 1 and kept_after_call == "True"  # the spy does see the explicit call


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc on Linux")
def test_importing_and_training_leave_glibc_defaults_alone():
    kept, faults = run_refault("plain")
    assert not kept
    assert faults >= 32  # the second array is a fresh mapping, faulted in page by page


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc on Linux")
def test_keep_freed_memory_reuses_a_freed_large_array_without_page_faults():
    kept, faults = run_refault("opt-in")
    assert kept
    assert faults < 64  # 64 MiB faulted in again would be 16,384 small pages or 32 huge ones


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc on Linux")
def test_the_environment_variable_turns_the_opt_in_off():
    kept, faults = run_refault("opt-in", keep="0")
    assert not kept
    assert faults >= 32


def test_keep_freed_memory_says_no_where_there_is_no_glibc(monkeypatch):
    monkeypatch.setattr(host_memory, "is_glibc", lambda: False)
    assert host_memory.keep_freed_memory() is False
