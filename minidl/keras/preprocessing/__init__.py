"""``keras.preprocessing``: sequence padding, text tokenising and image augmentation (minidl's
``minidl.preprocessing``), in Keras's submodules ``sequence``, ``text`` and ``image``."""

from minidl.keras.preprocessing import image, sequence, text

__all__ = ["image", "sequence", "text"]
