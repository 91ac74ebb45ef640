"""VGG16 (Simonyan & Zisserman, 2014) with Keras's exact graph, layer names and weight layout.

Thirteen 3x3 'same' convolutions with ReLU in five blocks (64, 128, 256, 512, 512 filters),
each block ending in a 2x2 max-pool; on top, Flatten -> fc1 (4096) -> fc2 (4096) ->
predictions. 14,714,688 parameters without the top, 138,357,544 with it (224x224 input).

Layer names match ``tf.keras.applications.VGG16`` (``block1_conv1`` ... ``block5_pool``,
``flatten``, ``fc1``, ``fc2``, ``predictions``), so Keras's ``.h5`` files load by order or
by name.
"""

from minidl.applications.imagenet import decode_predictions, obtain_input_shape, preprocess_input, resolve_weights
from minidl.layers.convolutional import Conv2D
from minidl.layers.core import Dense, Flatten
from minidl.layers.input_layer import Input
from minidl.layers.pooling import GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
from minidl.models import Model
from minidl.models.saving import load_weights

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
WEIGHTS_FILES = {
    True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", _KERAS_WEIGHTS + "vgg16_weights_tf_dim_ordering_tf_kernels.h5"),
    False: (
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _KERAS_WEIGHTS + "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ),
}

# (block number, filters, convolutions in the block)
BLOCKS = ((1, 64, 2), (2, 128, 2), (3, 256, 3), (4, 512, 3), (5, 512, 3))


def VGG16(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
          classes=1000, classifier_activation="softmax"):
    """Build VGG16 as ``tf.keras.applications.VGG16`` does.

    ``weights``: None (random initialisation) or the path of a Keras ``.h5`` weights file
    (``vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5``); 'imagenet' is refused with
    instructions, since minidl never downloads. ``include_top``: keep the three dense
    layers. ``input_shape``: (height, width, channels), at least 32x32; defaults to
    (224, 224, 3). ``pooling`` (without the top): None, 'avg' or 'max' global pooling of
    the last block. ``input_tensor``: an ``Input(...)`` to build on instead of a new one.
    """
    weights_path = resolve_weights(weights, "VGG16", [WEIGHTS_FILES[bool(include_top)], WEIGHTS_FILES[not include_top]])
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"VGG16: pooling must be None, 'avg' or 'max', got {pooling!r}")
    if input_tensor is None:
        img_input = Input(shape=obtain_input_shape(input_shape, 224, 32, "VGG16"))
    else:
        img_input = input_tensor
    x = img_input
    for block, filters, convolutions in BLOCKS:
        for index in range(1, convolutions + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{index}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = GlobalMaxPooling2D()(x)
    model = Model(img_input, x, name="vgg16")
    if weights_path is not None:
        load_weights(model, weights_path)  # Keras .h5 or .weights.h5, checked before anything changes
    return model
