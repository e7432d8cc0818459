"""`Cosine` (warmup, floor, exponent, waves, hard restarts) and `CosineCycles` (timm)."""

from __future__ import annotations

import math
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import cosine_remaining
from lrkit.schedules._pieces import integer, with_warmup
from lrkit.schedules._timm import WARMUP_ATTRS, Cycles


@builtin(module="lrkit")
class Cosine(LearningRateSchedule):
    r"""Cosine decay after a linear warmup, with a floor, an exponent and restarts.

    After :math:`W` warmup steps, the :math:`D` decay steps are split into :math:`n`
    equal cycles (``cycles``; :math:`n = 1` is a single decay). With :math:`e =
    \min(t - W, D)` and :math:`x = (n e \bmod D) / D` the position in the cycle
    (:math:`x = 1` once :math:`e = D`):

    .. math::

        \eta(t) = \begin{cases}
            \eta_w + (\eta_0 - \eta_w)\, t / W & t < W \\
            \eta_0 \left((1 - \alpha)\, f(x)^{p} + \alpha\right), \quad
            f(x) = \dfrac{1 + \cos(2\pi c x)}{2} & t \ge W
        \end{cases}

    with :math:`c` = ``waves`` (0.5, the default, is one half-cosine from the peak to
    the floor), :math:`p` = ``exponent`` and :math:`\alpha` the floor as a fraction of
    the peak. From :math:`t = W + D` on the rate holds its value at :math:`x = 1`.

    Each argument is the anchor's:

    * optax ``cosine_decay_schedule(init_value, decay_steps, alpha, exponent)`` is
      ``Cosine(init_value, decay_steps, alpha, exponent=exponent)``, and
      ``warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
      end_value, exponent)`` is ``Cosine(peak_value, decay_steps - warmup_steps,
      alpha=end_value / peak_value, exponent=exponent, warmup_steps=warmup_steps,
      warmup_learning_rate=init_value)``;
    * transformers ``"cosine"`` (``get_cosine_schedule_with_warmup``) is ``Cosine(lr,
      N - W, warmup_steps=W, waves=num_cycles)``, ``"cosine_with_min_lr"`` adds
      ``alpha=min_lr_rate`` (or ``min_lr / lr``), and ``"cosine_with_restarts"``
      (``get_cosine_with_hard_restarts_schedule_with_warmup``) is ``Cosine(lr, N - W,
      warmup_steps=W, cycles=num_cycles)``, for :math:`N` = ``num_training_steps``
      and :math:`W` = ``num_warmup_steps``.

    The cycle position :math:`n e \bmod D` is exact integer arithmetic, so a restart
    always gets the full peak; with ``waves=0.5`` the cosine is evaluated as
    :math:`\sin^2(\tfrac{\pi}{2}(1 - x))` from the exact remaining steps.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`): the peak, after the
            warmup.
        decay_steps: number > 0 (:math:`D`), the steps after the warmup.
        alpha: float, finite (:math:`\alpha`).
        exponent: number > 0 (:math:`p`).
        waves: number > 0 (:math:`c`).
        cycles: whole number >= 1 (:math:`n`).
        warmup_steps: number >= 0 (:math:`W`).
        warmup_learning_rate: float, finite (:math:`\eta_w`), the rate at step 0 when
            there is a warmup.
        name: str.

    >>> s = Cosine(1.0, decay_steps=100, alpha=0.1, warmup_steps=10)
    >>> s(0), s(5), s(10), round(s(60), 12), s(110), s(1000)
    (0.0, 0.5, 1.0, 0.55, 0.1, 0.1)
    >>> r = Cosine(1.0, decay_steps=30, cycles=3)
    >>> r(0), round(r(5), 12), r(10), r(30)
    (1.0, 0.5, 1.0, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("decay_steps", "decay_steps"),
        ("alpha", "alpha"),
        ("exponent", "exponent"),
        ("waves", "waves"),
        ("cycles", "cycles"),
        ("warmup_steps", "warmup_steps"),
        ("warmup_learning_rate", "warmup_learning_rate"),
        ("name", "name"),
    )

    _length_args = ("decay_steps", "warmup_steps")

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        alpha: float = 0.0,
        exponent: float = 1.0,
        waves: float = 0.5,
        cycles: int = 1,
        warmup_steps: int | float = 0,
        warmup_learning_rate: float = 0.0,
        name: str = "Cosine",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = v.positive("decay_steps", decay_steps)
        self.alpha = v.number("alpha", alpha)
        self.exponent = v.positive("exponent", exponent)
        self.waves = v.at_most("waves", v.positive("waves", waves), 1e6)
        self.cycles = v.number("cycles", cycles)
        self._n = integer("cycles", cycles, 1)
        self.warmup_steps = v.nonnegative("warmup_steps", warmup_steps)
        self.warmup_learning_rate = v.number("warmup_learning_rate", warmup_learning_rate)
        self.name = v.schedule_name(name, "Cosine")
        self._d = v.as_exact(self.decay_steps)
        self._w = v.as_exact(self.warmup_steps)
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        from lrkit.core.phases import MAX_BOUNDARIES

        d, w, n = self._d, self._w, self._n
        out: list[tuple[Any, str]] = [(w, "warmup end")] if w else []
        # cycle k starts at the first step where n e >= k D: e = ceil(k D / n) for
        # integer steps (exact integers), k D / n otherwise
        whole = isinstance(d, int) and isinstance(w, int)
        for k in range(1, min(n, MAX_BOUNDARIES + 1)):
            start = w + (-(-k * d // n) if whole else k * d / n)
            if start > last_step:
                break
            out.append((start, "restart"))
        return [*out, (w + d, "decay end")]

    def _horizon(self) -> int | float | None:
        return self._w + self._d  # the end of the last cycle

    def _compute(self, xp: Ops, step: Any) -> Any:
        d, w, n = self._d, self._w, self._n
        peak, alpha = float(self.initial_learning_rate), float(self.alpha)
        elapsed = xp.minimum(xp.since(step, w), d)
        if n == 1:
            position = elapsed
        else:  # n e mod D, and D (the end of the last cycle) once e = D
            position = xp.where(elapsed >= d, d, xp.remainder(n * elapsed, d))
        if self.waves == 0.5:
            f = cosine_remaining(xp, xp.divide(d - position, d))
        else:
            c = xp.cos((math.pi * self.waves / d) * xp.astype(position, xp.float_dtype))
            f = c * c
        if self.exponent != 1:
            f = xp.pow(f, float(self.exponent))
        decay = peak * ((1.0 - alpha) * f + alpha)
        return with_warmup(xp, step, w, float(self.warmup_learning_rate), peak, decay)


@builtin(module="lrkit")
class CosineCycles(Cycles):
    r"""timm's cosine schedule: cycles that grow, decay and stop, with k-decay and warmup.

    Cycle :math:`i` lasts :math:`T_i = T_0 m^i` steps and starts at
    :math:`B_i = T_0 (m^i - 1)/(m - 1)` (:math:`i T_0` for :math:`m = 1`); within it,
    with :math:`e = t - B_i`,

    .. math::

        \eta(t) = \eta_{min} + (\eta_0 \gamma^i - \eta_{min})\,
                  \frac{1 + \cos\left(\pi\, e^k / T_i^k\right)}{2}

    and after ``cycle_limit`` cycles :math:`\eta(t) = \eta_{min}`. A warmup of
    :math:`W` steps rises on a line from :math:`\eta_w` towards :math:`\eta_0`; the
    cycles then run on :math:`t - W` (``warmup_prefix``) or on :math:`t` itself, as in
    timm, where the warmup line leads to :math:`\eta_0` and the rate then jumps to the
    cycle's value at :math:`W`.

    This is ``timm.scheduler.CosineLRScheduler(t_initial, lr_min, cycle_mul,
    cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix, k_decay)`` with
    the same values, at timm's step :math:`t` (its epoch, or its update count with
    ``t_in_epochs=False``); noise is not reproduced. timm finds the cycle with a
    floating-point logarithm, which puts some restart steps in the previous cycle;
    lrkit finds it exactly (see :class:`lrkit.CosineDecayRestarts`). For
    ``cycle_mul < 1``, once the cycles have converged the rate is :math:`\eta_{min}`
    (timm raises a math domain error). ``cycle_limit=None`` never stops.
    References: SGDR, https://arxiv.org/abs/1608.03983; k-decay,
    https://arxiv.org/abs/2004.05909.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        cycle_steps: number > 0 (:math:`T_0`, timm's ``t_initial``).
        min_learning_rate: float, finite (:math:`\eta_{min}`, timm's ``lr_min``).
        cycle_mul: number > 0 (:math:`m`).
        cycle_decay: number >= 0 (:math:`\gamma`).
        cycle_limit: whole number >= 0, or None for no limit.
        k_decay: number > 0 (:math:`k`).
        warmup_steps: number >= 0 (:math:`W`, timm's ``warmup_t``).
        warmup_learning_rate: float, finite (:math:`\eta_w`, ``warmup_lr_init``).
        warmup_prefix: bool.
        name: str.

    >>> s = CosineCycles(1.0, cycle_steps=10, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=2)
    >>> s(0), round(s(5), 12), s(10), round(s(20), 12), s(30), s(100)
    (1.0, 0.5, 0.5, 0.25, 0.0, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("cycle_steps", "cycle_steps"),
        ("min_learning_rate", "min_learning_rate"),
        ("cycle_mul", "cycle_mul"),
        ("cycle_decay", "cycle_decay"),
        ("cycle_limit", "cycle_limit"),
        ("k_decay", "k_decay"),
        *WARMUP_ATTRS,
        ("name", "name"),
    )

    _length_args = ("cycle_steps", "warmup_steps")

    def __init__(
        self,
        initial_learning_rate: float,
        cycle_steps: int | float,
        min_learning_rate: float = 0.0,
        cycle_mul: float = 1.0,
        cycle_decay: float = 1.0,
        cycle_limit: int | None = 1,
        k_decay: float = 1.0,
        warmup_steps: int | float = 0,
        warmup_learning_rate: float = 0.0,
        warmup_prefix: bool = False,
        name: str = "CosineCycles",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.min_learning_rate = v.number("min_learning_rate", min_learning_rate)
        self._init_cycles(cycle_steps, cycle_mul, cycle_decay, cycle_limit)
        self.k_decay = v.positive("k_decay", k_decay)
        self._init_warmup(warmup_steps, warmup_learning_rate, warmup_prefix)
        self.name = v.schedule_name(name, "CosineCycles")
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        return self._cycle_boundaries(last_step)

    def _horizon(self) -> int | float | None:
        return self._cycle_horizon()

    def _shape(self, xp: Ops, elapsed: Any, length: Any) -> Any:
        if self.k_decay == 1:
            return cosine_remaining(xp, xp.divide(length - elapsed, length))
        k = float(self.k_decay)
        x = xp.pow(xp.divide(elapsed, length), k)
        return cosine_remaining(xp, 1.0 - x)
