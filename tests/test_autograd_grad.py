"""``minidl.autograd.grad``: gradients of roots with respect to chosen sources, leaves or
intermediate tensors, without reading or writing any ``.grad`` -- the engine of
``tf.GradientTape.gradient``. Checked against ``backward()`` and against hand derivatives."""

import numpy as np
import pytest

import minidl
from minidl.autograd import grad
from minidl.ops import math, reductions
from tests.conftest import to_host


def test_leaf_gradients_equal_backward_and_leave_grad_alone(any_backend):
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = minidl.tensor(2.0, requires_grad=True)
    x.grad = minidl.backend.to_device(np.array([7.0, 7.0, 7.0], dtype=np.float32))  # must survive
    y = reductions.sum(w * x * x)
    dx, dw = grad(y, [x, w], retain_graph=True)
    np.testing.assert_allclose(to_host(dx), [4.0, 8.0, 12.0])  # 2 w x
    np.testing.assert_allclose(to_host(dw), 14.0)  # sum x^2
    np.testing.assert_allclose(to_host(x.grad), [7.0, 7.0, 7.0])
    assert w.grad is None
    x.grad = None
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), to_host(dx))


def test_intermediate_source_and_unconnected_source(any_backend):
    a = minidl.tensor([1.0, -2.0], requires_grad=True)
    b = a * 3.0  # intermediate
    c = reductions.sum(b * b)  # dc/db = 2b
    unused = minidl.tensor(1.0, requires_grad=True)
    db, da, dunused = grad(c, [b, a, unused])
    np.testing.assert_allclose(to_host(db), [6.0, -12.0])
    np.testing.assert_allclose(to_host(da), [18.0, -36.0])
    assert dunused is None


def test_several_roots_are_summed_with_their_weights(any_backend):
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    first, second = x * 2.0, math.exp(x)
    (dx,) = grad([first, second], [x], grad_roots=[np.array([1.0, 10.0], np.float32), None])
    np.testing.assert_allclose(to_host(dx), [2.0 + np.e, 20.0 + np.exp(2.0)], rtol=1e-6)


def test_root_without_graph_gives_none_and_freed_graph_is_reported():
    x = minidl.tensor([1.0])
    assert grad(x * 2.0, [x]) == [None]
    leaf = minidl.tensor([1.0], requires_grad=True)
    y = reductions.sum(leaf * leaf)
    grad(y, [leaf])  # frees the graph
    with pytest.raises(RuntimeError, match="already freed"):
        grad(y, [leaf])
