"""`CosineDecay`, with Keras's linear warmup."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import cosine_remaining


@builtin()
class CosineDecay(LearningRateSchedule):
    r"""Cosine decay with optional linear warmup, as ``keras.optimizers.schedules.CosineDecay``.

    Without ``warmup_target``, the rate decays from :math:`\eta_0` over :math:`T`
    steps, then stays at :math:`\alpha\,\eta_0`:

    .. math::

        \eta(t) = \eta_0 \left((1 - \alpha)\,\frac{1 + \cos(\pi \min(t, T) / T)}{2} + \alpha\right)

    With ``warmup_target`` :math:`\eta_w`, the rate first rises linearly from
    :math:`\eta_0` to :math:`\eta_w` over :math:`W` = ``warmup_steps`` steps, then
    decays from :math:`\eta_w` over the next :math:`T` steps:

    .. math::

        \eta(t) = \begin{cases}
            \eta_0 + (\eta_w - \eta_0)\, t / W & t < W \\
            \eta_w \left((1-\alpha)\,\frac{1 + \cos(\pi \min(t - W, T) / T)}{2} + \alpha\right)
            & t \ge W
        \end{cases}

    As in Keras, ``warmup_steps`` is ignored when ``warmup_target`` is ``None``, and
    ``warmup_steps=0`` with a target decays from the target at once. The cosine is
    evaluated as :math:`\sin^2(\tfrac{\pi}{2}(T - t)/T)` from the exact number of
    remaining steps, so float32 keeps its relative precision to the last step.
    Reference: Loshchilov & Hutter, SGDR, https://arxiv.org/abs/1608.03983.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        alpha: float, finite. The final rate as a fraction of the decay's start.
        name: str. Kept for Keras compatibility; ``None`` means the default.
        warmup_target: float or None (:math:`\eta_w`).
        warmup_steps: number >= 0 (:math:`W`).

    >>> s = CosineDecay(1.0, decay_steps=100)
    >>> s(0), round(s(50), 12), s(100), s(150)
    (1.0, 0.5, 0.0, 0.0)
    >>> w = CosineDecay(0.0, 100, warmup_target=1.0, warmup_steps=10)
    >>> w(0), w(5), w(10), round(w(60), 12), w(110)
    (0.0, 0.5, 1.0, 0.5, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("decay_steps", "decay_steps"),
        ("alpha", "alpha"),
        ("name", "name"),
        ("warmup_target", "warmup_target"),
        ("warmup_steps", "warmup_steps"),
    )

    _length_args = ("decay_steps", "warmup_steps")

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int | float = 0,
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = v.positive("decay_steps", decay_steps)
        self.alpha = v.number("alpha", alpha)
        self.name = v.schedule_name(name, "CosineDecay")
        self.warmup_target = v.optional_number("warmup_target", warmup_target)
        self.warmup_steps = v.nonnegative("warmup_steps", warmup_steps)
        self._decay = v.as_exact(self.decay_steps)
        self._warmup = v.as_exact(self.warmup_steps) if self.warmup_target is not None else 0
        # constants of the formula, computed once: the decay's peak, 1 - alpha, the rise
        target = self.warmup_target
        self._peak = self.initial_learning_rate if target is None else target
        self._one_minus_alpha = 1.0 - self.alpha
        if target is not None and self._warmup:
            self._rise_by = target - self.initial_learning_rate
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        # the warmup (only with a target) ends at W, the decay T steps later
        out = [(self._warmup, "warmup end")] if self._warmup else []
        return [*out, (self._warmup + self._decay, "decay end")]

    def _horizon(self) -> int | float | None:
        return self._warmup + self._decay

    def _decayed(self, xp: Ops, step: Any, start: int | float = 0) -> Any:
        d = self._decay
        c = cosine_remaining(
            xp,
            xp.astype(xp.maximum(d - (xp.since(step, start) if start else step), 0), xp.float_dtype)
            / d,
        )
        return self._peak * (self._one_minus_alpha * c + self.alpha)

    def _rising(self, xp: Ops, step: Any) -> Any:
        w = self._warmup
        return self.initial_learning_rate + self._rise_by * (xp.divide(xp.minimum(step, w), w))

    def _decaying(self, xp: Ops, step: Any) -> Any:
        return self._decayed(xp, step, self._warmup)

    def _compute(self, xp: Ops, step: Any) -> Any:
        if not self._warmup:
            return self._decayed(xp, step)
        return xp.switch(step >= self._warmup, (self._rising, self._decaying), xp, step)
