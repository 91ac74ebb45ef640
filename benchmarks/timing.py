"""Timing and memory measurement shared by every framework's worker.

``measure(step, ...)`` times a zero-argument callable: ``warmup`` untimed calls first (graph
tracing, buffer allocation, BLAS thread start-up), then ``repeats`` timed repeats of
``steps`` calls each; the result is the median seconds per call, so a single slow repeat
(another process taking the core) does not move it. When ``steps`` is None it is chosen so a
repeat lasts about ``target_seconds``.

``measure_in_turns({name: step, ...})`` times several callables whose costs are to be compared
with each other (one model at several sequence lengths): each repeat times every callable once,
one after the other, so a slow spell of a shared machine falls on all of them alike instead of
on whichever happened to be running.

Memory is the process's own numbers, read from the kernel: the resident set size now
(``/proc/self/statm``) and the peak resident set size so far (``getrusage`` ``ru_maxrss``).
Each framework runs in its own process, so the peak belongs to that framework alone.
"""

import math
import os
import resource
import statistics
import time


def measure(step, warmup=2, repeats=5, steps=None, target_seconds=1.0):
    """Time ``step()``; returns a dict with the median and every repeat in seconds per call."""
    return measure_in_turns({"step": step}, warmup, repeats, steps, target_seconds)["step"]


def measure_in_turns(steps_by_name, warmup=2, repeats=5, steps=None, target_seconds=1.0):
    """Time each ``step()`` of ``steps_by_name``, the steps taking turns repeat by repeat.

    Returns ``{name: measure()'s dict}``. Warm-up and calibration happen per step before any
    timing starts; then repeat r times every step's r-th repeat, in the order given."""
    if repeats < 1:
        raise ValueError(f"measure: repeats must be >= 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"measure: warmup must be >= 0, got {warmup}")
    if steps is not None and steps < 1:
        raise ValueError(f"measure: steps must be >= 1, got {steps}")
    calls_per_repeat = {}
    for name, step in steps_by_name.items():
        for _ in range(warmup):
            step()
        calls_per_repeat[name] = steps if steps is not None else _calibrate(step, target_seconds)
    per_call = {name: [] for name in steps_by_name}
    for _ in range(repeats):
        for name, step in steps_by_name.items():
            calls = calls_per_repeat[name]
            started = time.perf_counter()
            for _ in range(calls):
                step()
            per_call[name].append((time.perf_counter() - started) / calls)
    return {name: {"seconds_per_step": statistics.median(per_call[name]),
                   "repeat_seconds_per_step": per_call[name],
                   "steps_per_repeat": calls_per_repeat[name],
                   "warmup": warmup}
            for name in steps_by_name}


def _calibrate(step, target_seconds):
    """How many calls make one repeat last about ``target_seconds`` (one timed probe call)."""
    started = time.perf_counter()
    step()
    one_call = max(time.perf_counter() - started, 1e-6)
    return max(1, math.ceil(target_seconds / one_call))


def current_rss_mb():
    """Resident set size of this process now, in MiB."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb():
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
