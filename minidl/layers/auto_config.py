"""Keras 3's automatic config of a user's layer or model: the arguments its constructor was
called with, recorded at construction, so that a class written without ``get_config`` still
saves and loads as it was made (``Scale(10.0)`` must not come back as ``Scale()``).

Only plain values are recorded as a config: None, booleans, numbers, strings, and lists, tuples
and dicts of them. A constructor given anything else (a layer, an array, a function) has no
automatic config; asking for one is an error that says to write ``get_config``, as in Keras.
"""

import functools
import inspect
import numbers


def recording_arguments(init):
    """``init`` (a user class's ``__init__``) that first records the arguments of the outermost
    call -- the most derived class's, before ``super().__init__`` runs the others -- on the
    instance as ``_constructor_arguments`` (None when they cannot be bound by name)."""

    @functools.wraps(init)
    def init_and_record(self, *args, **kwargs):
        if "_constructor_arguments" not in self.__dict__:
            object.__setattr__(self, "_constructor_arguments", _named_arguments(init, self, args, kwargs))
        return init(self, *args, **kwargs)

    init_and_record._records_arguments = True
    return init_and_record


def _named_arguments(init, instance, args, kwargs):
    """{name: value} of the call, ``**kwargs`` spread out; None if it used ``*args``."""
    try:
        bound = inspect.signature(init).bind(instance, *args, **kwargs)
    except TypeError:
        return None  # the call itself will fail with Python's own message
    parameters = inspect.signature(init).parameters
    named = {}
    for name, value in list(bound.arguments.items())[1:]:
        kind = parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                return None
        elif kind is inspect.Parameter.VAR_KEYWORD:
            named.update(value)
        else:
            named[name] = value
    return named


def auto_config(layer):
    """The recorded constructor arguments of ``layer`` as a config, or a ValueError saying that
    its class needs a ``get_config`` (arguments that are not plain values, or none recorded)."""
    arguments = layer.__dict__.get("_constructor_arguments")
    if arguments is None:
        raise ValueError(f"{type(layer).__name__}: its constructor arguments could not be recorded (it takes *args); "
                         "give the class a get_config() returning them")
    unplain = sorted(name for name, value in arguments.items() if not _is_plain(value))
    if unplain:
        raise ValueError(f"{type(layer).__name__}: the constructor argument(s) {unplain} are not plain values "
                         "(numbers, strings, lists, dicts), so they cannot be saved automatically; give the class "
                         "a get_config() (and a from_config() that rebuilds them)")
    return dict(arguments)


def _is_plain(value):
    if value is None or isinstance(value, (bool, str, numbers.Number)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain(item) for key, item in value.items())
    return False
