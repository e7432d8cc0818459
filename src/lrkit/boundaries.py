"""Where a schedule changes phase, and how far it is worth looking at.

Two small protocols, used by ``lrkit plot`` and :mod:`lrkit.plotting` (and so by
nothing on the path of a training step):

* :func:`boundaries` ``(schedule, last_step)``: the steps in ``(0, last_step]`` where
  a phase ends or starts (a warmup's end, a restart, a piecewise boundary, a join),
  as sorted ``(step, label)`` pairs. A plot marks them, and samples the curve on
  both sides of each so that a jump is drawn sharp.
* :func:`horizon` ``(schedule)``: the step where the schedule's shape has played out
  (the end of its decay, a few restarts), or ``None`` when it has no natural end.
  It is the default length of a plot.

Both dispatch on the schedule's class (:func:`functools.singledispatch`). A class of
your own answers by defining ``_boundaries(self, last_step)`` and
``_horizon(self)`` methods with the same meaning; a schedule that defines neither
has no boundaries and no horizon (an unknown Keras-style schedule whose config
names ``warmup_steps``, ``decay_steps`` or ``boundaries`` gets a guess from those).

>>> import lrkit
>>> s = lrkit.CosineDecay(0.0, 1000, warmup_target=0.1, warmup_steps=100)
>>> boundaries(s, 2000)
[(100, 'warmup end'), (1100, 'decay end')]
>>> horizon(s)
1100
>>> boundaries(lrkit.Warmup(lrkit.CosineDecayRestarts(0.1, 100), 50), 400)
[(50, 'warmup end'), (150, 'restart'), (350, 'restart')]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

from lrkit.compose import Clamp, Join, Offset, Product, Scale, Sum, Warmup
from lrkit.core.base import LearningRateSchedule
from lrkit.schedules import (
    Constant,
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

#: at most this many boundaries are reported for one schedule (the first ones)
MAX_BOUNDARIES = 1000

Boundary = tuple[Any, str]


def _attr(schedule: Any, key: str) -> Any:
    """The value of config key ``key``, read from the attribute that holds it."""
    attrs = dict(getattr(type(schedule), "_config_attrs", ()))
    return getattr(schedule, attrs.get(key, key))


def _clean(items: Iterable[Boundary], last_step: Any, first: Any = 0) -> list[Boundary]:
    """Sorted, one label a step, within ``(first, last_step]``, at most MAX_BOUNDARIES."""
    seen: dict[Any, str] = {}
    for step, label in sorted(items, key=lambda b: b[0]):
        if first < step <= last_step and step not in seen:
            seen[step] = label
            if len(seen) >= MAX_BOUNDARIES:
                break
    return list(seen.items())


def _shift(items: Iterable[Boundary], by: Any) -> list[Boundary]:
    return [(step + by, label) for step, label in items]


# -- boundaries ------------------------------------------------------------------------


@functools.singledispatch
def boundaries(schedule: Any, last_step: int | float) -> list[Boundary]:
    """The phase boundaries of ``schedule`` in ``(0, last_step]``: ``[(step, label), ...]``."""
    own = getattr(schedule, "_boundaries", None)
    if callable(own):
        return _clean(own(last_step), last_step)
    return _clean(_guess_boundaries(schedule), last_step)


def _guess_boundaries(schedule: Any, depth: int = 0) -> list[Boundary]:
    """Boundaries read off a config's usual keys, for a class that does not say."""
    config = _config(schedule)
    out: list[Boundary] = []
    offset = _number(config.get("offset"))
    if offset > 0:
        out.append((offset, "offset"))
    warmup = _number(config.get("warmup_steps"))
    if warmup > 0:
        out.append((warmup, "warmup end"))
    for key, label, shift in (("boundaries", "boundary", offset), ("milestones", "milestone", 0)):
        steps = config.get(key)
        if isinstance(steps, (list, tuple)) and all(_is_number(b) for b in steps):
            out.extend((b + shift, label) for b in steps)
    if depth < 20:
        for child in _children(schedule):
            out.extend(
                _guess_boundaries(child, depth + 1)
                if not _answers(child)
                else boundaries(child, math.inf)
            )
    return out


def _answers(schedule: Any) -> bool:
    """Whether ``schedule``'s class has its own boundaries (registered, or a method)."""
    return (boundaries.dispatch(type(schedule)) is not boundaries.dispatch(object)) or callable(
        getattr(schedule, "_boundaries", None)
    )


def _children(schedule: Any) -> list[Any]:
    """The schedules a schedule's config holds (e.g. the one a warmup wraps)."""
    out = []
    for _key, attr in getattr(type(schedule), "_config_attrs", ()):
        value = getattr(schedule, attr, None)
        items = value if isinstance(value, (list, tuple)) else (value,)
        out.extend(v for v in items if isinstance(v, LearningRateSchedule))
    return out


@boundaries.register(Constant)
@boundaries.register(ExponentialDecay)
@boundaries.register(InverseTimeDecay)
def _(schedule: Any, last_step: int | float) -> list[Boundary]:
    return []


@boundaries.register(CosineDecay)
def _(schedule: CosineDecay, last_step: int | float) -> list[Boundary]:
    warmup = schedule.warmup_steps if schedule.warmup_target is not None else 0
    out: list[Boundary] = [(_exact(warmup + schedule.decay_steps), "decay end")]
    if warmup:
        out.append((_exact(warmup), "warmup end"))
    return _clean(out, last_step)


@boundaries.register(PolynomialDecay)
def _(schedule: PolynomialDecay, last_step: int | float) -> list[Boundary]:
    period = _exact(schedule.decay_steps)
    if not schedule.cycle:
        return _clean([(period, "decay end")], last_step)
    count = min(int(last_step // period), MAX_BOUNDARIES)
    return _clean([(k * period, "restart") for k in range(1, count + 1)], last_step)


@boundaries.register(CosineDecayRestarts)
def _(schedule: CosineDecayRestarts, last_step: int | float) -> list[Boundary]:
    first = _exact(schedule.first_decay_steps)
    t_mul = _attr(schedule, "t_mul")
    if t_mul == 1:
        count = min(int(last_step // first), MAX_BOUNDARIES)
        return _clean([(k * first, "restart") for k in range(1, count + 1)], last_step)
    from lrkit.schedules.cosine_restarts import restart_table

    starts, _lengths = restart_table(first, t_mul)
    out = [(_exact(b), "restart") for b in starts[1 : MAX_BOUNDARIES + 1] if b <= last_step]
    if t_mul < 1 and len(starts) > 1 and starts[-1] <= last_step:
        out[-1] = (out[-1][0], "end of restarts")
    return _clean(out, last_step)


@boundaries.register(PiecewiseConstantDecay)
def _(schedule: PiecewiseConstantDecay, last_step: int | float) -> list[Boundary]:
    return _clean([(b, "boundary") for b in schedule.boundaries], last_step)


@boundaries.register(Warmup)
def _(schedule: Warmup, last_step: int | float) -> list[Boundary]:
    w = _exact(schedule.warmup_steps)
    if not w:
        return boundaries(schedule.schedule, last_step)
    if schedule.step_mode == "global":
        inner = [b for b in boundaries(schedule.schedule, last_step) if b[0] > w]
    else:
        inner = _shift(boundaries(schedule.schedule, last_step - w), w) if last_step > w else []
    return _clean([(w, "warmup end"), *inner], last_step)


@boundaries.register(Join)
def _(schedule: Join, last_step: int | float) -> list[Boundary]:
    starts = (0, *schedule.boundaries)
    ends = (*schedule.boundaries, math.inf)
    out: list[Boundary] = [(b, "join") for b in schedule.boundaries]
    for child, start, end in zip(schedule.schedules, starts, ends, strict=True):
        if start >= last_step:
            break
        if schedule.step_mode == "global":
            inner = boundaries(child, min(end, last_step))
        else:
            inner = _shift(boundaries(child, min(end, last_step) - start), start)
        out.extend(b for b in inner if start < b[0] < end)
    return _clean(out, last_step)


@boundaries.register(Offset)
def _(schedule: Offset, last_step: int | float) -> list[Boundary]:
    o = _exact(schedule.offset)
    inner = _shift(boundaries(schedule.schedule, last_step - o), o) if last_step > o else []
    return _clean([*([(o, "offset")] if o else []), *inner], last_step)


@boundaries.register(Scale)
@boundaries.register(Clamp)
def _(schedule: Any, last_step: int | float) -> list[Boundary]:
    return boundaries(schedule.schedule, last_step)


@boundaries.register(Sum)
@boundaries.register(Product)
def _(schedule: Any, last_step: int | float) -> list[Boundary]:
    return _clean([b for s in schedule.schedules for b in boundaries(s, last_step)], last_step)


# -- horizon ---------------------------------------------------------------------------


@functools.singledispatch
def horizon(schedule: Any) -> int | float | None:
    """The step where ``schedule``'s shape has played out, or ``None``."""
    own = getattr(schedule, "_horizon", None)
    if callable(own):
        return _positive_or_none(own())
    return _guess_horizon(schedule)


def _guess_horizon(schedule: Any, depth: int = 0) -> int | float | None:
    """A horizon read off a config's usual keys, for a class that does not say."""
    config = _config(schedule)
    n = {k: _number(v) for k, v in config.items()}
    # a decay by a rate per period (exponential, inverse time) is shown over ten periods
    periods = 10 if "decay_rate" in config else max(n.get("cycles", 1), 1)
    lengths = [
        n.get("decay_steps", 0) * periods,
        n.get("first_decay_steps", 0),
        n.get("transition_begin", 0) + n.get("transition_steps", 0),
        n.get("cycle_steps", 0) * max(n.get("cycle_limit", 1), 1),
        2 * (n.get("step_size_up", 0) + (n.get("step_size_down") or n.get("step_size_up", 0))),
        10 * n.get("step_size", 0),
        n.get("stable_steps", 0) + n.get("decay_steps", 0),
    ]
    for key in ("boundaries", "milestones"):
        steps = config.get(key)
        if isinstance(steps, (list, tuple)) and steps and all(_is_number(b) for b in steps):
            lengths.append(_past(steps[-1]))
    knots = config.get("knots")
    if isinstance(knots, (list, tuple)) and knots and isinstance(knots[-1], (list, tuple)):
        lengths.append(_number(knots[-1][0]))
    total = max(n.get("total_steps", 0), n.get("total_decay_steps", 0))
    length = max(lengths)
    children = _children(schedule) if depth < 20 else []
    if total:
        length = max(total, length)
    elif length:
        length += n.get("warmup_steps", 0)
    elif not children:  # a warmup, then no end (an inverse square root): ten warmups
        length = 10 * n.get("warmup_steps", 0)
    if length:
        length += n.get("offset", 0)
    for child in children:  # a wrapper: as long as what it wraps, and its own warmup
        inner = horizon(child) if _answers_horizon(child) else _guess_horizon(child, depth + 1)
        length = max(length, inner or 0, n.get("warmup_steps", 0))
    return _positive_or_none(length)


def _answers_horizon(schedule: Any) -> bool:
    return (horizon.dispatch(type(schedule)) is not horizon.dispatch(object)) or callable(
        getattr(schedule, "_horizon", None)
    )


@horizon.register(Constant)
def _(schedule: Constant) -> None:
    return None


@horizon.register(ExponentialDecay)
@horizon.register(InverseTimeDecay)
def _(schedule: Any) -> int | float:
    return _exact(10 * schedule.decay_steps)


@horizon.register(CosineDecay)
def _(schedule: CosineDecay) -> int | float:
    warmup = schedule.warmup_steps if schedule.warmup_target is not None else 0
    return _exact(warmup + schedule.decay_steps)


@horizon.register(PolynomialDecay)
def _(schedule: PolynomialDecay) -> int | float:
    return _exact(schedule.decay_steps * (3 if schedule.cycle else 1))


@horizon.register(CosineDecayRestarts)
def _(schedule: CosineDecayRestarts) -> int | float:
    first = _exact(schedule.first_decay_steps)
    t_mul = _attr(schedule, "t_mul")
    if t_mul == 1:
        return 4 * first - 1
    from lrkit.schedules.cosine_restarts import restart_table

    starts, _lengths = restart_table(first, t_mul)
    if t_mul < 1:  # the restarts converge: show them all, and a little of what follows
        return _exact(math.ceil(starts[-1] * 1.1))
    return _exact(starts[min(3, len(starts) - 1)] - 1)  # three periods, to the last step


@horizon.register(PiecewiseConstantDecay)
def _(schedule: PiecewiseConstantDecay) -> int | float | None:
    return _past(schedule.boundaries[-1]) if schedule.boundaries else None


@horizon.register(Warmup)
def _(schedule: Warmup) -> int | float | None:
    w = _exact(schedule.warmup_steps)
    inner = horizon(schedule.schedule)
    if schedule.step_mode == "global":
        return max(w, inner or 0) or None
    return (w + inner) if inner else (_past(w) if w else None)


@horizon.register(Join)
def _(schedule: Join) -> int | float | None:
    if not schedule.boundaries:
        return horizon(schedule.schedules[0])
    last = schedule.boundaries[-1]
    inner = horizon(schedule.schedules[-1])
    if inner is None:
        return _past(last)
    return max(inner, _past(last)) if schedule.step_mode == "global" else last + inner


@horizon.register(Offset)
def _(schedule: Offset) -> int | float | None:
    inner = horizon(schedule.schedule)
    o = _exact(schedule.offset)
    return (o + inner) if inner else (_past(o) if o else None)


@horizon.register(Scale)
@horizon.register(Clamp)
def _(schedule: Any) -> int | float | None:
    return horizon(schedule.schedule)


@horizon.register(Sum)
@horizon.register(Product)
def _(schedule: Any) -> int | float | None:
    found = [h for h in (horizon(s) for s in schedule.schedules) if h]
    return max(found) if found else None


# -- helpers ---------------------------------------------------------------------------


def _past(step: int | float) -> int | float:
    """A little past ``step``: the last boundary and a fifth of the way again."""
    return _exact(math.ceil(step * 1.2)) if step > 0 else 100


def _exact(x: int | float) -> int | float:
    return int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**63 else x


def _number(x: Any) -> int | float:
    """``x`` if it is a finite number, else 0."""
    return x if _is_number(x) else 0


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _positive_or_none(x: Any) -> int | float | None:
    return _exact(x) if _is_number(x) and x > 0 else None


def _config(schedule: Any) -> dict[str, Any]:
    if not isinstance(schedule, LearningRateSchedule) and not hasattr(schedule, "get_config"):
        return {}
    try:
        config = schedule.get_config()
    except Exception:  # a user's schedule without a config: no guess
        return {}
    return config if isinstance(config, dict) else {}
