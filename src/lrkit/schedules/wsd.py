"""`WarmupStableDecay` (WSD): warmup, a constant stretch, then a cooldown."""

from __future__ import annotations

import math
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import cosine_remaining
from lrkit.schedules._pieces import (
    choice,
    fraction_of,
    lerp,
    one_minus_sqrt,
    optional,
    unit_interval,
)

SHAPES = ("linear", "cosine", "1-sqrt")


@builtin(module="lrkit")
class WarmupStableDecay(LearningRateSchedule):
    r"""Warmup, stable, decay (WSD): a warmup to the peak, the peak held, then a cooldown.

    With :math:`W, S, D` the three phase lengths, :math:`\eta_0` the peak,
    :math:`\eta_{min} = \alpha\,\eta_0` and :math:`\eta_w` the warmup's start:

    .. math::

        \eta(t) = \begin{cases}
            \eta_w + (\eta_0 - \eta_w)\, g(t / W) & t < W \\
            \eta_0 & W \le t < W + S \\
            \eta_{min} + (\eta_0 - \eta_{min})\, h\big((t - W - S) / D\big)
                & W + S \le t < W + S + D \\
            \eta_{min} & t \ge W + S + D
        \end{cases}

    Warmup shapes :math:`g(x)`: ``"linear"`` :math:`x`, ``"cosine"``
    :math:`(1 - \cos \pi x)/2`, ``"1-sqrt"`` :math:`1 - \sqrt{1 - x}`. Decay shapes
    :math:`h(x)`: ``"linear"`` :math:`1 - x`, ``"cosine"``
    :math:`(1 + \cos 2\pi c x)/2` with :math:`c` = ``waves`` (0.5: one half-cosine),
    ``"1-sqrt"`` :math:`1 - \sqrt{x}` (Hägele et al., https://arxiv.org/abs/2405.18392).

    This is transformers' ``get_wsd_schedule`` (scheduler ``"warmup_stable_decay"``):
    ``WarmupStableDecay(lr, warmup_steps=num_warmup_steps, decay_steps=num_decay_steps,
    total_steps=num_training_steps, warmup_shape=warmup_type, decay_shape=decay_type,
    alpha=min_lr_ratio, waves=num_cycles)`` (or ``stable_steps=num_stable_steps``).

    Phase lengths are given in steps, or as fractions of ``total_steps``: a fraction
    :math:`f` of :math:`N` is :math:`\lceil f N \rceil` steps (transformers'
    ``warmup_ratio`` rule), with :math:`f N` taken exactly, so ``0.07`` of 100 is 7
    steps (transformers' float product gives 8). The stable phase is ``stable_steps``,
    or whatever ``total_steps`` leaves after the warmup and the decay. The phase
    boundaries are exact integers and the shapes are evaluated from the exact elapsed
    and remaining steps (:math:`1 - \sqrt{1-x}` as :math:`x / (1 + \sqrt{1-x})`).

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`): the stable rate.
        total_steps: number > 0 or None: warmup + stable + decay.
        warmup_steps: number >= 0 or None (:math:`W`; default 0).
        decay_steps: number >= 0 or None (:math:`D`).
        stable_steps: number >= 0 or None (:math:`S`).
        warmup_fraction: number in [0, 1] or None: :math:`W` as a fraction of
            ``total_steps``. At most one of ``warmup_steps`` and ``warmup_fraction``.
        decay_fraction: number in [0, 1] or None: :math:`D` as a fraction of
            ``total_steps``. Exactly one of ``decay_steps`` and ``decay_fraction``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        decay_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        alpha: float, finite: :math:`\eta_{min} / \eta_0` (transformers' min_lr_ratio).
        warmup_learning_rate: float or None (:math:`\eta_w`); None means
            :math:`\eta_{min}`, as transformers.
        waves: number > 0 (:math:`c`), for the cosine decay (transformers'
            ``num_cycles``).
        name: str.

    >>> s = WarmupStableDecay(1.0, total_steps=100, warmup_steps=10, decay_fraction=0.2,
    ...                       decay_shape="linear")
    >>> s(0), s(5), s(10), s(79), s(80), s(90), s(100)
    (0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("total_steps", "total_steps"),
        ("warmup_steps", "warmup_steps"),
        ("decay_steps", "decay_steps"),
        ("stable_steps", "stable_steps"),
        ("warmup_fraction", "warmup_fraction"),
        ("decay_fraction", "decay_fraction"),
        ("warmup_shape", "warmup_shape"),
        ("decay_shape", "decay_shape"),
        ("alpha", "alpha"),
        ("warmup_learning_rate", "warmup_learning_rate"),
        ("waves", "waves"),
        ("name", "name"),
    )

    _length_args = ("total_steps", "warmup_steps", "decay_steps", "stable_steps")

    def __init__(
        self,
        initial_learning_rate: float,
        total_steps: int | float | None = None,
        warmup_steps: int | float | None = None,
        decay_steps: int | float | None = None,
        stable_steps: int | float | None = None,
        warmup_fraction: float | None = None,
        decay_fraction: float | None = None,
        warmup_shape: str = "linear",
        decay_shape: str = "cosine",
        alpha: float = 0.0,
        warmup_learning_rate: float | None = None,
        waves: float = 0.5,
        name: str = "WarmupStableDecay",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.total_steps = optional(v.positive, "total_steps", total_steps)
        self.warmup_steps = optional(v.nonnegative, "warmup_steps", warmup_steps)
        self.decay_steps = optional(v.nonnegative, "decay_steps", decay_steps)
        self.stable_steps = optional(v.nonnegative, "stable_steps", stable_steps)
        self.warmup_fraction = optional(unit_interval, "warmup_fraction", warmup_fraction)
        self.decay_fraction = optional(unit_interval, "decay_fraction", decay_fraction)
        self.warmup_shape = choice("warmup_shape", warmup_shape, SHAPES)
        self.decay_shape = choice("decay_shape", decay_shape, SHAPES)
        self.alpha = v.number("alpha", alpha)
        self.warmup_learning_rate = v.optional_number("warmup_learning_rate", warmup_learning_rate)
        self.waves = v.at_most("waves", v.positive("waves", waves), 1e6)
        self.name = v.schedule_name(name, "WarmupStableDecay")
        self._w, self._s, self._d = self._phases()
        self._floor = self.alpha * self.initial_learning_rate
        self._start = (
            self._floor if self.warmup_learning_rate is None else float(self.warmup_learning_rate)
        )
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        # the resolved phase lengths, as the formula switches on them
        w, s, d = self._w, self._s, self._d
        out = [(w, "warmup end")] if w else []
        if not d:  # no decay: the rate drops to the floor where the stable phase ends
            return [*out, (w + s, "decay end")]
        return [*out, (w + s, "decay start"), (w + s + d, "decay end")]

    def _horizon(self) -> int | float | None:
        return self._w + self._s + self._d

    @property
    def phases(self) -> tuple[int | float, int | float, int | float]:
        """The resolved ``(warmup, stable, decay)`` lengths, in steps.

        >>> WarmupStableDecay(1.0, total_steps=1000, warmup_fraction=0.07,
        ...                   decay_fraction=0.2).phases
        (70, 730, 200)
        """
        return self._w, self._s, self._d

    def _phases(self) -> tuple[Any, Any, Any]:
        total = None if self.total_steps is None else v.as_exact(self.total_steps)

        def resolve(kind: str, steps: Any, fraction: Any, required: bool) -> Any:
            if steps is not None and fraction is not None:
                raise ValueError(
                    f"Pass `{kind}_steps` or `{kind}_fraction`, not both. Received: "
                    f"{kind}_steps={steps!r}, {kind}_fraction={fraction!r}."
                )
            if fraction is not None:
                if total is None:
                    raise ValueError(
                        f"Argument `{kind}_fraction` needs `total_steps`. Received: "
                        f"{kind}_fraction={fraction!r}, total_steps=None."
                    )
                return fraction_of(fraction, total, rounding=1)
            if steps is None:
                if required:
                    raise ValueError(f"Pass `{kind}_steps` or `{kind}_fraction`. Received neither.")
                return 0
            return v.as_exact(steps)

        w = resolve("warmup", self.warmup_steps, self.warmup_fraction, False)
        d = resolve("decay", self.decay_steps, self.decay_fraction, True)
        if self.stable_steps is not None:
            s = v.as_exact(self.stable_steps)
            if total is not None and w + s + d != total:
                raise ValueError(
                    "The phases must add up to `total_steps`: warmup + stable + decay = "
                    f"{w} + {s} + {d} = {w + s + d}. Received: total_steps={total!r}."
                )
        else:
            if total is None:
                raise ValueError(
                    "Pass `stable_steps` or `total_steps` (the stable phase is what the total "
                    "leaves after the warmup and the decay). Received neither."
                )
            s = total - w - d
            if s < 0:
                raise ValueError(
                    "The warmup and the decay are longer than `total_steps`: "
                    f"{w} + {d} > {total}. Received: total_steps={total!r}."
                )
        return w, s, d

    def _warmup(self, xp: Ops, step: Any) -> Any:
        w, start, peak = self._w, self._start, float(self.initial_learning_rate)
        elapsed = xp.minimum(step, w)
        if self.warmup_shape == "linear":
            return lerp(xp, start, peak, elapsed, w)
        x = xp.divide(elapsed, w)
        if self.warmup_shape == "cosine":
            g = cosine_remaining(xp, x)  # (1 - cos(pi x)) / 2 = sin^2(pi x / 2)
        else:
            g = one_minus_sqrt(xp, x, xp.divide(w - elapsed, w))
        return start + (peak - start) * g

    def _decay(self, xp: Ops, step: Any) -> Any:
        d, floor, peak = self._d, self._floor, float(self.initial_learning_rate)
        elapsed = xp.minimum(xp.since(step, (self._w + self._s)), d)
        if self.decay_shape == "linear":
            return lerp(xp, peak, floor, elapsed, d)
        remaining = xp.divide(d - elapsed, d)
        if self.decay_shape == "cosine":
            if self.waves == 0.5:
                h = cosine_remaining(xp, remaining)  # (1 + cos(pi x)) / 2 = sin^2(pi (1-x) / 2)
            else:
                c = xp.cos((math.pi * self.waves / d) * xp.astype(elapsed, xp.float_dtype))
                h = c * c
        else:  # 1 - sqrt(x) = (1 - x) / (1 + sqrt(x))
            h = remaining / (1.0 + xp.sqrt(xp.divide(elapsed, d)))
        return floor + (peak - floor) * h

    def _compute(self, xp: Ops, step: Any) -> Any:
        w, s, d = self._w, self._s, self._d
        peak = float(self.initial_learning_rate)
        out = xp.where(step < w + s + d, self._decay(xp, step), self._floor) if d else self._floor
        out = xp.where(step < w + s, peak, out)
        if w:
            out = xp.where(step < w, self._warmup(xp, step), out)
        return out
