"""timm's conventions: its warmup options, and cycles that grow, decay and stop."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.schedules._common import split
from lrkit.schedules._pieces import integer, with_warmup
from lrkit.schedules.cosine_restarts import HORIZON, MAX_PERIODS

WARMUP_ATTRS = (
    ("warmup_steps", "warmup_steps"),
    ("warmup_learning_rate", "warmup_learning_rate"),
    ("warmup_prefix", "warmup_prefix"),
)


class TimmWarmup(LearningRateSchedule):
    """timm's warmup: a line from ``warmup_learning_rate`` at step 0 to ``_target``
    (the initial rate), reached at ``warmup_steps``. With ``warmup_prefix`` the
    schedule then starts from its own step 0; otherwise it runs on the global step."""

    initial_learning_rate: float

    def _init_warmup(self, warmup_steps: Any, warmup_learning_rate: Any, prefix: Any) -> None:
        self.warmup_steps = v.nonnegative("warmup_steps", warmup_steps)
        self.warmup_learning_rate = v.number("warmup_learning_rate", warmup_learning_rate)
        self.warmup_prefix = v.boolean("warmup_prefix", prefix)
        self._w = v.as_exact(self.warmup_steps)
        self._target = float(self.initial_learning_rate)

    def _after(self, xp: Ops, step: Any) -> Any:
        raise NotImplementedError

    def _compute(self, xp: Ops, step: Any) -> Any:
        w = self._w
        local = xp.since(step, w) if self.warmup_prefix and w else step
        after = self._after(xp, local)
        return with_warmup(xp, step, w, float(self.warmup_learning_rate), self._target, after)


class Cycles(TimmWarmup):
    """timm's cycles (``CosineLRScheduler``, ``TanhLRScheduler``).

    Cycle :math:`i` lasts :math:`T_i = T_0 m^i` steps, starts at
    :math:`B_i = T_0 (m^i - 1)/(m - 1)` (:math:`B_i = i T_0` for :math:`m = 1`) and
    peaks at :math:`\\eta_0 \\gamma^i`; after ``cycle_limit`` cycles (or, for
    :math:`m < 1`, once the shrinking cycles have converged) the rate is the minimum.
    The cycle is found by exact integer division (:math:`m = 1`) or a binary search of
    the starts (exact integers when :math:`T_0` and :math:`m` are whole numbers,
    float64 values of the closed form otherwise), never by a logarithm.
    """

    min_learning_rate: float

    def _init_cycles(
        self, cycle_steps: Any, cycle_mul: Any, cycle_decay: Any, cycle_limit: Any
    ) -> None:
        self.cycle_steps = v.positive("cycle_steps", cycle_steps)
        self.cycle_mul = v.positive("cycle_mul", cycle_mul)
        self.cycle_decay = v.nonnegative("cycle_decay", cycle_decay)
        self.cycle_limit = None if cycle_limit is None else integer("cycle_limit", cycle_limit, 0)
        first = v.as_exact(self.cycle_steps)
        self._first = first
        limit = self.cycle_limit
        if self.cycle_mul == 1:
            self._starts: tuple[Any, ...] = ()
            return
        m = self.cycle_mul
        self._exact = isinstance(first, int) and float(m).is_integer()
        mm: Any = int(m) if self._exact else float(m)
        starts: list[Any] = [0]
        while (limit is None or len(starts) <= limit) and starts[-1] < HORIZON:
            i = len(starts)
            if self._exact:
                nxt = first * (mm**i - 1) // (mm - 1)
            else:
                nxt = first * (mm**i - 1.0) / (mm - 1.0)
            if not nxt > starts[-1]:  # converged (cycle_mul < 1): the cycles have ended
                break
            starts.append(nxt)
            if len(starts) > MAX_PERIODS:
                raise ValueError(
                    "Argument `cycle_mul` is so close to 1 that more than "
                    f"{MAX_PERIODS} cycles start before step 2**64; set `cycle_limit` or use "
                    f"cycle_mul=1.0. Received: cycle_mul={cycle_mul!r}."
                )
        n = len(starts) - 1  # cycles in the table; step >= starts[n] is past them
        if limit is None and m > 1:
            n = len(starts)  # the table ends beyond 2**64: no step is past it
        self._starts = tuple(starts)
        self._n = n
        # one entry per cycle, and one for the steps past the last
        self._lengths = (*(first * mm**i for i in range(len(starts))), 1)
        self._peaks = (*(float(self.cycle_decay) ** i for i in range(len(starts))), 0.0)

    def _shape(self, xp: Ops, elapsed: Any, length: Any) -> Any:
        """The cycle's shape, from 1 at its start towards 0 at its end."""
        raise NotImplementedError

    def _after(self, xp: Ops, step: Any) -> Any:
        lo, base = float(self.min_learning_rate), float(self.initial_learning_rate)
        if self.cycle_mul == 1:
            i, elapsed = split(xp, step, self._first)
            length: Any = self._first
            peak = base * xp.pow(float(self.cycle_decay), xp.astype(i, xp.float_dtype))
            done = None if self.cycle_limit is None else i >= self.cycle_limit
        else:
            idx = xp.searchsorted(xp.table(self._starts, step, rounding=1), step, side="right") - 1
            done = idx >= self._n
            if self._exact:
                elapsed = step - xp.take(xp.table(self._starts, step), idx)
            else:
                elapsed = xp.astype(step, xp.float_dtype) - xp.take(xp.table(self._starts), idx)
            # lengths as floats: a cycle may be longer than the step's integer dtype holds
            length = xp.take(xp.table(self._lengths), idx)
            elapsed = xp.minimum(xp.astype(elapsed, xp.float_dtype), length)
            peak = base * xp.take(xp.table(self._peaks), idx)
        out = lo + (peak - lo) * self._shape(xp, elapsed, length)
        return out if done is None else xp.where(done, lo, out)
