"""``gradcheck``: compare backprop's gradients with central finite differences, in float64.

For a function ``f`` of tensors, backprop gives dL/dx for ``L = sum(w * f(x))`` with a fixed
random weighting ``w`` (so every output element takes part). The numerical estimate perturbs
each input element by +-eps and measures ``(L(x+eps) - L(x-eps)) / (2 eps)``, whose error is
O(eps^2). The two must agree; the reported error of an element is

    |analytic - numeric| / max(1, |analytic|, |numeric|)

i.e. relative for gradients larger than one and absolute below that, so that gradients that
are (nearly) zero do not blow the ratio up.
"""

import numpy as np

from minidl.autograd.function import enable_grad
from minidl.autograd.tensor import Tensor
from minidl.runtime import backend


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message names the input and element."""


def gradcheck(fn, *inputs, eps=1e-6, tolerance=1e-6, seed=0, raise_on_failure=True):
    """Check ``fn``'s gradients with respect to each of ``inputs``; return the worst errors.

    ``inputs`` are float64 arrays or Tensors; ``fn`` takes one Tensor per input and returns a
    Tensor (or a tuple of Tensors). Returns a list with the worst error of each input. If an
    error exceeds ``tolerance`` (and ``raise_on_failure``), raises GradcheckError saying which
    input and which element, with both gradient values.
    """
    arrays = [_as_float64_array(value, position) for position, value in enumerate(inputs)]
    weights = _output_weights(fn, arrays, seed)

    leaves = [Tensor(array.copy(), requires_grad=True) for array in arrays]
    with enable_grad():
        loss = _weighted_sum(fn(*leaves), weights)
    loss.backward()
    analytic = [
        backend.to_numpy(leaf.grad) if leaf.grad is not None else np.zeros(leaf.shape)
        for leaf in leaves
    ]

    worst = []
    for position, array in enumerate(arrays):
        numeric = np.zeros(array.shape)
        flat_view = array.reshape(-1)
        for index in range(array.size):
            original = flat_view[index].item()
            flat_view[index] = original + eps
            plus = _loss_value(fn, arrays, weights)
            flat_view[index] = original - eps
            minus = _loss_value(fn, arrays, weights)
            flat_view[index] = original
            numeric.reshape(-1)[index] = (plus - minus) / (2 * eps)
        errors = np.abs(analytic[position] - numeric) / np.maximum(
            1.0, np.maximum(np.abs(analytic[position]), np.abs(numeric))
        )
        worst_error = float(errors.max()) if errors.size else 0.0
        worst.append(worst_error)
        if raise_on_failure and worst_error > tolerance:
            element = np.unravel_index(int(errors.argmax()), errors.shape)
            raise GradcheckError(
                f"gradcheck: input {position} (shape {array.shape}) element {tuple(int(i) for i in element)}: "
                f"backprop gives {analytic[position][element]:.10g}, finite differences give "
                f"{numeric[element]:.10g} (error {worst_error:.3g} > tolerance {tolerance:g})"
            )
    return worst


def _as_float64_array(value, position):
    data = value.data if isinstance(value, Tensor) else value
    if not isinstance(data, backend.get_xp().ndarray):
        data = backend.to_device(np.asarray(data))
    if data.dtype != np.float64:
        raise TypeError(
            f"gradcheck: input {position} has dtype {data.dtype}; finite differences need float64 "
            "inputs (float32 rounding swamps the O(eps^2) error)"
        )
    return data.copy()


def _output_weights(fn, arrays, seed):
    rng = np.random.default_rng(seed)
    with enable_grad():
        outputs = fn(*[Tensor(array) for array in arrays])
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return [backend.to_device(rng.standard_normal(out.shape)) for out in outputs]


def _weighted_sum(outputs, weights):
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    total = None
    for out, weight in zip(outputs, weights):
        term = (out * Tensor(weight)).sum()
        total = term if total is None else total + term
    return total


def _loss_value(fn, arrays, weights):
    loss = _weighted_sum(fn(*[Tensor(array) for array in arrays]), weights)
    return float(backend.to_numpy(loss.data))
