"""The README works as written: every Python snippet runs, every shell command parses and names
scripts and options that exist, the test command is the one CI runs, links resolve, and the
flagship accuracy it quotes is the one the per-seed table in examples/README.md gives."""

import os
import pathlib
import re
import statistics
import subprocess
import sys

import pytest

from tests.conftest import data_dir

REPO = pathlib.Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
TEST_COMMAND = "pip install -e '.[test]' && MINIDL_DATA_DIR=../shared/data python -m pytest -q"
FLAGSHIP_COMMAND = "pip install -e '.[examples]' && MINIDL_DATA_DIR=../shared/data python examples/lstm_imdb.py"


def blocks(language, text=README):
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


PYTHON_BLOCKS = blocks("python")
BASH_BLOCKS = blocks("bash")


def run_python(code, cwd):
    # resolved: the snippet runs in another folder, and the README passes a relative path
    env = dict(os.environ, MINIDL_DATA_DIR=str(data_dir().resolve()), MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env.pop("MINIDL_BACKEND", None)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_readme_has_the_snippets_this_file_checks():
    assert len(PYTHON_BLOCKS) >= 4 and len(BASH_BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_snippet_runs_as_written(index, tmp_path):
    completed = run_python(PYTHON_BLOCKS[index], tmp_path)
    assert completed.returncode == 0, f"README snippet {index + 1} failed:\n{PYTHON_BLOCKS[index]}\n{completed.stderr}"
    assert completed.stdout.strip(), "the snippet printed nothing"


def test_pytorch_snippet_prints_the_gradients_its_comment_promises(tmp_path):
    snippet = next(block for block in PYTHON_BLOCKS if "z.backward()" in block)
    lines = run_python(snippet, tmp_path).stdout.splitlines()
    assert lines[0] == "24.0 10.0"
    weights = re.findall(r"array\(\[(-?[\d.e+-]+)\]", lines[1])
    assert [round(float(w), 2) for w in weights] == [2.0, -1.0], lines[1]


def test_inline_error_example_is_the_real_message(tmp_path):
    call, message = re.search(r"`(LSTM\([^`]*\))` raises\s+`([^`]*)`", README).groups()
    completed = run_python(f"from minidl.layers import LSTM\n{call}", tmp_path)
    assert completed.stderr.strip().splitlines()[-1] == message


@pytest.mark.parametrize("index", range(len(BASH_BLOCKS)))
def test_shell_block_parses(index):
    completed = subprocess.run(["bash", "-n"], input=BASH_BLOCKS[index], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_the_two_commands_are_the_contract():
    lines = [line for block in BASH_BLOCKS for line in block.splitlines() if line and not line.startswith("#")]
    assert FLAGSHIP_COMMAND in lines and TEST_COMMAND in lines
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert TEST_COMMAND in ci_lines, ".ci/run must run exactly the README's test command"


def example_commands():
    """Every ``python examples/NAME.py --options`` in the README's shell blocks and inline code."""
    found = re.findall(r"python (examples/\w+\.py)([^`\n]*)", README)
    return sorted({(script, options.strip()) for script, options in found})


@pytest.mark.parametrize("script, options", example_commands())
def test_example_commands_name_real_scripts_and_options(script, options):
    assert (REPO / script).is_file()
    help_text = subprocess.run([sys.executable, str(REPO / script), "--help"], capture_output=True, text=True,
                               timeout=300, env=dict(os.environ, PYTHONPATH=str(REPO))).stdout
    for option in re.findall(r"--[\w-]+", options):
        assert option in help_text, f"{script} has no option {option}"


def test_inline_example_options_exist():
    help_text = subprocess.run([sys.executable, str(REPO / "examples" / "lstm_imdb.py"), "--help"],
                               capture_output=True, text=True, timeout=300).stdout
    for option in ("--seed", "--quick", "--out", "--overwrite", "--backend"):
        assert f"`{option}" in README and option in help_text, option


def github_anchor(heading):
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_relative_links_resolve():
    for target in re.findall(r"\]\(([^)#][^)]*)\)", README):
        if target.startswith("http"):
            continue
        path, _, anchor = target.partition("#")
        assert (REPO / path).exists(), target
        if anchor:
            headings = re.findall(r"^#+ (.*)$", (REPO / path).read_text(), flags=re.M)
            assert anchor in {github_anchor(h) for h in headings}, target
    for anchor in re.findall(r"\]\(#([^)]*)\)", README):
        assert anchor in {github_anchor(h) for h in re.findall(r"^#+ (.*)$", README, flags=re.M)}, anchor


def test_flagship_accuracy_matches_the_per_seed_table():
    section = (REPO / "examples" / "README.md").read_text().split("### LM-6 over five seeds", 1)[1]
    table = section.split("\n### ", 1)[0]  # this section only: the two-rank table follows it
    accuracies = [float(value) for value in re.findall(r"^\| (?:\d) \| (0\.\d+) \|", table, flags=re.M)]
    assert len(accuracies) == 5, accuracies
    summary = (f"mean {statistics.mean(accuracies):.4f}, standard deviation {statistics.stdev(accuracies):.4f}, "
               f"range {min(accuracies):.4f}-{max(accuracies):.4f}")
    assert summary in " ".join(README.split()), summary
