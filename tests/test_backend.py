"""The backend switch: names, the CuPy error, MINIDL_BACKEND, seeding, floatx, transfers."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import minidl
from minidl import backend
from tests.conftest import REPO_ROOT, to_host

CUPY_IMPORTABLE = importlib.util.find_spec("cupy") is not None


def test_cupy_without_cupy_says_how_to_install_it():
    if CUPY_IMPORTABLE:
        # CuPy is present: selecting it either works (a GPU is visible) or says no GPU is usable.
        try:
            minidl.set_backend("cupy")
        except backend.BackendUnavailableError as error:
            assert "GPU" in str(error)
            assert minidl.get_backend() == "numpy"
        else:
            assert minidl.get_backend() == "cupy"
        return
    with pytest.raises(backend.BackendUnavailableError, match=r"minidl\[gpu\]"):
        minidl.set_backend("cupy")
    assert minidl.get_backend() == "numpy"  # a failed switch changes nothing


def test_backend_unavailable_is_a_runtime_error():
    assert issubclass(backend.BackendUnavailableError, RuntimeError)


def test_unknown_backend_name():
    with pytest.raises(ValueError, match=r"set_backend: unknown backend 'tpu'; expected one of \('numpy', 'cupy', 'simulated'\)"):
        minidl.set_backend("tpu")
    assert minidl.get_backend() == "numpy"


def test_switching_changes_xp_and_back(any_backend):
    xp = backend.get_xp()
    assert backend.get_backend() == any_backend
    assert backend.is_array(xp.zeros(2))
    if any_backend == "numpy":
        assert xp is np
    else:
        assert xp is not np and not backend.is_array(np.zeros(2))


def test_set_seed_makes_host_and_device_streams_reproducible(any_backend):
    minidl.set_seed(123)
    host_first = backend.host_rng().standard_normal(5)
    device_first = to_host(backend.device_rng().random(5))
    python_first = __import__("random").random()
    numpy_first = np.random.rand()
    minidl.set_seed(123)
    np.testing.assert_array_equal(backend.host_rng().standard_normal(5), host_first)
    np.testing.assert_array_equal(to_host(backend.device_rng().random(5)), device_first)
    assert __import__("random").random() == python_first
    assert np.random.rand() == numpy_first
    minidl.set_seed(124)
    assert not np.array_equal(backend.host_rng().standard_normal(5), host_first)


def test_host_stream_is_the_same_on_every_backend():
    draws = []
    for name in ("numpy", "simulated"):
        minidl.set_backend(name)
        minidl.set_seed(5)
        draws.append((backend.host_rng().standard_normal(3), to_host(backend.device_rng().random(3))))
    np.testing.assert_array_equal(draws[0][0], draws[1][0])
    np.testing.assert_array_equal(draws[0][1], draws[1][1])


def test_device_stream_does_not_depend_on_seeding_before_or_after_the_switch():
    minidl.set_seed(9)
    minidl.set_backend("simulated")
    seeded_first = backend.device_rng().random(4)
    assert backend.is_array(seeded_first)
    minidl.set_backend("numpy")
    minidl.set_backend("simulated")
    minidl.set_seed(9)
    np.testing.assert_array_equal(to_host(backend.device_rng().random(4)), to_host(seeded_first))
    # and the device stream is not a copy of the host stream
    minidl.set_seed(9)
    assert not np.array_equal(backend.host_rng().random(4), to_host(backend.device_rng().random(4)))


def _run_with_env(code, **env):
    environment = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=60)


def test_minidl_backend_environment_variable_is_honoured():
    result = _run_with_env(
        "import minidl; from minidl import backend; "
        "print(minidl.get_backend(), type(minidl.tensor([1.0]).data).__name__)",
        MINIDL_BACKEND="simulated")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["simulated", "DeviceArray"]


def test_minidl_backend_environment_variable_with_a_bad_name_fails_loudly():
    result = _run_with_env("import minidl", MINIDL_BACKEND="tpu")
    assert result.returncode != 0
    assert "unknown backend 'tpu'" in result.stderr
    if not CUPY_IMPORTABLE:
        result = _run_with_env("import minidl", MINIDL_BACKEND="cupy")
        assert result.returncode != 0 and "minidl[gpu]" in result.stderr


def test_floatx_accepts_float_types_only():
    assert minidl.floatx() == np.float32
    minidl.set_floatx("float64")
    assert minidl.floatx() == np.float64
    assert minidl.tensor([0.5]).dtype == np.float64
    with pytest.raises(ValueError, match="set_floatx: expected float16, float32 or float64, got int32"):
        minidl.set_floatx("int32")


def test_explicit_transfers_round_trip(any_backend):
    host = np.arange(6.0).reshape(2, 3)
    on_device = backend.to_device(host, dtype=np.float32)
    assert backend.is_array(on_device) and on_device.dtype == np.float32
    back = backend.to_numpy(on_device)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, host)
    assert isinstance(minidl.tensor(host).numpy(), np.ndarray)
    assert isinstance(backend.to_numpy(np.float64(2.0)), np.ndarray)


def test_scatter_add_accumulates_repeated_indices(any_backend):
    xp = backend.get_xp()
    target = xp.zeros((4, 2))
    backend.scatter_add(target, backend.to_device(np.array([3, 0, 3])), backend.to_device(np.ones((3, 2))))
    np.testing.assert_array_equal(to_host(target), [[1, 1], [0, 0], [0, 0], [2, 2]])


def test_scatter_add_of_rows_equals_numpy_add_at_with_repeats_and_negative_indices():
    rng = np.random.default_rng(0)
    indices = np.array([3, 0, 3, -1, 2, 3])
    values = rng.normal(size=(6, 4)).astype(np.float32)
    expected = np.zeros((5, 4), np.float32)
    np.add.at(expected, indices, values)
    target = np.zeros((5, 4), np.float32)
    backend.scatter_add(target, indices, values)
    np.testing.assert_array_equal(target, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [4, 5])  # even: added as complex pairs; odd: as reals
def test_scatter_add_of_rows_in_several_chunks_equals_numpy_add_at_bit_for_bit(monkeypatch, dtype, width):
    """Rows are added a chunk at a time, as pairs of reals seen as complex numbers where the
    width is even: the same additions in the same order, so exactly numpy's add.at; chunk
    edges must not lose or repeat a row."""
    monkeypatch.setattr(backend, "SCATTER_CHUNK_ELEMENTS", 12)  # 3 rows (or 6 pairs of 2) per chunk
    rng = np.random.default_rng(1)
    indices = rng.integers(-5, 5, size=20).astype(np.int32)
    values = rng.normal(size=(20, width)).astype(dtype)
    target = rng.normal(size=(5, width)).astype(dtype)
    expected = target.copy()
    np.add.at(expected, indices, values)
    backend.scatter_add(target, indices, values)
    np.testing.assert_array_equal(target, expected)
