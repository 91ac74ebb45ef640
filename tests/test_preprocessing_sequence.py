"""pad_sequences (Keras semantics, checked against a plain-Python reference) and get_lookback."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.preprocessing.sequence import get_lookback, pad_sequences


def reference_pad(sequences, maxlen, padding, truncating, value):
    """Keras's rules written out with lists."""
    if maxlen is None:
        maxlen = max((len(s) for s in sequences), default=0)
    rows = []
    for sequence in sequences:
        sequence = list(sequence)
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        if not sequence:
            kept = []
        filler = [value] * (maxlen - len(kept))
        rows.append(filler + kept if padding == "pre" else kept + filler)
    return rows


@settings(max_examples=60, deadline=None)
@given(
    sequences=st.lists(st.lists(st.integers(-50, 50), max_size=12), max_size=8),
    maxlen=st.one_of(st.none(), st.integers(1, 15)),
    padding=st.sampled_from(["pre", "post"]),
    truncating=st.sampled_from(["pre", "post"]),
    value=st.integers(-3, 3),
)
def test_pad_sequences_matches_reference(sequences, maxlen, padding, truncating, value):
    padded = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=value)
    expected = reference_pad(sequences, maxlen, padding, truncating, value)
    assert padded.dtype == np.int32
    assert padded.shape == (len(sequences), maxlen if maxlen is not None else max((len(s) for s in sequences), default=0))
    assert padded.tolist() == expected


def test_keras_examples():
    sequences = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]]
    assert pad_sequences(sequences, maxlen=4).tolist() == [[0, 1, 2, 3], [0, 0, 4, 5], [7, 8, 9, 10]]
    assert pad_sequences(sequences, maxlen=4, padding="post", truncating="post").tolist() == [
        [1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]]
    assert pad_sequences([[1.7, -2.2]], maxlen=3).tolist() == [[0, 1, -2]]  # int32 cast truncates
    floats = pad_sequences([[0.5], []], maxlen=2, dtype="float32", value=-1.0)
    assert floats.tolist() == [[-1.0, 0.5], [-1.0, -1.0]] and floats.dtype == np.float32
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences(np.array([[1, 2], [3, 4]]), maxlen=3).tolist() == [[0, 1, 2], [0, 3, 4]]


def test_multidimensional_items():
    padded = pad_sequences([[[1, 1], [2, 2]], [[3, 3]]], maxlen=3, dtype="float32")
    assert padded.shape == (2, 3, 2)
    assert padded[1].tolist() == [[0, 0], [0, 0], [3, 3]]
    with pytest.raises(ValueError, match=r"sequences\[1\] has items of shape \(3,\)"):
        pad_sequences([[[1, 1]], [[1, 2, 3]]])


@pytest.mark.parametrize("maxlen", [0, -3, 2.5, True])
def test_bad_maxlen_is_named(maxlen):
    with pytest.raises(ValueError, match=f"pad_sequences: maxlen must be a positive int or None, got {maxlen!r}"):
        pad_sequences([[1, 2]], maxlen=maxlen)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post', got 'middle'"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="truncating must be 'pre' or 'post', got 'both'"):
        pad_sequences([[1]], truncating="both")
    with pytest.raises(ValueError, match=r"sequences\[1\] is not a sequence"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="use dtype=object"):
        pad_sequences([["a"]], value="x")


def test_get_lookback_matches_the_books_pandas_version():
    pd = pytest.importorskip("pandas", reason="the book's reference implementation uses pandas")
    series = np.linspace(0.0, 1.0, 23).reshape(-1, 1)

    def book_get_lookback(inp, look_back):
        y = pd.DataFrame(inp)
        data_x = pd.concat([y.shift(i) for i in range(1, look_back + 1)], axis=1)
        data_x = data_x.fillna(0)
        return data_x.values, y.values

    x, y = get_lookback(series, look_back=10)
    x_book, y_book = book_get_lookback(series, 10)
    np.testing.assert_array_equal(x, x_book)
    np.testing.assert_array_equal(y, y_book)
    assert x.shape == (23, 10)
    assert x[3].tolist()[:4] == [series[2, 0], series[1, 0], series[0, 0], 0.0]  # newest first, zero-filled

    two = np.arange(12.0).reshape(6, 2)
    x2, _ = get_lookback(two, look_back=2)
    np.testing.assert_array_equal(x2, book_get_lookback(two, 2)[0])


def test_get_lookback_plain_and_errors():
    x, y = get_lookback([1.0, 2.0, 3.0], look_back=2)
    assert x.tolist() == [[0, 0], [1, 0], [2, 1]] and y.tolist() == [[1], [2], [3]]
    with pytest.raises(ValueError, match="look_back must be a positive int, got 0"):
        get_lookback([1.0], look_back=0)


def test_pad_sequences_names_the_sequence_whose_items_are_not_numbers():
    with pytest.raises(ValueError, match=r"pad_sequences: sequences\[1\] holds items that are not int32 values .*"
                                         r"dtype=object"):
        pad_sequences([[1, 2], [3, "a"]])
    assert pad_sequences([["a"], ["b", "c"]], dtype=object, value="").tolist() == [["", "a"], ["b", "c"]]
