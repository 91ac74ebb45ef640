"""``minidl.ops.select.select``: where's result bit for bit, by bit masks on the host, for every
float value (NaN, infinities, -0.0), either side the scalar 0, and where itself otherwise."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl.ops.select import select

FLOATS = [np.float16, np.float32, np.float64]
INTEGERS = [np.int16, np.int32, np.int64, np.uint32]
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -3.5]


def _values(dtype, shape, rng):
    """Normal numbers with about a third of them replaced by special ones."""
    values = rng.standard_normal(shape)
    special = rng.random(shape) < 0.3
    values[special] = rng.choice(SPECIAL, size=int(special.sum()))
    return values.astype(dtype)


def _same_bits(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}"))


@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6), dtype=st.sampled_from(FLOATS),
       seed=st.integers(0, 2**16), transposed=st.booleans())
def test_select_gives_wheres_bits(shape, dtype, seed, transposed):
    rng = np.random.default_rng(seed)
    a, b = _values(dtype, shape, rng), _values(dtype, shape, rng)
    condition = rng.random(shape) < 0.5
    if transposed:  # non-contiguous views take the same road
        a, b, condition = a.T, b.T, condition.T
    _same_bits(select(condition, a, b), np.where(condition, a, b))
    _same_bits(select(condition, a, 0), np.where(condition, a, 0))
    _same_bits(select(condition, 0, b), np.where(condition, 0, b))


@pytest.mark.parametrize("case", ["broadcast", "scalar side", "mixed dtypes", "bytes", "float condition"])
def test_select_falls_back_to_where(case):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    condition = rng.random((3, 4)) < 0.5
    arguments = {
        "broadcast": (condition[:1], a, b),
        "scalar side": (condition, a, 2.5),
        "mixed dtypes": (condition, a, b.astype(np.float64)),
        "bytes": (condition, a.astype(np.int8), b.astype(np.int8)),
        "float condition": (condition.astype(np.float32), a, b),
    }[case]
    got, want = select(*arguments), np.where(*arguments)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), dtype=st.sampled_from(INTEGERS),
       seed=st.integers(0, 2**16))
def test_select_picks_integers_too(shape, dtype, seed):
    """Word ids (word2vec's alias draws) take the same masks."""
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(0, np.iinfo(dtype).max, size=shape, dtype=dtype) for _ in range(2))
    condition = rng.random(shape) < 0.5
    np.testing.assert_array_equal(select(condition, a, b), np.where(condition, a, b))
    assert select(condition, a, b).dtype == dtype
