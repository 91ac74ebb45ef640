"""Scaling plots from one harness result: where each framework's cost grows.

    python benchmarks/plots.py benchmarks/results_rounds.json      # PNGs beside RESULTS.md

Reads a result written by ``run.py --sweep`` (the lstm workload timed over sequence lengths,
batch sizes and dataset sizes) and draws four PNGs, one line per framework:

- ``scaling_sequence.png``: ms per training step against sequence length, a panel per batch
  size (a straight line through the origin is a cost proportional to the length);
- ``scaling_batch.png``: µs per sample per time step against batch size, a panel per sequence
  length (how much a larger batch amortises the per-step cost);
- ``scaling_dataset.png``: seconds per epoch of ``fit`` against dataset size;
- ``memory_batch.png``: peak resident memory against batch size. Each batch size is one
  process that times every sequence length in turn, so its peak is that of the longest one.

The numbers are the ones the tables of RESULTS.md show (``report.sweep_tables``): the
medians over rounds that ``run.py`` stored.
"""

import argparse
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
FRAMEWORKS = ("minidl", "torch", "keras")
STYLES = {"minidl": dict(color="tab:blue", marker="o"), "torch": dict(color="tab:red", marker="s"),
          "keras": dict(color="tab:green", marker="^")}


def _ok(records, sweep):
    return [record for record in records if record.get("sweep") == sweep and record.get("status") == "ok"]


def step_times(result):
    """{framework: {(batch, seq): seconds per step}} from the sequence-by-batch sweep."""
    table = {}
    for record in _ok(result["results"], "seq_batch"):
        key = (record["overrides"]["batch"], record["overrides"]["seq"])
        table.setdefault(record["framework"], {})[key] = record["seconds_per_step"]
    return table


def epoch_times(result):
    """{framework: {samples: seconds per epoch}} from the dataset-size sweep."""
    table = {}
    for record in _ok(result["results"], "dataset"):
        table.setdefault(record["framework"], {})[record["samples"]] = record["seconds_per_step"]
    return table


def peak_memory(result):
    """{framework: {batch: peak resident MiB}}: one process per batch size (run with rounds),
    so the peak is that batch size's longest sequence. A batch size measured in several
    rounds keeps the median round's record, the one the harness stored."""
    table = {}
    for record in _ok(result["results"], "seq_batch"):
        if "peak_rss_mb" in record:
            table.setdefault(record["framework"], {})[record["overrides"]["batch"]] = record["peak_rss_mb"]
    return table


def _frameworks(*tables):
    present = set().union(*tables)
    return [name for name in FRAMEWORKS if name in present] + sorted(present - set(FRAMEWORKS))


def _line(axis, framework, points, label=None):
    xs, ys = zip(*sorted(points))
    axis.plot(xs, ys, label=label or framework, **STYLES.get(framework, {}))


def _panels(plt, count, title):
    figure, axes = plt.subplots(1, count, figsize=(max(6.4, 4.2 * count), 4.2), squeeze=False)
    figure.suptitle(title)
    return figure, axes[0]


def plot_sequence(plt, steps):
    batches = sorted({batch for table in steps.values() for batch, _ in table})
    figure, axes = _panels(plt, len(batches), "lstm training step: time against sequence length")
    for axis, batch in zip(axes, batches):
        for framework in _frameworks(steps):
            points = [(seq, seconds * 1e3) for (b, seq), seconds in steps.get(framework, {}).items() if b == batch]
            if points:
                _line(axis, framework, points)
        axis.set(title=f"batch {batch}", xlabel="sequence length", ylabel="ms per step", xlim=(0, None), ylim=(0, None))
        axis.legend()
    return figure


def plot_batch(plt, steps):
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    seqs = sorted({seq for table in steps.values() for _, seq in table})
    figure, axes = _panels(plt, len(seqs), "lstm training step: cost per sample against batch size")
    for axis, seq in zip(axes, seqs):
        for framework in _frameworks(steps):
            points = [(batch, seconds / (batch * seq) * 1e6)
                      for (batch, s), seconds in steps.get(framework, {}).items() if s == seq]
            if points:
                _line(axis, framework, points)
        axis.set(title=f"sequence length {seq}", xlabel="batch size", ylabel="µs per sample per time step",
                 xscale="log", ylim=(0, None))
        axis.set_xticks(sorted({batch for table in steps.values() for batch, _ in table}))
        axis.get_xaxis().set_major_formatter(ScalarFormatter())  # 32, 64, ... rather than 10^2
        axis.get_xaxis().set_minor_formatter(NullFormatter())
        axis.legend()
    return figure


def plot_single(plt, table, title, xlabel, ylabel):
    figure, [axis] = _panels(plt, 1, title)
    for framework in _frameworks(table):
        _line(axis, framework, list(table[framework].items()))
    axis.set(xlabel=xlabel, ylabel=ylabel, xlim=(0, None), ylim=(0, None))
    axis.legend()
    return figure


def write_plots(result, folder):
    """Draw the plots the result has data for into ``folder``; returns the paths written."""
    from minidl.viz import pyplot, save_figure  # matplotlib on its file-only backend

    plt = pyplot()
    folder = pathlib.Path(folder)
    steps, epochs, memory = step_times(result), epoch_times(result), peak_memory(result)
    figures = {}
    if steps:
        figures["scaling_sequence.png"] = plot_sequence(plt, steps)
        figures["scaling_batch.png"] = plot_batch(plt, steps)
    if epochs:
        figures["scaling_dataset.png"] = plot_single(plt, epochs, "lstm: one epoch of fit against dataset size",
                                                     "samples", "seconds per epoch")
    if memory:
        figures["memory_batch.png"] = plot_single(plt, memory, "lstm: peak resident memory against batch size", "batch size", "peak RSS of the process (MiB), longest sequence")
    written = []
    for name, figure in figures.items():
        figure.tight_layout()
        written.append(save_figure(figure, folder / name, dpi=90))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", help="a JSON file written by run.py --sweep")
    parser.add_argument("--out-dir", default=str(HERE), help="where the PNGs go (default: beside RESULTS.md)")
    options = parser.parse_args(argv)
    result = json.loads(pathlib.Path(options.result).read_text())
    written = write_plots(result, options.out_dir)
    if not written:
        sys.exit(f"{options.result}: no sweep records with status ok; run benchmarks/run.py --sweep first")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
