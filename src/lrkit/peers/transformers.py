"""`from_transformers`: the schedule ``transformers.get_scheduler(name, ...)`` builds.

Nothing here imports transformers (or torch): the schedules are read from the arguments
``get_scheduler`` takes, with transformers' own errors where it raises them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.peers._common import renamed
from lrkit.schedules.constant import Constant
from lrkit.schedules.cosine_variants import Cosine
from lrkit.schedules.inverse_sqrt import InverseSqrt
from lrkit.schedules.linear import Linear, Polynomial
from lrkit.schedules.wsd import WarmupStableDecay

#: transformers.SchedulerType: value -> member name (as its errors spell it)
SCHEDULER_TYPES = {
    "linear": "LINEAR",
    "cosine": "COSINE",
    "cosine_with_restarts": "COSINE_WITH_RESTARTS",
    "polynomial": "POLYNOMIAL",
    "constant": "CONSTANT",
    "constant_with_warmup": "CONSTANT_WITH_WARMUP",
    "inverse_sqrt": "INVERSE_SQRT",
    "reduce_lr_on_plateau": "REDUCE_ON_PLATEAU",
    "cosine_with_min_lr": "COSINE_WITH_MIN_LR",
    "cosine_warmup_with_min_lr": "COSINE_WARMUP_WITH_MIN_LR",
    "warmup_stable_decay": "WARMUP_STABLE_DECAY",
    "greedy": "GREEDY",
}

#: name -> (transformers' function, its keyword arguments and their defaults)
_KWARGS: dict[str, tuple[str, dict[str, Any]]] = {
    "linear": ("get_linear_schedule_with_warmup", {}),
    "cosine": ("get_cosine_schedule_with_warmup", {"num_cycles": 0.5}),
    "cosine_with_restarts": (
        "get_cosine_with_hard_restarts_schedule_with_warmup",
        {"num_cycles": 1},
    ),
    "polynomial": (
        "get_polynomial_decay_schedule_with_warmup",
        {"lr_end": 1e-7, "power": 1.0},
    ),
    "inverse_sqrt": ("get_inverse_sqrt_schedule", {"timescale": None}),
    "cosine_with_min_lr": (
        "get_cosine_with_min_lr_schedule_with_warmup",
        {"num_cycles": 0.5, "min_lr": None, "min_lr_rate": None},
    ),
    "cosine_warmup_with_min_lr": (
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        {"num_cycles": 0.5, "min_lr": None, "min_lr_rate": None, "warmup_lr_rate": None},
    ),
    "warmup_stable_decay": (
        "get_wsd_schedule",
        {
            "num_decay_steps": None,
            "num_stable_steps": None,
            "warmup_type": "linear",
            "decay_type": "cosine",
            "min_lr_ratio": 0,
            "num_cycles": 0.5,
        },
    ),
}

_NAMES = {
    "warmup_steps": "num_warmup_steps",
    "warmup_learning_rate": "warmup_lr_rate",
    "total_steps": "num_training_steps",
    "stable_steps": "num_stable_steps",
    "waves": "num_cycles",
    "cycles": "num_cycles",
    "alpha": "min_lr_rate",
    "end_learning_rate": "lr_end",
    "initial_learning_rate": "learning_rate",
}
_WSD_NAMES = {
    **_NAMES,
    "decay_steps": "num_decay_steps",
    "warmup_shape": "warmup_type",
    "decay_shape": "decay_type",
    "alpha": "min_lr_ratio",
}


def from_transformers(
    name: Any,
    *,
    learning_rate: float,
    num_warmup_steps: int | float | None = None,
    num_training_steps: int | float | None = None,
    scheduler_specific_kwargs: Mapping[str, Any] | None = None,
) -> LearningRateSchedule:
    r"""The schedule ``transformers.get_scheduler(name, optimizer, ...)`` gives an optimizer
    whose rate is ``learning_rate``: the rate after :math:`t` calls of ``step()`` is

    .. math::

        s(t) = \text{learning\_rate} \cdot \lambda_{name}(t)

    with transformers' :math:`\lambda` for ``name``, to 1e-12 of the rate, for every
    name of ``transformers.SchedulerType`` but the metric-driven
    ``"reduce_lr_on_plateau"`` and ``"greedy"`` (a ``TypeError``). What it builds,
    with :math:`W` = ``num_warmup_steps`` and :math:`N` = ``num_training_steps``:
    ``"constant"``: :class:`lrkit.Constant`; ``"constant_with_warmup"``:
    :class:`lrkit.Linear` from 0 over :math:`W`; ``"linear"``, ``"polynomial"``:
    :class:`lrkit.Polynomial` over :math:`N - W` after a warmup of :math:`W`;
    ``"cosine"``, ``"cosine_with_restarts"``, ``"cosine_with_min_lr"``,
    ``"cosine_warmup_with_min_lr"``: :class:`lrkit.Cosine`; ``"inverse_sqrt"``:
    :class:`lrkit.InverseSqrt`; ``"warmup_stable_decay"``:
    :class:`lrkit.WarmupStableDecay`.

    Where lrkit differs (see docs/schedules.md): past :math:`N` the cosines hold their
    final value (transformers' cosine climbs back); a decay needs :math:`N > W`
    (transformers divides by zero, or never reaches its peak); ``"cosine_with_restarts"``
    needs a whole ``num_cycles``; ``"cosine_warmup_with_min_lr"`` needs
    :math:`W \ge 1` (:math:`W \ge 2` with ``warmup_lr_rate``): with fewer its rate is
    one step ahead, or never reaches the peak.

    Args:
        name: str or ``transformers.SchedulerType``: one of :data:`SCHEDULER_TYPES`.
        learning_rate: float, finite: the optimizer's rate (``optimizer.defaults["lr"]``).
        num_warmup_steps: number >= 0, or None; required by every name but
            ``"constant"``.
        num_training_steps: number >= 0, or None; required by the decays
            (``"linear"``, ``"cosine*"``, ``"polynomial"``) and, unless
            ``num_stable_steps`` is given, ``"warmup_stable_decay"``.
        scheduler_specific_kwargs: dict or None: the keyword arguments of the
            schedule's transformers function (e.g. ``num_cycles``, ``lr_end``,
            ``power``, ``timescale``, ``min_lr_rate``, ``num_decay_steps``).

    >>> s = from_transformers("linear", learning_rate=1.0, num_warmup_steps=10,
    ...                       num_training_steps=110)
    >>> s(0), s(5), s(10), s(60), s(110), s(200)
    (0.0, 0.5, 1.0, 0.5, 0.0, 0.0)
    """
    key = getattr(name, "value", name)
    if not isinstance(key, str) or key not in SCHEDULER_TYPES:
        raise ValueError(
            f"{name} is not a valid SchedulerType, please select one of {list(SCHEDULER_TYPES)}"
        )
    member = f"SchedulerType.{SCHEDULER_TYPES[key]}"
    lr = float(v.number("learning_rate", learning_rate))
    if key == "constant":
        return Constant(lr)
    if key in ("reduce_lr_on_plateau", "greedy"):
        raise TypeError(
            f"from_transformers: {key!r} changes the rate from a metric passed at each step, "
            "not from the step: it is not a schedule."
        )
    if num_warmup_steps is None:
        raise ValueError(f"{member} requires `num_warmup_steps`, please provide that argument.")
    w = v.as_exact(v.nonnegative("num_warmup_steps", num_warmup_steps))
    if key == "constant_with_warmup":  # (transformers passes it no other argument)
        return Linear(0.0, lr, w)
    kwargs = _kwargs(key, scheduler_specific_kwargs)
    if key == "inverse_sqrt":
        return renamed(_NAMES, lambda: InverseSqrt(lr, w, kwargs["timescale"]))
    n = None
    if num_training_steps is not None:
        n = v.as_exact(v.nonnegative("num_training_steps", num_training_steps))
    if key == "warmup_stable_decay":
        return _wsd(lr, w, n, kwargs)
    if n is None:
        raise ValueError(f"{member} requires `num_training_steps`, please provide that argument.")
    if not n > w:
        raise ValueError(
            f"Argument `num_training_steps` must be > num_warmup_steps ({w}) for {key!r}: "
            "transformers divides by zero, or decays over a step that its warmup never "
            f"reaches. Received: num_training_steps={num_training_steps!r}."
        )
    d = n - w
    if key == "linear":
        return Polynomial(lr, d, warmup_steps=w)
    if key == "cosine":
        return renamed(_NAMES, lambda: Cosine(lr, d, waves=kwargs["num_cycles"], warmup_steps=w))
    if key == "cosine_with_restarts":
        return renamed(_NAMES, lambda: Cosine(lr, d, cycles=kwargs["num_cycles"], warmup_steps=w))
    if key == "polynomial":
        lr_end, power = kwargs["lr_end"], kwargs["power"]
        if not (lr > lr_end):
            raise ValueError(f"lr_end ({lr_end}) must be smaller than initial lr ({lr})")
        return renamed(_NAMES, lambda: Polynomial(lr, d, lr_end, power, warmup_steps=w))
    rate = _min_lr_rate(lr, kwargs)
    waves = kwargs["num_cycles"]
    if key == "cosine_with_min_lr":
        return renamed(_NAMES, lambda: Cosine(lr, d, rate, waves=waves, warmup_steps=w))
    # "cosine_warmup_with_min_lr": its steps count one ahead (warmup (t + 1) / W, decay
    # from t = W - 1): a warmup of W - 1 steps from lr / W (or from warmup_lr_rate * lr)
    q = kwargs["warmup_lr_rate"]
    if w < 1 or (q is not None and w < 2):
        need = 1 if q is None else 2
        raise ValueError(
            f"Argument `num_warmup_steps` must be >= {need} for 'cosine_warmup_with_min_lr'"
            + (" with `warmup_lr_rate`" if q is not None else "")
            + ": with fewer, transformers' rate is one step ahead of its step"
            + (" and never reaches the peak" if q is not None else "")
            + f". Received: num_warmup_steps={num_warmup_steps!r}."
        )
    start = lr / w if q is None else float(v.number("warmup_lr_rate", q)) * lr
    return renamed(
        _NAMES,
        lambda: Cosine(lr, d, rate, waves=waves, warmup_steps=w - 1, warmup_learning_rate=start),
    )


def _kwargs(key: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
    function, defaults = _KWARGS[key]
    out = dict(defaults)
    for k, value in dict(given or {}).items():
        if k == "last_epoch":
            if value != -1:
                raise ValueError(
                    "from_transformers: `last_epoch` must be -1 (a schedule is of the step "
                    f"from its start). Received: last_epoch={value!r}."
                )
            continue
        if k not in defaults:
            raise TypeError(f"{function}() got an unexpected keyword argument '{k}'")
        out[k] = value
    return out


def _min_lr_rate(lr: float, kwargs: dict[str, Any]) -> float:
    min_lr, rate = kwargs["min_lr"], kwargs["min_lr_rate"]
    if min_lr is not None and rate is not None:
        raise ValueError("Only one of min_lr or min_lr_rate should be set")
    if min_lr is not None:
        if lr == 0:
            raise ValueError(
                "Argument `min_lr` needs a learning_rate != 0 (transformers divides by it). "
                f"Received: learning_rate={lr!r}, min_lr={min_lr!r}."
            )
        return float(v.number("min_lr", min_lr)) / lr
    if rate is None:
        raise ValueError(
            "One of min_lr or min_lr_rate should be set through the `lr_scheduler_kwargs`"
        )
    return float(v.nonnegative("min_lr_rate", rate))


def _wsd(lr: float, w: Any, n: Any, kwargs: dict[str, Any]) -> LearningRateSchedule:
    decay, stable = kwargs["num_decay_steps"], kwargs["num_stable_steps"]
    if decay is None:
        raise TypeError(
            "get_wsd_schedule() missing 1 required positional argument: 'num_decay_steps'"
        )
    if n is None and stable is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    if n is not None and stable is not None:
        warnings.warn(
            "Both num_training_steps and num_stable_steps are specified. num_stable_steps "
            "will be used.",
            stacklevel=3,
        )
        n = None
    for which in ("warmup_type", "decay_type"):
        if kwargs[which] not in ("linear", "cosine", "1-sqrt"):
            kind = which.split("_")[0]
            raise ValueError(
                f"Unknown {kind} type: {kwargs[which]}, expected 'linear', 'cosine' or '1-sqrt'"
            )
    return renamed(
        _WSD_NAMES,
        lambda: WarmupStableDecay(
            lr,
            total_steps=n,
            warmup_steps=w,
            decay_steps=decay,
            stable_steps=stable,
            warmup_shape=kwargs["warmup_type"],
            decay_shape=kwargs["decay_type"],
            alpha=kwargs["min_lr_ratio"],
            waves=kwargs["num_cycles"],
        ),
    )
