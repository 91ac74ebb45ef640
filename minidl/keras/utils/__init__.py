"""``keras.utils``: labels to one-hot (``to_categorical``), model pictures (``plot_model``),
seeding, file fetching, the ``Sequence`` base class for batch generators, and the ``tf.data``
dataset builders (``image_dataset_from_directory``, ``text_dataset_from_directory``,
``timeseries_dataset_from_array``)."""

from minidl.keras import unsupported as _unsupported
from minidl.keras.preprocessing.image import array_to_img, img_to_array
from minidl.keras.utils import np_utils, vis_utils
from minidl.keras.utils.data_utils import PyDataset, Sequence, get_file
from minidl.keras.utils.dataset_utils import (
    image_dataset_from_directory,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from minidl.keras.utils.generic_utils import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    disable_interactive_logging,
    enable_interactive_logging,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
    set_random_seed,
)
from minidl.keras.utils.np_utils import normalize, to_categorical
from minidl.keras.utils.vis_utils import model_to_dot, plot_model
from minidl.models.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight
from minidl.preprocessing.image_io import load_img
from minidl.preprocessing.sequence import pad_sequences

__all__ = [
    "CustomObjectScope", "PyDataset", "Sequence", "array_to_img", "custom_object_scope", "deserialize_keras_object",
    "disable_interactive_logging", "enable_interactive_logging", "get_custom_objects", "get_registered_name",
    "get_registered_object", "serialize_keras_object", "get_file", "image_dataset_from_directory", "img_to_array", "load_img", "model_to_dot",
    "normalize", "np_utils", "pack_x_y_sample_weight", "pad_sequences", "plot_model", "register_keras_serializable", "set_random_seed",
    "text_dataset_from_directory", "timeseries_dataset_from_array", "to_categorical", "unpack_x_y_sample_weight", "vis_utils",
]


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
