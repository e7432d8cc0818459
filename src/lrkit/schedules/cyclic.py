"""`Cyclic`: cyclical learning rates (torch ``CyclicLR``)."""

from __future__ import annotations

import math
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import split
from lrkit.schedules._pieces import choice

MODES = ("triangular", "triangular2", "exp_range")


@builtin(module="lrkit")
class Cyclic(LearningRateSchedule):
    r"""Cyclical learning rate: a triangle wave between two rates.

    A cycle lasts :math:`U + D` steps (``step_size_up + step_size_down``). With
    :math:`q = \lfloor t / (U + D) \rfloor` the cycle index and
    :math:`r = t - q(U + D)` the step within it,

    .. math::

        \eta(t) = \eta_b + (\eta_m - \eta_b)\, s(r)\, a(t), \qquad
        s(r) = \begin{cases} r / U & r \le U \\ (U + D - r) / D & r > U \end{cases}

    with the amplitude :math:`a = 1` (``mode="triangular"``), :math:`2^{-q}`
    (``"triangular2"``: halved every cycle) or :math:`\gamma^{t}` (``"exp_range"``).
    This is ``torch.optim.lr_scheduler.CyclicLR`` with the same arguments (without a
    custom ``scale_fn``; multiply by another schedule instead). :math:`q` and
    :math:`r` are exact integer arithmetic for integer step sizes, so the peaks and
    troughs fall exactly on their steps at any step count.
    Reference: Smith, https://arxiv.org/abs/1506.01186.

    Args:
        base_learning_rate: float, finite (:math:`\eta_b`).
        max_learning_rate: float, finite (:math:`\eta_m`).
        step_size_up: number > 0 (:math:`U`).
        step_size_down: number >= 0 or None (:math:`D`); None means :math:`U`.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: number > 0 (:math:`\gamma`), for ``"exp_range"``.
        name: str.

    >>> s = Cyclic(0.1, 1.0, step_size_up=4, step_size_down=2, mode="triangular2")
    >>> [round(s(t), 12) for t in (0, 2, 4, 5, 6, 10, 12)]
    [0.1, 0.55, 1.0, 0.55, 0.1, 0.55, 0.1]
    """

    _config_attrs = (
        ("base_learning_rate", "base_learning_rate"),
        ("max_learning_rate", "max_learning_rate"),
        ("step_size_up", "step_size_up"),
        ("step_size_down", "step_size_down"),
        ("mode", "mode"),
        ("gamma", "gamma"),
        ("name", "name"),
    )

    _length_args = ("step_size_up", "step_size_down")

    def __init__(
        self,
        base_learning_rate: float,
        max_learning_rate: float,
        step_size_up: int | float = 2000,
        step_size_down: int | float | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        name: str = "Cyclic",
    ) -> None:
        self.base_learning_rate = v.number("base_learning_rate", base_learning_rate)
        self.max_learning_rate = v.number("max_learning_rate", max_learning_rate)
        self.step_size_up = v.positive("step_size_up", step_size_up)
        self.step_size_down = (
            None if step_size_down is None else v.nonnegative("step_size_down", step_size_down)
        )
        self.mode = choice("mode", mode, MODES)
        self.gamma = v.positive("gamma", gamma)
        self.name = v.schedule_name(name, "Cyclic")
        self._up = v.as_exact(self.step_size_up)
        down = self.step_size_up if self.step_size_down is None else self.step_size_down
        self._down = v.as_exact(down)
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        from lrkit.core.phases import every

        # every half-cycle turn: a cycle starts (at the base rate) every U + D steps,
        # and peaks U steps into it (no peak is reached when D = 0: the rate drops)
        up, period = self._up, self._up + self._down
        cycles = every(period, last_step, "cycle")
        return [*cycles, *(every(period, last_step, "peak", up - period) if self._down else [])]

    def _horizon(self) -> int | float | None:
        return 2 * (self._up + self._down)  # two cycles

    def momentum(self, base_momentum: float = 0.8, max_momentum: float = 0.9) -> Any:
        r"""The momentum that ``CyclicLR(cycle_momentum=True)`` applies beside this rate.

        A :class:`~lrkit.CyclicalMomentum`,
        :math:`\mu(t) = \mu_m - (\mu_m - \mu_b)\, s(r)\, a(t)`: the same wave and
        amplitude as the rate, inverted, so the momentum is ``max_momentum`` where the
        rate is at its base and falls toward ``base_momentum`` as the rate rises.
        Apply it to ``momentum`` (SGD, RMSprop) or to ``betas[0]`` (Adam and its kin),
        e.g. with :class:`lrkit.torch.ScheduleParams`.

        Args:
            base_momentum: float, finite (:math:`\mu_b`): at the rate's peaks.
            max_momentum: float, finite (:math:`\mu_m`): at the rate's troughs.

        >>> m = Cyclic(0.1, 1.0, step_size_up=4).momentum(0.8, 0.9)
        >>> [round(m(t), 12) for t in (0, 2, 4, 8)]
        [0.9, 0.85, 0.8, 0.9]
        """
        from lrkit.schedules.momentum import CyclicalMomentum

        return CyclicalMomentum(self, base_momentum, max_momentum)

    def _momentum_formula(self, base_momentum: float, max_momentum: float) -> Any:
        span = float(max_momentum) - float(base_momentum)
        top = float(max_momentum)

        def momentum(xp: Ops, step: Any) -> Any:
            return top - span * self._wave(xp, step)

        return momentum

    def _compute(self, xp: Ops, step: Any) -> Any:
        span = float(self.max_learning_rate) - float(self.base_learning_rate)
        return float(self.base_learning_rate) + span * self._wave(xp, step)

    def _wave(self, xp: Ops, step: Any) -> Any:
        r""":math:`s(r)\, a(t)`, from 0 at the base rate to 1 at the peak."""
        up, down = self._up, self._down
        q, r = split(xp, step, up + down)
        rising = xp.divide(r, up)
        # a zero-length way down is never taken; `or 1` keeps its division finite
        falling = xp.divide(up + down - r, down or 1)
        scale = xp.where(r <= up, rising, falling)
        if self.mode == "triangular2":
            scale = scale * xp.pow(0.5, xp.astype(q, xp.float_dtype))
        elif self.mode == "exp_range":
            # exp(t ln g), not g**t: g rounded to float32 would be off by t ulps
            scale = scale * xp.exp(xp.astype(step, xp.float_dtype) * math.log(self.gamma))
        return scale
