"""`OneCycle`: the 1cycle policy (torch ``OneCycleLR``, optax's onecycle schedules)."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._pieces import Knots, choice, fraction_of, integer, scaled, unit_interval

ANNEALING = ("cos", "linear")
CONVENTIONS = ("torch", "optax")


@builtin(module="lrkit")
class OneCycle(LearningRateSchedule):
    r"""The 1cycle policy: up to a peak, then down far below the start.

    With :math:`\eta_{max}` = ``max_learning_rate``, :math:`\eta_i = \eta_{max} / d`
    (``div_factor``) and :math:`\eta_{min} = \eta_i / d_f` (``final_div_factor``), the
    rate anneals through the points

    .. math::

        (0, \eta_i) \to (P, \eta_{max}) \to (E, \eta_{min})
        \qquad\text{or, with } \texttt{three\_phase}, \qquad
        (0, \eta_i) \to (P, \eta_{max}) \to (P_2, \eta_i) \to (E, \eta_{min})

    and holds :math:`\eta_{min}` from :math:`E` on. Between two points
    :math:`(x_a, y_a), (x_b, y_b)` it is
    :math:`y_b + (y_a - y_b)(1 + \cos \pi u)/2` (``anneal_strategy="cos"``) or
    :math:`y_a + (y_b - y_a) u` (``"linear"``), :math:`u = (t - x_a)/(x_b - x_a)`.
    The points are placed as the anchor places them, for :math:`T` = ``total_steps``:

    * ``convention="torch"`` (``torch.optim.lr_scheduler.OneCycleLR``, which this
      matches with the same arguments): :math:`P = p_s T - 1`, :math:`E = T - 1`, the
      last of the :math:`T` steps, and :math:`P_2 = 2P` (or :math:`p_f T - 1`).
      :math:`P` need not be a whole step; when :math:`P \le 0` the first phase is cut
      and step 0 lies on the way down.
    * ``convention="optax"``: :math:`P = \lfloor p_s T \rfloor`, :math:`E = T`, and
      :math:`P_2 = \lfloor p_f T \rfloor` (or :math:`2P`): optax's
      ``cosine_onecycle_schedule(T, peak, pct_start, div_factor, final_div_factor)`` is
      ``OneCycle(peak, T, pct_start, div_factor=..., final_div_factor=...,
      convention="optax")``, and ``linear_onecycle_schedule(T, peak, pct_start,
      pct_final, ...)`` adds ``anneal_strategy="linear", three_phase=True,
      pct_final=pct_final``.

    The fractions :math:`p_s T` and :math:`p_f T` are taken exactly (``0.29 * 100`` is
    29, not float arithmetic's 28.999999999999996). Beyond :math:`E` the rate holds
    :math:`\eta_{min}` (torch refuses to step past ``total_steps``).
    Reference: Smith & Topin, https://arxiv.org/abs/1708.07120.

    Args:
        max_learning_rate: float, finite (:math:`\eta_{max}`).
        total_steps: whole number >= 1 (:math:`T`).
        pct_start: number in [0, 1] (:math:`p_s`): the share of the cycle spent rising.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        div_factor: number > 0 (:math:`d`).
        final_div_factor: number > 0 (:math:`d_f`).
        three_phase: bool. Come back down to :math:`\eta_i` at :math:`P_2` before the
            final annealing.
        pct_final: number in [0, 1] or None (:math:`p_f`): where the second phase ends,
            with ``three_phase``; None means :math:`P_2 = 2P`.
        convention: ``"torch"`` or ``"optax"``.
        name: str.

    >>> s = OneCycle(1.0, total_steps=11, pct_start=0.5, div_factor=4.0,
    ...              final_div_factor=25.0, anneal_strategy="linear")
    >>> s(0), s(3), s(4.5), s(10), s(20)
    (0.25, 0.75, 1.0, 0.01, 0.01)
    """

    _config_attrs = (
        ("max_learning_rate", "max_learning_rate"),
        ("total_steps", "total_steps"),
        ("pct_start", "pct_start"),
        ("anneal_strategy", "anneal_strategy"),
        ("div_factor", "div_factor"),
        ("final_div_factor", "final_div_factor"),
        ("three_phase", "three_phase"),
        ("pct_final", "pct_final"),
        ("convention", "convention"),
        ("name", "name"),
    )

    def __init__(
        self,
        max_learning_rate: float,
        total_steps: int,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        pct_final: float | None = None,
        convention: str = "torch",
        name: str = "OneCycle",
    ) -> None:
        self.max_learning_rate = v.number("max_learning_rate", max_learning_rate)
        self.total_steps = v.number("total_steps", total_steps)
        total = integer("total_steps", total_steps, 1)
        self.pct_start = unit_interval("pct_start", pct_start)
        self.anneal_strategy = choice("anneal_strategy", anneal_strategy, ANNEALING)
        self.div_factor = v.positive("div_factor", div_factor)
        self.final_div_factor = v.positive("final_div_factor", final_div_factor)
        self.three_phase = v.boolean("three_phase", three_phase)
        self.pct_final = v.optional_number("pct_final", pct_final)
        if self.pct_final is not None:
            unit_interval("pct_final", pct_final)
        self.convention = choice("convention", convention, CONVENTIONS)
        self.name = v.schedule_name(name, "OneCycle")

        def point(fraction: float) -> Any:
            if self.convention == "torch":
                return scaled(fraction, total) - 1
            return fraction_of(fraction, total, rounding=-1)

        end = total - 1 if self.convention == "torch" else total
        peak = point(self.pct_start)
        initial = self.max_learning_rate / self.div_factor
        minimum = initial / self.final_div_factor
        xs: list[Any] = [0] if peak > 0 else []
        ys: list[float] = [initial] if peak > 0 else []
        xs.append(peak)
        ys.append(self.max_learning_rate)
        if not peak < end:
            raise ValueError(
                "Argument `pct_start` leaves no steps to anneal: the peak would be at step "
                f"{peak}, the end at step {end}. Received: pct_start={pct_start!r}."
            )
        if self.three_phase:
            second = 2 * peak if self.pct_final is None else point(self.pct_final)
            if not peak < second < end:
                raise ValueError(
                    "With `three_phase`, the second phase must end after the peak and before "
                    f"the end: peak at step {peak}, second phase end at {second}, end at "
                    f"{end}. Received: pct_start={pct_start!r}, pct_final={pct_final!r}, "
                    f"total_steps={total_steps!r}."
                )
            xs.append(second)
            ys.append(initial)
        xs.append(end)
        ys.append(minimum)
        self._points = tuple(zip(xs, ys, strict=True))
        self._knots = Knots(xs, ys, cosine=self.anneal_strategy == "cos")
        self._freeze()

    @property
    def points(self) -> tuple[tuple[int | float, float], ...]:
        """The ``(step, rate)`` points the rate anneals through.

        >>> OneCycle(1.0, total_steps=100, div_factor=10.0, final_div_factor=10.0).points
        ((0, 0.1), (29, 1.0), (99, 0.01))
        """
        return self._points

    def _compute(self, xp: Ops, step: Any) -> Any:
        return self._knots(xp, step)
