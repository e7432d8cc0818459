"""`PiecewiseConstantDecay`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


@builtin()
class PiecewiseConstantDecay(LearningRateSchedule):
    r"""Piecewise constant rates, as ``keras.optimizers.schedules.PiecewiseConstantDecay``.

    .. math::

        \eta(t) = v_i \quad\text{for}\quad b_{i-1} < t \le b_i,
        \qquad b_{-1} = -\infty,\ b_n = +\infty

    so a boundary step still has the rate before it: ``values[0]`` up to and
    including ``boundaries[0]``. The interval is found by binary search (exact
    comparisons; for arrays a sorted search with boundaries rounded so that
    comparisons against float32 or integer steps stay exact), so a call costs
    O(log n) in the number of boundaries.

    Args:
        boundaries: strictly increasing finite numbers (may be empty).
        values: finite numbers, one more than ``boundaries``.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> s = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> s(0), s(100), s(101), s(200), s(201)
    (1.0, 1.0, 0.5, 0.5, 0.1)
    """

    _config_attrs = (("boundaries", "boundaries"), ("values", "values"), ("name", "name"))

    def __init__(
        self,
        boundaries: Sequence[int | float],
        values: Sequence[float],
        name: str = "PiecewiseConstant",
    ) -> None:
        b = v.number_list("boundaries", boundaries)
        vals = v.number_list("values", values)
        if len(b) != len(vals) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={v.shown(list(b))} of length {len(b)}, and "
                f"values={v.shown(list(vals))} of length {len(vals)}."
            )
        v.increasing("boundaries", b)
        self.boundaries = b
        self.values = vals
        self.name = v.schedule_name(name, "PiecewiseConstant")
        self._float_values = tuple(float(x) for x in vals)
        self._freeze()

    def _compute(self, xp: Ops, step: Any) -> Any:
        index = xp.searchsorted(xp.table(self.boundaries, step, rounding=-1), step)
        return xp.take(xp.table(self._float_values), index)
