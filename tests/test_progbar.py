"""minidl.progbar: the one progress bar -- Keras's lines for fit/evaluate/predict, and a labelled
bar counting megabytes for downloads."""

import io

from minidl.progbar import Progbar, megabytes, step_counts


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_keras_lines_for_training():
    stream = io.StringIO()  # not a terminal: only the finished line
    bar = Progbar(10, stream=stream)
    for step in range(1, 10):
        bar.update(step, [("loss", 0.5)])
    bar.update(10, [("loss", 0.25), ("accuracy", 0.0001)])
    line = stream.getvalue()
    assert line.startswith("\r10/10 [==============================] - 0s ")
    assert line.endswith("/step - loss: 0.2500 - accuracy: 1.0000e-04\n") and line.count("\n") == 1


def test_verbose_two_prints_one_line_at_the_end():
    stream = io.StringIO()
    bar = Progbar(None, verbose=2, stream=stream)
    bar.update(5, [("loss", 1.5)])
    bar.update(7, [("loss", 1.25)], finalize=True)
    assert stream.getvalue().startswith("7/7 - 0s - loss: 1.2500")


def test_a_terminal_sees_the_bar_redrawn_in_place_with_an_eta():
    stream = Terminal()
    bar = Progbar(4, stream=stream, interval=0)
    bar.update(1)
    bar.update(2)
    assert stream.getvalue().count("\r") == 2 and "ETA: " in stream.getvalue() and "\n" not in stream.getvalue()
    assert stream.getvalue().startswith("\r1/4 [" + "=" * 6 + ">" + "." * 23 + "] - ETA: ")


def test_a_download_bar_has_a_label_and_megabytes():
    stream = Terminal()
    bar = Progbar(3_000_000, unit_name=None, label="Downloading data.gz", counts=megabytes, stream=stream, interval=0)
    bar.update(1_500_000, finalize=False)
    bar.update(3_000_000, finalize=True)
    first, finished = stream.getvalue().split("\r")[1:]
    assert first.startswith("Downloading data.gz 1.5/3.0 MB [" + "=" * 14 + ">" + "." * 15 + "] - ETA: ")
    assert finished.startswith("Downloading data.gz 3.0/3.0 MB [==============================] - 0s")
    assert "/step" not in finished and finished.endswith("\n")


def test_counts():
    assert step_counts(7, 469) == "  7/469" and step_counts(7, None) == "      7/Unknown"
    assert megabytes(4_200_000, 9_900_000) == "4.2/9.9 MB" and megabytes(4_200_000, None) == "4.2 MB"
