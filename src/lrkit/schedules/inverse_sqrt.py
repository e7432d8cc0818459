"""`InverseSqrt`: the reciprocal square-root decay (rsqrt, Noam), with warmup."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._pieces import optional, with_warmup

#: transformers' timescale when there is neither a timescale nor a warmup
DEFAULT_TIMESCALE = 10_000


@builtin(module="lrkit")
class InverseSqrt(LearningRateSchedule):
    r"""Inverse square-root decay after a linear warmup.

    .. math::

        \eta(t) = \begin{cases}
            \eta_w + (\eta_0 - \eta_w)\, t / W & t < W \\
            \eta_0 \sqrt{\dfrac{\tau}{t - W + \tau}} & t \ge W
        \end{cases}

    with :math:`\tau` = ``timescale``, by default :math:`W` (or 10000 when
    :math:`W = 0`), as transformers' ``get_inverse_sqrt_schedule`` (scheduler
    ``"inverse_sqrt"``), which this matches: ``InverseSqrt(lr, num_warmup_steps,
    timescale)``. With :math:`\tau = W` the decay is :math:`\eta_0 \sqrt{W / t}`, so
    the Transformer paper's ("Noam") rate
    :math:`d^{-1/2} \min(s^{-1/2}, s\,W^{-3/2})` at its step :math:`s` is
    ``InverseSqrt(d**-0.5 * W**-0.5, warmup_steps=W)`` at step :math:`s`.
    :math:`t - W + \tau` is an exact integer for integer arguments.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`): the rate at the end of
            the warmup.
        warmup_steps: number >= 0 (:math:`W`).
        timescale: number > 0 or None (:math:`\tau`).
        warmup_learning_rate: float, finite (:math:`\eta_w`): the rate at step 0 when
            there is a warmup.
        name: str.

    >>> s = InverseSqrt(1.0, warmup_steps=100)
    >>> s(0), s(50), s(100), s(400), s(10000)
    (0.0, 0.5, 1.0, 0.5, 0.1)
    >>> InverseSqrt(1.0, timescale=10)(30)
    0.5
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("warmup_steps", "warmup_steps"),
        ("timescale", "timescale"),
        ("warmup_learning_rate", "warmup_learning_rate"),
        ("name", "name"),
    )

    def __init__(
        self,
        initial_learning_rate: float,
        warmup_steps: int | float = 0,
        timescale: int | float | None = None,
        warmup_learning_rate: float = 0.0,
        name: str = "InverseSqrt",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.warmup_steps = v.nonnegative("warmup_steps", warmup_steps)
        self.timescale = optional(v.positive, "timescale", timescale)
        self.warmup_learning_rate = v.number("warmup_learning_rate", warmup_learning_rate)
        self.name = v.schedule_name(name, "InverseSqrt")
        self._w = v.as_exact(self.warmup_steps)
        tau = self.timescale if self.timescale is not None else (self._w or DEFAULT_TIMESCALE)
        self._tau = v.as_exact(tau)
        self._freeze()

    def _compute(self, xp: Ops, step: Any) -> Any:
        peak, w, tau = float(self.initial_learning_rate), self._w, self._tau
        # max(t, W): the branch is also evaluated (and discarded) during the warmup
        shifted = xp.maximum(step, w) - w + tau
        decay = peak * xp.sqrt(float(tau) / xp.astype(shifted, xp.float_dtype))
        return with_warmup(xp, step, w, float(self.warmup_learning_rate), peak, decay)
