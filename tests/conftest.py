"""Shared test fixtures: run op and layer tests under NumPy and the simulated device; and the
end-of-run summary of why tests were skipped."""

import collections
import os
import pathlib

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minidl
from minidl import backend

# The default profile draws the same examples on every run (derandomize), so that the suite's
# verdict never depends on the run; HYPOTHESIS_PROFILE=explore draws new ones, more of them, to
# hunt for cases the fixed draw misses.
_HEALTH_CHECKS_OFF = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("minidl", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=_HEALTH_CHECKS_OFF)
settings.register_profile("explore", max_examples=100, deadline=None, suppress_health_check=_HEALTH_CHECKS_OFF)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "minidl"))

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def data_dir():
    """The development datasets: $MINIDL_DATA_DIR, else ../shared/data beside the repo, as an
    absolute path (the README's command gives a relative one, and some tests run scripts in a
    temporary folder)."""
    configured = os.environ.get("MINIDL_DATA_DIR")
    return pathlib.Path(configured).resolve() if configured else REPO_ROOT.parent / "shared" / "data"


def script_program(prelude):
    """A ``python -c`` program that runs ``prelude`` and then the script named by its first
    argument as ``python script.py args...`` would (its folder first on sys.path, run as
    ``__main__``): the script itself left unchanged."""
    return (
        "import os, runpy, sys\n"
        f"{prelude}\n"
        "sys.argv = sys.argv[1:]\n"
        "sys.path.insert(0, os.path.dirname(sys.argv[0]))\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )


def _cupy_unavailable_reason():
    """None when CuPy and a GPU are usable here, else why not (shown as the skip reason)."""
    try:
        backend._load_cupy()
    except backend.BackendUnavailableError as exc:
        return f"GPU test: {exc}"
    return None


_NO_GPU_REASON = _cupy_unavailable_reason()


@pytest.fixture(params=[
    "numpy",
    "simulated",
    pytest.param("cupy", marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(_NO_GPU_REASON is not None, reason=_NO_GPU_REASON or ""),
    ]),
])
def any_backend(request):
    """Run the test on NumPy, on the simulated device (CuPy's host rules) and, where a GPU is
    present, on CuPy itself."""
    previous = backend.get_backend()
    minidl.set_backend(request.param)
    minidl.set_seed(0)
    try:
        yield request.param
    finally:
        minidl.set_backend(previous)


@pytest.fixture(autouse=True)
def _restore_defaults():
    """Every test starts from float32 and the numpy backend, whatever the last one did."""
    yield
    minidl.set_floatx("float32")
    if backend.get_backend() != "numpy":
        minidl.set_backend("numpy")


def to_host(value):
    """Test helper: a Tensor or backend array as a NumPy array."""
    if isinstance(value, minidl.Tensor):
        return value.numpy()
    return backend.to_numpy(value)


def device(array):
    """Test helper: a host array as a float64 array on the active backend."""
    return backend.to_device(np.asarray(array, dtype=np.float64))


def with_weights(layer, names, call=None):
    """Test helper: ``fn(x, *weights)`` -- ``call(x)`` (default ``layer(x)``) with the given
    tensors standing in for the layer's weights ``names`` -- for a gradient check of the weights."""
    call = layer if call is None else call

    def fn(x, *weights):
        saved = [getattr(layer, name) for name in names]
        for name, weight in zip(names, weights):
            setattr(layer, name, weight)
        try:
            return call(x)
        finally:
            for name, weight in zip(names, saved):
                setattr(layer, name, weight)

    return fn


def pytest_terminal_summary(terminalreporter):
    """After the run, one line per distinct skip reason with how many tests it skipped, so the
    README's plain ``python -m pytest -q`` says why tests were skipped without listing each."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = collections.Counter(_skip_reason(report) for report in skipped)
    terminalreporter.write_sep("-", f"{len(skipped)} skipped, by reason")
    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        terminalreporter.write_line(f"{count:5d}  {reason}")


def _skip_reason(report):
    """The reason a skip report gives, without pytest's 'Skipped: ' prefix."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")
