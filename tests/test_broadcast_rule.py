"""``broadcast_shapes_or_raise``, NumPy's broadcasting rule written out: the same shape as
``numpy.broadcast_shapes`` for every pair it accepts, and an error naming the op and both shapes
for every pair it refuses."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.ops._util import broadcast_shapes_or_raise

shapes = st.lists(st.sampled_from([0, 1, 2, 3]), max_size=4).map(tuple)


@given(a=shapes, b=shapes)
def test_numpy_broadcasting(a, b):
    try:
        expected = np.broadcast_shapes(a, b)
    except ValueError:
        with pytest.raises(ValueError, match=rf"add: shapes {a!r} and {b!r} cannot be broadcast".replace("(", r"\(")
                           .replace(")", r"\)")):
            broadcast_shapes_or_raise("add", a, b)
    else:
        assert broadcast_shapes_or_raise("add", a, b) == expected
        assert broadcast_shapes_or_raise("add", list(a), list(b)) == expected  # any sequences
