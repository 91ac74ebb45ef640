"""``keras.applications.imagenet_utils``: ImageNet's input scaling and class names."""

from minidl.applications.imagenet import decode_predictions, preprocess_input

__all__ = ["decode_predictions", "preprocess_input"]
