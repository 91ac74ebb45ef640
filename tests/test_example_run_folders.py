"""Where an example run's files go: a folder of its own by default, never a silent overwrite of
a finished run, the folder printed, files with the user's normal mode."""

import json
import os
import pathlib
import stat
import subprocess
import sys

from tests.conftest import data_dir

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
FASTEST = EXAMPLES / "perceptron_logic_gates.py"  # about a second with --quick
WITH_PLOTS = EXAMPLES / "mnist_mlp.py"  # a few seconds with --quick; writes two PNGs and metrics.json


def run(arguments, cwd, umask=None, script=FASTEST):
    # resolved: the script runs in another folder, and the README passes a relative path
    env = dict(os.environ, MINIDL_DATA_DIR=str(data_dir().resolve()), MPLBACKEND="Agg")
    env.pop("MINIDL_BACKEND", None)
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([sys.executable, str(script), *arguments], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=preexec)


def announced_folder(stdout):
    """The folder a run printed at its start (relative to where it ran)."""
    prefix = "This run's files go to "
    line = next(line for line in stdout.splitlines() if line.startswith(prefix))
    return pathlib.Path(line[len(prefix):].rstrip("/"))


def test_default_runs_get_their_own_folders_and_say_where(tmp_path):
    runs = [run(["--quick"], tmp_path) for _ in range(2)]
    assert all(completed.returncode == 0 for completed in runs), [completed.stderr for completed in runs]
    folders = [announced_folder(completed.stdout) for completed in runs]
    assert folders[0] != folders[1]  # the second run did not overwrite the first
    assert sorted(tmp_path.joinpath("runs", "perceptron_logic_gates").iterdir()) == sorted(
        tmp_path / folder for folder in folders)
    for completed, folder in zip(runs, folders):
        assert folder.parent == pathlib.Path("runs", "perceptron_logic_gates")
        assert folder.name.endswith("-quick"), folder.name
        assert (tmp_path / folder / "metrics.json").is_file()
        assert completed.stdout.splitlines()[-1] == f"Saved this run's metrics.json and plots in {folder}/"


def test_out_refuses_a_finished_run_unless_overwrite(tmp_path):
    out = tmp_path / "mine"
    assert run(["--quick", "--out", str(out)], tmp_path).returncode == 0
    before = (out / "metrics.json").read_bytes()
    refused = run(["--quick", "--out", str(out)], tmp_path)
    assert refused.returncode == 2
    assert f"--out {out} already holds a finished run" in refused.stderr
    assert "--overwrite" in refused.stderr
    assert (out / "metrics.json").read_bytes() == before
    replaced = run(["--quick", "--out", str(out), "--overwrite"], tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads((out / "metrics.json").read_text())["config"]["overwrite"] is True


def test_files_get_the_users_normal_mode(tmp_path):
    umask = 0o002  # not the usual 0o022, so the modes below come from the umask, not a constant
    out = tmp_path / "run"
    completed = run(["--quick", "--out", str(out)], tmp_path, umask=umask, script=WITH_PLOTS)
    assert completed.returncode == 0, completed.stderr
    written = [path for path in out.iterdir() if path.is_file()]
    assert any(path.suffix == ".png" for path in written), written
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
    assert not [path for path in out.iterdir() if path.name.startswith(".")]  # no temporaries left
