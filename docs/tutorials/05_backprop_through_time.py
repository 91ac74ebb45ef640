"""Tutorial 5 -- backprop through time: the readable LSTM backward, one line per derivative.

A recurrent layer applies one cell at every time step, carrying a state forward. Keras's LSTM
cell (gates i, f, c, o; sigma the sigmoid, act the tanh)::

    i  = sigma(x W_i + h U_i + b_i)      f = sigma(x W_f + h U_f + b_f)
    g  = act(x W_c + h U_c + b_c)        o = sigma(x W_o + h U_o + b_o)
    c' = f * c + i * g
    h' = o * act(c')

Read along in ``minidl/ops/reference/lstm.py``: ``LSTMStep`` is that step as a Function, its
``backward`` right under its ``forward``, one line per derivative -- the chain rule run through
the six lines above from the bottom up::

    do      = dh' * act(c')                      h' = o * act(c')
    dc      = dc' + dh' * o * act'(c')           c' reaches the loss directly and through h'
    df      = dc * c      di = dc * g      dg = dc * i
    dc_prev = dc * f                             the cell's path back in time
    dz_k    = d(gate k) * (its activation)'(z_k), for k = i, f, c, o
    dW_k    = x^T dz_k    dU_k = h^T dz_k    db_k = sum dz_k
    dx      = sum_k dz_k W_k^T                   dh_prev = sum_k dz_k U_k^T

This script

1. recomputes every line of that backward in plain NumPy for one small step, prints it, and
   compares with what ``LSTMStep.backward`` returns; then checks the step by finite differences;
2. runs backprop through time by hand: ``LSTMStep`` forward at each step, then a loop from the
   last step to the first calling each step's backward and adding up the weight gradients --
   exactly what ``loss.backward()`` does with the chain of step nodes that
   ``minidl.reference_ops()`` records (one ``LSTMStep`` node per time step);
3. checks that minidl's fast LSTM (``minidl/ops/fast/lstm.py``: the whole sequence in one
   Function) gives the same numbers, and so do the fast SimpleRNN and GRU;
4. measures how much gradient reaches each time step from a loss on the last output. Through
   U alone it shrinks geometrically -- the *vanishing gradient* that makes a SimpleRNN forget
   the start of a long review; the LSTM's ``dc_prev = dc * f`` is a second path, on which a
   forget gate near 1 lets the gradient through almost unchanged (Keras starts the forget bias
   at 1 for this reason).

Run:  python docs/tutorials/05_backprop_through_time.py [output-folder]
"""

import pathlib
import sys
import tempfile

import numpy as np

import minidl
from minidl import ops, viz
from minidl.autograd import engine
from minidl.layers import GRU, LSTM, SimpleRNN
from minidl.ops.reference.lstm import LSTMStep
from minidl.ops.reference.rnn_activations import CELL_ACTIVATIONS

TANH, SIGMOID = CELL_ACTIVATIONS["tanh"], CELL_ACTIVATIONS["sigmoid"]


def lstm_weights(features, units, rng):
    """A Keras-layout LSTM: kernel (F, 4u), recurrent kernel (u, 4u), bias (4u,)."""
    return rng.normal(size=(features, 4 * units)) * 0.5, rng.normal(size=(units, 4 * units)) * 0.5, \
        rng.normal(size=4 * units) * 0.1


def one_step_by_hand(rng):
    """Part 1: one LSTM step, its backward recomputed line by line and compared with LSTMStep's."""
    x, h, c = rng.normal(size=(1, 3)), rng.normal(size=(1, 2)), rng.normal(size=(1, 2))
    W, U, b = lstm_weights(3, 2, rng)
    dh_new, dc_new = rng.normal(size=(1, 2)), rng.normal(size=(1, 2))  # dL/dh', dL/dc' from the step after

    step = LSTMStep(TANH, SIGMOID)
    step.forward(x, h, c, W, U, b)
    from_function = step.backward(dh_new, dc_new)  # (dx, dh, dc, dW, dU, db)

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    z = x @ W + h @ U + b
    i, f, g, o = sigmoid(z[:, 0:2]), sigmoid(z[:, 2:4]), np.tanh(z[:, 4:6]), sigmoid(z[:, 6:8])
    c_new = f * c + i * g
    lines = [
        ("do      = dh' * tanh(c')", dh_new * np.tanh(c_new)),
        ("dc      = dc' + dh' * o * (1 - tanh(c')^2)", dc_new + dh_new * o * (1 - np.tanh(c_new) ** 2)),
    ]
    dc = lines[1][1]
    lines += [
        ("df      = dc * c", dc * c),
        ("di      = dc * g", dc * g),
        ("dg      = dc * i", dc * i),
        ("dc_prev = dc * f", dc * f),
    ]
    do, df, di, dg = lines[0][1], lines[2][1], lines[3][1], lines[4][1]
    dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)], axis=1)
    lines += [
        ("dz      = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]", dz),
        ("dh_prev = dz U^T", dz @ U.T),
    ]
    by_hand = (dz @ W.T, dz @ U.T, dc * f, x.T @ dz, h.T @ dz, dz.sum(axis=0))
    print("One LSTM step (batch 1, 2 units), its backward line by line:")
    for formula, value in lines:
        print(f"  {formula:56s} = {np.array2string(value.ravel(), precision=4, max_line_width=90)}")
    difference = max(float(np.abs(a - b).max()) for a, b in zip(by_hand, from_function))
    print(f"  LSTMStep.backward vs these lines (dx, dh, dc, dW, dU, db): largest difference {difference:.1e}")

    def step_outputs(*tensors):
        return LSTMStep(TANH, SIGMOID)(*tensors)

    worst = minidl.gradcheck(step_outputs, x, h, c, W, U, b)
    print(f"  gradcheck of LSTMStep (x, h, c, W, U, b): worst relative error {max(worst):.1e}")
    return difference, worst


def bptt_by_hand(rng, time=5):
    """Part 2: backprop through time written out, against autograd over the recorded step nodes."""
    x = rng.normal(size=(2, time, 3))
    W, U, b = lstm_weights(3, 4, rng)
    g = rng.normal(size=(2, 4))  # the loss is sum(h_T * g), so dL/dh_T = g

    # forward: one step after the other, each step a Function that keeps what its backward needs
    steps, h, c = [], np.zeros((2, 4)), np.zeros((2, 4))
    for t in range(time):
        step = LSTMStep(TANH, SIGMOID)
        h, c = step.forward(x[:, t], h, c, W, U, b)
        steps.append(step)
    # backward: from the last step to the first; each step turns (dh_t, dc_t) into (dh_{t-1}, dc_{t-1})
    dh, dc = g, np.zeros((2, 4))
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    for t in reversed(range(time)):
        _, dh, dc, dW_t, dU_t, db_t = steps[t].backward(dh, dc)
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t  # every step used the same weights: their shares add up

    # the same with autograd, the readable form recording one LSTMStep node per time step
    tensors = [minidl.tensor(a, requires_grad=True) for a in (x, W, U, b)]
    with minidl.reference_ops():
        _, h_last, _ = ops.lstm(*tensors)
    loss = (h_last * minidl.tensor(g)).sum()
    visited = list(reversed(engine._topological_order(loss.creator)))  # the order backward() visits them
    step_nodes = [function for function in visited if isinstance(function, LSTMStep)]
    backward_order = [function.inputs[0].output_index for function in step_nodes]  # x_t is output t of TimeSteps
    loss.backward()
    difference = max(float(np.abs(by_hand - minidl.to_numpy(t.grad)).max())
                     for by_hand, t in zip((dW, dU, db), tensors[1:]))
    print(f"\nBPTT over {time} steps: the graph holds {len(step_nodes)} LSTMStep nodes; backward() visits the "
          f"steps in the order {backward_order}")
    print(f"  dW, dU, db summed by hand over the steps vs autograd: largest difference {difference:.1e}")
    return {"steps_in_graph": len(step_nodes), "backward_order": backward_order, "difference": difference}


def fast_equals_readable(rng):
    """Part 3: each fast op (the whole sequence in one Function) against the readable one."""
    x = rng.normal(size=(2, 6, 3))
    cases = {
        "SimpleRNN": (ops.simple_rnn, ops.simple_rnn_reference, 1, (4,)),
        "LSTM": (ops.lstm, ops.lstm_reference, 4, (16,)),
        "GRU": (ops.gru, ops.gru_reference, 3, (2, 12)),
    }
    worst = 0.0
    for name, (fast, readable, gates, bias_shape) in cases.items():
        weights = (rng.normal(size=(3, 4 * gates)), rng.normal(size=(4, 4 * gates)) * 0.5, rng.normal(size=bias_shape))
        results = []
        for op in (fast, readable):
            tensors = [minidl.tensor(a, requires_grad=True) for a in (x, *weights)]
            output = op(*tensors, return_sequences=True)[0]
            (output * output).sum().backward()
            results.append([output.numpy()] + [minidl.to_numpy(t.grad) for t in tensors])
        difference = max(float(np.abs(a - b).max()) for a, b in zip(*results))
        print(f"fast {name:9s} vs readable: largest difference in output and gradients {difference:.1e}")
        worst = max(worst, difference)
    return worst


def gradient_per_time_step(layer, steps=100, features=8, seed=0):
    """||dL/dx_t|| for every t, where L depends on the layer's output at the last step only."""
    x = minidl.tensor(np.random.default_rng(seed).normal(size=(16, steps, features)).astype(np.float32),
                      requires_grad=True)
    layer(x).sum().backward()
    grad = minidl.to_numpy(x.grad)
    return np.linalg.norm(grad, axis=(0, 2))


def main(out_dir=None):
    out = pathlib.Path(out_dir or tempfile.mkdtemp(prefix="minidl-tutorial-5-"))
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    minidl.set_floatx("float64")
    try:
        hand_vs_function, worst = one_step_by_hand(rng)
        bptt = bptt_by_hand(rng)
        print()
        difference = fast_equals_readable(rng)
    finally:
        minidl.set_floatx("float32")

    minidl.set_seed(0)
    norms = {
        "SimpleRNN(32)": gradient_per_time_step(SimpleRNN(32)),
        "LSTM(32)": gradient_per_time_step(LSTM(32)),
        "GRU(32)": gradient_per_time_step(GRU(32)),
    }
    print()
    for name, values in norms.items():
        print(f"{name:14s} gradient reaching step 99: {values[-1]:.2e}, step 50: {values[50]:.2e}, "
              f"step 0: {values[0]:.2e}  (ratio first/last {values[0] / values[-1]:.1e})")
    viz.plot_norms(norms, out / "gradient_norms.png", title="||dL/dx_t|| for a loss on the last output",
                   xlabel="time step t")
    return {
        "hand_vs_function": hand_vs_function, "gradcheck": worst, "bptt": bptt, "difference": difference,
        "norms": {k: v.tolist() for k, v in norms.items()},
    }


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
