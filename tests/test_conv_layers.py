"""Convolution layers: Keras signatures, defaults, weight layouts, parameter counts of the labs'
models, output shapes, UpSampling2D's chapter 7 demo, padding layers, and errors that name
the layer."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import regularizers
from minidl.layers.base import clear_session
from minidl.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from minidl.layers.core import Dense, Flatten
from minidl.layers.input_layer import Input
from minidl.layers.pooling import MaxPooling1D, MaxPooling2D
from minidl.ops.conv import conv2d_reference, conv2d_transpose_reference
from tests.conftest import device, to_host, with_weights


def _run(layers, shape, dtype=np.float32):
    h = minidl.tensor(np.zeros(shape, dtype=dtype))
    for layer in layers:
        h = layer(h)
    return h


def _total_params(layers):
    return sum(layer.count_params() for layer in layers)


# -- the labs' models ---------------------------------------------------------------------------

def test_lm3_cnn_has_kerass_parameter_count():
    layers = [Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
              Conv2D(64, (3, 3), activation="relu"), MaxPooling2D(pool_size=(2, 2)), Flatten(),
              Dense(128, activation="relu"), Dense(10, activation="softmax")]
    out = _run(layers, (2, 28, 28, 1))
    assert out.shape == (2, 10)
    assert [layer.count_params() for layer in layers] == [320, 18496, 0, 0, 1179776, 1290]
    assert _total_params(layers) == 1_199_882


def test_dlw_3_02_and_gb_3b_cnns():
    ex302 = [Conv2D(64, (3, 3), activation="relu"), MaxPooling2D(2), Conv2D(64, (3, 3), activation="relu"),
             MaxPooling2D(2), Flatten(), Dense(128, activation="relu"), Dense(10, activation="softmax")]
    _run(ex302, (1, 28, 28, 1))
    assert _total_params(ex302) == 243_786
    gb3b = [Conv2D(32, (3, 3), activation="relu"), MaxPooling2D((2, 2)), Conv2D(64, (3, 3), activation="relu"),
            MaxPooling2D((2, 2)), Conv2D(128, (3, 3), activation="relu"), Flatten(),
            Dense(128, activation="relu"), Dense(10, activation="softmax")]
    _run(gb3b, (1, 28, 28, 1))
    assert _total_params(gb3b) == 241_546


def test_dlw_5_04_conv1d_model_has_36_parameters():
    layers = [Conv1D(5, 5, activation="relu"), MaxPooling1D(5), Flatten(), Dense(1)]
    out = _run(layers, (3, 10, 1))
    assert out.shape == (3, 1)
    assert [layer.count_params() for layer in layers] == [30, 0, 0, 6]
    assert _total_params(layers) == 36


def test_dcgan_generator_and_discriminator_convolutions():
    # discriminator: Conv32 5x5/2 same -> Conv64 5x5/2 same -> Flatten -> Dense512 -> Dense1
    disc = [Conv2D(32, (5, 5), strides=(2, 2), padding="same"), Conv2D(64, (5, 5), strides=(2, 2), padding="same"),
            Flatten(), Dense(512), Dense(1, activation="sigmoid")]
    assert _run(disc, (2, 28, 28, 1)).shape == (2, 1)
    assert disc[1].output_shape_seen == (None, 7, 7, 64)
    assert _total_params(disc) == 1_658_753
    # generator tail: (7, 7, 64) -> Conv2DTranspose32 5x5/2 same -> Conv2DTranspose1 5x5/2 same
    gen = [Conv2DTranspose(32, (5, 5), strides=(2, 2), padding="same", activation="relu"),
           Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", activation="tanh")]
    assert _run(gen, (2, 7, 7, 64)).shape == (2, 28, 28, 1)
    assert [layer.count_params() for layer in gen] == [51_232, 801]


def test_conv2d_transpose_demo_has_17_parameters():
    layer = Conv2DTranspose(1, (4, 4), (2, 2), "same")
    out = layer(np.ones((1, 3, 3, 1), dtype=np.float32))
    assert out.shape == (1, 6, 6, 1)
    assert layer.count_params() == 17
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 4, 1, 1) and bias.shape == (1,)


def test_upsampling2d_chapter7_demo_is_exact(any_backend):
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float32).reshape(1, 3, 3, 1)
    out = UpSampling2D()(x)
    expected = np.array([
        [1, 1, 2, 2, 3, 3],
        [1, 1, 2, 2, 3, 3],
        [4, 4, 5, 5, 6, 6],
        [4, 4, 5, 5, 6, 6],
        [7, 7, 8, 8, 9, 9],
        [7, 7, 8, 8, 9, 9],
    ], dtype=np.float32)
    assert out.shape == (1, 6, 6, 1)
    np.testing.assert_array_equal(to_host(out)[0, :, :, 0], expected)


def _bilinear_upsampled_axis(values, factor):
    """A plain NumPy reference: tf.image.resize's half-pixel centres along one axis -- output i
    shows input point (i + 0.5) / factor - 0.5, blended from its two neighbours (edges repeated)."""
    n = len(values)
    point = (np.arange(n * factor) + 0.5) / factor - 0.5
    below = np.floor(point)
    fraction = point - below
    lower = np.clip(below, 0, n - 1).astype(int)
    upper = np.clip(below + 1, 0, n - 1).astype(int)
    return (1 - fraction) * values[lower] + fraction * values[upper]


def test_upsampling2d_bilinear_matches_a_numpy_reference_and_gradcheck(any_backend):
    np.testing.assert_allclose(_bilinear_upsampled_axis(np.array([0.0, 1.0]), 2), [0, 0.25, 0.75, 1])
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    out = to_host(UpSampling2D((2, 3), interpolation="bilinear")(x))
    # bilinear resizing is separable: rows first, then columns
    rows = np.apply_along_axis(_bilinear_upsampled_axis, 1, x, 2)
    expected = np.apply_along_axis(_bilinear_upsampled_axis, 2, rows, 3)
    assert out.shape == (2, 6, 12, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    minidl.set_floatx("float64")
    assert max(minidl.gradcheck(lambda a: UpSampling2D(2, interpolation="bilinear")(a),
                                device(rng.standard_normal((1, 3, 2, 2))))) < 1e-6


# -- Keras API: names, defaults, layouts --------------------------------------------------------

def test_keras_defaults_names_and_weight_layouts():
    clear_session()
    conv = Conv2D(8, 3)
    assert conv.name == "conv2d"
    assert (conv.kernel_size, conv.strides, conv.padding, conv.dilation_rate) == ((3, 3), (1, 1), "valid", (1, 1))
    assert conv.use_bias and conv.data_format == "channels_last"
    conv(np.zeros((1, 5, 5, 2), np.float32))
    assert [w.name for w in conv.weights] == ["conv2d/kernel", "conv2d/bias"]
    assert [w.shape for w in conv.weights] == [(3, 3, 2, 8), (8,)]
    assert Conv2D(1, 1).name == "conv2d_1"
    transpose = Conv2DTranspose(6, (2, 3))
    assert transpose.name == "conv2d_transpose"
    transpose(np.zeros((1, 4, 4, 5), np.float32))
    assert [w.shape for w in transpose.weights] == [(2, 3, 6, 5), (6,)]
    conv1d = Conv1D(4, 3, use_bias=False)
    assert conv1d.name == "conv1d" and conv1d.kernel_size == (3,) and conv1d.strides == (1,)
    conv1d(np.zeros((1, 6, 2), np.float32))
    assert [w.shape for w in conv1d.weights] == [(3, 2, 4)]
    assert UpSampling2D().name == "up_sampling2d" and ZeroPadding2D().name == "zero_padding2d"


def test_glorot_uniform_uses_receptive_field_fans():
    minidl.set_seed(0)
    layer = Conv2D(64, (3, 3))
    layer(np.zeros((1, 8, 8, 32), np.float32))
    kernel = layer.get_weights()[0]
    limit = np.sqrt(6.0 / (9 * 32 + 9 * 64))
    assert kernel.max() <= limit and kernel.min() >= -limit
    assert kernel.max() > 0.95 * limit
    np.testing.assert_array_equal(layer.get_weights()[1], np.zeros(64, np.float32))


def test_set_weights_keras_layout_gives_the_reference_convolution(any_backend):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(2)
    kernel, bias = rng.standard_normal((3, 2, 3, 4)), rng.standard_normal(4)
    x = rng.standard_normal((2, 7, 6, 3))
    layer = Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="relu")
    layer(x)
    layer.set_weights([kernel, bias])
    expected = np.maximum(to_host(conv2d_reference(device(x), device(kernel), device(bias), (2, 1), "same")), 0)
    np.testing.assert_allclose(to_host(layer(x)), expected, atol=1e-12)
    transpose = Conv2DTranspose(2, (3, 3), strides=2, padding="valid", output_padding=1)
    transpose(x)
    t_kernel, t_bias = rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(2)
    transpose.set_weights([t_kernel, t_bias])
    expected = conv2d_transpose_reference(device(x), device(t_kernel), device(t_bias), 2, "valid", 1)
    assert transpose(x).shape == (2, 16, 14, 2)
    np.testing.assert_allclose(to_host(transpose(x)), to_host(expected), atol=1e-12)


@settings(max_examples=6)
@given(
    filters=st.integers(1, 3), kernel=st.integers(1, 3), strides=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same"]), batch=st.integers(1, 2), seed=st.integers(0, 999),
)
def test_conv2d_layer_gradcheck_inputs_and_weights(any_backend, filters, kernel, strides, padding, batch, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 4, 3, 2))
    layer = Conv2D(filters, kernel, strides=strides, padding=padding, activation="tanh")
    layer(x)
    kernel_value, bias_value = layer.get_weights()

    run = with_weights(layer, ["kernel", "bias"])
    worst = minidl.gradcheck(run, device(x), device(kernel_value), device(bias_value + 0.1))
    assert max(worst) < 1e-6


def test_conv_layer_trains_its_weights_and_regularizer(any_backend):
    minidl.set_floatx("float64")
    layer = Conv1D(3, 2, padding="causal", kernel_regularizer=regularizers.l2(0.1))
    x = np.random.default_rng(0).standard_normal((2, 5, 2))
    out = layer(x)
    assert out.shape == (2, 5, 3)
    loss = out.sum() + sum(layer.regularization_losses())
    loss.backward()
    assert layer.kernel.grad.shape == (2, 2, 3) and layer.bias.grad.shape == (3,)
    np.testing.assert_allclose(to_host(layer.bias.grad), np.full(3, 10.0))


def test_inputs_are_cast_to_the_layer_dtype_like_keras(any_backend):
    x64 = np.random.default_rng(0).standard_normal((1, 6, 6, 2))  # NumPy's default float64
    for layer in (Conv2D(2, 3), Conv2DTranspose(2, 3), UpSampling2D(), ZeroPadding2D(), MaxPooling2D()):
        assert layer(x64).dtype == np.float32
    images = np.random.default_rng(1).integers(0, 255, (1, 5, 5, 1)).astype(np.uint8)
    conv = Conv2D(1, 3, kernel_initializer="ones")
    np.testing.assert_allclose(to_host(conv(images))[0, 0, 0, 0], images[0, :3, :3, 0].sum())


def test_config_round_trip_rebuilds_the_same_layer():
    layer = Conv2DTranspose(3, 4, strides=2, padding="same", output_padding=1, activation="relu", name="up")
    config = layer.get_config()
    assert config["kernel_size"] == (4, 4) and config["output_padding"] == (1, 1)
    assert config["activation"] == "relu" and config["padding"] == "same"
    clone = Conv2DTranspose.from_config(config)
    assert clone.get_config() == config
    for cls, kwargs in ((Conv1D, {"filters": 2, "kernel_size": 3, "padding": "causal"}),
                        (Conv2D, {"filters": 2, "kernel_size": (1, 3), "dilation_rate": 2})):
        config = cls(**kwargs).get_config()
        assert cls.from_config(config).get_config() == config


def test_symbolic_call_gives_keras_output_shapes():
    x = Input(shape=(28, 28, 1))
    h = Conv2D(32, 3, padding="same", strides=2)(x)
    assert h.shape == (None, 14, 14, 32)
    assert Conv2DTranspose(1, 5, strides=2, padding="same")(h).shape == (None, 28, 28, 1)
    assert ZeroPadding2D(((1, 2), (3, 4)))(h).shape == (None, 17, 21, 32)
    assert UpSampling2D((2, 3))(h).shape == (None, 28, 42, 32)


# -- padding and upsampling layers --------------------------------------------------------------

@pytest.mark.parametrize("padding, expected", [
    (1, ((1, 1), (1, 1))),
    ((2, 0), ((2, 2), (0, 0))),
    (((1, 2), (0, 3)), ((1, 2), (0, 3))),
])
def test_zero_padding2d_accepts_kerass_three_forms(any_backend, padding, expected):
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1) + 1
    out = to_host(ZeroPadding2D(padding)(x))
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), *expected, (0, 0))))


def test_padding_and_upsampling_gradients(any_backend):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 2, 2))
    assert max(minidl.gradcheck(lambda a: ZeroPadding2D(((0, 1), (2, 0)))(a), device(x))) < 1e-6
    assert max(minidl.gradcheck(lambda a: UpSampling2D((3, 2))(a), device(x))) < 1e-6
    seq = rng.standard_normal((2, 4, 3))
    assert max(minidl.gradcheck(lambda a: UpSampling1D(3)(a), device(seq))) < 1e-6
    assert max(minidl.gradcheck(lambda a: ZeroPadding1D((2, 1))(a), device(seq))) < 1e-6
    np.testing.assert_array_equal(to_host(UpSampling1D(2)(seq)), np.repeat(seq, 2, axis=1))
    np.testing.assert_array_equal(to_host(ZeroPadding1D((2, 1))(seq)), np.pad(seq, ((0, 0), (2, 1), (0, 0))))


# -- errors -------------------------------------------------------------------------------------

def test_wrong_rank_and_channel_count_name_the_layer(any_backend):
    clear_session()
    conv = Conv2D(4, 3, name="features")
    with pytest.raises(ValueError, match=r"features \(Conv2D\): expected input of rank 4 \(batch, height, width, "
                                         r"channels\), got shape \(28, 28\)"):
        conv(np.zeros((28, 28), np.float32))
    conv(np.zeros((1, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r"features \(Conv2D\): expected input of rank 4 with 3 channels .* got shape "
                                         r"\(1, 8, 8, 1\)"):
        conv(np.zeros((1, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match=r"conv1d \(Conv1D\): expected input of rank 3 \(batch, steps, channels\)"):
        Conv1D(2, 3)(np.zeros((1, 5, 5, 1), np.float32))
    with pytest.raises(ValueError, match=r"up_sampling2d \(UpSampling2D\): expected input of rank 4"):
        UpSampling2D()(np.zeros((1, 5, 5), np.float32))


def test_kernel_larger_than_input_names_the_layer(any_backend):
    clear_session()
    with pytest.raises(ValueError, match=r"^conv2d \(Conv2D\), called on an input of shape \(1, 3, 3, 1\) \(float32\): "
                                         r"conv2d: the 5x5 window is larger than the padded input 3x3"):
        Conv2D(2, 5)(np.zeros((1, 3, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"^conv1d \(Conv1D\), called on an input of shape \(1, 3, 1\) \(float32\): "
                                         r"conv1d: the 1x4 window is larger than the padded input 1x3"):
        Conv1D(2, 4)(np.zeros((1, 3, 1), np.float32))


def test_invalid_arguments_are_clear_errors():
    clear_session()
    with pytest.raises(ValueError, match=r"conv2d \(Conv2D\): strides must be an int or a tuple of 2 ints >= 1, "
                                         r"got \(1, 0\)"):
        Conv2D(2, 3, strides=(1, 0))
    with pytest.raises(ValueError, match=r"padding must be one of 'valid', 'same', got 'causal'"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a tuple of 2 ints"):
        Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match=r"filters must be a positive integer, got 0"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match=r"only data_format='channels_last'.*got 'channels_first'"):
        Conv2D(2, 3, data_format="channels_first")
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than the strides \(2, 2\)"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"interpolation must be one of 'nearest', 'bilinear', got 'bicubic'"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"zero_padding2d \(ZeroPadding2D\): padding must be a non-negative int"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(NotImplementedError, match=r"Conv2D: kernel_constraint='max_norm': weight constraints are not "
                                                  r"supported"):
        Conv2D(2, 3, kernel_constraint="max_norm")
    with pytest.raises(TypeError, match=r"Conv2D: unexpected argument\(s\) \['kernel_constrain'\]"):
        Conv2D(2, 3, kernel_constrain=None)


def test_numpy_integers_are_accepted_as_sizes():
    layer = Conv2D(np.int64(4), np.int64(3), strides=(np.int32(1), 2))
    assert layer.kernel_size == (3, 3) and layer.strides == (1, 2) and type(layer.strides[0]) is int
    assert ZeroPadding2D(np.int64(2)).padding == ((2, 2), (2, 2))
    with pytest.raises(ValueError, match=r"strides must be an int or a tuple of 2 ints >= 1, got True"):
        Conv2D(2, 3, strides=True)


@pytest.mark.parametrize("layer_class, shape", [(Conv2D, (2, 6, 5, 3)), (Conv1D, (2, 7, 3))])
def test_relu_fused_into_the_convolution_matches_a_separate_relu(any_backend, layer_class, shape):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(np.float32)
    fused = layer_class(4, 3, activation="relu", padding="same")
    linear = layer_class(4, 3, padding="same")
    fused(minidl.tensor(device(x)))  # builds both layers
    linear(minidl.tensor(device(x)))
    linear.set_weights(fused.get_weights())
    assert fused.fused_activation == "relu" and linear.fused_activation is None
    results = []
    for layer, activation in ((fused, None), (linear, minidl.ops.relu)):
        inputs = minidl.tensor(device(x), requires_grad=True)
        outputs = layer(inputs)
        if activation is not None:
            outputs = activation(outputs)
        outputs.backward(device(np.linspace(-1, 1, outputs.size, dtype=np.float32).reshape(outputs.shape)))
        results.append([to_host(outputs), to_host(inputs.grad), to_host(layer.kernel.grad), to_host(layer.bias.grad)])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert (results[0][0] == 0).any() and (results[0][0] > 0).any()  # the ReLU clipped some outputs
