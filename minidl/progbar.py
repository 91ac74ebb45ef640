"""minidl's one progress bar: Keras's output for fit / evaluate / predict, and dataset downloads.

verbose=1 redraws one line in place (``\\r``), at most every 0.05 s, then finishes it (when the
output is not a terminal or a notebook -- a log file, a pipe -- only the finished line is
written, as Keras does, so logs are not flooded with redraws)::

    469/469 [==============================] - 3s 6ms/step - loss: 0.2345 - accuracy: 0.9302

while running the time per step is replaced by ``ETA: 12s``. verbose=2 prints one line when the
epoch ends::

    469/469 - 3s - loss: 0.2345 - accuracy: 0.9302 - val_loss: 0.1011

Values are printed with four decimals, or in scientific notation at or below 1e-3, as Keras does.
The bar never reads device values itself: the training loop asks ``due()`` first and reads the
metrics (one host transfer) only when a line is about to be drawn.

A download draws the same bar with a label and its counts in megabytes, on stderr::

    Downloading train-images-idx3-ubyte.gz 4.2/9.9 MB [============>.................] - ETA: 3s
"""

import sys
import time


def format_value(value):
    if isinstance(value, float) or hasattr(value, "__float__"):
        value = float(value)
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    return str(value)


def _format_duration(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(eta):
    if eta > 3600:
        return f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


def _is_interactive(stream):
    """A terminal or a Jupyter kernel redraws lines in place; files and pipes do not."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) or "ipykernel" in sys.modules


def step_counts(current, target):
    """Keras's counts: ``  7/469`` (right-aligned to the target's width), ``      7/Unknown``."""
    if target is None:
        return f"{current:7d}/Unknown"
    return f"{current:>{len(str(target))}d}/{target}"


def megabytes(current, target):
    """A download's counts: ``4.2/9.9 MB``, or ``4.2 MB`` when the size was not announced."""
    if target is None:
        return f"{current / 1e6:.1f} MB"
    return f"{current / 1e6:.1f}/{target / 1e6:.1f} MB"


class Progbar:
    """A progress bar over ``target`` steps (None when unknown), Keras's layout and timing.

    ``label`` is written before the counts, ``counts(current, target)`` formats them (Keras's
    step counts by default, ``megabytes`` for a download), and ``unit_name`` names the unit of
    the time per step in the finished line (None leaves that out).
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, unit_name="step", stream=None, label=None,
                 counts=step_counts):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.label = label
        self.counts = counts
        self._stream = stream
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._drawn_width = 0
        self.dynamic = _is_interactive(self.stream)

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def due(self, current, finalize=False):
        """Would ``update(current)`` draw anything? (Asked before reading device values.)"""
        if self.verbose == 1:
            return finalize or (self.dynamic and time.time() - self._last_update >= self.interval)
        return self.verbose == 2 and finalize

    def update(self, current, values=(), finalize=None):
        """Draw the bar at step ``current`` with ``values`` (pairs of name and number)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.time()
        if self.verbose == 1:
            if not finalize and (not self.dynamic or now - self._last_update < self.interval):
                return
            self._draw_line(current, values, finalize, now)
            self._last_update = now
        elif self.verbose == 2 and finalize:
            target = self.target if self.target is not None else current
            line = f"{self._prefix()}{self.counts(current, target)} - {now - self._start:.0f}s"
            line += "".join(f" - {name}: {format_value(value)}" for name, value in values)
            self.stream.write(line + "\n")
            self.stream.flush()

    def _prefix(self):
        return f"{self.label} " if self.label else ""

    def _draw_line(self, current, values, finalize, now):
        bar = self._prefix() + self.counts(current, self.target)
        if self.target is not None:
            bar += " ["
            filled = int(self.width * current / self.target) if self.target else self.width
            if filled > 0:
                bar += "=" * (filled - 1) + (">" if current < self.target else "=")
            bar += "." * (self.width - filled) + "]"
        time_per_step = self._step_duration(current, now)
        if self.target is None or finalize:
            info = f" - {now - self._start:.0f}s"
            if self.unit_name:
                info += f" {_format_duration(time_per_step, self.unit_name)}"
        else:
            info = f" - ETA: {_format_eta(time_per_step * (self.target - current))}"
        info += "".join(f" - {name}: {format_value(value)}" for name, value in values)
        line = bar + info
        padding = max(self._drawn_width - len(line), 0)
        self._drawn_width = len(line)
        self.stream.write("\r" + line + " " * padding + ("\n" if finalize else ""))
        self.stream.flush()

    def _step_duration(self, current, now):
        """Seconds per step, leaving out the first step (which pays for warm-up) once possible."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            duration = (now - self._time_after_first_step) / (current - 1)
        else:
            duration = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return duration
