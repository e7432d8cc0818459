"""`CosineDecayRestarts` (SGDR), with exact restart boundaries."""

from __future__ import annotations

import itertools
import math
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import cosine_remaining

#: restart tables end past this step; steps beyond it are outside the domain
HORIZON = 2**64
#: a ``t_mul`` so close to 1 that more periods than this start before ``HORIZON``
#: is refused (use ``t_mul=1.0``)
MAX_PERIODS = 1 << 16


def restart_table(first: int | float, t_mul: float) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """``(starts, lengths)`` of the periods, up to :data:`HORIZON`.

    Period ``i`` starts at :math:`B_i = T_0 (m^i - 1) / (m - 1)`. When ``first`` and
    ``t_mul`` are integers these are exact integers; otherwise they are the float64
    values of that closed form. For ``t_mul < 1`` the starts converge to
    :math:`T_0 / (1 - m)`; the table then ends with that limit, as a last period of
    length 1 (the schedule has ended there).
    """
    exact = isinstance(first, int) and float(t_mul).is_integer()
    t: int | float = int(t_mul) if exact else float(t_mul)
    limit = first * -1.0 / (t - 1.0) if t < 1 else math.inf
    starts: list[Any] = [0]
    i = 0
    while starts[-1] < HORIZON:
        i += 1
        if exact:
            nxt = first * (t**i - 1) // (t - 1)
        else:
            tail = _power(t, i)
            if tail == math.inf:  # t**i overflows before the starts reach 2**64
                raise ValueError(
                    "Arguments `first_decay_steps` and `t_mul` make restart periods or starts "
                    "beyond float64's range before step 2**64. Received: "
                    f"first_decay_steps={first!r}, t_mul={t_mul!r}."
                )
            nxt = first * (tail - 1.0) / (t - 1.0)
            if nxt >= limit:
                break  # converged: 1 - t**i rounds to 1
        if nxt > starts[-1]:
            starts.append(nxt)
        if len(starts) > MAX_PERIODS or i > 4 * MAX_PERIODS:
            raise ValueError(
                "Argument `t_mul` is so close to 1 that more than "
                f"{MAX_PERIODS} restarts happen before step 2**64; use t_mul=1.0. "
                f"Received: t_mul={t_mul!r}."
            )
    if t < 1:
        starts.append(limit)
    lengths = [b - a for a, b in itertools.pairwise(starts)]
    if t < 1:
        lengths.append(1)  # after the limit: one constant last "period"
    else:
        lengths.append(first * t ** (len(starts) - 1))
    if any(not _fits(x) for x in (*starts[:-1], *lengths[:-1])) or not _fits(lengths[-1]):
        raise ValueError(
            "Arguments `first_decay_steps` and `t_mul` make restart periods or starts "
            "beyond float64's range before step 2**64. Received: "
            f"first_decay_steps={first!r}, t_mul={t_mul!r}."
        )
    return tuple(starts), tuple(lengths)


def _fits(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except OverflowError:
        return False


def _power(m: float, i: int) -> float:
    """``m ** i``, or inf past float64's range (a growing ``m_mul``)."""
    try:
        return math.pow(m, i)
    except OverflowError:
        return math.inf


@builtin()
class CosineDecayRestarts(LearningRateSchedule):
    r"""Cosine decay with warm restarts (SGDR), as Keras's ``CosineDecayRestarts``.

    Period :math:`i` lasts :math:`T_i = T_0\,m_t^{\,i}` steps and starts at
    :math:`B_i = \sum_{j<i} T_j`; within it, with :math:`e = t - B_i`,

    .. math::

        \eta(t) = \eta_0 \left((1-\alpha)\, m_m^{\,i}\,
                   \frac{1 + \cos(\pi e / T_i)}{2} + \alpha\right)

    so every restart step :math:`B_i` gets the full peak
    :math:`\eta_0 ((1-\alpha)\, m_m^{\,i} + \alpha)` (:math:`\eta_0 m_m^i` for :math:`\alpha = 0`).

    The period index is found by searching a table of the starts, never by a
    logarithm. When ``first_decay_steps`` and ``t_mul`` are whole numbers, the
    starts are exact integers and the index is exact for every integer step.
    Otherwise the starts are the float64 values of
    :math:`B_i = T_0 (m_t^i - 1)/(m_t - 1)`, and a step belongs to period
    :math:`i` when :math:`B_i \le t < B_{i+1}` exactly. With ``t_mul < 1`` the
    periods shrink and their starts converge to :math:`T_0 / (1 - m_t)`; from there
    on the rate is :math:`\alpha\,\eta_0` (Keras gives NaN). Steps beyond
    :math:`2^{64}` are outside the domain.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        first_decay_steps: number > 0 (:math:`T_0`).
        t_mul: number > 0 (:math:`m_t`). Each period is ``t_mul`` times longer.
        m_mul: number >= 0 (:math:`m_m`). Each restart's peak is ``m_mul`` times lower.
        alpha: float, finite. The minimum rate as a fraction of ``initial_learning_rate``.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> s = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    >>> s(0), round(s(5), 12), s(10), round(s(20), 12), s(30)
    (1.0, 0.5, 0.5, 0.25, 0.25)
    >>> s(29), s(30)  # the last step of period 1, then the restart's peak
    (0.0030779148512155683, 0.25)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("first_decay_steps", "first_decay_steps"),
        ("t_mul", "_t_mul"),
        ("m_mul", "_m_mul"),
        ("alpha", "alpha"),
        ("name", "name"),
    )

    _length_args = ("first_decay_steps",)

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int | float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = v.positive("first_decay_steps", first_decay_steps)
        self._t_mul = v.positive("t_mul", t_mul)
        self._m_mul = v.nonnegative("m_mul", m_mul)
        self.alpha = v.number("alpha", alpha)
        self.name = v.schedule_name(name, "SGDRDecay")
        self._first = v.as_exact(self.first_decay_steps)
        self._exact = isinstance(self._first, int) and float(self._t_mul).is_integer()
        if self._t_mul == 1:
            self._starts: tuple[Any, ...] = ()
            self._lengths: tuple[Any, ...] = ()
            self._peaks: tuple[float, ...] = ()
        else:
            self._starts, self._lengths = restart_table(self._first, self._t_mul)
            self._peaks = tuple(_power(self._m_mul, i) for i in range(len(self._starts)))
            if self._t_mul < 1:
                self._peaks = (*self._peaks[:-1], 0.0)  # after the limit only alpha remains
        # eta_0 (1 - alpha): when it is 0 the restarts' peaks do not matter
        self._swing = self.initial_learning_rate * (1.0 - self.alpha)
        self._floor = self.initial_learning_rate * self.alpha
        self._one_minus_alpha = oma = 1.0 - self.alpha
        # the restarts B_1, B_2, ... (B_0 = 0), and each period's swing (1 - alpha) m^i;
        # one number when every period swings alike (m_mul 1: no table to look up)
        self._restarts = self._starts[1:]
        self._amplitudes = tuple(oma * p for p in self._peaks)
        amplitudes = self._amplitudes
        same = amplitudes[1:] == amplitudes[:-1] if amplitudes else self._m_mul == 1
        self._amplitude: float | None = oma if same else None  # (then every m^i is 1)
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        from lrkit.core.phases import every, upto

        if self._t_mul == 1:
            return every(self._first, last_step, "restart")
        # the exact restart table the formula searches; for t_mul < 1 it ends with
        # the limit the starts converge to, where the restarts end
        out = upto(self._starts, last_step, "restart", start=1)
        if self._t_mul < 1 and out and out[-1][0] == self._starts[-1]:
            out[-1] = (out[-1][0], "end of restarts")
        return out

    def _horizon(self) -> int | float | None:
        from lrkit.core.phases import exact

        if self._t_mul == 1:  # four periods, to the last step of the fourth
            return 4 * self._first - 1
        starts = self._starts
        if self._t_mul < 1:  # the restarts converge: all of them, and a little after
            return exact(math.ceil(starts[-1] * 1.1))
        return exact(starts[min(3, len(starts) - 1)] - 1)  # three periods, to the last step

    def _compute(self, xp: Ops, step: Any) -> Any:
        if self._swing == 0:
            return self._floor
        swing = self._swing_at(xp, step)
        return self.initial_learning_rate * (swing + self.alpha if self.alpha else swing)

    def _swing_at(self, xp: Ops, step: Any) -> Any:
        r""":math:`(1-\alpha)\, m_m^{\,i} (1 + \cos(\pi e / T_i)) / 2`, the cosine taken
        from the fraction of period :math:`i` left, :math:`(T_i - e) / T_i`."""
        if self._t_mul == 1:  # i = t // T_0, e = t mod T_0
            first = self._first
            cosine = cosine_remaining(xp, xp.divide(first - xp.remainder(step, first), first))
            if self._amplitude is not None:
                return cosine if self._amplitude == 1 else cosine * self._amplitude
            i = xp.floor_divide(step, first)
            return cosine * xp.pow_ratio(float(self._m_mul), i, times=self._one_minus_alpha)
        # i: the restarts B_1, B_2, ... at or before t (B_i <= t < B_{i+1})
        i = xp.searchsorted(xp.table(self._restarts, step, rounding=1), step, side="right")
        lengths = xp.table(self._lengths)
        cosine = cosine_remaining(xp, self._left(xp, step, i, lengths) / xp.take(lengths, i))
        if self._amplitude is not None:
            return cosine if self._amplitude == 1 else cosine * self._amplitude
        return cosine * xp.take(xp.table(self._amplitudes), i)

    def _left(self, xp: Ops, step: Any, i: Any, lengths: Any) -> Any:
        """:math:`T_i - e`, the steps left in period ``i``, with :math:`e = t - B_i`."""
        if self._exact:
            elapsed = xp.astype(step - xp.take(xp.table(self._starts, step), i), xp.float_dtype)
        else:
            elapsed = xp.astype(step, xp.float_dtype) - xp.take(xp.table(self._starts), i)
        return xp.take(lengths, i) - elapsed
