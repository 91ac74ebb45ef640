"""Layer wrappers: ``Bidirectional`` runs a recurrent layer forwards and backwards in time.

As in Keras, ``Bidirectional(LSTM(32))`` makes two fresh copies of the layer from its config --
``forward_lstm`` and ``backward_lstm`` (the latter with ``go_backwards`` flipped) -- and merges
their outputs. The backward copy reads the sequence from its end; when it returns sequences,
its output is reversed back to input order before merging, so step t of the merged output
sees the whole sequence. Weights are [forward..., backward...].
"""

from minidl import ops
from minidl.layers.base import Layer
from minidl.layers.recurrent import GRU, LSTM, BaseRNN, SimpleRNN

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)
_RECURRENT_CLASSES = {cls.__name__: cls for cls in (SimpleRNN, LSTM, GRU)}


def _copy_layer(layer, name, **changes):
    return type(layer).from_config({**layer.get_config(), "name": name, **changes})


def _layer_from_config(config):
    try:
        cls = _RECURRENT_CLASSES[config["class_name"]]
    except KeyError:
        raise ValueError(
            f"Bidirectional.from_config: unknown layer class {config['class_name']!r}; "
            f"expected one of {sorted(_RECURRENT_CLASSES)}"
        ) from None
    return cls.from_config(config["config"])


class Bidirectional(Layer):
    """Run ``layer`` over the sequence in both directions and merge the two outputs.

    Input ``(batch, time, features)``; output as the wrapped layer's, ``(batch, units)`` or
    ``(batch, time, units)``, with the last axis doubled (2 * units) for 'concat'; with
    ``return_state``, the forward layer's states follow the output, then the backward layer's.
    With a stateful layer each direction carries its own states from batch to batch
    (``states``, ``reset_states()``).

    Weights, in Keras's order: the forward layer's (e.g. kernel, recurrent_kernel, bias), then
    the backward layer's.

    Arguments:
        layer: a SimpleRNN, LSTM or GRU; two fresh copies are made from its config.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (a list of both outputs).
        backward_layer: optionally the backward layer itself (it must have the opposite
            ``go_backwards`` and the same ``stateful`` / ``return_sequences`` / ``return_state``).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, layer: BaseRNN, merge_mode: str | None = "concat", backward_layer: BaseRNN | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, BaseRNN):
            raise TypeError(
                f"{self.name} (Bidirectional): layer must be a recurrent layer (SimpleRNN, LSTM, GRU), "
                f"got {type(layer).__name__}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"{self.name} (Bidirectional): merge_mode must be one of {_MERGE_MODES}, got {merge_mode!r}"
            )
        self.merge_mode = merge_mode
        self.layer_config = {"class_name": type(layer).__name__, "config": layer.get_config()}
        self.forward_layer = _copy_layer(layer, "forward_" + layer.name)
        if backward_layer is None:
            self.backward_layer = _copy_layer(layer, "backward_" + layer.name, go_backwards=not layer.go_backwards)
            self.backward_layer_config = None
        else:
            self._check_backward_layer(layer, backward_layer)
            self.backward_layer_config = {"class_name": type(backward_layer).__name__,
                                          "config": backward_layer.get_config()}
            self.backward_layer = _copy_layer(backward_layer, "backward_" + backward_layer.name)
        self.track(self.forward_layer)
        self.track(self.backward_layer)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful

    def _check_backward_layer(self, layer, backward_layer):
        if not isinstance(backward_layer, BaseRNN):
            raise TypeError(
                f"{self.name} (Bidirectional): backward_layer must be a recurrent layer, got "
                f"{type(backward_layer).__name__}"
            )
        if backward_layer.go_backwards == layer.go_backwards:
            raise ValueError(
                f"{self.name} (Bidirectional): backward_layer.go_backwards must be the opposite of "
                f"layer.go_backwards (both are {layer.go_backwards})"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(backward_layer, attribute) != getattr(layer, attribute):
                raise ValueError(
                    f"{self.name} (Bidirectional): backward_layer.{attribute} must equal layer.{attribute} "
                    f"({getattr(layer, attribute)}), got {getattr(backward_layer, attribute)}"
                )

    def call(self, inputs, training=False, initial_state=None, mask=None):
        if mask is None:
            mask = getattr(inputs, "mask", None)
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            if len(initial_state) % 2:
                raise ValueError(
                    f"{self.name} (Bidirectional): initial_state must hold the forward layer's states "
                    f"followed by the backward layer's, got {len(initial_state)} tensor(s)"
                )
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        forward = self.forward_layer(inputs, training=training, initial_state=forward_state, mask=mask)
        backward = self.backward_layer(inputs, training=training, initial_state=backward_state, mask=mask)
        states = []
        if self.return_state:
            states = list(forward[1:]) + list(backward[1:])
            forward, backward = forward[0], backward[0]
        if self.return_sequences:
            backward = ops.flip(backward, axis=1)  # back to input order
        merged = self._merge(forward, backward)
        output_mask = mask if self.return_sequences else None
        for output in merged if isinstance(merged, list) else [merged]:
            output.mask = output_mask
        if self.return_state:
            return (merged if isinstance(merged, list) else [merged]) + states
        return merged

    # -- stateful=True: each direction carries its own states (see BaseRNN) --------------------
    @property
    def states(self):
        """The forward layer's carried states, then the backward layer's (None unless stateful
        and built), as Keras's ``Bidirectional.states``."""
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def reset_states(self):
        """Set both directions' carried states back to zeros (Keras's ``reset_states`` /
        ``reset_state``); refused, as in Keras, when the wrapped layer is not stateful."""
        if not self.stateful:
            raise AttributeError(f"{self.name} (Bidirectional): reset_states needs a stateful layer "
                                 "(the wrapped layer was made without stateful=True)")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def reset_state(self):
        """Keras 3's name of :meth:`reset_states`."""
        self.reset_states()

    def _merge(self, forward, backward):
        if self.merge_mode == "concat":
            return ops.concatenate([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return forward + backward
        if self.merge_mode == "mul":
            return forward * backward
        if self.merge_mode == "ave":
            return (forward + backward) * 0.5
        return [forward, backward]

    def get_config(self):
        config = {**super().get_config(), "layer": self.layer_config, "merge_mode": self.merge_mode}
        if self.backward_layer_config is not None:
            config["backward_layer"] = self.backward_layer_config
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = _layer_from_config(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        return cls(layer, backward_layer=None if backward is None else _layer_from_config(backward), **config)
