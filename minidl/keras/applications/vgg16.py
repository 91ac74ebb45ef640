"""``keras.applications.vgg16``: ``VGG16`` with its ('caffe') ``preprocess_input``."""

from minidl.applications.imagenet import decode_predictions, preprocess_input
from minidl.applications.vgg16 import VGG16

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
