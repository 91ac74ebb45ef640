"""``Hashing``: categories (strings or integers) into ``num_bins`` bins by a stable hash -- the
"hashing trick" for features with too many values to list in a vocabulary.

Every value is hashed as text (an integer as its decimal digits, a float first truncated to an
integer, as Keras does): FarmHash's Fingerprint64, or SipHash-2-4 keyed by ``salt``; the bin is
the hash modulo ``num_bins``. With ``mask_value`` set, that value goes to bin 0 and the others
share bins 1 .. num_bins - 1. The bins equal Keras's and TensorFlow's
(``tf.strings.to_hash_bucket_fast`` / ``_strong``), so a model trained on either sees the same
ids. Each distinct value of a batch is hashed once, on the host.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.preprocessing.category_encoding import encode, output_mode_argument, refuse_sparse
from minidl.layers.preprocessing.lookup import _salt
from minidl.layers.preprocessing.string_hashes import fingerprint64, siphash24
from minidl.layers.text_values import as_text_array, holds_text
from minidl.runtime import backend

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


class Hashing(Layer):
    """Hashes strings or integers into ``num_bins`` bins (see the module docstring). Output:
    int64 bin ids of the input's shape (``output_mode='int'``), else their one-hot / multi-hot /
    count encoding over ``num_bins`` in the layer's float type. No weights.

    Arguments:
        num_bins: how many bins, mask bin included.
        mask_value: a value that goes to bin 0 (the others to 1 .. num_bins - 1), or None.
        salt: an integer or a pair of integers keying a SipHash (stronger, slower), or None for
            FarmHash.
        output_mode: 'int', 'one_hot', 'multi_hot' or 'count'.
        sparse: must be False (minidl has no sparse tensors).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype`` -- int64 by default
            for 'int' output, as in Keras --, ``input_shape``, ...).
    """

    accepts_text = True  # strings or numbers (see minidl.models.input_contract)

    def __init__(self, num_bins: int, mask_value: str | int | None = None, salt: int | tuple[int, int] | None = None,
                 output_mode: str = "int", sparse: bool = False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        self.num_bins = arguments.positive_int(self, "num_bins", num_bins)
        self.mask_value = mask_value
        self.salt = _salt(self, salt)
        self.output_mode = output_mode_argument(self, output_mode, OUTPUT_MODES)
        self.sparse = refuse_sparse(self, sparse)
        if self.output_mode == "int" and self.dtype.kind != "i":
            raise ValueError(f"{label(self)}: with output_mode='int' the dtype must be an integer type "
                             f"('int32' or 'int64'), got {self.dtype.name}")

    def call(self, inputs, training=False):
        values = inputs.data
        if holds_text(inputs):
            texts = as_text_array(values, label(self))
            masked = texts == self.mask_value if self.mask_value is not None else np.zeros(texts.shape, bool)
        else:
            numbers = backend.to_numpy(values) if not isinstance(values, np.ndarray) else values
            if numbers.dtype.kind not in "iufb":
                raise TypeError(f"{label(self)}: expected strings or numbers, got dtype {numbers.dtype}")
            whole = numbers.astype(np.int64)  # floats are truncated, as tf.cast does
            masked = numbers == self.mask_value if self.mask_value is not None else np.zeros(numbers.shape, bool)
            texts = whole
        bins = self._bins(texts, masked)
        if self.output_mode == "int":
            return Tensor._from_op(backend.to_device(bins.astype(self.dtype)))
        return Tensor._from_op(backend.to_device(encode(bins, self.output_mode, self.num_bins, self.dtype,
                                                        who=label(self), check_range=False)))

    def _bins(self, values, masked):
        hashed_bins = self.num_bins - 1 if self.mask_value is not None and self.num_bins > 1 else self.num_bins
        uniques, positions = np.unique(values.reshape(-1), return_inverse=True)
        table = np.array([self._hash(value) % hashed_bins for value in uniques.tolist()], dtype=np.int64)
        bins = table[positions].reshape(values.shape) if uniques.size else np.zeros(values.shape, np.int64)
        if hashed_bins != self.num_bins:
            bins = np.where(masked, 0, bins + 1)
        return bins

    def _hash(self, value):
        data = str(value).encode("utf-8")
        return siphash24(self.salt, data) if self.salt is not None else fingerprint64(data)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                "output_mode": self.output_mode, "sparse": self.sparse}
