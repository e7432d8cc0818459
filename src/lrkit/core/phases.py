"""Where a schedule changes phase, and where its shape has played out.

Every schedule answers two questions with methods of its own class (the protocol
of :class:`~lrkit.core.base.LearningRateSchedule`):

* ``_boundaries(self, last_step)``: the steps in ``(0, last_step]`` where a phase
  ends or starts, as ``(step, label)`` pairs, at most :data:`MAX_BOUNDARIES` of them
  (a periodic schedule generates only those up to ``last_step``);
* ``_horizon(self)``: the step where its shape has played out, or ``None``.

:func:`boundaries_of` and :func:`horizon_of` ask a schedule (a composition asks its
children through them); for a class that answers neither, they guess from its
config's usual keys (``warmup_steps``, ``decay_steps``, ``boundaries``, ...). The
public face of this module is :mod:`lrkit.boundaries`.

>>> every(10, 35, "step")
[(10, 'step'), (20, 'step'), (30, 'step')]
>>> clean([(30, "b"), (10, "a"), (10, "again"), (99, "beyond")], 50)
[(10, 'a'), (30, 'b')]
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from typing import Any

#: at most this many boundaries are reported for one schedule (the first ones)
MAX_BOUNDARIES = 1000

Boundary = tuple[Any, str]
Number = int | float


# -- building blocks for the classes' own methods ----------------------------------------


def clean(items: Iterable[Boundary], last_step: Number, first: Number = 0) -> list[Boundary]:
    """``items`` sorted by step, one label a step (the first listed), within
    ``(first, last_step]``, at most :data:`MAX_BOUNDARIES`.

    Args:
        items: iterable of ``(step, label)`` pairs, steps real numbers.
        last_step: number, the last step kept.
        first: number, the steps kept are above it.
    """
    seen: dict[Any, str] = {}
    for step, label in sorted(items, key=lambda b: b[0]):
        if first < step <= last_step and step not in seen:
            seen[step] = label
            if len(seen) >= MAX_BOUNDARIES:
                break
    return list(seen.items())


def shift(items: Iterable[Boundary], by: Number) -> list[Boundary]:
    """``items`` with every step moved by ``by`` (a number).

    >>> shift([(10, "restart")], 5)
    [(15, 'restart')]
    """
    return [(step + by, label) for step, label in items]


def every(period: Number, last_step: Number, label: str, start: Number = 0) -> list[Boundary]:
    """``(start + k * period, label)`` for ``k = 1, 2, ...`` up to ``last_step``: at most
    :data:`MAX_BOUNDARIES`, generated without looping past them.

    Args:
        period: number > 0.
        last_step: number (may be ``math.inf``).
        label: str.
        start: number, where the first period starts.
    """
    room = last_step - start
    if not room >= period:
        return []
    count = MAX_BOUNDARIES if room == math.inf else min(int(room // period), MAX_BOUNDARIES)
    return [(exact(start + k * period), label) for k in range(1, count + 1)]


def upto(steps: Sequence[Number], last_step: Number, label: str, start: int = 0) -> list[Boundary]:
    """``(s, label)`` for the sorted ``steps[start:]`` that are ``<= last_step``, at most
    :data:`MAX_BOUNDARIES` (a binary search: a long table costs no scan).

    >>> upto([0, 10, 30, 70, 150], 100, "restart", start=1)
    [(10, 'restart'), (30, 'restart'), (70, 'restart')]
    """
    end = min(bisect.bisect_right(steps, last_step, lo=start), start + MAX_BOUNDARIES)
    return [(exact(s), label) for s in steps[start:end]]


def past(step: Number) -> Number:
    """A little past ``step``: the step and a fifth of the way again (100 for 0).

    >>> past(10), past(20.5), past(0)
    (12, 25, 100)
    """
    return exact(math.ceil(step * 1.2)) if step > 0 else 100


def exact(x: Any) -> Any:
    """An integral float as an ``int`` (discrete logic stays in integers)."""
    return int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**63 else x


def positive_or_none(x: Any) -> Number | None:
    """``x`` (as :func:`exact`) if it is a finite number > 0, else ``None``."""
    return exact(x) if _is_number(x) and x > 0 else None


# -- asking a schedule ----------------------------------------------------------------


def boundaries_of(schedule: Any, last_step: Number) -> list[Boundary]:
    """The phase boundaries of ``schedule`` (any callable of the step) in
    ``(0, last_step]``: its own ``_boundaries``, or a guess from its config."""
    if _answers(schedule, "_boundaries"):
        return clean(schedule._boundaries(last_step), last_step)
    return clean(_guess_boundaries(schedule), last_step)


def horizon_of(schedule: Any) -> Number | None:
    """Where ``schedule``'s shape has played out: its own ``_horizon``, or a guess
    from its config; ``None`` when it has no natural end."""
    if _answers(schedule, "_horizon"):
        return positive_or_none(schedule._horizon())
    return _guess_horizon(schedule)


def _answers(schedule: Any, method: str) -> bool:
    """Whether ``schedule`` has its own ``method`` (not the base class's default)."""
    from lrkit.core.base import LearningRateSchedule

    own = getattr(type(schedule), method, None)
    if own is not None:
        return callable(own) and own is not getattr(LearningRateSchedule, method)
    return callable(getattr(schedule, method, None))


# -- the guess, for a class that does not say ------------------------------------------


def _guess_boundaries(schedule: Any, depth: int = 0) -> list[Boundary]:
    """Boundaries read off a config's usual keys."""
    config = _config(schedule)
    out: list[Boundary] = []
    offset = _number(config.get("offset"))
    if offset > 0:
        out.append((offset, "offset"))
    warmup = _number(config.get("warmup_steps"))
    if warmup > 0:
        out.append((warmup, "warmup end"))
    for key, label, by in (("boundaries", "boundary", offset), ("milestones", "milestone", 0)):
        steps = config.get(key)
        if isinstance(steps, (list, tuple)) and all(_is_number(b) for b in steps):
            out.extend((b + by, label) for b in steps[:MAX_BOUNDARIES])
    if depth < 20:
        for child in _children(schedule):
            if _answers(child, "_boundaries"):
                out.extend(boundaries_of(child, math.inf))
            else:
                out.extend(_guess_boundaries(child, depth + 1))
    return out


def _guess_horizon(schedule: Any, depth: int = 0) -> Number | None:
    """A horizon read off a config's usual keys."""
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
            lengths.append(past(steps[-1]))
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
        if _answers(child, "_horizon"):
            inner = horizon_of(child)
        else:
            inner = _guess_horizon(child, depth + 1)
        length = max(length, inner or 0, n.get("warmup_steps", 0))
    return positive_or_none(length)


def _children(schedule: Any) -> list[Any]:
    """The schedules a schedule's config holds (e.g. the one a warmup wraps)."""
    from lrkit.core.base import LearningRateSchedule

    out: list[Any] = []
    for _key, attr in getattr(type(schedule), "_config_attrs", ()):
        value = getattr(schedule, attr, None)
        items = value if isinstance(value, (list, tuple)) else (value,)
        out.extend(v for v in items if isinstance(v, LearningRateSchedule))
    return out


def _config(schedule: Any) -> dict[str, Any]:
    from lrkit.core.base import LearningRateSchedule

    if not isinstance(schedule, LearningRateSchedule) and not hasattr(schedule, "get_config"):
        return {}
    try:
        config = schedule.get_config()
    except Exception:  # a user's schedule without a config: no guess
        return {}
    return config if isinstance(config, dict) else {}


def _number(x: Any) -> Number:
    """``x`` if it is a finite number, else 0."""
    return x if _is_number(x) else 0


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
