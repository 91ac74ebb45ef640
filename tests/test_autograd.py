"""The autograd engine: graph recording, topological backward, accumulation, freeing."""

import numpy as np
import pytest

import minidl
from minidl import ops
from tests.conftest import to_host


def test_dlw_ex_1_02_z_equals_x2y_plus_y_plus_2(any_backend):
    x = minidl.tensor(3.0, requires_grad=True)
    y = minidl.tensor(4.0, requires_grad=True)
    z = x * x * y + y + 2
    assert z.item() == 42
    z.backward()
    assert to_host(x.grad) == pytest.approx(2 * 3 * 4)  # dz/dx = 2xy
    assert to_host(y.grad) == pytest.approx(3 * 3 + 1)  # dz/dy = x^2 + 1


def test_dlw_ex_1_03_matmul_values(any_backend):
    x = minidl.tensor([[1, 2, 3], [4, 5, 6]])
    y = minidl.tensor([[7, 8], [9, 10], [11, 12]])
    assert to_host(ops.matmul(x, y)).tolist() == [[58, 64], [139, 154]]
    assert to_host(ops.matmul(y, x)).tolist() == [[39, 54, 69], [49, 68, 87], [59, 82, 105]]


def test_dlw_ex_1_04_reshape_keeps_order_and_does_not_mutate(any_backend):
    matrix = minidl.tensor(np.arange(20).reshape(5, 4))
    reshaped = matrix.reshape(5, 4, 1)
    assert reshaped.shape == (5, 4, 1)
    assert matrix.shape == (5, 4)
    assert to_host(reshaped).ravel().tolist() == list(range(20))


def test_dlw_ex_1_05_argmax(any_backend):
    x = minidl.tensor([[91, 12, 15], [11, 88, 21], [90, 87, 75]])
    assert to_host(x.argmax(axis=0)).tolist() == [0, 1, 2]
    assert to_host(x.argmax(axis=1)).tolist() == [0, 1, 0]


def test_gradient_accumulates_over_reuse_and_calls(any_backend):
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [2 + 3, 4 + 3])


def test_graph_is_freed_unless_retained(any_backend):
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), 4 * np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="already freed"):
        y.backward()


def test_deep_graph_of_100k_nodes_has_no_recursion_limit():
    x = minidl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y.backward()
    assert to_host(x.grad) == pytest.approx(1.0)


def test_backward_without_grad_says_so():
    x = minidl.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


def test_backward_of_non_scalar_needs_grad_argument(any_backend):
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match="one-element"):
        y.backward()
    y.backward(minidl.tensor([1.0, 10.0]))
    np.testing.assert_allclose(to_host(x.grad), [2.0, 40.0])


def test_no_grad_records_nothing_and_detach_cuts(any_backend):
    x = minidl.tensor([1.0], requires_grad=True)
    with minidl.no_grad():
        y = x * 2
    assert not y.requires_grad and y.creator is None
    z = (x * 2).detach()
    assert not z.requires_grad


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        minidl.tensor([1, 2, 3], requires_grad=True)


def test_float_op_on_integer_tensor_names_the_op():
    with pytest.raises(TypeError, match="log: input must have a floating-point dtype"):
        ops.log(minidl.tensor([1, 2]))


def test_shape_mismatch_names_op_and_shapes():
    a = minidl.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        a + minidl.tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\)"):
        a @ a


def test_python_scalars_keep_float32():
    x = minidl.tensor([1.0, 2.0])
    assert x.dtype == np.float32
    assert (x * 2.5).dtype == np.float32
    assert (1.0 - x).dtype == np.float32


def test_unused_output_of_multi_output_op_gets_zero_gradient(any_backend):
    x = minidl.tensor(np.arange(6.0), requires_grad=True)
    first, _second = ops.split(x, 2)
    (first * 2).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [2, 2, 2, 0, 0, 0])


def test_debug_mode_names_the_op_that_made_a_nan():
    x = minidl.tensor([1.0, -1.0])
    with minidl.debug(), pytest.raises(FloatingPointError, match="Log produced 1 NaN"):
        with np.errstate(invalid="ignore"):
            ops.log(x)


def test_numpy_meets_tensors_as_it_meets_tensorflow_tensors():
    """What Keras code hands to NumPy and matplotlib (a loss, a model's output), as TensorFlow's
    tensors behave: ``np.asarray`` copies to the host, NumPy operators with a tensor operand
    stay in the graph, NumPy functions and in-place NumPy updates run on host copies,
    ``np.mean`` / ``np.std`` work."""
    import minidl

    t = minidl.tensor(np.array([1.0, 4.0, 9.0]), requires_grad=True)
    array = np.array([1.0, 2.0, 3.0])
    total = array * t + array
    assert isinstance(total, minidl.Tensor) and total.creator is not None
    total.sum().backward()
    np.testing.assert_array_equal(t.grad, array)
    assert isinstance(array < t, minidl.Tensor) and (array < t).data.tolist() == [False, True, True]
    assert isinstance(-t, minidl.Tensor)
    np.testing.assert_array_equal(np.asarray(t), [1.0, 4.0, 9.0])
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    finite = np.isfinite(t)
    assert isinstance(finite, np.ndarray) and finite.all()
    np.testing.assert_allclose(np.sqrt(t), [1.0, 2.0, 3.0])
    assert float(np.mean(t)) == pytest.approx(14 / 3) and np.std(t) == pytest.approx(np.std([1.0, 4.0, 9.0]))
    assert np.mean(t, dtype=np.float32).dtype == np.float32
    buffer = np.zeros(3)
    buffer += t
    np.testing.assert_array_equal(buffer, [1.0, 4.0, 9.0])
    assert isinstance(np.add(t, 1), np.ndarray)  # a NumPy function gives NumPy's array, as for tf tensors
    with pytest.raises(TypeError):
        np.add(array, array, out=t)  # a tensor is no NumPy output buffer
    counts, _ = np.histogram(t, bins=3)
    assert counts.sum() == 3


def test_numpy_converts_a_tensor_as_it_converts_a_tensorflow_eager_tensor(any_backend):
    tensor = minidl.tensor(np.array([[1.0, 2.0]], dtype="float32"), requires_grad=True) * 2.0
    array = np.asarray(tensor)
    assert isinstance(array, np.ndarray) and array.dtype == np.float32
    np.testing.assert_allclose(tensor, [[2.0, 4.0]])  # keras-io's guides compare model outputs so
    assert np.array(tensor, dtype="float64").dtype == np.float64
