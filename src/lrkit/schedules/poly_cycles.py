"""`PolyCycles`: timm's polynomial decay in cycles, with k-decay (``PolyLRScheduler``)."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._timm import WARMUP_ATTRS, Cycles


@builtin(module="lrkit")
class PolyCycles(Cycles):
    r"""timm's polynomial schedule: cycles that grow, decay and stop, with k-decay and warmup.

    Cycle :math:`i` lasts :math:`T_i = T_0 m^i` steps and starts at
    :math:`B_i = T_0 (m^i - 1)/(m - 1)` (:math:`i T_0` for :math:`m = 1`); within it,
    with :math:`e = t - B_i`,

    .. math::

        \eta(t) = \eta_{min} + (\eta_0 \gamma^i - \eta_{min})
                  \left(1 - \frac{e^k}{T_i^k}\right)^p

    and after ``cycle_limit`` cycles :math:`\eta(t) = \eta_{min}`. The warmup is
    timm's, as in :class:`CosineCycles`: a line from :math:`\eta_w` towards
    :math:`\eta_0` over :math:`W` steps, the cycles then running on :math:`t - W`
    (``warmup_prefix``) or on :math:`t`. With :math:`k = 1` this is a polynomial decay
    of power :math:`p` in each cycle; :math:`k > 1` keeps the rate high for longer.

    This is ``timm.scheduler.PolyLRScheduler(t_initial, power, lr_min, cycle_mul,
    cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix, k_decay)`` with
    the same values, at timm's step :math:`t`; noise is not reproduced. The cycle is
    found exactly (timm uses a floating-point logarithm, which puts some restart steps
    in the previous cycle; see :class:`CosineCycles`). Reference: k-decay,
    https://arxiv.org/abs/2004.05909.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        cycle_steps: number > 0 (:math:`T_0`, timm's ``t_initial``).
        power: number >= 0 (:math:`p`). Default 0.5, timm's.
        min_learning_rate: float, finite (:math:`\eta_{min}`, timm's ``lr_min``).
        cycle_mul: number > 0 (:math:`m`).
        cycle_decay: number >= 0 (:math:`\gamma`).
        cycle_limit: whole number >= 0, or None for no limit.
        k_decay: number > 0 (:math:`k`).
        warmup_steps: number >= 0 (:math:`W`, timm's ``warmup_t``).
        warmup_learning_rate: float, finite (:math:`\eta_w`, ``warmup_lr_init``).
        warmup_prefix: bool.
        name: str.

    >>> s = PolyCycles(1.0, cycle_steps=10, power=1.0, k_decay=2.0)
    >>> s(0), s(5), s(10)
    (1.0, 0.75, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("cycle_steps", "cycle_steps"),
        ("power", "power"),
        ("min_learning_rate", "min_learning_rate"),
        ("cycle_mul", "cycle_mul"),
        ("cycle_decay", "cycle_decay"),
        ("cycle_limit", "cycle_limit"),
        ("k_decay", "k_decay"),
        *WARMUP_ATTRS,
        ("name", "name"),
    )

    _length_args = ("cycle_steps", "warmup_steps")

    def __init__(
        self,
        initial_learning_rate: float,
        cycle_steps: int | float,
        power: float = 0.5,
        min_learning_rate: float = 0.0,
        cycle_mul: float = 1.0,
        cycle_decay: float = 1.0,
        cycle_limit: int | None = 1,
        k_decay: float = 1.0,
        warmup_steps: int | float = 0,
        warmup_learning_rate: float = 0.0,
        warmup_prefix: bool = False,
        name: str = "PolyCycles",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.power = v.nonnegative("power", power)
        self.min_learning_rate = v.number("min_learning_rate", min_learning_rate)
        self._init_cycles(cycle_steps, cycle_mul, cycle_decay, cycle_limit)
        self.k_decay = v.positive("k_decay", k_decay)
        self._init_warmup(warmup_steps, warmup_learning_rate, warmup_prefix)
        self.name = v.schedule_name(name, "PolyCycles")
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        return self._cycle_boundaries(last_step)

    def _horizon(self) -> int | float | None:
        return self._cycle_horizon()

    def _shape(self, xp: Ops, elapsed: Any, length: Any) -> Any:
        if self.k_decay == 1:  # the remaining fraction, from the exact remaining steps
            rest = xp.divide(length - elapsed, length)
        else:
            rest = 1.0 - xp.pow(xp.divide(elapsed, length), float(self.k_decay))
        if self.power == 1:
            return rest
        return xp.pow(rest, float(self.power))
