"""Machine description and the Markdown tables the benchmark prints (ready for RESULTS.md).

Ratios are minidl's throughput divided by the peer's: above 1.00 minidl is faster. Memory
ratios are minidl's peak divided by the peer's: below 1.00 minidl needs less. Linearity is
reported two ways: against a straight line through the points (least squares, time = fixed +
slope * size: a step's fixed costs, such as the optimizer's update of an embedding table, do
not grow with the sequence), and against proportionality (cost per unit compared with its
value at the largest size). 5% means every point lies within 5% of that line.
"""

import datetime
import os
import platform


# -- machine ----------------------------------------------------------------------------------
def _cpuinfo():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            text = cpuinfo.read()
    except OSError:
        return {}
    model, flags, cores = None, set(), set()
    physical_id = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and model is None:
            model = value
        elif key == "flags" and not flags:
            flags = set(value.split())
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            cores.add((physical_id, value))
    simd = [flag for flag in ("avx512f", "avx2", "fma", "avx") if flag in flags]
    return {"cpu": model, "physical_cores": len(cores) or None, "simd": simd}


def _memory_total_gib():
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _blas():
    """NumPy's BLAS as numpy.show_config reports it (NumPy >= 1.26), else None."""
    try:
        import numpy

        config = numpy.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy: the BLAS line is simply left out
        return None


def machine_info():
    import numpy

    info = {
        **_cpuinfo(),
        "logical_cores": os.cpu_count(),
        "memory_gib": _memory_total_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "blas": _blas(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "thread_variables": {name: os.environ[name] for name in (
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if name in os.environ},
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return info


def collect_versions(records):
    versions = {}
    for record in records:
        versions.update(record.get("versions", {}))
    return versions


# -- formatting -------------------------------------------------------------------------------
def _number(value):
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return "–"
    return f"{numerator / denominator:.2f}"


class _Footnotes:
    """Numbers the reasons a cell has no measurement, printing each distinct reason once."""

    def __init__(self):
        self.reasons = []

    def cell(self, record):
        if record is None:
            return "not run"
        if record["status"] == "ok":
            return None
        reason = " ".join(f"{record['framework']}: {record.get('reason', '')}".split())  # one Markdown line
        if reason not in self.reasons:
            self.reasons.append(reason)
        return f"{record['status']} [{self.reasons.index(reason) + 1}]"

    def lines(self):
        return [f"[{number}] {reason}" for number, reason in enumerate(self.reasons, 1)]


def _index(records):
    """{(framework, workload): record} for the plain (non-sweep) step jobs."""
    return {(record["framework"], record["workload"]): record for record in records
            if not record.get("sweep") and record.get("mode", "step") == "step"}


def _step_workload(result, name):
    """The workload ``name`` as this run timed it, with the run's ``--set`` sizes."""
    import workloads

    return workloads.get(name).with_overrides(**result["settings"].get("overrides", {}))


def _workload_label(result, name):
    """``name``, with the sizes ``--set`` changed in brackets (e.g. "lstm (units 128)")."""
    overrides = result["settings"].get("overrides") or {}
    return f"{name} ({', '.join(f'{key} {value}' for key, value in overrides.items())})" if overrides else name


def _machine_lines(result):
    machine, versions = result["machine"], result["versions"]
    cores = f"{machine.get('logical_cores')} logical"
    if machine.get("physical_cores"):
        cores += f" / {machine['physical_cores']} physical"
    lines = [
        f"- Machine: {machine.get('cpu') or platform.processor()}, {cores} cores, "
        f"SIMD {' '.join(machine.get('simd') or []) or 'unknown'}, {machine.get('memory_gib')} GiB RAM; {machine.get('os')}",
        f"- Load average (1 min) at the start: {machine.get('load_average_1min')}",
        f"- Python {machine.get('python')}, NumPy {machine.get('numpy')} (BLAS: {machine.get('blas') or 'unknown'})",
        f"- NumPy's BLAS in the worker processes: {_blas_probe_line(machine)}",
        "- Versions: " + (", ".join(f"{name} {value}" for name, value in sorted(versions.items())) or "none reported"),
        f"- Settings: {result['settings']}",
        f"- Date: {machine.get('date')}",
    ]
    if machine.get("thread_variables"):
        lines.append(f"- Thread variables: {machine['thread_variables']}")
    return lines


def _blas_probe_line(machine):
    import blas

    probe = machine.get("blas_probe")
    return blas.describe(probe) if probe else "not probed"


def _sgemm_gflops(result):
    probe = result["machine"].get("blas_probe") or {}
    return probe.get("sgemm_gflops")


def sgemm_fraction_table(result, frameworks):
    """GFLOP/s reached and the fraction of the machine's SGEMM rate, for the workloads whose
    work is matrix products (``flops.py`` says what is counted)."""
    import flops

    limit = _sgemm_gflops(result)
    index = _index(result["results"])
    names = [name for name in dict.fromkeys(record["workload"] for record in result["results"]
                                            if not record.get("sweep") and record.get("mode", "step") == "step")
             if flops.flops_per_sample(_step_workload(result, name))]
    if not names or not limit:
        return []
    header = ["workload", "MFLOP per sample", *(f"{framework} GFLOP/s (of SGEMM)" for framework in frameworks)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        per_sample = flops.flops_per_sample(_step_workload(result, name))
        cells = []
        for framework in frameworks:
            record = index.get((framework, name))
            if record is None or record["status"] != "ok":
                cells.append("–")
                continue
            rate = record["throughput"] * per_sample / 1e9
            cells.append(f"{rate:.1f} ({100 * rate / limit:.0f}%)")
        lines.append("| " + " | ".join([_workload_label(result, name), f"{per_sample / 1e6:.2f}", *cells]) + " |")
    return lines


def throughput_table(result, frameworks, footnotes):

    index = _index(result["results"])
    names = list(dict.fromkeys(record["workload"] for record in result["results"]
                               if not record.get("sweep") and record.get("mode", "step") == "step"))
    if not names:
        return []
    peers = [name for name in frameworks if name != "minidl"]
    header = ["workload", "lab", "unit", *frameworks]
    if "minidl" in frameworks:
        header += [f"minidl/{peer}" for peer in peers]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        workload = _step_workload(result, name)
        throughputs, cells = {}, []
        for framework in frameworks:
            record = index.get((framework, name))
            failed = footnotes.cell(record)
            throughputs[framework] = record["throughput"] if failed is None else None
            cells.append(failed or _number(record["throughput"]))
        row = [_workload_label(result, name), workload.lab, workload.unit, *cells]
        if "minidl" in frameworks:
            row += [_ratio(throughputs["minidl"], throughputs[peer]) for peer in peers]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def memory_table(result, frameworks, footnotes):
    index = _index(result["results"])
    names = list(dict.fromkeys(record["workload"] for record in result["results"]
                               if not record.get("sweep") and record.get("mode", "step") == "step"))
    peers = [name for name in frameworks if name != "minidl"]
    header = ["workload", *(f"{framework} peak MiB (over start)" for framework in frameworks)]
    if "minidl" in frameworks:
        header += [f"minidl/{peer} peak" for peer in peers]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        peaks, cells = {}, []
        for framework in frameworks:
            record = index.get((framework, name))
            failed = footnotes.cell(record)
            peaks[framework] = record["peak_rss_mb"] if failed is None else None
            cells.append(failed or f"{record['peak_rss_mb']:,.0f} ({record['peak_rss_mb'] - record['rss_before_mb']:+,.0f})")
        row = [_workload_label(result, name), *cells]
        if "minidl" in frameworks:
            row += [_ratio(peaks["minidl"], peaks[peer]) for peer in peers]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _linearity(sizes_and_times):
    """Largest |cost per unit / cost per unit at the largest size - 1| over the sizes."""
    if len(sizes_and_times) < 2:
        return None
    largest_size, largest_time = max(sizes_and_times)
    reference = largest_time / largest_size
    return max(abs((time / size) / reference - 1) for size, time in sizes_and_times)


def _straight_line_fit(sizes_and_times):
    """Largest |time / (fixed + slope * size) - 1| for the least-squares line through the points,
    or None with fewer than three points (two always lie on a line)."""
    if len(sizes_and_times) < 3:
        return None
    count = len(sizes_and_times)
    mean_size = sum(size for size, _ in sizes_and_times) / count
    mean_time = sum(time for _, time in sizes_and_times) / count
    spread = sum((size - mean_size) ** 2 for size, _ in sizes_and_times)
    slope = sum((size - mean_size) * (time - mean_time) for size, time in sizes_and_times) / spread
    fixed = mean_time - slope * mean_size
    return max(abs(time / (fixed + slope * size) - 1) for size, time in sizes_and_times)


def _linearity_sentence(points_per_row, what):
    """'<what> within X% of a straight line (Y% of proportional)', worst over the rows."""
    lines = [value for value in (_straight_line_fit(points) for points in points_per_row) if value is not None]
    proportional = [value for value in (_linearity(points) for points in points_per_row) if value is not None]
    if not proportional:
        return None
    text = f"{what} within {max(proportional) * 100:.0f}% of proportional"
    if lines:
        text = f"{what} within {max(lines) * 100:.0f}% of a straight line ({max(proportional) * 100:.0f}% of proportional)"
    return text


def sweep_tables(result, frameworks, footnotes):
    records = [record for record in result["results"] if record.get("sweep") == "seq_batch"]
    lines = []
    if records:
        seqs = sorted({record["overrides"]["seq"] for record in records})
        batches = sorted({record["overrides"]["batch"] for record in records})
        for framework in frameworks:
            found = {(record["overrides"]["seq"], record["overrides"]["batch"]): record
                     for record in records if record["framework"] == framework}
            if not found:
                continue
            lines += ["", f"**{framework}**, lstm workload: ms per step (µs per sample per time step)", "",
                      "| seq \\ batch | " + " | ".join(map(str, batches)) + " |", "|" + "---|" * (len(batches) + 1)]
            for seq in seqs:
                cells = []
                for batch in batches:
                    record = found.get((seq, batch))
                    failed = footnotes.cell(record)
                    seconds = None if failed else record["seconds_per_step"]
                    cells.append(failed or f"{seconds * 1e3:.1f} ({seconds / (batch * seq) * 1e6:.2f})")
                lines.append(f"| {seq} | " + " | ".join(cells) + " |")
            rows = [[(seq, found[(seq, batch)]["seconds_per_step"]) for seq in seqs
                     if found.get((seq, batch), {}).get("status") == "ok"] for batch in batches]
            sentence = _linearity_sentence(rows, "time per step grows with sequence length")
            if sentence:
                lines += ["", sentence + " (worst batch size)"]
    epochs = [record for record in result["results"] if record.get("sweep") == "dataset"]
    if epochs:
        sizes = sorted({record["samples"] for record in epochs})
        lines += ["", "lstm workload, one epoch (`fit`, or a shuffled mini-batch loop for torch) by dataset size: "
                  "seconds per epoch (ms per sample)", "",
                  "| samples | " + " | ".join(frameworks) + " |", "|" + "---|" * (len(frameworks) + 1)]
        by_key = {(record["framework"], record["samples"]): record for record in epochs}
        for size in sizes:
            cells = []
            for framework in frameworks:
                record = by_key.get((framework, size))
                failed = footnotes.cell(record)
                cells.append(failed or f"{record['seconds_per_step']:.2f} ({record['seconds_per_step'] / size * 1e3:.2f})")
            lines.append(f"| {size} | " + " | ".join(cells) + " |")
        for framework in frameworks:
            points = [(size, by_key[(framework, size)]["seconds_per_step"]) for size in sizes
                      if by_key.get((framework, size), {}).get("status") == "ok"]
            sentence = _linearity_sentence([points], "time per epoch grows with dataset size")
            if sentence:
                lines.append(f"\n{framework}: {sentence}")
    return lines


def markdown(result, frameworks, memory=False):
    footnotes = _Footnotes()
    lines = ["### Machine", "", *_machine_lines(result), "", "Command:", "", f"    {result['command']}", ""]
    table = throughput_table(result, frameworks, footnotes)
    if table:
        rounds = result["settings"].get("rounds", 1)
        measure = "median of repeats" if rounds == 1 else f"median over {rounds} rounds of each round's median of repeats"
        lines += [f"### Training and inference throughput ({measure}; ratio > 1: minidl faster)", "", *table, ""]
    fractions = sgemm_fraction_table(result, frameworks)
    if fractions:
        lines += [f"### Fraction of the SGEMM limit ({_sgemm_gflops(result):.0f} GFLOP/s on this machine; "
                  "matrix-product FLOP only, see benchmarks/flops.py)", "", *fractions, ""]
    if memory and table:
        lines += ["### Peak resident memory per process (MiB; in brackets: growth after imports; ratio < 1: minidl "
                  "smaller)", "", *memory_table(result, frameworks, footnotes), ""]
    elif table:
        peaks = {}
        for record in result["results"]:
            if record.get("peak_rss_mb"):
                peaks[record["framework"]] = max(peaks.get(record["framework"], 0.0), record["peak_rss_mb"])
        if peaks:
            lines += ["Peak resident memory of each framework's process (all its workloads; --memory gives one "
                      "per workload): " + ", ".join(f"{name} {peaks[name]:,.0f} MiB" for name in frameworks
                                                    if name in peaks), ""]
    sweep = sweep_tables(result, frameworks, footnotes)
    if sweep:
        lines += ["### How cost grows (lstm workload)", "",
                  "The sequence lengths of one batch size are timed in turns in one process (each repeat times "
                  "every length once), so the cells of a row, which are judged against each other, meet the "
                  "same conditions.", *sweep, ""]
    if footnotes.reasons:
        lines += ["Notes:", "", *footnotes.lines()]
    return "\n".join(lines)
