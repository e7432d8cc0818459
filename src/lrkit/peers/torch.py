"""`from_torch`: the lrkit schedule of a live ``torch.optim.lr_scheduler`` object.

Nothing here imports torch: a scheduler is recognised by its class's module and name, and
read through its public attributes (and the few private ones that hold its arguments:
``OneCycleLR``'s phases, ``CyclicLR``'s custom ``scale_fn``, ``SequentialLR``'s and
``ChainedScheduler``'s children).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lrkit.compose.arithmetic import Product
from lrkit.compose.join import Join
from lrkit.core.base import LearningRateSchedule
from lrkit.peers._common import group_index, number, recovered, renamed
from lrkit.schedules.constant import Constant
from lrkit.schedules.cosine_annealing import CosineAnnealing
from lrkit.schedules.cosine_variants import CosineCycles
from lrkit.schedules.cyclic import Cyclic
from lrkit.schedules.exponential import ExponentialDecay
from lrkit.schedules.linear import Linear, PiecewiseLinear, Polynomial
from lrkit.schedules.one_cycle import OneCycle
from lrkit.schedules.step import MultiStep, Step

_MODULES = ("torch.optim.lr_scheduler", "torch.optim.swa_utils")

#: schedulers whose every step multiplies the rate by a factor of their own (a chain of
#: them is the product of their schedules)
_MULTIPLYING = ("StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR")

_CODE = ("LambdaLR", "MultiplicativeLR")
_METRIC = ("ReduceLROnPlateau",)


def from_torch(scheduler: Any, group: int = 0) -> LearningRateSchedule:
    r"""The lrkit schedule of a PyTorch learning-rate scheduler, value for value.

    For a scheduler ``sched`` built on an optimizer ``opt``, the returned schedule
    ``s`` gives at step :math:`t` the rate ``opt.param_groups[group]["lr"]`` holds after
    :math:`t` calls of ``sched.step()`` from the scheduler's construction:

    .. math::

        s(t) = \text{lr}_g(t), \qquad t = 0, 1, 2, \dots

    to 1e-12 of its scale (torch's own rounding: several of its schedulers multiply
    the previous rate at each step, lrkit computes the closed form). The optimizer's
    initial rate (the scheduler's ``base_lrs[group]``, its ``initial_lr``) is folded
    in. A scheduler already stepped gives the same schedule: it is a function of the
    step counted from the scheduler's start (``sched.last_epoch`` is where it is now),
    read from its arguments, never from its current rate (except ``SWALR``, whose
    start rate is recovered from it as torch does).

    Supported: ``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``,
    ``ExponentialLR``, ``PolynomialLR``, ``CosineAnnealingLR`` (past ``T_max`` too:
    :class:`lrkit.CosineAnnealing`), ``CosineAnnealingWarmRestarts``, ``OneCycleLR``,
    ``CyclicLR`` (built-in modes), ``SWALR``, ``SequentialLR`` of these, and
    ``ChainedScheduler`` of schedulers that multiply the rate (``StepLR``,
    ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``,
    ``PolynomialLR``). Where torch fails or is wrong (a division by zero, a
    ``OneCycleLR`` stepped past its end), the schedule is lrkit's exact one; see
    docs/schedules.md.

    Args:
        scheduler: a ``torch.optim.lr_scheduler`` (or ``torch.optim.swa_utils.SWALR``)
            instance of a class above (not a subclass, which may hold code).
        group: int >= 0, less than the number of the optimizer's parameter groups:
            whose rate.

    Raises:
        TypeError: for a scheduler that holds arbitrary code (``LambdaLR``,
            ``MultiplicativeLR``, ``CyclicLR`` with a custom ``scale_fn``), one driven
            by a metric (``ReduceLROnPlateau``), or any other object.
        ValueError: for arguments torch accepts but cannot step through (e.g.
            ``PolynomialLR(total_iters=0)``, unsorted ``SequentialLR`` milestones).

    >>> import torch  # doctest: +SKIP
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)  # doctest: +SKIP
    >>> sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)  # doctest: +SKIP
    >>> from_torch(sched)  # doctest: +SKIP
    Step(initial_learning_rate=0.1, step_size=10, gamma=0.5)

    Without torch, any object of the same class name and attributes is read alike:

    >>> import types
    >>> StepLR = type("StepLR", (), {"__module__": "torch.optim.lr_scheduler"})
    >>> sched = StepLR()
    >>> sched.base_lrs, sched.step_size, sched.gamma = [0.1], 10, 0.5
    >>> s = from_torch(sched)
    >>> s(0), s(9), s(10), s(25)
    (0.1, 0.1, 0.05, 0.025)
    """
    name = _class_name(scheduler)
    count = len(_base_lrs(scheduler, name))
    g = group_index(group, count)
    return _build(scheduler, name, g, None)


def _class_name(scheduler: Any) -> str:
    cls = type(scheduler)
    name = cls.__name__
    if cls.__module__ not in _MODULES:
        raise TypeError(
            f"from_torch: expected a torch.optim.lr_scheduler scheduler, not {name} "
            f"(from {cls.__module__}). A subclass may hold code of its own; build the lrkit "
            "schedule directly."
        )
    if name in _CODE:
        raise TypeError(
            f"from_torch: {name} computes its rate with arbitrary Python code (its lambda), "
            "which lrkit cannot read as a schedule. Write the schedule in lrkit (e.g. with "
            "Join, Warmup, Product) instead."
        )
    if name in _METRIC:
        raise TypeError(
            f"from_torch: {name} depends on a metric passed at each step, not on the step: "
            "it is not a schedule."
        )
    if name not in _BUILDERS:
        raise TypeError(f"from_torch: {name} is not supported.")
    return name


def _base_lrs(scheduler: Any, name: str) -> list[Any]:
    if name in ("SequentialLR", "ChainedScheduler"):
        children = scheduler._schedulers
        return _base_lrs(children[0], _class_name(children[0]))
    return list(scheduler.base_lrs)


def _build(sched: Any, name: str, g: int, base: float | None) -> LearningRateSchedule:
    """``sched``'s schedule for group ``g``; ``base`` replaces its initial rate (1.0 for
    a factor of a chain), None keeps it."""
    if base is None and name not in ("SequentialLR", "ChainedScheduler"):
        base = number("base_lrs", sched.base_lrs[g])
    return _BUILDERS[name](sched, g, base)


def _step(s: Any, g: int, base: float) -> LearningRateSchedule:
    return renamed({}, lambda: Step(base, s.step_size, s.gamma))


def _multistep(s: Any, g: int, base: float) -> LearningRateSchedule:
    milestones = sorted(s.milestones.elements())
    if milestones and milestones[0] < 0:
        raise ValueError(
            "MultiStepLR: argument `milestones` must hold numbers >= 0 (torch's stepping never "
            f"reaches a negative milestone, its closed form counts it). Received: "
            f"milestones={milestones}."
        )
    return renamed({}, lambda: MultiStep(base, milestones, s.gamma))


def _constant(s: Any, g: int, base: float) -> LearningRateSchedule:
    factor, total = s.factor, s.total_iters
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError(
            "ConstantLR: argument `total_iters` must be an int >= 0. "
            f"Received: total_iters={total!r}."
        )
    # base * factor for t < total_iters, then base (torch's closed form; its stepping
    # divides by a zero factor, and with total_iters=0 never leaves the factor)
    return renamed(
        {"initial_learning_rate": "factor"},
        lambda: Linear(base * factor, base, 0, transition_begin=total),
    )


def _linear(s: Any, g: int, base: float) -> LearningRateSchedule:
    names = {"transition_steps": "total_iters"}
    return renamed(names, lambda: Linear(base * s.start_factor, base * s.end_factor, s.total_iters))


def _exponential(s: Any, g: int, base: float) -> LearningRateSchedule:
    return renamed({"decay_rate": "gamma"}, lambda: ExponentialDecay(base, 1, s.gamma))


def _polynomial(s: Any, g: int, base: float) -> LearningRateSchedule:
    return renamed(
        {"decay_steps": "total_iters"}, lambda: Polynomial(base, s.total_iters, 0.0, s.power)
    )


def _cosine(s: Any, g: int, base: float) -> LearningRateSchedule:
    return renamed(
        {"decay_steps": "T_max", "min_learning_rate": "eta_min"},
        lambda: CosineAnnealing(base, s.T_max, s.eta_min),
    )


def _restarts(s: Any, g: int, base: float) -> LearningRateSchedule:
    names = {"cycle_steps": "T_0", "cycle_mul": "T_mult", "min_learning_rate": "eta_min"}
    return renamed(
        names,
        lambda: CosineCycles(base, s.T_0, s.eta_min, cycle_mul=s.T_mult, cycle_limit=None),
    )


def _one_cycle(s: Any, g: int, base: float) -> LearningRateSchedule:
    kind = getattr(s, "_anneal_func_type", None)
    if kind not in ("cos", "linear"):
        raise TypeError("from_torch: this OneCycleLR anneals with a function of its own.")
    pg = s.optimizer.param_groups[g]
    initial, top, low = (number(k, pg[k]) for k in ("initial_lr", "max_lr", "min_lr"))
    total = s.total_steps
    phases = s._schedule_phases
    three = len(phases) == 3
    end0 = float(phases[0]["end_step"])
    pct = recovered((end0 + 1) / total, lambda p: float(p * total) - 1 == end0)
    if top == 0.0 or initial == 0.0:
        div = 25.0 if top == 0.0 else math.inf
    else:
        div = recovered(top / initial, lambda d: top / d == initial)
    final = 1e4 if low == 0.0 else recovered(initial / low, lambda f: initial / f == low)
    names = {"max_learning_rate": "max_lr"}
    return renamed(
        names,
        lambda: OneCycle(top, total, pct, kind, div, final, three_phase=three),
    )


def _cyclic(s: Any, g: int, base: float) -> LearningRateSchedule:
    if getattr(s, "_scale_fn_custom", None) is not None:
        raise TypeError(
            "from_torch: this CyclicLR has a custom `scale_fn` (arbitrary code), which lrkit "
            "cannot read as a schedule. Multiply a Cyclic schedule by another (Product) instead."
        )
    total, ratio = float(s.total_size), float(s.step_ratio)
    up = recovered(total * ratio, lambda u: u / total == ratio and (total - u) + u == total)
    up_exact: float | int = int(up) if float(up).is_integer() else up
    down = total - up
    down_exact: float | int = int(down) if float(down).is_integer() else down
    low = number("base_lr", s.base_lrs[g])
    high = number("max_lr", s.max_lrs[g])
    return renamed(
        {"base_learning_rate": "base_lr", "max_learning_rate": "max_lr"},
        lambda: Cyclic(low, high, up_exact, down_exact, s.mode, s.gamma),
    )


def _swa_shape(s: Any, start: float, swa: float) -> LearningRateSchedule:
    epochs = s.anneal_epochs
    if epochs == 0:  # torch anneals over max(1, 0) epochs from step 1 on: swa_lr at once
        return Constant(swa)
    if s._anneal_strategy == "linear":
        return Linear(start, swa, epochs)
    return PiecewiseLinear([(0, start), (epochs, swa)], interpolation="cosine")


def _swa_start(s: Any, g: int) -> float:
    """The rate SWALR anneals from: the group's rate when it was built, recovered from
    its current rate as torch recovers it."""
    pg = s.optimizer.param_groups[g]
    lr, swa = number("lr", pg["lr"]), number("swa_lr", pg["swa_lr"])
    step = s._step_count - 1
    epochs = s.anneal_epochs
    if epochs == 0:
        return swa
    t = max(0.0, min(1.0, step / max(1, epochs)))
    alpha = t if s._anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2
    if alpha == 1:
        raise ValueError(
            f"SWALR: its annealing is over (step {step} of anneal_epochs={epochs}), so the "
            "rate it started from is no longer known; call from_torch before that step."
        )
    return (lr - alpha * swa) / (1 - alpha)


def _swa(s: Any, g: int, base: float) -> LearningRateSchedule:
    swa = number("swa_lr", s.optimizer.param_groups[g]["swa_lr"])
    return _swa_shape(s, _swa_start(s, g), swa)


def _sequential(s: Any, g: int, base: float | None) -> LearningRateSchedule:
    children, milestones = list(s._schedulers), list(s._milestones)
    if any(not milestones[i - 1] <= milestones[i] for i in range(1, len(milestones))):
        raise ValueError(
            "SequentialLR: argument `milestones` must be sorted (torch's bisection of an "
            f"unsorted list picks schedulers out of order). Received: milestones={milestones}."
        )
    if milestones and milestones[0] < 0:
        raise ValueError(
            f"SequentialLR: argument `milestones` must be >= 0. Received: milestones={milestones}."
        )
    # the scheduler in force from each distinct milestone: the last one listed there
    starts: list[int] = [0]
    used: list[Any] = [children[sum(1 for m in milestones if m <= 0)]]
    for i, m in enumerate(milestones):
        if m <= 0:
            continue
        if m == starts[-1]:
            used[-1] = children[i + 1]
        else:
            starts.append(m)
            used.append(children[i + 1])
    pieces: list[LearningRateSchedule] = []
    for k, child in enumerate(used):
        name = _class_name(child)
        if name in ("SequentialLR", "ChainedScheduler"):
            raise TypeError(f"from_torch: a {name} inside a SequentialLR is not supported.")
        if name == "SWALR":
            swa = number("swa_lr", child.optimizer.param_groups[g]["swa_lr"])
            if k == 0:  # SequentialLR resets the rate to initial_lr, then starts it
                start = number("initial_lr", child.optimizer.param_groups[g]["initial_lr"])
                pieces.append(_swa_shape(child, start, swa))
            else:  # at its milestone it holds the previous rate, then anneals from it
                sofar = Join(pieces, starts[1:k]) if k > 1 else pieces[0]
                start = float(sofar(starts[k] - 1))
                shape = _swa_shape(child, start, swa)
                if child.anneal_epochs:
                    shape = Join([Constant(start), shape], [1], step_mode="global")
                pieces.append(shape)
            continue
        pieces.append(_build(child, name, g, base))
    return pieces[0] if len(pieces) == 1 else Join(pieces, starts[1:])


def _chained(s: Any, g: int, base: float | None) -> LearningRateSchedule:
    children = list(s._schedulers)
    names = [_class_name(c) for c in children]
    if len(children) == 1:
        return _build(children[0], names[0], g, base)
    for name in names:
        if name not in _MULTIPLYING:
            raise TypeError(
                f"from_torch: a ChainedScheduler of more than one scheduler is supported when "
                f"each multiplies the rate by a factor ({', '.join(_MULTIPLYING)}); its "
                f"{name} does not."
            )
    first = _build(children[0], names[0], g, base)
    factors = [_build(c, n, g, 1.0) for c, n in zip(children[1:], names[1:], strict=True)]
    return Product([first, *factors])


_BUILDERS: dict[str, Callable[[Any, int, Any], LearningRateSchedule]] = {
    "StepLR": _step,
    "MultiStepLR": _multistep,
    "ConstantLR": _constant,
    "LinearLR": _linear,
    "ExponentialLR": _exponential,
    "PolynomialLR": _polynomial,
    "CosineAnnealingLR": _cosine,
    "CosineAnnealingWarmRestarts": _restarts,
    "OneCycleLR": _one_cycle,
    "CyclicLR": _cyclic,
    "SWALR": _swa,
    "SequentialLR": _sequential,
    "ChainedScheduler": _chained,
}
