"""The two namespaces every schedule is written against.

A schedule's formula is written once, as ``_compute(self, xp, step)``, using only
the operations below. ``xp`` is either

* ``SCALAR``: a thin shim over :mod:`math` for Python numbers. It computes in float64
  and keeps integers as Python ``int`` (exact at any size), so ``xp.floor_divide`` on
  two integers is exact integer division; or
* an :class:`ArrayOps`: the same operations on an array library, through
  ``array-api-compat`` (NumPy, JAX, PyTorch, CuPy, ...). Integer steps stay in the
  step's integer dtype for discrete logic, and floating results use the step's
  floating dtype, or the library's default float for integer steps.

Both expose: ``floor_divide``, ``remainder``, ``to_float``, ``where``, ``minimum``,
``maximum``, ``pow``, ``exp``, ``log``, ``sqrt``, ``sin``, ``cos``, ``tanh``,
``search`` (count table entries below a step), ``take`` (look a table up) and
``choose`` (pick one of several branches by an index).
"""

from __future__ import annotations

import bisect
import math
import operator
import struct
from collections.abc import Callable, Sequence
from typing import Any

_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")
_F32_MAX = 3.4028234663852886e38


def _where(cond: Any, a: Any, b: Any) -> Any:
    return a if cond else b


def _minimum(a: Any, b: Any) -> Any:
    return a if a < b else b


def _maximum(a: Any, b: Any) -> Any:
    return a if a > b else b


def _table(values: Sequence[Any], like: Any = None, rounding: int = 0) -> Sequence[Any]:
    """A lookup table: Python numbers compare exactly, so the values as they are."""
    return values


def _search(table: Sequence[Any], x: Any, right: bool = False) -> int:
    """How many entries of the sorted ``table`` are < x (<= x with ``right``)."""
    return bisect.bisect_right(table, x) if right else bisect.bisect_left(table, x)


def _take(table: Sequence[Any], index: int) -> Any:
    return table[index]


def _choose(index: int, branches: Sequence[Callable[..., Any]], *args: Any) -> Any:
    """``branches[index](*args)``: only the chosen branch is evaluated."""
    return branches[index](*args)


class _Scalar:
    """Operations on Python numbers (float64 for reals, exact ``int`` for integers).

    The operations are plain functions held in the instance's ``__dict__``, so
    ``xp.sin`` costs one dictionary lookup: the Python-number path stays close to
    the cost of the hand-written formula.
    """

    def __init__(self) -> None:
        self.__dict__.update(
            is_array=False,
            floor_divide=operator.floordiv,
            remainder=operator.mod,
            to_float=float,
            pow=math.pow,
            exp=math.exp,
            log=math.log,
            sqrt=math.sqrt,
            sin=math.sin,
            cos=math.cos,
            tanh=math.tanh,
            where=_where,
            minimum=_minimum,
            maximum=_maximum,
            table=_table,
            search=_search,
            take=_take,
            choose=_choose,
        )


SCALAR = _Scalar()


def _f32_next(v: float, up: bool) -> float:
    """The float32 neighbour of the float32 value ``v``, above (``up``) or below."""
    if v == 0:
        tiny = _F32.unpack(_U32.pack(1))[0]
        return tiny if up else -tiny
    bits = _U32.unpack(_F32.pack(v))[0]
    bits += 1 if (v > 0) == up else -1
    return _F32.unpack(_U32.pack(bits))[0]


def _f32_round(x: float, direction: int) -> float:
    """``x`` rounded to float32: down (``direction < 0``) or up (``> 0``)."""
    if not math.isfinite(x):
        return x
    try:
        near = _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        if (x > 0) == (direction < 0):
            return math.copysign(_F32_MAX, x)
        return math.copysign(math.inf, x)
    if direction < 0 and near > x:
        return _f32_next(near, up=False)
    if direction > 0 and near < x:
        return _f32_next(near, up=True)
    return near


class ArrayOps:
    """The operations of :data:`SCALAR`, on the array library of ``step``."""

    is_array = True

    def __init__(self, xp: Any, step: Any) -> None:
        self.xp = xp
        self.device = _device(step)
        dtype = step.dtype
        info = xp.__array_namespace_info__()
        default_float = info.default_dtypes(device=self.device)["real floating"]
        if xp.isdtype(dtype, "integral"):
            self.float_dtype = default_float
        elif xp.isdtype(dtype, "real floating"):
            self.float_dtype = dtype
        else:
            raise TypeError(f"A step must hold real numbers; got an array of dtype {dtype}.")
        for name in ("floor_divide", "remainder", "exp", "log", "sqrt", "sin", "cos", "tanh"):
            setattr(self, name, getattr(xp, name))

    # -- conversions ------------------------------------------------------------
    def asarray(self, x: Any, dtype: Any = None) -> Any:
        return self.xp.asarray(x, dtype=dtype or self.float_dtype, device=self.device)

    def to_float(self, x: Any) -> Any:
        if isinstance(x, (int, float)):
            return float(x)
        return self.xp.astype(x, self.float_dtype)

    def _arr(self, x: Any) -> Any:
        return self.asarray(x) if isinstance(x, (int, float)) else x

    # -- elementwise -------------------------------------------------------------
    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self.xp.where(cond, self._arr(a), self._arr(b))

    def minimum(self, a: Any, b: Any) -> Any:
        return self._binary("minimum", a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        return self._binary("maximum", a, b)

    def pow(self, a: Any, b: Any) -> Any:
        return self.xp.pow(self._arr(a), self._arr(b))

    def _binary(self, op: str, a: Any, b: Any) -> Any:
        scalar_a = isinstance(a, (int, float))
        if scalar_a and isinstance(b, (int, float)):
            return getattr(SCALAR, op)(a, b)
        if scalar_a:
            a, b = b, a
        if isinstance(b, float) and self.xp.isdtype(a.dtype, "integral"):
            a = self.to_float(a)
        if isinstance(b, (int, float)):
            b = self.xp.asarray(b, dtype=a.dtype, device=self.device)
        return getattr(self.xp, op)(a, b)

    # -- tables ------------------------------------------------------------------
    def table(self, values: Sequence[Any], like: Any = None, rounding: int = 0) -> Any:
        """``values`` as an array comparable with ``like`` without rounding errors.

        Without ``like``: an array of the float dtype.

        For an integer ``like``, entries are floored (``rounding=-1``) or ceiled
        (``+1``) to integers and clipped to the dtype's range; for float32 they are
        rounded down or up to float32. A comparison of an exact step against the
        rounded entry then answers as the comparison against the exact entry does.
        """
        xp = self.xp
        dtype = self.float_dtype if like is None else like.dtype
        if xp.isdtype(dtype, "integral"):
            info = xp.iinfo(dtype)
            rnd = math.floor if rounding < 0 else math.ceil
            vals = [min(max(rnd(v), info.min), info.max) for v in values]
        elif dtype == xp.float32 and rounding:
            vals = [_f32_round(float(v), rounding) for v in values]
        else:
            vals = [float(v) for v in values]
        return xp.asarray(vals, dtype=dtype, device=self.device)

    def search(self, table: Any, x: Any, right: bool = False) -> Any:
        flat = self.xp.reshape(x, (-1,))
        idx = self.xp.searchsorted(table, flat, side="right" if right else "left")
        return self.xp.reshape(idx, x.shape)

    def take(self, table: Any, index: Any) -> Any:
        flat = self.xp.reshape(index, (-1,))
        return self.xp.reshape(self.xp.take(table, flat), index.shape)

    def choose(self, index: Any, branches: Sequence[Callable[..., Any]], *args: Any) -> Any:
        """Elementwise ``branches[index](*args)``: every branch is evaluated, then selected."""
        if index.dtype == self.xp.bool:
            index = self.xp.astype(index, self.xp.int32)
        out = branches[0](*args)
        for i in range(1, len(branches)):
            out = self.where(index >= i, branches[i](*args), out)
        return out

    def finish(self, out: Any, shape: tuple[int, ...]) -> Any:
        """The result as an array of the float dtype, of the step's shape."""
        xp = self.xp
        if isinstance(out, (int, float)):
            out = self.asarray(out)
        elif out.dtype != self.float_dtype:
            out = xp.astype(out, self.float_dtype)
        if tuple(out.shape) != tuple(shape):
            out = xp.broadcast_to(out, shape)
        return out


def _device(x: Any) -> Any:
    import array_api_compat

    return array_api_compat.device(x)
