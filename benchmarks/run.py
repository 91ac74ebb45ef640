"""Benchmark minidl against PyTorch and Keras on the labs' models, on this CPU, in one run.

    python benchmarks/run.py                                  # lstm, gru, rnn, cnn; all frameworks
    python benchmarks/run.py --workloads all --memory --out benchmarks/results.json
    python benchmarks/run.py --sweep --frameworks minidl,torch
    python benchmarks/run.py --rounds 3 --memory           # frameworks take turns, job by job

Each framework runs in its own subprocess (``worker.py``); with ``--memory`` each
(framework, workload) pair gets its own, so every peak RSS belongs to one model. With
``--rounds N`` every job runs N times, each time in a fresh process, the frameworks taking turns
on it (minidl, torch, keras) and the rounds following one another through the whole job list: on
a shared machine whose speed drifts over minutes, the frameworks being compared meet the same
conditions, a slow spell spoils one round rather than all of a job's, and the median over the
rounds is reported. The result is
printed as Markdown tables ready for ``RESULTS.md`` (machine, versions, command, samples/s,
ratios minidl/peer, optionally peak memory and the sweep) and written as JSON to ``--out``.
Nothing is installed: a framework that is missing is reported as "not installed".
"""

import argparse
import json
import os
import pathlib
import shlex
import statistics
import subprocess
import sys
import tempfile

import blas
import report
import worker
import workloads

from minidl.fileio import atomic_write_text  # worker put this checkout's minidl on the path

HERE = pathlib.Path(__file__).resolve().parent
FRAMEWORKS = ("minidl", "torch", "keras")


def _jobs_for_steps(names, overrides=None):
    return [{"workload": name, "mode": "step", **({"overrides": overrides} if overrides else {})} for name in names]


def parse_overrides(text):
    """``--set units=128,batch=64`` as {"units": 128, "batch": 64}: the workloads' sizes changed
    for a probe with other shapes. Every value is an integer (all workload sizes are)."""
    overrides = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, equals, value = item.partition("=")
        if not equals or not value.strip().lstrip("-").isdigit():
            raise ValueError(f"--set: expected KEY=INTEGER items separated by commas, got {item!r}")
        overrides[key.strip()] = int(value)
    return overrides


def _jobs_for_sweep(seq_lengths, batch_sizes, dataset_sizes):
    """One job per batch size whose sequence lengths are timed in turns (a row of the sweep is
    judged by how its cells compare, so they are measured under the same conditions), and one
    job per dataset size."""
    jobs = [{"workload": workloads.SWEEP_WORKLOAD, "mode": "step", "sweep": "seq_batch",
             "overrides": {"batch": batch}, "in_turns": {"seq": list(seq_lengths)}}
            for batch in batch_sizes]
    jobs += [{"workload": workloads.SWEEP_WORKLOAD, "mode": "epoch", "sweep": "dataset", "samples": samples}
             for samples in dataset_sizes]
    return jobs


def run_worker(framework, jobs, options):
    """Run ``jobs`` in one fresh process for ``framework``.

    Returns the records the worker wrote and, if it did not end normally, why (the end of its
    stderr, or the timeout)."""
    with tempfile.TemporaryDirectory() as scratch:
        results_path = pathlib.Path(scratch) / "results.jsonl"
        command = [sys.executable, str(HERE / "worker.py"), "--framework", framework,
                   "--jobs", json.dumps(jobs), "--results", str(results_path),
                   "--repeats", str(options.repeats), "--warmup", str(options.warmup),
                   "--target-seconds", str(options.target_seconds)]
        if options.steps is not None:
            command += ["--steps", str(options.steps)]
        if options.minidl_backend:
            command += ["--minidl-backend", options.minidl_backend]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=options.timeout,
                                       env=options.environment)
            failure = None if completed.returncode == 0 else (
                f"worker exited with status {completed.returncode}: {completed.stderr.strip()[-800:]}")
        except subprocess.TimeoutExpired:
            failure = f"worker timed out after {options.timeout} s"
        records = []
        if results_path.exists():
            records = [json.loads(line) for line in results_path.read_text().splitlines() if line.strip()]
    return records, failure


def run_framework(framework, jobs, options):
    """All jobs of one framework: in one process, or one process per job with --memory.

    If a worker dies (a crash in native code, a timeout), the job it was running is recorded
    as an error and a fresh worker carries on with the jobs after it."""
    records = []
    for group in ([[job] for job in jobs] if options.memory else [jobs]):
        remaining = group
        while remaining:
            got, failure = run_worker(framework, remaining, options)
            records.extend(got)
            finished = _jobs_finished(remaining, len([record for record in got if "workload" in record]))
            if finished >= len(remaining):
                break
            crashed = remaining[finished]
            records.extend({**worker.job_fields(cell), "framework": framework, "status": "error",
                            "reason": failure or "the worker ended without reporting this job"}
                           for cell in worker.job_cells(crashed))
            remaining = remaining[finished + 1:]
    return records


def _jobs_finished(jobs, records_written):
    """How many of ``jobs``, in order, a worker finished, given how many records it wrote (a
    job writes one record per cell, all at once when it ends)."""
    finished = 0
    for job in jobs:
        records_written -= len(worker.job_cells(job))
        if records_written < 0:
            break
        finished += 1
    return finished


def run_in_rounds(jobs, options):
    """Every job ``options.rounds`` times, one process each: round after round through all the
    jobs, the frameworks taking turns on each job. The frameworks compared on a job run back to
    back (the same conditions), and a job's rounds lie minutes apart (a slow spell of the
    machine spoils one round of a job, not all of them)."""
    records = []
    for round_number in range(options.rounds):
        for number, job in enumerate(jobs, 1):
            print(f"round {round_number + 1}/{options.rounds}, job {number}/{len(jobs)}: {_describe_job(job)}",
                  file=sys.stderr, flush=True)
            for framework in options.framework_names:
                for record in run_framework(framework, [job], options):
                    records.append({**record, "round": round_number} if "workload" in record else record)
    return records


def _describe_job(job):
    details = [f"{name} {value}" for name, value in job.get("overrides", {}).items()]
    details += [f"{name} {'/'.join(map(str, values))} in turns" for name, values in job.get("in_turns", {}).items()]
    if job.get("samples"):
        details.append(f"one epoch of {job['samples']} samples")
    return job["workload"] + (f" ({', '.join(details)})" if details else "")


def _job_key(record):
    return (record["framework"], record["workload"], json.dumps(record.get("overrides", {}), sort_keys=True),
            record.get("mode", "step"), record.get("sweep"), record.get("samples"))


def combine_rounds(records):
    """One record per (framework, job): the median over its rounds of the seconds per step (each
    round's own figure is the median of its repeats), the largest peak memory of any round. A
    job that failed in any round is reported by its failure."""
    rounds = {}
    for record in records:
        if "workload" in record:
            rounds.setdefault(_job_key(record), []).append(record)
    combined = [record for record in records if "workload" not in record]  # the versions lines
    for same_job in rounds.values():
        failed = [record for record in same_job if record["status"] != "ok"]
        if failed:
            combined.append(failed[0])
            continue
        seconds = [record["seconds_per_step"] for record in same_job]
        largest_peak = max(same_job, key=lambda record: record["peak_rss_mb"])
        median = statistics.median(seconds)
        combined.append({**largest_peak, "seconds_per_step": median, "round_seconds_per_step": seconds,
                         "throughput": largest_peak["samples_per_step"] / median, "rounds": len(same_job)})
    return combined


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default=",".join(workloads.DEFAULT_WORKLOADS),
                        help=f"comma-separated, or 'all' (known: {', '.join(workloads.WORKLOADS)})")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="comma-separated subset of minidl,torch,keras")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats; the median is reported")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every job this many times, the frameworks taking turns on it (a fresh process each "
                             "time); the median over the rounds is reported")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls before timing")
    parser.add_argument("--steps", type=int, default=None,
                        help="calls per repeat (default: as many as fill --target-seconds)")
    parser.add_argument("--target-seconds", type=float, default=1.0, help="length of a repeat when --steps is not given")
    parser.add_argument("--set", default="", metavar="KEY=VALUE,...",
                        help="change the workloads' sizes for this run, e.g. --set units=128,batch=64 "
                             "(fields of benchmarks/workloads.py's Workload: units, vocab, embed_dim, seq, "
                             "batch, predict_samples, corpus_tokens)")
    parser.add_argument("--sweep", action="store_true",
                        help="also time the lstm workload over sequence lengths x batch sizes, and epochs over dataset sizes")
    parser.add_argument("--sweep-seq", default=",".join(map(str, workloads.SWEEP_SEQ_LENGTHS)))
    parser.add_argument("--sweep-batch", default=",".join(map(str, workloads.SWEEP_BATCH_SIZES)))
    parser.add_argument("--sweep-samples", default=",".join(map(str, workloads.SWEEP_DATASET_SIZES)),
                        help="dataset sizes for the epoch-time sweep")
    parser.add_argument("--no-workloads", action="store_true", help="run only the sweep")
    parser.add_argument("--memory", action="store_true",
                        help="one process per (framework, workload) so each peak RSS is that model's; prints a memory table")
    parser.add_argument("--minidl-backend", default=None, help="minidl array backend (default: numpy)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed to one worker process")
    parser.add_argument("--keep-blas-variables", action="store_true",
                        help=f"keep {' and '.join(blas.HANDICAP_VARIABLES)} in the workers' environment (by default "
                             "they are unset, so OpenBLAS runs the processor's own kernels)")
    parser.add_argument("--out", default=str(HERE / "results.json"), help="JSON file for the results ('' for none)")
    options = parser.parse_args(argv)

    options.environment = blas.environment(keep_handicap=options.keep_blas_variables)
    options.workload_names = list(workloads.WORKLOADS) if options.workloads == "all" else [
        name.strip() for name in options.workloads.split(",") if name.strip()]
    try:
        options.overrides = parse_overrides(options.set)
        for name in options.workload_names:  # unknown names and fields fail here, before anything runs
            workloads.get(name).with_overrides(**options.overrides)
    except ValueError as error:
        parser.error(str(error))
    asked = {name.strip() for name in options.frameworks.split(",") if name.strip()}
    options.framework_names = [name for name in FRAMEWORKS if name in asked]  # minidl first, always
    unknown = sorted(asked - set(FRAMEWORKS))
    if unknown:
        parser.error(f"unknown framework(s) {unknown}; choose from {', '.join(FRAMEWORKS)}")
    for flag in ("repeats", "steps", "rounds"):
        value = getattr(options, flag)
        if value is not None and value < 1:
            parser.error(f"--{flag} must be >= 1, got {value}")
    return options


def _integers(text):
    return [int(value) for value in text.split(",") if value.strip()]


def main(argv=None):
    options = parse_arguments(argv)
    jobs = [] if options.no_workloads else _jobs_for_steps(options.workload_names, options.overrides)
    if options.sweep:
        jobs += _jobs_for_sweep(_integers(options.sweep_seq), _integers(options.sweep_batch),
                                _integers(options.sweep_samples))
    machine = report.machine_info()
    machine["blas_probe"] = blas.probe_in_subprocess(options.environment)
    print(f"NumPy's BLAS in the workers: {blas.describe(machine['blas_probe'])}", file=sys.stderr, flush=True)
    if (machine["load_average_1min"] or 0) > 0.5 * (machine["logical_cores"] or 1):
        print(f"warning: load average {machine['load_average_1min']:.1f} on {machine['logical_cores']} cores; "
              "other processes are using the CPU and the timings will be noisy", file=sys.stderr)
    if options.rounds > 1:
        print(f"running {len(jobs)} job(s), {options.rounds} rounds each, frameworks taking turns...",
              file=sys.stderr, flush=True)
        records = combine_rounds(run_in_rounds(jobs, options))
    else:
        records = []
        for framework in options.framework_names:
            print(f"running {framework} ({len(jobs)} job(s))...", file=sys.stderr, flush=True)
            records.extend(run_framework(framework, jobs, options))

    command = "python " + " ".join(shlex.quote(arg) for arg in [os.path.relpath(__file__)] + sys.argv[1:]) \
        if argv is None else "python benchmarks/run.py " + " ".join(shlex.quote(arg) for arg in argv)
    result = {
        "command": command,
        "machine": machine,
        "versions": report.collect_versions(records),
        "settings": {"rounds": options.rounds, "repeats": options.repeats, "warmup": options.warmup, "steps": options.steps,
                     "target_seconds": options.target_seconds, "memory": options.memory,
                     "minidl_backend": options.minidl_backend or "numpy", "overrides": options.overrides,
                     "blas_variables_unset": not options.keep_blas_variables},
        "results": [record for record in records if "workload" in record],
    }
    print(report.markdown(result, options.framework_names, memory=options.memory))
    if options.out:
        atomic_write_text(options.out, json.dumps(result, indent=1) + "\n")
        print(f"\n(results written to {options.out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
