"""``keras.applications``: VGG16 and ResNet50 with Keras's layer names (ImageNet weights load
from a ``.h5`` file the user supplies), with their ``preprocess_input`` / ``decode_predictions``."""

from minidl.applications import VGG16, ResNet50
from minidl.keras import unsupported as _unsupported
from minidl.keras.applications import imagenet_utils, resnet50, vgg16

__all__ = ["ResNet50", "VGG16", "imagenet_utils", "resnet50", "vgg16"]


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
