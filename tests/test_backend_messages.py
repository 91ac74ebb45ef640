"""The CuPy backend's errors say what is needed (an NVIDIA GPU with a CUDA 12 driver, and
``pip install 'minidl[gpu]'``) and what is missing on this machine."""

import sys
import types

import pytest

from minidl import backend

NEEDS = ("NVIDIA GPU", "CUDA 12 driver", "pip install 'minidl[gpu]'", "cupy-cuda12x", "numpy backend")


def load_cupy_with(monkeypatch, module):
    monkeypatch.setitem(sys.modules, "cupy", module)
    with pytest.raises(backend.BackendUnavailableError) as caught:
        backend._load_cupy()
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)  # no chained noise
    message = str(error)
    for needed in NEEDS:
        assert needed in message, (needed, message)
    return message


def test_cupy_not_installed(monkeypatch):
    message = load_cupy_with(monkeypatch, None)  # None in sys.modules makes the import fail
    assert "Missing here: CuPy is not installed" in message


def fake_cupy(get_device_count):
    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


def test_cupy_without_a_driver(monkeypatch):
    def no_driver():
        raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")

    message = load_cupy_with(monkeypatch, fake_cupy(no_driver))
    assert "Missing here: CuPy is installed but finds no usable GPU or CUDA driver" in message
    assert "cudaErrorInsufficientDriver" in message


def test_cupy_with_no_gpu(monkeypatch):
    message = load_cupy_with(monkeypatch, fake_cupy(lambda: 0))
    assert "Missing here: CuPy is installed but the CUDA driver reports no GPU" in message
