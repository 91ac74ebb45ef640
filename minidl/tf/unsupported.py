"""The TensorFlow names ``minidl.tf`` does not provide, each with the nearest minidl call.

Asking for one (``tf.Session``, ``tf.einsum``, ...) raises ``UnsupportedError``, an
``AttributeError`` (so ``hasattr`` is still False) whose message says it is not supported and
what to use instead; a name that is not in TensorFlow's API at all gets a plain AttributeError.
"""

from minidl.errors import UnsupportedError

NEAREST = {
    "Session": "TensorFlow 1 sessions have no minidl counterpart; minidl runs eagerly: evaluate tensors directly "
               "and read them with .numpy()",
    "placeholder": "use keras.Input(shape=...) for a model input, or pass NumPy arrays to functions directly",
    "einsum": "write the contraction with tf.matmul, tf.transpose and tf.reduce_sum (minidl.ops.matmul)",
    "sin": "use np.sin on host data (minidl has no differentiable sine yet)",
    "cos": "use np.cos on host data (minidl has no differentiable cosine yet)",
    "tan": "use np.tan on host data",
    "atan": "use np.arctan on host data",
    "erf": "use scipy.special.erf on host data",
    "lgamma": "use scipy.special.gammaln on host data",
    "segment_sum": "use tf.math.unsorted_segment_sum on host data with np.add.at",
    "scatter_nd": "build the array in NumPy (np.add.at) and convert it with tf.constant",
    "tensor_scatter_nd_update": "build the array in NumPy and convert it with tf.constant",
    "gather_nd": "index with tf.gather or tensor[...] slicing (minidl.ops.getitem)",
    "map_fn": "loop in Python and tf.stack the results",
    "while_loop": "write a Python while loop (minidl runs eagerly)",
    "cond": "write a Python if statement (minidl runs eagerly)",
    "case": "write Python if/elif statements (minidl runs eagerly)",
    "scan": "loop in Python and tf.stack the results",
    "py_function": "call the Python function directly (minidl runs eagerly)",
    "numpy_function": "call the NumPy function directly on tensor.numpy()",
    "Module": "subclass minidl.keras.layers.Layer and create weights with add_weight",
    "summary": ("tf.summary writers are not supported; keras.callbacks.TensorBoard writes the training curves as "
                "event files (minidl.tensorboard_events.EventFileWriter writes any scalar)"),
    "lite": "TensorFlow Lite conversion has no minidl counterpart",
    "image": "use minidl.keras.preprocessing.image (ImageDataGenerator, load_img) or NumPy",
    "sparse": "use dense tensors (tf.constant) in minidl",
    "RaggedTensor": "pad sequences to one length with keras.preprocessing.sequence.pad_sequences",
    "ragged": "pad sequences to one length with keras.preprocessing.sequence.pad_sequences",
    "audio": "read audio with Python libraries (soundfile, scipy.io.wavfile) on the host",
    "tpu": "minidl runs on CPUs (NumPy) and NVIDIA GPUs (CuPy): minidl.set_backend('cupy')",
    "xla": "minidl has no XLA compiler; functions run eagerly",
    "queue": "feed data with tf.data.Dataset or NumPy arrays",
    "estimator": "use Keras models (minidl.keras.Sequential / Model) and fit()",
    "feature_column": "prepare features with NumPy, pandas or scikit-learn",
    "hessians": "minidl computes first-order gradients only (tf.GradientTape.gradient)",
}


def missing(module_name, name):
    """The error for ``module_name.name``: UnsupportedError with advice, or a plain AttributeError."""
    advice = NEAREST.get(name)
    if advice is not None:
        return UnsupportedError(f"{module_name}.{name} is not supported by minidl: {advice}")
    return AttributeError(
        f"module {module_name!r} has no attribute {name!r}: minidl.tf covers the subset of TensorFlow that lab "
        "code uses (see docs/keras_coverage.md); the nearest minidl functions are in minidl.ops"
    )
