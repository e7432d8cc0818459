"""Model Garden's ``*WithOffset`` schedules: a Keras schedule that starts at ``offset``.

Each class holds the lrkit Keras schedule built from the same arguments and
evaluates it at the shifted step; the formula is never copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule, evaluate
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules import CosineDecay, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay


class WithOffset(LearningRateSchedule):
    r"""Base of the ``*WithOffset`` schedules: :math:`\eta(t) = s(\max(t - o, 0))`.

    ``s`` is the Keras schedule (:attr:`base_lr_class`) built from the other
    arguments. Before the offset the rate holds the schedule's value at the offset,
    :math:`s(0)`. A negative offset starts the schedule part-way through.

    The config is the Keras schedule's config plus ``offset``.

    >>> s = PiecewiseConstantDecayWithOffset(-10, boundaries=[5], values=[1.0, 0.5])
    >>> s.base_lr_class.__name__, s(0), s(5)
    ('PiecewiseConstantDecay', 0.5, 0.5)
    """

    #: the lrkit Keras schedule this class shifts (Model Garden's attribute name)
    base_lr_class: ClassVar[type[LearningRateSchedule]]

    def _setup(self, offset: Any, **kwargs: Any) -> None:
        schedule = self.base_lr_class(**kwargs)
        for _, attr in schedule._config_attrs:
            setattr(self, attr, getattr(schedule, attr))
        self.offset = v.number("offset", offset)
        self._schedule = schedule
        self._offset = v.as_exact(self.offset)
        self._freeze()

    def _compute(self, xp: Ops, step: Any) -> Any:
        off = self._offset
        if off == 0:
            shifted = step
        elif off < 0:
            shifted = step - off
        else:
            shifted = xp.since(step, off)
        return evaluate(self._schedule, xp, shifted)


def _attrs(cls: type[LearningRateSchedule]) -> tuple[tuple[str, str], ...]:
    return (*cls._config_attrs, ("offset", "offset"))


@builtin(module="lrkit")
class ExponentialDecayWithOffset(WithOffset):
    r"""Model Garden's ``ExponentialDecayWithOffset``: ``ExponentialDecay`` from ``offset``.

    .. math::

        \eta(t) = \eta_0 \, r^{\,p(\max(t - o,\, 0))}, \qquad
        p(u) = \begin{cases} \lfloor u / T \rfloor & \text{staircase} \\ u / T & \text{otherwise}
        \end{cases}

    As :class:`lrkit.ExponentialDecay` (exact integer floors), shifted by
    :math:`o` = ``offset``. Before the offset the rate is :math:`\eta_0`; Model
    Garden evaluates the decay at the negative step :math:`t - o` there, e.g.
    :math:`32\,\eta_0` five decay periods before the offset with ``decay_rate=0.5``.

    Args:
        offset: number (:math:`o`), the step at which the decay starts. Default 0.
            The only positional argument, as in Model Garden; the rest are keywords.
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        decay_rate: number >= 0 (:math:`r`).
        staircase: bool; ``None`` (Model Garden's config default) means ``False``.
        name: str.

    >>> s = ExponentialDecayWithOffset(500, initial_learning_rate=1.0, decay_steps=100,
    ...                                decay_rate=0.5)
    >>> s(0), s(499), s(500), s(600), s(700)
    (1.0, 1.0, 1.0, 0.5, 0.25)
    >>> s.get_config()["offset"]
    500
    """

    base_lr_class = ExponentialDecay
    _config_attrs = _attrs(ExponentialDecay)

    def __init__(
        self,
        offset: int | float = 0,
        *,
        initial_learning_rate: float,
        decay_steps: int | float,
        decay_rate: float,
        staircase: bool | None = False,
        name: str = "ExponentialDecay",
    ) -> None:
        self._setup(
            offset,
            initial_learning_rate=initial_learning_rate,
            decay_steps=decay_steps,
            decay_rate=decay_rate,
            staircase=False if staircase is None else staircase,
            name=name,
        )


@builtin(module="lrkit")
class PiecewiseConstantDecayWithOffset(WithOffset):
    r"""Model Garden's ``PiecewiseConstantDecayWithOffset``.

    .. math::

        \eta(t) = v_i \quad\text{for}\quad b_{i-1} < \max(t - o, 0) \le b_i,
        \qquad b_{-1} = -\infty,\ b_n = +\infty

    As :class:`lrkit.PiecewiseConstantDecay` (a boundary step keeps the value
    before it), shifted by :math:`o` = ``offset``.

    Args:
        offset: number (:math:`o`). Default 0. The only positional argument.
        boundaries: strictly increasing finite numbers.
        values: finite numbers, one more than ``boundaries``.
        name: str.

    >>> s = PiecewiseConstantDecayWithOffset(100, boundaries=[10, 20], values=[1.0, 0.5, 0.1])
    >>> s(0), s(110), s(111), s(120), s(121)
    (1.0, 1.0, 0.5, 0.5, 0.1)
    """

    base_lr_class = PiecewiseConstantDecay
    _config_attrs = _attrs(PiecewiseConstantDecay)

    def __init__(
        self,
        offset: int | float = 0,
        *,
        boundaries: Sequence[int | float],
        values: Sequence[float],
        name: str = "PiecewiseConstant",
    ) -> None:
        self._setup(offset, boundaries=boundaries, values=values, name=name)


@builtin(module="lrkit")
class PolynomialDecayWithOffset(WithOffset):
    r"""Model Garden's ``PolynomialDecayWithOffset``: ``PolynomialDecay`` from ``offset``.

    .. math::

        \eta(t) = (\eta_0 - \eta_{end}) \left(\frac{D - u'}{D}\right)^{k} + \eta_{end},
        \qquad u = \max(t - o, 0)

    with :math:`u' = \min(u, T)`, :math:`D = T` (or, with ``cycle``, :math:`u' = u`,
    :math:`D = T \max(1, \lceil u/T \rceil)`), as :class:`lrkit.PolynomialDecay`.
    Before the offset the rate is :math:`\eta_0`; Model Garden's negative step gives
    rates above :math:`\eta_0` there, and ``-inf`` or negative rates with ``cycle``.

    Args:
        offset: number (:math:`o`). Default 0. The only positional argument.
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        end_learning_rate: float, finite (:math:`\eta_{end}`). Default 0.0001.
        power: number >= 0 (:math:`k`). Default 1.0.
        cycle: bool.
        name: str.

    >>> s = PolynomialDecayWithOffset(10, initial_learning_rate=1.0, decay_steps=100,
    ...                               end_learning_rate=0.0)
    >>> s(0), s(10), s(60), s(110), s(1000)
    (1.0, 1.0, 0.5, 0.0, 0.0)
    """

    base_lr_class = PolynomialDecay
    _config_attrs = _attrs(PolynomialDecay)

    def __init__(
        self,
        offset: int | float = 0,
        *,
        initial_learning_rate: float,
        decay_steps: int | float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self._setup(
            offset,
            initial_learning_rate=initial_learning_rate,
            decay_steps=decay_steps,
            end_learning_rate=end_learning_rate,
            power=power,
            cycle=cycle,
            name=name,
        )


@builtin(module="lrkit")
class CosineDecayWithOffset(WithOffset):
    r"""Model Garden's ``CosineDecayWithOffset``: ``CosineDecay`` from ``offset``.

    .. math::

        \eta(t) = \eta_0 \left((1 - \alpha)\,\frac{1 + \cos(\pi \min(u, T) / T)}{2}
        + \alpha\right), \qquad u = \max(t - o, 0)

    (with Keras's optional linear warmup to ``warmup_target`` over the first
    ``warmup_steps`` steps after the offset), as :class:`lrkit.CosineDecay`. Before
    the offset the rate is the schedule's first value; Model Garden's negative step
    mirrors the decay there (half the rate half a decay before the offset).

    Args:
        offset: number (:math:`o`). Default 0. The only positional argument.
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        alpha: float, finite. The final rate as a fraction of the peak.
        name: str.
        warmup_target: float or None.
        warmup_steps: number >= 0.

    >>> s = CosineDecayWithOffset(100, initial_learning_rate=1.0, decay_steps=100)
    >>> s(0), s(100), round(s(150), 12), s(200), s(300)
    (1.0, 1.0, 0.5, 0.0, 0.0)
    """

    base_lr_class = CosineDecay
    _config_attrs = _attrs(CosineDecay)

    def __init__(
        self,
        offset: int | float = 0,
        *,
        initial_learning_rate: float,
        decay_steps: int | float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int | float = 0,
    ) -> None:
        self._setup(
            offset,
            initial_learning_rate=initial_learning_rate,
            decay_steps=decay_steps,
            alpha=alpha,
            name=name,
            warmup_target=warmup_target,
            warmup_steps=warmup_steps,
        )
