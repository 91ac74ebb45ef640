"""``tf.signal``: the discrete Fourier transforms tutorials use to look at a series
(``tf.signal.rfft(df['T (degC)'])`` in the time-series tutorial), computed by NumPy's FFT.

They are for inspecting data: minidl has no gradient for them, so a tensor that needs one is
refused rather than silently cut off from the graph. Float32 input gives complex64, float64
complex128, as in TensorFlow; the transform runs over the innermost axis.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.runtime import backend
from minidl.tf import dtypes
from minidl.tf.tensor import constant

_COMPLEX_OF = {np.dtype("float32"): np.complex64, np.dtype("float64"): np.complex128}


def _host_input(what, value, kinds):
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise TypeError(f"tf.signal.{what}: minidl has no gradient for FFTs; pass values that need none "
                            "(tf.stop_gradient(x)), or compute the transform with np.fft outside the tape")
        array = backend.to_numpy(value.data)
    else:
        array = dtypes.inferred_array(value.to_numpy() if hasattr(value, "to_numpy") else value)
    if array.dtype.kind not in kinds:
        expected = "float32 or float64" if kinds == "f" else "complex64 or complex128"
        raise TypeError(f"tf.signal.{what}: input_tensor must be {expected}, got {array.dtype}")
    return array


def _length(what, fft_length):
    if fft_length is None:
        return None
    lengths = np.asarray(fft_length.numpy() if hasattr(fft_length, "numpy") else fft_length).reshape(-1)
    if lengths.size != 1:
        raise ValueError(f"tf.signal.{what}: fft_length must hold one length (the innermost axis), got {fft_length!r}")
    return int(lengths[0])


def rfft(input_tensor, fft_length=None, name=None):
    """The FFT of a real signal: ``n // 2 + 1`` complex values over the innermost axis."""
    array = _host_input("rfft", input_tensor, "f")
    result = np.fft.rfft(array, n=_length("rfft", fft_length), axis=-1)
    return constant(result.astype(_COMPLEX_OF[array.dtype]))


def irfft(input_tensor, fft_length=None, name=None):
    """The inverse of ``rfft``: a real signal (of ``2 * (n - 1)`` values unless fft_length says)."""
    array = _host_input("irfft", input_tensor, "c")
    result = np.fft.irfft(array, n=_length("irfft", fft_length), axis=-1)
    return constant(result.astype(np.float32 if array.dtype == np.complex64 else np.float64))


def fft(input, name=None):  # noqa: A002 - TensorFlow's name
    """The FFT of a complex signal over the innermost axis."""
    array = _host_input("fft", input, "c")
    return constant(np.fft.fft(array, axis=-1).astype(array.dtype))


def ifft(input, name=None):  # noqa: A002 - TensorFlow's name
    """The inverse FFT of a complex signal over the innermost axis."""
    array = _host_input("ifft", input, "c")
    return constant(np.fft.ifft(array, axis=-1).astype(array.dtype))


__all__ = ["fft", "ifft", "irfft", "rfft"]
