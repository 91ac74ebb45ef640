"""ResNet50 (He et al., 2015, "v1") with Keras's exact graph, layer names and weight layout.

The stem: ``conv1_pad`` (3 pixels of zeros) -> 7x7/2 convolution ``conv1_conv`` ->
``conv1_bn`` -> ReLU -> ``pool1_pad`` (1 pixel) -> 3x3/2 max-pool ``pool1_pool``. Then four
stages of bottleneck blocks (3, 4, 6, 3 blocks; 64, 128, 256, 512 filters): each block is
1x1 conv -> BN -> ReLU -> 3x3 'same' conv -> BN -> ReLU -> 1x1 conv (4x filters) -> BN,
added to a shortcut -- the block's input, or in the first block of a stage a 1x1 conv + BN
that matches the shape -- then ReLU. The stride of a stage sits on its first 1x1 conv.
As in Keras, every convolution has a bias and BatchNormalization uses ``epsilon=1.001e-5``.

25,636,712 parameters with the top (224x224 input), of which 53,120 are the
non-trainable moving statistics of the BN layers.
"""

from minidl.applications.imagenet import decode_predictions, obtain_input_shape, preprocess_input, resolve_weights
from minidl.layers.convolutional import Conv2D, ZeroPadding2D
from minidl.layers.core import Activation, Dense
from minidl.layers.input_layer import Input
from minidl.layers.merge import Add
from minidl.layers.normalization import BatchNormalization
from minidl.layers.pooling import GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
from minidl.models import Model
from minidl.models.saving import load_weights

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]

_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_FILES = {
    True: ("resnet50_weights_tf_dim_ordering_tf_kernels.h5", _KERAS_WEIGHTS + "resnet50_weights_tf_dim_ordering_tf_kernels.h5"),
    False: (
        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _KERAS_WEIGHTS + "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ),
}

BN_EPSILON = 1.001e-5

# (stage name, filters, blocks, stride of the first block)
STAGES = (("conv2", 64, 3, 1), ("conv3", 128, 4, 2), ("conv4", 256, 6, 2), ("conv5", 512, 3, 2))


def bottleneck_block(x, filters, stride=1, conv_shortcut=True, name=None):
    """One residual block, Keras's ``resnet.block1``; layers are named ``{name}_0_conv`` ... ``{name}_out``."""
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = BatchNormalization(axis=3, epsilon=BN_EPSILON, name=name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = BatchNormalization(axis=3, epsilon=BN_EPSILON, name=name + "_1_bn")(x)
    x = Activation("relu", name=name + "_1_relu")(x)
    x = Conv2D(filters, 3, padding="same", name=name + "_2_conv")(x)
    x = BatchNormalization(axis=3, epsilon=BN_EPSILON, name=name + "_2_bn")(x)
    x = Activation("relu", name=name + "_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = BatchNormalization(axis=3, epsilon=BN_EPSILON, name=name + "_3_bn")(x)
    x = Add(name=name + "_add")([shortcut, x])
    return Activation("relu", name=name + "_out")(x)


def stage(x, filters, blocks, stride, name):
    """A stack of blocks, Keras's ``resnet.stack1``: the first one projects the shortcut."""
    x = bottleneck_block(x, filters, stride=stride, name=name + "_block1")
    for index in range(2, blocks + 1):
        x = bottleneck_block(x, filters, conv_shortcut=False, name=f"{name}_block{index}")
    return x


def ResNet50(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
             classes=1000, classifier_activation="softmax"):
    """Build ResNet50 as ``tf.keras.applications.ResNet50`` does.

    ``weights``: None (random initialisation) or the path of a Keras ``.h5`` weights file
    (``resnet50_weights_tf_dim_ordering_tf_kernels[_notop].h5``, the tf.keras files with
    layer names like ``conv1_conv``); 'imagenet' is refused with instructions, since minidl
    never downloads. Other arguments as in ``VGG16``.
    """
    weights_path = resolve_weights(
        weights, "ResNet50", [WEIGHTS_FILES[bool(include_top)], WEIGHTS_FILES[not include_top]]
    )
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"ResNet50: pooling must be None, 'avg' or 'max', got {pooling!r}")
    if input_tensor is None:
        img_input = Input(shape=obtain_input_shape(input_shape, 224, 32, "ResNet50"))
    else:
        img_input = input_tensor
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = BatchNormalization(axis=3, epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for name, filters, blocks, stride in STAGES:
        x = stage(x, filters, blocks, stride, name)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = GlobalMaxPooling2D(name="max_pool")(x)
    model = Model(img_input, x, name="resnet50")
    if weights_path is not None:
        load_weights(model, weights_path)  # Keras .h5 or .weights.h5, checked before anything changes
    return model
