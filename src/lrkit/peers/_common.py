"""What the peer factories share: argument names in errors, recovered arguments."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from lrkit.core import validate as v

T = TypeVar("T")


def renamed(names: Mapping[str, str], build: Callable[[], T]) -> T:
    """``build()``, with lrkit's argument names in its error replaced by the peer's.

    ``names`` maps an lrkit argument name to the peer's (e.g. ``cycle_steps`` ->
    ``t_initial``): a ``ValueError`` or ``TypeError`` raised at construction is raised
    again, of the same type, naming the peer's argument."""
    try:
        return build()
    except (ValueError, TypeError) as exc:
        text = str(exc)
        for ours, theirs in names.items():
            text = re.sub(rf"`{re.escape(ours)}`", f"`{theirs}`", text)
            text = re.sub(rf"(?<![\w.]){re.escape(ours)}(?=[=\[])", theirs, text)
        if text == str(exc):
            raise
        raise type(exc)(text) from None


def number(name: str, value: Any) -> float:
    """A peer's rate (a Python float, a NumPy or 0-d tensor scalar) as a float."""
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        value = value.item()
    return float(v.number(name, value))


def group_index(group: Any, count: int) -> int:
    if isinstance(group, bool) or not isinstance(group, int):
        raise TypeError(
            f"Argument `group` must be an int, not {type(group).__name__}. "
            f"Received: group={v.shown(group)}."
        )
    if not 0 <= group < count:
        raise ValueError(
            f"Argument `group` must be >= 0 and < {count} (the optimizer's parameter groups). "
            f"Received: group={group}."
        )
    return group


def recovered(estimate: float, fits: Callable[[float], bool]) -> float:
    """The number a peer was given, from a value it derived from it.

    A peer stores e.g. ``pct_start * total_steps - 1`` rather than ``pct_start``: the
    shortest decimal near ``estimate`` (then ``estimate`` itself, then its neighbours)
    for which ``fits`` holds, so that the factory rebuilds the user's argument."""
    for candidate in _candidates(estimate):
        try:
            if fits(candidate):
                return candidate
        except ArithmeticError:
            continue
    return estimate


def _candidates(estimate: float) -> Iterable[float]:
    import math

    if math.isfinite(estimate):
        for digits in range(0, 17):
            yield round(estimate, digits)
        yield estimate
        up = down = estimate
        for _ in range(4):
            up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
            yield up
            yield down
