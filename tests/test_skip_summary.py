"""The test command ends with one line per skip reason and its count (tests/conftest.py)."""

import os
import pathlib
import subprocess
import sys
import textwrap

REPO = pathlib.Path(__file__).resolve().parent.parent


def test_skips_are_summarised_by_reason_with_counts(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.conftest import pytest_terminal_summary  # noqa: F401 - the hook under test
    """))
    (tmp_path / "test_some_skips.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_needs_a_gpu(n):
            pytest.skip("needs a GPU")

        @pytest.mark.skipif(True, reason="needs the IMDB archive")
        def test_needs_data():
            pass

        def test_runs():
            pass
    """))
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    completed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                               cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    header = next(index for index, line in enumerate(lines) if "4 skipped, by reason" in line)
    assert lines[header + 1:header + 3] == ["    3  needs a GPU", "    1  needs the IMDB archive"]
