"""What every example script shares: the command line, the backend and seed, the output folder,
and ``metrics.json``.

Every script takes ``--backend {numpy,cupy}``, ``--epochs``, ``--batch-size``, ``--seed``,
``--data-dir``, ``--out``, ``--overwrite`` and ``--quick`` (a tiny subset so the script finishes
in seconds; the test-suite runs every script that way). Scripts that train with ``fit`` may also
take ``--distributed``: data-parallel training over the processes ``mpiexec -n N`` starts (the
batch size stays the global one, so the run trains as one process would; rank 0 alone prints and
writes files, and ``metrics.json`` records the world size).

Where a run's files go: without ``--out``, every run gets a folder of its own,
``runs/<script>/<date>-<time>`` (``...-quick`` for ``--quick``), so a smoke run never replaces
a full run's plots and metrics. ``--out DIR`` names the folder; a folder that already holds a
finished run's ``metrics.json`` is refused unless ``--overwrite`` is given. The folder is
printed at the start and at the end of the run. Files are written atomically with the user's
normal file mode (``minidl.fileio``).
"""

import argparse
import contextlib
import json
import math
import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import minidl  # noqa: E402 - after the path tweak so the examples run from a plain checkout
import minidl.distributed  # noqa: E402
from minidl.fileio import atomic_write_text  # noqa: E402


def parse_args(description, epochs, batch_size, extra_arguments=None, argv=None, distributed=False):
    """The standard example command line, with the lab's epochs and batch size as defaults."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["numpy", "cupy"], default=os.environ.get("MINIDL_BACKEND", "numpy"),
                        help="array backend (default: numpy; cupy needs an NVIDIA GPU)")
    parser.add_argument("--epochs", type=int, default=epochs, help=f"training epochs (lab: {epochs})")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"batch size (lab: {batch_size})")
    parser.add_argument("--seed", type=int, default=0, help="random seed for weights, shuffling and dropout")
    parser.add_argument("--data-dir", default=None, help="dataset root (default: $MINIDL_DATA_DIR, then ~/.minidl/datasets)")
    parser.add_argument("--out", default=None,
                        help="folder for plots and metrics.json (default: a new runs/<script>/<date>-<time>)")
    parser.add_argument("--overwrite", action="store_true",
                        help="let --out replace the files of a finished run already in that folder")
    parser.add_argument("--quick", action="store_true", help="tiny subset, a smoke run of seconds")
    if distributed:
        parser.add_argument("--distributed", action="store_true",
                            help="data parallel over the ranks mpiexec starts: mpiexec -n 2 python <script> --distributed")
    if extra_arguments is not None:
        extra_arguments(parser)
    args = parser.parse_args(argv)
    if args.epochs <= 0 or args.batch_size <= 0:
        parser.error("--epochs and --batch-size must be positive")
    if args.out is not None and not args.overwrite and (pathlib.Path(args.out) / "metrics.json").exists():
        parser.error(
            f"--out {args.out} already holds a finished run (its metrics.json); leave out --out to get a "
            "new folder under runs/, name another folder, or add --overwrite to replace that run's files"
        )
    return args


def setup(args, script_name):
    """Apply backend, seed and data directory; create, announce and return the output folder.

    Also asks glibc to keep freed large arrays for the next training step
    (``minidl.runtime.keep_freed_memory``): a training script's choice, which ``import minidl``
    does not make for every program that imports it.
    """
    minidl.runtime.keep_freed_memory()
    if args.data_dir:
        os.environ["MINIDL_DATA_DIR"] = str(pathlib.Path(args.data_dir).resolve())
    if getattr(args, "distributed", False) and minidl.distributed.init().rank > 0:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - rank 0 alone talks
    minidl.set_backend(args.backend)
    minidl.set_seed(args.seed)
    if args.out is not None:
        out = pathlib.Path(args.out)
        if is_primary(args):
            out.mkdir(parents=True, exist_ok=True)
    elif is_primary(args):
        out = new_run_folder(pathlib.Path("runs") / script_name, quick=args.quick)
    else:  # ranks other than 0 of --distributed write nothing
        out = pathlib.Path("runs") / script_name
    print(f"This run's files go to {out}/")
    return out


def new_run_folder(parent, quick=False):
    """A folder no run has used: ``parent/<date>-<time>`` (``...-quick`` for a smoke run), with
    ``-2``, ``-3``, ... after the time when another run started in the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kind = "-quick" if quick else ""
    parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        folder = parent / (stamp + ("" if attempt == 1 else f"-{attempt}") + kind)
        try:
            folder.mkdir()  # fails if it exists, so two runs never share a folder
        except FileExistsError:
            continue
        return folder
    raise RuntimeError(f"no free run folder named {stamp}-N{kind} under {parent}")


def is_primary(args):
    """True where this run writes files: always, except on ranks other than 0 of --distributed."""
    return not getattr(args, "distributed", False) or minidl.distributed.is_primary()


def distribution_scope(args):
    """Build and compile the model inside this: data parallel with --distributed, else as usual."""
    if getattr(args, "distributed", False):
        return minidl.distributed.DataParallel().scope()
    return contextlib.nullcontext()


def write_metrics(out, metrics, args, started):
    """Write ``metrics.json`` (the final metrics, the run's config and wall time) atomically,
    and say where the run's files are."""
    record = {
        "metrics": {key: _plain(value) for key, value in metrics.items()},
        "config": {key: _plain(value) for key, value in vars(args).items()},
        "wall_time_s": round(time.perf_counter() - started, 2),
        "minidl_version": minidl.__version__,
        "backend": minidl.get_backend(),
        "world_size": minidl.distributed.size() if getattr(args, "distributed", False) else 1,
    }
    if not is_primary(args):
        return record
    for key, value in record["metrics"].items():
        if isinstance(value, float) and not math.isfinite(value):
            print(f"warning: metric {key} is not finite ({value})")
    atomic_write_text(out / "metrics.json", json.dumps(record, indent=2) + "\n")
    print(f"Saved this run's metrics.json and plots in {out}/")
    return record


def _plain(value):
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, pathlib.Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
