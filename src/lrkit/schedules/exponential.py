"""`ExponentialDecay`."""

from __future__ import annotations

import math
from typing import Any

from lrkit import _validate as v
from lrkit.base import LearningRateSchedule
from lrkit.registry import builtin


@builtin()
class ExponentialDecay(LearningRateSchedule):
    r"""Exponential decay, as ``keras.optimizers.schedules.ExponentialDecay``.

    .. math::

        \eta(t) = \eta_0 \, r^{\,p}, \qquad
        p = \begin{cases} \lfloor t / T \rfloor & \text{staircase} \\ t / T & \text{otherwise}
        \end{cases}

    with :math:`\eta_0` = ``initial_learning_rate``, :math:`r` = ``decay_rate`` and
    :math:`T` = ``decay_steps``. The floor is exact integer division for integer
    steps. The exponent is split as :math:`\lfloor t/T \rfloor + (t \bmod T)/T`, so
    float32 arrays keep the integer part exact. Where :math:`r^{\lfloor t/T \rfloor}`
    alone would leave float64's range (past about 700 e-folds) the rate is computed
    as :math:`\exp(\ln|\eta_0| + p \ln r)`, so a representable rate is still
    returned (relative error below 2e-13).

    Args:
        initial_learning_rate: float, finite. The rate at step 0.
        decay_steps: number > 0. Steps over which the rate is multiplied by
            ``decay_rate``.
        decay_rate: number >= 0. A rate above 1 grows; a Python-number call whose
            result exceeds float64 raises ``OverflowError``.
        staircase: bool. Decay at whole multiples of ``decay_steps`` only.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> s = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> s(0), s(100), s(200)
    (0.1, 0.05, 0.025)
    >>> round(s(50), 12)
    0.070710678119
    >>> ExponentialDecay(0.1, 100, 0.5, staircase=True)(199)
    0.05
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("decay_steps", "decay_steps"),
        ("decay_rate", "decay_rate"),
        ("staircase", "staircase"),
        ("name", "name"),
    )

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = v.positive("decay_steps", decay_steps)
        self.decay_rate = v.nonnegative("decay_rate", decay_rate)
        self.staircase = v.boolean("staircase", staircase)
        self.name = v.schedule_name(name, "ExponentialDecay")
        self._period = v.as_exact(self.decay_steps)
        rate, init = self.decay_rate, self.initial_learning_rate
        ln_rate = math.log(rate) if rate > 0 else 0.0
        # past this many whole periods rate**q alone leaves float64's range, though the
        # rate itself may not: those steps are computed with logarithms
        self._q_safe = 700.0 / abs(ln_rate) if ln_rate and init else math.inf
        self._ln_rate = ln_rate
        self._ln_init = math.log(abs(init)) if init else 0.0
        self._sign = math.copysign(1.0, init)
        self._freeze()

    # the exponent is q + f: q whole periods (an integer for integer steps: `pow`
    # converts it) and the fraction f of the current period (unused with `staircase`)
    def _direct(self, xp: Any, q: Any, f: Any) -> Any:
        out = self.initial_learning_rate * xp.pow(self.decay_rate, q)
        if self.staircase:
            return out
        return out * xp.pow(self.decay_rate, f)

    def _logs(self, xp: Any, q: Any, f: Any) -> Any:
        q = xp.to_float(q)
        e = q if self.staircase else q + f
        return self._sign * xp.exp(self._ln_init + e * self._ln_rate)

    # the two forms, as plain functions of (self, xp, q, f): a tuple built once, and no
    # reference cycle through bound methods
    _branches = (_direct, _logs)

    def _compute(self, xp: Any, step: Any) -> Any:
        if not self.initial_learning_rate:
            return 0.0
        if self.staircase:  # whole periods only: the remainder is not needed
            q, f = xp.floor_divide(step, self._period), 0.0
        else:
            q, f = xp.divmod(step, self._period)  # as split(), without its call
            f = xp.to_float(f) / self._period
        if self._q_safe == math.inf:
            return self._direct(xp, q, f)
        far = q > self._q_safe  # compared in integers, exactly
        return xp.select(self._branches, far)(self, xp, q, f)
