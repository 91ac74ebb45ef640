"""The Keras names ``minidl.keras`` does not provide, each with what to use instead.

Asking for one (``keras.layers.ConvLSTM2D``, ``keras.optimizers.AdamW``, ``keras.mixed_precision``)
raises ``minidl.errors.UnsupportedError``, an ``AttributeError`` (so ``hasattr`` stays False)
whose message says that minidl lacks it and what to use; a name Keras does not have either gets
a plain AttributeError. The advice is the one ``docs/keras_coverage.md`` gives (a test keeps the
two in step).
"""

from minidl.errors import UnsupportedError

_ADAPTIVE = "`GlobalAveragePooling2D` / `GlobalMaxPooling2D`, or pooling with a computed `pool_size`"
_VOLUMETRIC = "no 3-D (volumetric) layers in minidl"
_AUGMENTATION = "image augmentation layer: use `ImageDataGenerator` or NumPy"
_LOSS = "a function `loss(y_true, y_pred)` written with `keras.backend` / `minidl.tf` (it is differentiated like any op)"
_METRIC = ("`Precision`, `Recall`, `AUC` exist; others as a function `metric(y_true, y_pred)` in `metrics=[...]` "
           "(e.g. RMSE with `K.sqrt(K.mean(K.square(...)))`)")
_OPTIMIZER = "`Adam` + `kernel_regularizer`"
_CALLBACK = "`CSVLogger`, `ModelCheckpoint`, `minidl.viz.plot_history`"
_APPLICATION = ("minidl has `VGG16` and `ResNet50` (ImageNet weights from a `.h5` file you supply); for another "
                "architecture, build it from minidl's layers")
_ACTIVATION = "a function written with `minidl.ops` / `minidl.tf` as `activation=` (or in a `Lambda`)"
_OPS_HOST = "NumPy on host values (`keras.ops.convert_to_numpy(x)`), without a gradient"
_OPS_LINALG = ("`np.linalg` on host values (`keras.ops.convert_to_numpy(x)`), without a gradient; minidl has "
               "`matmul`, `tensordot`, `einsum` and `norm`")
_OPS_CONV = "the convolution and pooling layers (`Conv2D`, `MaxPooling2D`, ...) or `minidl.ops.conv2d` / `max_pool2d`"
_OPS_CONTROL = "plain Python: minidl runs eagerly (a loop or an `if`; `keras.ops.stack` to collect results)"
_OPS_SIGNAL = "`minidl.tf.signal.rfft` / `irfft` / `fft` / `ifft` (innermost axis, no gradient)"
_OPS_NAN = "replace the NaNs first (`keras.ops.where(keras.ops.isnan(x), 0, x)`), then reduce"
_OPS_SEGMENT = ("`segment_sum` as `keras.ops.matmul(keras.ops.transpose(keras.ops.one_hot(segment_ids, num_segments)), "
                "data)`; the others on host values with NumPy")
_OPS_SCATTER = ("build the result from pieces with `keras.ops.concatenate` / `keras.ops.where` (minidl tensors are not "
                "updated in place)")
_OPS_SHRINK = "one line of `keras.ops.where`, `keras.ops.relu` and arithmetic"
_OPS_NORMALIZATION = "the `BatchNormalization` / `LayerNormalization` layers, or `keras.ops.moments` and arithmetic"


def _same(advice, *names):
    return dict.fromkeys(names, advice)


NEAREST = {
    "minidl.keras.layers": {
        **_same(_ADAPTIVE, "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveMaxPooling1D",
                "AdaptiveMaxPooling2D"),
        **_same(_VOLUMETRIC, "AdaptiveAveragePooling3D", "AdaptiveMaxPooling3D", "AveragePooling3D", "AvgPool3D",
                "Conv3D", "Conv3DTranspose", "ConvLSTM3D", "Convolution3D", "Convolution3DTranspose", "Cropping3D",
                "GlobalAveragePooling3D", "GlobalAvgPool3D", "GlobalMaxPool3D", "GlobalMaxPooling3D", "MaxPool3D",
                "MaxPooling3D", "SpatialDropout3D", "UpSampling3D", "ZeroPadding3D"),
        **_same(_AUGMENTATION, "AugMix", "AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization", "CutMix",
                "Equalization", "MaxNumBoundingBoxes", "MixUp", "RandAugment", "RandomColorDegeneration",
                "RandomColorJitter", "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur",
                "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization",
                "RandomSaturation", "RandomSharpness", "Solarization"),
        **_same("not available", "HashedCrossing", "MelSpectrogram", "STFTSpectrogram", "SpectralNormalization"),
        "ConvLSTM1D": "`TimeDistributed(Conv1D(...))` followed by an `LSTM` (minidl has no convolutional recurrent cell)",
        "ConvLSTM2D": ("`TimeDistributed(Conv2D(...))`, `TimeDistributed(Flatten())`, then an `LSTM` (minidl has no "
                       "convolutional recurrent cell)"),
        "GroupQueryAttention": "`MultiHeadAttention` (every head with its own keys and values)",
        "EinsumDense": "`Dense` on the last axis",
        **_same("no JAX", "FlaxLayer", "JaxLayer"),
        "Pipeline": "call the layers in turn, or a `Sequential`",
        "RMSNormalization": "`LayerNormalization(center=False)` (also subtracts the mean)",
        "RandomShear": "`ImageDataGenerator(shear_range=...)`",
        "ReversibleEmbedding": "`Embedding` + `tf.matmul(x, embedding.embeddings, transpose_b=True)`",
        "TFSMLayer": "no TensorFlow SavedModels",
        "TorchModuleWrapper": "no PyTorch modules",
        "Wrapper": "subclass `Layer` and hold the wrapped layer with `self.track(layer)`",
    },
    "minidl.keras.losses": _same(
        _LOSS, "KLDivergence", "kl_divergence", "Hinge", "SquaredHinge", "CategoricalHinge", "CosineSimilarity",
        "LogCosh", "Poisson", "MeanSquaredLogarithmicError", "MeanAbsolutePercentageError", "CTC", "Dice", "Tversky", "CategoricalFocalCrossentropy",
        "BinaryFocalCrossentropy"),
    "minidl.keras.metrics": _same(
        _METRIC, "F1Score", "FBetaScore", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "BinaryIoU", "R2Score", "KLDivergence",
        "CosineSimilarity", "Hinge", "Poisson", "Sum"),
    "minidl.keras.optimizers": _same(_OPTIMIZER, "AdamW", "Adafactor", "Ftrl", "Lamb", "Lion", "LossScaleOptimizer"),
    "minidl.keras.callbacks": _same(_CALLBACK, "BackupAndRestore", "RemoteMonitor", "ProgbarLogger"),
    "minidl.keras.activations": _same(_ACTIVATION, "gelu", "hard_swish", "hard_silu"),
    "minidl.keras.ops": {
        **_same(_OPS_HOST, "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "cos", "cosh",
                "sin", "sinc", "sinh", "tan", "deg2rad", "rad2deg", "hypot", "angle", "conj", "conjugate", "imag",
                "real", "polar", "isreal", "view_as_complex", "view_as_real", "bitwise_and", "bitwise_invert",
                "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "left_shift",
                "right_shift", "median", "percentile", "quantile", "histogram", "corrcoef", "correlate", "digitize",
                "searchsorted", "bincount", "unique", "isin", "argpartition", "trapezoid", "bartlett", "blackman",
                "hamming", "hanning", "kaiser", "gcd", "lcm", "i0", "erfinv", "nextafter", "signbit", "unravel_index",
                "vander", "kron", "cross", "geomspace", "logspace", "cbrt", "fmod", "ldexp", "logaddexp2", "heaviside"),
        **_same(_OPS_LINALG, "linalg", "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq",
                "lu_factor", "matrix_rank", "pinv", "qr", "slogdet", "logdet", "solve", "solve_triangular", "svd"),
        **_same(_OPS_CONV, "conv", "conv_transpose", "depthwise_conv", "separable_conv", "max_pool", "average_pool",
                "adaptive_average_pool", "adaptive_max_pool", "depth_to_space", "space_to_depth", "fold", "unfold",
                "extract_sequences"),
        **_same(_OPS_CONTROL, "cond", "while_loop", "fori_loop", "scan", "associative_scan", "map", "vectorized_map",
                "vectorize", "switch"),
        **_same(_OPS_SIGNAL, "fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft"),
        **_same(_OPS_NAN, "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmedian",
                "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd", "nansum", "nanvar"),
        **_same(_OPS_SEGMENT, "segment_max", "segment_min", "segment_prod", "segment_sum"),
        **_same(_OPS_SCATTER, "scatter", "scatter_update", "slice_update"),
        **_same(_OPS_SHRINK, "hard_shrink", "soft_shrink", "tanh_shrink", "threshold", "sparse_plus",
                "sparse_sigmoid", "sparsemax"),
        **_same(_OPS_NORMALIZATION, "batch_normalization", "layer_normalization", "rms_normalization"),
        **_same("the same function directly under `keras.ops` (minidl keeps every op there: `keras.ops.relu`)",
                "nn", "numpy"),
        "image": "`minidl.ops.image.resize` / `affine_transform`, or the `Resizing` and `Random*` layers",
        "custom_gradient": "no user-written gradients: build the function from differentiable `keras.ops`",
        "jvp": "no forward-mode differentiation: `GradientTape` gives reverse-mode gradients",
        "rearrange": "`keras.ops.reshape` and `keras.ops.transpose`",
        "view": "`keras.ops.cast` (minidl does not reinterpret bits)",
        "saturate_cast": "`keras.ops.cast(keras.ops.clip(x, low, high), dtype)`",
        "cdist": "`keras.ops.norm(x[..., :, None, :] - y[..., None, :, :], axis=-1)`",
        "psnr": "`10 * keras.ops.log10(max_val ** 2 / keras.ops.mean(keras.ops.square(a - b)))`",
        "dot_product_attention": ("`keras.layers.MultiHeadAttention`, or `keras.ops.softmax` of "
                                  "`keras.ops.matmul(q, keras.ops.swapaxes(k, -1, -2))` scaled, times `v`"),
        **_same("no CTC in minidl", "ctc_loss", "ctc_decode"),
    },
    "minidl.keras.utils": {
        "save_img": "`keras.utils.array_to_img(x).save(path)` (a PIL image)",
        "split_dataset": "slice the arrays (`x[:n]`, `x[n:]`) or pass `validation_split` to `fit`",
        "FeatureSpace": "the `Normalization`, `StringLookup`, `IntegerLookup` and `CategoryEncoding` layers",
        "Progbar": "`fit`/`evaluate`/`predict` draw Keras's progress bar; in a loop of your own, print progress",
        "audio_dataset_from_directory": "read audio with Python libraries (soundfile, scipy.io.wavfile) and build a "
                                        "`tf.data.Dataset.from_tensor_slices` of the arrays",
    },
    "minidl.keras.applications": _same(
        _APPLICATION, "VGG19", "Xception", "InceptionV3", "InceptionResNetV2", "MobileNet", "MobileNetV2",
        "MobileNetV3Small", "MobileNetV3Large", "DenseNet121", "DenseNet169", "DenseNet201", "ResNet101", "ResNet152",
        "ResNet50V2", "ResNet101V2", "ResNet152V2", "NASNetMobile", "NASNetLarge", "EfficientNetB0", "EfficientNetB1",
        "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
        "EfficientNetV2B0", "EfficientNetV2S", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge"),
    "minidl.keras": {
        "mixed_precision": "minidl computes in float32 (or float64 with minidl.set_floatx); there are no float16 "
                           "policies: leave the policy line out",
        "export": "no TensorFlow SavedModel export; save with model.save('model.keras')",
        "quantizers": "no quantization in minidl",
        "dtype_policies": "minidl computes in float32 (or float64 with minidl.set_floatx)",
    },
}


def missing(module_name, name):
    """The error for ``module_name.name``: UnsupportedError with advice, or a plain AttributeError."""
    advice = NEAREST.get(module_name, {}).get(name)
    shown = module_name.replace("minidl.keras", "keras", 1)
    if advice is not None:
        return UnsupportedError(f"{shown}.{name} is not supported by minidl; instead: {advice.replace('`', '')} "
                                "(see docs/keras_coverage.md)")
    return AttributeError(f"module {module_name!r} has no attribute {name!r}")


def attribute_hook(module_name):
    """The module-level ``__getattr__`` (PEP 562) of a face module: called only for names the
    module does not have, it raises ``missing(module_name, name)``."""
    def __getattr__(name):
        raise missing(module_name, name)

    return __getattr__
