"""``keras.applications.resnet50``: ``ResNet50`` with its ('caffe') ``preprocess_input``."""

from minidl.applications.imagenet import decode_predictions, preprocess_input
from minidl.applications.resnet50 import ResNet50

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
