"""Where a schedule changes phase, and how far it is worth looking at.

Two questions, used by ``lrkit plot`` and :mod:`lrkit.plotting` (and so by nothing
on the path of a training step):

* :func:`boundaries` ``(schedule, last_step)``: the steps in ``(0, last_step]`` where
  a phase ends or starts (a warmup's end, a restart, a piecewise boundary, a join),
  as sorted ``(step, label)`` pairs. A plot marks them, and samples the curve on
  both sides of each so that a jump is drawn sharp.
* :func:`horizon` ``(schedule)``: the step where the schedule's shape has played out
  (the end of its last phase, a few restarts), or ``None`` when it has no natural
  end. It is the default length of a plot.

Each schedule class answers both itself, with its methods ``_boundaries(self,
last_step)`` and ``_horizon(self)`` (the protocol of
:class:`~lrkit.LearningRateSchedule`); a composition shifts and merges its
children's. A class of your own answers by defining them; a Keras-style class that
defines neither gets a guess from its config's usual keys (``warmup_steps``,
``decay_steps``, ``boundaries``, ...), and any other callable has no boundaries and
no horizon.

The labels: ``"warmup start"``, ``"warmup end"``, ``"decay start"``, ``"decay end"``,
``"restart"``, ``"end of restarts"``, ``"step"``, ``"milestone"``, ``"peak"``,
``"cycle"``, ``"phase end"``, ``"boundary"`` (piecewise boundaries and knots),
``"join"``, ``"offset"``.

>>> import lrkit
>>> s = lrkit.CosineDecay(0.0, 1000, warmup_target=0.1, warmup_steps=100)
>>> boundaries(s, 2000)
[(100, 'warmup end'), (1100, 'decay end')]
>>> horizon(s)
1100
>>> boundaries(lrkit.Warmup(lrkit.CosineDecayRestarts(0.1, 100), 50), 400)
[(50, 'warmup end'), (150, 'restart'), (350, 'restart')]
>>> boundaries(lrkit.WarmupStableDecay(0.1, 1000, 100, decay_fraction=0.2), 1000)
[(100, 'warmup end'), (800, 'decay start'), (1000, 'decay end')]
"""

from __future__ import annotations

from typing import Any

from lrkit.core.phases import MAX_BOUNDARIES, Boundary, boundaries_of, horizon_of

__all__ = ["MAX_BOUNDARIES", "Boundary", "boundaries", "horizon"]


def boundaries(schedule: Any, last_step: int | float) -> list[Boundary]:
    """The phase boundaries of ``schedule`` in ``(0, last_step]``: ``[(step, label), ...]``.

    Sorted by step, one label a step, at most :data:`MAX_BOUNDARIES` (the first ones).

    Args:
        schedule: an lrkit schedule, or any callable of the step.
        last_step: number >= 0 (``math.inf`` for all, up to :data:`MAX_BOUNDARIES`).

    >>> import lrkit
    >>> boundaries(lrkit.Step(0.1, 30), 100)
    [(30, 'step'), (60, 'step'), (90, 'step')]
    """
    return boundaries_of(schedule, last_step)


def horizon(schedule: Any) -> int | float | None:
    """The step where ``schedule``'s shape has played out, or ``None``.

    Args:
        schedule: an lrkit schedule, or any callable of the step.

    >>> import lrkit
    >>> horizon(lrkit.Cosine(0.1, 9000, cycles=3)), horizon(lrkit.Constant(0.1)) is None
    (9000, True)
    """
    return horizon_of(schedule)
