"""The benchmark harness (benchmarks/): a one-step run of a small workload on minidl writes a
positive throughput, and the report says why a framework has no number instead of failing.

Timings here are meaningless (one step, a shared machine); only that the harness works is
checked. The real measurement is ``python benchmarks/run.py`` on a quiet machine.
"""

import json
import math
import pathlib
import subprocess
import sys

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import report  # noqa: E402  (the harness's modules are scripts beside run.py, not a package)
import timing  # noqa: E402


def test_minidl_one_step_run_writes_positive_throughput(tmp_path):
    pytest.importorskip("minidl.models", reason="the harness trains minidl.models.Sequential, not importable yet",
                        exc_type=ImportError)
    out = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--workloads", "imdb_dense", "--frameworks", "minidl",
         "--steps", "1", "--repeats", "1", "--warmup", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    [record] = json.loads(out.read_text())["results"]
    assert record["status"] == "ok", record.get("traceback") or record.get("reason")
    assert record["throughput"] > 0
    assert record["samples_per_step"] == 500
    assert record["peak_rss_mb"] > 0
    assert "| imdb_dense | GB-2A | samples/s |" in completed.stdout


def test_measure_runs_warmup_then_repeats_of_steps():
    calls = []
    measured = timing.measure(lambda: calls.append(1), warmup=2, repeats=3, steps=4)
    assert len(calls) == 2 + 3 * 4
    assert len(measured["repeat_seconds_per_step"]) == 3
    assert measured["seconds_per_step"] == sorted(measured["repeat_seconds_per_step"])[1]


def test_report_names_missing_frameworks_and_computes_ratios():
    results = [
        {"framework": "minidl", "workload": "lstm", "mode": "step", "status": "ok", "throughput": 1500.0,
         "peak_rss_mb": 200.0, "rss_before_mb": 80.0},
        {"framework": "torch", "workload": "lstm", "mode": "step", "status": "ok", "throughput": 750.0,
         "peak_rss_mb": 400.0, "rss_before_mb": 300.0},
        {"framework": "keras", "workload": "lstm", "mode": "step", "status": "not installed",
         "reason": "ModuleNotFoundError: No module named 'tensorflow'"},
    ]
    result = {"command": "python benchmarks/run.py", "machine": {"cpu": "test CPU", "logical_cores": 2},
              "versions": {}, "settings": {}, "results": results}
    text = report.markdown(result, ["minidl", "torch", "keras"], memory=True)
    assert "| lstm | DLW ch.6 | samples/s | 1,500 | 750 | not installed [1] | 2.00 | – |" in text
    assert "[1] keras: ModuleNotFoundError: No module named 'tensorflow'" in text
    assert "| lstm | 200 (+120) | 400 (+100) | not installed [1] | 0.50 | – |" in text


def test_linearity_is_the_worst_deviation_from_the_largest_size():
    assert report._linearity([(50, 1.0), (100, 2.0), (200, 4.0)]) == pytest.approx(0.0)
    assert report._linearity([(100, 1.2), (200, 2.0)]) == pytest.approx(0.2)


def test_straight_line_fit_allows_a_fixed_cost_but_not_curvature():
    fixed_plus_slope = [(50, 3.0), (100, 5.0), (200, 9.0), (400, 17.0)]  # 1 + 0.04 * size
    assert report._straight_line_fit(fixed_plus_slope) == pytest.approx(0.0, abs=1e-12)
    assert report._linearity(fixed_plus_slope) > 0.4  # far from proportional, yet a straight line
    quadratic = [(size, size * size / 100.0) for size in (50, 100, 200, 400)]
    assert report._straight_line_fit(quadratic) > 0.5
    assert report._straight_line_fit([(100, 1.0), (200, 2.0)]) is None  # two points are always a line
    sentence = report._linearity_sentence([fixed_plus_slope], "time per step grows")
    assert sentence == "time per step grows within 0% of a straight line (41% of proportional)"


def test_rounds_take_the_median_per_job_and_report_any_failure():
    import run

    def step(framework, seconds, round_number, status="ok", peak=100.0):
        record = {"framework": framework, "workload": "lstm", "mode": "step", "overrides": {}, "sweep": None,
                  "samples": None, "samples_per_step": 128, "status": status, "round": round_number,
                  "peak_rss_mb": peak, "rss_before_mb": 50.0}
        if status == "ok":
            record.update(seconds_per_step=seconds, throughput=128 / seconds)
        return record

    records = [{"framework": "minidl", "versions": {"minidl": "0"}},
               step("minidl", 0.04, 0), step("minidl", 0.10, 1, peak=120.0), step("minidl", 0.05, 2),
               step("torch", 0.05, 0), step("torch", None, 1, status="error")]
    combined = run.combine_rounds(records)
    assert combined[0] == {"framework": "minidl", "versions": {"minidl": "0"}}
    minidl = next(record for record in combined if record.get("framework") == "minidl" and "workload" in record)
    assert minidl["seconds_per_step"] == pytest.approx(0.05)  # the slow round does not count
    assert minidl["throughput"] == pytest.approx(128 / 0.05)
    assert minidl["round_seconds_per_step"] == [0.04, 0.10, 0.05]
    assert minidl["peak_rss_mb"] == 120.0  # memory: the largest of the rounds
    torch = next(record for record in combined if record.get("framework") == "torch")
    assert torch["status"] == "error"


def test_rounds_go_through_all_jobs_with_the_frameworks_taking_turns(monkeypatch):
    import run

    calls = []

    def fake_run_framework(framework, jobs, options):
        calls.append((jobs[0]["workload"], framework))
        return [{"framework": framework, "workload": jobs[0]["workload"], "status": "ok"}]

    monkeypatch.setattr(run, "run_framework", fake_run_framework)
    options = run.parse_arguments(["--workloads", "lstm,cnn", "--frameworks", "torch,minidl", "--rounds", "2"])
    records = run.run_in_rounds(run._jobs_for_steps(options.workload_names, options.overrides), options)
    assert calls == [("lstm", "minidl"), ("lstm", "torch"), ("cnn", "minidl"), ("cnn", "torch")] * 2
    assert [record["round"] for record in records] == [0, 0, 0, 0, 1, 1, 1, 1]
    with pytest.raises(SystemExit):
        run.parse_arguments(["--rounds", "0"])


def test_measure_in_turns_times_every_step_once_per_repeat_in_order():
    calls = []
    measured = timing.measure_in_turns({"short": lambda: calls.append("short"), "long": lambda: calls.append("long")},
                                       warmup=1, repeats=3, steps=2)
    assert calls[:2] == ["short", "long"]  # warm-up, one call each, before any timing
    assert calls[2:] == ["short", "short", "long", "long"] * 3  # repeat by repeat, taking turns
    assert set(measured) == {"short", "long"}
    assert all(len(one["repeat_seconds_per_step"]) == 3 for one in measured.values())


def test_sweep_rows_are_one_job_per_batch_timed_in_turns_and_a_crash_fails_every_cell(monkeypatch):
    import run
    import worker

    jobs = run._jobs_for_sweep([50, 100], [32, 64], [1280])
    assert [worker.job_cells(job)[1]["overrides"] for job in jobs[:2]] == [{"batch": 32, "seq": 100},
                                                                         {"batch": 64, "seq": 100}]
    assert worker.job_cells(jobs[2]) == [jobs[2]]
    assert run._jobs_finished(jobs, 3) == 1  # the second job's two cells were not both written
    assert run._jobs_finished(jobs, 5) == 3

    def first_job_then_crash(framework, remaining, options):
        return [{**worker.job_fields(cell), "framework": framework, "status": "ok"}
                for cell in worker.job_cells(remaining[0])], "worker exited with status -11"

    monkeypatch.setattr(run, "run_worker", first_job_then_crash)
    options = run.parse_arguments(["--no-workloads", "--frameworks", "minidl"])
    records = run.run_framework("minidl", jobs, options)
    assert [(record["overrides"], record["status"]) for record in records] == [
        ({"batch": 32, "seq": 50}, "ok"), ({"batch": 32, "seq": 100}, "ok"),
        ({"batch": 64, "seq": 50}, "error"), ({"batch": 64, "seq": 100}, "error"),
        ({}, "ok")]


def test_workers_run_without_the_blas_handicap_variables(monkeypatch):
    import blas

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "512")
    assert not set(blas.HANDICAP_VARIABLES) & set(blas.environment())
    assert blas.environment(keep_handicap=True)["OPENBLAS_CORETYPE"] == "Haswell"
    probe = blas.probe_in_subprocess(blas.environment())
    assert probe["variables"] == {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}
    assert probe["sgemm_gflops"] > 0
    assert "unset: OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE" in blas.describe(probe)


def test_flop_counts_follow_the_layer_shapes():
    import flops
    import workloads

    # LM-3: conv 26x26x(3x3x1)x32, conv 24x24x(3x3x32)x64, dense 9216x128, dense 128x10 multiply-adds
    macs = 26 * 26 * 9 * 32 + 24 * 24 * 288 * 64 + 9216 * 128 + 128 * 10
    first = 26 * 26 * 9 * 32
    assert flops.flops_per_sample(workloads.get("cnn")) == 2 * (3 * macs - first)
    assert flops.flops_per_sample(workloads.get("cnn_predict")) == 2 * macs
    # DLW Ex 3.04 (CIFAR-10's shape): conv 30x30x(3x3x3)x64, conv 13x13x(3x3x64)x128, dense 4608x128, 128x10
    macs = 30 * 30 * 27 * 64 + 13 * 13 * 576 * 128 + 4608 * 128 + 128 * 10
    first = 30 * 30 * 27 * 64
    assert flops.flops_per_sample(workloads.get("cifar_cnn")) == 2 * (3 * macs - first)
    # LSTM(32) on 32 features over 200 steps: 4 gates x (32 + 32) x 32 per step, three products each
    lstm = 200 * 4 * 64 * 32 + 32
    assert flops.flops_per_sample(workloads.get("lstm")) == 2 * 3 * lstm
    assert flops.flops_per_sample(workloads.get("word2vec")) is None


def test_report_gives_the_fraction_of_the_sgemm_limit():
    results = [{"framework": "minidl", "workload": "cnn", "mode": "step", "status": "ok", "throughput": 1000.0,
                "peak_rss_mb": 1.0, "rss_before_mb": 1.0}]
    machine = {"cpu": "test CPU", "logical_cores": 2,
               "blas_probe": {"blas_libraries": [], "sgemm_size": 1024, "sgemm_gflops": 143.14,
                              "variables": {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}}}
    result = {"command": "x", "machine": machine, "versions": {}, "settings": {}, "results": results}
    text = report.markdown(result, ["minidl"])
    # 1000 samples/s x 71.57 MFLOP = 71.6 GFLOP/s, half of 143 GFLOP/s
    assert "| cnn | 71.57 | 71.6 (50%) |" in text
    assert "SGEMM 1024^3 143 GFLOP/s" in text


def test_set_changes_the_sizes_in_the_jobs_the_labels_and_the_flop_counts():
    import run

    options = run.parse_arguments(["--workloads", "lstm,cnn", "--set", "units=64, batch=32"])
    assert options.overrides == {"units": 64, "batch": 32}
    assert run._jobs_for_steps(options.workload_names, options.overrides)[0] == {
        "workload": "lstm", "mode": "step", "overrides": {"units": 64, "batch": 32}}
    results = [{"framework": "minidl", "workload": "lstm", "mode": "step", "status": "ok", "throughput": 1000.0,
                "peak_rss_mb": 1.0, "rss_before_mb": 1.0}]
    machine = {"cpu": "test CPU", "logical_cores": 2,
               "blas_probe": {"blas_libraries": [], "sgemm_size": 1024, "sgemm_gflops": 100.0, "variables": {}}}
    result = {"command": "x", "machine": machine, "versions": {}, "settings": {"overrides": {"units": 64}},
              "results": results}
    text = report.markdown(result, ["minidl"])
    assert "| lstm (units 64) | DLW ch.6 | samples/s | 1,000 |" in text
    # 200 steps x (32 inputs + 64 units) x 4 gates x 64 units, plus Dense(64 -> 1), three products
    # each (the embedding below takes the LSTM's input gradient): the counts follow the changed
    # size, not the default 32
    lstm, dense = 200 * (32 + 64) * 4 * 64, 64
    assert f"| lstm (units 64) | {2 * 3 * (lstm + dense) / 1e6:.2f} |" in text


@pytest.mark.parametrize("bad", ["units", "units=many", "colour=3"])
def test_set_refuses_what_is_not_a_workload_size(bad, capsys):
    import run

    with pytest.raises(SystemExit):
        run.parse_arguments(["--workloads", "lstm", "--set", bad])
    assert "--set" in capsys.readouterr().err or "colour" in bad


def test_scaling_plots_read_the_sweep_and_write_one_png_per_relation(tmp_path):
    import plots

    def step(framework, batch, seq, seconds, peak=None, status="ok"):
        record = {"framework": framework, "workload": "lstm", "mode": "step", "sweep": "seq_batch",
                  "overrides": {"batch": batch, "seq": seq}, "status": status, "seconds_per_step": seconds}
        return record if peak is None else {**record, "peak_rss_mb": peak}

    results = [step("minidl", 32, 50, 0.004, 80.0), step("minidl", 32, 100, 0.007, 80.0),
               step("minidl", 64, 50, 0.006, 100.0), step("torch", 32, 50, 0.003, 390.0),
               step("torch", 64, 50, 1.0, status="error"),  # a failed cell is left out, not drawn as 0
               {"framework": "minidl", "workload": "lstm", "mode": "epoch", "sweep": "dataset", "samples": 1280,
                "status": "ok", "seconds_per_step": 0.28},
               {"framework": "minidl", "workload": "lstm", "mode": "step", "status": "ok", "throughput": 1.0}]
    result = {"results": results}
    assert plots.step_times(result) == {"minidl": {(32, 50): 0.004, (32, 100): 0.007, (64, 50): 0.006},
                                        "torch": {(32, 50): 0.003}}
    assert plots.epoch_times(result) == {"minidl": {1280: 0.28}}
    assert plots.peak_memory(result) == {"minidl": {32: 80.0, 64: 100.0}, "torch": {32: 390.0}}
    written = plots.write_plots(result, tmp_path)
    assert sorted(path.name for path in written) == ["memory_batch.png", "scaling_batch.png",
                                                     "scaling_dataset.png", "scaling_sequence.png"]
    assert all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in written)
    assert plots.write_plots({"results": results[-1:]}, tmp_path / "none") == []  # no sweep, no plots


def test_projection_ring_model_and_fitted_compute_line():
    import projection

    assert projection.ring_allreduce_seconds(10**6, 1, 1e-5, 1e9) == 0.0
    # 2 latencies plus 2 (R-1)/R of the buffer at the bandwidth
    assert projection.ring_allreduce_seconds(8 * 10**6, 4, 1e-5, 1e9) == pytest.approx(6e-5 + 1.5 * 8e-3)
    row = {"workload": "cnn", "batch": 128,
           "two_ranks": {"seconds_per_step": 0.12, "waited_seconds_per_step": 0.02, "bytes_per_step": 4.8e6,
                         "allreduce_seconds": 0.001},
           "two_ranks_double_batch": {"seconds_per_step": 0.22, "waited_seconds_per_step": 0.02}}
    fixed, per_sample = projection.compute_line(row)  # through (64, 0.10 s) and (128, 0.20 s)
    assert (fixed, per_sample) == (pytest.approx(0.0, abs=1e-12), pytest.approx(0.1 / 64))
    seconds, share = projection.epoch(row, 1, "10 GbE", weak=True)  # 60,000 / 128 steps of 0.10 + 0.001 s
    assert seconds == pytest.approx(math.ceil(60000 / 128) * 0.101)
    assert share == pytest.approx(0.001 / 0.101)
    assert projection.epoch(row, 64, "10 GbE", weak=False) is not None  # 128 ranks, one sample each
    assert projection.epoch({**row, "batch": 64}, 64, "10 GbE", weak=False) is None  # fewer samples than ranks


def test_word2vec_against_gensim_reports_minidl_and_names_a_missing_gensim(tmp_path):
    import word2vec_gensim

    out = tmp_path / "w2v.json"
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "word2vec_gensim.py"), "--reviews", "40", "--rounds", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(out.read_text())
    for sg in ("0", "1"):
        [rate] = result["rates"][sg]["minidl"]
        assert rate > 0
    assert result["words"] > 1000
    gensim_present = result["versions"]["gensim"] is not None
    assert bool(result["failures"]) != gensim_present  # either gensim ran or its absence is named
    table = word2vec_gensim.markdown(result)
    assert "| CBOW | " in table and "| skip-gram | " in table


def test_page_faults_builds_every_model_and_reports_both_settings(capsys):
    import numpy as np
    import page_faults  # beside run.py, like the harness's other scripts

    for name in page_faults.MODELS:  # every model builds and takes a training step
        model, x, y = page_faults.build(name, np.random.default_rng(0))
        assert np.isfinite(float(model.train_on_batch(x[:8], y[:8])))
    page_faults.main(["--models", "mlp", "--steps", "1"])
    row = capsys.readouterr().out.splitlines()[-1]
    assert row.startswith("| mlp (") and row.count(" ms, ") == 2
    with pytest.raises(SystemExit):
        page_faults.main(["--models", "no_such_model"])


def test_probe_models_all_train_on_minidl_and_the_report_gives_ratios():
    """Every model of the wider probe builds from its Keras-shaped definition on ``minidl.keras``
    and trains; the table divides minidl's rate by Keras's and says which run failed."""
    import probe_models

    for name in probe_models.MODELS:
        record = probe_models.time_model("minidl", name, seconds=0)
        assert record["steps"] >= 5 and record["seconds_per_step"] > 0, name
    results = [
        {"framework": "minidl", "model": "text_cnn", "batch": 128, "seconds_per_step": 0.02},
        {"framework": "keras", "model": "text_cnn", "batch": 128, "seconds_per_step": 0.04},
        {"framework": "minidl", "model": "mnist_mlp", "batch": 128, "seconds_per_step": 0.01},
        {"framework": "keras", "model": "mnist_mlp", "error": ["ModuleNotFoundError: No module named 'keras'"]},
    ]
    table = probe_models.report(results, ["text_cnn", "mnist_mlp"])
    assert "| text_cnn | 128 | 6,400 | 3,200 | 2.00 |" in table
    assert "| mnist_mlp | 128 | 12,800 | failed | - |" in table


def test_conv_forms_times_both_forms_of_one_convolution():
    import conv_forms

    results = conv_forms.time_forms(channels=4, filters=1, size=6, batch=2, repeats=1)
    assert set(results) == {(part, form) for part in ("forward", "forward+backward") for form in ("im2col", "few filters")}
    assert all(ms > 0 for ms in results.values())


def test_probe_layers_runs_every_case_forward_and_backward_on_minidl():
    """Every layer of the per-layer probe builds from its constructor call on ``minidl.keras`` and
    runs forward and backward; the table puts the worst ratio first and marks a failed run."""
    import probe_layers

    for case in probe_layers.CASES:
        record = probe_layers.time_case("minidl", case[0], seconds=0)
        assert record["seconds"] > 0, case[0]
    results = [
        {"framework": "minidl", "case": "dropout", "seconds": 0.002},
        {"framework": "keras", "case": "dropout", "seconds": 0.001},
        {"framework": "minidl", "case": "flatten", "seconds": 0.001},
        {"framework": "keras", "case": "flatten", "seconds": 0.003},
        {"framework": "minidl", "case": "gru_last", "seconds": 0.01},
        {"framework": "keras", "case": "gru_last", "error": ["ModuleNotFoundError: No module named 'keras'"]},
    ]
    lines = probe_layers.report(results, ["flatten", "dropout", "gru_last"]).splitlines()
    assert lines[2:] == ["| dropout | 128x200x64 | 2.00 | 1.00 | 0.50 |", "| flatten | 128x12x12x64 | 1.00 | 3.00 | 3.00 |",
                         "| gru_last | 64x100x32 | 10.00 | failed | - |"]


def test_op_breakdown_times_the_ops_of_a_step_and_puts_the_methods_back():
    """The per-op table of a small workload: the convolution's backward is in it, the shares
    add up to at most the step, and every op's forward and backward are the originals after."""
    import op_breakdown

    from minidl.ops.fast.conv import FastConv2D

    forward, backward = FastConv2D.__dict__["forward"], FastConv2D.__dict__["backward"]
    per_step, rows = op_breakdown.breakdown("cifar_cnn", steps=1, warmup=1)
    assert ("FastConv2D", "backward") in {(op, method) for op, method, _ in rows}
    assert ("optimizer", "apply_gradients") in {(op, method) for op, method, _ in rows}
    assert 0 < sum(ms for _, _, ms in rows) <= per_step
    assert FastConv2D.__dict__["forward"] is forward and FastConv2D.__dict__["backward"] is backward
    table = op_breakdown.report("cifar_cnn", per_step, rows)
    assert table.splitlines()[2] == "| op | method | ms a step | share |"


def test_denormal_slots_trains_the_mlp_with_and_without_flushing(tmp_path):
    """benchmarks/denormal_slots.py: minidl with and without flushing, epoch times and the count
    of denormal optimizer slot values (none where flushed)."""
    out = tmp_path / "slots.json"
    subprocess.run(
        [sys.executable, str(BENCHMARKS / "denormal_slots.py"), "--epochs", "2", "--samples", "640",
         "--configurations", "minidl,minidl-no-flush", "--out", str(out)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    results = {record["configuration"]: record for record in json.loads(out.read_text())["results"]}
    assert set(results) == {"minidl", "minidl-no-flush"}
    for record in results.values():
        assert len(record["epoch_seconds"]) == 2 and all(s > 0 for s in record["epoch_seconds"])
    from minidl.runtime import denormals

    if denormals.supported():  # elsewhere nothing is flushed (minidl/runtime/denormals.py)
        assert results["minidl"]["denormal_slot_values"] == 0
