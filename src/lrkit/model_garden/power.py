"""Model Garden's power-law schedules: ``DirectPowerDecay``, ``PowerAndLinearDecay``,
``PowerDecayWithOffset``.

As in Model Garden, the power is taken of :math:`\\max(u, 1)`, so step 0 (where a
negative power would divide by zero) has the rate of step 1.
"""

from __future__ import annotations

import math
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


def _shifted(xp: Ops, step: Any, offset: int | float) -> Any:
    """``max(step - offset, 0)``: the step counted from the offset, held at 0 before it."""
    if offset == 0:
        return step
    if offset < 0:
        return step - offset
    return xp.since(step, offset)


def _fraction(name: str, value: Any) -> int | float:
    out = v.number(name, value)
    if not 0 <= out <= 1:
        raise ValueError(f"Argument `{name}` must be between 0 and 1. Received: {name}={value!r}.")
    return out


@builtin(module="lrkit")
class DirectPowerDecay(LearningRateSchedule):
    r"""Model Garden's ``DirectPowerDecay``: the rate is a power of the step.

    .. math::

        \eta(t) = \eta_0 \, \max(t, 1)^{\,k}

    With a negative power :math:`k` (``-0.5``, Model Garden's config default, is
    the inverse square root decay) the rate falls from :math:`\eta_0`; step 0 has
    the rate of step 1. A Python-number call whose result exceeds float64 (a large
    positive power) raises ``OverflowError``.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        power: float, finite (:math:`k`). Default 1.0, as Model Garden's class.
        name: str.

    >>> s = DirectPowerDecay(1.0, power=-0.5)
    >>> s(0), s(1), s(4), s(100)
    (1.0, 1.0, 0.5, 0.1)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("power", "power"),
        ("name", "name"),
    )

    def __init__(
        self, initial_learning_rate: float, power: float = 1.0, name: str = "DirectPowerDecay"
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.power = v.number("power", power)
        self.name = v.schedule_name(name, "DirectPowerDecay")
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        return []  # one power law, without end (step 0 has step 1's rate)

    def _horizon(self) -> int | float | None:
        return None

    def _compute(self, xp: Ops, step: Any) -> Any:
        base = xp.astype(xp.maximum(step, 1), xp.float_dtype)
        return self.initial_learning_rate * xp.pow(base, float(self.power))


@builtin(module="lrkit")
class PowerAndLinearDecay(LearningRateSchedule):
    r"""Model Garden's ``PowerAndLinearDecay``: a power decay, times a linear decay at the end.

    With :math:`u = \max(t - o, 0)`, :math:`T` = ``total_decay_steps`` and
    :math:`f` = ``linear_decay_fraction``:

    .. math::

        \eta(t) = \max\left(0,\ \eta_0 \, \max(u, 1)^{\,k}
            \min\left(1, \frac{T - u}{T f}\right)\right)

    so the last :math:`fT` steps of the decay are multiplied by a linear ramp down to
    0, reached at :math:`u = T` and kept after it. With :math:`fT = 0` there is no
    ramp: :math:`\eta(t) = \eta_0 \max(u, 1)^k`. Before the offset the rate is
    :math:`\eta_0` (Model Garden's documented behaviour, and its result).

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        total_decay_steps: number >= 0 (:math:`T`).
        power: float, finite (:math:`k`). Default 1.0, as Model Garden's class.
        linear_decay_fraction: number in [0, 1] (:math:`f`). Default 0.1.
        offset: number (:math:`o`). Default 0.
        name: str.

    >>> s = PowerAndLinearDecay(1.0, total_decay_steps=100, power=-0.5,
    ...                         linear_decay_fraction=0.5)
    >>> s(0), s(4), s(25), s(50), s(64), s(100), s(200)
    (1.0, 0.5, 0.2, 0.1414213562373095, 0.09, 0.0, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("total_decay_steps", "total_decay_steps"),
        ("power", "power"),
        ("linear_decay_fraction", "linear_decay_fraction"),
        ("offset", "offset"),
        ("name", "name"),
    )

    _length_args = ("total_decay_steps", "offset")

    def __init__(
        self,
        initial_learning_rate: float,
        total_decay_steps: int | float,
        power: float = 1.0,
        linear_decay_fraction: float = 0.1,
        offset: int | float = 0,
        name: str = "PowerAndLinearDecay",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.total_decay_steps = v.nonnegative("total_decay_steps", total_decay_steps)
        self.power = v.number("power", power)
        self.linear_decay_fraction = _fraction("linear_decay_fraction", linear_decay_fraction)
        self.offset = v.number("offset", offset)
        self.name = v.schedule_name(name, "PowerAndLinearDecay")
        self._total = v.as_exact(self.total_decay_steps)
        self._offset = v.as_exact(self.offset)
        # Model Garden multiplies in float (Python) arithmetic: T * f
        self._ramp = self.total_decay_steps * self.linear_decay_fraction
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        from lrkit.core.phases import exact

        # the power decay from the offset; the linear ramp from u = T - T f (where
        # (T - u) / (T f) falls below 1, as the formula compares it) to u = T
        o, total = self._offset, self._total
        out = [(o, "offset")] if o > 0 else []
        if self._ramp > 0:
            out += [(o + exact(total - self._ramp), "decay start"), (o + total, "decay end")]
        return out

    def _horizon(self) -> int | float | None:
        # the end of the ramp (without one, still the decay's stated length)
        return self._offset + self._total

    def _compute(self, xp: Ops, step: Any) -> Any:
        u = _shifted(xp, step, self._offset)
        lr = self.initial_learning_rate * xp.pow(
            xp.astype(xp.maximum(u, 1), xp.float_dtype), float(self.power)
        )
        if not self._ramp > 0:
            return lr
        ramp = xp.minimum(xp.divide(self._total - u, self._ramp), 1.0)
        return xp.maximum(lr * ramp, 0.0)


@builtin(module="lrkit")
class PowerDecayWithOffset(LearningRateSchedule):
    r"""Model Garden's ``PowerDecayWithOffset``: a constant, then a power decay, capped.

    .. math::

        \eta(t) = \begin{cases}
            \eta_{pre} & t \le o \\
            \min\left(\eta_0 \max(t - o, 1)^{\,k},\ \eta_{pre}\right) & t > o
        \end{cases}

    :math:`\eta_{pre}` = ``pre_offset_learning_rate`` is both the rate up to and at
    the offset and a cap on the decay after it (a power decay starting at step 1
    could otherwise exceed any rate).

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        power: float, finite (:math:`k`). Default 1.0, as Model Garden's class.
        offset: number (:math:`o`). Default 0.
        pre_offset_learning_rate: float, finite (:math:`\eta_{pre}`). Default 1e6.
        name: str.

    >>> s = PowerDecayWithOffset(1.0, power=-0.5, offset=10, pre_offset_learning_rate=0.8)
    >>> s(0), s(10), s(11), s(14), s(110)
    (0.8, 0.8, 0.8, 0.5, 0.1)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("power", "power"),
        ("offset", "offset"),
        ("pre_offset_learning_rate", "pre_offset_learning_rate"),
        ("name", "name"),
    )

    _length_args = ("offset",)

    def __init__(
        self,
        initial_learning_rate: float,
        power: float = 1.0,
        offset: int | float = 0,
        pre_offset_learning_rate: float = 1.0e6,
        name: str = "PowerDecayWithOffset",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.power = v.number("power", power)
        self.offset = v.number("offset", offset)
        self.pre_offset_learning_rate = v.number(
            "pre_offset_learning_rate", pre_offset_learning_rate
        )
        self.name = v.schedule_name(name, "PowerDecayWithOffset")
        self._offset = v.as_exact(self.offset)
        self._cap = self._base_cap()
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        # the pre-offset rate up to and at the offset, then the capped power decay
        return [(self._offset, "offset")] if self._offset > 0 else []

    def _horizon(self) -> int | float | None:
        return None  # a power law without end

    def _base_cap(self) -> float | None:
        """A base beyond which the decay surely exceeds the cap (so the result is the
        cap): the power is never taken of it, so it cannot overflow."""
        eta0, k = float(self.initial_learning_rate), float(self.power)
        pre = float(self.pre_offset_learning_rate)
        if not (eta0 > 0 and k > 0):
            return None
        if pre <= 0:
            return 1.0
        try:  # eta0 * cap**k = pre * (1 + 1e-6), far beyond the rounding of exp and log
            return math.exp((math.log(pre) - math.log(eta0) + math.log1p(1e-6)) / k)
        except OverflowError:
            return None

    def _compute(self, xp: Ops, step: Any) -> Any:
        pre = float(self.pre_offset_learning_rate)
        base = xp.astype(xp.maximum(step - self._offset, 1), xp.float_dtype)
        if self._cap is not None:
            base = xp.minimum(base, self._cap)
        after = xp.minimum(self.initial_learning_rate * xp.pow(base, float(self.power)), pre)
        return xp.where(step > self._offset, after, pre)
