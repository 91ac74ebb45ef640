"""Reductions: sum, mean, max, min, var over axis None / int / tuple, with and without keepdims,
checked against loop references and by float64 gradient checks; argmax/argmin have no gradient."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import minidl
from minidl import ops
from tests.conftest import to_host

fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
seeds = st.integers(0, 2**16)


@st.composite
def shape_axis_keepdims(draw):
    """A shape of rank 1-3 (size-1 axes allowed), an axis spec and keepdims."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    rank = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-rank, rank - 1))
    else:
        chosen = draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank, unique=True))
        negate = draw(st.booleans())
        axis = tuple(a - rank if negate else a for a in chosen)
    return shape, axis, draw(st.booleans())


def loop_reduce(x, axis, keepdims, combine):
    """Group the elements by their position on the kept axes and combine each group."""
    axes = set(range(x.ndim)) if axis is None else {a % x.ndim for a in np.atleast_1d(axis)}
    groups = {}
    for index in np.ndindex(x.shape):
        key = tuple(0 if d in axes else i for d, i in enumerate(index))
        groups.setdefault(key, []).append(x[index])
    kept_shape = tuple(1 if d in axes else size for d, size in enumerate(x.shape))
    out = np.empty(kept_shape)
    for key, values in groups.items():
        out[key] = combine(np.array(values))
    if not keepdims:
        out = out.reshape(tuple(size for d, size in enumerate(x.shape) if d not in axes))
    return out


def numpy_variance(values):
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


REDUCTIONS = {
    "sum": (ops.sum, lambda values: sum(values)),
    "mean": (ops.mean, lambda values: sum(values) / len(values)),
    "max": (ops.max, lambda values: sorted(values)[-1]),
    "min": (ops.min, lambda values: sorted(values)[0]),
    "var": (ops.var, numpy_variance),
}


def distinct_values(seed, shape):
    """Well-separated values (a shuffled grid plus small noise): no ties for max/min."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    grid = rng.permutation(size) * 0.37 - 0.2 * size
    return (grid + rng.uniform(-0.05, 0.05, size)).reshape(shape)


@fixture_ok
@pytest.mark.parametrize("name", list(REDUCTIONS))
@given(case=shape_axis_keepdims(), seed=seeds)
@example(case=((1, 3), None, False), seed=0)
@example(case=((2, 1, 3), (0, 2), True), seed=0)
@example(case=((1,), -1, False), seed=0)
def test_reduction_forward_and_gradcheck(any_backend, name, case, seed):
    shape, axis, keepdims = case
    op, combine = REDUCTIONS[name]
    x = distinct_values(seed, shape)

    def fn(t):
        return op(t, axis=axis, keepdims=keepdims)

    out = fn(minidl.tensor(x))
    expected = loop_reduce(x, axis, keepdims, combine)
    assert out.shape == expected.shape
    np.testing.assert_allclose(to_host(out), expected, rtol=1e-12, atol=1e-12)
    assert minidl.gradcheck(fn, x)[0] < 1e-6


def test_tensor_methods_reduce(any_backend):
    x = minidl.tensor(np.array([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]]))
    assert x.sum().item() == 15
    np.testing.assert_allclose(to_host(x.mean(axis=0)), [2.5, 2.5, 2.5])
    np.testing.assert_allclose(to_host(x.max(axis=1, keepdims=True)), [[5], [4]])
    np.testing.assert_allclose(to_host(x.min(axis=(0, 1))), 0.0)
    np.testing.assert_allclose(to_host(x.var(axis=-1)), [np.var([1, 5, 2]), np.var([4, 0, 3])])


def test_max_and_min_split_the_gradient_evenly_among_ties(any_backend):
    x = minidl.tensor(np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    (ops.max(x, axis=1) * minidl.tensor(np.array([1.0, 6.0]))).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [[0.5, 0, 0.5], [2, 2, 2]])
    y = minidl.tensor(np.array([1.0, -4.0, -4.0, 0.0]), requires_grad=True)
    ops.min(y).backward()
    np.testing.assert_allclose(to_host(y.grad), [0, 0.5, 0.5, 0])


def test_var_is_the_population_variance():
    x = minidl.tensor(np.array([1.0, 2.0, 3.0, 4.0]))
    assert ops.var(x).item() == pytest.approx(1.25)  # divides by n, as Keras / tf.math.reduce_variance


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_and_argmin_are_integer_and_outside_the_graph(any_backend, name):
    values = np.array([[0.1, 0.9, 0.3], [0.8, -0.2, 0.5]])
    x = minidl.tensor(values, requires_grad=True)
    op = getattr(ops, name)
    numpy_op = getattr(np, name)
    for axis in (None, 0, 1, -1):
        index = op(x, axis=axis)
        assert not index.requires_grad and index.creator is None
        assert np.issubdtype(index.dtype, np.integer)
        np.testing.assert_array_equal(to_host(index), numpy_op(values, axis=axis))
    assert to_host(getattr(x, name)(axis=1)).tolist() == numpy_op(values, axis=1).tolist()


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "argmax"])
def test_axis_out_of_range_names_the_op(name):
    x = minidl.tensor(np.zeros((2, 3)))
    for axis in (2, -3, (0, 5)):
        with pytest.raises(ValueError, match=rf"{name}: axis -?\d+ is out of range for a tensor of rank 2"):
            getattr(ops, name)(x, axis=axis)


def test_repeated_axis_is_an_error():
    with pytest.raises(ValueError, match=r"sum: axis \(1, -1\) names the same axis twice"):
        ops.sum(minidl.tensor(np.zeros((2, 3))), axis=(1, -1))


def test_every_axis_combination_of_a_rank_3_tensor_matches_numpy(any_backend):
    x = distinct_values(3, (2, 3, 2))
    for count in range(1, 4):
        for axes in itertools.combinations(range(3), count):
            np.testing.assert_allclose(to_host(ops.sum(minidl.tensor(x), axis=axes)), x.sum(axis=axes))
            np.testing.assert_allclose(to_host(ops.var(minidl.tensor(x), axis=axes)), x.var(axis=axes))


@settings(max_examples=200, deadline=None)
@given(rows=st.integers(0, 3000), columns=st.integers(1, 1100), seed=seeds)
@example(rows=65, columns=32, seed=0)  # two groups of 32 rows and one row left over
@example(rows=5, columns=1024, seed=0)  # rows already as long as a group: summed as they are
def test_column_sums_of_the_fast_forms_equal_numpys_column_sums(rows, columns, seed):
    """``column_sums`` (bias gradients, batch-norm statistics) sums rows side by side in groups;
    in float64 it equals ``sum(axis=0)`` to rounding, whatever the row count left over."""
    from minidl.ops.fast.column_sums import column_sums

    if rows * columns > 400_000:
        rows = 400_000 // columns
    matrix = np.random.default_rng(seed).standard_normal((rows, columns))
    sums = column_sums(matrix)
    assert sums.shape == (columns,) and sums.dtype == matrix.dtype
    np.testing.assert_allclose(sums, matrix.sum(axis=0), rtol=1e-12, atol=1e-12 * max(rows, 1))
