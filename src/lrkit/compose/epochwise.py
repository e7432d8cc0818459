"""`Epochwise`: a schedule written in epochs, stepped once per batch."""

from __future__ import annotations

from typing import Any

from lrkit.compose._child import child
from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule, formula
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._pieces import choice, integer

GRANULARITIES = ("epoch", "step")


@builtin(module="lrkit")
class Epochwise(LearningRateSchedule):
    r"""A schedule whose step is the epoch, evaluated at the batch step :math:`t`.

    With :math:`E` = ``steps_per_epoch``:

    .. math::

        \eta(t) = \begin{cases}
            s(\lfloor t / E \rfloor) & \text{granularity} = \texttt{"epoch"} \\
            s(t / E) & \text{granularity} = \texttt{"step"}
        \end{cases}

    ``"epoch"``: the rate changes at epoch starts only, as a PyTorch scheduler
    stepped once an epoch (``scheduler.step()`` after each epoch); the floor is taken
    in integers. ``"step"``: the schedule sees fractional epochs, as timm's
    ``t_in_epochs=False`` or PyTorch's ``scheduler.step(epoch + i / iters)``; the
    schedule's integer logic (boundaries, milestones) stays exact at whole epochs,
    where :math:`t / E` is exact. ``steps_per_epoch=None`` takes it from
    :meth:`bind` (``bind(steps_per_epoch=...)``).

    Args:
        schedule: any lrkit schedule, or a callable of the step, its step counted in
            epochs.
        steps_per_epoch: int > 0 (:math:`E`), or None: from :meth:`bind`.
        granularity: ``"epoch"`` or ``"step"``; no default: say which.
        name: str.

    >>> import lrkit
    >>> s = Epochwise(lrkit.MultiStep(1.0, [2], gamma=0.1), 100, granularity="epoch")
    >>> s(0), s(199), s(200)
    (1.0, 1.0, 0.1)
    >>> c = Epochwise(lrkit.CosineDecay(1.0, 2), 100, granularity="step")
    >>> c(0), round(c(100), 12), c(150) == lrkit.CosineDecay(1.0, 2)(1.5), c(200)
    (1.0, 0.5, True, 0.0)
    >>> Epochwise(lrkit.CosineDecay(1.0, 2), granularity="epoch").bind(steps_per_epoch=10)(25)
    0.0
    """

    _config_attrs = (
        ("schedule", "schedule"),
        ("steps_per_epoch", "steps_per_epoch"),
        ("granularity", "granularity"),
        ("name", "name"),
    )
    _schedule_keys = frozenset({"schedule"})
    _run_args = ("steps_per_epoch",)

    def __init__(
        self,
        schedule: Any,
        steps_per_epoch: int | None = None,
        *,
        granularity: str,
        name: str = "Epochwise",
    ) -> None:
        self.schedule = child("schedule", schedule)
        self.steps_per_epoch = integer("steps_per_epoch", steps_per_epoch, 1)
        self.granularity = choice("granularity", granularity, GRANULARITIES)
        self.name = v.schedule_name(name, "Epochwise")
        self._e = self.steps_per_epoch
        self._inner = formula(self.schedule)  # resolved once
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        """The schedule's boundaries (in epochs) at their steps."""
        from lrkit.core.phases import boundaries_of, exact

        e = self._e
        return [(exact(b * e), label) for b, label in boundaries_of(self.schedule, last_step / e)]

    def _horizon(self) -> int | float | None:
        from lrkit.core.phases import horizon_of

        inner = horizon_of(self.schedule)
        return None if inner is None else inner * self._e

    def _compute(self, xp: Ops, step: Any) -> Any:
        if self.granularity == "epoch":
            return self._inner(xp, xp.floor_divide(step, self._e))
        return self._inner(xp, xp.divide(step, self._e))
