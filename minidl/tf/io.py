"""``tf.io``: ``decode_csv`` (CSV lines already read, parsed into typed columns, as the "Load
CSV data" tutorial does). Other ``tf.io`` functions (file reading, image decoding, TFRecords)
are not provided: asking for one says what to use instead."""

from minidl.errors import UnsupportedError
from minidl.tf.data_files import decode_csv

__all__ = ["decode_csv"]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise UnsupportedError(f"{__name__}.{name} is not supported by minidl: read files with Python or NumPy "
                           "(minidl.datasets has loaders for the labs' data); tf.io.decode_csv is provided")
