"""Arithmetic on schedules: `Scale`, `Sum`, `Product`, `Clamp`, and the operators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrkit.compose._child import child
from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule, formula
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


@builtin(module="lrkit")
class Scale(LearningRateSchedule):
    r"""A schedule times a constant: :math:`\eta(t) = c\, s(t)`.

    ``0.5 * s`` and ``s * 0.5`` build one.

    Args:
        schedule: any lrkit schedule, or a callable of the step.
        factor: float, finite (:math:`c`).
        name: str.

    >>> import lrkit
    >>> s = 0.5 * lrkit.ExponentialDecay(1.0, 10, 0.5)
    >>> s  # doctest: +ELLIPSIS
    Scale(schedule=ExponentialDecay(initial_learning_rate=1.0, ...), factor=0.5)
    >>> s(0), s(10)
    (0.5, 0.25)
    """

    _config_attrs = (("schedule", "schedule"), ("factor", "factor"), ("name", "name"))
    _schedule_keys = frozenset({"schedule"})

    def __init__(self, schedule: Any, factor: float, name: str = "Scale") -> None:
        self.schedule = child("schedule", schedule)
        self.factor = v.number("factor", factor)
        self.name = v.schedule_name(name, "Scale")
        self._inner = formula(self.schedule)
        self._freeze()

    def _compute(self, xp: Ops, step: Any) -> Any:
        return self.factor * self._inner(xp, step)


class _Many(LearningRateSchedule):
    _config_attrs = (("schedules", "schedules"), ("name", "name"))
    _schedule_keys = frozenset({"schedules"})

    def __init__(self, schedules: Sequence[Any], name: str | None = None) -> None:
        if isinstance(schedules, (str, bytes)) or not hasattr(schedules, "__iter__"):
            raise TypeError(
                f"Argument `schedules` must be a list of schedules. Received: {schedules!r}."
            )
        self.schedules = tuple(child(f"schedules[{i}]", s) for i, s in enumerate(schedules))
        if not self.schedules:
            raise ValueError("Argument `schedules` must hold at least one schedule. Received: [].")
        self.name = v.schedule_name(name, type(self).__name__)
        self._inner = tuple(formula(s) for s in self.schedules)
        self._freeze()


@builtin(module="lrkit")
class Sum(_Many):
    r"""The sum of schedules: :math:`\eta(t) = \sum_i s_i(t)`.

    ``s + t``, ``s + 0.1`` and ``s - t`` build one.

    Args:
        schedules: a list of schedules.
        name: str.

    >>> import lrkit
    >>> s = lrkit.PolynomialDecay(1.0, 10, 0.0) + 0.25
    >>> s(0), s(5), s(10)
    (1.25, 0.75, 0.25)
    """

    def __init__(self, schedules: Sequence[Any], name: str = "Sum") -> None:
        super().__init__(schedules, name)

    def _compute(self, xp: Ops, step: Any) -> Any:
        first, *rest = self._inner
        out = first(xp, step)
        for f in rest:
            out = out + f(xp, step)
        return out


@builtin(module="lrkit")
class Product(_Many):
    r"""The product of schedules: :math:`\eta(t) = \prod_i s_i(t)`.

    ``s * t`` builds one: e.g. a base rate times a multiplier schedule.

    Args:
        schedules: a list of schedules.
        name: str.

    >>> import lrkit
    >>> s = lrkit.Constant(0.1) * lrkit.PiecewiseConstantDecay([10], [1.0, 0.5])
    >>> s(10), s(11)
    (0.1, 0.05)
    """

    def __init__(self, schedules: Sequence[Any], name: str = "Product") -> None:
        super().__init__(schedules, name)

    def _compute(self, xp: Ops, step: Any) -> Any:
        first, *rest = self._inner
        out = first(xp, step)
        for f in rest:
            out = out * f(xp, step)
        return out


@builtin(module="lrkit")
class Clamp(LearningRateSchedule):
    r"""A schedule kept within bounds: :math:`\eta(t) = \min(\max(s(t), lo), hi)`.

    ``Clamp(s, min_value=1e-5)`` is the usual ``min_lr`` floor.

    Args:
        schedule: any lrkit schedule, or a callable of the step.
        min_value: float or None (:math:`lo`; None: no floor).
        max_value: float or None (:math:`hi`; None: no ceiling). ``min_value <= max_value``.
        name: str.

    >>> import lrkit
    >>> s = Clamp(lrkit.ExponentialDecay(1.0, 1, 0.5), min_value=0.1)
    >>> s(1), s(3), s(4)
    (0.5, 0.125, 0.1)
    """

    _config_attrs = (
        ("schedule", "schedule"),
        ("min_value", "min_value"),
        ("max_value", "max_value"),
        ("name", "name"),
    )
    _schedule_keys = frozenset({"schedule"})

    def __init__(
        self,
        schedule: Any,
        min_value: float | None = None,
        max_value: float | None = None,
        name: str = "Clamp",
    ) -> None:
        self.schedule = child("schedule", schedule)
        self.min_value = v.optional_number("min_value", min_value)
        self.max_value = v.optional_number("max_value", max_value)
        if self.min_value is not None and self.max_value is not None:
            if self.min_value > self.max_value:
                raise ValueError(
                    "Argument `min_value` must be <= `max_value`. "
                    f"Received: min_value={min_value!r}, max_value={max_value!r}."
                )
        self.name = v.schedule_name(name, "Clamp")
        self._inner = formula(self.schedule)
        self._freeze()

    def _compute(self, xp: Ops, step: Any) -> Any:
        out = self._inner(xp, step)
        if self.min_value is not None:
            out = xp.maximum(out, float(self.min_value))
        if self.max_value is not None:
            out = xp.minimum(out, float(self.max_value))
        return out


def _operand(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        from lrkit.schedules.constant import Constant

        return Constant(value)
    if isinstance(value, LearningRateSchedule):
        return value
    return None


def add(a: Any, b: Any) -> Any:
    """``a + b`` where either side is a schedule and the other a schedule or number."""
    x, y = _operand(a), _operand(b)
    if x is None or y is None:
        return NotImplemented
    parts = [*(x.schedules if type(x) is Sum else (x,)), *(y.schedules if type(y) is Sum else (y,))]
    return Sum(parts)


def multiply(a: Any, b: Any) -> Any:
    """``a * b``: a `Scale` for a number, a `Product` for two schedules."""
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        return Scale(a, b)
    if isinstance(a, (int, float)) and not isinstance(a, bool):
        return Scale(b, a)
    if not (isinstance(a, LearningRateSchedule) and isinstance(b, LearningRateSchedule)):
        return NotImplemented
    parts = [
        *(a.schedules if type(a) is Product else (a,)),
        *(b.schedules if type(b) is Product else (b,)),
    ]
    return Product(parts)
