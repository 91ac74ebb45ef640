"""``tf.linalg``: the matrix functions labs use -- products, transposes, identity matrices and
norms -- with gradients where minidl has them."""

from minidl.ops import math as math_ops
from minidl.ops import reductions
from minidl.tf.array_ops import eye, transpose
from minidl.tf.math import global_norm, l2_normalize, matmul
from minidl.tf.op_support import operand, tf_function
from minidl.tf.tensor import as_tf


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Swap the last two axes."""
    a = operand(a)
    return transpose(a, list(range(a.ndim - 2)) + [a.ndim - 1, a.ndim - 2])


@tf_function("tf.norm")
def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002 - TensorFlow's name
    """The Euclidean (Frobenius) norm over ``axis`` (all elements when None)."""
    if ord not in ("euclidean", "fro", 2):
        raise NotImplementedError(f"tf.norm: ord={ord!r} is not supported by minidl, only the Euclidean norm")
    x = operand(tensor)
    squares = reductions.sum(math_ops.mul(x, x), axis=axis, keepdims=bool(keepdims))
    return as_tf(math_ops.sqrt(squares))


__all__ = ["eye", "global_norm", "l2_normalize", "matmul", "matrix_transpose", "norm"]
