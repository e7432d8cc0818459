"""PyTorch: :class:`ScheduleLR`, a ``torch.optim.lr_scheduler.LRScheduler`` driven by lrkit.

Imported only when used (``import lrkit.torch``); it imports torch, ``import lrkit``
does not.

The scheduler's state is the step alone: the rate of every parameter group is the
schedule's closed form at ``last_epoch``, never a product of earlier rates, so a
run resumed from ``state_dict()`` gets the uninterrupted run's rates bit for bit,
whichever of the optimizer and the scheduler is loaded first.

>>> import torch, lrkit, lrkit.torch
>>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
>>> sched = lrkit.torch.ScheduleLR(opt, lrkit.ExponentialDecay(0.1, 10, 0.5))
>>> opt.param_groups[0]["lr"]          # the rate of step 0, set at construction
0.1
>>> for _ in range(10):
...     opt.step()
...     sched.step()
>>> sched.last_epoch, sched.get_last_lr()
(10, [0.05])
"""

from __future__ import annotations

import math
import numbers
import weakref
from collections.abc import Mapping
from typing import Any, NamedTuple

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrkit.core.base import LearningRateSchedule
from lrkit.core.serialization import deserialize, serialize

__all__ = ["MODES", "ON_SKIP", "ScheduleLR", "lightning_config"]

#: ``"absolute"``: the schedule is the rate; ``"relative"``: it multiplies the group's initial lr
MODES = ("absolute", "relative")
#: what a step the optimizer skipped (e.g. by ``GradScaler``) does to the schedule
ON_SKIP = ("advance", "hold")


class _Target(NamedTuple):
    """One scheduled value: ``optimizer.param_groups[group][key]`` (or its element)."""

    group: int
    key: str
    #: the element of a tuple-valued key (``betas``), or None for the value itself
    index: int | None
    schedule: Any
    relative: bool


class _GroupScheduler(LRScheduler):
    """The mechanism :class:`ScheduleLR` and :class:`ScheduleParams` share.

    A subclass gives its scheduled values as :attr:`_targets` and their initial
    values as :meth:`_bases`; this class steps (``on_skip``), computes every value
    from its schedule's closed form at ``last_epoch``, writes them into the
    parameter groups (in place for a tensor), and restores the step.
    """

    _targets: tuple[_Target, ...] = ()
    _groups: int = 0

    def _start(self, optimizer: Optimizer, on_skip: str, last_epoch: int) -> None:
        self.on_skip = _choice("on_skip", on_skip, ON_SKIP)
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral):
            raise TypeError(
                f"Argument `last_epoch` must be an int. Received: last_epoch={last_epoch!r}."
            )
        if last_epoch < -1:
            raise ValueError(
                f"Argument `last_epoch` must be >= -1. Received: last_epoch={last_epoch!r}."
            )
        self._groups = len(optimizer.param_groups)
        self._updated = False
        self._initializing = True
        if self.on_skip == "hold":
            handle = optimizer.register_step_post_hook(_post_hook(self))
            weakref.finalize(self, handle.remove)
        try:
            LRScheduler.__init__(self, optimizer, int(last_epoch))
        finally:
            self._initializing = False

    def _bases(self) -> list[Any]:  # the initial value of each target
        raise NotImplementedError

    def _values(self) -> list[Any]:
        """The value of each target at step ``last_epoch`` (a pure function)."""
        groups = len(self.optimizer.param_groups)
        if groups != self._groups:
            raise ValueError(
                f"The optimizer has {groups} parameter groups, but this scheduler was built "
                f"for {self._groups}: build a new {type(self).__name__} after add_param_group()."
            )
        step = self.last_epoch if self.last_epoch > 0 else 0  # (max() costs a call)
        values = [_rate(t.schedule, step, t.key) for t in self._targets]
        if any(t.relative for t in self._targets):
            bases = self._bases()
            return [
                base * value if t.relative else value
                for t, base, value in zip(self._targets, bases, values, strict=True)
            ]
        return values

    def step(self, epoch: int | None = None) -> None:
        """Moves to the next step (or to step ``epoch``) and sets its values.

        Call it once per training step, after ``optimizer.step()`` (or
        ``scaler.step(optimizer)``). ``step(k)`` jumps to step ``k`` exactly (the
        schedule is a closed form; no deprecation warning).
        """
        self._step_count = getattr(self, "_step_count", 0) + 1
        if epoch is not None:
            if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral):
                raise TypeError(f"A step must be an int. Received: epoch={epoch!r}.")
            if epoch < 0:
                raise ValueError(f"A step must be >= 0. Received: epoch={epoch!r}.")
            self.last_epoch = int(epoch)
        elif self._initializing or self.on_skip == "advance" or self._updated:
            self.last_epoch += 1
        self._updated = False
        self._apply()

    def _apply(self) -> None:
        values = self._values()
        groups = self.optimizer.param_groups
        elements: dict[tuple[int, str], list[Any]] = {}
        for t, value in zip(self._targets, values, strict=True):
            group = groups[t.group]
            if t.index is None:
                if isinstance(group[t.key], torch.Tensor):
                    group[t.key].fill_(value)
                else:
                    group[t.key] = value
                continue
            items = elements.get((t.group, t.key))
            if items is None:
                items = elements[(t.group, t.key)] = list(group[t.key])
            if isinstance(items[t.index], torch.Tensor):
                items[t.index].fill_(value)
            else:
                items[t.index] = value
        for (g, key), items in elements.items():
            groups[g][key] = tuple(items)
        self._last_lr = [
            g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"] for g in groups
        ]

    def _saved_step(self, state_dict: Any) -> int:
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Argument `state_dict` must be a dict from {type(self).__name__}.state_dict(). "
                f"Received: {type(state_dict).__name__}."
            )
        if "last_epoch" not in state_dict:
            raise ValueError(
                "Argument `state_dict` has no 'last_epoch'. "
                f"Received keys: {sorted(map(str, state_dict))}."
            )
        step = state_dict["last_epoch"]
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"A saved step must be an int >= 0. Received: last_epoch={step!r}.")
        return int(step)

    def _resume(self, state_dict: Mapping[str, Any], step: int) -> None:
        self.last_epoch = step
        self._step_count = int(state_dict.get("_step_count", self._step_count))
        self._updated = False
        self._apply()

    # -- the optimizer's updates (on_skip="hold") -------------------------------------
    def _on_update(self, optimizer: Optimizer) -> None:
        # A fused optimizer under GradScaler runs its step and skips inside the kernel:
        # GradScaler has set `optimizer.found_inf` for the duration of the call.
        found_inf = getattr(optimizer, "found_inf", None)
        if isinstance(found_inf, torch.Tensor) and bool(found_inf.item()):
            return
        self._updated = True


class ScheduleLR(_GroupScheduler):
    r"""A PyTorch learning-rate scheduler whose rates are lrkit schedules of the step.

    Construction sets every parameter group's ``lr`` to the rate of step 0. Each
    :meth:`step` (called after ``optimizer.step()``, once per training step) moves to
    the next step and sets the rates of that step, so the ``i``-th optimizer update
    (from 0) uses ``schedule(i)``: the step Keras passes its schedules
    (``optimizer.iterations``) and optax its ``count``.

    Args:
        optimizer: a ``torch.optim.Optimizer``.
        schedule: an lrkit schedule (or any callable of an ``int`` step returning a
            number) for every parameter group, or a list of them, one per group.
        mode: ``"absolute"`` (default): a group's ``lr`` is ``schedule(step)``.
            ``"relative"``: it is ``initial_lr * schedule(step)``, the schedule being a
            multiplier of each group's initial ``lr`` (as ``LambdaLR``).
        on_skip: what a training step whose optimizer update was skipped (by
            ``torch.amp.GradScaler`` on inf/NaN gradients) does. ``"advance"``
            (default, PyTorch's convention): every :meth:`step` call advances the
            schedule, so the step counts training iterations. ``"hold"`` (Keras's
            ``LossScaleOptimizer`` and optax's ``apply_if_finite`` convention): a
            :meth:`step` advances only if the optimizer applied an update since the
            previous one, so the step counts applied updates. Either way nothing
            depends on the order of warnings, and ``ScheduleLR`` never emits
            PyTorch's "``lr_scheduler.step()`` before ``optimizer.step()``" warning.
        last_epoch: as ``LRScheduler``'s: ``-1`` starts at step 0; ``k >= 0``
            resumes at step ``k + 1`` (the groups need ``initial_lr``). Prefer
            :meth:`load_state_dict`.

    Attributes:
        last_epoch: the step whose rates the optimizer now holds.
        schedules: the schedule of each parameter group (a tuple).

    ``state_dict()`` holds the step (``last_epoch``, plus ``_step_count``,
    ``base_lrs`` and ``_last_lr`` as every ``LRScheduler``), ``mode``, and each
    schedule in :func:`lrkit.serialize`'s form (``None`` for a callable that is not
    a serializable lrkit schedule): only plain Python values, so ``torch.load(...,
    weights_only=True)`` reads it. :meth:`load_state_dict` restores the step and,
    like PyTorch's own schedulers restoring their hyperparameters, the saved
    schedules and mode; it then sets the optimizer's rates of that step.

    >>> import torch, lrkit
    >>> model = torch.nn.Linear(2, 1)
    >>> opt = torch.optim.SGD([{"params": [model.weight], "lr": 1.0},
    ...                        {"params": [model.bias], "lr": 0.1}])
    >>> sched = ScheduleLR(opt, lrkit.PiecewiseConstantDecay([2], [1.0, 0.5]), mode="relative")
    >>> sched.step(3)                    # jump to a step: closed form, exact
    >>> sched.get_last_lr()
    [0.5, 0.05]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: Any,
        *,
        mode: str = "absolute",
        on_skip: str = "advance",
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "Argument `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer of type {type(optimizer).__name__}."
            )
        self._set(_schedules(schedule, len(optimizer.param_groups)), _choice("mode", mode, MODES))
        self._start(optimizer, on_skip, last_epoch)

    def _set(self, schedules: tuple[Any, ...], mode: str) -> None:
        self.schedules: tuple[Any, ...] = schedules
        self.mode = mode
        relative = mode == "relative"
        self._targets = tuple(_Target(i, "lr", None, s, relative) for i, s in enumerate(schedules))

    def _bases(self) -> list[Any]:
        return list(self.base_lrs)

    # -- the rates -------------------------------------------------------------------
    def get_lr(self) -> list[Any]:
        """The rate of each parameter group at step ``last_epoch`` (a pure function)."""
        return self._values()

    # -- state -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The step, the mode, and each schedule in serialized form (plain values only)."""
        return {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "base_lrs": list(self.base_lrs),
            "_last_lr": list(self._last_lr),
            "mode": self.mode,
            "schedules": [_serialized(s) for s in self.schedules],
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restores the step (and the saved schedules and mode), then sets the rates.

        The optimizer's ``lr`` of every group is set from the closed form at the
        restored step, so it does not matter whether the optimizer's state is loaded
        before or after. A saved schedule replaces the one given to the constructor
        (as PyTorch's schedulers restore their hyperparameters); to keep the new one,
        drop ``"schedules"`` from the dict first.
        """
        step = self._saved_step(state_dict)
        schedules = list(self.schedules)
        saved = state_dict.get("schedules")
        if saved is not None:
            if len(saved) != len(schedules):
                raise ValueError(
                    f"The state holds {len(saved)} schedules; this scheduler has "
                    f"{len(schedules)} parameter groups."
                )
            schedules = [
                s if c is None else deserialize(c) for s, c in zip(schedules, saved, strict=True)
            ]
        mode = _choice("mode", state_dict.get("mode", self.mode), MODES)
        base_lrs = list(state_dict.get("base_lrs", self.base_lrs))
        if len(base_lrs) != len(schedules):
            raise ValueError(
                f"The state holds {len(base_lrs)} base_lrs for {len(schedules)} parameter groups."
            )
        self._set(tuple(schedules), mode)
        self.base_lrs = base_lrs
        self._resume(state_dict, step)


def lightning_config(
    optimizer: Optimizer, schedule: Any, *, name: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """What Lightning's ``configure_optimizers`` returns for an lrkit schedule.

    ``{"optimizer": optimizer, "lr_scheduler": {"scheduler": ScheduleLR(optimizer,
    schedule, **kwargs), "interval": "step", "frequency": 1}}``: Lightning then steps
    the scheduler after every optimizer step (its default interval, ``"epoch"``,
    would step it once an epoch) and saves and restores its ``state_dict`` in
    checkpoints.

    >>> import torch, lrkit
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
    >>> cfg = lightning_config(opt, lrkit.CosineDecay(0.1, 1000))
    >>> cfg["lr_scheduler"]["interval"], type(cfg["lr_scheduler"]["scheduler"]).__name__
    ('step', 'ScheduleLR')
    """
    scheduler: dict[str, Any] = {
        "scheduler": ScheduleLR(optimizer, schedule, **kwargs),
        "interval": "step",
        "frequency": 1,
    }
    if name is not None:
        scheduler["name"] = name
    return {"optimizer": optimizer, "lr_scheduler": scheduler}


def _post_hook(scheduler: ScheduleLR) -> Any:
    ref = weakref.ref(scheduler)  # the optimizer must not keep the scheduler alive

    def hook(optimizer: Optimizer, args: Any, kwargs: Any) -> None:
        s = ref()
        if s is not None:
            s._on_update(optimizer)

    return hook


def _schedules(schedule: Any, groups: int) -> tuple[Any, ...]:
    if isinstance(schedule, (list, tuple)):
        if len(schedule) != groups:
            raise ValueError(
                f"Argument `schedule` holds {len(schedule)} schedules; the optimizer has "
                f"{groups} parameter groups. Received: schedule={schedule!r}."
            )
        return tuple(_one(f"schedule[{i}]", s) for i, s in enumerate(schedule))
    return (_one("schedule", schedule),) * groups


def _one(name: str, schedule: Any) -> Any:
    if isinstance(schedule, type) or not callable(schedule):
        raise TypeError(
            f"Argument `{name}` must be an lrkit schedule (or a callable of the step). "
            f"Received: {name}={schedule!r}."
        )
    return schedule


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"Argument `{name}` must be one of {allowed}. Received: {name}={value!r}.")
    return str(value)


def _rate(schedule: Any, step: int, key: str = "lr") -> float:
    value = schedule(step)
    if type(value) is float and value - value == 0.0:  # finite: what lrkit's schedules give
        return value
    if not isinstance(value, float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"A schedule must return a number; {schedule!r} returned "
                f"{type(value).__name__} at step {step}."
            ) from None
    if not math.isfinite(value):
        what = "a learning rate" if key == "lr" else f"a value for {key!r}"
        raise ValueError(f"{schedule!r} returned {value} at step {step}: not {what}.")
    return value


def _serialized(schedule: Any) -> dict[str, Any] | None:
    if not isinstance(schedule, LearningRateSchedule):
        return None
    try:
        return serialize(schedule)
    except (ValueError, TypeError, NotImplementedError):
        return None
