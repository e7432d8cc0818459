"""`CyclicalMomentum`: the momentum cycled against a 1cycle or cyclic rate."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules.cyclic import Cyclic
from lrkit.schedules.one_cycle import OneCycle


@builtin(module="lrkit")
class CyclicalMomentum(LearningRateSchedule):
    r"""The momentum (or Adam's :math:`\beta_1`) cycled against a rate schedule.

    The companion of a :class:`~lrkit.OneCycle` or :class:`~lrkit.Cyclic` rate, with
    the same phases and the same exact phase boundaries, inverted: high momentum
    where the rate is low, low momentum where it is high (Smith, 2018,
    https://arxiv.org/abs/1803.09820). This is what PyTorch's ``OneCycleLR`` and
    ``CyclicLR`` apply to ``momentum`` (or ``betas[0]``) with ``cycle_momentum=True``.

    * For ``OneCycle``, through the rate's points :math:`(x_k, \cdot)` with the same
      annealing (cosine or linear): :math:`\mu_b` at the point of the peak rate,
      :math:`\mu_m` at every other point, :math:`\mu_m` held from the last point on.
    * For ``Cyclic``, with the rate's wave :math:`s(r)` and amplitude :math:`a(t)`:

      .. math::

          \mu(t) = \mu_m - (\mu_m - \mu_b)\, s(r)\, a(t)

    Usually built by ``OneCycle(...).momentum(...)`` or ``Cyclic(...).momentum(...)``.

    Args:
        schedule: a ``OneCycle`` or ``Cyclic`` schedule (the rate).
        base_momentum: float, finite (:math:`\mu_b`): the momentum at the peak rate.
        max_momentum: float, finite (:math:`\mu_m`): the momentum at the lowest rates.
        name: str.

    >>> import lrkit
    >>> m = CyclicalMomentum(lrkit.Cyclic(0.1, 1.0, step_size_up=2), 0.8, 0.9)
    >>> [round(m(t), 12) for t in range(5)]
    [0.9, 0.85, 0.8, 0.85, 0.9]
    """

    _config_attrs = (
        ("schedule", "schedule"),
        ("base_momentum", "base_momentum"),
        ("max_momentum", "max_momentum"),
        ("name", "name"),
    )
    _schedule_keys = frozenset({"schedule"})

    def __init__(
        self,
        schedule: OneCycle | Cyclic,
        base_momentum: float,
        max_momentum: float,
        name: str = "CyclicalMomentum",
    ) -> None:
        if type(schedule) not in (OneCycle, Cyclic):
            raise TypeError(
                "Argument `schedule` must be a OneCycle or Cyclic schedule. "
                f"Received: schedule={schedule!r}."
            )
        self.schedule = schedule
        self.base_momentum = v.number("base_momentum", base_momentum)
        self.max_momentum = v.number("max_momentum", max_momentum)
        self.name = v.schedule_name(name, "CyclicalMomentum")
        self._inner = schedule._momentum_formula(
            float(self.base_momentum), float(self.max_momentum)
        )
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        """The rate schedule's: the momentum turns where the rate does."""
        return list(self.schedule._boundaries(last_step))

    def _horizon(self) -> int | float | None:
        return self.schedule._horizon()

    def _compute(self, xp: Ops, step: Any) -> Any:
        return self._inner(xp, step)
