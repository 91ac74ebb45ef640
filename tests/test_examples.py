"""Every example script runs with --quick (a tiny subset) and writes finite metrics.

Each script runs in its own process, as a user would start it, with MINIDL_DATA_DIR pointing at
the development datasets.
"""

import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import data_dir, script_program

EXAMPLES = sorted(p for p in (pathlib.Path(__file__).parent.parent / "examples").glob("*.py")
                  if not p.name.startswith("_"))


def _finite_numbers(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite_numbers(v) for v in value)
    if isinstance(value, dict):
        return all(_finite_numbers(v) for v in value.values())
    return False


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_quick_run_writes_finite_metrics(script, tmp_path):
    env = dict(os.environ, MINIDL_DATA_DIR=str(data_dir()), MPLBACKEND="Agg")
    env.pop("MINIDL_BACKEND", None)
    completed = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert completed.returncode == 0, f"{script.name} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["metrics"], f"{script.name} wrote no metrics"
    assert _finite_numbers(record["metrics"]), record["metrics"]


def test_imdb_keras_compare_quick_run_without_tensorflow(tmp_path):
    """imdb_keras_compare needs no TensorFlow: with it hidden, minidl runs alone and metrics.json
    records Keras as not installed (no Keras numbers)."""
    script = pathlib.Path(__file__).parent.parent / "examples" / "imdb_keras_compare.py"
    hide_tensorflow_and_run = script_program("sys.modules['tensorflow'] = None")
    env = dict(os.environ, MINIDL_DATA_DIR=str(data_dir()), MPLBACKEND="Agg")
    env.pop("MINIDL_BACKEND", None)
    completed = subprocess.run(
        [sys.executable, "-c", hide_tensorflow_and_run, str(script), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert completed.returncode == 0, f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    assert "Keras is not installed" in completed.stdout
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["metrics"]["keras_status"] == "not installed"
    for lab in record["metrics"]["labs"].values():
        assert lab["keras"] == "not installed"
        assert lab["difference_minidl_minus_keras"] is None
        assert _finite_numbers(lab["minidl"])
