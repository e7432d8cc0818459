"""`Step` and `MultiStep`: the rate multiplied by ``gamma`` at fixed steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrkit.core import validate as v
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import split
from lrkit.schedules._timm import WARMUP_ATTRS, TimmWarmup


@builtin(module="lrkit")
class Step(TimmWarmup):
    r"""The rate multiplied by ``gamma`` every ``step_size`` steps.

    .. math::

        \eta(t) = \eta_0\, \gamma^{\lfloor t / S \rfloor}

    This is ``torch.optim.lr_scheduler.StepLR(step_size, gamma)`` on an optimizer
    whose rate is :math:`\eta_0`, and (with the warmup arguments) timm's
    ``StepLRScheduler(decay_t, decay_rate, warmup_t, warmup_lr_init, warmup_prefix)``:
    for :math:`t < W` the rate rises on a line from :math:`\eta_w` to :math:`\eta_0`;
    from :math:`W` on it is the formula above at :math:`t - W` (``warmup_prefix``,
    timm's default for this scheduler) or at :math:`t`. The floor is exact integer
    division for integer steps.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        step_size: number > 0 (:math:`S`).
        gamma: number >= 0 (:math:`\gamma`). Default 0.1.
        warmup_steps: number >= 0 (:math:`W`).
        warmup_learning_rate: float, finite (:math:`\eta_w`).
        warmup_prefix: bool.
        name: str.

    >>> s = Step(1.0, step_size=10, gamma=0.5)
    >>> s(0), s(9), s(10), s(25)
    (1.0, 1.0, 0.5, 0.25)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("step_size", "step_size"),
        ("gamma", "gamma"),
        *WARMUP_ATTRS,
        ("name", "name"),
    )

    def __init__(
        self,
        initial_learning_rate: float,
        step_size: int | float,
        gamma: float = 0.1,
        warmup_steps: int | float = 0,
        warmup_learning_rate: float = 0.0,
        warmup_prefix: bool = True,
        name: str = "Step",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.step_size = v.positive("step_size", step_size)
        self.gamma = v.nonnegative("gamma", gamma)
        self._init_warmup(warmup_steps, warmup_learning_rate, warmup_prefix)
        self.name = v.schedule_name(name, "Step")
        self._size = v.as_exact(self.step_size)
        self._freeze()

    def _after(self, xp: Ops, step: Any) -> Any:
        q, _ = split(xp, step, self._size)
        return float(self.initial_learning_rate) * xp.pow(
            float(self.gamma), xp.astype(q, xp.float_dtype)
        )


@builtin(module="lrkit")
class MultiStep(TimmWarmup):
    r"""The rate multiplied by ``gamma`` at each milestone.

    .. math::

        \eta(t) = \eta_0\, \gamma^{\,|\{i : m_i \le t\}|}

    This is ``torch.optim.lr_scheduler.MultiStepLR(milestones, gamma)`` on an
    optimizer whose rate is :math:`\eta_0` (a milestone listed twice multiplies twice,
    as in torch). timm's ``MultiStepLRScheduler`` applies milestone :math:`m` one step
    early, at :math:`t = m - 1`: ``decay_t=[30, 60]`` is ``milestones=[29, 59]`` here;
    its warmup arguments are as in :class:`Step` (``warmup_prefix`` defaults to True,
    as timm's). Milestones are sorted; the count is a binary search with exact
    comparisons.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        milestones: numbers >= 0, in any order (:math:`m_i`).
        gamma: number >= 0 (:math:`\gamma`). Default 0.1.
        warmup_steps: number >= 0.
        warmup_learning_rate: float, finite.
        warmup_prefix: bool.
        name: str.

    >>> s = MultiStep(1.0, milestones=[30, 80], gamma=0.1)
    >>> s(0), s(29), s(30), round(s(80), 15)
    (1.0, 1.0, 0.1, 0.01)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("milestones", "milestones"),
        ("gamma", "gamma"),
        *WARMUP_ATTRS,
        ("name", "name"),
    )

    def __init__(
        self,
        initial_learning_rate: float,
        milestones: Sequence[int | float],
        gamma: float = 0.1,
        warmup_steps: int | float = 0,
        warmup_learning_rate: float = 0.0,
        warmup_prefix: bool = True,
        name: str = "MultiStep",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        ms = v.number_list("milestones", milestones)
        for i, m in enumerate(ms):
            if m < 0:
                raise ValueError(
                    "Argument `milestones` must hold numbers >= 0. "
                    f"Received: milestones[{i}]={m!r}."
                )
        self.milestones = tuple(sorted(ms))
        self.gamma = v.nonnegative("gamma", gamma)
        self._init_warmup(warmup_steps, warmup_learning_rate, warmup_prefix)
        self.name = v.schedule_name(name, "MultiStep")
        self._freeze()

    def _after(self, xp: Ops, step: Any) -> Any:
        if not self.milestones:
            return float(self.initial_learning_rate)
        passed = xp.searchsorted(xp.table(self.milestones, step, rounding=1), step, side="right")
        return float(self.initial_learning_rate) * xp.pow(
            float(self.gamma), xp.astype(passed, xp.float_dtype)
        )
