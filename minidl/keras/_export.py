"""``export``: copy a minidl module's public names into a face module.

The faces hold no objects of their own: ``minidl.keras.losses`` *is* ``minidl.losses`` under
Keras's name. Copying the source module's ``__all__`` (rather than listing names by hand) keeps
a face complete when the module grows.
"""


def export(module, namespace, skip=()):
    """Put every name of ``module.__all__`` into ``namespace`` (without ``__all__``: the public classes and
    functions the module defines)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name, value in vars(module).items() if not name.startswith("_") and _defined_in(value, module)]
    exported = []
    for name in names:
        if name in skip:
            continue
        namespace[name] = getattr(module, name)
        exported.append(name)
    return exported


def _defined_in(value, module):
    """Whether ``value`` is a class or function of ``module`` itself (not something it imported)."""
    return getattr(value, "__module__", None) == module.__name__
