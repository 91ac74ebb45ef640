"""Every tutorial in docs/tutorials runs, writes its figures to a temp dir, and shows what it
claims to show."""

import importlib.util
import pathlib

import numpy as np
import pytest

import minidl
from minidl import ops, viz

TUTORIALS = sorted((pathlib.Path(__file__).parent.parent / "docs" / "tutorials").glob("[0-9]*.py"))


def tutorial(number):
    return next(p for p in TUTORIALS if p.name.startswith(f"{number:02d}_"))


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(path, tmp_path):
    result = load(path).main(str(tmp_path))
    assert result is not None


def test_tutorial_1_hand_gradient_matches_and_or_is_learned(tmp_path):
    result = load(tutorial(1)).main(str(tmp_path))
    assert max(result["gradcheck"]) < 1e-6
    assert [p > 0.5 for p in result["predictions"]] == [False, True, True, True]


def test_tutorial_2_graph_and_accumulation(tmp_path):
    result = load(tutorial(2)).main(str(tmp_path))
    assert result["order"] == ["MatMul", "Add", "ReLU", "MatMul", "Sigmoid", "Mean"]
    assert result["x_grad"] == 6.0
    assert (tmp_path / "graph.dot").exists()


def test_tutorial_3_gradcheck_catches_the_wrong_derivative(tmp_path):
    result = load(tutorial(3)).main(str(tmp_path))
    assert result["worst"] < 1e-6
    assert "input 0" in result["failure"] and "element" in result["failure"]


def test_tutorial_4_im2col_by_hand_matches_fused_and_reference(tmp_path):
    result = load(tutorial(4)).main(str(tmp_path))
    assert result["forward_vs_hand"] < 1e-12 and result["forward_vs_reference"] < 1e-10
    assert result["grad_w_vs_hand"] < 1e-12
    assert max(result["gradcheck"]) < 1e-6


def test_tutorial_5_readable_lstm_backward_bptt_by_hand_fast_equals_readable_and_gradients_vanish(tmp_path):
    result = load(tutorial(5)).main(str(tmp_path))
    assert result["hand_vs_function"] < 1e-12  # every line of LSTMStep.backward, recomputed in NumPy
    assert max(result["gradcheck"]) < 1e-6
    assert result["bptt"]["steps_in_graph"] == 5 and result["bptt"]["backward_order"] == [4, 3, 2, 1, 0]
    assert result["bptt"]["difference"] < 1e-12  # BPTT by hand == autograd over the step nodes
    assert result["difference"] < 1e-10  # the fast ops equal the readable ones
    simple, lstm = result["norms"]["SimpleRNN(32)"], result["norms"]["LSTM(32)"]
    assert simple[0] / simple[-1] < 1e-6  # the SimpleRNN's gradient vanishes over 100 steps
    assert lstm[0] / lstm[-1] > simple[0] / simple[-1]  # the LSTM's cell path keeps more
    assert (tmp_path / "gradient_norms.png").exists()


def test_tutorial_6_momentum_and_adam_beat_plain_sgd(tmp_path):
    final_losses = load(tutorial(6)).main(str(tmp_path))
    assert final_losses["Adam lr=5e-2"] < 1e-6 and final_losses["momentum 0.9"] < 1e-4
    assert final_losses["SGD lr=1e-3"] > 100 * final_losses["momentum 0.9"]
    assert (tmp_path / "optimizers.png").exists()


def test_tutorial_7_fit_and_the_hand_loop_give_identical_weights(tmp_path):
    result = load(tutorial(7)).main(str(tmp_path))
    assert result["difference"] == 0.0
    assert result["accuracy"] > 0.8


def test_graph_dot_has_a_node_per_op_and_edges_from_inputs():
    x = minidl.tensor(np.ones((2, 3), np.float32), requires_grad=True, name="x")
    w = minidl.tensor(np.ones((3, 1), np.float32), requires_grad=True, name="w")
    y = ops.tanh(x @ w).sum()
    dot = viz.graph_dot(y)
    boxes = [line for line in dot.splitlines() if "shape=box" in line]
    assert sorted(line.split('label="')[1].split('"')[0] for line in boxes) == ["MatMul", "Sum", "Tanh"]
    ids = {label: line.split()[0] for line in dot.splitlines() if 'label="' in line
           for label in [line.split('label="')[1].split("\\n")[0].split('"')[0]]}
    assert f"{ids['x']} -> {ids['MatMul']};" in dot
    assert f"{ids['w']} -> {ids['MatMul']};" in dot
    assert f"{ids['MatMul']} -> " in dot and f"-> {ids['Tanh']};" in dot
