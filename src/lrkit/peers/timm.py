"""`from_timm`: the lrkit schedule of a live ``timm.scheduler`` object.

Nothing here imports timm or torch: a scheduler is recognised by its class's module and
name, and read through its attributes (its constructor's arguments, stored as given).
"""

from __future__ import annotations

from typing import Any

from lrkit.compose.arithmetic import Scale
from lrkit.core.base import LearningRateSchedule
from lrkit.peers._common import group_index, number, renamed
from lrkit.schedules.cosine_variants import CosineCycles
from lrkit.schedules.poly_cycles import PolyCycles
from lrkit.schedules.step import MultiStep, Step
from lrkit.schedules.tanh import Tanh

_NAMES = {
    "cycle_steps": "t_initial",
    "min_learning_rate": "lr_min",
    "warmup_steps": "warmup_t",
    "warmup_learning_rate": "warmup_lr_init",
    "step_size": "decay_t",
    "gamma": "decay_rate",
    "milestones": "decay_t",
    "initial_learning_rate": "base_values",
}

_SUPPORTED = (
    "CosineLRScheduler",
    "TanhLRScheduler",
    "StepLRScheduler",
    "MultiStepLRScheduler",
    "PolyLRScheduler",
)


def from_timm(scheduler: Any, group: int = 0) -> LearningRateSchedule:
    r"""The lrkit schedule of a timm scheduler: the rate timm sets at its step :math:`t`.

    .. math::

        s(t) = \text{scheduler.\_get\_lr}(t)[\text{group}] \cdot \text{lr\_scale}

    with ``lr_scale`` the group's (1 without one), to 1e-12 of the scale. :math:`t` is
    what timm's schedule is of: the epoch passed to ``scheduler.step(epoch)`` when the
    scheduler has ``t_in_epochs=True`` (timm's default), the update count passed to
    ``scheduler.step_update(num_updates)`` when it has ``t_in_epochs=False``. The
    group's initial rate (timm's ``base_values``) is folded in; ``warmup_t``,
    ``warmup_lr_init`` and ``warmup_prefix`` are honoured as timm does.

    What it builds: ``CosineLRScheduler``: :class:`lrkit.CosineCycles`;
    ``TanhLRScheduler``: :class:`lrkit.Tanh`; ``PolyLRScheduler``:
    :class:`lrkit.PolyCycles` (with ``k_decay``); ``StepLRScheduler``:
    :class:`lrkit.Step`; ``MultiStepLRScheduler``: :class:`lrkit.MultiStep` with each
    milestone :math:`m` at :math:`\max(m - 1, 0)` (timm applies milestone :math:`m` at
    :math:`t = m - 1`). Where timm is wrong (a floating-point logarithm that puts some
    restart steps in the previous cycle, a math domain error once shrinking cycles have
    converged) the schedule is lrkit's exact one; see docs/schedules.md.

    Args:
        scheduler: a ``timm.scheduler`` instance of a class above, without noise
            (``noise_range_t=None``: timm's noise is drawn from torch's generator).
        group: int >= 0, less than the number of the optimizer's parameter groups.

    Raises:
        TypeError: for another class, or a scheduler with noise.
        ValueError: for arguments timm accepts but cannot step through (e.g. unsorted
            ``decay_t`` of ``MultiStepLRScheduler``).

    Without timm, any object of the same class name and attributes is read alike:

    >>> StepLRScheduler = type("StepLRScheduler", (), {"__module__": "timm.scheduler.step_lr"})
    >>> sched = StepLRScheduler()
    >>> sched.base_values, sched.noise_range_t = [0.1], None
    >>> sched.decay_t, sched.decay_rate = 10, 0.5
    >>> sched.warmup_t, sched.warmup_lr_init, sched.warmup_prefix = 0, 0.0, True
    >>> sched.optimizer = type("Opt", (), {"param_groups": [{}]})()
    >>> s = from_timm(sched)
    >>> s(0), s(10), s(25)
    (0.1, 0.05, 0.025)
    """
    cls = type(scheduler)
    name = cls.__name__
    if not cls.__module__.startswith("timm.scheduler") or name not in _SUPPORTED:
        raise TypeError(
            f"from_timm: expected one of timm's {', '.join(_SUPPORTED)}, not {name} "
            f"(from {cls.__module__})."
        )
    if getattr(scheduler, "noise_range_t", None) is not None:
        raise TypeError(
            f"from_timm: this {name} adds noise (noise_range_t="
            f"{scheduler.noise_range_t!r}), drawn from torch's random generator at each "
            "step: not a schedule lrkit reproduces. Build it with noise_range_t=None."
        )
    bases = list(scheduler.base_values)
    g = group_index(group, len(bases))
    base = number("base_values", bases[g])
    s = scheduler
    warmup = (s.warmup_t, s.warmup_lr_init, s.warmup_prefix)
    out: LearningRateSchedule
    if name == "CosineLRScheduler":
        out = renamed(
            _NAMES,
            lambda: CosineCycles(
                base, s.t_initial, s.lr_min, s.cycle_mul, s.cycle_decay, s.cycle_limit,
                s.k_decay, *warmup,
            ),
        )  # fmt: skip
    elif name == "TanhLRScheduler":
        out = renamed(
            _NAMES,
            lambda: Tanh(
                base, s.t_initial, s.lb, s.ub, s.lr_min, s.cycle_mul, s.cycle_decay,
                s.cycle_limit, *warmup,
            ),
        )  # fmt: skip
    elif name == "PolyLRScheduler":
        out = renamed(
            _NAMES,
            lambda: PolyCycles(
                base, s.t_initial, s.power, s.lr_min, s.cycle_mul, s.cycle_decay,
                s.cycle_limit, s.k_decay, *warmup,
            ),
        )  # fmt: skip
    elif name == "StepLRScheduler":
        out = renamed(_NAMES, lambda: Step(base, s.decay_t, s.decay_rate, *warmup))
    else:
        out = renamed(
            _NAMES, lambda: MultiStep(base, _milestones(s.decay_t), s.decay_rate, *warmup)
        )
    scale = s.optimizer.param_groups[g].get("lr_scale")
    return out if scale is None else Scale(out, number("lr_scale", scale))


def _milestones(decay_t: Any) -> list[Any]:
    ms = list(decay_t)
    if any(not ms[i - 1] <= ms[i] for i in range(1, len(ms))):
        raise ValueError(
            "MultiStepLRScheduler: argument `decay_t` must be sorted (timm bisects it as "
            f"given, and an unsorted list counts milestones out of order). Received: decay_t={ms}."
        )
    # timm applies milestone m from t = m - 1 on (it counts the milestones <= t + 1)
    return [max(m - 1, 0) for m in ms]
