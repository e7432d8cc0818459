"""Model Garden's ``StepCosineDecayWithOffset``: cosine decays from level to level."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.model_garden.power import _shifted
from lrkit.schedules._common import cosine_remaining


@builtin(module="lrkit")
class StepCosineDecayWithOffset(LearningRateSchedule):
    r"""Model Garden's ``StepCosineDecayWithOffset``: one cosine decay per level.

    Level :math:`i` starts at boundary :math:`b_i` and decays from :math:`v_i` to
    the next level's :math:`v_{i+1}` by the next boundary; after the last boundary
    the rate holds the last value. With :math:`u = \max(t - o, 0)`:

    .. math::

        \eta(t) = \begin{cases}
            v_0 & u < b_0 \\
            v_{i+1} + (v_i - v_{i+1})\,\dfrac{1 + \cos\left(\pi\,
                \frac{u - b_i}{b_{i+1} - b_i}\right)}{2} & b_i \le u < b_{i+1} \\
            v_{n-1} & u \ge b_{n-1}
        \end{cases}

    With ``boundaries[0] == 0`` (as Model Garden's example and tests) this is Model
    Garden's schedule before the last boundary. From the last boundary on, Model
    Garden divides by a zero-length last level and gives NaN; lrkit holds
    :math:`v_{n-1}`, the value the last decay reached. Model Garden's first level
    ignores ``boundaries[0]`` (it runs from :math:`u = 0` over
    :math:`b_1 - b_0` steps, then rises again until :math:`b_1`); lrkit's starts at
    :math:`b_0`. The position in a level is exact for integer steps and boundaries.

    Args:
        boundaries: strictly increasing finite numbers :math:`b_i`, at least one:
            where each level starts.
        values: finite numbers :math:`v_i`, one per boundary: each level's first rate.
        offset: number (:math:`o`). Default 0.
        name: str.

    >>> s = StepCosineDecayWithOffset([0, 100, 300], [1.0, 0.5, 0.1])
    >>> s(0), s(50), s(100), round(s(200), 12), s(300), s(10**6)
    (1.0, 0.75, 0.5, 0.3, 0.1, 0.1)
    """

    _config_attrs = (
        ("boundaries", "boundaries"),
        ("values", "values"),
        ("offset", "offset"),
        ("name", "name"),
    )

    def __init__(
        self,
        boundaries: Sequence[int | float],
        values: Sequence[float],
        offset: int | float = 0,
        name: str = "StepCosineDecayWithOffset",
    ) -> None:
        raw = v.number_list("boundaries", boundaries)
        b = tuple(v.as_exact(x) for x in raw)
        vals = v.number_list("values", values)
        if not b:
            raise ValueError(
                "Argument `boundaries` must hold at least one boundary. Received: boundaries=[]."
            )
        if len(b) != len(vals):
            raise ValueError(
                "Arguments `boundaries` and `values` must have the same length (one value "
                f"per level). Received: boundaries={v.shown(list(b))} of length {len(b)}, and "
                f"values={v.shown(list(vals))} of length {len(vals)}."
            )
        v.increasing("boundaries", b)
        self.boundaries = raw
        self.values = vals
        self.offset = v.number("offset", offset)
        self.name = v.schedule_name(name, "StepCosineDecayWithOffset")
        self._offset = v.as_exact(self.offset)
        self._exact = all(isinstance(x, int) for x in b)
        # indexed by the number of boundaries <= u: 0 (before b0), a level, or n (after)
        f = [float(x) for x in vals]
        n = len(b)
        self._bounds = b
        self._starts = (b[0], *b)
        self._lengths = (1, *(b[i + 1] - b[i] for i in range(n - 1)), 1)
        self._hi = (f[0], *f[: n - 1], f[-1])
        self._lo = (f[0], *f[1:], f[-1])
        self._freeze()

    def _compute(self, xp: Ops, step: Any) -> Any:
        u = _shifted(xp, step, self._offset)
        i = xp.searchsorted(xp.table(self._bounds, u, rounding=1), u, side="right")
        if self._exact:
            elapsed = xp.astype(u - xp.take(xp.table(self._starts, u), i), xp.float_dtype)
        else:
            elapsed = xp.astype(u, xp.float_dtype) - xp.take(xp.table(self._starts), i)
        length = xp.take(xp.table(self._lengths), i)
        hi = xp.take(xp.table(self._hi), i)
        lo = xp.take(xp.table(self._lo), i)
        return lo + (hi - lo) * cosine_remaining(xp, (length - elapsed) / length)
