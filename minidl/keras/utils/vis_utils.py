"""Keras 2's ``keras.utils.vis_utils``: ``plot_model`` and ``model_to_dot``, which minidl draws
without pydot (see ``minidl.models.diagram``)."""

from minidl.models.diagram import model_to_dot, plot_model

__all__ = ["model_to_dot", "plot_model"]
