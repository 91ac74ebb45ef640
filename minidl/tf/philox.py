"""TensorFlow's random numbers, bit for bit: the Philox4x32-10 counter-based generator and the
way TensorFlow's CPU kernels turn its output into uniform and normal floats.

Philox (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011) maps a 128-bit
counter and a 64-bit key to 128 random bits by ten rounds of multiply-and-xor. TensorFlow
seeds it with the key = the first seed and the upper half of the counter = the second seed, and
numbers its 128-bit blocks 0, 1, 2, ... So every block can be computed independently --
here all at once with NumPy's uint32/uint64 arithmetic, on the host.

Float conversions, as in TensorFlow's ``random_distributions.h``:

* uniform: the 23 low bits become the mantissa of a float in [1, 2), minus 1;
* normal: Box-Muller on pairs of uniforms, u1 clamped to >= 1e-7, with the angle computed in
  double precision (TensorFlow multiplies by the double ``M_PI``) and log/sin/cos rounded to
  float32;
* truncated normal: normals outside (-2, 2) are rejected; each group of 4 outputs draws from its
  own stretch of 256 blocks, so groups are independent of each other.

With these, ``tf.random.set_seed(0); tf.random.normal([2, 3])`` gives TensorFlow's numbers; the
few values whose float32 log or sincos TensorFlow's C library rounds the other way differ in the
last bit.
"""

import numpy as np

_MULTIPLIER_A = np.uint64(0xD2511F53)
_MULTIPLIER_B = np.uint64(0xCD9E8D57)
_KEY_STEP_A = np.uint32(0x9E3779B9)
_KEY_STEP_B = np.uint32(0xBB67AE85)
_LOW_32 = np.uint64(0xFFFFFFFF)
_SHIFT_32 = np.uint64(32)

BLOCKS_PER_TRUNCATED_GROUP = 256  # TensorFlow's kReservedSamplesPerOutput for variable-sample draws


def philox_blocks(seed, seed2, first_block, count):
    """``count`` 128-bit blocks (as an array of shape (count, 4) of uint32) from block ``first_block``."""
    index = np.arange(first_block, first_block + count, dtype=np.uint64)
    key0 = np.full(count, seed & 0xFFFFFFFF, np.uint32)
    key1 = np.full(count, (seed >> 32) & 0xFFFFFFFF, np.uint32)
    c0 = (index & _LOW_32).astype(np.uint32)
    c1 = (index >> _SHIFT_32).astype(np.uint32)
    c2 = np.full(count, seed2 & 0xFFFFFFFF, np.uint32)
    c3 = np.full(count, (seed2 >> 32) & 0xFFFFFFFF, np.uint32)
    for round_number in range(10):
        product0 = _MULTIPLIER_A * c0.astype(np.uint64)
        product1 = _MULTIPLIER_B * c2.astype(np.uint64)
        high0, low0 = (product0 >> _SHIFT_32).astype(np.uint32), product0.astype(np.uint32)
        high1, low1 = (product1 >> _SHIFT_32).astype(np.uint32), product1.astype(np.uint32)
        c0, c1, c2, c3 = high1 ^ c1 ^ key0, low1, high0 ^ c3 ^ key1, low0
        if round_number < 9:
            key0 = key0 + _KEY_STEP_A
            key1 = key1 + _KEY_STEP_B
    return np.stack([c0, c1, c2, c3], axis=1)


def uint32_to_unit_float(bits):
    """Uniform floats in [0, 1): 23 random mantissa bits under the exponent of 1.0, minus 1."""
    mantissa = bits & np.uint32(0x7FFFFF)
    return (np.uint32(127 << 23) | mantissa).view(np.float32) - np.float32(1.0)


def uint32_to_unit_double(high, low):
    """Uniform doubles in [0, 1) from two words: 52 mantissa bits (20 from ``high``, 32 from ``low``)."""
    mantissa = ((high.astype(np.uint64) & np.uint64(0xFFFFF)) << _SHIFT_32) | low.astype(np.uint64)
    return (np.uint64(1023 << 52) | mantissa).view(np.float64) - 1.0


def box_muller(bits0, bits1):
    """Two standard normals (float32) from each pair of 32-bit words."""
    u1 = np.maximum(uint32_to_unit_float(bits0), np.float32(1e-7))
    angle = (2.0 * np.pi * uint32_to_unit_float(bits1).astype(np.float64)).astype(np.float32)
    radius = np.sqrt(np.float32(-2.0) * np.log(u1.astype(np.float64)).astype(np.float32))
    first = np.sin(angle.astype(np.float64)).astype(np.float32) * radius
    second = np.cos(angle.astype(np.float64)).astype(np.float32) * radius
    return first, second


def uniform(seed, seed2, count, first_block=0):
    """``count`` float32 uniforms in [0, 1): four per block."""
    words = philox_blocks(seed, seed2, first_block, (count + 3) // 4).reshape(-1)
    return uint32_to_unit_float(words)[:count]


def uniform_double(seed, seed2, count, first_block=0):
    """``count`` float64 uniforms in [0, 1): two per block (each from two words)."""
    words = philox_blocks(seed, seed2, first_block, (count + 1) // 2).reshape(-1, 2)
    return uint32_to_unit_double(words[:, 0], words[:, 1])[:count]


def normal(seed, seed2, count, first_block=0):
    """``count`` float32 standard normals: four per block, Box-Muller on words (0, 1) and (2, 3)."""
    words = philox_blocks(seed, seed2, first_block, (count + 3) // 4).reshape(-1, 2)
    first, second = box_muller(words[:, 0], words[:, 1])
    return np.stack([first, second], axis=1).reshape(-1)[:count]


def normal_double(seed, seed2, count, first_block=0):
    """``count`` float64 standard normals: two per block, Box-Muller on two 52-bit uniforms."""
    words = philox_blocks(seed, seed2, first_block, count // 2 + count % 2).reshape(-1, 4)
    u1 = np.maximum(uint32_to_unit_double(words[:, 0], words[:, 1]), 1e-7)
    angle = 2 * np.pi * uint32_to_unit_double(words[:, 2], words[:, 3])
    radius = np.sqrt(-2.0 * np.log(u1))
    return np.stack([np.sin(angle) * radius, np.cos(angle) * radius], axis=1).reshape(-1)[:count]


def uniform_int(seed, seed2, count, low, high, dtype, first_block=0):
    """Integers in [low, high): ``low + bits % (high - low)``, 32-bit words for int32, pairs for int64."""
    span = int(high) - int(low)
    if np.dtype(dtype) == np.int64:
        words = philox_blocks(seed, seed2, first_block, (count + 1) // 2).reshape(-1, 2)
        bits = words[:, 0].astype(np.uint64) | (words[:, 1].astype(np.uint64) << _SHIFT_32)
        return (np.int64(low) + (bits % np.uint64(span)).astype(np.int64))[:count]
    words = philox_blocks(seed, seed2, first_block, (count + 3) // 4).reshape(-1)
    return (np.int64(low) + (words % np.uint32(span)).astype(np.int64)).astype(dtype)[:count]


def truncated_normal(seed, seed2, count, first_block=0):
    """``count`` standard normals restricted to (-2, 2), in groups of four (see the module docstring)."""
    groups = (count + 3) // 4
    values = np.empty(groups * 4, np.float32)
    for group in range(groups):
        start = first_block + group * BLOCKS_PER_TRUNCATED_GROUP
        values[4 * group:4 * group + 4] = _truncated_group(seed, seed2, start)
    return values[:count]


def _truncated_group(seed, seed2, start_block):
    """Four accepted normals from the words of blocks start_block, start_block + 1, ..."""
    accepted = []
    blocks_used = 0
    while len(accepted) < 4:
        words = philox_blocks(seed, seed2, start_block + blocks_used, 4).reshape(-1, 2)
        blocks_used += 4
        first, second = box_muller(words[:, 0], words[:, 1])
        for a, b in zip(first, second):
            for value in (a, b):
                if abs(value) < 2.0 and len(accepted) < 4:
                    accepted.append(value)
            if len(accepted) == 4:
                break
    return np.array(accepted, np.float32)
