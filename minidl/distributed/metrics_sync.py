"""Losses and metrics over every rank's rows, equal to what one process would report.

A metric is not averaged as a finished number: the ranks' accumulators are added up, and the
metric is computed once from the sums. For the running means (the loss, accuracy, MSE...) that
is sum(totals) / sum(counts) -- the mean over all rows, however unevenly the rows were split;
for Precision, Recall and AUC it is the confusion counts that add up. Every rank receives every
rank's accumulators and adds them in rank order, so every rank computes the very same floats
(and callbacks such as EarlyStopping decide alike on every rank).

A metric class minidl does not know (a user's own ``Metric``) falls back to the mean of the
ranks' results weighted by their row counts, which is exact for any per-row mean.
"""

import copy

import numpy as np

from minidl.metrics import AutoAccuracy, Mean, _ConfusionMetric
from minidl.runtime import backend


def _accumulators(source):
    """``(kind, state)``: the additive state of a loss tracker or metric, on the host."""
    if isinstance(source, AutoAccuracy):
        if source.resolved is None:
            return ("nothing", None)
        return ("auto", (type(source.resolved), source.resolved.name, _accumulators(source.resolved)))
    if isinstance(source, _ConfusionMetric):
        if source.counts is None:
            return ("nothing", None)
        return ("counts", {key: backend.to_numpy(value) for key, value in source.counts.items()})
    if isinstance(source, Mean) or _is_running_mean(source):
        if source.total is None:
            return ("nothing", None)
        return ("mean", (np.asarray(backend.to_numpy(source.total), dtype=np.float64), float(_host(source.count))))
    return ("result", np.asarray(backend.to_numpy(source.result()), dtype=np.float64))


def _is_running_mean(source):
    # The training loop's loss tracker (minidl.models.model._RunningMean): a total and a count.
    return type(source).__name__ == "_RunningMean" and hasattr(source, "total") and hasattr(source, "count")


def _host(value):
    return value if isinstance(value, (int, float)) else backend.to_numpy(value)


def local_state(sources):
    """This rank's accumulators of ``sources`` (loss trackers and metrics), ready to gather."""
    return [_accumulators(source) for source in sources]


def merged_results(sources, gathered):
    """Every source's result over all ranks, as Python floats, in order.

    ``gathered``: per rank, ``(local_state(sources), rows)`` where rows is how many rows that
    rank trained or evaluated on (the weight of a result in the fallback)."""
    values = []
    for index, source in enumerate(sources):
        per_rank = [(states[index], rank_rows) for states, rank_rows in gathered]
        values.append(_merged(source, per_rank))
    return values


def _merged(source, per_rank):
    present = [(state, rows) for state, rows in per_rank if state[0] != "nothing"]
    if not present:
        return float(np.asarray(backend.to_numpy(source.result())).reshape(-1)[0])
    kind = present[0][0][0]
    if kind == "result":
        total_rows = sum(rows for _, rows in present)
        weights = [rows / total_rows if total_rows else 1.0 / len(present) for _, rows in present]
        merged = sum(weight * state[1] for weight, (state, _) in zip(weights, present))
        return _scalar(merged)
    merged_metric = _with_sums(source, [state for state, _ in present])
    return _scalar(backend.to_numpy(merged_metric.result()))


def _with_sums(source, states):
    """A copy of ``source`` whose accumulators are the sums of ``states`` (one kind)."""
    kind = states[0][0]
    if kind == "auto":
        resolved_type, name, _ = states[0][1]
        inner = resolved_type(name, source.dtype)
        merged = copy.copy(source)
        merged.resolved = _with_sums(inner, [state[1][2] for state in states])
        return merged
    merged = copy.copy(source)
    if kind == "counts":
        merged.counts = {key: backend.to_device(sum(state[1][key] for state in states)) for key in states[0][1]}
        return merged
    total = sum(state[1][0] for state in states)
    count = sum(state[1][1] for state in states)
    merged.total = backend.to_device(np.asarray(total, dtype=getattr(source, "dtype", np.float64)))
    merged.count = count if _is_running_mean(source) else backend.to_device(np.asarray(count, dtype=source.dtype))
    return merged


def _scalar(value):
    """A 0-d result as a float; a result with one value per threshold as a list (as the logs hold it)."""
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array.tolist()
