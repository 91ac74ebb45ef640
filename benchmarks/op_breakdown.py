"""Where a harness workload's step goes: wall time per op (``Function`` subclass) forward and
backward, and in the optimizer, averaged over steps.

    python benchmarks/op_breakdown.py cnn
    python benchmarks/op_breakdown.py dcgan --steps 20

Every op's ``forward`` and ``backward`` is timed where the autograd engine calls it, in the
calling thread, so an op that spreads its work over the cores (``map_chunks``) counts its whole
wall time, hand-offs included; ``optimizer`` is ``apply_gradients``. What the table does not
list (Python between the ops, the trainer's bookkeeping) is the step less the listed sum. The
timers add about a microsecond a call: read the big rows, not the last digit. Run it as the
harness runs minidl, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
"""

import argparse
import collections
import functools
import sys
import time

import models_minidl
import workloads


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _timed(totals, key, method):
    @functools.wraps(method)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - start

    return timed


def instrument(totals):
    """Wrap every op's own forward/backward and the optimizers' ``apply_gradients`` so that their
    wall time adds up in ``totals``; returns the function that puts the originals back."""
    from minidl.autograd.function import Function
    from minidl.optimizers.base import Optimizer

    originals = [(Optimizer, "apply_gradients", Optimizer.__dict__["apply_gradients"], "optimizer")]
    for cls in set(_subclasses(Function)):
        for name in ("forward", "backward"):
            if name in cls.__dict__:  # only the class's own method: an inherited one is timed once, where defined
                originals.append((cls, name, cls.__dict__[name], cls.__name__))
    for cls, name, method, label in originals:
        setattr(cls, name, _timed(totals, (label, name), method))

    def restore():
        for cls, name, method, _ in originals:
            setattr(cls, name, method)

    return restore


def breakdown(name, steps, warmup=2):
    """(ms per step, [(op, method, ms per step)] largest first) for the workload ``name``."""
    step = models_minidl.build_step(workloads.WORKLOADS[name])
    for _ in range(warmup):
        step()
    totals = collections.defaultdict(float)
    restore = instrument(totals)
    try:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        per_step = (time.perf_counter() - start) / steps * 1e3
    finally:
        restore()
    rows = sorted(((op, method, seconds / steps * 1e3) for (op, method), seconds in totals.items()),
                  key=lambda row: -row[2])
    return per_step, rows


def report(name, per_step, rows, smallest_ms=0.05):
    listed = sum(ms for _, _, ms in rows)
    lines = [f"{name}: {per_step:.2f} ms a step; the ops below {listed:.2f} ms, the rest "
             f"{per_step - listed:.2f} ms", "", "| op | method | ms a step | share |", "|---|---|---|---|"]
    lines += [f"| {op} | {method} | {ms:.2f} | {ms / per_step:.0%} |" for op, method, ms in rows if ms >= smallest_ms]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=sorted(workloads.WORKLOADS))
    parser.add_argument("--steps", type=int, default=10, help="timed steps (after two untimed)")
    args = parser.parse_args(argv)
    models_minidl.setup()
    print(report(args.workload, *breakdown(args.workload, args.steps)))


if __name__ == "__main__":
    sys.exit(main())
