"""`Tanh`: hyperbolic-tangent decay (timm ``TanhLRScheduler``)."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.core.scalar import SCALAR
from lrkit.schedules._timm import WARMUP_ATTRS, Cycles

#: tanh(350) is 1 to far beyond float64's precision; clipping keeps exp() finite
_CLIP = 350.0


@builtin(module="lrkit")
class Tanh(Cycles):
    r"""Hyperbolic-tangent decay, in timm's cycles, with timm's warmup.

    Within cycle :math:`i` (as :class:`CosineCycles`: length :math:`T_i = T_0 m^i`,
    start :math:`B_i`, peak :math:`\eta_0\gamma^i`), with :math:`x = (t - B_i)/T_i`:

    .. math::

        \eta(t) = \eta_{min} + (\eta_0 \gamma^i - \eta_{min})\,
                  \frac{1 - \tanh\left(l (1 - x) + u x\right)}{2}

    with :math:`l` = ``lb`` and :math:`u` = ``ub``, and :math:`\eta_{min}` after
    ``cycle_limit`` cycles. So the rate starts just below the peak
    (:math:`(1 - \tanh l)/2`) and ends just above the minimum. A warmup of :math:`W`
    steps rises on a line from :math:`\eta_w`; with ``warmup_prefix`` to
    :math:`\eta_0`, after which the cycles run on :math:`t - W`; without, to the
    rate at :math:`W`, the cycles running on :math:`t` (timm's two conventions).

    This is ``timm.scheduler.TanhLRScheduler(t_initial, lb, ub, lr_min, cycle_mul,
    cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix)`` with the same
    values, at timm's step :math:`t`; noise is not reproduced. The cycle is found
    exactly (timm uses a floating-point logarithm). :math:`(1 - \tanh z)/2` is
    evaluated as :math:`1 / (1 + e^{2z})`, which keeps its relative precision where
    the rate nears the minimum. Reference: Hsueh et al.,
    https://arxiv.org/abs/1806.01593.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        cycle_steps: number > 0 (:math:`T_0`, timm's ``t_initial``).
        lb: float, finite (:math:`l`), less than ``ub``.
        ub: float, finite (:math:`u`).
        min_learning_rate: float, finite (:math:`\eta_{min}`, timm's ``lr_min``).
        cycle_mul: number > 0 (:math:`m`).
        cycle_decay: number >= 0 (:math:`\gamma`).
        cycle_limit: whole number >= 0, or None for no limit.
        warmup_steps: number >= 0 (:math:`W`).
        warmup_learning_rate: float, finite (:math:`\eta_w`).
        warmup_prefix: bool.
        name: str.

    >>> s = Tanh(1.0, cycle_steps=100, lb=-3.0, ub=3.0)
    >>> round(s(0), 6), s(50), round(s(99), 6), s(100)
    (0.997527, 0.5, 0.002787, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("cycle_steps", "cycle_steps"),
        ("lb", "lb"),
        ("ub", "ub"),
        ("min_learning_rate", "min_learning_rate"),
        ("cycle_mul", "cycle_mul"),
        ("cycle_decay", "cycle_decay"),
        ("cycle_limit", "cycle_limit"),
        *WARMUP_ATTRS,
        ("name", "name"),
    )

    _length_args = ("cycle_steps", "warmup_steps")

    def __init__(
        self,
        initial_learning_rate: float,
        cycle_steps: int | float,
        lb: float = -7.0,
        ub: float = 3.0,
        min_learning_rate: float = 0.0,
        cycle_mul: float = 1.0,
        cycle_decay: float = 1.0,
        cycle_limit: int | None = 1,
        warmup_steps: int | float = 0,
        warmup_learning_rate: float = 0.0,
        warmup_prefix: bool = False,
        name: str = "Tanh",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.lb = v.number("lb", lb)
        self.ub = v.number("ub", ub)
        if not self.lb < self.ub:
            raise ValueError(
                f"Argument `lb` must be less than `ub`. Received: lb={lb!r}, ub={ub!r}."
            )
        self.min_learning_rate = v.number("min_learning_rate", min_learning_rate)
        self._init_cycles(cycle_steps, cycle_mul, cycle_decay, cycle_limit)
        self._init_warmup(warmup_steps, warmup_learning_rate, warmup_prefix)
        self.name = v.schedule_name(name, "Tanh")
        if self._w and not self.warmup_prefix:
            self._target = float(self._after(SCALAR, self._w))
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        return self._cycle_boundaries(last_step)

    def _horizon(self) -> int | float | None:
        return self._cycle_horizon()

    def _shape(self, xp: Ops, elapsed: Any, length: Any) -> Any:
        x = xp.divide(elapsed, length)
        lb, ub = float(self.lb), float(self.ub)
        z = lb + (ub - lb) * x
        z = xp.minimum(xp.maximum(z, -_CLIP), _CLIP)
        return 1.0 / (1.0 + xp.exp(2.0 * z))
