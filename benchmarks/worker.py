"""One framework's side of a benchmark run, in its own process (started by ``run.py``).

Running each framework in a separate process keeps their imports, thread pools and memory
apart: the peak resident set size the kernel reports for this process is this framework's
alone. Jobs arrive as JSON on the command line; one JSON line per measurement is appended to
the results file as soon as its job ends, so a crash loses only the job that crashed. A job
with ``in_turns`` (the sweep's sequence lengths at one batch size) is several measurements
timed in turns (``timing.measure_in_turns``), one line each.

A job whose model cannot be built because a layer or module is missing (ImportError) is
recorded as "unavailable" with the error, one the framework does not offer at all
(NotImplementedError, e.g. word2vec in PyTorch) as "n/a", any other failure as "error"; the
worker goes on.
"""

import argparse
import importlib
import json
import pathlib
import sys
import traceback

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # this checkout's minidl, even when another one is installed

import timing  # noqa: E402  (after the path set-up above)
import workloads  # noqa: E402

FRAMEWORK_MODULES = {"minidl": "models_minidl", "torch": "models_torch", "keras": "models_keras"}


def _append(results_path, record):
    with open(results_path, "a") as results:
        results.write(json.dumps(record) + "\n")


def job_fields(job):
    """What identifies a job in its result record."""
    return {"workload": job["workload"], "overrides": job.get("overrides", {}), "mode": job.get("mode", "step"),
            "sweep": job.get("sweep"), "samples": job.get("samples")}


def job_cells(job):
    """The single measurements a job stands for: the job itself, or, for a job with
    ``in_turns: {size: [values]}``, one per value (that size overridden), timed in turns."""
    turns = job.get("in_turns")
    if not turns:
        return [job]
    [(size, values)] = turns.items()
    single = {field: value for field, value in job.items() if field != "in_turns"}
    return [{**single, "overrides": {**job.get("overrides", {}), size: value}} for value in values]


def _describe(error):
    return f"{type(error).__name__}: {error}"


def _failure(error):
    """The status fields of a job that raised ``error`` while being built or timed."""
    if isinstance(error, ImportError):
        return {"status": "unavailable", "reason": _describe(error)}
    if isinstance(error, NotImplementedError):  # the framework has no such thing (word2vec in PyTorch)
        return {"status": "n/a", "reason": str(error)}
    return {"status": "error", "reason": _describe(error), "traceback": traceback.format_exc(limit=6)}


def _build(framework, cell):
    """The record of one measurement so far and its zero-argument work (None if building failed)."""
    workload = workloads.get(cell["workload"]).with_overrides(**cell.get("overrides", {}))
    record = {**job_fields(cell), "framework": framework.NAME, "unit": workload.unit,
              "rss_before_mb": timing.current_rss_mb()}
    epoch = record["mode"] == "epoch"
    record["samples_per_step"] = int(cell["samples"]) if epoch else workload.samples_per_step
    try:
        work = framework.build_epoch(workload, record["samples_per_step"]) if epoch else framework.build_step(workload)
    except Exception as error:  # noqa: BLE001 - reported in the table, the run goes on
        record.update(_failure(error))
        return record, None
    return record, work


def run_job(framework, job, options):
    """Build and time one job; returns its result records, one per cell of the job (status
    ok/unavailable/error). The cells of a job with ``in_turns`` are timed in turns."""
    records, works = [], {}
    for index, cell in enumerate(job_cells(job)):
        record, work = _build(framework, cell)
        records.append(record)
        if work is not None:
            works[index] = work
    try:
        measured = timing.measure_in_turns(works, warmup=options.warmup, repeats=options.repeats,
                                           steps=options.steps, target_seconds=options.target_seconds)
    except Exception as error:  # noqa: BLE001 - reported in the table, the run goes on
        for index in works:
            records[index].update(_failure(error))
    else:
        for index, measurement in measured.items():
            records[index].update(measurement, status="ok")
            records[index]["throughput"] = records[index]["samples_per_step"] / measurement["seconds_per_step"]
    for record in records:
        record["peak_rss_mb"] = timing.peak_rss_mb()
    return records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--framework", required=True, choices=sorted(FRAMEWORK_MODULES))
    parser.add_argument("--jobs", required=True, help="JSON list of {workload, overrides, mode, samples, in_turns}")
    parser.add_argument("--results", required=True, help="JSON-lines file to append results to")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--target-seconds", type=float, default=1.0)
    parser.add_argument("--minidl-backend", default=None)
    options = parser.parse_args(argv)
    jobs = json.loads(options.jobs)

    framework = importlib.import_module(FRAMEWORK_MODULES[options.framework])
    try:
        framework.setup(options.minidl_backend)
        versions = framework.versions()
    except ImportError as error:
        for job in jobs:
            for cell in job_cells(job):
                _append(options.results, {**job_fields(cell), "framework": options.framework,
                                          "status": "not installed", "reason": _describe(error)})
        return 0
    _append(options.results, {"framework": options.framework, "versions": versions,
                              "rss_after_import_mb": timing.current_rss_mb()})
    for job in jobs:
        for record in run_job(framework, job, options):
            _append(options.results, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
