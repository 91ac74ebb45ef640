"""Convolution ops: TensorFlow's padding rule, fused == reference (forward and backward), plain
NumPy loops as an independent oracle, gradient checks, the chunked and no-strided-view paths,
and clear errors."""

from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minidl
from minidl.ops.conv import (
    conv1d,
    conv1d_reference,
    conv2d,
    conv2d_reference,
    conv2d_transpose,
    conv2d_transpose_output_size,
    conv2d_transpose_reference,
)
from minidl.ops.fast import conv_few_filters as few_filters
from minidl.ops.fast import im2col as im2col_module
from minidl.ops.reference import im2col as reference_im2col
from minidl.ops.windows import pad_spatial, same_pads, window_geometry
from minidl.runtime import parallel
from tests.conftest import device, to_host

# -- plain NumPy oracles (loops are fine here) --------------------------------------------------


def tf_same_pads(length, kernel, stride, dilation=1):
    """TensorFlow's SAME padding, written out independently of minidl."""
    span = (kernel - 1) * dilation + 1
    out = (length + stride - 1) // stride
    total = max((out - 1) * stride + span - length, 0)
    return total // 2, total - total // 2


def numpy_conv2d(x, kernel, bias, strides, padding, dilation):
    kh, kw, _, filters = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation
    if padding == "same":
        pads = (tf_same_pads(x.shape[1], kh, sh, dh), tf_same_pads(x.shape[2], kw, sw, dw))
    else:
        pads = ((0, 0), (0, 0))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    span_h, span_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    out_h, out_w = (xp.shape[1] - span_h) // sh + 1, (xp.shape[2] - span_w) // sw + 1
    y = np.zeros((x.shape[0], out_h, out_w, filters))
    for n in range(x.shape[0]):
        for r in range(out_h):
            for c in range(out_w):
                patch = xp[n, r * sh:r * sh + span_h:dh, c * sw:c * sw + span_w:dw, :]
                y[n, r, c] = np.tensordot(patch, kernel, axes=3)
    return y if bias is None else y + bias


def numpy_conv2d_transpose(x, kernel, bias, strides, padding, output_padding=None):
    """Scatter definition: input pixel (h, w) adds x[h, w] @ kernel[i, j]^T at (h*s + i, w*s + j)."""
    kh, kw, filters, _ = kernel.shape
    (sh, sw) = strides
    n, height, width, _ = x.shape
    sizes = []
    for length, k, s, axis in ((height, kh, sh, 0), (width, kw, sw, 1)):
        if output_padding is None:
            sizes.append(length * s if padding == "same" else length * s + max(k - s, 0))
        else:
            pad = k // 2 if padding == "same" else 0
            sizes.append((length - 1) * s + k - 2 * pad + output_padding[axis])
    pads = [tf_same_pads(size, k, s) if padding == "same" else (0, 0) for size, k, s in zip(sizes, (kh, kw), (sh, sw))]
    full = np.zeros((n, (height - 1) * sh + kh + sizes[0], (width - 1) * sw + kw + sizes[1], filters))
    for b in range(n):
        for h in range(height):
            for w in range(width):
                for i in range(kh):
                    for j in range(kw):
                        full[b, h * sh + i, w * sw + j] += kernel[i, j] @ x[b, h, w]
    z = full[:, pads[0][0]:pads[0][0] + sizes[0], pads[1][0]:pads[1][0] + sizes[1]]
    return z if bias is None else z + bias


# -- strategies ---------------------------------------------------------------------------------

conv_cases = st.fixed_dictionaries({
    "batch": st.integers(1, 2),
    "height": st.integers(1, 6),
    "width": st.integers(1, 6),
    "channels": st.integers(1, 3),
    "filters": st.integers(1, 3),
    "kernel": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "strides": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "dilation": st.sampled_from([(1, 1), (2, 1), (1, 2)]),
    "padding": st.sampled_from(["valid", "same"]),
    "bias": st.booleans(),
    "seed": st.integers(0, 2**16),
})


def _fits(case):
    if case["padding"] == "same":
        return True
    spans = [(k - 1) * d + 1 for k, d in zip(case["kernel"], case["dilation"])]
    return spans[0] <= case["height"] and spans[1] <= case["width"]


def _draw_conv(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["batch"], case["height"], case["width"], case["channels"]))
    kernel = rng.standard_normal((*case["kernel"], case["channels"], case["filters"]))
    bias = rng.standard_normal(case["filters"]) if case["bias"] else None
    return rng, x, kernel, bias


def _run_with_grads(fn, x, kernel, bias, grad_out=None, **kwargs):
    """Forward, backward with a fixed output gradient; returns (y, dx, dkernel, dbias, grad_out)."""
    xt = minidl.tensor(device(x), requires_grad=True)
    kt = minidl.tensor(device(kernel), requires_grad=True)
    bt = None if bias is None else minidl.tensor(device(bias), requires_grad=True)
    y = fn(xt, kt, bt, **kwargs)
    if grad_out is None:
        grad_out = np.random.default_rng(7).standard_normal(y.shape)
    y.backward(device(grad_out))
    grads = [to_host(t.grad) if t is not None else None for t in (xt, kt, bt)]
    return (to_host(y), *grads, grad_out)


def _assert_same(fused, reference):
    for got, want in zip(fused[:4], reference[:4]):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)


# -- padding rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("length, kernel, stride, dilation, expected", [
    (28, 3, 1, 1, (1, 1)),
    (28, 5, 2, 1, (1, 2)),   # DCGAN discriminator: out 14, total 3, the odd one after
    (14, 4, 2, 1, (1, 1)),
    (7, 3, 2, 1, (1, 1)),
    (8, 3, 2, 1, (0, 1)),
    (5, 1, 1, 1, (0, 0)),
    (10, 3, 1, 2, (2, 2)),   # dilated: span 5
    (4, 5, 3, 1, (2, 2)),
])
def test_same_padding_follows_tensorflow(length, kernel, stride, dilation, expected):
    assert same_pads(length, kernel, stride, dilation) == expected
    assert tf_same_pads(length, kernel, stride, dilation) == expected


def test_geometry_output_sizes_match_keras():
    assert window_geometry((28, 28), (3, 3), (1, 1), "valid").output_size == (26, 26)
    assert window_geometry((28, 28), (5, 5), (2, 2), "same").output_size == (14, 14)
    assert window_geometry((7, 9), (3, 3), (2, 3), "valid").output_size == (3, 3)
    assert window_geometry((9, 9), (3, 3), (1, 1), "valid", (2, 2)).output_size == (5, 5)


# -- fused == reference == NumPy ------------------------------------------------------------------

@given(case=conv_cases)
def test_conv2d_fused_equals_reference_and_numpy(any_backend, case):
    assume(_fits(case))
    _, x, kernel, bias = _draw_conv(case)
    kwargs = {"strides": case["strides"], "padding": case["padding"], "dilation": case["dilation"]}
    fused = _run_with_grads(conv2d, x, kernel, bias, **kwargs)
    reference = _run_with_grads(conv2d_reference, x, kernel, bias, grad_out=fused[4], **kwargs)
    _assert_same(fused, reference)
    expected = numpy_conv2d(x, kernel, bias, case["strides"], case["padding"], case["dilation"])
    np.testing.assert_allclose(fused[0], expected, atol=1e-10, rtol=0)


@given(case=conv_cases)
def test_conv2d_with_fused_relu_equals_reference_and_numpy(any_backend, case):
    assume(_fits(case))
    _, x, kernel, bias = _draw_conv(case)
    kwargs = {"strides": case["strides"], "padding": case["padding"], "dilation": case["dilation"],
              "activation": "relu"}
    fused = _run_with_grads(conv2d, x, kernel, bias, **kwargs)
    reference = _run_with_grads(conv2d_reference, x, kernel, bias, grad_out=fused[4], **kwargs)
    _assert_same(fused, reference)
    expected = numpy_conv2d(x, kernel, bias, case["strides"], case["padding"], case["dilation"])
    np.testing.assert_allclose(fused[0], np.maximum(expected, 0), atol=1e-10, rtol=0)
    # the relu really is applied: the gradient is zero wherever the output was clipped
    linear = _run_with_grads(conv2d, x, kernel, bias, grad_out=fused[4] * (fused[0] > 0),
                             **{**kwargs, "activation": None})
    _assert_same(fused[1:4], linear[1:4])


@settings(max_examples=10)
@given(case=conv_cases)
def test_conv2d_gradcheck(any_backend, case):
    assume(_fits(case))
    case = {**case, "height": min(case["height"], 4), "width": min(case["width"], 4)}
    assume(_fits(case))
    _, x, kernel, bias = _draw_conv(case)
    kwargs = {"strides": case["strides"], "padding": case["padding"], "dilation": case["dilation"]}
    if bias is None:
        worst = minidl.gradcheck(lambda a, k: conv2d(a, k, **kwargs), device(x), device(kernel))
    else:
        worst = minidl.gradcheck(lambda a, k, b: conv2d(a, k, b, **kwargs), device(x), device(kernel), device(bias))
    assert max(worst) < 1e-6


def test_conv2d_fused_relu_gradcheck(any_backend):
    rng = np.random.default_rng(3)
    x, kernel, bias = rng.standard_normal((2, 5, 4, 3)), rng.standard_normal((3, 2, 3, 4)), rng.standard_normal(4)
    worst = minidl.gradcheck(lambda a, k, b: conv2d(a, k, b, padding="same", activation="relu"),
                             device(x), device(kernel), device(bias))
    assert max(worst) < 1e-6


conv1d_cases = st.fixed_dictionaries({
    "batch": st.integers(1, 2),
    "steps": st.integers(1, 8),
    "channels": st.integers(1, 3),
    "filters": st.integers(1, 3),
    "kernel": st.integers(1, 4),
    "strides": st.integers(1, 3),
    "dilation": st.integers(1, 2),
    "padding": st.sampled_from(["valid", "same", "causal"]),
    "seed": st.integers(0, 2**16),
})


@given(case=conv1d_cases)
def test_conv1d_fused_equals_reference_and_numpy(any_backend, case):
    span = (case["kernel"] - 1) * case["dilation"] + 1
    assume(case["padding"] != "valid" or span <= case["steps"])
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["batch"], case["steps"], case["channels"]))
    kernel = rng.standard_normal((case["kernel"], case["channels"], case["filters"]))
    bias = rng.standard_normal(case["filters"])
    kwargs = {"strides": case["strides"], "padding": case["padding"], "dilation": case["dilation"]}
    fused = _run_with_grads(conv1d, x, kernel, bias, **kwargs)
    reference = _run_with_grads(conv1d_reference, x, kernel, bias, grad_out=fused[4], **kwargs)
    _assert_same(fused, reference)
    # NumPy: causal = left padding of span-1, then valid; same/valid via the 2-D oracle
    if case["padding"] == "causal":
        padded = np.pad(x, ((0, 0), (span - 1, 0), (0, 0)))
        expected = numpy_conv2d(padded[:, None], kernel[None], bias, (1, case["strides"]), "valid",
                                (1, case["dilation"]))[:, 0]
    else:
        expected = numpy_conv2d(x[:, None], kernel[None], bias, (1, case["strides"]), case["padding"],
                                (1, case["dilation"]))[:, 0]
    np.testing.assert_allclose(fused[0], expected, atol=1e-10, rtol=0)
    worst = minidl.gradcheck(lambda a, k, b: conv1d(a, k, b, **kwargs), device(x), device(kernel), device(bias))
    assert max(worst) < 1e-6


transpose_cases = st.fixed_dictionaries({
    "batch": st.integers(1, 2),
    "height": st.integers(1, 4),
    "width": st.integers(1, 4),
    "channels": st.integers(1, 3),
    "filters": st.integers(1, 3),
    "kernel": st.tuples(st.integers(1, 5), st.integers(1, 5)),
    "strides": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "padding": st.sampled_from(["valid", "same"]),
    "output_padding": st.sampled_from([None, (0, 0), (1, 0), (0, 1), (1, 2)]),
    "bias": st.booleans(),
    "seed": st.integers(0, 2**16),
})


def _transpose_ok(case):
    """Keras/TF accept the case: output_padding < stride and the sizes convolve back."""
    op = case["output_padding"]
    if op is not None and any(p >= s for p, s in zip(op, case["strides"])):
        return False
    size = conv2d_transpose_output_size((case["height"], case["width"]), case["kernel"], case["strides"],
                                        case["padding"], op)
    if min(size) < 1:
        return False
    if case["padding"] == "same":
        return all(-(-o // s) == n for o, s, n in zip(size, case["strides"], (case["height"], case["width"])))
    return all((o - k) // s + 1 == n for o, k, s, n in zip(size, case["kernel"], case["strides"],
                                                           (case["height"], case["width"])))


@given(case=transpose_cases)
def test_conv2d_transpose_fused_equals_reference_and_numpy(any_backend, case):
    assume(_transpose_ok(case))
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["batch"], case["height"], case["width"], case["channels"]))
    kernel = rng.standard_normal((*case["kernel"], case["filters"], case["channels"]))
    bias = rng.standard_normal(case["filters"]) if case["bias"] else None
    kwargs = {"strides": case["strides"], "padding": case["padding"], "output_padding": case["output_padding"]}
    fused = _run_with_grads(conv2d_transpose, x, kernel, bias, **kwargs)
    reference = _run_with_grads(conv2d_transpose_reference, x, kernel, bias, grad_out=fused[4], **kwargs)
    _assert_same(fused, reference)
    expected = numpy_conv2d_transpose(x, kernel, bias, case["strides"], case["padding"], case["output_padding"])
    np.testing.assert_allclose(fused[0], expected, atol=1e-10, rtol=0)


@settings(max_examples=8)
@given(case=transpose_cases)
def test_conv2d_transpose_gradcheck(any_backend, case):
    case = {**case, "kernel": (min(case["kernel"][0], 3), min(case["kernel"][1], 3)),
            "height": min(case["height"], 3), "width": min(case["width"], 3)}
    assume(_transpose_ok(case))
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["batch"], case["height"], case["width"], case["channels"]))
    kernel = rng.standard_normal((*case["kernel"], case["filters"], case["channels"]))
    bias = rng.standard_normal(case["filters"])
    kwargs = {"strides": case["strides"], "padding": case["padding"], "output_padding": case["output_padding"]}
    worst = minidl.gradcheck(lambda a, k, b: conv2d_transpose(a, k, b, **kwargs),
                             device(x), device(kernel), device(bias))
    assert max(worst) < 1e-6


@pytest.mark.parametrize("dilation", [(2, 2), (1, 3)])
def test_conv2d_transpose_with_dilation_is_the_adjoint_of_dilated_conv2d(dilation):
    """<conv2d(z), x> == <z, conv2d_transpose(x)> for the same kernel: the defining property."""
    rng = np.random.default_rng(3)
    kernel = rng.standard_normal((3, 2, 2, 3))  # conv2d: 2 -> 3 channels; transpose: 3 -> 2
    x = rng.standard_normal((2, 7, 8, 3))
    out = conv2d_transpose(x, kernel, strides=(1, 1), padding="same", dilation=dilation)
    z = rng.standard_normal(out.shape)
    forward = conv2d(z, kernel, strides=(1, 1), padding="same", dilation=dilation)
    assert forward.shape == x.shape
    np.testing.assert_allclose(np.sum(to_host(forward) * x), np.sum(z * to_host(out)), rtol=1e-12)
    reference = conv2d_transpose_reference(x, kernel, padding="same", dilation=dilation)
    np.testing.assert_allclose(to_host(out), to_host(reference), atol=1e-10, rtol=0)


# -- implementation paths -----------------------------------------------------------------------

def _few_filter_forms_forced():
    """Both few-filters forms taken whatever the channel and filter counts (stride 1 only)."""
    always = mock.patch.object(few_filters, "sums_output_offsets", lambda *args: True)
    also = mock.patch.object(few_filters, "correlates_gradient", lambda *args: True)
    return always, also


@given(case=conv_cases, relu=st.booleans())
def test_conv2d_few_filter_forms_equal_reference_and_numpy(any_backend, case, relu):
    """The forward by output offsets and the backward by the gradient's windows, forced on every
    stride-1 case, equal the readable im2col form and the plain loops."""
    case = {**case, "strides": (1, 1)}
    assume(_fits(case))
    _, x, kernel, bias = _draw_conv(case)
    kwargs = {"padding": case["padding"], "dilation": case["dilation"], "activation": "relu" if relu else None}
    forward_form, backward_form = _few_filter_forms_forced()
    with forward_form, backward_form:
        fused = _run_with_grads(conv2d, x, kernel, bias, **kwargs)
    reference = _run_with_grads(conv2d_reference, x, kernel, bias, grad_out=fused[4], **kwargs)
    _assert_same(fused, reference)
    expected = numpy_conv2d(x, kernel, bias, (1, 1), case["padding"], case["dilation"])
    np.testing.assert_allclose(fused[0], np.maximum(expected, 0) if relu else expected, atol=1e-10, rtol=0)


@settings(max_examples=8)
@given(case=conv_cases)
def test_conv2d_few_filter_forms_gradcheck(any_backend, case):
    case = {**case, "height": min(case["height"], 4), "width": min(case["width"], 4), "strides": (1, 1)}
    assume(_fits(case))
    _, x, kernel, bias = _draw_conv(case)
    kwargs = {"padding": case["padding"], "dilation": case["dilation"]}
    forward_form, backward_form = _few_filter_forms_forced()
    with forward_form, backward_form:
        if bias is None:
            worst = minidl.gradcheck(lambda a, k: conv2d(a, k, **kwargs), device(x), device(kernel))
        else:
            worst = minidl.gradcheck(lambda a, k, b: conv2d(a, k, b, **kwargs), device(x), device(kernel),
                                     device(bias))
    assert max(worst) < 1e-6


@pytest.mark.parametrize("filters", [2, 6, 16])  # F <= C/4, F <= C, F > C: the three forms
def test_pointwise_convolution_reads_pixels_without_copying(any_backend, monkeypatch, filters):
    """A 1x1 kernel at stride 1 without padding: im2col's matrix is the input itself seen as rows
    of channels (a view), and the convolution, chunked one sample at a time, still equals the
    readable form; with padding or a stride the windows are copied as usual."""
    monkeypatch.setattr(parallel, "CPU_CHUNK_BYTES", 1)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 5, 8))
    geometry = window_geometry((4, 5), (1, 1), (1, 1), "same")
    if minidl.backend.get_backend() == "numpy":  # (on a device, reading the arrays back copies them)
        assert np.shares_memory(im2col_module.im2col(x, geometry), x)
    for kwargs in ({"padding": "valid"}, {"padding": ((1, 0), (0, 0))}, {"strides": (2, 1)}):
        kernel, bias = rng.standard_normal((1, 1, 8, filters)), rng.standard_normal(filters)
        fused = _run_with_grads(conv2d, x, kernel, bias, **kwargs)
        reference = _run_with_grads(conv2d_reference, x, kernel, bias, grad_out=fused[4], **kwargs)
        _assert_same(fused, reference)


@pytest.mark.parametrize("filters, padding, dilation, expect_forward", [
    (1, "same", (1, 1), True),    # an autoencoder's last layer: Conv2D(1, 3, padding='same')
    (2, "valid", (2, 1), True),
    (5, "same", (1, 1), False),   # more than C/4 filters: im2col forward, few-filters backward
    (8, "valid", (1, 1), False),
])
def test_few_filter_forms_are_chosen_by_channel_and_filter_counts(any_backend, monkeypatch, filters, padding,
                                                                   dilation, expect_forward):
    """With 8 input channels the thresholds pick the forms on their own (no forcing), chunked one
    sample at a time, and the numbers still equal the readable form's."""
    monkeypatch.setattr(parallel, "CPU_CHUNK_BYTES", 1)
    forward_spy = mock.patch.object(few_filters, "convolve_by_output_offsets",
                                    wraps=few_filters.convolve_by_output_offsets)
    backward_spy = mock.patch.object(few_filters, "gradient_windows", wraps=few_filters.gradient_windows)
    rng = np.random.default_rng(filters)
    x = rng.standard_normal((3, 7, 6, 8))
    kernel = rng.standard_normal((3, 3, 8, filters))
    bias = rng.standard_normal(filters)
    with forward_spy as forward_calls, backward_spy as backward_calls:
        fused = _run_with_grads(conv2d, x, kernel, bias, padding=padding, dilation=dilation, activation="relu")
    reference = _run_with_grads(conv2d_reference, x, kernel, bias, grad_out=fused[4], padding=padding,
                                dilation=dilation, activation="relu")
    _assert_same(fused, reference)
    assert forward_calls.call_count == (3 if expect_forward else 0)  # one call per chunk of one sample
    assert backward_calls.call_count == 3
    strided = _run_with_grads(conv2d, x, kernel, bias, strides=(2, 2), padding=padding)
    assert backward_calls.call_count == 3  # a strided convolution keeps im2col both ways
    reference = _run_with_grads(conv2d_reference, x, kernel, bias, grad_out=strided[4], strides=(2, 2),
                                padding=padding)
    _assert_same(strided, reference)


@settings(max_examples=40, deadline=None)
@given(strides=st.tuples(st.integers(1, 3), st.integers(1, 3)), dilation=st.sampled_from([(1, 1), (2, 1), (1, 3)]),
       kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)), size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       padding=st.sampled_from(["valid", "same"]), batch=st.integers(0, 3), channels=st.integers(1, 3))
def test_fast_col2im_equals_the_readable_one_bit_for_bit(strides, dilation, kernel, size, padding, batch, channels):
    """col2im (phase by phase with a stride) overwrites its whole target with exactly the
    readable col2im's sums: the same adds in the same order, from zero."""
    spans = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    assume(padding == "same" or all(span <= length for span, length in zip(spans, size)))
    geometry = window_geometry(size, kernel, strides, padding, dilation)
    rows = batch * geometry.output_size[0] * geometry.output_size[1]
    blocks = np.random.default_rng(0).standard_normal((kernel[0] * kernel[1], rows, channels)).astype(np.float32)
    padded_shape = (batch, *geometry.padded_size, channels)
    cols = blocks.transpose(1, 0, 2).reshape(rows, kernel[0] * kernel[1] * channels)
    expected = reference_im2col.col2im(cols, geometry, padded_shape)
    out = np.full(padded_shape, np.nan, dtype=np.float32)  # every element must be written
    im2col_module.col2im(blocks, geometry, out=out)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("path", ["chunked", "no_strided_view"])
def test_chunked_and_slice_fallback_paths_agree(any_backend, monkeypatch, path):
    if path == "chunked":
        monkeypatch.setattr(parallel, "CPU_CHUNK_BYTES", 1)  # one sample per chunk
    else:
        monkeypatch.setattr(im2col_module, "_as_strided", lambda: None)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 6, 5, 2))
    kernel = rng.standard_normal((3, 2, 2, 4))
    bias = rng.standard_normal(4)
    for strides, padding in (((1, 1), "valid"), ((2, 1), "same")):
        fused = _run_with_grads(conv2d, x, kernel, bias, strides=strides, padding=padding)
        reference = _run_with_grads(conv2d_reference, x, kernel, bias, grad_out=fused[4], strides=strides,
                                    padding=padding)
        _assert_same(fused, reference)
    transpose_kernel = rng.standard_normal((3, 3, 3, 2))
    fused = _run_with_grads(conv2d_transpose, x, transpose_kernel, None, strides=(2, 2), padding="same")
    reference = _run_with_grads(conv2d_transpose_reference, x, transpose_kernel, None, grad_out=fused[4],
                                strides=(2, 2), padding="same")
    _assert_same(fused, reference)


def test_float32_stays_float32_and_frozen_inputs_get_no_gradient(any_backend):
    rng = np.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((2, 5, 5, 3)).astype(np.float32))
    kernel = minidl.tensor(rng.standard_normal((3, 3, 3, 4)).astype(np.float32), requires_grad=True)
    bias = minidl.tensor(np.zeros(4, np.float32), requires_grad=True)
    y = conv2d(x, kernel, bias, padding="same")
    assert y.dtype == np.float32 and y.shape == (2, 5, 5, 4)
    y.sum().backward()
    assert kernel.grad.dtype == np.float32 and bias.grad.dtype == np.float32
    assert x.grad is None
    z = conv2d_transpose(x, minidl.tensor(np.ones((2, 2, 1, 3), np.float32)), strides=2)
    assert z.dtype == np.float32 and z.shape == (2, 10, 10, 1)


def test_no_grad_forward_matches(any_backend):
    rng = np.random.default_rng(5)
    x, kernel = rng.standard_normal((2, 6, 6, 2)), rng.standard_normal((3, 3, 2, 3))
    with minidl.no_grad():
        y = conv2d(device(x), device(kernel), padding="same", strides=2)
    np.testing.assert_allclose(to_host(y), numpy_conv2d(x, kernel, None, (2, 2), "same", (1, 1)), atol=1e-12)


# -- errors -------------------------------------------------------------------------------------

def test_errors_name_the_op_and_what_was_wrong():
    x = np.zeros((1, 4, 4, 2))
    with pytest.raises(ValueError, match=r"conv2d: expected input of rank 4 .*got shape \(4, 4\)"):
        conv2d(np.zeros((4, 4)), np.zeros((3, 3, 2, 1)))
    with pytest.raises(ValueError, match=r"conv2d: the input has 2 channels .* expects 3"):
        conv2d(x, np.zeros((3, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"conv2d: the 5x5 window is larger than the padded input 4x4"):
        conv2d(x, np.zeros((5, 5, 2, 1)))
    with pytest.raises(ValueError, match=r"spanning 5x5 with dilation \(2, 2\)"):
        conv2d(x, np.zeros((3, 3, 2, 1)), dilation=2)
    with pytest.raises(ValueError, match=r"conv2d: strides must be an int or a tuple of 2 ints >= 1, got 0"):
        conv2d(x, np.zeros((3, 3, 2, 1)), strides=0)
    with pytest.raises(ValueError, match=r"conv2d: padding must be one of 'valid', 'same', got 'full'"):
        conv2d(x, np.zeros((3, 3, 2, 1)), padding="full")
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(1,\)"):
        conv2d(x, np.zeros((3, 3, 2, 1)), np.zeros(2))
    with pytest.raises(TypeError, match=r"conv2d: the input is float32 but the kernel is float64"):
        conv2d(x.astype(np.float32), np.zeros((3, 3, 2, 1)))
    with pytest.raises(TypeError, match=r"conv2d: input must have a floating-point dtype"):
        conv2d(np.zeros((1, 4, 4, 2), dtype=np.int32), np.zeros((3, 3, 2, 1)))
    with pytest.raises(ValueError, match=r"conv2d: activation must be one of \(None, 'relu'\).*got 'tanh'"):
        conv2d(x, np.zeros((3, 3, 2, 1)), activation="tanh")
    with pytest.raises(ValueError, match=r"conv1d: padding must be one of 'valid', 'same', 'causal'"):
        conv1d(np.zeros((1, 5, 2)), np.zeros((3, 2, 1)), padding="full")
    with pytest.raises(ValueError, match=r"conv2d_transpose: output_padding \(2, 2\) must be smaller"):
        conv2d_transpose(x, np.zeros((3, 3, 1, 2)), strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"does not convolve back to the input size"):
        conv2d_transpose(x, np.zeros((4, 4, 1, 2)), strides=2, padding="same", output_padding=0)
    with pytest.raises(ValueError, match=r"conv2d_transpose: the input has 2 channels .* expects 1"):
        conv2d_transpose(x, np.zeros((3, 3, 2, 1)))


def test_padding_is_case_insensitive_like_keras():
    x = np.ones((1, 4, 4, 1))
    np.testing.assert_array_equal(to_host(conv2d(x, np.ones((3, 3, 1, 1)), padding="SAME")),
                                  to_host(conv2d(x, np.ones((3, 3, 1, 1)), padding="same")))


@pytest.mark.parametrize("op", [conv2d, conv2d_reference])
@pytest.mark.parametrize("filters", [4, 1])  # 1: the few-filters forms (8 channels)
def test_an_empty_batch_gives_empty_outputs_and_zero_kernel_gradient(any_backend, op, filters):
    channels = 2 if filters == 4 else 8
    x = minidl.tensor(device(np.zeros((0, 5, 5, channels))), requires_grad=True)
    kernel = minidl.tensor(device(np.ones((3, 3, channels, filters))), requires_grad=True)
    y = op(x, kernel, padding="same")
    assert y.shape == (0, 5, 5, filters)
    y.sum().backward()
    np.testing.assert_array_equal(to_host(kernel.grad), np.zeros((3, 3, channels, filters)))
    assert to_host(x.grad).shape == (0, 5, 5, channels)
    assert conv2d_transpose(x, device(np.ones((3, 3, 4, channels))), strides=2).shape == (0, 11, 11, 4)


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(0, 3), st.integers(1, 5), st.integers(1, 5), st.integers(1, 3)),
       pads=st.tuples(*[st.integers(0, 3)] * 4), value=st.sampled_from([0.0, -np.inf, 2.5]))
def test_pad_spatial_writes_every_border_into_a_reused_buffer(shape, pads, value):
    """pad_spatial fills only the borders and copies the interior: into a buffer full of stale
    numbers (as the step-buffer pool hands out), whole or one chunk of samples, it is np.pad."""
    top, bottom, left, right = pads
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    expected = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)
    if not any(pads):
        assert pad_spatial(x, ((0, 0), (0, 0)), value) is x
        return
    stale = np.full((shape[0] + 1, *expected.shape[1:]), 7.0, np.float32)
    out = pad_spatial(x, ((top, bottom), (left, right)), value, out=stale[1:])
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(stale[0], 7.0)  # nothing outside ``out`` is touched
    np.testing.assert_array_equal(pad_spatial(x, ((top, bottom), (left, right)), value), expected)
