"""minidl.runtime: the package below everything else, its public names, and an import of minidl
that leaves the process as it found it."""

import subprocess
import sys
import textwrap

import minidl
import minidl.backend
from minidl import runtime


def test_minidl_backend_is_the_runtime_s_array_module():
    from minidl import backend

    assert backend is minidl.backend is runtime.backend is sys.modules["minidl.backend"]
    assert minidl.backend.to_numpy is runtime.to_numpy and minidl.get_backend is runtime.get_backend
    assert issubclass(minidl.backend.DeviceTransferWarning, UserWarning)


def test_a_patch_through_the_public_name_reaches_minidl_s_own_calls(monkeypatch):
    seen = []
    original = runtime.backend.to_device
    monkeypatch.setattr(minidl.backend, "to_device", lambda a, dtype=None: seen.append(1) or original(a, dtype))
    minidl.layers.Dense(2).build((None, 3))  # add_weight moves the initial values with backend.to_device
    assert seen


def test_importing_minidl_leaves_threads_and_environment_alone():
    script = textwrap.dedent("""
        import os, threading
        before_env, before_threads = dict(os.environ), threading.active_count()
        import minidl, minidl.keras, minidl.tf
        print(dict(os.environ) == before_env, threading.active_count() == before_threads)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "True"]
