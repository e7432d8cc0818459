"""A learning-rate curve drawn in the terminal, in braille dots: no dependencies.

Each character cell holds 2 x 4 braille dots, so a plot of ``W`` columns and ``H``
rows has ``2W x 4H`` dots. Every dot column covers a range of steps; the schedule is
evaluated (with Python numbers, exactly) at the ends of that range and on both sides
of every phase boundary inside it, and the column is filled from the lowest to the
highest of those values and joined to its neighbour, so a jump or a restart is drawn
whole, however many steps a column covers.

Several curves are told apart by colour (ANSI) or, without colour, by drawing each
with its own marker character instead of braille dots.

>>> text = render([Series("linear", lambda t: 1.0 - t / 100)], 100, width=40, height=8)
>>> print(text, end="")
  1 ┤⠉⠒⠢⢤⣀⡀
    │     ⠈⠙⠒⠤⠤⣀⡀
    │           ⠉⠑⠒⠦⢄⣀
0.5 ┤                 ⠉⠙⠒⠤⢤⣀
    │                       ⠉⠑⠒⠦⢄⣀
  0 ┤                             ⠉⠑⠒⠤⣄
    └┬───────────────┬────────────────┬
     0              50              100
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

BRAILLE = 0x2800
# dot bit of (x, y) within a cell: x in 0..1 (left, right), y in 0..3 (top to bottom)
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
#: ANSI colours, in matplotlib's default order (blue, orange, green, red, purple, ...)
COLORS = ("38;5;32", "38;5;208", "38;5;34", "38;5;160", "38;5;98", "38;5;94", "38;5;169")
DIM = "2"
#: the characters that tell curves apart when there is no colour
MARKERS = ("•", "×", "+", "o", "*", "#", "%")
BOUNDARY = "┊"
MIN_WIDTH, MIN_HEIGHT = 12, 3


class TooSmall(ValueError):
    """The terminal is too small for a plot."""


@dataclass
class Series:
    """One curve: a label, the schedule as a function of an integer step, its boundaries."""

    label: str
    at: Callable[[int], float]
    boundaries: Sequence[tuple[Any, str]] = field(default_factory=tuple)


def render(
    series: Sequence[Series],
    last_step: int,
    *,
    width: int = 80,
    height: int = 24,
    log_y: bool = False,
    color: bool = False,
    title: str | None = None,
    legend: bool | None = None,
) -> str:
    """The plot of ``series`` over steps ``0..last_step``, at most ``width`` x ``height``.

    ``height`` counts every line written: the title, the axes and the legend
    (shown by default for more than one curve).
    """
    if legend is None:
        legend = len(series) > 1
    reserved = 2 + (1 if title else 0) + (len(series) + 1 if legend else 0)
    rows = height - reserved
    if last_step < 1:
        last_step = 1
    # evaluate first: the y range sets the label width, which sets the plot width
    pixels_guess = 2 * max(width - 12, MIN_WIDTH)
    columns = [_sample(s, last_step, pixels_guess) for s in series]
    ys = [y for col in columns for cell in col for y in cell if _shown(y, log_y)]
    if not ys:
        raise ValueError(
            "no positive learning rate to draw on a log scale" if log_y else "nothing to draw"
        )
    lo, hi = _y_range(ys, log_y)
    labels = _y_labels(lo, hi, rows, log_y)
    label_width = max(len(t) for t in labels.values()) if labels else 1
    plot_width = width - label_width - 3  # " ┤" before, one space after
    if plot_width < MIN_WIDTH or rows < MIN_HEIGHT:
        raise TooSmall(
            f"the terminal ({width}x{height}) is too small for a plot; "
            f"it needs at least {MIN_WIDTH + label_width + 3}x{MIN_HEIGHT + reserved}"
        )
    if 2 * plot_width != pixels_guess:
        columns = [_sample(s, last_step, 2 * plot_width) for s in series]

    markers = len(series) > 1 and not color
    canvas = _Canvas(plot_width, rows, len(series), markers)
    for index, cols in enumerate(columns):
        canvas.curve(index, cols, lambda y: _to_pixel(y, lo, hi, 4 * rows, log_y))
    marks = _boundary_columns(series, last_step, plot_width)
    lines = []
    if title:
        lines.append(_fit(title, width))
    for r in range(rows):
        label = labels.get(r, "")
        axis = "┤" if r in labels else "│"
        lines.append(f"{label:>{label_width}} {axis}{canvas.row(r, marks, color)}".rstrip())
    ticks = _x_ticks(last_step, plot_width)
    axis_row = ["─"] * plot_width
    for col in ticks:
        axis_row[col] = "┬"
    lines.append(" " * label_width + " └" + "".join(axis_row))
    lines.append(" " * (label_width + 2) + _x_labels(ticks, plot_width).rstrip())
    if legend:
        for i, s in enumerate(series):
            key = MARKERS[i % len(MARKERS)] * 2 if markers else "━━"
            if color:
                key = f"\x1b[{COLORS[i % len(COLORS)]}m{key}\x1b[0m"
            lines.append(_fit(f"  {key} {s.label}", width, len(key) - 2))
        if marks:
            lines.append(f"  {BOUNDARY}  phase boundary")
        else:
            lines.append("")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n") + "\n"


# -- sampling ----------------------------------------------------------------------------


def _sample(series: Series, last_step: int, pixels: int) -> list[list[float]]:
    """For each dot column: the values at the steps it covers, in step order."""
    edges = [round(c * last_step / pixels) for c in range(pixels + 1)]
    # each boundary's step and its neighbours, in the column whose steps hold them
    inside: dict[int, list[int]] = {}
    for step, _label in series.boundaries:
        if 0 <= step <= last_step:
            s = math.floor(step)
            for x in (s - 1, s, s + 1):
                if 0 <= x <= last_step:
                    col = min(max(bisect.bisect_right(edges, x) - 1, 0), pixels - 1)
                    inside.setdefault(col, []).append(x)
    out = []
    for c in range(pixels):
        a, b = edges[c], max(edges[c], edges[c + 1] - 1)
        if c == pixels - 1:
            b = last_step
        steps = sorted({a, b, *(s for s in inside.get(c, ()) if a <= s <= b)})
        out.append([series.at(s) for s in steps])
    return out


def _shown(y: float, log_y: bool) -> bool:
    return math.isfinite(y) and (y > 0 or not log_y)


def _y_range(ys: list[float], log_y: bool) -> tuple[float, float]:
    if log_y:
        ys = [math.log10(y) for y in ys]
    lo, hi = min(ys), max(ys)
    if lo == hi:
        pad = 1.0 if log_y else (abs(lo) * 0.1 or 1.0)
        lo, hi = lo - pad, hi + pad
    return lo, hi


def _to_pixel(y: float, lo: float, hi: float, pixels: int, log_y: bool) -> int | None:
    if not _shown(y, log_y):
        return None
    v = math.log10(y) if log_y else y
    return min(max(round((hi - v) / (hi - lo) * (pixels - 1)), 0), pixels - 1)


# -- the canvas --------------------------------------------------------------------------


class _Canvas:
    def __init__(self, width: int, rows: int, n: int, markers: bool) -> None:
        self.width, self.rows, self.markers = width, rows, markers
        self.bits = [[0] * width for _ in range(rows)]
        self.owner = [[-1] * width for _ in range(rows)]

    def dot(self, index: int, x: int, y: int) -> None:
        cx, cy = x // 2, y // 4
        self.bits[cy][cx] |= _DOTS[x % 2][y % 4]
        self.owner[cy][cx] = index

    def curve(self, index: int, columns: list[list[float]], pixel: Callable[..., Any]) -> None:
        prev: int | None = None
        for x, values in enumerate(columns):
            ys = [p for p in map(pixel, values) if p is not None]
            if not ys:
                prev = None
                continue
            top, bottom = min(ys), max(ys)
            if prev is not None:  # join to the previous column's last value
                if ys[0] > prev + 1:
                    top = min(top, prev + 1)
                elif ys[0] < prev - 1:
                    bottom = max(bottom, prev - 1)
            for y in range(top, bottom + 1):
                self.dot(index, x, y)
            prev = ys[-1]

    def row(self, r: int, marks: dict[int, bool], color: bool) -> str:
        cells: list[tuple[str, str | None]] = []  # (character, ANSI colour or None)
        for c in range(self.width):
            bits, owner = self.bits[r][c], self.owner[r][c]
            if not bits:
                ch = BOUNDARY if c in marks else " "
                cells.append((ch, DIM if ch != " " else None))
                continue
            ch = MARKERS[owner % len(MARKERS)] if self.markers else chr(BRAILLE + bits)
            cells.append((ch, COLORS[owner % len(COLORS)]))
        if not color:
            return "".join(ch for ch, _ in cells)
        out, current = [], None
        for ch, code in cells:  # one escape sequence per run of a colour
            if code != current and ch != " ":
                out.append("\x1b[0m" if code is None else f"\x1b[0m\x1b[{code}m")
                current = code
            out.append(ch)
        if current is not None:
            out.append("\x1b[0m")
        return "".join(out).replace("\x1b[0m\x1b[0m", "\x1b[0m")


def _boundary_columns(series: Sequence[Series], last_step: int, width: int) -> dict[int, bool]:
    cols = {
        min(int(step * width / last_step), width - 1): True
        for s in series
        for step, _label in s.boundaries
        if 0 < step <= last_step
    }
    return cols if len(cols) <= width // 4 else {}


# -- axes ----------------------------------------------------------------------------------


def format_value(y: float) -> str:
    """A learning rate, short: ``0.001``, ``1e-05``, ``0.125``."""
    if y == 0:
        return "0"
    text = f"{y:.3g}"
    return text.replace("e-0", "e-").replace("e+0", "e+")


def format_step(step: float) -> str:
    """A step count, short: ``500``, ``10000``, ``250k``, ``1.5M``, ``2G``.

    >>> [format_step(s) for s in (0, 500, 10_000, 250_000, 1_500_000, 2 * 10**9)]
    ['0', '500', '10000', '250k', '1.5M', '2G']
    """
    if abs(step) < 100_000:
        return f"{step:g}" if step != int(step) else str(int(step))
    for div, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if abs(step) >= div:
            return f"{step / div:.3g}{suffix}"
    return str(step)  # pragma: no cover


def _y_labels(lo: float, hi: float, rows: int, log_y: bool) -> dict[int, str]:
    """Round values (1, 2 or 5 x 10^k; powers of ten on a log scale), by the row they fall in."""
    pixels = 4 * rows
    if log_y and hi - lo >= 1:
        marks = [float(k) for k in range(math.ceil(lo), math.floor(hi) + 1)]
    else:
        marks = _round_marks(10**lo if log_y else lo, 10**hi if log_y else hi, max(rows // 4, 2))
        if log_y:
            marks = [math.log10(m) for m in marks if m > 0]
    out: dict[int, str] = {}
    if len(marks) > 2:  # the highest and lowest first: they frame the plot
        marks = [marks[-1], marks[0], *marks[1:-1]]
    for v in marks:
        p = (hi - v) / (hi - lo) * (pixels - 1)
        r = min(max(round(p) // 4, 0), rows - 1)
        if r not in out and not (r - 1 in out or r + 1 in out):
            out[r] = format_value(10**v if log_y else v)
    return out


def _round_marks(lo: float, hi: float, count: int) -> list[float]:
    """Round numbers within ``[lo, hi]``, about ``count`` of them."""
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    return [k * step for k in range(first, math.floor(hi / step + 1e-9) + 1)]


def nice_ticks(last: float, count: int) -> list[float]:
    """About ``count`` round numbers from 0 to ``last`` (steps of 1, 2 or 5 x 10^k).

    >>> nice_ticks(10000, 5)
    [0, 2000, 4000, 6000, 8000, 10000]
    """
    if last <= 0 or count < 1:
        return [0]
    raw = last / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if step >= 1:
        step = int(step)
    n = int(last // step)
    return [k * step for k in range(n + 1)]


def _x_ticks(last_step: int, width: int) -> dict[int, str]:
    ticks: dict[int, str] = {}
    for t in nice_ticks(last_step, max(1, width // 14)):
        ticks[min(round(t / last_step * (width - 1)), width - 1)] = format_step(t)
    return ticks


def _x_labels(ticks: dict[int, str], width: int) -> str:
    row = [" "] * (width + 8)
    free = 0
    for col in sorted(ticks):
        text = ticks[col]
        start = max(col - len(text) // 2, 0)
        if col == max(ticks) and start + len(text) > width:
            start = max(width - len(text), 0)
        if start < free:
            continue
        row[start : start + len(text)] = text
        free = start + len(text) + 1
    return "".join(row)


def _fit(text: str, width: int, hidden: int = 0) -> str:
    """``text`` cut to ``width`` visible characters (``hidden`` are escape codes)."""
    if len(text) - hidden <= width:
        return text
    return text[: width + hidden - 1] + "…"
