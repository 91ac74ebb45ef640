"""Keras's preprocessing layers: data preparation inside the model, so a saved model takes raw
inputs (pixels, features, strings) and carries its preprocessing with it.

* ``rescaling``         Rescaling: ``x * scale + offset``
* ``normalization``     Normalization: standardise features with a mean and variance from ``adapt``
* ``discretization``    Discretization: continuous values into buckets
* ``category_encoding`` CategoryEncoding: ids as one-hot / multi-hot / count vectors
* ``lookup``            StringLookup, IntegerLookup: categories to vocabulary indices
* ``hashing``           Hashing: categories into bins by a stable hash
* ``text_vectorization`` TextVectorization: strings to token ids or bag-of-words vectors
* ``image_resizing``    Resizing, CenterCrop: images to a fixed size
* ``image_augmentation`` RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomCrop,
                        RandomContrast, RandomBrightness: random changes while training

The layers with state learn it with ``layer.adapt(data)`` (``adapt_data``: arrays, lists,
``tf.data`` datasets, generators). Text stays on the host as arrays of ``str``
(``minidl.layers.text_values``); only numbers go to the device.
"""

from minidl.layers.preprocessing.category_encoding import CategoryEncoding
from minidl.layers.preprocessing.discretization import Discretization
from minidl.layers.preprocessing.hashing import Hashing
from minidl.layers.preprocessing.image_augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from minidl.layers.preprocessing.image_resizing import CenterCrop, Resizing
from minidl.layers.preprocessing.lookup import IntegerLookup, StringLookup
from minidl.layers.preprocessing.normalization import Normalization
from minidl.layers.preprocessing.rescaling import Rescaling
from minidl.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "IntegerLookup", "Normalization",
           "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation", "RandomTranslation",
           "RandomZoom", "Rescaling", "Resizing", "StringLookup", "TextVectorization"]
