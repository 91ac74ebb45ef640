"""``import minidl`` stays light, yet ``minidl.viz`` and ``minidl.applications`` work after it;
a missing matplotlib names the extra to install."""

import subprocess
import sys

import pytest

import minidl


def python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_viz_and_applications_load_on_first_use_without_matplotlib_at_import():
    completed = python(
        "import sys, minidl\n"
        "assert 'matplotlib' not in sys.modules and 'minidl.viz' not in sys.modules\n"
        "assert 'minidl.applications' not in sys.modules\n"
        "print(minidl.viz.plot_history.__name__, minidl.applications.VGG16.__name__)\n"
        "assert 'matplotlib' not in sys.modules  # imported by the first plot, not by minidl.viz\n"
        "print(sorted(name for name in ('viz', 'applications') if name in dir(minidl)))\n"
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split("\n")[:2] == ["plot_history VGG16", "['applications', 'viz']"]


def test_unknown_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'minidl' has no attribute 'vizz'"):
        minidl.vizz  # noqa: B018


def test_plot_without_matplotlib_names_the_extra(tmp_path):
    completed = python(
        "import sys; sys.modules['matplotlib'] = None\n"
        "import minidl\n"
        f"minidl.viz.plot_history({{'loss': [1.0, 0.5]}}, {str(tmp_path / 'curves.png')!r})\n"
    )
    assert completed.returncode != 0
    last_line = completed.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: minidl.viz draws its plots with matplotlib, which is not installed")
    assert "pip install 'minidl[examples]'" in last_line and "pip install matplotlib" in last_line
    assert "During handling" not in completed.stderr  # no chained traceback
    assert not (tmp_path / "curves.png").exists()
