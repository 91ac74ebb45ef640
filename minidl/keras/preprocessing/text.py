"""``keras.preprocessing.text``: ``Tokenizer`` and the word-splitting helpers."""

import minidl.preprocessing.text as _minidl_text
from minidl.keras._export import export as _export

__all__ = _export(_minidl_text, globals())
