"""``keras.engine.data_adapter``: the batch helpers TensorFlow 2-era ``train_step`` overrides use
(``x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)``), minidl's own."""

from minidl.models.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
