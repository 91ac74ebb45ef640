"""Parity with PyTorch: the same weights in torch's layouts give the same outputs and the same
input/kernel/bias gradients (float64). TensorFlow's asymmetric 'same' padding is applied to
torch's input explicitly with F.pad, and torch's full transposed convolution is cropped the
way TensorFlow crops it."""

import numpy as np
import pytest

from minidl import tensor
from minidl.layers.convolutional import Conv2D, Conv2DTranspose
from minidl.layers.pooling import AveragePooling2D, MaxPooling2D
from minidl.ops.conv import conv1d, conv2d, conv2d_transpose
from minidl.ops.windows import same_pads

torch = pytest.importorskip("torch", reason="PyTorch parity tests need torch")
F = torch.nn.functional


def _minidl_grads(fn, x, kernel, bias, grad_out, **kwargs):
    xt, kt, bt = (tensor(a, requires_grad=True) for a in (x, kernel, bias))
    y = fn(xt, kt, bt, **kwargs)
    y.backward(grad_out)
    return y.numpy(), xt.grad, kt.grad, bt.grad


def _torch_leaf(array):
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("kernel, strides, padding, dilation", [
    ((3, 3), (1, 1), "valid", (1, 1)),
    ((3, 3), (1, 1), "same", (1, 1)),
    ((5, 5), (2, 2), "same", (1, 1)),   # the DCGAN discriminator's asymmetric padding
    ((3, 1), (2, 3), "valid", (1, 1)),
    ((3, 3), (1, 1), "same", (2, 2)),
    ((4, 2), (3, 1), "same", (1, 1)),
])
def test_conv2d_matches_torch(kernel, strides, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 11, 9, 4))
    weights = rng.standard_normal((*kernel, 4, 5))
    bias = rng.standard_normal(5)
    # torch first: its output shape gives the shared output gradient
    tx, tk, tb = _torch_leaf(x.transpose(0, 3, 1, 2)), _torch_leaf(weights.transpose(3, 2, 0, 1)), _torch_leaf(bias)
    if padding == "same":
        (top, bottom), (left, right) = (same_pads(x.shape[1], kernel[0], strides[0], dilation[0]),
                                        same_pads(x.shape[2], kernel[1], strides[1], dilation[1]))
        padded = F.pad(tx, (left, right, top, bottom))
    else:
        padded = tx
    ty = F.conv2d(padded, tk, tb, stride=strides, dilation=dilation)
    grad_out = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(grad_out))
    y, dx, dk, db = _minidl_grads(conv2d, x, weights, bias, grad_out.transpose(0, 2, 3, 1), strides=strides,
                                  padding=padding, dilation=dilation)
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(dk, tk.grad.numpy().transpose(2, 3, 1, 0), atol=1e-10)
    np.testing.assert_allclose(db, tb.grad.numpy(), atol=1e-10)


def test_conv2d_layer_with_torch_weights_matches_torch_module():
    """Load a torch Conv2d's weights into the Keras-layout layer (symmetric 'same', odd kernel)."""
    torch.manual_seed(0)
    module = torch.nn.Conv2d(3, 6, 3, padding=1).double()
    layer = Conv2D(6, 3, padding="same", dtype="float64")
    x = np.random.default_rng(1).standard_normal((2, 8, 8, 3))
    layer(x)
    layer.set_weights([module.weight.detach().numpy().transpose(2, 3, 1, 0), module.bias.detach().numpy()])
    expected = module(torch.tensor(x.transpose(0, 3, 1, 2))).detach().numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-10)


def test_conv1d_matches_torch():
    rng = np.random.default_rng(2)
    x, weights, bias = rng.standard_normal((2, 12, 3)), rng.standard_normal((4, 3, 2)), rng.standard_normal(2)
    tx, tk, tb = _torch_leaf(x.transpose(0, 2, 1)), _torch_leaf(weights.transpose(2, 1, 0)), _torch_leaf(bias)
    ty = F.conv1d(F.pad(tx, (3, 0)), tk, tb, stride=2)  # 'causal' = left padding of k - 1
    grad_out = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(grad_out))
    y, dx, dk, db = _minidl_grads(conv1d, x, weights, bias, grad_out.transpose(0, 2, 1), strides=2, padding="causal")
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 1), atol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 1), atol=1e-10)
    np.testing.assert_allclose(dk, tk.grad.numpy().transpose(2, 1, 0), atol=1e-10)
    np.testing.assert_allclose(db, tb.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("kernel, strides, padding, output_padding", [
    ((5, 5), (2, 2), "same", None),    # DCGAN generator
    ((4, 4), (2, 2), "same", None),
    ((3, 3), (2, 2), "valid", None),
    ((2, 3), (3, 1), "valid", None),
    ((3, 3), (2, 2), "same", (1, 1)),
    ((3, 3), (2, 2), "valid", (1, 0)),
])
def test_conv2d_transpose_matches_torch(kernel, strides, padding, output_padding):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 5, 3))
    weights = rng.standard_normal((*kernel, 2, 3))  # (kh, kw, filters, in), Keras's layout
    bias = rng.standard_normal(2)
    out = conv2d_transpose(x, weights, bias, strides, padding, output_padding)
    out_h, out_w = out.shape[1:3]
    pads = [same_pads(n, k, s) if padding == "same" else (0, 0) for n, k, s in zip((out_h, out_w), kernel, strides)]
    tx, tk = _torch_leaf(x.transpose(0, 3, 1, 2)), _torch_leaf(weights.transpose(3, 2, 0, 1))
    full = F.conv_transpose2d(tx, tk, stride=strides)  # no bias: positions past the end get only the bias
    needed = (pads[0][0] + out_h, pads[1][0] + out_w)
    full = F.pad(full, (0, max(needed[1] - full.shape[3], 0), 0, max(needed[0] - full.shape[2], 0)))
    ty = full[:, :, pads[0][0]:needed[0], pads[1][0]:needed[1]] + torch.tensor(bias)[None, :, None, None]
    grad_out = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(grad_out))
    y, dx, dk, db = _minidl_grads(conv2d_transpose, x, weights, bias, grad_out.transpose(0, 2, 3, 1),
                                  strides=strides, padding=padding, output_padding=output_padding)
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(dk, tk.grad.numpy().transpose(2, 3, 1, 0), atol=1e-10)
    np.testing.assert_allclose(db, grad_out.sum(axis=(0, 2, 3)), atol=1e-10)


def test_dcgan_transpose_layer_is_torchs_padding_2_output_padding_1_shifted_by_one_pixel():
    """TensorFlow's 'same' for a 5x5 stride-2 transposed conv crops 1 row/column before and 2
    after the full output; torch's usual equivalent, ConvTranspose2d(5, 2, padding=2,
    output_padding=1), has the same 14x14 size but crops 2 before: one pixel shifted."""
    torch.manual_seed(0)
    module = torch.nn.ConvTranspose2d(4, 2, 5, stride=2, padding=2, output_padding=1).double()
    layer = Conv2DTranspose(2, 5, strides=2, padding="same", dtype="float64")
    x = np.random.default_rng(4).standard_normal((1, 7, 7, 4))
    layer(x)
    layer.set_weights([module.weight.detach().numpy().transpose(2, 3, 1, 0), module.bias.detach().numpy()])
    torch_out = module(torch.tensor(x.transpose(0, 3, 1, 2))).detach().numpy().transpose(0, 2, 3, 1)
    ours = layer(x).numpy()
    assert ours.shape == torch_out.shape == (1, 14, 14, 2)
    np.testing.assert_allclose(ours[:, 1:, 1:], torch_out[:, :-1, :-1], atol=1e-10)


@pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 1, "valid"), (3, 2, "same")])
def test_pooling_layers_match_torch(pool, strides, padding):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 9, 8, 3))
    tx = _torch_leaf(x.transpose(0, 3, 1, 2))
    stride = strides or pool
    pads = [same_pads(n, pool, stride) if padding == "same" else (0, 0) for n in x.shape[1:3]]
    padded = F.pad(tx, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]), value=-np.inf)
    ty = F.max_pool2d(padded, pool, stride)
    grad_out = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(grad_out))
    xt = tensor(x, requires_grad=True)
    y = MaxPooling2D(pool, strides, padding, dtype="float64")(xt)
    y.backward(grad_out.transpose(0, 2, 3, 1))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy().transpose(0, 2, 3, 1))
    np.testing.assert_allclose(xt.grad, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)
    if padding == "valid":
        expected = F.avg_pool2d(torch.tensor(x.transpose(0, 3, 1, 2)), pool, stride).numpy().transpose(0, 2, 3, 1)
        np.testing.assert_allclose(AveragePooling2D(pool, strides, dtype="float64")(x).numpy(), expected, atol=1e-12)
