"""``tf.compat``: TensorFlow's helpers between text and bytes (``as_bytes``, ``as_text``,
``as_str``, ``as_str_any``, ``path_to_str``), as keras-io's examples use them (``tf.compat.
as_bytes("JFIF") in header``). ``tf.compat.v2`` is ``minidl.tf`` itself; ``tf.compat.v1``
(TensorFlow 1's graph mode: sessions, placeholders) has no minidl counterpart and says so.
"""

import os

from minidl.errors import UnsupportedError


def as_bytes(bytes_or_text, encoding="utf-8"):
    """``bytes_or_text`` as bytes: text is encoded with ``encoding``, bytes come back as they are."""
    if isinstance(bytes_or_text, (bytes, bytearray)):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    raise TypeError(f"tf.compat.as_bytes: bytes_or_text must be bytes or str, got {type(bytes_or_text).__name__} "
                    f"({bytes_or_text!r:.60})")


def as_text(bytes_or_text, encoding="utf-8"):
    """``bytes_or_text`` as str: bytes are decoded with ``encoding``, text comes back as it is."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, (bytes, bytearray)):
        return bytes(bytes_or_text).decode(encoding)
    raise TypeError(f"tf.compat.as_text: bytes_or_text must be bytes or str, got {type(bytes_or_text).__name__} "
                    f"({bytes_or_text!r:.60})")


as_str = as_text
as_bytes_or_str = as_text


def as_str_any(value, encoding="utf-8"):
    """Bytes decoded, anything else through ``str``."""
    if isinstance(value, (bytes, bytearray)):
        return as_text(value, encoding)
    return str(value)


def path_to_str(path):
    """A path-like object as its string; anything else unchanged."""
    return os.fspath(path) if isinstance(path, os.PathLike) else path


def __getattr__(name):
    if name == "v2":
        import minidl.tf

        return minidl.tf
    if name == "v1":
        raise UnsupportedError(
            "minidl.tf.compat.v1 is not supported by minidl: TensorFlow 1's graph mode (sessions, placeholders) has "
            "no minidl counterpart; write eager code with minidl.tf, or Keras models with minidl.keras")
    raise AttributeError(f"module 'minidl.tf.compat' has no attribute {name!r}")


__all__ = ["as_bytes", "as_str", "as_str_any", "as_text", "path_to_str"]
