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
