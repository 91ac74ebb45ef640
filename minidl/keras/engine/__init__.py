"""``keras.engine`` (Keras 2 / ``tf.keras`` 2.x): the module path TensorFlow 2-era custom
``train_step`` code imports ``data_adapter`` from (``from keras.engine import data_adapter``)."""

from minidl.keras.engine import data_adapter

__all__ = ["data_adapter"]
