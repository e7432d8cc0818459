"""`Join`: schedules one after another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrkit.compose._child import check_step_mode, child
from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule, formula
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


@builtin(module="lrkit")
class Join(LearningRateSchedule):
    r"""Schedules run one after another, switching at ``boundaries``.

    .. math::

        \eta(t) = s_i(t - b_{i-1}) \ \text{(local)} \quad\text{or}\quad s_i(t)
        \ \text{(global)}, \qquad b_{i-1} \le t < b_i,\ b_{-1} = 0

    A boundary step belongs to the schedule that starts there (as optax's
    ``join_schedules``; note that Keras's ``PiecewiseConstantDecay`` gives a boundary
    step to the interval before it). With ``step_mode="local"`` each schedule is
    restarted at its boundary, seeing steps counted from 0 (optax's semantics); with
    ``"global"`` each sees the global step (Model Garden's). Only the schedule in
    force is evaluated for a Python number.

    Args:
        schedules: a list of n >= 1 schedules (lrkit schedules or callables).
        boundaries: n - 1 strictly increasing numbers >= 0.
        step_mode: ``"local"`` or ``"global"``.
        name: str.

    >>> import lrkit
    >>> s = Join([lrkit.Constant(1.0), lrkit.PolynomialDecay(0.5, 10, 0.0)], [100])
    >>> s(99), s(100), s(105), s(110)
    (1.0, 0.5, 0.25, 0.0)
    """

    _config_attrs = (
        ("schedules", "schedules"),
        ("boundaries", "boundaries"),
        ("step_mode", "step_mode"),
        ("name", "name"),
    )
    _schedule_keys = frozenset({"schedules"})

    def __init__(
        self,
        schedules: Sequence[Any],
        boundaries: Sequence[int | float],
        step_mode: str = "local",
        name: str = "Join",
    ) -> None:
        if isinstance(schedules, (str, bytes)) or not hasattr(schedules, "__iter__"):
            raise TypeError(
                f"Argument `schedules` must be a list of schedules. Received: {schedules!r}."
            )
        scheds = tuple(child(f"schedules[{i}]", s) for i, s in enumerate(schedules))
        b = tuple(v.as_exact(x) for x in v.number_list("boundaries", boundaries))
        if not scheds:
            raise ValueError("Argument `schedules` must hold at least one schedule. Received: [].")
        if len(b) != len(scheds) - 1:
            raise ValueError(
                "Argument `boundaries` must have one entry less than `schedules`. Received: "
                f"{len(b)} boundaries for {len(scheds)} schedules."
            )
        for i, x in enumerate(b):
            if x < 0 or (i and not b[i - 1] < x):
                raise ValueError(
                    "Argument `boundaries` must be >= 0 and strictly increasing. "
                    f"Received: boundaries={list(b)}."
                )
        self.schedules = scheds
        self.boundaries = b
        self.step_mode = check_step_mode(step_mode)
        self.name = v.schedule_name(name, "Join")
        self._starts = (0, *b)
        self._pieces = tuple(self._piece(i) for i in range(len(scheds)))
        self._freeze()

    def _piece(self, i: int) -> Any:
        inner, start = formula(self.schedules[i]), self._starts[i]
        if self.step_mode == "global" or not start:
            return inner
        return lambda xp, step: inner(xp, xp.since(step, start))

    def _compute(self, xp: Ops, step: Any) -> Any:
        if not self.boundaries:
            return self._pieces[0](xp, step)
        index = xp.searchsorted(xp.table(self.boundaries, step, rounding=1), step, side="right")
        return xp.switch(index, self._pieces, xp, step)
