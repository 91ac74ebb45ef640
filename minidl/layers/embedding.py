"""``Embedding``: turns integer token ids into dense vectors by looking up rows of a table."""

import numpy as np

from minidl import initializers, regularizers
from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.arguments import InitializerLike, RegularizerLike
from minidl.layers.base import Layer, inputs_already_checked
from minidl.layers.input_spec import InputSpec
from minidl.ops.embedding import check_indices, embedding_lookup, whole_number_indices
from minidl.runtime import backend


class Embedding(Layer):
    """Turns integer ids into dense vectors: row ``id`` of a trainable (input_dim, output_dim) table.

    Input: integer ids of any shape, usually (batch, time), each in [0, input_dim); output: the
    same shape plus output_dim, e.g. (batch, time, output_dim). Ids are integers, or floats
    holding whole numbers (Keras casts those); a fraction is an error rather than being
    truncated. With
    ``mask_zero=True`` id 0 is padding: the output tensor carries ``mask`` = (ids != 0), which
    recurrent layers use to skip padded steps (input_dim must then count the padding id, as in
    Keras).

    Weights: ``embeddings`` (input_dim, output_dim).

    Arguments:
        input_dim: the vocabulary size: ids run from 0 to input_dim - 1.
        output_dim: the size of each vector.
        embeddings_initializer: a Keras initializer name, instance or callable (default
            'uniform', U(-0.05, 0.05) as in Keras).
        embeddings_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        mask_zero: treat id 0 as padding and pass a mask on (see above).
        input_length: the length of the id sequences, when fixed; as in Keras 2 it declares the
            model's input shape ``(batch, input_length)`` when this is the first layer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``,
            ``batch_input_shape``).
    """

    input_dtype = "int32"  # probed with integer ids when built symbolically

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: InitializerLike = "uniform",
                 embeddings_regularizer: RegularizerLike = None, mask_zero: bool = False,
                 input_length: int | None = None, **kwargs):
        declares_input = "input_shape" not in kwargs and "batch_input_shape" not in kwargs
        if declares_input and arguments.is_integral(input_length) and input_length >= 1:
            kwargs["input_shape"] = (int(input_length),)  # Keras's way: the length declares the input
            # (a bad input_length is reported below, under its own name)
        super().__init__(**kwargs)
        self.input_dim = arguments.positive_int(self, "input_dim", input_dim)
        self.output_dim = arguments.positive_int(self, "output_dim", output_dim)
        self.embeddings_initializer = arguments.initializer(self, "embeddings_initializer", embeddings_initializer)
        self.embeddings_regularizer = arguments.regularizer(self, "embeddings_regularizer", embeddings_regularizer)
        self.mask_zero = arguments.boolean(self, "mask_zero", mask_zero)
        if input_length is not None:
            input_length = arguments.positive_int(self, "input_length", input_length)
        self.input_length = input_length

    def build(self, input_shape):
        if self.input_length is not None:
            self.input_spec = InputSpec(ndim=2, axes={1: int(self.input_length)}, layout=("batch", "steps"))
            self.input_spec.check(self, input_shape)
        self.embeddings = self.add_weight(
            "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
            self.embeddings_regularizer,
        )

    def call(self, inputs, training=False):
        ids = whole_number_indices(inputs.data)  # whole-number floats are ids, as Keras casts them
        if not inputs_already_checked(self):  # a model checks integer ids in range once per fit
            check_indices(ids, self.input_dim)
        outputs = embedding_lookup(ids, self.embeddings, check_range=False)
        if self.mask_zero:
            outputs.mask = ids != 0
        return outputs

    def check_input_data(self, ids, what):
        """The ids of a whole input array in [0, input_dim), checked once before a model runs on
        them (one small transfer for device arrays), so a bad id stops ``fit`` before any update."""
        if ids.size == 0 or ids.dtype.kind not in "iu":
            return  # float ids are refused by the model's input contract, per call by call()
        module = np if isinstance(ids, np.ndarray) else backend.get_xp()
        low, high = (int(v) for v in backend.to_numpy(module.stack([ids.min(), ids.max()])))
        if low < 0 or high >= self.input_dim:
            offending = low if low < 0 else high
            raise IndexError(
                f"{self.name} (Embedding): {what} holds token id {offending}, out of range; expected ids in "
                f"[0, {self.input_dim}) (input_dim={self.input_dim}); got values from {low} to {high}"
                + ("; make input_dim the vocabulary size + 1 when id 0 is padding" if high == self.input_dim else "")
            )

    def compute_mask(self, inputs, mask=None):
        """The padding mask (ids != 0) when ``mask_zero``, else None (Keras's hook)."""
        if not self.mask_zero:
            return None
        # a NumPy array has a ``data`` attribute too (a memoryview): only a Tensor's is its values
        data = inputs.data if isinstance(inputs, Tensor) else backend.to_device(np.asarray(inputs))
        return data != 0

    def get_config(self):
        return {
            **super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "mask_zero": self.mask_zero, "input_length": self.input_length,
        }
