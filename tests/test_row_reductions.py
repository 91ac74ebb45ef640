"""``reduce_max`` / ``reduce_sum`` over a short last axis, column by column: NumPy's bits exactly
(the sums grouped as NumPy's pairwise sum groups them), for every length, with signed zeros,
infinities and NaNs, and NumPy itself wherever the column-wise road does not apply."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.ops import row_reductions
from minidl.ops.row_reductions import reduce_max, reduce_sum

SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30]


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(256, 700), length=st.integers(1, 20), leading=st.sampled_from([(), (2,)]),
       dtype=st.sampled_from([np.float32, np.float64]), specials=st.integers(0, 6), seed=st.integers(0, 2**16))
def test_the_same_bits_as_numpy(rows, length, leading, dtype, specials, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((*leading, rows, length)) * 10 ** rng.uniform(-3, 3, (*leading, rows, 1))).astype(dtype)
    flat = x.reshape(-1)
    flat[rng.integers(0, flat.size, specials)] = rng.choice(np.array(SPECIAL, dtype=dtype), specials)
    with pytest.MonkeyPatch.context() as patch:
        # every drawn length by columns, up to 20: past a second block of eight running sums
        patch.setattr(row_reductions, "SHORT_AXIS_SUM", 20)
        patch.setattr(row_reductions, "SHORT_AXIS_MAX", 20)
        for keepdims in (False, True):
            for ours, numpys in ((reduce_sum, np.sum), (reduce_max, np.max)):
                got = ours(x, axis=-1, keepdims=keepdims)
                expected = numpys(x, axis=-1, keepdims=keepdims)
                assert got.shape == expected.shape and got.dtype == expected.dtype
                np.testing.assert_array_equal(got, expected)
                numbers = ~np.isnan(expected)  # a NaN's sign depends on which NaN an add met first
                assert np.array_equal(np.signbit(got)[numbers], np.signbit(expected)[numbers])  # -0.0 too


@pytest.mark.parametrize("longest", [row_reductions.SHORT_AXIS_SUM, row_reductions.SHORT_AXIS_MAX])
def test_lengths_up_to_the_limits_take_the_column_road(longest):
    x = np.random.default_rng(0).standard_normal((300, longest)).astype(np.float32)
    assert row_reductions._by_columns(x, -1, longest) and row_reductions._by_columns(x, 1, longest)
    assert not row_reductions._by_columns(np.ones((300, longest + 1), np.float32), -1, longest)


@pytest.mark.parametrize("x, axis", [
    (np.ones((300, 17), np.float32), -1),            # a long axis
    (np.ones((300, 10), np.float32), 0),             # another axis
    (np.ones((10, 10), np.float32), -1),             # too few rows
    (np.ones((10, 300), np.float32).T, -1),          # not contiguous
    (np.ones((300, 10), np.float16), -1),            # half precision (NumPy sums it in float32)
    (np.ones((300, 10), np.int64), -1),              # integers
])
def test_numpy_itself_elsewhere(x, axis):
    assert not row_reductions._by_columns(x, axis, row_reductions.SHORT_AXIS_MAX)
    np.testing.assert_array_equal(reduce_sum(x, axis=axis), x.sum(axis=axis))
    np.testing.assert_array_equal(reduce_max(x, axis=axis), x.max(axis=axis))
