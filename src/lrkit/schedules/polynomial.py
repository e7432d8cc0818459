"""`PolynomialDecay`."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


@builtin()
class PolynomialDecay(LearningRateSchedule):
    r"""Polynomial decay, as ``keras.optimizers.schedules.PolynomialDecay``.

    .. math::

        \eta(t) = (\eta_0 - \eta_{end}) \left(\frac{D - t'}{D}\right)^{k} + \eta_{end}

    Without ``cycle``, :math:`t' = \min(t, T)` and :math:`D = T`. With ``cycle``,
    :math:`t' = t` and :math:`D = T \cdot \max(1, \lceil t / T \rceil)`: right after
    each multiple of :math:`T` the decay starts again, stretched over :math:`D`, so
    cycle :math:`n` (:math:`(n - 1) T < t \le n T`) starts from about
    :math:`(\eta_0 - \eta_{end})\, n^{-k} + \eta_{end}` (not from :math:`\eta_0`), and
    the rate at every positive multiple of :math:`T` is :math:`\eta_{end}`. The
    remaining steps :math:`D - t'` are computed in exact integer arithmetic.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        end_learning_rate: float, finite (:math:`\eta_{end}`). Default 0.0001.
        power: number >= 0 (:math:`k`). Default 1.0 (linear).
        cycle: bool. Restart the decay after each multiple of ``decay_steps``.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> s = PolynomialDecay(1.0, decay_steps=100, end_learning_rate=0.0, power=2.0)
    >>> s(0), s(50), s(100), s(1000)
    (1.0, 0.25, 0.0, 0.0)
    >>> c = PolynomialDecay(1.0, 100, end_learning_rate=0.0, cycle=True)
    >>> c(0), c(100), c(101), c(150)
    (1.0, 0.0, 0.495, 0.25)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("decay_steps", "decay_steps"),
        ("end_learning_rate", "end_learning_rate"),
        ("power", "power"),
        ("cycle", "cycle"),
        ("name", "name"),
    )

    _length_args = ("decay_steps",)

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = v.positive("decay_steps", decay_steps)
        self.end_learning_rate = v.number("end_learning_rate", end_learning_rate)
        self.power = v.nonnegative("power", power)
        self.cycle = v.boolean("cycle", cycle)
        self.name = v.schedule_name(name, "PolynomialDecay")
        self._period = v.as_exact(self.decay_steps)
        self._low = float(min(self.initial_learning_rate, self.end_learning_rate))
        self._high = float(max(self.initial_learning_rate, self.end_learning_rate))
        self._span = self.initial_learning_rate - self.end_learning_rate
        self._start = float(self.initial_learning_rate)
        # whether, in float64, the formula at f = 1 (below) is the initial rate already
        top = self.end_learning_rate + self._span * 1.0
        self._exact_start = min(max(top, self._low), self._high) == self._start
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        from lrkit.core.phases import every

        if self.cycle:  # each multiple of T ends a cycle at the end rate; the next restarts
            return every(self._period, last_step, "restart")
        return [(self._period, "decay end")]

    def _horizon(self) -> int | float | None:
        return self._period * (3 if self.cycle else 1)  # three cycles

    def _compute(self, xp: Ops, step: Any) -> Any:
        d = self._period
        if self.cycle:
            # D = d * max(1, ceil(t / d)); remaining = D - t = (-t) mod d, or d at t = 0.
            cycles = xp.maximum(-xp.floor_divide(-step, d), 1)
            remaining = xp.where(step == 0, d, xp.remainder(-step, d))
            f = xp.divide(remaining, xp.astype(cycles, xp.float_dtype) * d)
        else:
            f = xp.maximum(xp.divide(d - step, d), 0.0)  # (the remaining steps' fraction)
        f = xp.pow(f, self.power)
        # within [min, max] of the two rates despite rounding, and exactly the
        # initial rate where the decay has not started (f == 1): in float64 the
        # formula's own value there, where the constructor found it exact, else
        # selected.
        if xp.wide and self._exact_start:
            return xp.clip(self.end_learning_rate + self._span * f, self._low, self._high)
        not_started = f == 1.0
        f = self.end_learning_rate + self._span * f
        f = xp.clip(f, self._low, self._high)
        return xp.where(not_started, self._start, f)
