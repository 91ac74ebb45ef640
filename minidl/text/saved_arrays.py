"""The files of ``Word2Vec.save`` and ``KeyedVectors.save``: named NumPy arrays in one ``.npz``.

gensim pickles its models; minidl stores plain arrays (words as a unicode array, settings as a
JSON string), read back with pickling refused, so loading a file runs no code from it. Each file
names what saved it, and a file that is not one of these -- another program's, a damaged or
truncated one, gensim's pickle -- is refused with the file's name and what was wrong.
"""

import io
import json
import pathlib
import zipfile

import numpy as np

from minidl.fileio import atomic_write_bytes

FORMAT_KEY = "minidl_format"


def save_arrays(path, kind, arrays, settings=None):
    """Write ``arrays`` (name -> array) and ``settings`` (JSON-able) to ``path`` atomically."""
    buffer = io.BytesIO()
    extra = {} if settings is None else {"settings": np.array(json.dumps(settings))}
    np.savez(buffer, **{FORMAT_KEY: np.array(kind)}, **extra, **arrays)
    atomic_write_bytes(pathlib.Path(path), buffer.getvalue(), make_parents=False)


def load_arrays(path, kind, required):
    """(arrays, settings) from a file ``save_arrays`` wrote for ``kind``; every name in
    ``required`` must be there."""
    path = pathlib.Path(path)
    where = f"{kind}.load: {path}"
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"{where}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"{where} is not a file saved by minidl's {kind}.save (a damaged file, or another "
                         f"program's -- gensim's pickled models cannot be read; export gensim's vectors with "
                         f"save_word2vec_format): {error}") from None
    saved_kind = arrays.pop(FORMAT_KEY, None)
    if saved_kind is None or saved_kind.shape != () or str(saved_kind) != kind:
        found = "no format name" if saved_kind is None else f"format {str(saved_kind)[:40]!r}"
        raise ValueError(f"{where} is not a file saved by minidl's {kind}.save ({found})")
    missing = [name for name in required if name not in arrays]
    if missing:
        raise ValueError(f"{where}: the file lacks {missing}; it is damaged or not complete")
    settings = None
    if "settings" in arrays:
        try:
            settings = json.loads(str(arrays.pop("settings")))
        except ValueError as error:
            raise ValueError(f"{where}: its settings are not valid JSON: {error}") from None
    return arrays, settings
