"""``keras.optimizers.legacy`` (TensorFlow 2.11+): the Keras 2 optimizers, which are the ones
minidl implements, so these are the same classes as ``keras.optimizers``."""

from minidl.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, Nadam, Optimizer, RMSprop

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "Adamax", "Nadam", "Optimizer", "RMSprop"]
