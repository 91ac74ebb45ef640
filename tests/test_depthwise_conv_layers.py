"""DepthwiseConv1D/2D, SeparableConv1D/2D, Conv1DTranspose and the depthwise convolution op:
element loops in plain NumPy as the oracle, float64 gradient checks on drawn shapes, every
backend, Keras's weight names and shapes, and (where Keras is installed) Keras's values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.layers import Conv1DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from minidl.ops.depthwise_conv import depthwise_conv1d, depthwise_conv2d
from minidl.ops.fast import im2col as im2col_module
from minidl.ops.windows import same_pads
from minidl.runtime import parallel
from tests.conftest import device, to_host, with_weights


def numpy_depthwise(x, kernel, bias, strides, padding, dilation):
    """Every output pixel of every channel and multiplier, by explicit loops."""
    n, height, width, channels = x.shape
    kh, kw, _, multiplier = kernel.shape
    if padding == "same":
        (top, bottom), (left, right) = (same_pads(height, kh, strides[0], dilation[0]),
                                        same_pads(width, kw, strides[1], dilation[1]))
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    span_h, span_w = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    out_h = (x.shape[1] - span_h) // strides[0] + 1
    out_w = (x.shape[2] - span_w) // strides[1] + 1
    out = np.zeros((n, out_h, out_w, channels * multiplier))
    for b, i, j, c, m in np.ndindex(n, out_h, out_w, channels, multiplier):
        total = bias[c * multiplier + m]
        for p, q in np.ndindex(kh, kw):
            total += x[b, i * strides[0] + p * dilation[0], j * strides[1] + q * dilation[1], c] * kernel[p, q, c, m]
        out[b, i, j, c * multiplier + m] = total
    return out


@pytest.mark.parametrize("readable", [False, True], ids=["fast", "readable"])
@given(size=st.integers(3, 6), channels=st.integers(1, 3), multiplier=st.integers(1, 2), kernel=st.integers(1, 3),
       stride=st.integers(1, 2), dilation=st.integers(1, 2), padding=st.sampled_from(["valid", "same"]),
       seed=st.integers(0, 2**16))
def test_depthwise_conv2d_matches_loops_and_gradcheck(any_backend, readable, size, channels, multiplier, kernel,
                                                      stride, dilation, padding, seed):
    with minidl.reference_ops(readable):
        _check_depthwise_against_loops(size, channels, multiplier, kernel, stride, dilation, padding, seed)


def _check_depthwise_against_loops(size, channels, multiplier, kernel, stride, dilation, padding, seed):
    minidl.set_floatx("float64")
    if padding == "valid" and (kernel - 1) * dilation + 1 > size:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, size, size + 1, channels))
    k = rng.standard_normal((kernel, kernel + 1 if kernel < 3 else kernel, channels, multiplier))
    if padding == "valid" and (k.shape[1] - 1) * dilation + 1 > size + 1:
        return
    b = rng.standard_normal(channels * multiplier)
    strides, dilations = (stride, 1), (dilation, dilation) if stride == 1 else (1, 1)
    out = to_host(depthwise_conv2d(device(x), device(k), device(b), strides, padding, dilations))
    np.testing.assert_allclose(out, numpy_depthwise(x, k, b, strides, padding, dilations), rtol=1e-9, atol=1e-10)
    grads = minidl.gradcheck(lambda a, w, c: depthwise_conv2d(a, w, c, strides, padding, dilations),
                             device(x), device(k), device(b))
    assert max(grads) < 1e-6


def _depthwise_with_gradients(x, kernel, bias, strides, padding, dilation, grad_out=None):
    """(y, dL/dx, dL/dkernel, dL/dbias, dL/dy) on the host, for ``grad_out`` or a drawn one."""
    x, kernel, bias = (minidl.tensor(device(a), requires_grad=True) for a in (x, kernel, bias))
    y = depthwise_conv2d(x, kernel, bias, strides, padding, dilation)
    if grad_out is None:
        grad_out = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(device(grad_out))
    return to_host(y.data), to_host(x.grad), to_host(kernel.grad), to_host(bias.grad), grad_out


@given(batch=st.integers(0, 4), height=st.integers(1, 7), width=st.integers(1, 7), channels=st.integers(1, 4),
       multiplier=st.integers(1, 3), kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       strides=st.tuples(st.integers(1, 3), st.integers(1, 3)), dilation=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same", "wide"]), seed=st.integers(0, 2**16))
def test_fast_depthwise_equals_the_readable_form(any_backend, monkeypatch, batch, height, width, channels, multiplier,
                                                 kernel, strides, dilation, padding, seed):
    """Every path of the fast form -- the gradient's windows (stride 1, 'valid'/'same'), tap by tap
    (a stride, or padding wider than the kernel), several multipliers, one sample per chunk on the
    threads -- against the readable im2col form, to rounding (einsum may group a window's sums
    differently)."""
    minidl.set_floatx("float64")
    monkeypatch.setattr(parallel, "CPU_CHUNK_BYTES", 1)
    dilations = (dilation, dilation) if strides == (1, 1) else (1, 1)
    if padding == "wide":  # more than the kernel's span less one on a side: the tap-by-tap backward
        padding = ((kernel[0] * dilations[0], 1), (0, kernel[1] * dilations[1]))
    spans = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    if padding == "valid" and (spans[0] > height or spans[1] > width):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, height, width, channels))
    k = rng.standard_normal((*kernel, channels, multiplier))
    b = rng.standard_normal(channels * multiplier)
    fast = _depthwise_with_gradients(x, k, b, strides, padding, dilations)
    with minidl.reference_ops():
        readable = _depthwise_with_gradients(x, k, b, strides, padding, dilations, grad_out=fast[4])
    for got, expected in zip(fast[:4], readable[:4]):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_depthwise_without_strided_views_runs_the_readable_form(monkeypatch):
    """A backend without ``as_strided`` cannot make the fast form's window views: the op runs the
    readable form instead, with the same numbers."""
    rng = np.random.default_rng(3)
    x, k, b = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 2)), rng.standard_normal(6)
    minidl.set_floatx("float64")
    fast = _depthwise_with_gradients(x, k, b, (1, 1), "same", (1, 1))
    monkeypatch.setattr(im2col_module, "_as_strided", lambda: None)
    y = depthwise_conv2d(minidl.tensor(x, requires_grad=True), k, b, padding="same")
    assert type(y.creator).__name__ == "DepthwiseConv2D"
    np.testing.assert_allclose(to_host(y.data), fast[0], rtol=1e-12, atol=1e-12)


@given(steps=st.integers(3, 7), channels=st.integers(1, 3), kernel=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_depthwise_conv1d_is_the_2d_op_over_one_row(any_backend, steps, channels, kernel, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((2, steps, channels)), rng.standard_normal((kernel, channels, 2))
    out = to_host(depthwise_conv1d(device(x), device(k), None, 1, "same"))
    expected = numpy_depthwise(x[:, None], k[None], np.zeros(2 * channels), (1, 1), "same", (1, 1))[:, 0]
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)
    assert max(minidl.gradcheck(lambda a, w: depthwise_conv1d(a, w, None, 1, "causal"), device(x), device(k))) < 1e-6


def test_depthwise_op_refuses_bad_operands():
    x = np.zeros((1, 4, 4, 3), np.float32)
    with pytest.raises(ValueError, match=r"depthwise_conv2d: the input has 3 channels .* has 2"):
        depthwise_conv2d(x, np.zeros((3, 3, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r"bias must have shape \(6,\)"):
        depthwise_conv2d(x, np.zeros((3, 3, 3, 2), np.float32), np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="larger than the padded input"):
        depthwise_conv2d(x, np.zeros((5, 5, 3, 1), np.float32))


@given(size=st.integers(3, 5), channels=st.integers(1, 3), filters=st.integers(1, 3), multiplier=st.integers(1, 2),
       seed=st.integers(0, 2**16))
def test_separable_conv_layers_are_depthwise_then_pointwise(any_backend, size, channels, filters, multiplier, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, size, size, channels))
    layer = SeparableConv2D(filters, 3, padding="same", depth_multiplier=multiplier, activation="tanh")
    layer(device(x))
    depthwise, pointwise, bias = [rng.standard_normal(w.shape) for w in layer.get_weights()]
    layer.set_weights([depthwise, pointwise, bias])
    assert [w.name.split("/")[-1] for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert pointwise.shape == (1, 1, channels * multiplier, filters)
    mixed = numpy_depthwise(x, depthwise, np.zeros(channels * multiplier), (1, 1), "same", (1, 1)) @ pointwise[0, 0]
    np.testing.assert_allclose(to_host(layer(device(x))), np.tanh(mixed + bias), rtol=1e-9, atol=1e-10)

    fn = with_weights(layer, ["depthwise_kernel", "pointwise_kernel"])
    assert max(minidl.gradcheck(fn, device(x), device(depthwise), device(pointwise))) < 1e-6
    one_d = SeparableConv1D(filters, 2, depth_multiplier=multiplier)
    assert one_d(device(x[:, 0])).shape == (2, size - 1, filters)
    assert [w.shape for w in one_d.weights] == [(2, channels, multiplier), (1, channels * multiplier, filters),
                                                (filters,)]
    depth_only = DepthwiseConv1D(2, depth_multiplier=multiplier)
    assert depth_only(device(x[:, 0])).shape == (2, size - 1, channels * multiplier)
    assert [w.name.split("/")[-1] for w in depth_only.weights] == ["kernel", "bias"]


@given(steps=st.integers(1, 5), kernel=st.integers(1, 4), stride=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), seed=st.integers(0, 2**16))
def test_conv1d_transpose_matches_scatter_loops_and_gradcheck(any_backend, steps, kernel, stride, padding, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, steps, 3))
    layer = Conv1DTranspose(2, kernel, strides=stride, padding=padding)
    out = to_host(layer(device(x)))
    k, b = layer.get_weights()
    assert k.shape == (kernel, 2, 3)
    length = steps * stride + max(kernel - stride, 0) if padding == "valid" else steps * stride
    reach = (steps - 1) * stride + kernel  # every input step adds its kernel at t * stride
    full = np.zeros((2, max(reach, length), 2))
    for n, t, f, c in np.ndindex(2, steps, 2, 3):
        full[n, t * stride:t * stride + kernel, f] += x[n, t, c] * k[:, f, c]
    start = max(reach - length, 0) // 2 if padding == "same" else 0
    np.testing.assert_allclose(out, full[:, start:start + length] + b, rtol=1e-9, atol=1e-10)

    def fn(a, w):
        saved = layer.kernel
        layer.kernel = w
        try:
            return layer(a)
        finally:
            layer.kernel = saved

    assert max(minidl.gradcheck(fn, device(x), device(k))) < 1e-6


def test_bad_arguments_name_layer_and_value():
    with pytest.raises(ValueError, match=r"\(DepthwiseConv2D\): depth_multiplier must be a positive integer, got 0"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match=r"\(SeparableConv1D\): padding must be one of 'valid', 'same', got 'causal'"):
        SeparableConv1D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"\(Conv1DTranspose\): output_padding \(2,\) must be smaller than the strides"):
        Conv1DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"expected input of rank 4"):
        DepthwiseConv2D(3)(np.zeros((2, 5, 3), np.float32))


def test_convolution_layers_match_keras():
    keras = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    rng = np.random.default_rng(0)
    images, sequences = rng.standard_normal((2, 7, 6, 3)).astype("f"), rng.standard_normal((2, 9, 3)).astype("f")
    cases = [
        (DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same"),
         keras.layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same"), images),
        (DepthwiseConv2D((2, 3), dilation_rate=2), keras.layers.DepthwiseConv2D((2, 3), dilation_rate=2), images),
        (SeparableConv2D(4, 3, depth_multiplier=2), keras.layers.SeparableConv2D(4, 3, depth_multiplier=2), images),
        (DepthwiseConv1D(3, padding="same"), keras.layers.DepthwiseConv1D(3, padding="same"), sequences),
        (SeparableConv1D(2, 4, strides=2), keras.layers.SeparableConv1D(2, 4, strides=2), sequences),
        (Conv1DTranspose(2, 3, strides=2), keras.layers.Conv1DTranspose(2, 3, strides=2), sequences),
        (Conv1DTranspose(2, 4, strides=3, padding="same", output_padding=2, dilation_rate=1),
         keras.layers.Conv1DTranspose(2, 4, strides=3, padding="same", output_padding=2), sequences),
    ]
    for ours, theirs, x in cases:
        ours(x)
        theirs(x)
        assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
        ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(to_host(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5,
                                   err_msg=type(ours).__name__)
