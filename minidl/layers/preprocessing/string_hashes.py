"""The two string hashes Keras's hashing and lookup layers use, in plain Python, so that minidl
puts every value in the same bin as Keras (and TensorFlow) do.

* ``fingerprint64(data)``: FarmHash's ``Fingerprint64`` (the "na" variant of Hash64), what
  ``tf.strings.to_hash_bucket_fast`` takes modulo the number of bins: ``Hashing(num_bins)``
  without a salt, and the out-of-vocabulary buckets of ``StringLookup(num_oov_indices > 1)``.
* ``siphash24(key, data)``: SipHash-2-4 keyed by two 64-bit words, what
  ``tf.strings.to_hash_bucket_strong`` uses: ``Hashing(num_bins, salt=...)``.

Both work on bytes (strings are UTF-8 encoded first) with 64-bit wrap-around arithmetic,
written here as ``& MASK`` after every multiplication and addition. They run once per distinct
value of a batch, on the host; the layers are preprocessing, not the training loop.
"""

MASK = (1 << 64) - 1
K0 = 0xC3A5C85C97CB3127
K1 = 0xB492B66FBE98F273
K2 = 0x9AE16A3B2F90404F


def _fetch64(data, offset):
    return int.from_bytes(data[offset:offset + 8], "little")


def _fetch32(data, offset):
    return int.from_bytes(data[offset:offset + 4], "little")


def _rotate(value, shift):
    return value if shift == 0 else ((value >> shift) | (value << (64 - shift))) & MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _hash_16(u, v, mul):
    a = ((u ^ v) * mul) & MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & MASK
    b ^= b >> 47
    return (b * mul) & MASK


def _hash_0_to_16(data):
    length = len(data)
    if length >= 8:
        mul = K2 + length * 2
        a = (_fetch64(data, 0) + K2) & MASK
        b = _fetch64(data, length - 8)
        c = (_rotate(b, 37) * mul + a) & MASK
        d = ((_rotate(a, 25) + b) * mul) & MASK
        return _hash_16(c, d, mul)
    if length >= 4:
        mul = K2 + length * 2
        a = _fetch32(data, 0)
        return _hash_16((length + (a << 3)) & MASK, _fetch32(data, length - 4), mul)
    if length > 0:
        y = (data[0] + (data[length >> 1] << 8)) & 0xFFFFFFFF
        z = (length + (data[length - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * K2) ^ (z * K0)) & MASK) * K2) & MASK
    return K2


def _hash_17_to_32(data):
    length = len(data)
    mul = K2 + length * 2
    a = (_fetch64(data, 0) * K1) & MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & MASK
    d = (_fetch64(data, length - 16) * K2) & MASK
    return _hash_16((_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK,
                    (a + _rotate((b + K2) & MASK, 18) + c) & MASK, mul)


def _hash_33_to_64(data):
    length = len(data)
    mul = K2 + length * 2
    a = (_fetch64(data, 0) * K2) & MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & MASK
    d = (_fetch64(data, length - 16) * K2) & MASK
    y = (_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK
    z = _hash_16(y, (a + _rotate((b + K2) & MASK, 18) + c) & MASK, mul)
    e = (_fetch64(data, 16) * mul) & MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, length - 32)) * mul) & MASK
    h = ((z + _fetch64(data, length - 24)) * mul) & MASK
    return _hash_16((_rotate((e + f) & MASK, 43) + _rotate(g, 30) + h) & MASK,
                    (e + _rotate((f + a) & MASK, 18) + g) & MASK, mul)


def _weak_hash_32(data, offset, a, b):
    """FarmHash's WeakHashLen32WithSeeds on the 32 bytes at ``offset``: a pair of words."""
    w, x, y, z = (_fetch64(data, offset + 8 * i) for i in range(4))
    a = (a + w) & MASK
    b = _rotate((b + a + z) & MASK, 21)
    c = a
    a = (a + x + y) & MASK
    b = (b + _rotate(a, 44)) & MASK
    return (a + z) & MASK, (b + c) & MASK


def fingerprint64(data):
    """FarmHash Fingerprint64 of ``data`` (bytes), as an unsigned 64-bit int."""
    length = len(data)
    if length <= 16:
        return _hash_0_to_16(data)
    if length <= 32:
        return _hash_17_to_32(data)
    if length <= 64:
        return _hash_33_to_64(data)
    seed = 81
    x = seed
    y = (seed * K1 + 113) & MASK
    z = (_shift_mix((y * K2 + 113) & MASK) * K2) & MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * K2 + _fetch64(data, 0)) & MASK
    end = ((length - 1) // 64) * 64
    last64 = end + ((length - 1) & 63) - 63
    offset = 0
    while True:  # every whole 64-byte block but the last
        x = (_rotate((x + y + v[0] + _fetch64(data, offset + 8)) & MASK, 37) * K1) & MASK
        y = (_rotate((y + v[1] + _fetch64(data, offset + 48)) & MASK, 42) * K1) & MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, offset + 40)) & MASK
        z = (_rotate((z + w[0]) & MASK, 33) * K1) & MASK
        v = _weak_hash_32(data, offset, (v[1] * K1) & MASK, (x + w[0]) & MASK)
        w = _weak_hash_32(data, offset + 32, (z + w[1]) & MASK, (y + _fetch64(data, offset + 16)) & MASK)
        z, x = x, z
        offset += 64
        if offset == end:
            break
    mul = K1 + ((z & 0xFF) << 1)
    offset = last64
    w = ((w[0] + ((length - 1) & 63)) & MASK, w[1])
    v = ((v[0] + w[0]) & MASK, v[1])
    w = ((w[0] + v[0]) & MASK, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(data, offset + 8)) & MASK, 37) * mul) & MASK
    y = (_rotate((y + v[1] + _fetch64(data, offset + 48)) & MASK, 42) * mul) & MASK
    x ^= (w[1] * 9) & MASK
    y = (y + v[0] * 9 + _fetch64(data, offset + 40)) & MASK
    z = (_rotate((z + w[0]) & MASK, 33) * mul) & MASK
    v = _weak_hash_32(data, offset, (v[1] * mul) & MASK, (x + w[0]) & MASK)
    w = _weak_hash_32(data, offset + 32, (z + w[1]) & MASK, (y + _fetch64(data, offset + 16)) & MASK)
    z, x = x, z
    return _hash_16((_hash_16(v[0], w[0], mul) + _shift_mix(y) * K0 + z) & MASK,
                    (_hash_16(v[1], w[1], mul) + x) & MASK, mul)


def siphash24(key, data):
    """SipHash-2-4 of ``data`` (bytes) with the 128-bit ``key`` given as two 64-bit words."""
    k0, k1 = (int(part) & MASK for part in key)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(count, v0, v1, v2, v3):
        for _ in range(count):
            v0 = (v0 + v1) & MASK
            v1 = _rotate_left(v1, 13) ^ v0
            v0 = _rotate_left(v0, 32)
            v2 = (v2 + v3) & MASK
            v3 = _rotate_left(v3, 16) ^ v2
            v0 = (v0 + v3) & MASK
            v3 = _rotate_left(v3, 21) ^ v0
            v2 = (v2 + v1) & MASK
            v1 = _rotate_left(v1, 17) ^ v2
            v2 = _rotate_left(v2, 32)
        return v0, v1, v2, v3

    length = len(data)
    whole = length - length % 8
    for offset in range(0, whole, 8):
        word = _fetch64(data, offset)
        v3 ^= word
        v0, v1, v2, v3 = rounds(2, v0, v1, v2, v3)
        v0 ^= word
    last = ((length & 0xFF) << 56) | int.from_bytes(data[whole:], "little")
    v3 ^= last
    v0, v1, v2, v3 = rounds(2, v0, v1, v2, v3)
    v0 ^= last
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(4, v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def _rotate_left(value, shift):
    return ((value << shift) | (value >> (64 - shift))) & MASK
