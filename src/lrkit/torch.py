"""PyTorch: :class:`ScheduleLR` and :class:`ScheduleParams`, LR schedulers driven by lrkit.

:class:`ScheduleLR` schedules every parameter group's ``lr``; :class:`ScheduleParams`
any parameter-group key (``momentum``, ``weight_decay``, an element of ``betas``, ...),
on the same mechanism.

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

__all__ = [
    "MODES",
    "ON_RESUME",
    "ON_SKIP",
    "SYNCS",
    "DeviceScheduleLR",
    "PastEndWarning",
    "PlateauLR",
    "ScheduleLR",
    "ScheduleParams",
    "lightning_config",
    "natural_end",
    "plateau_lightning_config",
]

#: ``"absolute"``: the schedule is the rate; ``"relative"``: it multiplies the group's initial lr
MODES = ("absolute", "relative")
#: what a step the optimizer skipped (e.g. by ``GradScaler``) does to the schedule
ON_SKIP = ("advance", "hold")
#: what :meth:`ScheduleLR.load_state_dict` does when the saved schedules differ from the new ones
ON_RESUME = ("saved", "new", "refuse")


class PastEndWarning(UserWarning):
    """A :class:`ScheduleLR` stepped past the end of a schedule that has one."""


class _Target(NamedTuple):
    """One scheduled value: ``optimizer.param_groups[group][key]`` (or its element)."""

    group: int
    key: str
    #: the element of a tuple-valued key (``betas``), or None for the value itself
    element: int | None
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
    _updated: bool = False
    _initializing: bool = False

    def _start(
        self, optimizer: Optimizer, on_skip: str, last_epoch: int, warn_past_end: bool = True
    ) -> None:
        from lrkit.core.validate import boolean

        self.on_skip = _choice("on_skip", on_skip, ON_SKIP)
        self.warn_past_end = boolean("warn_past_end", warn_past_end)
        self._end: Any = _end(self._fns) if self.warn_past_end else None
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

    def _set_targets(self, targets: tuple[_Target, ...]) -> None:
        self._targets = targets
        # what the per-step loops read, resolved once
        self._fns = tuple(t.schedule for t in targets)
        self._slots = tuple((t.group, t.key) for t in targets)
        self._relative = any(t.relative for t in targets)
        self._whole = all(t.element is None for t in targets)

    def _values(self) -> list[Any]:
        """The value of each target at step ``last_epoch`` (a pure function)."""
        groups = len(self.optimizer.param_groups)
        if groups != self._groups:
            raise ValueError(
                f"The optimizer has {groups} parameter groups, but this scheduler was built "
                f"for {self._groups}: build a new {type(self).__name__} after add_param_group()."
            )
        step = self.last_epoch if self.last_epoch > 0 else 0  # (max() costs a call)
        values = []
        for fn, (_, key) in zip(self._fns, self._slots, strict=True):
            value = fn(step)
            if type(value) is not float or value - value != 0.0:  # not a finite float
                value = _rate(fn, step, key, value)
            values.append(value)
        if self._relative:
            bases = self._bases()
            return [
                base * value if t.relative else value
                for t, base, value in zip(self._targets, bases, values, strict=True)
            ]
        return values

    def step(self, epoch: float | None = None) -> None:
        """Moves to the next step (or to step ``epoch``) and sets its values.

        Call it once per training step, after ``optimizer.step()`` (or
        ``scaler.step(optimizer)``). ``step(k)`` jumps to step ``k`` exactly (the
        schedule is a closed form; no deprecation warning). A float ``k`` is the
        schedule's step as given: PyTorch's per-batch pattern
        ``scheduler.step(epoch + i / iters)`` (fractional epochs) with a schedule
        whose lengths are in epochs.
        """
        self._step_count = getattr(self, "_step_count", 0) + 1
        if epoch is not None:
            self.last_epoch = _given_step(epoch)  # type: ignore[assignment]
        elif self._initializing or self.on_skip == "advance" or self._updated:
            self.last_epoch += 1
        self._updated = False
        self._apply()
        if self._end is not None and self.last_epoch > self._end[0]:
            self._past_end()

    def _past_end(self) -> None:
        import warnings

        end, schedule = self._end
        self._end = None  # once per scheduler
        warnings.warn(
            f"{type(self).__name__} is at step {self.last_epoch}, past the end of "
            f"{schedule!r} at step {end}: the rate stays {_rate(schedule, end)!r}. Are the "
            "schedule's lengths counted in the steps this scheduler is stepped in (optimizer "
            "updates, not epochs or micro-batches)? Pass warn_past_end=False if this is meant.",
            PastEndWarning,
            stacklevel=3,
        )

    def _apply(self) -> None:
        values = self._values()
        groups = self.optimizer.param_groups
        if self._whole:  # no tuple element (ScheduleLR's case): one write per value
            for (g, key), value in zip(self._slots, values, strict=True):
                group = groups[g]
                if isinstance(group[key], torch.Tensor):
                    group[key].fill_(value)
                else:
                    group[key] = value
        else:
            self._write(groups, values)
        self._last_lr = [
            g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"] for g in groups
        ]

    def _write(self, groups: list[dict[str, Any]], values: list[Any]) -> None:
        elements: dict[tuple[int, str], list[Any]] = {}
        for t, value in zip(self._targets, values, strict=True):
            group = groups[t.group]
            if t.element is None:
                if isinstance(group[t.key], torch.Tensor):
                    group[t.key].fill_(value)
                else:
                    group[t.key] = value
                continue
            items = elements.get((t.group, t.key))
            if items is None:
                items = elements[(t.group, t.key)] = list(group[t.key])
            if isinstance(items[t.element], torch.Tensor):
                items[t.element].fill_(value)
            else:
                items[t.element] = value
        for (g, key), items in elements.items():
            groups[g][key] = tuple(items)

    def _saved_step(self, state_dict: Any) -> int | float:
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
        if (
            isinstance(step, bool)
            or not isinstance(step, numbers.Real)
            or not math.isfinite(step)
            or step < 0
        ):
            raise ValueError(f"A saved step must be a number >= 0. Received: last_epoch={step!r}.")
        return _given_step(step)

    def _resume(self, state_dict: Mapping[str, Any], step: int | float) -> None:
        self.last_epoch = step  # type: ignore[assignment]
        if self.warn_past_end and self._end is not None:
            self._end = _end(self._fns)
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
        on_resume: what :meth:`load_state_dict` does with a state whose schedules (or
            mode) differ from this scheduler's: ``"saved"`` (default, as PyTorch's
            schedulers restore their hyperparameters): the saved ones win;
            ``"new"``: this scheduler's are kept, only the step is restored (a run
            resumed with a new schedule, e.g. a longer horizon); ``"refuse"``: a
            ``ValueError`` showing both.
        warn_past_end: bool. Warn (:class:`PastEndWarning`, once per scheduler) when
            the step goes past the end of a schedule that has a natural one: a decay
            that reaches its final rate at a definite step (the step
            :func:`lrkit.boundaries.horizon` gives, where the rate decays into its last
            value and stays: see :func:`natural_end`). A step past it usually means
            the schedule's lengths were counted in another unit (epochs,
            micro-batches) than the scheduler is stepped in. ``False`` turns the warning off.

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
        on_resume: str = "saved",
        warn_past_end: bool = True,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "Argument `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer of type {type(optimizer).__name__}."
            )
        self._set(_schedules(schedule, len(optimizer.param_groups)), _choice("mode", mode, MODES))
        self.on_resume = _choice("on_resume", on_resume, ON_RESUME)
        self._start(optimizer, on_skip, last_epoch, warn_past_end)

    def _set(self, schedules: tuple[Any, ...], mode: str) -> None:
        self.schedules: tuple[Any, ...] = schedules
        self.mode = mode
        relative = mode == "relative"
        self._set_targets(
            tuple(_Target(i, "lr", None, s, relative) for i, s in enumerate(schedules))
        )

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
            loaded = [
                s if c is None else deserialize(c) for s, c in zip(schedules, saved, strict=True)
            ]
            if self.on_resume == "refuse":
                _refuse(schedules, loaded, self.mode, state_dict.get("mode", self.mode))
            if self.on_resume != "new":
                schedules = loaded
        saved_mode = state_dict.get("mode", self.mode)
        mode = _choice("mode", self.mode if self.on_resume == "new" else saved_mode, MODES)
        base_lrs = list(state_dict.get("base_lrs", self.base_lrs))
        if len(base_lrs) != len(schedules):
            raise ValueError(
                f"The state holds {len(base_lrs)} base_lrs for {len(schedules)} parameter groups."
            )
        self._set(tuple(schedules), mode)
        self.base_lrs = base_lrs
        self._resume(state_dict, step)


class ScheduleParams(_GroupScheduler):
    r"""A PyTorch scheduler for any parameter-group hyperparameter: each an lrkit schedule.

    ``ScheduleParams(optimizer, {"lr": s, "momentum": m, "weight_decay": w,
    "betas": (b1, None)})`` sets, at every step :math:`t`,

    .. math::

        g[k] = s_k(t) \quad\text{(absolute)} \qquad\text{or}\qquad
        g[k] = g_0[k]\, s_k(t) \quad\text{(relative)}

    for every parameter group :math:`g` and scheduled key :math:`k`, :math:`g_0[k]`
    being the group's value at construction (kept in the group as
    ``"initial_<key>"``, as PyTorch keeps ``"initial_lr"``). It is a
    ``torch.optim.lr_scheduler.LRScheduler`` that works as :class:`ScheduleLR` (the
    ``lr``-only case of the same mechanism): construction sets the values of step 0,
    each :meth:`step` after ``optimizer.step()`` moves to the next step, ``step(k)``
    jumps to step ``k``, ``on_skip`` counts AMP-skipped steps the same way, and
    :func:`lightning_config` takes the same dict.

    Args:
        optimizer: a ``torch.optim.Optimizer``.
        params: a dict from parameter-group keys (str) to what schedules them, for
            every group; or a list (or tuple) of such dicts, one per parameter group
            (``None`` or ``{}`` leaves a group alone). A key's value is an lrkit
            schedule (or any callable of an ``int`` step returning a number); for a
            tuple-valued key such as Adam's ``betas``, a tuple of the same length of
            schedules or ``None`` (``None`` leaves that element alone). Every key must
            be one the group has, holding a number or a tensor (or a tuple of them).
        mode: ``"absolute"`` (default) or ``"relative"`` (the schedule multiplies the
            group's initial value, elementwise for a tuple), for every key; or a dict
            from keys to modes (a key not in it is ``"absolute"``).
        on_skip: ``"advance"`` or ``"hold"``, as :class:`ScheduleLR`'s.
        last_epoch: as ``LRScheduler``'s: ``-1`` starts at step 0; ``k >= 0``
            resumes at step ``k + 1`` (the groups need their ``"initial_<key>"``).
            Prefer :meth:`load_state_dict`.

    Attributes:
        last_epoch: the step whose values the optimizer now holds.
        params: the scheduled keys of each parameter group: a tuple of dicts, one per
            group, from keys to schedules (a tuple of schedules or ``None`` for a tuple-
            valued key).
        modes: the mode of each scheduled key (a dict).

    ``state_dict()`` holds the step (``last_epoch``, ``_step_count``, ``base_lrs``,
    ``_last_lr``), ``modes``, ``base_values`` (each scheduled value's initial value)
    and ``params``: one ``[group, key, element, schedule]`` entry per scheduled value
    (``element`` -1 for the value itself; the schedule in :func:`lrkit.serialize`'s
    form, ``None`` for a callable that is not a serializable lrkit schedule): plain
    values, so ``torch.load(..., weights_only=True)`` reads it. :meth:`load_state_dict`
    restores the step, the saved schedules, modes and initial values, then sets every
    value of that step, whichever of the optimizer and the scheduler is loaded first.

    >>> import torch, lrkit
    >>> opt = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=1.0)
    >>> one_cycle = lrkit.OneCycle(0.01, total_steps=100)
    >>> sched = ScheduleParams(opt, {
    ...     "lr": one_cycle,
    ...     "betas": (one_cycle.momentum(0.85, 0.95), None),
    ...     "weight_decay": lrkit.Linear(0.0, 0.1, 100),
    ... })
    >>> sched.step(29)                   # the peak
    >>> g = opt.param_groups[0]
    >>> g["lr"], g["betas"], round(g["weight_decay"], 12)
    (0.01, (0.85, 0.999), 0.029)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        params: Any,
        *,
        mode: str | Mapping[str, str] = "absolute",
        on_skip: str = "advance",
        last_epoch: int = -1,
        warn_past_end: bool = True,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "Argument `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer of type {type(optimizer).__name__}."
            )
        per_group, shared = _group_specs(params, optimizer)
        keys = {k for spec in per_group for k in spec}
        self.modes: dict[str, str] = _modes(mode, keys)
        self._set_targets(_param_targets(optimizer, per_group, self.modes, shared))
        self.params: tuple[dict[str, Any], ...] = _params_of(self._targets, optimizer)
        fresh = int(last_epoch) == -1 if isinstance(last_epoch, numbers.Integral) else True
        self.base_values: list[Any] = _initial_values(optimizer, self._targets, fresh)
        self._start(optimizer, on_skip, last_epoch, warn_past_end)

    def _bases(self) -> list[Any]:
        return self.base_values

    def get_lr(self) -> list[Any]:
        """The ``lr`` of each parameter group at step ``last_epoch``: its schedule's
        value where ``lr`` is scheduled, the group's current ``lr`` elsewhere."""
        lrs = [g["lr"] for g in self.optimizer.param_groups]
        for t, value in zip(self._targets, self._values(), strict=True):
            if t.key == "lr":
                lrs[t.group] = value
        return lrs

    def get_last_values(self) -> list[dict[str, Any]]:
        """The scheduled keys' values in each parameter group, as the optimizer holds them.

        A list of dicts, one per group, from each scheduled key to its value (the
        whole tuple for a tuple-valued key).
        """
        groups = self.optimizer.param_groups
        out: list[dict[str, Any]] = [{} for _ in groups]
        for t in self._targets:
            out[t.group][t.key] = groups[t.group][t.key]
        return out

    # -- state -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The step, the modes, the initial values and each schedule (plain values only)."""
        return {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "base_lrs": list(self.base_lrs),
            "_last_lr": list(self._last_lr),
            "modes": dict(self.modes),
            "base_values": list(self.base_values),
            "params": [
                [t.group, t.key, -1 if t.element is None else t.element, _serialized(t.schedule)]
                for t in self._targets
            ],
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restores the step (and the saved schedules, modes and initial values), then
        sets every scheduled value of that step.

        The saved entries must name the same values (groups, keys, elements) this
        scheduler schedules. A saved schedule replaces the one given to the
        constructor; to keep the new ones, drop ``"params"`` from the dict first.
        """
        step = self._saved_step(state_dict)
        targets = list(self._targets)
        saved = state_dict.get("params")
        if saved is not None:
            shape = [[t.group, t.key, -1 if t.element is None else t.element] for t in targets]
            if [list(e[:3]) for e in saved] != shape:
                raise ValueError(
                    "The state schedules other values than this scheduler: saved "
                    f"{[list(e[:3]) for e in saved]}, here {shape} "
                    "(entries [group, key, element])."
                )
            targets = [
                t if e[3] is None else t._replace(schedule=deserialize(e[3]))
                for t, e in zip(targets, saved, strict=True)
            ]
        modes = dict(state_dict.get("modes", self.modes))
        _modes(modes, set(self.modes))
        bases = list(state_dict.get("base_values", self.base_values))
        if len(bases) != len(targets):
            raise ValueError(
                f"The state holds {len(bases)} base_values for {len(targets)} scheduled values."
            )
        self._set_targets(tuple(t._replace(relative=modes[t.key] == "relative") for t in targets))
        self.modes = modes
        self.base_values = bases
        self.params = _params_of(self._targets, self.optimizer)
        if "base_lrs" in state_dict:
            self.base_lrs = list(state_dict["base_lrs"])
        self._resume(state_dict, step)


def lightning_config(
    optimizer: Optimizer, schedule: Any, *, name: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """What Lightning's ``configure_optimizers`` returns for an lrkit schedule.

    ``{"optimizer": optimizer, "lr_scheduler": {"scheduler": ScheduleLR(optimizer,
    schedule, **kwargs), "interval": "step", "frequency": 1}}``: Lightning then steps
    the scheduler after every optimizer step (its default interval, ``"epoch"``,
    would step it once an epoch) and saves and restores its ``state_dict`` in
    checkpoints. A dict of parameter-group keys (or a list of such dicts, one per
    group) instead of a schedule makes the scheduler a :class:`ScheduleParams`.

    >>> import torch, lrkit
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
    >>> cfg = lightning_config(opt, lrkit.CosineDecay(0.1, 1000))
    >>> cfg["lr_scheduler"]["interval"], type(cfg["lr_scheduler"]["scheduler"]).__name__
    ('step', 'ScheduleLR')
    """
    params = isinstance(schedule, Mapping) or (
        isinstance(schedule, (list, tuple))
        and bool(schedule)
        and all(s is None or isinstance(s, Mapping) for s in schedule)
    )
    made = (ScheduleParams if params else ScheduleLR)(optimizer, schedule, **kwargs)
    scheduler: dict[str, Any] = {
        "scheduler": made,
        "interval": "step",
        "frequency": 1,
    }
    if name is not None:
        scheduler["name"] = name
    return {"optimizer": optimizer, "lr_scheduler": scheduler}


def _post_hook(scheduler: _GroupScheduler) -> Any:
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


def _rate(schedule: Any, step: int, key: str = "lr", value: Any = None) -> float:
    """``schedule(step)`` (or its ``value`` there) as a finite float, or a clear error."""
    if value is None:
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


def _given_step(epoch: Any) -> int | float:
    """A step given to ``step(epoch)``: an int, or a float (fractional epochs) as given."""
    if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real):
        raise TypeError(f"A step must be a number. Received: epoch={epoch!r}.")
    if isinstance(epoch, numbers.Integral):
        value: int | float = int(epoch)
    else:
        value = float(epoch)
        if not math.isfinite(value):
            raise ValueError(f"A step must be finite. Received: epoch={epoch!r}.")
        if value.is_integer():
            value = int(value)
    if value < 0:
        raise ValueError(f"A step must be >= 0. Received: epoch={epoch!r}.")
    return value


def _end(schedules: tuple[Any, ...]) -> tuple[int | float, Any] | None:
    """The earliest natural end among ``schedules``: ``(step, schedule)``, or None."""
    ends = [(e, s) for s in dict.fromkeys(schedules) if (e := natural_end(s)) is not None]
    return min(ends, key=lambda pair: pair[0]) if ends else None


def natural_end(schedule: Any) -> int | float | None:
    r"""The step where ``schedule`` ends, if it has a natural end, else None.

    A schedule ends at :math:`h` = :func:`lrkit.boundaries.horizon` ``(schedule)`` when
    its rate decays into :math:`h` (:math:`s(h - 2) > s(h - 1) > s(h)`) and stays there
    (:math:`s(h) = s(h + 1) = s(2h + 1) = s(10h + 1)`): a decay that reaches its
    final rate. A rate that decays for ever (exponential), cycles, steps down and holds
    (piecewise constant, milestones: the last value is meant to hold), or holds a value
    it rose to (a warmup to a constant) has no end.

    Args:
        schedule: an lrkit schedule, or any callable of the step.

    >>> import lrkit
    >>> natural_end(lrkit.CosineDecay(1.0, 100)), natural_end(lrkit.ExponentialDecay(1.0, 10, 0.5))
    (100, None)
    >>> natural_end(lrkit.Warmup(lrkit.Constant(1.0), 10)) is None
    True
    """
    from lrkit.core.phases import horizon_of as horizon

    try:
        h = horizon(schedule)
        if h is None or h < 1:
            return None
        at = float(schedule(h))
        if h < 2 or not float(schedule(h - 2)) > float(schedule(h - 1)) > at:
            return None
        if any(float(schedule(t)) != at for t in (h + 1, 2 * h + 1, 10 * h + 1)):
            return None
    except Exception:  # a schedule that cannot be probed has no end to warn about
        return None
    return h


def _refuse(new: list[Any], saved: list[Any], mode: str, saved_mode: Any) -> None:
    differ = [
        f"group {i}: saved {s!r}, new {n!r}"
        for i, (n, s) in enumerate(zip(new, saved, strict=True))
        if n != s
    ]
    if saved_mode != mode:
        differ.append(f"mode: saved {saved_mode!r}, new {mode!r}")
    if differ:
        raise ValueError(
            "The saved scheduler's schedule differs from this one's ("
            + "; ".join(differ)
            + "). Pass ScheduleLR(..., on_resume='saved') to continue the saved schedule, "
            "or on_resume='new' to switch to the new one at the saved step."
        )


def _serialized(schedule: Any) -> dict[str, Any] | None:
    if not isinstance(schedule, LearningRateSchedule):
        return None
    try:
        return serialize(schedule)
    except (ValueError, TypeError, NotImplementedError):
        return None


# -- ScheduleParams' arguments -------------------------------------------------------------


def _group_specs(params: Any, optimizer: Optimizer) -> tuple[list[dict[str, Any]], bool]:
    """One dict per parameter group, and whether one dict was given for all."""
    groups = len(optimizer.param_groups)
    if isinstance(params, Mapping):
        return [dict(params) for _ in range(groups)], True
    if isinstance(params, (list, tuple)) and all(
        p is None or isinstance(p, Mapping) for p in params
    ):
        if len(params) != groups:
            raise ValueError(
                f"Argument `params` holds {len(params)} dicts; the optimizer has {groups} "
                f"parameter groups (give one dict for all, or one per group). "
                f"Received: params={params!r}."
            )
        return [{} if p is None else dict(p) for p in params], False
    raise TypeError(
        "Argument `params` must be a dict from parameter-group keys to schedules, or a "
        f"list of such dicts, one per parameter group. Received: params={params!r}."
    )


def _modes(mode: Any, keys: set[str]) -> dict[str, str]:
    if isinstance(mode, Mapping):
        unknown = sorted(map(str, set(mode) - keys))
        if unknown:
            raise ValueError(
                f"Argument `mode` names keys that are not scheduled: {unknown}. "
                f"Received: mode={dict(mode)!r}."
            )
        for k, m in mode.items():
            _choice(f"mode[{k!r}]", m, MODES)
        return {k: str(mode.get(k, "absolute")) for k in sorted(keys)}
    return {k: _choice("mode", mode, MODES) for k in sorted(keys)}


def _is_value(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return value.numel() == 1 and value.is_floating_point()
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _param_targets(
    optimizer: Optimizer, per_group: list[dict[str, Any]], modes: dict[str, str], shared: bool
) -> tuple[_Target, ...]:
    targets: list[_Target] = []
    for g, (group, spec) in enumerate(zip(optimizer.param_groups, per_group, strict=True)):
        where = "params" if shared else f"params[{g}]"
        for key, what in spec.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"Argument `{where}` must have str keys (parameter-group keys). "
                    f"Received: key {key!r}."
                )
            name = f"{where}[{key!r}]"
            if key not in group:
                raise ValueError(
                    f"Argument `{name}` names the key {key!r}, which parameter group {g} "
                    f"of the optimizer ({type(optimizer).__name__}) does not have. The "
                    f"group's keys: {sorted(k for k in group if k != 'params')}."
                )
            value = group[key]
            relative = modes[key] == "relative"
            if isinstance(what, (tuple, list)):
                if not isinstance(value, (tuple, list)):
                    raise TypeError(
                        f"Argument `{name}` is a tuple, but parameter group {g}'s {key!r} "
                        f"is not: give a schedule. Received: {name}={what!r}."
                    )
                if len(what) != len(value):
                    raise ValueError(
                        f"Argument `{name}` must hold {len(value)} entries, one per element "
                        f"of parameter group {g}'s {key!r} (None leaves an element alone). "
                        f"Received: {name}={what!r}."
                    )
                for i, s in enumerate(what):
                    if s is None:
                        continue
                    if not _is_value(value[i]):
                        raise TypeError(
                            f"Argument `{name}` schedules element {i} of parameter group "
                            f"{g}'s {key!r}, which is not a number: {value[i]!r}."
                        )
                    targets.append(_Target(g, key, i, _one(f"{name}[{i}]", s), relative))
                continue
            if isinstance(value, (tuple, list)):
                raise TypeError(
                    f"Parameter group {g}'s {key!r} is a tuple of {len(value)} values: "
                    f"argument `{name}` must be a tuple of as many schedules (None leaves an "
                    f"element alone). Received: {name}={what!r}."
                )
            if not _is_value(value):
                raise TypeError(
                    f"Argument `{name}` schedules parameter group {g}'s {key!r}, which is "
                    f"not a number: {value!r}."
                )
            targets.append(_Target(g, key, None, _one(name, what), relative))
    return tuple(targets)


def _initial_values(optimizer: Optimizer, targets: tuple[_Target, ...], fresh: bool) -> list[Any]:
    groups = optimizer.param_groups
    out: list[Any] = []
    for t in targets:
        group, initial = groups[t.group], f"initial_{t.key}"
        if fresh:
            value = group[t.key]
            if isinstance(value, torch.Tensor):
                value = value.clone()
            elif isinstance(value, (tuple, list)):
                value = tuple(v.clone() if isinstance(v, torch.Tensor) else v for v in value)
            group.setdefault(initial, value)
        elif initial not in group:
            raise KeyError(
                f"Parameter group {t.group} has no {initial!r}, which resuming with "
                "last_epoch >= 0 needs: load the optimizer's state first, or use "
                "load_state_dict()."
            )
        base = group[initial]
        out.append(base if t.element is None else base[t.element])
    return out


def _params_of(targets: tuple[_Target, ...], optimizer: Optimizer) -> tuple[dict[str, Any], ...]:
    groups = optimizer.param_groups
    out: list[dict[str, Any]] = [{} for _ in groups]
    for t in targets:
        if t.element is None:
            out[t.group][t.key] = t.schedule
        else:
            items = list(out[t.group].get(t.key, (None,) * len(groups[t.group][t.key])))
            items[t.element] = t.schedule
            out[t.group][t.key] = tuple(items)
    return tuple(out)


#: how the ranks of a distributed run agree on a metric before a plateau decides
SYNCS = ("mean", "rank0")


class PlateauLR(ScheduleLR):
    r"""A :class:`ScheduleLR` whose rate is a :class:`lrkit.Plateau`: reduce on plateau
    around any schedule (warmup, cosine, ...), exact on resume and across processes.

    :meth:`step` once per training step (after ``optimizer.step()``), as with
    :class:`ScheduleLR`; :meth:`report` once per evaluation. The rate of step
    :math:`t` is ``plateau.schedule(t) * s(t)``, where a reduction that a report at
    step :math:`n` makes holds from step :math:`n` on (the next update).

    Args:
        optimizer: a ``torch.optim.Optimizer``.
        plateau: a :class:`lrkit.Plateau` (for every parameter group).
        sync: how the ranks of a ``torch.distributed`` run agree on the metric, so that
            every rank takes the same decisions: ``"mean"`` (the metric averaged over
            the ranks, with ``all_reduce``) or ``"rank0"`` (rank 0's metric broadcast).
            Required when more than one process is running; ignored otherwise.
        mode, on_skip, last_epoch: as :class:`ScheduleLR`'s.

    ``state_dict()`` adds the plateau's whole state (``"plateau"``) to
    :class:`ScheduleLR`'s: a run resumed from it gives the uninterrupted run's rates
    bit for bit.

    >>> import torch, lrkit
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
    >>> plateau = lrkit.Plateau(lrkit.Warmup(lrkit.Constant(0.1), 2), factor=0.5, patience=0)
    >>> sched = PlateauLR(opt, plateau)
    >>> for loss in [1.0, 1.0]:          # two evaluations, one step apart
    ...     opt.step(); sched.step(); _ = sched.report(loss)
    >>> sched.last_epoch, sched.get_last_lr(), plateau.reductions
    (2, [0.05], ((2, 0.5),))
    """

    def __init__(
        self,
        optimizer: Optimizer,
        plateau: Any,
        *,
        sync: str | None = None,
        mode: str = "absolute",
        on_skip: str = "advance",
        last_epoch: int = -1,
    ) -> None:
        from lrkit.plateau import Plateau

        if not isinstance(plateau, Plateau):
            raise TypeError(
                "Argument `plateau` must be an lrkit.Plateau (e.g. "
                "lrkit.Plateau(lrkit.CosineDecay(0.1, 1000), patience=3)). "
                f"Received: plateau of type {type(plateau).__name__}."
            )
        if sync is not None:
            _choice("sync", sync, SYNCS)
        self.plateau = plateau
        self.sync = sync
        super().__init__(optimizer, plateau, mode=mode, on_skip=on_skip, last_epoch=last_epoch)

    def report(self, metric: Any) -> bool:
        """Reports one evaluation of the metric at the current step (``last_epoch``);
        returns whether the rate fell (the optimizer then holds the new rate)."""
        changed = bool(self.plateau.report(self._agreed(metric), step=self.last_epoch))
        if changed:
            self._apply()
        return changed

    def _agreed(self, metric: Any) -> Any:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return metric
        if self.sync is None:
            raise ValueError(
                f"{dist.get_world_size()} processes are running: say how their metrics "
                "agree, with PlateauLR(..., sync='mean') (the metric averaged over the "
                "ranks) or sync='rank0' (rank 0's metric, broadcast)."
            )
        value = float(metric.item() if isinstance(metric, torch.Tensor) else metric)
        backend = dist.get_backend()
        device = torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else None
        t = torch.tensor([value], dtype=torch.float64, device=device)
        if self.sync == "mean":
            dist.all_reduce(t)
            return t.item() / dist.get_world_size()
        dist.broadcast(t, src=0)
        return t.item()

    def state_dict(self) -> dict[str, Any]:
        """:class:`ScheduleLR`'s state, and the plateau's (plain values only)."""
        return {**super().state_dict(), "plateau": self.plateau.state_dict(), "sync": self.sync}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restores the plateau's state, then the step and the rates (:class:`ScheduleLR`)."""
        if isinstance(state_dict, Mapping) and "plateau" in state_dict:
            self.plateau.load_state_dict(state_dict["plateau"])
            state_dict = {k: v for k, v in state_dict.items() if k not in ("plateau", "sync")}
        super().load_state_dict(state_dict)


class _PlateauReport(LRScheduler):
    """The scheduler Lightning steps with the monitored metric: it reports to a
    :class:`PlateauLR` (whose state holds everything; this one has none)."""

    def __init__(self, target: PlateauLR) -> None:
        self.target = target
        super().__init__(target.optimizer)

    def get_lr(self) -> list[Any]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def step(self, metrics: Any = None, epoch: Any = None) -> None:  # type: ignore[override]
        self._step_count = getattr(self, "_step_count", 0) + 1
        if metrics is not None:
            self.target.report(metrics)
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        pass


def plateau_lightning_config(
    optimizer: Optimizer,
    plateau: Any,
    *,
    monitor: str,
    name: str | None = None,
    **kwargs: Any,
) -> tuple[list[Optimizer], list[dict[str, Any]]]:
    """What Lightning's ``configure_optimizers`` returns for a :class:`lrkit.Plateau`.

    Two scheduler entries on one optimizer: a :class:`PlateauLR` stepped after every
    optimizer step (``"interval": "step"``, checkpointed by Lightning with its whole
    state), and a reporter Lightning steps once an epoch with the logged metric
    ``monitor`` (``"reduce_on_plateau": True``), which reports it to the first.
    ``kwargs`` go to :class:`PlateauLR` (e.g. ``sync="mean"`` under DDP).

    >>> import torch, lrkit
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
    >>> optimizers, schedulers = plateau_lightning_config(
    ...     opt, lrkit.Plateau(lrkit.Constant(0.1)), monitor="val_loss")
    >>> [(s["interval"], s.get("monitor")) for s in schedulers]
    [('step', None), ('epoch', 'val_loss')]
    """
    scheduler = PlateauLR(optimizer, plateau, **kwargs)
    stepped: dict[str, Any] = {"scheduler": scheduler, "interval": "step", "frequency": 1}
    if name is not None:
        stepped["name"] = name
    reporter = {
        "scheduler": _PlateauReport(scheduler),
        "interval": "epoch",
        "frequency": 1,
        "monitor": monitor,
        "reduce_on_plateau": True,
    }
    return [optimizer], [stepped, reporter]


class DeviceScheduleLR:
    r"""The rates of an lrkit schedule computed on the device, from a step kept there.

    The on-device counterpart of :class:`ScheduleLR`, for an optimizer built with a
    tensor learning rate (``lr=torch.tensor(1e-3, device=...)``, and
    ``capturable=True`` on CUDA where the optimizer has it): the step is a 0-d int64
    tensor on the parameters' device, and :meth:`step` increments it and writes each
    group's rate into that group's ``lr`` tensor in place,

    .. math::

        \mathrm{lr}_g \leftarrow s_g(t) \quad (\text{mode} = \text{"absolute"}), \qquad
        \mathrm{lr}_g \leftarrow \mathrm{lr}_{g,0} \cdot s_g(t) \quad (\text{"relative"}),

    computed by the schedule's formula on the step tensor, in the ``lr`` tensor's dtype.
    Nothing is copied between host and device and nothing is read back, so
    :meth:`step` never makes the host wait for the device, and it can be traced into a
    ``torch.compile``\ d training step (with ``opt.step()``): compiled once, for every
    step, since the step is a tensor and the schedule's configuration constants.

    As with :class:`ScheduleLR`, construction sets the rates of step 0 and the
    ``i``-th optimizer update (from 0) uses ``schedule(i)``; a rate is a closed form of
    the step, so a run resumed from :meth:`state_dict` gets the rates of the
    uninterrupted run bit for bit.

    Args:
        optimizer: a ``torch.optim.Optimizer`` whose every parameter group has a
            floating 0-d tensor ``lr`` on the parameters' device.
        schedule: an lrkit schedule for every group, or a list of them (one per
            group); any other callable of a step tensor is called as it is.
        mode: ``"absolute"`` (default): ``lr`` is ``schedule(step)``; ``"relative"``:
            ``initial_lr * schedule(step)``, ``initial_lr`` being the group's ``lr`` at
            construction (read once, there).

    Attributes:
        schedules: the schedule of each parameter group (a tuple).
        step_tensor: the step whose rates the optimizer holds (0-d int64, on the
            parameters' device).

    ``state_dict()`` holds plain Python values only (``{"step": int, "mode": str,
    "base_lrs": [float], "schedules": [serialized or None]}``): reading the step back
    to the host there is the one synchronization, at checkpoint time.

    >>> import torch, lrkit
    >>> model = torch.nn.Linear(2, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(1.0))
    >>> sched = DeviceScheduleLR(opt, lrkit.ExponentialDecay(0.1, 10, 0.5))
    >>> for _ in range(10):
    ...     opt.step()
    ...     sched.step()
    >>> sched.state_dict()["step"], round(opt.param_groups[0]["lr"].item(), 6)
    (10, 0.05)
    """

    def __init__(self, optimizer: Optimizer, schedule: Any, *, mode: str = "absolute") -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "Argument `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer of type {type(optimizer).__name__}."
            )
        self.optimizer = optimizer
        self.schedules: tuple[Any, ...] = _schedules(schedule, len(optimizer.param_groups))
        self.mode = _choice("mode", mode, MODES)
        device = _params_device(optimizer)
        for i, group in enumerate(optimizer.param_groups):
            _check_lr(i, group["lr"], device)
        self.step_tensor = torch.zeros((), dtype=torch.int64, device=device)
        #: each group's initial lr (a Python float, read once: the multiplier of "relative")
        self.base_lrs = [float(g["lr"]) for g in optimizer.param_groups]
        self._rates = tuple(_device_rate(s) for s in self.schedules)
        self._apply()

    def step(self) -> None:
        """Moves to the next step and writes its rates into the groups' ``lr`` tensors
        (on the device: no synchronization). Call it after ``optimizer.step()``."""
        self.step_tensor.add_(1)
        self._apply()

    def _apply(self) -> None:
        step = self.step_tensor
        relative = self.mode == "relative"
        groups = self.optimizer.param_groups
        for group, rate, base in zip(groups, self._rates, self.base_lrs, strict=True):
            lr = group["lr"]
            value = rate(step, lr.dtype)
            if relative:
                value = value * base
            lr.copy_(value)

    def get_last_lr(self) -> list[Any]:
        """The rate of each group (clones of the ``lr`` tensors, on the device)."""
        return [g["lr"].clone() for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The step (read from the device: a synchronization), the mode, the initial
        rates and each schedule in serialized form (plain values only)."""
        return {
            "step": int(self.step_tensor.item()),
            "mode": self.mode,
            "base_lrs": list(self.base_lrs),
            "schedules": [_serialized(s) for s in self.schedules],
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restores the step (in place: the step tensor stays the same tensor, so a
        compiled or captured training step keeps working), the saved schedules, mode
        and initial rates, then writes the rates of that step."""
        if not isinstance(state_dict, Mapping) or "step" not in state_dict:
            raise ValueError(
                "Argument `state_dict` must be a dict from DeviceScheduleLR.state_dict(). "
                f"Received: {state_dict!r:.80}."
            )
        step = state_dict["step"]
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"A saved step must be an int >= 0. Received: step={step!r}.")
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
        base_lrs = [float(b) for b in state_dict.get("base_lrs", self.base_lrs)]
        if len(base_lrs) != len(schedules):
            raise ValueError(
                f"The state holds {len(base_lrs)} base_lrs for {len(schedules)} parameter groups."
            )
        self.mode = _choice("mode", state_dict.get("mode", self.mode), MODES)
        self.schedules = tuple(schedules)
        self._rates = tuple(_device_rate(s) for s in self.schedules)
        self.base_lrs = base_lrs
        self.step_tensor.fill_(int(step))
        self._apply()


def _params_device(optimizer: Optimizer) -> Any:
    for group in optimizer.param_groups:
        for p in group["params"]:
            return p.device
    return torch.device("cpu")


def _check_lr(i: int, lr: Any, device: Any) -> None:
    if not isinstance(lr, torch.Tensor):
        raise TypeError(
            f"DeviceScheduleLR writes the rate into a tensor lr; parameter group {i} has "
            f"lr={lr!r}. Build the optimizer with lr=torch.tensor({lr!r}, device=...) "
            "(and capturable=True on CUDA), or use ScheduleLR."
        )
    if lr.ndim != 0 or not lr.dtype.is_floating_point:
        raise ValueError(
            f"The lr of parameter group {i} must be a 0-d floating tensor. "
            f"Received: shape {tuple(lr.shape)}, dtype {lr.dtype}."
        )
    if lr.device != device:
        raise ValueError(
            f"The lr of parameter group {i} is on {lr.device}, its parameters on {device}: "
            "every step would copy it between devices. Build it there: "
            f"lr=torch.tensor(..., device={str(device)!r})."
        )


def _device_rate(schedule: Any) -> Any:
    """A function ``(step, dtype)`` of the schedule: its rate at the step tensor, in ``dtype``."""
    from lrkit.core.arrays import ArrayOps
    from lrkit.core.registry import _OWN

    if type(schedule) not in _OWN:
        return lambda step, dtype: schedule(step)
    import array_api_compat.torch as xp

    compute = schedule._compute
    # the namespace of each (step tensor, dtype), built once: it holds no state of a call
    made: dict[Any, Any] = {}

    def rate(step: Any, dtype: Any) -> Any:
        # an lrkit schedule: its formula on the (non-negative int64) step, in lr's dtype
        ops = None if torch.compiler.is_compiling() else made.get(dtype)
        if ops is None or ops.step is not step:
            ops = ArrayOps(xp, step, float_dtype=dtype)
            ops.step = step
            if not torch.compiler.is_compiling():
                made[dtype] = ops
        return ops.finish(compute(ops, step), ())

    return rate
