"""``keras.preprocessing.sequence``: ``pad_sequences`` (Keras's defaults: pre-padding,
pre-truncation), and TensorFlow 2.15's ``TimeseriesGenerator``, ``skipgrams`` and
``make_sampling_table``."""

from minidl.preprocessing.sequence import TimeseriesGenerator, make_sampling_table, pad_sequences, skipgrams

__all__ = ["TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams"]
