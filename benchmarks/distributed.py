"""Data parallelism on this machine: what the gradient allreduce costs, and what two ranks gain.

    python benchmarks/distributed.py                     # all three parts (about 5 minutes on 2 cores)
    python benchmarks/distributed.py --parts allreduce   # or steps, scaling; comma-separated
    python benchmarks/distributed.py --out benchmarks/results_distributed.json

Every measurement runs in fresh processes -- ``mpiexec -n 2`` for two ranks (the ``mpiexec``
beside this Python, i.e. the ``mpich`` wheel's), a plain process for one -- and prints Markdown
tables ready for ``RESULTS.md``:

1. ``allreduce``: one allreduce of a float32 buffer between two ranks, through minidl's MPI
   communicator exactly as training uses it (``Iallreduce`` polled by the watchdog), from
   4 KiB to 64 MiB: median time and the rate ``bytes / time``.
2. ``steps``: training steps (``fit``, global batch 64, Adam) of MLPs from 20 thousand to 18
   million parameters: the bytes each rank puts into the gradient allreduce per step, the time
   one allreduce of that many bytes takes, the step time of one process on one core and of two
   ranks on one core each, and how long the ranks waited for the allreduce after their backward
   pass -- with the allreduce of each bucket started during backward (overlap) and all of them
   started after it (``overlap=False``).
3. ``scaling``: ``fit`` throughput of three labs' models with the lab's batch size: one process
   on one core, one process on both cores (minidl's own threads and BLAS's), and two ranks on one
   core each (strong scaling: the same global batch, split). Efficiency is the two ranks'
   throughput over twice the one-core process's; "2 ranks / 1 process" compares the two ways of
   using both cores. A last column is weak scaling: two ranks with twice the global batch.

A step's time is that of a one-epoch ``fit`` of 16 steps divided by 16 (median over the repeats,
after a warm-up fit), so it includes what a step of a real epoch does besides the arithmetic
(shuffling, batching, host copies, the allreduce) and a sixteenth of what a ``fit`` pays once
(for two ranks the start-of-fit broadcast, shown apart in the scaling table, and the epoch-end
metrics). The machine is shared, so the configurations take turns: ``--rounds`` rounds, each
running every configuration once in fresh processes, and the median over the rounds is reported.
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

ALLREDUCE_BYTES = [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]
MLP_WIDTHS = [64, 256, 1024, 2048, 4096]  # 256 -> w -> w -> 10: 21 thousand .. 17.8 million parameters
MLP_INPUTS = 256
MLP_BATCH = 64
SCALING_WORKLOADS = ["lm6", "cnn", "imdb_dense"]
STEPS_PER_EPOCH = {"lm6": 16, "cnn": 16, "imdb_dense": 16, "mlp": 16}


# -- what runs inside the measured processes ----------------------------------------------------------
def _one_core():
    """Hold this process to one core: minidl's thread pool (it counts the cores it may use) and BLAS."""
    from threadpoolctl import threadpool_limits

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    threadpool_limits(limits=1, user_api="blas")


def _time_allreduce(communicator, nbytes, repeats):
    import minidl.distributed as dist

    buffer = np.ones(nbytes // 4, dtype=np.float32)
    times = []
    for _ in range(repeats + 2):
        dist.barrier()
        started = time.perf_counter()
        communicator.wait([communicator.allreduce_start(buffer)], "a benchmark allreduce")
        times.append(time.perf_counter() - started)
    return statistics.median(times[2:])


def worker_allreduce(config):
    import minidl.distributed as dist

    communicator = dist.init().communicator
    rows = []
    for nbytes in ALLREDUCE_BYTES:
        repeats = 50 if nbytes <= (1 << 20) else 10
        rows.append({"bytes": nbytes, "seconds": _time_allreduce(communicator, nbytes, repeats)})
    return {"rows": rows}


def _mlp(width):
    from minidl.layers import Dense
    from minidl.models import Sequential

    return Sequential([Dense(width, activation="relu", input_shape=(MLP_INPUTS,)), Dense(width, activation="relu"),
                       Dense(10, activation="softmax")])


def _data_for(name, samples):
    import workloads

    if name == "mlp":
        rng = np.random.default_rng(0)
        return (rng.random((samples, MLP_INPUTS), dtype=np.float32),
                np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=samples)])
    return workloads.training_data(workloads.get(name), samples)


def _timed_fit(model, x, y, batch, steps, repeats):
    """Median seconds per step over ``repeats`` one-epoch fits of ``steps`` steps (one warm-up fit)."""
    per_step = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        per_step.append((time.perf_counter() - started) / steps)
    return statistics.median(per_step[1:])


def worker_training(config):
    """One configuration of ``steps`` or ``scaling``: build, (distribute), fit, time."""
    import minidl
    import minidl.distributed as dist

    if config["one_core"]:
        _one_core()
    world = dist.init()
    minidl.set_seed(0)
    name, batch = config["model"], config["batch"]
    steps = STEPS_PER_EPOCH[name]
    x, y = _data_for(name, batch * steps)
    strategy = dist.DataParallel(overlap=config.get("overlap", True)) if config["distributed"] else None
    with strategy.scope() if strategy is not None else _NoScope():
        if name == "mlp":
            model = _mlp(config["width"])
            model.compile(optimizer="adam", loss="categorical_crossentropy")
        else:
            import models_minidl
            import workloads

            model = models_minidl.build_model(workloads.get(name).with_overrides(batch=batch))
    seconds = _timed_fit(model, x, y, batch, steps, config["repeats"])
    result = {"seconds_per_step": seconds, "samples_per_second": batch / seconds,
              "parameters": int(sum(w.size for w in model.trainable_weights)), "world_size": world.size}
    reducer = getattr(model._compiled.optimizer, "reducer", None)
    if reducer is not None and reducer.steps:
        result["bytes_per_step"] = reducer.communicated_bytes / reducer.steps
        result["waited_seconds_per_step"] = reducer.waited_seconds / reducer.steps
        result["buckets"] = len(reducer.buckets)
        gradient_bytes = sum(bucket.nbytes for bucket in reducer.buckets)
        result["allreduce_seconds"] = _time_allreduce(world.communicator, gradient_bytes, 10)
    if strategy is not None:
        result["start_of_fit_seconds"] = _time_start_of_fit(strategy, model)
    return result


def _time_start_of_fit(strategy, model, repeats=5):
    """What a fit on two ranks pays once before its first step: rank 0's weights and optimizer
    state broadcast to every rank (the checks before it exchange a few hundred bytes)."""
    import minidl.distributed as dist

    times = []
    for _ in range(repeats):
        dist.barrier()
        started = time.perf_counter()
        strategy._synchronize(model)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class _NoScope:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


# -- the orchestration ---------------------------------------------------------------------------------------
def _mpiexec():
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if found is None:
        raise SystemExit("benchmarks/distributed.py needs mpiexec: pip install mpi4py mpich")
    return found


def run(config, ranks):
    """Run one measurement in fresh process(es); returns rank 0's result."""
    import blas

    command = [sys.executable, __file__, "--worker", json.dumps(config)]
    if ranks > 1:
        command = [_mpiexec(), "-n", str(ranks)] + command
    completed = subprocess.run(command, capture_output=True, text=True, env=blas.environment(), timeout=1800)
    results = [line[len("RESULT "):] for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    if completed.returncode != 0 or not results:
        raise RuntimeError(f"{config} on {ranks} rank(s) failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-3000:]}")
    return json.loads(results[0])


def in_rounds(configurations, rounds):
    """Run every (key, config, ranks) once per round, round after round; per key, the result of
    the round with the median ``seconds`` / ``seconds_per_step``."""
    results = {key: [] for key, _, _ in configurations}
    for round_index in range(rounds):
        for key, config, ranks in configurations:
            results[key].append(run(config, ranks))
        print(f"  round {round_index + 1} of {rounds} done", file=sys.stderr, flush=True)
    return {key: _median_result(values) for key, values in results.items()}


def _median_result(values):
    time_key = "seconds_per_step" if "seconds_per_step" in values[0] else "seconds"
    ordered = sorted(values, key=lambda value: value[time_key])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["rounds"] = [value[time_key] for value in values]
    return chosen


def part_allreduce(repeats, rounds):
    per_round = [run({"part": "allreduce"}, 2)["rows"] for _ in range(rounds)]
    return [{"bytes": row["bytes"], "seconds": statistics.median(rows[index]["seconds"] for rows in per_round),
             "rounds": [rows[index]["seconds"] for rows in per_round]}
            for index, row in enumerate(per_round[0])]


def part_steps(repeats, rounds):
    configurations = []
    for width in MLP_WIDTHS:
        base = {"part": "training", "model": "mlp", "width": width, "batch": MLP_BATCH, "repeats": repeats}
        configurations += [
            ((width, "one_process"), {**base, "one_core": True, "distributed": False}, 1),
            ((width, "two_ranks"), {**base, "one_core": False, "distributed": True, "overlap": True}, 2),
            ((width, "two_ranks_no_overlap"), {**base, "one_core": False, "distributed": True, "overlap": False}, 2),
        ]
    results = in_rounds(configurations, rounds)
    return [{"width": width, **{kind: results[(width, kind)] for kind in ("one_process", "two_ranks",
                                                                           "two_ranks_no_overlap")}}
            for width in MLP_WIDTHS]


def part_scaling(repeats, rounds):
    import workloads

    configurations = []
    for name in SCALING_WORKLOADS:
        batch = workloads.get(name).batch
        base = {"part": "training", "model": name, "repeats": repeats, "batch": batch}
        configurations += [
            ((name, "one_core"), {**base, "one_core": True, "distributed": False}, 1),
            ((name, "one_process"), {**base, "one_core": False, "distributed": False}, 1),
            ((name, "two_ranks"), {**base, "one_core": False, "distributed": True}, 2),
            ((name, "two_ranks_double_batch"), {**base, "batch": 2 * batch, "one_core": False, "distributed": True}, 2),
        ]
    results = in_rounds(configurations, rounds)
    kinds = ("one_core", "one_process", "two_ranks", "two_ranks_double_batch")
    return [{"workload": name, "batch": workloads.get(name).batch, **{kind: results[(name, kind)] for kind in kinds}}
            for name in SCALING_WORKLOADS]


# -- tables ----------------------------------------------------------------------------------------------------
def _size(nbytes):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes} B"


def table_allreduce(rows):
    lines = ["| buffer | allreduce time | bytes / time |", "|---|---|---|"]
    for row in rows:
        lines.append(f"| {_size(row['bytes'])} | {row['seconds'] * 1e6:,.0f} us | "
                     f"{row['bytes'] / row['seconds'] / 1e9:.2f} GB/s |")
    return "\n".join(lines)


def table_steps(rows):
    lines = ["| MLP width | parameters | bytes per step and rank | buckets | one allreduce of them | "
             "step, 1 process 1 core | step, 2 ranks | waited after backward | step, 2 ranks, no overlap | "
             "waited, no overlap |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        one, two, after = row["one_process"], row["two_ranks"], row["two_ranks_no_overlap"]
        lines.append(
            f"| {row['width']} | {one['parameters']:,} | {_size(int(two['bytes_per_step']))} | {two['buckets']} | "
            f"{two['allreduce_seconds'] * 1e3:.2f} ms | {one['seconds_per_step'] * 1e3:.1f} ms | "
            f"{two['seconds_per_step'] * 1e3:.1f} ms | {two['waited_seconds_per_step'] * 1e3:.2f} ms | "
            f"{after['seconds_per_step'] * 1e3:.1f} ms | {after['waited_seconds_per_step'] * 1e3:.2f} ms |")
    return "\n".join(lines)


def table_scaling(rows):
    lines = ["| workload | parameters | batch | 1 process, 1 core | 1 process, 2 cores | 2 ranks, 1 core each | "
             "efficiency (2 ranks / 2x 1 core) | 2 ranks / 1 process | 2 ranks, batch x2 (weak) | start of a fit "
             "on 2 ranks |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        one_core, one, two = (row[key]["samples_per_second"] for key in ("one_core", "one_process", "two_ranks"))
        weak = row["two_ranks_double_batch"]["samples_per_second"]
        lines.append(f"| {row['workload']} | {row['one_core']['parameters']:,} | {row['batch']} | {one_core:,.0f} | "
                     f"{one:,.0f} | {two:,.0f} | {two / (2 * one_core):.2f} | {two / one:.2f} | {weak:,.0f} | "
                     f"{row['two_ranks']['start_of_fit_seconds'] * 1e3:.1f} ms |")
    return "\n".join(lines) + "\n\n(throughput in samples/s)"


PARTS = {"allreduce": (part_allreduce, table_allreduce), "steps": (part_steps, table_steps),
         "scaling": (part_scaling, table_scaling)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="allreduce,steps,scaling", help="comma-separated: allreduce,steps,scaling")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per configuration and round (median)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every configuration in turn (median)")
    parser.add_argument("--out", default="", help="JSON file for every measurement ('' for none)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        config = json.loads(args.worker)
        result = worker_allreduce(config) if config["part"] == "allreduce" else worker_training(config)
        import minidl.distributed as dist

        if dist.is_primary():
            print("RESULT " + json.dumps(result), flush=True)
        return
    import report

    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose from {sorted(PARTS)}")
    machine = report.machine_info()
    record = {"machine": machine, "command": " ".join([os.path.basename(sys.executable)] + sys.argv), "parts": {}}
    for part in parts:
        measure, _ = PARTS[part]
        print(f"{part}...", file=sys.stderr, flush=True)
        record["parts"][part] = measure(args.repeats, args.rounds)
    record["load_average_1min_at_end"] = os.getloadavg()[0]
    print(f"Machine: {machine.get('cpu')}, {machine.get('logical_cores')} logical cores; {machine['date']}; "
          f"load average (1 min) {machine['load_average_1min']:.2f} at the start, "
          f"{record['load_average_1min_at_end']:.2f} at the end\n")
    for part in parts:
        print(PARTS[part][1](record["parts"][part]) + "\n")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
