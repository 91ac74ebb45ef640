"""``keras.preprocessing``: sequence padding, text tokenising and image augmentation (minidl's
``minidl.preprocessing``), in Keras's submodules ``sequence``, ``text`` and ``image``; and the
``tf.data`` dataset builders under the names Keras 2 gave them here (the same functions as
``keras.utils.image_dataset_from_directory`` and its siblings)."""

from minidl.keras.preprocessing import image, sequence, text
from minidl.keras.utils.dataset_utils import (
    image_dataset_from_directory,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)

__all__ = ["image", "image_dataset_from_directory", "sequence", "text", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
