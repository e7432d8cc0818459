"""`Offset`: a schedule that starts later."""

from __future__ import annotations

from typing import Any

from lrkit.compose._child import child
from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule, formula
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


@builtin(module="lrkit")
class Offset(LearningRateSchedule):
    r"""A schedule shifted to start at step ``offset``.

    .. math::

        \eta(t) = s(\max(t - o, 0))

    Before the offset the rate holds the schedule's first value :math:`s(0)`;
    the schedule is never evaluated at a negative step (Model Garden's
    ``*WithOffset`` schedules are, which can give rates far above the initial one).

    Args:
        schedule: any lrkit schedule, or a callable of the step.
        offset: number >= 0 (:math:`o`).
        name: str.

    >>> import lrkit
    >>> s = Offset(lrkit.ExponentialDecay(1.0, 10, 0.5), offset=100)
    >>> s(0), s(100), s(110)
    (1.0, 1.0, 0.5)
    """

    _config_attrs = (("schedule", "schedule"), ("offset", "offset"), ("name", "name"))
    _schedule_keys = frozenset({"schedule"})

    def __init__(self, schedule: Any, offset: int | float, name: str = "Offset") -> None:
        self.schedule = child("schedule", schedule)
        self.offset = v.nonnegative("offset", offset)
        self.name = v.schedule_name(name, "Offset")
        self._offset = v.as_exact(self.offset)
        self._inner = formula(self.schedule)
        self._freeze()

    def _compute(self, xp: Ops, step: Any) -> Any:
        return self._inner(xp, xp.since(step, self._offset))
