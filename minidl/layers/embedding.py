"""``Embedding``: turns integer token ids into dense vectors by looking up rows of a table."""

import numpy as np

from minidl import backend, initializers, regularizers
from minidl.layers.base import Layer, inputs_already_checked
from minidl.layers.input_spec import InputSpec
from minidl.ops.embedding import check_indices, embedding_lookup


class Embedding(Layer):
    """Rows of a trainable (input_dim, output_dim) table, as Keras's Embedding.

    Input: integer ids of any shape, usually (batch, time), in [0, input_dim); output: the same
    shape plus output_dim. Ids must already be integers: a float array is an error rather
    than being truncated (Keras casts silently). With ``mask_zero=True`` id 0 is padding: the
    output tensor carries ``mask`` = (ids != 0), which recurrent layers use to skip padded steps
    (input_dim must then count the padding id, as in Keras).
    """

    input_dtype = "int32"  # probed with integer ids when built symbolically

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 mask_zero=False, input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)  # Keras's way: the length declares the input
        super().__init__(**kwargs)
        if int(input_dim) <= 0 or int(output_dim) <= 0:
            raise ValueError(
                f"{self.name} (Embedding): input_dim and output_dim must be positive integers, "
                f"got input_dim={input_dim}, output_dim={output_dim}"
            )
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
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
        caller = f"{self.name} (Embedding)"
        ids = inputs.data
        if not inputs_already_checked(self):  # a model checks integer ids in range once per fit
            check_indices(ids, self.input_dim, caller)
        outputs = embedding_lookup(ids, self.embeddings, check_range=False, caller=caller)
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

    def compute_mask(self, inputs):
        """The padding mask (ids != 0) when ``mask_zero``, else None (Keras's hook)."""
        if not self.mask_zero:
            return None
        data = inputs.data if hasattr(inputs, "data") else backend.to_device(inputs)
        return data != 0

    def get_config(self):
        return {
            **super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "mask_zero": self.mask_zero, "input_length": self.input_length,
        }
