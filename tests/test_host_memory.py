"""minidl.host_memory: freed large arrays stay with the process for reuse (Linux, glibc)."""

import os
import subprocess
import sys
import textwrap

import pytest

from minidl import host_memory

GLIBC = host_memory.is_glibc()

# Allocate and touch a 64 MiB array, free it, allocate another: count the page faults of the second.
REFAULT_SCRIPT = textwrap.dedent("""
    import resource
    import numpy as np
    import minidl
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    first = np.ones(16 << 20, dtype=np.float32)
    del first
    before = faults()
    second = np.ones(16 << 20, dtype=np.float32)
    print(minidl.host_memory.kept, faults() - before)
""")


def run_refault(keep):
    env = dict(os.environ, MINIDL_KEEP_FREED_MEMORY=keep)
    result = subprocess.run([sys.executable, "-c", REFAULT_SCRIPT], env=env, capture_output=True, text=True,
                            check=True)
    kept, faults = result.stdout.split()
    return kept == "True", int(faults)


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc on Linux")
def test_importing_minidl_keeps_freed_memory():
    assert host_memory.kept


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc on Linux")
def test_a_freed_large_array_is_reused_without_page_faults():
    kept, faults = run_refault("1")
    assert kept
    assert faults < 64  # 64 MiB faulted in again would be 16,384 small pages or 32 huge ones


@pytest.mark.skipif(not GLIBC, reason="the setting exists only for glibc on Linux")
def test_the_environment_variable_leaves_glibc_defaults_alone():
    kept, faults = run_refault("0")
    assert not kept
    assert faults >= 32  # the second array is a fresh mapping, faulted in page by page
