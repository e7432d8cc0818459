"""`ExponentialDecay`."""

from __future__ import annotations

import math
import struct
import sys
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


@builtin()
class ExponentialDecay(LearningRateSchedule):
    r"""Exponential decay, as ``keras.optimizers.schedules.ExponentialDecay``.

    .. math::

        \eta(t) = \eta_0 \, r^{\,p}, \qquad
        p = \begin{cases} \lfloor t / T \rfloor & \text{staircase} \\ t / T & \text{otherwise}
        \end{cases}

    with :math:`\eta_0` = ``initial_learning_rate``, :math:`r` = ``decay_rate`` and
    :math:`T` = ``decay_steps``. The floor is exact integer division for integer
    steps. In float64 the exponent is split as :math:`\lfloor t/T \rfloor + (t \bmod
    T)/T`, its integer part exact; float32 arrays compute :math:`\eta_0 e^{t c}` with
    :math:`c = \ln(r) / T` from float64, so that the rounding of :math:`r` to float32
    is never raised to a power (see ``Ops.pow_ratio``). Where :math:`r^{\lfloor t/T
    \rfloor}` alone would leave float64's range (past about 700 e-folds) the rate is
    computed as :math:`\exp(\ln|\eta_0| + p \ln r)`, so a representable rate is
    still returned (relative error below 2e-13). In float32 no rate that far is
    representable: there the direct form, which then gives the same 0 or infinity,
    is used alone (unless the initial rate is beyond float32).

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

    _length_args = ("decay_steps",)

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
        # the first step of the logarithmic form (q > q_safe), or None; with an integer
        # period, exactly: step // T > q_safe where step >= (floor(q_safe) + 1) * T
        q_far = math.floor(self._q_safe) + 1 if self._q_safe < math.inf else None
        self._far_step = None if q_far is None else q_far * self._period
        # (as a float, for arrays of float steps: a large Python int may not convert)
        far = self._far_step
        self._far_float = math.inf if far is None or far >= 2.0**1023 else float(far)
        self._float32_direct = _float32_direct(init, self._q_safe)
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        return []  # one decay, without end (staircase floors are not marked)

    def _horizon(self) -> int | float | None:
        return 10 * self._period  # ten periods of the decay

    def _always_finite(self) -> bool:
        # a rate <= 1: each form is at most |initial_learning_rate| (the logarithmic
        # one within a rounding of it), finite below half of float64's largest number
        return self.decay_rate <= 1 and abs(self.initial_learning_rate) <= sys.float_info.max / 2

    def _direct(self, xp: Ops, step: Any) -> Any:
        rate, period = self.decay_rate, self._period
        init = self.initial_learning_rate
        if self.staircase:  # eta_0 r^floor(t / T)
            return xp.pow_ratio(rate, xp.floor_divide(step, period), times=init)
        return xp.pow_ratio(rate, step, period, times=init)  # eta_0 r^(t / T)

    def _logs(self, xp: Ops, step: Any) -> Any:
        if self.staircase:
            e = xp.astype(xp.floor_divide(step, self._period), xp.float_dtype)
        else:
            q, f = xp.divmod(step, self._period)
            e = xp.astype(q, xp.float_dtype) + xp.divide(f, self._period)
        return self._sign * xp.exp(self._ln_init + e * self._ln_rate)

    def _compute(self, xp: Ops, step: Any) -> Any:
        if not self.initial_learning_rate:
            return 0.0
        far = self._far_step
        if (
            far is None  # rate**q never leaves float64's range
            or (not xp.wide and self._float32_direct)
            or (xp.int_max is not None and far > xp.int_max)
        ):  # (no step gets there)
            return self._direct(xp, step)
        if xp.is_array and xp.int_max is None:
            far = self._far_float
        return xp.switch(step >= far, (self._direct, self._logs), xp, step)


def _float32(x: float) -> float:
    """``x`` rounded to float32 (an infinity beyond its range)."""
    try:
        return float(struct.unpack("f", struct.pack("f", x))[0])
    except OverflowError:
        return math.copysign(math.inf, x)


def _float32_direct(init: float, q_safe: float) -> bool:
    """Whether, in float32, the direct form gives the logarithmic form's values past
    ``q_safe`` periods, so that the logarithms may be left out there.

    Past ``q_safe`` the rate is beyond e**700 times the initial rate, or below e**-700
    times it: beyond float32's range for any float32 initial rate (float32 spans
    e**-104 to e**89). The direct form in float32, ``init * exp(t * ln(rate) / T)``
    (or ``init * 0.0 ** q`` for a rate of 0), then gives the same 0 or infinity of the
    initial rate's sign, provided the initial rate is itself a finite float32.
    """
    return q_safe < math.inf and abs(_float32(float(init))) < math.inf
