"""Resizing, CenterCrop and the random augmentation layers, and the ops behind them
(``minidl.ops.image.resize`` / ``affine_transform``): pixel-by-pixel Python references of
TensorFlow's geometry, float64 gradient checks on drawn shapes, every backend, and (where
Keras is installed) Keras's pixels for the same angle, zoom, shift, contrast and brightness."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.layers import (
    CenterCrop,
    Conv2D,
    Dense,
    Flatten,
    Input,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
)
from minidl.models import Sequential
from minidl.ops import image
from tests.conftest import device, to_host

# -- references: one output pixel at a time -----------------------------------------------------

def reference_resize(x, size, interpolation):
    n, height, width, channels = x.shape
    out = np.zeros((n, *size, channels))
    for i in range(size[0]):
        for j in range(size[1]):
            if interpolation == "nearest":
                r = min(math.floor((i + 0.5) * height / size[0]), height - 1)
                c = min(math.floor((j + 0.5) * width / size[1]), width - 1)
                out[:, i, j] = x[:, r, c]
                continue
            y = (i + 0.5) * height / size[0] - 0.5
            xx = (j + 0.5) * width / size[1] - 0.5
            y0, x0 = math.floor(y), math.floor(xx)
            for r, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
                for c, wx in ((x0, 1 - (xx - x0)), (x0 + 1, xx - x0)):
                    out[:, i, j] += wy * wx * x[:, min(max(r, 0), height - 1), min(max(c, 0), width - 1)]
    return out


def reference_map(coord, size, mode):
    """TensorFlow's fill modes for one coordinate, written as the kernel's scalar steps."""
    if mode == "constant":
        return coord
    if size <= 1:
        return 0.0
    if mode == "reflect":
        double = 2 * size
        if coord < 0:
            coord = double * math.trunc(-coord / double) + coord
            coord = coord + double if coord < -size else -coord - 1
        elif coord > size - 1:
            coord -= double * math.trunc(coord / double)
            if coord >= size:
                coord = double - coord - 1
    elif mode == "wrap":
        if coord < 0:
            coord += size * (math.trunc(-coord / (size - 1)) + 1)
        elif coord > size - 1:
            coord -= size * math.trunc(coord / (size - 1))
    return min(max(coord, 0.0), size - 1.0)


def reference_affine(x, transforms, interpolation, fill_mode, fill_value):
    n, height, width, channels = x.shape
    out = np.zeros_like(x)

    def read(b, r, c):
        return x[b, r, c] if 0 <= r < height and 0 <= c < width else np.full(channels, fill_value)

    for b in range(n):
        a0, a1, a2, b0, b1, b2 = transforms[b][:6]
        for i in range(height):
            for j in range(width):
                in_x = reference_map(a0 * j + a1 * i + a2, width, fill_mode)
                in_y = reference_map(b0 * j + b1 * i + b2, height, fill_mode)
                if interpolation == "nearest":
                    rounded = [math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5) for v in (in_y, in_x)]
                    out[b, i, j] = read(b, *rounded)
                    continue
                y0, x0 = math.floor(in_y), math.floor(in_x)
                dy, dx = in_y - y0, in_x - x0
                out[b, i, j] = ((1 - dy) * ((1 - dx) * read(b, y0, x0) + dx * read(b, y0, x0 + 1))
                                + dy * ((1 - dx) * read(b, y0 + 1, x0) + dx * read(b, y0 + 1, x0 + 1)))
    return out


def random_transforms(rng, count):
    angle = rng.uniform(-3, 3, count)
    scale = rng.uniform(0.5, 2.0, (count, 2))
    shift = rng.uniform(-4, 4, (count, 2))
    transforms = np.zeros((count, 8))
    transforms[:, 0], transforms[:, 1] = scale[:, 0] * np.cos(angle), -np.sin(angle)
    transforms[:, 3], transforms[:, 4] = np.sin(angle), scale[:, 1] * np.cos(angle)
    transforms[:, 2], transforms[:, 5] = shift[:, 0], shift[:, 1]
    return transforms.astype(np.float32)


# -- the ops -----------------------------------------------------------------------------------------

@given(height=st.integers(1, 5), width=st.integers(1, 5), out_height=st.integers(1, 7), out_width=st.integers(1, 7),
       interpolation=st.sampled_from(["bilinear", "nearest"]), seed=st.integers(0, 2**16))
def test_resize_matches_the_pixel_reference_and_gradcheck(any_backend, height, width, out_height, out_width,
                                                          interpolation, seed):
    minidl.set_floatx("float64")
    x = np.random.default_rng(seed).standard_normal((2, height, width, 2))
    out = to_host(image.resize(device(x), (out_height, out_width), interpolation))
    np.testing.assert_allclose(out, reference_resize(x, (out_height, out_width), interpolation), rtol=1e-5, atol=1e-5)
    assert max(minidl.gradcheck(lambda t: image.resize(t, (out_height, out_width), interpolation), device(x))) < 1e-6


@given(height=st.integers(1, 9), width=st.integers(1, 9), out_height=st.integers(1, 12), out_width=st.integers(1, 12),
       channels=st.integers(1, 3), interpolation=st.sampled_from(["bilinear", "nearest"]), seed=st.integers(0, 2**16))
def test_resize_one_axis_at_a_time_equals_the_readable_gather(height, width, out_height, out_width, channels,
                                                              interpolation, seed):
    """The fast form (``minidl/ops/fast/resize.py``: rows, then columns) against ``SampleImages``
    under ``reference_ops()``: the same pixels and the same image gradient, to rounding, and
    a non-finite pixel spoils only the outputs that read it, as in the gather."""
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, height, width, channels))
    gy = rng.standard_normal((2, out_height, out_width, channels))
    x_inf = x.copy()
    x_inf[1, rng.integers(height), rng.integers(width), 0] = np.inf
    results = []
    for readable in (False, True):
        with minidl.reference_ops(readable):
            leaf = minidl.tensor(x, requires_grad=True)
            y = image.resize(leaf, (out_height, out_width), interpolation)
            y.backward(gy)
            with np.errstate(invalid="ignore"):
                spoiled = ~np.isfinite(image.resize(minidl.tensor(x_inf), (out_height, out_width), interpolation).data)
        results.append((y.data, leaf.grad, spoiled))
    (fast, fast_grad, fast_spoiled), (readable_y, readable_grad, readable_spoiled) = results
    # the taps' weights are float32 (TensorFlow's coordinates); the gather multiplies a row's and a
    # column's weight in float32 first, one axis at a time applies them one after the other
    np.testing.assert_allclose(fast, readable_y, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fast_grad, readable_grad, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(fast_spoiled, readable_spoiled)


@given(height=st.integers(1, 5), width=st.integers(1, 5), interpolation=st.sampled_from(["bilinear", "nearest"]),
       fill_mode=st.sampled_from(["reflect", "wrap", "constant", "nearest"]), seed=st.integers(0, 2**16))
def test_affine_transform_matches_the_pixel_reference_and_gradcheck(any_backend, height, width, interpolation,
                                                                    fill_mode, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, height, width, 3))
    transforms = random_transforms(rng, 2)
    out = to_host(image.affine_transform(device(x), device(transforms), interpolation, fill_mode, 0.5))
    # the op computes coordinates in float32 (as TensorFlow): a nearest tap may then differ at an exact half
    expected = reference_affine(x, transforms.astype(np.float64), interpolation, fill_mode, 0.5)
    if interpolation == "bilinear":
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    else:
        assert np.mean(np.isclose(out, expected)) > 0.9
    assert max(minidl.gradcheck(
        lambda t: image.affine_transform(t, device(transforms), interpolation, fill_mode, 0.5), device(x))) < 1e-6


def test_image_ops_refuse_bad_arguments():
    x = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match="affine_transform: transforms must have shape \\(1, 8\\)"):
        image.affine_transform(x, np.zeros((2, 8), np.float32))
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        image.affine_transform(x, np.zeros((1, 8), np.float32), fill_mode="mirror")
    with pytest.raises(ValueError, match="resize: expected images of rank 4"):
        image.resize(np.zeros((4, 4), np.float32), (2, 2))


# -- the layers ---------------------------------------------------------------------------------------

AUGMENTERS = [
    lambda: RandomFlip(), lambda: RandomRotation(0.2), lambda: RandomZoom(0.3, 0.2), lambda: RandomTranslation(0.2, 0.3),
    lambda: RandomContrast(0.4), lambda: RandomBrightness(0.2), lambda: RandomCrop(3, 4),
]
NAMES = ["RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness",
         "RandomCrop"]


@pytest.mark.parametrize("make", AUGMENTERS, ids=NAMES)
def test_augmenters_change_images_only_while_training(any_backend, make):
    layer = make()
    x = (np.random.default_rng(0).random((6, 5, 7, 3)) * 255).astype(np.float32)
    expected_shape = (6, 3, 4, 3) if isinstance(layer, RandomCrop) else x.shape
    at_inference = to_host(layer(x, training=False))
    assert at_inference.shape == expected_shape
    if not isinstance(layer, RandomCrop):
        np.testing.assert_array_equal(at_inference, x)
    minidl.set_seed(4)
    first = to_host(layer(x))  # a direct call trains, as in Keras
    minidl.set_seed(4)
    np.testing.assert_array_equal(to_host(layer(x, training=True)), first)
    assert first.shape == expected_shape and first.dtype == np.float32
    if not isinstance(layer, RandomCrop):
        assert not np.array_equal(first, x)
    single = to_host(layer(x[0]))
    assert single.shape == expected_shape[1:]


@pytest.mark.parametrize("make", AUGMENTERS[1:4] + AUGMENTERS[4:6], ids=NAMES[1:6])
def test_augmenters_gradcheck_with_the_draw_held_fixed(any_backend, make):
    minidl.set_floatx("float64")
    layer = make()
    x = np.random.default_rng(1).random((2, 4, 5, 2)) * 100 + 50

    def fixed_draw(t):
        minidl.set_seed(7)
        return layer(t, training=True)

    assert max(minidl.gradcheck(fixed_draw, device(x))) < 1e-6


def test_random_flip_and_crop_pick_per_image(any_backend):
    x = np.arange(8 * 4 * 5 * 1, dtype=np.float32).reshape(8, 4, 5, 1)
    minidl.set_seed(0)
    flipped = to_host(RandomFlip("horizontal")(x))
    choices = [np.array_equal(flipped[i], x[i, :, ::-1]) for i in range(8)]
    assert all(np.array_equal(flipped[i], x[i]) or choices[i] for i in range(8)) and 0 < sum(choices) < 8
    crops = to_host(RandomCrop(2, 3)(x))
    corners = []
    for i in range(8):
        found = [(r, c) for r in range(3) for c in range(3) if np.array_equal(crops[i], x[i, r:r + 2, c:c + 3])]
        assert found, i
        corners.append(found[0])
    assert len(set(corners)) > 1
    # at inference: the centred window of the output's aspect ratio (3 x 5 of 4 x 5), resized (Keras 2's rule)
    np.testing.assert_allclose(to_host(RandomCrop(2, 3)(x, training=False)),
                               reference_resize(x[:, 0:3].astype(np.float64), (2, 3), "bilinear"), rtol=1e-5)


def test_resizing_keeps_integer_images_integral_and_center_crop_resizes_small_images(any_backend):
    pixels = (np.random.default_rng(2).random((2, 6, 8, 3)) * 255).astype(np.uint8)
    out = to_host(Resizing(3, 4)(pixels))
    assert out.dtype == np.uint8
    np.testing.assert_allclose(out, np.round(reference_resize(pixels.astype(np.float64), (3, 4), "bilinear")), atol=1)
    np.testing.assert_array_equal(to_host(CenterCrop(4, 4)(pixels)), pixels[:, 1:5, 2:6])
    small = to_host(CenterCrop(8, 8)(pixels.astype(np.float32)))
    np.testing.assert_allclose(small, reference_resize(pixels[:, :, 1:7].astype(np.float64), (8, 8), "bilinear"),
                               rtol=1e-5, atol=1e-3)


def test_augmentation_model_trains_and_predicts_deterministically(any_backend):
    minidl.set_seed(0)
    model = Sequential([
        Input((12, 12, 3)), RandomFlip("horizontal"), RandomRotation(0.1), RandomZoom(0.1), Rescaling(1 / 255),
        Resizing(8, 8), Conv2D(2, 3, activation="relu"), Flatten(), Dense(2),
    ])
    x = (np.random.default_rng(0).random((8, 12, 12, 3)) * 255).astype(np.float32)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [layer.output_shape for layer in model.layers[:5]] == [(None, 12, 12, 3)] * 4 + [(None, 8, 8, 3)]


def test_image_layers_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"\(RandomRotation\): factor must be a number or a pair"):
        RandomRotation(1.5)
    with pytest.raises(ValueError, match=r"\(RandomZoom\): height_factor must lie in \(-1, 1\]"):
        RandomZoom(-1.0)
    with pytest.raises(ValueError, match=r"\(RandomFlip\): mode must be one of"):
        RandomFlip("diagonal")
    with pytest.raises(ValueError, match=r"\(Resizing\): interpolation must be one of"):
        Resizing(2, 2, interpolation="bicubic")
    with pytest.raises(ValueError, match="channels_last"):
        CenterCrop(2, 2, data_format="channels_first")
    with pytest.raises(ValueError, match=r"\(RandomContrast\): value_range"):
        RandomContrast(0.2, value_range=(1, 1))
    with pytest.raises(ValueError, match=r"expected input of rank 3 to 4"):
        RandomFlip()(np.zeros((2, 3), np.float32))


# -- against Keras ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kwargs", [
    ("RandomRotation", {"factor": (0.1, 0.1)}),
    ("RandomRotation", {"factor": (-0.3, -0.3), "fill_mode": "constant", "fill_value": 3.0}),
    ("RandomRotation", {"factor": (0.2, 0.2), "fill_mode": "wrap", "interpolation": "nearest"}),
    ("RandomZoom", {"height_factor": (0.3, 0.3)}),
    ("RandomZoom", {"height_factor": (-0.3, -0.3), "width_factor": (0.2, 0.2), "fill_mode": "nearest"}),
    ("RandomTranslation", {"height_factor": (0.2, 0.2), "width_factor": (-0.1, -0.1)}),
    ("RandomContrast", {"factor": (-0.3, 0.3)}),
    ("RandomBrightness", {"factor": (0.1, 0.1)}),
    ("Resizing", {"height": 4, "width": 5}),
    ("Resizing", {"height": 11, "width": 5, "interpolation": "nearest"}),
    ("Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True}),
    ("Resizing", {"height": 4, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 2.0}),
    ("CenterCrop", {"height": 4, "width": 5}),
    ("CenterCrop", {"height": 8, "width": 5}),
], ids=lambda value: value if isinstance(value, str) else ",".join(f"{k}={v}" for k, v in value.items()))
def test_image_layers_match_keras_pixels(name, kwargs):
    keras = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    x = (np.random.default_rng(0).random((3, 7, 9, 2)) * 255).astype("float32")
    ours = getattr(minidl.layers, name)(**kwargs)(x, training=True)
    theirs = getattr(keras.layers, name)(**kwargs)(x, training=True)
    np.testing.assert_allclose(to_host(ours), np.asarray(theirs), rtol=1e-5, atol=2e-4)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_points_far_outside_read_the_fill_value_without_integer_overflow(interpolation):
    """A transform that sends every point 10^12 pixels away (or divides by almost zero) reads only
    the constant fill: the coordinates are brought near the image before they become int32."""
    x = np.random.default_rng(0).random((2, 5, 6, 3)).astype(np.float32)
    far = np.array([[1, 0, 1e12, 0, 1, 0, 0, 0], [1e-9, 0, 0, 0, 1, 0, 1e-3, 0]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast"
        out = to_host(image.affine_transform(x, far, interpolation, "constant", 0.5))
    np.testing.assert_array_equal(out[0], np.full((5, 6, 3), 0.5, np.float32))


def test_sample_images_takes_its_taps_one_array_at_a_time():
    """``SampleImages`` against plain NumPy with its taps handed over as a sequence of fresh arrays
    (each made when asked for and dropped after): taps outside the image count for nothing, and
    no tap borrows another's clipped coordinates."""
    from minidl.ops.reference.image_sampling import SampleImages

    class OneAtATime:
        def __init__(self, arrays):
            self.arrays = arrays

        def __iter__(self):
            return (array.copy() for array in self.arrays)

    rng = np.random.default_rng(0)
    images = rng.standard_normal((2, 5, 6, 3))
    rows = [rng.integers(-1, 6, (2, 4, 4)) for _ in range(4)]
    cols = [rng.integers(-1, 7, (2, 4, 4)) for _ in range(4)]
    weights = [rng.random((2, 4, 4)) for _ in range(4)]
    expected = np.zeros((2, 4, 4, 3))
    for row, col, weight in zip(rows, cols, weights):
        inside = (row >= 0) & (row < 5) & (col >= 0) & (col < 6)
        pixels = images[np.arange(2)[:, None, None], np.clip(row, 0, 4), np.clip(col, 0, 5)]
        expected += np.where(inside, weight, 0)[..., None] * pixels
    out = SampleImages(OneAtATime(rows), OneAtATime(cols), OneAtATime(weights))(minidl.tensor(images))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
