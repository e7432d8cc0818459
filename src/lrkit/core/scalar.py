"""`SCALAR`: the operations of :class:`~lrkit.core.ops.Ops` on Python numbers.

Reals are computed in float64 (Python ``float``), integers stay exact Python ``int``.
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from lrkit.core.ops import Branch


def _where(condition: Any, x1: Any, x2: Any) -> Any:
    return x1 if condition else x2


def _minimum(x1: Any, x2: Any) -> Any:
    return x1 if x1 < x2 else x2


def _maximum(x1: Any, x2: Any) -> Any:
    return x1 if x1 > x2 else x2


def _clip(x: Any, low: Any, high: Any) -> Any:
    x = x if x > low else low
    return x if x < high else high


def _since(step: Any, start: Any) -> Any:
    return step - start if step > start else 0


def _astype(x: Any, dtype: Any) -> Any:
    return dtype(x)


def _divide(x1: Any, x2: Any) -> Any:
    return float(x1) / x2  # (x1 as astype converts it)


def _table(values: Sequence[Any], like: Any = None, rounding: int = 0) -> Sequence[Any]:
    # Python numbers compare exactly: the values as they are
    return values


def _searchsorted(x1: Sequence[Any], x2: Any, *, side: str = "left") -> int:
    return bisect.bisect_right(x1, x2) if side == "right" else bisect.bisect_left(x1, x2)


def _pow_ratio(base: float, k: Any, scale: int | float = 1, times: float = 1.0) -> float:
    # the exponent k / scale as q + f / scale, q = k // scale exact (math.pow converts an
    # int q as float() does)
    if scale == 1:
        power = math.pow(base, k)
        return power if times == 1.0 else times * power
    q, f = divmod(k, scale)
    power = math.pow(base, q)
    return (power if times == 1.0 else times * power) * math.pow(base, float(f) / scale)


def _switch(index: Any, branches: Sequence[Branch], *operands: Any) -> Any:
    return branches[index](*operands)


def _opaque(ops: Any, formula: Callable[[Any, Any], Any], step: Any) -> Any:
    return formula(ops, step)


class _Scalar:
    """The operations on Python numbers, as instance attributes.

    Each is a plain function (a C function where one does the job exactly, such as
    ``operator.getitem`` for ``take``) set on the instance, so that ``xp.sin`` is one
    attribute read.
    """

    is_array: bool
    wide: bool
    int_max: int | None
    float_dtype: Any
    floor_divide: Callable[[Any, Any], Any]
    remainder: Callable[[Any, Any], Any]
    divmod: Callable[[Any, Any], tuple[Any, Any]]
    since: Callable[[Any, Any], Any]
    astype: Callable[[Any, Any], Any]
    divide: Callable[[Any, Any], Any]
    where: Callable[[Any, Any, Any], Any]
    minimum: Callable[[Any, Any], Any]
    maximum: Callable[[Any, Any], Any]
    clip: Callable[[Any, Any, Any], Any]
    pow: Callable[[Any, Any], Any]
    pow_ratio: Callable[..., Any]
    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    table: Callable[..., Any]
    searchsorted: Callable[..., Any]
    take: Callable[[Any, Any], Any]
    switch: Callable[..., Any]
    opaque: Callable[[Callable[[Any, Any], Any], Any], Any]

    def __init__(self) -> None:
        ops: dict[str, Any] = dict(
            is_array=False,
            wide=True,
            int_max=None,
            float_dtype=float,
            floor_divide=operator.floordiv,
            remainder=operator.mod,
            divmod=divmod,
            since=_since,
            astype=_astype,
            divide=_divide,
            where=_where,
            minimum=_minimum,
            maximum=_maximum,
            clip=_clip,
            pow=math.pow,
            pow_ratio=_pow_ratio,
            exp=math.exp,
            log=math.log,
            sqrt=math.sqrt,
            sin=math.sin,
            cos=math.cos,
            tanh=math.tanh,
            table=_table,
            searchsorted=_searchsorted,
            take=operator.getitem,
            switch=_switch,
            opaque=functools.partial(_opaque, self),
        )
        for name, op in ops.items():
            setattr(self, name, op)


#: the operations on Python numbers
SCALAR = _Scalar()
