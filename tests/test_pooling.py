"""Pooling: max/average (1-D and 2-D, valid/same, overlapping windows), fused == reference,
plain NumPy loops as the oracle, the first-max tie rule, global poolings (with masks),
upsampling, and the Keras layers' defaults and errors."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minidl
from minidl import backend
from minidl.layers.base import clear_session
from minidl.layers.input_layer import Input
from minidl.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from minidl.ops.pooling import (
    avg_pool1d,
    avg_pool2d,
    avg_pool2d_reference,
    global_average_pool,
    global_max_pool,
    max_pool1d,
    max_pool2d,
    max_pool2d_reference,
    upsample2d,
    upsample2d_reference,
    zero_pad2d,
)
from minidl.runtime import parallel
from tests.conftest import device, to_host


def tf_same_pads(length, window, stride):
    out = (length + stride - 1) // stride
    total = max((out - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


def numpy_pool2d(x, pool, strides, padding, kind):
    """Max or mean over each window; 'same' windows see only the real (unpadded) values."""
    (ph, pw), (sh, sw) = pool, strides
    pads = (tf_same_pads(x.shape[1], ph, sh), tf_same_pads(x.shape[2], pw, sw)) if padding == "same" else ((0, 0),) * 2
    out_h = (x.shape[1] + sum(pads[0]) - ph) // sh + 1
    out_w = (x.shape[2] + sum(pads[1]) - pw) // sw + 1
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for r in range(out_h):
        for c in range(out_w):
            top, left = r * sh - pads[0][0], c * sw - pads[1][0]
            window = x[:, max(top, 0):top + ph, max(left, 0):left + pw, :]
            y[:, r, c] = window.max(axis=(1, 2)) if kind == "max" else window.mean(axis=(1, 2))
    return y


def numpy_max_pool_grad(x, pool, strides, padding, grad_out):
    """Route each window's gradient to its first maximum (row-major), accumulating."""
    (ph, pw), (sh, sw) = pool, strides
    pads = (tf_same_pads(x.shape[1], ph, sh), tf_same_pads(x.shape[2], pw, sw)) if padding == "same" else ((0, 0),) * 2
    grad = np.zeros_like(x)
    for n in range(x.shape[0]):
        for r in range(grad_out.shape[1]):
            for c in range(grad_out.shape[2]):
                for ch in range(x.shape[3]):
                    best, where = -np.inf, None
                    for i in range(ph):
                        for j in range(pw):
                            row, col = r * sh - pads[0][0] + i, c * sw - pads[1][0] + j
                            if 0 <= row < x.shape[1] and 0 <= col < x.shape[2] and x[n, row, col, ch] > best:
                                best, where = x[n, row, col, ch], (row, col)
                    grad[n, where[0], where[1], ch] += grad_out[n, r, c, ch]
    return grad


pool_cases = st.fixed_dictionaries({
    "batch": st.integers(1, 2),
    "height": st.integers(1, 6),
    "width": st.integers(1, 6),
    "channels": st.integers(1, 3),
    "pool": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "strides": st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    "padding": st.sampled_from(["valid", "same"]),
    "ties": st.booleans(),
    "seed": st.integers(0, 2**16),
})


def _draw(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["batch"], case["height"], case["width"], case["channels"]))
    if case["ties"]:
        x = np.round(x)  # many equal values: exercises the first-maximum rule
    return rng, x


def _fits(case):
    return case["padding"] == "same" or (case["pool"][0] <= case["height"] and case["pool"][1] <= case["width"])


def _forward_backward(fn, x, grad_out, **kwargs):
    xt = minidl.tensor(device(x), requires_grad=True)
    y = fn(xt, **kwargs)
    if grad_out is None:
        grad_out = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(device(grad_out))
    return to_host(y), to_host(xt.grad), grad_out


@given(case=pool_cases)
def test_max_pool2d_fused_reference_numpy_and_tie_rule(any_backend, case):
    assume(_fits(case))
    _, x = _draw(case)
    kwargs = {"pool_size": case["pool"], "strides": case["strides"], "padding": case["padding"]}
    y, grad, grad_out = _forward_backward(max_pool2d, x, None, **kwargs)
    y_ref, grad_ref, _ = _forward_backward(max_pool2d_reference, x, grad_out, **kwargs)
    np.testing.assert_allclose(y, y_ref, atol=1e-10, rtol=0)
    np.testing.assert_allclose(grad, grad_ref, atol=1e-10, rtol=0)
    strides = case["strides"] or case["pool"]
    np.testing.assert_array_equal(y, numpy_pool2d(x, case["pool"], strides, case["padding"], "max"))
    expected_grad = numpy_max_pool_grad(x, case["pool"], strides, case["padding"], grad_out)
    np.testing.assert_allclose(grad, expected_grad, atol=1e-12, rtol=0)
    if not case["ties"]:
        worst = minidl.gradcheck(lambda a: max_pool2d(a, **kwargs), device(x))
        assert max(worst) < 1e-6


@given(case=pool_cases)
def test_avg_pool2d_fused_reference_numpy_and_gradcheck(any_backend, case):
    assume(_fits(case))
    _, x = _draw(case)
    kwargs = {"pool_size": case["pool"], "strides": case["strides"], "padding": case["padding"]}
    y, grad, grad_out = _forward_backward(avg_pool2d, x, None, **kwargs)
    y_ref, grad_ref, _ = _forward_backward(avg_pool2d_reference, x, grad_out, **kwargs)
    np.testing.assert_allclose(y, y_ref, atol=1e-10, rtol=0)
    np.testing.assert_allclose(grad, grad_ref, atol=1e-10, rtol=0)
    strides = case["strides"] or case["pool"]
    np.testing.assert_allclose(y, numpy_pool2d(x, case["pool"], strides, case["padding"], "mean"), atol=1e-12)
    worst = minidl.gradcheck(lambda a: avg_pool2d(a, **kwargs), device(x))
    assert max(worst) < 1e-6


@pytest.mark.parametrize("pool, strides, padding", [((2, 2), None, "valid"), ((3, 3), (1, 2), "same")])
def test_max_pool2d_in_parallel_chunks_matches_the_numpy_oracle(any_backend, monkeypatch, pool, strides, padding):
    monkeypatch.setattr(parallel, "CPU_CHUNK_BYTES", 1)  # one sample per chunk, chunks on threads
    x = np.round(np.random.default_rng(2).standard_normal((5, 6, 7, 3)))  # ties included
    y, grad, grad_out = _forward_backward(max_pool2d, x, None, pool_size=pool, strides=strides, padding=padding)
    np.testing.assert_array_equal(y, numpy_pool2d(x, pool, strides or pool, padding, "max"))
    expected_grad = numpy_max_pool_grad(x, pool, strides or pool, padding, grad_out)
    np.testing.assert_allclose(grad, expected_grad, atol=1e-12, rtol=0)


@pytest.mark.parametrize("pool, strides, padding", [((2, 2), None, "valid"), ((2, 3), None, "same"),
                                                    ((3, 3), (1, 2), "same")])
def test_avg_pool2d_in_parallel_chunks_equals_the_reference(any_backend, monkeypatch, pool, strides, padding):
    """One sample per chunk on the threads; windows that tile the input (the first two cases, the
    second with smaller border windows) take the in-place backward: the reference's numbers."""
    monkeypatch.setattr(parallel, "CPU_CHUNK_BYTES", 1)
    x = np.random.default_rng(3).standard_normal((5, 6, 7, 3))
    y, grad, grad_out = _forward_backward(avg_pool2d, x, None, pool_size=pool, strides=strides, padding=padding)
    y_ref, grad_ref, _ = _forward_backward(avg_pool2d_reference, x, grad_out, pool_size=pool, strides=strides,
                                           padding=padding)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(grad, grad_ref)
    np.testing.assert_allclose(y, numpy_pool2d(x, pool, strides or pool, padding, "mean"), atol=1e-12)


def test_overlapping_max_windows_accumulate_the_gradient(any_backend):
    # one large value inside every 3x3 window of a 5x5 input, stride 1: it wins all 9 windows
    x = np.zeros((1, 5, 5, 1))
    x[0, 2, 2, 0] = 5.0
    xt = minidl.tensor(device(x), requires_grad=True)
    y = max_pool2d(xt, pool_size=3, strides=1)
    assert y.shape == (1, 3, 3, 1)
    y.backward(device(np.ones((1, 3, 3, 1))))
    grad = to_host(xt.grad)
    assert grad[0, 2, 2, 0] == 9.0 and grad.sum() == 9.0


def test_ties_go_to_the_first_maximum_of_each_window(any_backend):
    x = np.array([[3.0, 3.0], [3.0, 1.0]]).reshape(1, 2, 2, 1)
    xt = minidl.tensor(device(x), requires_grad=True)
    max_pool2d(xt).sum().backward()
    np.testing.assert_array_equal(to_host(xt.grad)[0, :, :, 0], [[1.0, 0.0], [0.0, 0.0]])


def test_ex_3_01_two_by_two_max_pool_example(any_backend):
    image = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float32)
    out = to_host(max_pool2d(device(image.reshape(1, 4, 4, 1))))[0, :, :, 0]
    np.testing.assert_array_equal(out, [[6, 8], [3, 4]])


def test_pooling_keeps_float32(any_backend):
    x = minidl.tensor(np.random.default_rng(0).standard_normal((2, 6, 6, 3)).astype(np.float32), requires_grad=True)
    for fn in (max_pool2d, avg_pool2d):
        y = fn(x, padding="same", pool_size=3, strides=2)
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32


@given(steps=st.integers(2, 9), pool=st.integers(1, 3), stride=st.sampled_from([None, 1, 2]),
       padding=st.sampled_from(["valid", "same"]), seed=st.integers(0, 999))
def test_1d_pooling_matches_the_2d_oracle(any_backend, steps, pool, stride, padding, seed):
    assume(padding == "same" or pool <= steps)
    x = np.random.default_rng(seed).standard_normal((2, steps, 3))
    for fn, kind in ((max_pool1d, "max"), (avg_pool1d, "mean")):
        out = to_host(fn(device(x), pool, stride, padding))
        expected = numpy_pool2d(x[:, None], (1, pool), (1, stride or pool), padding, kind)[:, 0]
        np.testing.assert_allclose(out, expected, atol=1e-12)
        assert max(minidl.gradcheck(lambda a, fn=fn: fn(a, pool, stride, padding), device(x))) < 1e-6


def test_global_pooling(any_backend):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(3)
    image = rng.standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(to_host(global_average_pool(device(image))), image.mean(axis=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(to_host(global_max_pool(device(image))), image.max(axis=(1, 2)))
    sequence = rng.standard_normal((2, 6, 3))
    np.testing.assert_allclose(to_host(global_average_pool(device(sequence), rank=1)), sequence.mean(axis=1),
                               atol=1e-12)
    assert to_host(GlobalMaxPooling2D(keepdims=True)(device(image))).shape == (2, 1, 1, 5)
    assert GlobalAveragePooling2D()(device(image)).shape == (2, 5)
    np.testing.assert_allclose(to_host(GlobalMaxPooling1D()(device(sequence))), sequence.max(axis=1))
    for layer in (GlobalAveragePooling2D(), GlobalMaxPooling2D()):
        assert max(minidl.gradcheck(lambda a, layer=layer: layer(a), device(image))) < 1e-6


def test_global_average_pooling1d_respects_a_padding_mask(any_backend):
    sequence = np.arange(12, dtype=np.float64).reshape(2, 3, 2)
    tensor = minidl.tensor(device(sequence))
    tensor.mask = backend.to_device(np.array([[True, True, False], [True, False, False]]))
    out = to_host(GlobalAveragePooling1D()(tensor))
    np.testing.assert_allclose(out, [sequence[0, :2].mean(axis=0), sequence[1, :1].mean(axis=0)])


@given(height=st.integers(1, 4), width=st.integers(1, 4), size=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       seed=st.integers(0, 999))
def test_upsample2d_fused_reference_numpy(any_backend, height, width, size, seed):
    x = np.random.default_rng(seed).standard_normal((2, height, width, 2))
    y, grad, grad_out = _forward_backward(upsample2d, x, None, size=size)
    y_ref, grad_ref, _ = _forward_backward(upsample2d_reference, x, grad_out, size=size)
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=2))
    np.testing.assert_allclose(y, y_ref, atol=1e-10, rtol=0)
    np.testing.assert_allclose(grad, grad_ref, atol=1e-10, rtol=0)
    assert max(minidl.gradcheck(lambda a: upsample2d(a, size), device(x))) < 1e-6


def test_zero_pad2d_op(any_backend):
    x = np.ones((1, 2, 2, 1))
    np.testing.assert_array_equal(to_host(zero_pad2d(device(x), ((1, 0), (0, 2)))),
                                  np.pad(x, ((0, 0), (1, 0), (0, 2), (0, 0))))


# -- layers ---------------------------------------------------------------------------------------

def test_pooling_layers_keras_defaults_and_names():
    clear_session()
    layer = MaxPooling2D()
    assert layer.name == "max_pooling2d"
    assert (layer.pool_size, layer.strides, layer.padding, layer.data_format) == ((2, 2), (2, 2), "valid",
                                                                                    "channels_last")
    assert MaxPooling1D().pool_size == (2,) and MaxPooling1D(5).strides == (5,)
    assert AveragePooling2D(3, strides=1).strides == (1, 1)
    assert AveragePooling1D(name="avg").name == "avg"
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D
    assert GlobalAveragePooling2D().name == "global_average_pooling2d"
    config = MaxPooling2D((3, 2), strides=(1, 2), padding="same").get_config()
    assert MaxPooling2D.from_config(config).get_config() == config


def test_pooling_layers_output_shapes_and_values(any_backend):
    x = np.random.default_rng(0).standard_normal((2, 7, 5, 3)).astype(np.float32)
    assert MaxPooling2D()(x).shape == (2, 3, 2, 3)
    assert MaxPooling2D(padding="same")(x).shape == (2, 4, 3, 3)
    np.testing.assert_allclose(to_host(AveragePooling2D((3, 3), strides=2, padding="same")(x)),
                               numpy_pool2d(x.astype(np.float64), (3, 3), (2, 2), "same", "mean"), atol=1e-6)
    assert MaxPooling1D(5)(np.zeros((1, 10, 2), np.float32)).shape == (1, 2, 2)
    assert AveragePooling1D(padding="same")(np.zeros((1, 5, 2), np.float32)).shape == (1, 3, 2)
    assert MaxPooling2D()(Input(shape=(24, 24, 64))).shape == (None, 12, 12, 64)


def test_pooling_errors_name_the_layer():
    clear_session()
    with pytest.raises(ValueError, match=r"max_pooling2d \(MaxPooling2D\): expected input of rank 4 "
                                         r"\(batch, height, width, channels\), got shape \(1, 4, 4\)"):
        MaxPooling2D()(np.zeros((1, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"max_pooling1d \(MaxPooling1D\): expected input of rank 3"):
        MaxPooling1D()(np.zeros((1, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"average_pooling2d \(AveragePooling2D\), called on an input of shape "
                                         r"\(1, 3, 3, 1\) \(float32\): avg_pool2d: the 5x5 window is larger than "
                                         r"the padded input 3x3"):
        AveragePooling2D(5)(np.zeros((1, 3, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"pool_size must be an int or a tuple of 2 ints >= 1, got 0"):
        MaxPooling2D(0)
    with pytest.raises(ValueError, match=r"padding must be one of 'valid', 'same', got 'full'"):
        MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match=r"only data_format='channels_last'"):
        GlobalMaxPooling2D(data_format="channels_first")
    with pytest.raises(ValueError, match=r"global_average_pooling2d \(GlobalAveragePooling2D\), called on an input "
                                         r"of shape \(2, 3\) \(float32\): global_average_pool: expected input of rank 4"):
        GlobalAveragePooling2D()(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"max_pool2d: input must have a floating-point dtype"):
        max_pool2d(np.zeros((1, 2, 2, 1), dtype=np.int64))
