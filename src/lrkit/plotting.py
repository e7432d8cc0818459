"""A schedule's values as a NumPy array, and its curve drawn with matplotlib.

NumPy (``pip install lrkit[numpy]``) and matplotlib (``pip install lrkit[plot]``)
are imported when these functions are called, never on ``import lrkit``.

>>> import lrkit
>>> from lrkit.plotting import values
>>> values(lrkit.PiecewiseConstantDecay([2], [1.0, 0.5]), 4)
array([1. , 1. , 1. , 0.5])
>>> values(lrkit.ExponentialDecay(1.0, 10, 0.5), [0, 10, 20])
array([1.  , 0.5 , 0.25])
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lrkit.boundaries import boundaries as _boundaries
from lrkit.boundaries import horizon
from lrkit.core.base import LearningRateSchedule
from lrkit.termplot import format_step

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: a curve over more steps than this is drawn from this many (plus the boundaries)
MAX_POINTS = 4001
#: the default length of a plot of a schedule with no natural end (a constant)
DEFAULT_STEPS = 10_000
#: the formats ``lrkit plot -o`` writes
FORMATS = ("png", "svg", "pdf")


def values(schedule: Any, steps: Any) -> np.ndarray:
    """The learning rates of ``schedule`` at ``steps``, as a float64 NumPy array.

    Args:
        schedule: an lrkit schedule, or any callable of the step (a Keras-style
            schedule of your own is called once per step).
        steps: an int ``n`` for steps ``0, 1, ..., n - 1`` (as ``range(n)``), or a
            sequence or array of steps >= 0 (any shape; the result has that shape).

    Integer steps are computed exactly (as ``int64``), fractional ones in float64.
    """
    import numpy as np

    if isinstance(steps, bool):
        raise TypeError("`steps` must be an int or an array of steps, not bool.")
    if isinstance(steps, int):
        if steps < 0:
            raise ValueError(f"`steps` must be >= 0. Received: steps={steps}.")
        arr = np.arange(steps, dtype=np.int64)
    else:
        arr = np.asarray(steps)
        if arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float64)
        else:
            raise TypeError(f"`steps` must hold real numbers; got an array of dtype {arr.dtype}.")
    if arr.size and arr.min() < 0:
        raise ValueError(f"A step must be >= 0. Received: an array holding {arr.min()}.")
    if isinstance(schedule, LearningRateSchedule):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                out = schedule(arr)
        except (TypeError, AttributeError, NotImplementedError):
            # a composition holding a callable that takes one number at a time
            out = None
        if out is not None:
            return np.asarray(out, dtype=np.float64).reshape(arr.shape)
    if not callable(schedule):
        raise TypeError(f"`schedule` must be a callable of the step; got {schedule!r}.")
    flat = [float(schedule(s.item())) for s in arr.reshape(-1)]
    return np.asarray(flat, dtype=np.float64).reshape(arr.shape)


def sample_steps(
    last_step: int, marks: Sequence[tuple[Any, str]] = (), points: int = MAX_POINTS
) -> np.ndarray:
    """Integer steps from 0 to ``last_step`` to draw a curve with: every step when
    there are at most ``points``, else ``points`` evenly spread ones, and each
    boundary with its neighbours (so that a jump is drawn as a jump)."""
    import numpy as np

    last_step = int(last_step)
    if last_step + 1 <= points:
        return np.arange(last_step + 1, dtype=np.int64)
    grid = np.round(np.linspace(0, last_step, points)).astype(np.int64)
    extra: list[int] = []
    for step, _label in marks:
        s = int(step)
        extra.extend(x for x in (s - 1, s, s + 1) if 0 <= x <= last_step)
    return np.unique(np.concatenate([grid, np.asarray(extra, dtype=np.int64)]))


def default_last_step(schedules: Sequence[Any]) -> int:
    """Where a plot of ``schedules`` ends: the latest :func:`~lrkit.boundaries.horizon`."""
    found = [h for h in map(horizon, schedules) if h]
    if not found:
        return DEFAULT_STEPS
    return max(int(-(-h // 1)) for h in found)


def plot(
    schedule: Any,
    steps: Any = None,
    ax: Axes | None = None,
    *,
    label: str | None = None,
    show_boundaries: bool = True,
    log_y: bool = False,
    **line_kwargs: Any,
) -> Axes:
    """Draws ``schedule``'s learning rate against the step on a matplotlib ``Axes``.

    Args:
        schedule: an lrkit schedule, or any callable of the step.
        steps: ``None`` for the schedule's natural length (the end of its decay, a
            few restarts: :func:`lrkit.boundaries.horizon`), an int ``n`` for steps
            ``0 .. n - 1``, or the steps to draw. Long ranges are drawn from a sample
            of steps that keeps every phase boundary sharp.
        ax: the axes to draw on; by default ``matplotlib.pyplot.gca()``.
        label: the line's legend label (default: the schedule's ``repr``).
        show_boundaries: mark phase boundaries (warmup end, restarts, piecewise
            and join boundaries) with dotted vertical lines of the curve's colour.
        log_y: a logarithmic learning-rate axis.
        **line_kwargs: passed to ``Axes.plot`` (``color``, ``linewidth``, ...).

    Returns:
        The axes.
    """
    import numpy as np

    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    if steps is None or (isinstance(steps, int) and not isinstance(steps, bool)):
        last = default_last_step([schedule]) if steps is None else steps - 1
        if last < 0:
            raise ValueError(f"`steps` must be > 0. Received: steps={steps}.")
        marks = _boundaries(schedule, last)
        xs = sample_steps(last, marks)
    else:
        xs = np.asarray(steps)
        marks = _boundaries(schedule, xs.max()) if xs.size else []
    ys = values(schedule, xs)
    bad = ~np.isfinite(ys)
    if bad.any():
        step = np.asarray(xs).reshape(-1)[bad.reshape(-1)][0].item()
        raise OverflowError(
            f"{type(schedule).__name__} is not finite at step={step!r} "
            f"({ys.reshape(-1)[bad.reshape(-1)][0]}), so it cannot be plotted there."
        )
    (line,) = ax.plot(xs, ys, label=repr(schedule) if label is None else label, **line_kwargs)
    if show_boundaries and len(marks) <= MAX_MARKS:
        for step, _kind in marks:
            ax.axvline(step, color=line.get_color(), linestyle=":", linewidth=1.0, alpha=0.7)
    if log_y:
        ax.set_yscale("log")
    _style(ax)
    return ax


#: a curve with more boundaries than this gets no boundary marks (they would hide it)
MAX_MARKS = 40


def figure(
    items: Sequence[tuple[str, Any]],
    last_step: int | None = None,
    *,
    log_y: bool = False,
    title: str | None = None,
    size: tuple[float, float] = (8.0, 4.0),
    dpi: int = 100,
) -> Figure:
    """A figure (no pyplot, no GUI backend) of the ``(label, schedule)`` curves overlaid."""
    from matplotlib.figure import Figure

    if last_step is None:
        last_step = default_last_step([s for _, s in items])
    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    for label, schedule in items:
        plot(schedule, last_step + 1, ax, label=_short(label), log_y=log_y)
    if title is None and len(items) == 1:
        title = items[0][0]
    if title:
        ax.set_title("\n".join(textwrap.wrap(title, 95)[:3]), fontsize=9)
    if len(items) > 1:  # below the plot, where it hides no curve
        longest = max(len(_short(label)) for label, _ in items)
        columns = 2 if longest * 6.2 * 2 < size[0] * dpi * 0.9 else 1
        fig.legend(loc="outside lower center", ncols=columns, fontsize=8, frameon=False)
    ax.set_xlim(0, last_step)
    return fig


def save(fig: Figure, path: str) -> None:
    """Writes ``fig`` to ``path``, in the format its extension names (png, svg, pdf)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fmt = path.rsplit(".", 1)[-1].lower()
    metadata = {"Software": None} if fmt == "png" else {"Date": None} if fmt == "svg" else {}
    fig.savefig(path, format=fmt, metadata=metadata)


def _style(ax: Axes) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3, linewidth=0.6)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: format_step(x)))


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
