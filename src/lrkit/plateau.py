r"""`Plateau`: reduce on plateau, beside the schedules, for any schedule.

A rate that reacts to a metric is not a function of the step, so it is not a
schedule: :class:`Plateau` is a small, explicit state machine that holds one. Its rate
is

.. math::

    \eta(t) = \text{schedule}(t) \cdot s(t)

where the multiplier :math:`s` starts at 1 and is multiplied by ``factor`` (down to
``min_scale``) each time the metric given to :meth:`Plateau.report` has not improved
for ``patience`` reports, with PyTorch's ``ReduceLROnPlateau`` decisions (mode,
threshold, cooldown, ``eps``). A reduction reported at step :math:`n` holds from step
:math:`n` on, so :math:`s` is a step function of the step, and :meth:`Plateau.replay`
turns a run's reductions into a pure, serializable schedule that reproduces it.

Its whole state (:meth:`Plateau.state_dict`) is plain values: the multiplier, the
best metric, the counters and the step and multiplier of each reduction.

>>> import lrkit
>>> cosine = lrkit.CosineDecay(1.0, 100)
>>> p = lrkit.Plateau(cosine, factor=0.5, patience=1)
>>> [p.report(loss, step) for step, loss in [(10, 3.0), (20, 3.0), (30, 3.0)]]
[False, False, True]
>>> p.scale, p(29) == cosine(29), p(30) == 0.5 * cosine(30)
(0.5, True, True)
>>> p.replay()(30) == p(30)
True
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from lrkit.compose import Join, Product
from lrkit.core import validate as v
from lrkit.core.serialization import deserialize, serialize
from lrkit.schedules import Constant

__all__ = ["MODES", "THRESHOLD_MODES", "Plateau", "decisions", "transition"]

#: ``"min"``: a lower metric is better (a loss); ``"max"``: a higher one (an accuracy)
MODES = ("min", "max")
#: ``"rel"``: an improvement beats the best by a fraction ``threshold`` of it;
#: ``"abs"``: by ``threshold`` itself
THRESHOLD_MODES = ("rel", "abs")

_STATE_KEYS = ("scale", "best", "bad_reports", "cooldown_left", "reports", "reductions")


def _where(cond: Any, a: Any, b: Any) -> Any:
    return a if cond else b


def _maximum(a: Any, b: Any) -> Any:
    return a if a > b else b


def transition(
    config: Mapping[str, Any],
    state: Mapping[str, Any],
    metric: Any,
    where: Callable[[Any, Any, Any], Any] = _where,
    maximum: Callable[[Any, Any], Any] = _maximum,
) -> dict[str, Any]:
    """One report: the next ``scale``, ``best``, ``bad_reports`` and ``cooldown_left``.

    The decision rules of PyTorch's ``ReduceLROnPlateau.step``, written once with
    ``where`` and ``maximum`` so that the same function runs on Python numbers (the
    defaults) and on JAX arrays under ``jax.jit`` (``jnp.where``, ``jnp.maximum``:
    see :func:`lrkit.optax.scale_by_plateau`):

    1. the metric improves on the best when it is below ``best * (1 - threshold)``
       (mode ``"min"``, ``"rel"``), below ``best - threshold`` (``"abs"``), above
       ``best * (1 + threshold)`` or ``best + threshold`` (mode ``"max"``); NaN never
       improves, and neither does an infinite loss (``inf < inf`` is false);
    2. an improvement makes it the best and clears the bad reports; any other report
       adds one;
    3. during a cooldown the cooldown counts down and bad reports are cleared;
    4. more than ``patience`` bad reports reduce the multiplier to
       ``max(scale * factor, min_scale)`` (kept only if it falls by more than
       ``eps``), start the cooldown and clear the bad reports.

    ``config`` holds ``mode``, ``threshold_mode``, ``threshold``, ``patience``,
    ``cooldown``, ``factor``, ``min_scale`` and ``eps`` (Python values); ``state``
    holds ``scale``, ``best``, ``bad_reports`` and ``cooldown_left``.
    """
    best, threshold = state["best"], config["threshold"]
    if config["mode"] == "min":
        bar = best * (1.0 - threshold) if config["threshold_mode"] == "rel" else best - threshold
        better = metric < bar
    else:
        bar = best * (threshold + 1.0) if config["threshold_mode"] == "rel" else best + threshold
        better = metric > bar
    best = where(better, metric, best)
    bad = where(better, 0, state["bad_reports"] + 1)
    cooling = state["cooldown_left"] > 0
    cooldown_left = where(cooling, state["cooldown_left"] - 1, state["cooldown_left"])
    bad = where(cooling, 0, bad)
    reduce = bad > config["patience"]
    scale = state["scale"]
    lower = maximum(scale * config["factor"], config["min_scale"])
    scale = where(reduce & (scale - lower > config["eps"]), lower, scale)
    return {
        "scale": scale,
        "best": best,
        "bad_reports": where(reduce, 0, bad),
        "cooldown_left": where(reduce, config["cooldown"], cooldown_left),
    }


class Plateau:
    r"""Reduce on plateau around any schedule: ``schedule(step) * scale``.

    The names and decisions of PyTorch's ``ReduceLROnPlateau``, with the floor
    ``min_scale`` on the multiplier instead of ``min_lr`` on the rate (and ``eps``
    compared with the multiplier's fall: PyTorch's, for a base rate of 1). Fed the same
    metrics, ``scale`` after every :meth:`report` equals PyTorch's rate over its base
    rate (see :func:`transition` for the rules).

    .. math::

        \eta(t) = \text{schedule}(t)\; s(t), \qquad
        s(t) = s_k \text{ for } n_k \le t < n_{k+1}

    where :math:`n_k` is the step of the :math:`k`-th reduction and :math:`s_k` the
    multiplier it set (:math:`s_0 = 1`, :math:`n_0 = 0`).

    Args:
        schedule: the schedule to scale (any lrkit schedule, or any callable of the
            step; one that is not serializable leaves :meth:`get_config` out).
        mode: ``"min"`` or ``"max"``: whether a lower or a higher metric is better.
        factor: number in (0, 1). Each reduction multiplies the multiplier by it.
        patience: int >= 0. Reports without improvement tolerated before a reduction.
        threshold: number >= 0. How much better than the best counts as improving.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: int >= 0. Reports after a reduction during which bad reports are
            not counted.
        min_scale: number in [0, 1]. The multiplier never goes below it.
        eps: number >= 0. A reduction that lowers the multiplier by ``eps`` or less
            is not made.

    A metric that is NaN, or infinite in the wrong direction (a diverged loss), is a
    report without improvement, as in PyTorch: it never raises and never resets the
    state. A metric of ``-inf`` in mode ``"min"`` (``+inf`` in ``"max"``) becomes the
    best, which no later metric can improve on.

    >>> p = Plateau(lambda step: 0.1, patience=0, factor=0.5)
    >>> p.report(1.0, step=5), p.report(2.0, step=8), p.scale
    (False, True, 0.5)
    >>> p(7), p(8)
    (0.1, 0.05)
    >>> p.reductions
    ((8, 0.5),)
    """

    def __init__(
        self,
        schedule: Any,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_scale: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if isinstance(schedule, type) or not callable(schedule):
            raise TypeError(
                "Argument `schedule` must be a schedule (a callable of the step). "
                f"Received: schedule={v.shown(schedule)}."
            )
        self.schedule = schedule
        c = decisions(mode, factor, patience, threshold, threshold_mode, cooldown, min_scale, eps)
        self.mode, self.factor, self.patience = c["mode"], c["factor"], c["patience"]
        self.threshold, self.threshold_mode = c["threshold"], c["threshold_mode"]
        self.cooldown, self.min_scale, self.eps = c["cooldown"], c["min_scale"], c["eps"]
        self._reset()

    def _reset(self) -> None:
        self.scale: float = 1.0
        self.best: float = math.inf if self.mode == "min" else -math.inf
        self.bad_reports = 0
        self.cooldown_left = 0
        self.reports = 0
        self._steps: list[int | float] = []
        self._scales: list[float] = []
        self._replayed: Any = None

    # -- the rate ------------------------------------------------------------------------
    def __call__(self, step: Any) -> Any:
        """The rate at ``step``: ``schedule(step)`` times the multiplier in force there
        (a Python number or an array, as the schedule gives)."""
        if isinstance(step, numbers.Real) and not isinstance(step, bool):
            return self.schedule(step) * self.scale_at(step)
        return self.replay()(step)

    def scale_at(self, step: Any) -> float:
        """The multiplier in force at ``step``: that of the last reduction at or before it."""
        i = bisect.bisect_right(self._steps, step)
        return self._scales[i - 1] if i else 1.0

    @property
    def reductions(self) -> tuple[tuple[int | float, float], ...]:
        """``((step, scale), ...)``: the step of each reduction and the multiplier it set."""
        return tuple(zip(self._steps, self._scales, strict=True))

    def replay(self) -> Any:
        """A pure schedule giving this run's rates: the schedule times a step function of
        the reductions (``Product([schedule, Join([Constant(1), Constant(s_1), ...],
        boundaries=[n_1, ...])])``), serializable when the schedule is.

        With no reduction it is the schedule itself.
        """
        if self._replayed is None:
            if not self._steps:
                self._replayed = self.schedule
            else:
                pieces = [Constant(1.0), *(Constant(s) for s in self._scales)]
                self._replayed = Product([self.schedule, Join(pieces, list(self._steps))])
        return self._replayed

    # -- the metric --------------------------------------------------------------------
    def report(self, metric: Any, step: int | float | None = None) -> bool:
        """Takes one evaluation of the metric; returns whether the multiplier fell.

        Args:
            metric: a real number (a Python or NumPy number, or a one-element
                tensor); NaN and infinities are accepted (see the class).
            step: the training step the metric was measured at: a reduction holds
                from that step on. Steps never go back. Without it, the step is the
                number of reports so far (report once per epoch, and call the rate
                with the epoch).
        """
        value = _metric(metric)
        self.reports += 1
        at = self.reports if step is None else _step(step)
        if self._steps and at < self._steps[-1]:
            raise ValueError(
                f"A report's step must not go back: the last reduction was at step "
                f"{self._steps[-1]!r}. Received: step={step!r}."
            )
        before = self.scale
        new = transition(self._config(), self._state(), value)
        self.scale, self.best = float(new["scale"]), float(new["best"])
        self.bad_reports, self.cooldown_left = int(new["bad_reports"]), int(new["cooldown_left"])
        if self.scale == before:
            return False
        if self._steps and self._steps[-1] == at:  # a second reduction at one step
            self._scales[-1] = self.scale
        else:
            self._steps.append(at)
            self._scales.append(self.scale)
        self._replayed = None
        return True

    def _config(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "factor": self.factor,
            "patience": self.patience,
            "threshold": self.threshold,
            "threshold_mode": self.threshold_mode,
            "cooldown": self.cooldown,
            "min_scale": self.min_scale,
            "eps": self.eps,
        }

    def _state(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "best": self.best,
            "bad_reports": self.bad_reports,
            "cooldown_left": self.cooldown_left,
        }

    # -- saving --------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (the schedule in :func:`lrkit.serialize`'s form)."""
        return {"schedule": serialize(self.schedule), **self._config()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Plateau:
        """A new :class:`Plateau` (at its initial state) from :meth:`get_config`."""
        if not isinstance(config, Mapping) or "schedule" not in config:
            raise ValueError(
                f"A Plateau config must be a dict with a 'schedule'. Received: {v.shown(config)}."
            )
        rest = {k: val for k, val in config.items() if k != "schedule"}
        return cls(deserialize(config["schedule"]), **rest)

    def state_dict(self) -> dict[str, Any]:
        """The whole state, as plain Python values (``torch.load(weights_only=True)`` and
        JSON read it): ``scale``, ``best``, ``bad_reports``, ``cooldown_left``,
        ``reports`` and ``reductions`` (``[[step, scale], ...]``)."""
        return {
            **self._state(),
            "reports": self.reports,
            "reductions": [[n, s] for n, s in self.reductions],
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restores :meth:`state_dict`'s values (checked) exactly."""
        if not isinstance(state, Mapping):
            raise TypeError(
                "Argument `state` must be a dict from Plateau.state_dict(). "
                f"Received: {type(state).__name__}."
            )
        missing = [k for k in _STATE_KEYS if k not in state]
        if missing:
            raise ValueError(f"Argument `state` lacks {missing}. Received keys: {sorted(state)}.")
        scale = v.number("state['scale']", state["scale"])
        best = state["best"]
        if isinstance(best, bool) or not isinstance(best, numbers.Real):
            raise TypeError(f"A saved `best` must be a number. Received: best={v.shown(best)}.")
        best = float(best)
        bad, cool = (
            _count("bad_reports", state["bad_reports"]),
            _count("cooldown_left", state["cooldown_left"]),
        )
        reports = _count("reports", state["reports"])
        pairs = state["reductions"]
        if not isinstance(pairs, (list, tuple)) or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs
        ):
            raise ValueError(
                "Argument `state['reductions']` must be a list of [step, scale] pairs. "
                f"Received: {v.shown(pairs)}."
            )
        steps = v.increasing(
            "state['reductions'] steps",
            tuple(_step(p[0]) for p in pairs),
        )
        scales = [float(v.number("state['reductions'] scale", p[1])) for p in pairs]
        self._reset()
        self.scale, self.best = float(scale), best
        self.bad_reports, self.cooldown_left, self.reports = bad, cool, reports
        self._steps, self._scales = list(steps), scales

    def __repr__(self) -> str:
        return (
            f"Plateau({self.schedule!r}, mode={self.mode!r}, factor={self.factor!r}, "
            f"patience={self.patience!r}, scale={self.scale!r})"
        )


def decisions(
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_scale: float = 0.0,
    eps: float = 1e-8,
) -> dict[str, Any]:
    """The arguments of a plateau's decisions, checked (as :class:`Plateau`'s): the
    ``config`` that :func:`transition` reads.

    >>> decisions(factor=0.5)["factor"]
    0.5
    """
    factor = v.positive("factor", factor)
    if not factor < 1:
        raise ValueError(f"Argument `factor` must be < 1. Received: factor={factor!r}.")
    return {
        "mode": _choice("mode", mode, MODES),
        "factor": factor,
        "patience": _count("patience", patience),
        "threshold": v.nonnegative("threshold", threshold),
        "threshold_mode": _choice("threshold_mode", threshold_mode, THRESHOLD_MODES),
        "cooldown": _count("cooldown", cooldown),
        "min_scale": v.at_most("min_scale", v.nonnegative("min_scale", min_scale), 1),
        "eps": v.nonnegative("eps", eps),
    }


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"Argument `{name}` must be one of {allowed}. Received: {name}={v.shown(value)}."
        )
    return value


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Argument `{name}` must be an int, not {type(value).__name__}. "
            f"Received: {name}={v.shown(value)}."
        )
    if value < 0:
        raise ValueError(f"Argument `{name}` must be >= 0. Received: {name}={value!r}.")
    return int(value)


def _step(step: Any) -> int | float:
    s = v.nonnegative("step", step)
    return v.as_exact(s)


def _metric(metric: Any) -> float:
    """The metric as a float: a real number, or a one-element array or tensor."""
    if isinstance(metric, (bool, str, bytes)) or metric is None:
        raise TypeError(
            f"Argument `metric` must be a real number, not {type(metric).__name__}. "
            f"Received: metric={v.shown(metric)}."
        )
    if isinstance(metric, numbers.Real):
        return float(metric)
    size = getattr(metric, "size", None)
    numel = getattr(metric, "numel", None)
    count = numel() if callable(numel) else size if isinstance(size, int) else None
    if count != 1 or not hasattr(metric, "__float__"):
        raise TypeError(
            "Argument `metric` must be a real number or a one-element array. "
            f"Received: metric={v.shown(metric)}."
        )
    try:
        return float(metric)
    except (TypeError, ValueError):
        raise TypeError(
            f"Argument `metric` must hold a real number. Received: metric={v.shown(metric)}."
        ) from None
