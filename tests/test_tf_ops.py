"""``minidl.tf``'s functions against TensorFlow's behaviour.

Every case is one call written the TensorFlow way. Its result is checked against NumPy (the
reference always available) and, where TensorFlow is installed, against TensorFlow itself: the
same values, the same dtype and the same shape. Differentiable functions are also
gradient-checked in float64 on the active backend.
"""

import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.tf as mtf
from tests.conftest import device

A = [[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]]
B = [[2.0, 1.0, -1.0], [3.0, 0.5, 2.0]]
INTS = [[91, 12, 15], [11, 88, 21], [90, 87, 75]]

# (label, function of a tf-like module, NumPy reference)
CASES = [
    ("add list", lambda tf: tf.add(tf.constant(A), [[1, 2, 3], [4, 5, 6]]), lambda: np.add(A, [[1, 2, 3], [4, 5, 6]])),
    ("subtract", lambda tf: tf.subtract(tf.constant(A), tf.constant(B)), lambda: np.subtract(A, B)),
    ("multiply ints", lambda tf: tf.math.multiply(tf.constant(INTS), 2), lambda: np.multiply(INTS, 2)),
    ("divide ints", lambda tf: tf.constant([1, 2, 3]) / tf.constant([2, 2, 2]), lambda: np.array([0.5, 1.0, 1.5])),
    ("floordiv", lambda tf: tf.constant([-7, 7]) // 2, lambda: np.array([-4, 3])),
    ("mod", lambda tf: tf.constant([-7, 7]) % 3, lambda: np.array([2, 1])),
    ("pow", lambda tf: tf.pow(tf.constant(A), 2), lambda: np.power(A, 2)),
    ("matmul", lambda tf: tf.matmul(tf.constant(INTS), tf.constant(INTS)), lambda: np.matmul(INTS, INTS)),
    ("matmul transpose_b", lambda tf: tf.matmul(tf.constant(A), tf.constant(B), transpose_b=True),
     lambda: np.matmul(A, np.transpose(B))),
    ("reduce_sum ints", lambda tf: tf.reduce_sum(tf.constant(INTS)), lambda: np.int32(np.sum(INTS))),
    ("reduce_sum axis keepdims", lambda tf: tf.reduce_sum(tf.constant(A), axis=1, keepdims=True),
     lambda: np.sum(A, axis=1, keepdims=True)),
    ("reduce_mean ints truncates", lambda tf: tf.reduce_mean(tf.constant([-3, 2, 4])), lambda: np.int32(1)),
    ("reduce_mean axis list", lambda tf: tf.reduce_mean(tf.constant([A, B]), axis=[0, 2]),
     lambda: np.mean([A, B], axis=(0, 2))),
    ("reduce_max", lambda tf: tf.reduce_max(tf.constant(A), axis=0), lambda: np.max(A, axis=0)),
    ("reduce_min", lambda tf: tf.reduce_min(tf.constant(A)), lambda: np.min(A)),
    ("reduce_std", lambda tf: tf.math.reduce_std(tf.constant(A), axis=1), lambda: np.std(A, axis=1)),
    ("reduce_logsumexp", lambda tf: tf.reduce_logsumexp(tf.constant(A), axis=1),
     lambda: np.log(np.exp(A).sum(axis=1))),
    ("reduce_prod", lambda tf: tf.reduce_prod(tf.constant(INTS), axis=1), lambda: np.prod(INTS, axis=1)),
    ("argmax default axis 0", lambda tf: tf.argmax(tf.constant(INTS)), lambda: np.argmax(INTS, axis=0)),
    ("argmax axis 1", lambda tf: tf.argmax(tf.constant(INTS), axis=1), lambda: np.argmax(INTS, axis=1)),
    ("argmin", lambda tf: tf.argmin(tf.constant(A), axis=1), lambda: np.argmin(A, axis=1)),
    ("round half to even", lambda tf: tf.round(tf.constant([0.5, 1.5, 2.5, -0.5, 2.7])),
     lambda: np.round([0.5, 1.5, 2.5, -0.5, 2.7])),
    ("sign", lambda tf: tf.sign(tf.constant([-2.0, 0.0, 3.0])), lambda: np.sign([-2.0, 0.0, 3.0])),
    ("abs", lambda tf: tf.abs(tf.constant(A)), lambda: np.abs(A)),
    ("sqrt", lambda tf: tf.sqrt(tf.constant([4.0, 2.0])), lambda: np.sqrt([4.0, 2.0])),
    ("exp log", lambda tf: tf.math.log(tf.exp(tf.constant(A))), lambda: np.array(A)),
    ("square", lambda tf: tf.square(tf.constant(A)), lambda: np.square(A)),
    ("maximum", lambda tf: tf.maximum(tf.constant(A), 0.0), lambda: np.maximum(A, 0)),
    ("minimum", lambda tf: tf.minimum(tf.constant(A), tf.constant(B)), lambda: np.minimum(A, B)),
    ("clip_by_value", lambda tf: tf.clip_by_value(tf.constant(A), -1.0, 2.0), lambda: np.clip(A, -1, 2)),
    ("clip_by_norm", lambda tf: tf.clip_by_norm(tf.constant(A), 1.0),
     lambda: np.asarray(A) / max(np.linalg.norm(A), 1.0)),
    ("clip_by_norm axes, rows shorter than the limit kept", lambda tf: tf.clip_by_norm(tf.constant(A), 2.5, axes=[1]),
     lambda: np.asarray(A) * 2.5 / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 2.5)),
    ("clip_by_global_norm", lambda tf: tf.clip_by_global_norm([tf.constant(A), None, tf.constant(B)], 1.5)[0][2],
     lambda: np.asarray(B) * 1.5 / max(np.sqrt(np.square(A).sum() + np.square(B).sum()), 1.5)),
    ("global_norm", lambda tf: tf.linalg.global_norm([tf.constant(A), tf.constant(B)]),
     lambda: np.sqrt(np.square(A).sum() + np.square(B).sum())),
    ("equal", lambda tf: tf.equal(tf.constant([1, 2, 3]), tf.constant([1, 0, 3])), lambda: np.array([True, False, True])),
    ("greater", lambda tf: tf.greater(tf.constant(A), 1.0), lambda: np.greater(A, 1.0)),
    ("logical_and", lambda tf: tf.logical_and(tf.constant([True, False]), tf.constant([True, True])),
     lambda: np.array([True, False])),
    ("cast float to int truncates", lambda tf: tf.cast(tf.constant([1.7, -1.7, 2.5]), tf.int32),
     lambda: np.array([1, -1, 2], np.int32)),
    ("cast bool to float", lambda tf: tf.cast(tf.constant([True, False]), tf.float32), lambda: np.array([1.0, 0.0])),
    ("reshape", lambda tf: tf.reshape(tf.constant(INTS), [9, 1]), lambda: np.reshape(INTS, (9, 1))),
    ("reshape -1", lambda tf: tf.reshape(tf.constant(A), [-1]), lambda: np.reshape(A, -1)),
    ("transpose", lambda tf: tf.transpose(tf.constant(A)), lambda: np.transpose(A)),
    ("transpose perm", lambda tf: tf.transpose(tf.constant([A, B]), perm=[1, 0, 2]), lambda: np.transpose([A, B], (1, 0, 2))),
    ("concat", lambda tf: tf.concat([tf.constant(A), tf.constant(B)], axis=0), lambda: np.concatenate([A, B], 0)),
    ("concat -1", lambda tf: tf.concat([tf.constant(A), tf.constant(B)], -1), lambda: np.concatenate([A, B], -1)),
    ("stack", lambda tf: tf.stack([tf.constant(A), tf.constant(B)], axis=1), lambda: np.stack([A, B], 1)),
    ("expand_dims", lambda tf: tf.expand_dims(tf.constant(A), -1), lambda: np.expand_dims(A, -1)),
    ("squeeze", lambda tf: tf.squeeze(tf.constant([[[1.0], [2.0]]])), lambda: np.array([1.0, 2.0])),
    ("tile", lambda tf: tf.tile(tf.constant(A), [2, 1]), lambda: np.tile(A, (2, 1))),
    ("broadcast_to", lambda tf: tf.broadcast_to(tf.constant([1.0, 2.0]), [3, 2]), lambda: np.broadcast_to([1.0, 2.0], (3, 2))),
    ("gather", lambda tf: tf.gather(tf.constant(A), [1, 0, 1]), lambda: np.take(A, [1, 0, 1], axis=0)),
    ("gather axis", lambda tf: tf.gather(tf.constant(A), [2, 0], axis=1), lambda: np.take(A, [2, 0], axis=1)),
    ("pad", lambda tf: tf.pad(tf.constant(A), [[1, 0], [0, 2]]), lambda: np.pad(A, ((1, 0), (0, 2)))),
    ("reverse", lambda tf: tf.reverse(tf.constant(A), [1]), lambda: np.flip(A, 1)),
    ("where", lambda tf: tf.where(tf.constant(A) > 0, tf.constant(A), tf.constant(B)),
     lambda: np.where(np.array(A) > 0, A, B)),
    ("where indices", lambda tf: tf.where(tf.constant([[True, False], [False, True]])),
     lambda: np.array([[0, 0], [1, 1]])),
    ("one_hot", lambda tf: tf.one_hot([0, 2, 5], depth=3), lambda: np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0]], "f")),
    ("zeros", lambda tf: tf.zeros([2, 3]), lambda: np.zeros((2, 3), np.float32)),
    ("ones int", lambda tf: tf.ones([2], dtype=tf.int32), lambda: np.ones(2, np.int32)),
    ("fill", lambda tf: tf.fill([2, 2], 7), lambda: np.full((2, 2), 7, np.int32)),
    ("range", lambda tf: tf.range(5), lambda: np.arange(5, dtype=np.int32)),
    ("range float", lambda tf: tf.range(0.0, 1.0, 0.25), lambda: np.arange(0, 1, 0.25, dtype=np.float32)),
    ("eye", lambda tf: tf.eye(3), lambda: np.eye(3, dtype=np.float32)),
    ("linspace", lambda tf: tf.linspace(0.0, 1.0, 5), lambda: np.linspace(0, 1, 5, dtype=np.float32)),
    ("shape", lambda tf: tf.shape(tf.constant(A)), lambda: np.array([2, 3], np.int32)),
    ("size rank", lambda tf: tf.size(tf.constant(A)) + tf.rank(tf.constant(A)), lambda: np.int32(8)),
    ("cumsum", lambda tf: tf.cumsum(tf.constant([1, 2, 3])), lambda: np.cumsum([1, 2, 3]).astype(np.int32)),
    ("split", lambda tf: tf.split(tf.constant(INTS), 3, axis=1)[2], lambda: np.array(INTS)[:, 2:]),
    ("unstack", lambda tf: tf.unstack(tf.constant(A))[1], lambda: np.array(A[1])),
    ("boolean_mask", lambda tf: tf.boolean_mask(tf.constant([1, 2, 3]), [True, False, True]), lambda: np.array([1, 3])),
    ("sigmoid", lambda tf: tf.sigmoid(tf.constant(A)), lambda: 1 / (1 + np.exp(-np.array(A)))),
    ("tanh", lambda tf: tf.tanh(tf.constant(A)), lambda: np.tanh(A)),
    ("nn.relu", lambda tf: tf.nn.relu(tf.constant([1.0, -2.0, 0.0, 0.3, -1.5])), lambda: np.array([1, 0, 0, 0.3, 0])),
    ("nn.softmax", lambda tf: tf.nn.softmax(tf.constant([3.0, 1.0, 7.0, 2.0, 4.0, 5.0])),
     lambda: np.exp([3, 1, 7, 2, 4, 5]) / np.exp([3, 1, 7, 2, 4, 5]).sum()),
    ("nn.log_softmax", lambda tf: tf.nn.log_softmax(tf.constant(A)),
     lambda: np.array(A) - np.log(np.exp(A).sum(axis=1, keepdims=True))),
    ("nn.leaky_relu default 0.2", lambda tf: tf.nn.leaky_relu(tf.constant([-1.0, 2.0])), lambda: np.array([-0.2, 2.0])),
    ("nn.elu", lambda tf: tf.nn.elu(tf.constant([-1.0, 2.0])), lambda: np.array([np.expm1(-1.0), 2.0])),
    ("nn.softplus", lambda tf: tf.nn.softplus(tf.constant(A)), lambda: np.log1p(np.exp(A))),
    ("nn.sigmoid_cross_entropy_with_logits", lambda tf: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=np.array([[1.0], [0.0]], np.float32), logits=tf.constant([[0.3], [-1.2]])),
     lambda: np.array([[np.log1p(np.exp(-0.3))], [np.log1p(np.exp(-1.2))]])),
    ("nn.softmax_cross_entropy_with_logits bool labels", lambda tf: tf.nn.softmax_cross_entropy_with_logits(
        labels=np.array([[True, False, False], [False, True, False]]), logits=tf.constant(A)),
     lambda: -np.log(np.exp(A) / np.exp(A).sum(axis=1, keepdims=True))[[0, 1], [0, 1]]),
    ("nn.sparse_softmax_cross_entropy_with_logits", lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([2, 1]), logits=tf.constant(A)),
     lambda: -np.log(np.exp(A) / np.exp(A).sum(axis=1, keepdims=True))[[0, 1], [2, 1]]),
    ("nn.l2_loss", lambda tf: tf.nn.l2_loss(tf.constant(A)), lambda: np.sum(np.square(A)) / 2),
    ("math.l2_normalize", lambda tf: tf.math.l2_normalize(tf.constant(A), axis=1),
     lambda: np.array(A) / np.linalg.norm(A, axis=1, keepdims=True)),
    ("norm", lambda tf: tf.norm(tf.constant(A)), lambda: np.linalg.norm(A)),
    ("linalg.matmul", lambda tf: tf.linalg.matmul(tf.constant(A), tf.constant(B), transpose_a=True),
     lambda: np.matmul(np.transpose(A), B)),
    ("math.confusion_matrix", lambda tf: tf.math.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], num_classes=3),
     lambda: np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1]], np.int32)),
    ("math.in_top_k", lambda tf: tf.math.in_top_k(targets=[2, 0], predictions=tf.constant(A), k=1),
     lambda: np.array([True, False])),
    ("getitem", lambda tf: tf.constant(A)[1, 1:], lambda: np.array(A)[1, 1:]),
    ("variable arithmetic", lambda tf: tf.Variable(3) * tf.Variable(3) * tf.Variable(4) + 4 + tf.constant(2),
     lambda: np.int32(42)),
    ("scalar float operand keeps float32", lambda tf: tf.Variable(0.5) * [1, 2, 3, 4] + 1,
     lambda: np.array([1.5, 2.0, 2.5, 3.0], np.float32)),
]


@pytest.mark.parametrize("label, call, reference", CASES, ids=[case[0] for case in CASES])
def test_against_numpy(any_backend, label, call, reference):
    result = call(mtf)
    expected = np.asarray(reference())
    assert tuple(result.shape) == expected.shape
    np.testing.assert_allclose(np.asarray(result.numpy(), dtype=np.float64), expected.astype(np.float64),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("label, call, reference", CASES, ids=[case[0] for case in CASES])
def test_against_tensorflow(label, call, reference):
    tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed (CI does not install it)")
    ours, theirs = call(mtf), call(tf)
    assert ours.dtype == theirs.dtype.as_numpy_dtype, f"{label}: minidl {ours.dtype}, TensorFlow {theirs.dtype}"
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(np.asarray(ours.numpy(), np.float64), np.asarray(theirs.numpy(), np.float64),
                               rtol=2e-6, atol=1e-6)


DIFFERENTIABLE = {
    "reduce_mean": lambda x: mtf.reduce_mean(x, axis=1, keepdims=True),
    "reduce_logsumexp": lambda x: mtf.reduce_logsumexp(x, axis=-1),
    "reduce_std": lambda x: mtf.math.reduce_std(x, axis=1),  # over >= 2 distinct values: std > 0
    "concat and slice": lambda x: mtf.concat([x, x * 2.0], axis=1)[:, 1:],
    "tile and transpose": lambda x: mtf.transpose(mtf.tile(x, [2, 1])),
    "gather": lambda x: mtf.gather(x, [0, 0, 1], axis=1),
    "clip_by_value": lambda x: mtf.clip_by_value(x, -0.5, 0.5),
    "clip_by_norm": lambda x: mtf.clip_by_norm(x, 0.5, axes=[1]),
    "clip_by_global_norm": lambda x: mtf.clip_by_global_norm([x, x * 2.0], 0.5)[0][1],
    "l2_normalize": lambda x: mtf.math.l2_normalize(x, axis=1),
    "squared_difference": lambda x: mtf.math.squared_difference(x, 0.25),
    "rsqrt of square plus one": lambda x: mtf.math.rsqrt(mtf.square(x) + 1.0),
    "softmax cross entropy": lambda x: mtf.nn.softmax_cross_entropy_with_logits(
        labels=np.eye(x.shape[0], x.shape[1]), logits=x),
    "sigmoid cross entropy": lambda x: mtf.nn.sigmoid_cross_entropy_with_logits(labels=np.ones(x.shape), logits=x),
    "where": lambda x: mtf.where(x > 0, x * 3.0, -x),
    "divide_no_nan": lambda x: mtf.math.divide_no_nan(x, x * x + 1.0),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
@given(rows=st.integers(1, 3), columns=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_gradcheck(any_backend, name, rows, columns, seed):
    minidl.set_floatx("float64")
    x = np.random.default_rng(seed).standard_normal((rows, columns))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kinks of where/clip
    x[np.abs(np.abs(x) - 0.5) < 1e-3] = 0.3
    assert max(minidl.gradcheck(DIFFERENTIABLE[name], device(x))) < 1e-6


def test_conversions_follow_tensorflow():
    assert mtf.constant(10).dtype == mtf.int32 and mtf.constant(1.5).dtype == mtf.float32
    assert mtf.constant([1, 2.5]).dtype == mtf.float32 and mtf.constant(np.array([1.0])).dtype == mtf.float64
    assert mtf.constant([1, 2**40]).dtype == mtf.int64 and mtf.constant(True).dtype == mtf.bool
    assert mtf.constant("Hello").numpy() == b"Hello"
    assert (mtf.constant(np.float32(2.0)) + np.array([1.0, 2.0])).dtype == mtf.float32
    with pytest.raises(TypeError, match="Cannot convert"):
        mtf.constant(1) * 1.5
    with pytest.raises(TypeError, match="tf.cast"):
        mtf.constant([1.0]) + mtf.constant([1.0], dtype=mtf.float64)
    assert mtf.constant([[1, 2]]).shape.as_list() == [1, 2] and repr(mtf.zeros([2, 1]).shape) == "TensorShape([2, 1])"
    assert float(mtf.constant(2.5)) == 2.5 and int(mtf.constant(3)) == 3 and f"{mtf.constant(0.25):.2f}" == "0.25"
    assert np.asarray(mtf.constant([1, 2])).tolist() == [1, 2] and len(mtf.constant([1, 2, 3])) == 3
    assert [int(t) for t in mtf.constant([4, 5])] == [4, 5] and list(range(10))[mtf.constant(2)] == 2


def test_printing_follows_tensorflow(capsys):
    mtf.print(mtf.Variable(-1.00371706), mtf.constant([0.999803364, 3.0]))
    mtf.print(mtf.constant([[1, 2], [3, 4]]), "text")
    mtf.print(mtf.range(2000))
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "-1.00371706 [0.999803364 3]"
    assert printed[1:3] == ["[[1 2]", " [3 4]] text"]
    assert printed[3] == "[0 1 2 ... 1997 1998 1999]"
    assert str(mtf.constant([1.5, 2.0])) == "tf.Tensor([1.5 2. ], shape=(2,), dtype=float32)"
    assert repr(mtf.constant(10)) == "<tf.Tensor: shape=(), dtype=int32, numpy=10>"
    assert repr(mtf.Variable([1.0])).startswith("<tf.Variable 'Variable:0' shape=(1,) dtype=float32, numpy=")


def test_variables_assign_in_place_and_train():
    v = mtf.Variable([1.0, 2.0], name="v")
    assert v.name == "v:0" and v.trainable and v.requires_grad
    v.assign([3.0, 4.0])
    v.assign_add(1.0)
    v.assign_sub(mtf.constant([0.5, 0.5]))
    np.testing.assert_allclose(v.numpy(), [3.5, 4.5])
    with pytest.raises(ValueError, match="does not fit"):
        v.assign([1.0, 2.0, 3.0])
    assert not mtf.Variable(3).requires_grad  # integers are not differentiable
    frozen = mtf.Variable(1.0, trainable=False)
    assert not frozen.requires_grad
    copied = mtf.Variable(mtf.zeros([2, 1]), mtf.float32)  # the book's second positional argument is trainable
    assert copied.trainable and copied.dtype == mtf.float32


def test_unsupported_names_say_so_and_name_the_alternative():
    with pytest.raises(mtf.unsupported.UnsupportedError, match="not supported by minidl.*GradientTape"):
        mtf.hessians  # noqa: B018
    with pytest.raises(AttributeError, match="docs/keras_coverage.md"):
        mtf.no_such_function  # noqa: B018
    assert not hasattr(mtf, "einsum")
    with pytest.raises(NotImplementedError, match="no gradient"):
        mtf.reduce_prod(mtf.Variable([1.0, 2.0]))


def test_signal_ffts_follow_numpy_and_tensorflow_dtypes():
    """``mtf.signal.rfft(df['T (degC)'])`` in the time-series tutorial: a pandas Series or list in,
    complex out (complex64 from float32, complex128 from float64), and back with ``irfft``."""
    series = np.sin(np.arange(16) * 2 * np.pi / 4)
    spectrum = mtf.signal.rfft(series)
    assert spectrum.dtype == mtf.complex128 and tuple(spectrum.shape) == (9,)
    np.testing.assert_allclose(np.abs(spectrum), np.abs(np.fft.rfft(series)), atol=1e-9)
    assert mtf.signal.rfft([1.0, 2.0, 3.0, 4.0]).dtype == mtf.complex64
    np.testing.assert_allclose(mtf.signal.irfft(spectrum).numpy(), series, atol=1e-12)
    np.testing.assert_allclose(mtf.signal.ifft(mtf.signal.fft(spectrum)).numpy(), spectrum.numpy(), atol=1e-12)
    assert tuple(mtf.signal.rfft(series, fft_length=[8]).shape) == (5,)
    with pytest.raises(TypeError, match="input_tensor must be float32 or float64, got int"):
        mtf.signal.rfft(np.arange(4))
    with pytest.raises(TypeError, match="no gradient for FFTs"):
        mtf.signal.rfft(mtf.Variable([1.0, 2.0]))


def test_set_shape_checks_a_compatible_static_shape():
    """The time-series tutorial's ``inputs.set_shape([None, self.input_width, None])``."""
    window = mtf.constant(np.zeros((3, 7, 5), dtype=np.float32))
    inputs = window[:, 0:6, :]
    inputs.set_shape([None, 6, None])
    inputs.set_shape(mtf.TensorShape([3, 6, 5]))
    with pytest.raises(ValueError, match=r"shape \(3, 6, 5\) is not compatible with the supplied shape \[None, 7, None\]"):
        inputs.set_shape([None, 7, None])


def test_convert_to_tensor_of_pandas_keeps_numpy_dtypes():
    """``tf.convert_to_tensor(dataframe)`` converts the frame's NumPy array (float64 for mixed
    int and float columns), as TensorFlow does -- not Python data's float32."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"age": [35, 61], "oldpeak": [0.6, 1.2]})
    assert mtf.convert_to_tensor(frame).dtype == mtf.float64
    assert mtf.convert_to_tensor(frame["age"]).dtype == mtf.int64


def test_tf_compat_converts_between_text_and_bytes_and_refuses_v1():
    from minidl.errors import UnsupportedError

    assert mtf.compat.as_bytes("JFIF") == b"JFIF" and mtf.compat.as_bytes(bytearray(b"x")) == b"x"
    assert mtf.compat.as_text(b"caf\xc3\xa9") == "café" and mtf.compat.as_str("a") == "a"
    assert mtf.compat.as_str_any(3) == "3" and mtf.compat.path_to_str(pathlib.Path("a/b")) == "a/b"
    assert mtf.compat.v2 is mtf
    with pytest.raises(TypeError, match=r"as_bytes: bytes_or_text must be bytes or str, got int"):
        mtf.compat.as_bytes(5)
    with pytest.raises(UnsupportedError, match="graph mode"):
        _ = mtf.compat.v1.Session


def test_notebook_boilerplate_lines_run():
    """The lines at the top of TF notebooks: a logger's level, autograph's and device placement's
    verbosity (no-ops here), and tf.nn.top_k as TensorFlow's alias of tf.math.top_k."""
    mtf.get_logger().setLevel("ERROR")
    assert mtf.get_logger().name == "tensorflow"
    mtf.autograph.set_verbosity(0)
    mtf.debugging.set_log_device_placement(False)
    values, indices = mtf.nn.top_k(mtf.constant([1.0, 3.0, 2.0]), k=2)
    assert values.numpy().tolist() == [3.0, 2.0] and indices.numpy().tolist() == [1, 2]
