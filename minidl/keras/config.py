"""``keras.config`` (Keras 3): the global settings, over those ``keras.backend`` already keeps.

``floatx`` is minidl's default float dtype (``minidl.set_floatx``), ``epsilon`` the fuzz factor of
``keras.backend``; minidl is channels-last only and runs eagerly, so the image format and the
logging and traceback switches are fixed or accepted as no-ops.
"""

from minidl.keras import backend as _backend
from minidl.keras import unsupported as _unsupported

_FLOATX_CHOICES = ("float16", "float32", "float64")


def backend():
    """``'tensorflow'``: minidl.keras presents tf.keras's face, and the TensorFlow calls that code
    written for that backend makes are served by ``minidl.tf`` (``keras.backend.backend()`` says the same)."""
    return _backend.backend()


def floatx():
    """The default float dtype of new weights and tensors, as a string ('float32' unless changed)."""
    return _backend.floatx()


def set_floatx(value):
    """Set the default float dtype: 'float16', 'float32' or 'float64' (Keras's bfloat16 is not
    available in NumPy)."""
    if str(value) not in _FLOATX_CHOICES:
        raise ValueError(f"keras.config.set_floatx: unknown floatx value {value!r}; expected one of {_FLOATX_CHOICES}")
    _backend.set_floatx(str(value))


def epsilon():
    """The fuzz factor added to denominators (1e-7 unless changed)."""
    return _backend.epsilon()


def set_epsilon(value):
    _backend.set_epsilon(value)


def image_data_format():
    """Always 'channels_last': minidl's image layers are channels-last."""
    return _backend.image_data_format()


def set_image_data_format(data_format):
    """Accepts 'channels_last' only (minidl has no channels-first layers)."""
    _backend.set_image_data_format(data_format)


def enable_unsafe_deserialization():
    """Accepted, and changes nothing: minidl's loaders never run code stored in a file (a
    ``Lambda`` is saved by its function's import path), so nothing needs unlocking."""


def enable_interactive_logging():
    """Accepted: minidl's progress bars follow each call's ``verbose``."""


def disable_interactive_logging():
    """Accepted: minidl's progress bars follow each call's ``verbose`` (pass ``verbose=0``)."""


def is_interactive_logging_enabled():
    return True


def enable_traceback_filtering():
    """Accepted: minidl's tracebacks are never filtered."""


def disable_traceback_filtering():
    """Accepted: minidl's tracebacks are never filtered."""


def is_traceback_filtering_enabled():
    return False


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so
