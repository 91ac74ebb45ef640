"""``tf.keras`` is ``minidl.keras``: every module of ``minidl.keras`` is also registered under
``minidl.tf.keras...`` so that ``from minidl.tf.keras.layers import Dense`` finds the very same
module object (one registry, one set of classes), as ``tensorflow.keras`` is Keras.
"""

import importlib
import pkgutil
import sys


def register_keras_modules(tf_package_name):
    """Import ``minidl.keras`` with all its submodules and alias each under ``<tf>.keras``."""
    keras = importlib.import_module("minidl.keras")
    modules = [keras]
    for info in pkgutil.walk_packages(keras.__path__, prefix="minidl.keras."):
        modules.append(importlib.import_module(info.name))
    for module in modules:
        alias = tf_package_name + ".keras" + module.__name__[len("minidl.keras"):]
        sys.modules.setdefault(alias, module)
    return keras
