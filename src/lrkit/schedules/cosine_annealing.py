"""`CosineAnnealing`: a cosine that goes on past its minimum (torch ``CosineAnnealingLR``)."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import cosine_remaining, split


@builtin(module="lrkit")
class CosineAnnealing(LearningRateSchedule):
    r"""A cosine wave between two rates, at every step: down, then back up, and again.

    .. math::

        \eta(t) = \eta_{min} + (\eta_0 - \eta_{min})\,
                  \frac{1 + \cos(\pi t / T)}{2}

    It falls from :math:`\eta_0` to :math:`\eta_{min}` over :math:`T` steps, then rises
    back over the next :math:`T`: a period of :math:`2T`. This is
    ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T, eta_min)`` on an optimizer
    whose rate is :math:`\eta_0`, past ``T_max`` too (where torch's cosine climbs
    back). The step is first reduced modulo :math:`2T` (exact integer arithmetic for
    integer steps and :math:`T`, an exact floating remainder otherwise) and folded
    onto :math:`[0, T]`, so the minimum and maximum fall exactly on their steps at any
    step count. To hold the minimum after :math:`T` instead, use :class:`Cosine`.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`, torch's ``T_max``).
        min_learning_rate: float, finite (:math:`\eta_{min}`, torch's ``eta_min``).
        name: str.

    >>> s = CosineAnnealing(1.0, decay_steps=10, min_learning_rate=0.1)
    >>> s(0), round(s(5), 12), s(10), round(s(15), 12), s(20)
    (1.0, 0.55, 0.1, 0.55, 1.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("decay_steps", "decay_steps"),
        ("min_learning_rate", "min_learning_rate"),
        ("name", "name"),
    )

    _length_args = ("decay_steps",)

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        min_learning_rate: float = 0.0,
        name: str = "CosineAnnealing",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = v.positive("decay_steps", decay_steps)
        self.min_learning_rate = v.number("min_learning_rate", min_learning_rate)
        self.name = v.schedule_name(name, "CosineAnnealing")
        self._t = v.as_exact(self.decay_steps)
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        """Every :math:`kT`: the minimum (``"decay end"``) for odd :math:`k`, the peak
        again (``"restart"``) for even :math:`k`."""
        from lrkit.core.phases import every

        return [
            (step, "decay end" if k % 2 == 0 else "restart")
            for k, (step, _) in enumerate(every(self._t, last_step, ""))
        ]

    def _horizon(self) -> int | float | None:
        """Two periods: :math:`4T`."""
        return 4 * self._t

    def _compute(self, xp: Ops, step: Any) -> Any:
        t = self._t
        _, r = split(xp, step, 2 * t)  # 0 <= r < 2T
        folded = xp.minimum(r, 2 * t - r)  # the same cosine, on [0, T]
        shape = cosine_remaining(xp, xp.divide(t - folded, t))  # (1 + cos(pi f / T)) / 2
        lo, hi = float(self.min_learning_rate), float(self.initial_learning_rate)
        return lo + (hi - lo) * shape
