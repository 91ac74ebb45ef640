"""``select(condition, a, b)``: NumPy's ``where`` for the ops' element-wise choices -- the same
bits, without a branch per element.

NumPy's where tests the condition element by element with a branch. When the condition follows
the data -- the sign of an activation's input, which of two operands is the larger -- the
processor guesses about half of those branches wrong: for 1.6M float32 elements where takes
7.4 ms with a random mask and 0.9 ms with a sorted one. ``select`` makes the choice with bit
masks instead::

    m      = all ones where the condition holds, all zeros elsewhere    (-condition, as int8)
    select = b ^ ((a ^ b) & m)                                          (a's bits where m, else b's)

-- 1.8 ms for the same 1.6M elements, bit for bit where's result (NaN, infinities and -0.0
included); with one side the scalar 0 it is a single AND (0.8 ms). It runs for float and integer
arrays (of 16 bits or more) on the host with the condition's shape; anything else (a GPU, where
branches cost nothing; broadcasting; another scalar) is where itself.
"""

import numpy as np

from minidl.autograd.function import xp

# each dtype select takes and the integer of its size, whose bits the masks pick
_BITS = {np.dtype(kind): signed for signed, kinds in ((np.int16, (np.float16, np.int16, np.uint16)),
                                                      (np.int32, (np.float32, np.int32, np.uint32)),
                                                      (np.int64, (np.float64, np.int64, np.uint64)))
         for kind in kinds}


def select(condition, a, b):
    """``where(condition, a, b)``: ``a``'s element where ``condition`` holds, else ``b``'s.
    Either side may be the scalar 0."""
    a_is_zero, b_is_zero = _is_zero(a), _is_zero(b)
    arrays = [side for side, zero in ((a, a_is_zero), (b, b_is_zero)) if not zero]
    if not _by_bits(condition, arrays):
        return xp().where(condition, a, b)
    dtype = arrays[0].dtype
    integer = _BITS[dtype]
    mask = np.negative(condition.view(np.int8))  # True (1) -> -1: all bits set
    if b_is_zero:
        return np.bitwise_and(a.view(integer), mask).view(dtype)
    if a_is_zero:
        return np.bitwise_and(b.view(integer), np.invert(mask)).view(dtype)
    a_bits, b_bits = a.view(integer), b.view(integer)
    bits = np.bitwise_xor(a_bits, b_bits)
    np.bitwise_and(bits, mask, out=bits)
    np.bitwise_xor(bits, b_bits, out=bits)  # b ^ (a ^ b) = a where the mask is set, b elsewhere
    return bits.view(dtype)


def _is_zero(side):
    """A plain Python 0 (or 0.0): like where, the result then takes the other side's dtype."""
    return type(side) in (int, float) and side == 0


def _by_bits(condition, arrays):
    """Whether the bit masks apply: host arrays (not a device's, not a subclass), a boolean
    condition of at least one dimension (NumPy turns 0-d results into scalars), and sides of its
    very shape and of one dtype that ``_BITS`` knows."""
    if not arrays or type(condition) is not np.ndarray or condition.dtype != np.bool_ or condition.ndim == 0:
        return False
    return all(type(side) is np.ndarray and side.shape == condition.shape and side.dtype == arrays[0].dtype
               and side.dtype in _BITS for side in arrays)
