"""A projection of data-parallel epoch times on 1 to 64 nodes, from this machine's measurements.

    python benchmarks/projection.py benchmarks/results_distributed.json

Nothing here is measured on many nodes (none are available); it is arithmetic on the two-rank
measurements of ``benchmarks/distributed.py`` and a textbook model of a ring allreduce, with
every assumption stated, so that the table can be checked and redone with other numbers.

The model
---------
- A node is this 2-core machine running two ranks, one per core, as ``distributed.py``
  measured; ``N`` nodes run ``R = 2N`` ranks.
- A rank's compute per step is a straight line in its batch ``b``: ``t(b) = fixed + b *
  per_sample``, fitted through the two measured two-rank steps (batch b/2 and b per rank), each
  less the time the step waited for the allreduce.
- A ring allreduce of ``S`` bytes over ``R`` ranks takes ``2 (R - 1) alpha + 2 (R - 1) / R * S /
  beta``: 2 (R - 1) messages of S / R bytes, each paying the latency ``alpha``, the bandwidth
  term nearly independent of R. The ring's every hop is charged the network's alpha and beta
  (its slowest link); on one node the allreduce is the one measured between its two ranks.
  Compute and communication are not overlapped (on a CPU the measured overlap was small).
- An epoch is ``ceil(samples / global batch)`` steps of ``t(b) + allreduce``.

Two scalings: *weak* (each rank keeps the measured per-rank batch, half the lab's, so the global
batch grows with R: fewer, larger steps) and *strong* (the global batch stays the lab's, so each
rank's share shrinks; impossible once there are more ranks than samples in a batch).
"""

import argparse
import json
import math
import pathlib

NETWORKS = {  # name: (alpha seconds, beta bytes/s); typical achieved values, not peak line rates
    "10 GbE": (25e-6, 1.1e9),
    "100 Gb/s InfiniBand": (2e-6, 11e9),
}
EPOCH_SAMPLES = {"lm6": 25000 - 64, "cnn": 60000}  # IMDB's training reviews less the lab's check batch; MNIST
LABELS = {"lm6": "LM-6 (IMDB LSTM)", "cnn": "LM-3 CNN (MNIST)"}
NODES = (1, 4, 16, 64)
RANKS_PER_NODE = 2


def ring_allreduce_seconds(nbytes, ranks, alpha, beta):
    """Time of a ring allreduce of ``nbytes`` over ``ranks`` ranks (0 for one rank)."""
    if ranks == 1:
        return 0.0
    return 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * nbytes / beta


def compute_line(scaling_row):
    """(fixed seconds, seconds per sample) of one rank's step, through the two measured points:
    two ranks at half the lab's batch each, and at the lab's batch each."""
    half, whole = scaling_row["two_ranks"], scaling_row["two_ranks_double_batch"]
    batch = scaling_row["batch"]
    small = half["seconds_per_step"] - half["waited_seconds_per_step"]
    large = whole["seconds_per_step"] - whole["waited_seconds_per_step"]
    per_sample = (large - small) / (batch - batch / 2)
    return max(small - per_sample * batch / 2, 0.0), per_sample


def epoch(scaling_row, nodes, network, weak):
    """(epoch seconds, communication's share of a step) on ``nodes`` nodes, or None when the
    lab's batch has fewer samples than ranks (strong scaling)."""
    ranks = nodes * RANKS_PER_NODE
    fixed, per_sample = compute_line(scaling_row)
    lab_batch = scaling_row["batch"]
    rank_batch = lab_batch / 2 if weak else lab_batch / ranks
    if rank_batch < 1:
        return None
    alpha, beta = NETWORKS[network]
    if nodes == 1:  # the two ranks of this machine, as measured
        communication = scaling_row["two_ranks"]["allreduce_seconds"]
    else:
        communication = ring_allreduce_seconds(scaling_row["two_ranks"]["bytes_per_step"], ranks, alpha, beta)
    step = fixed + per_sample * rank_batch + communication
    steps = math.ceil(EPOCH_SAMPLES[scaling_row["workload"]] / (rank_batch * ranks))
    return steps * step, communication / step


def table(rows, network, weak):
    head = " | ".join(f"{n} node{'s' if n > 1 else ''}" for n in NODES)
    lines = [f"| workload | {head} |", "|---|" + "---|" * len(NODES)]
    for row in rows:
        cells = []
        for nodes in NODES:
            found = epoch(row, nodes, network, weak)
            cells.append("n/a (more ranks than samples)" if found is None
                         else f"{found[0]:,.1f} s ({found[1]:.0%} comm.)")
        lines.append(f"| {LABELS[row['workload']]} | " + " | ".join(cells) + " |")
    return lines


def markdown(result):
    rows = [row for row in result["parts"]["scaling"] if row["workload"] in EPOCH_SAMPLES]
    lines = ["Fitted per-rank compute, `t(b) = fixed + b * per_sample` (one core):", ""]
    for row in rows:
        fixed, per_sample = compute_line(row)
        lines.append(f"- {LABELS[row['workload']]}: fixed {fixed * 1e3:.1f} ms, {per_sample * 1e3:.2f} ms per sample; "
                     f"{row['two_ranks']['bytes_per_step'] / 2**20:.2f} MiB of gradients per step")
    for network, (alpha, beta) in NETWORKS.items():
        for weak in (True, False):
            kind = ("weak scaling: each rank keeps half the lab's batch" if weak
                    else "strong scaling: the lab's global batch split over all ranks")
            lines += ["", f"**{network}** (alpha {alpha * 1e6:g} us, beta {beta / 1e9:g} GB/s), {kind}; "
                      "seconds per epoch (communication's share of a step):", "", *table(rows, network, weak)]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", help="the JSON written by benchmarks/distributed.py (needs its scaling part)")
    options = parser.parse_args(argv)
    print(markdown(json.loads(pathlib.Path(options.result).read_text())))


if __name__ == "__main__":
    main()
