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
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrkit.core.base import LearningRateSchedule
from lrkit.core.serialization import deserialize, serialize

__all__ = [
    "MODES",
    "ON_SKIP",
    "SYNCS",
    "DeviceScheduleLR",
    "PlateauLR",
    "ScheduleLR",
    "lightning_config",
    "plateau_lightning_config",
]

#: ``"absolute"``: the schedule is the rate; ``"relative"``: it multiplies the group's initial lr
MODES = ("absolute", "relative")
#: what a step the optimizer skipped (e.g. by ``GradScaler``) does to the schedule
ON_SKIP = ("advance", "hold")


class ScheduleLR(LRScheduler):
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
        self.schedules: tuple[Any, ...] = _schedules(schedule, len(optimizer.param_groups))
        self.mode = _choice("mode", mode, MODES)
        self.on_skip = _choice("on_skip", on_skip, ON_SKIP)
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral):
            raise TypeError(
                f"Argument `last_epoch` must be an int. Received: last_epoch={last_epoch!r}."
            )
        if last_epoch < -1:
            raise ValueError(
                f"Argument `last_epoch` must be >= -1. Received: last_epoch={last_epoch!r}."
            )
        self._updated = False
        self._initializing = True
        if self.on_skip == "hold":
            handle = optimizer.register_step_post_hook(_post_hook(self))
            weakref.finalize(self, handle.remove)
        try:
            super().__init__(optimizer, int(last_epoch))
        finally:
            self._initializing = False

    # -- the rates -------------------------------------------------------------------
    def get_lr(self) -> list[Any]:
        """The rate of each parameter group at step ``last_epoch`` (a pure function)."""
        groups = len(self.optimizer.param_groups)
        if groups != len(self.schedules):
            raise ValueError(
                f"The optimizer has {groups} parameter groups, but this scheduler was built "
                f"for {len(self.schedules)}: build a new ScheduleLR after add_param_group()."
            )
        step = self.last_epoch if self.last_epoch > 0 else 0  # (max() costs a call)
        rates = [_rate(s, step) for s in self.schedules]
        if self.mode == "relative":
            return [base * r for base, r in zip(self.base_lrs, rates, strict=True)]
        return rates

    def step(self, epoch: int | None = None) -> None:
        """Moves to the next step (or to step ``epoch``) and sets its rates.

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
        values = self.get_lr()
        groups = self.optimizer.param_groups
        for group, lr in zip(groups, values, strict=True):
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        self._last_lr = [
            g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"] for g in groups
        ]

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
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                "Argument `state_dict` must be a dict from ScheduleLR.state_dict(). "
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
        self.schedules = tuple(schedules)
        self.mode = mode
        self.base_lrs = base_lrs
        self.last_epoch = int(step)
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


def _rate(schedule: Any, step: int) -> float:
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
        raise ValueError(f"{schedule!r} returned {value} at step {step}: not a learning rate.")
    return value


def _serialized(schedule: Any) -> dict[str, Any] | None:
    if not isinstance(schedule, LearningRateSchedule):
        return None
    try:
        return serialize(schedule)
    except (ValueError, TypeError, NotImplementedError):
        return None


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
