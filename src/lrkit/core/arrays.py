"""`ArrayOps`: the operations of :class:`~lrkit.core.ops.Ops` on an array library.

The library is reached through ``array-api-compat`` (NumPy, JAX, PyTorch, CuPy, ...).
Integer steps stay in the library's default integer dtype for the discrete logic;
floats are the step's floating dtype (float32 for narrower ones), or the library's
default float for integer steps.

On PyTorch no call copies host data to the device (which would make the host wait
for the device's stream): Python numbers enter the computation as the scalar
arguments PyTorch's kernels take (``torch.where(c, t, 0.5)``, ``torch.clamp(t,
min=0)``, ``t * 0.1``), a number that must be an array is filled on the device
(``torch.full``), and tables (boundaries, restarts) are built once per device and
dtype and kept in a small module-level cache keyed by the table's identity (outside
the schedules, whose equality, hash, pickling and config it does not touch).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from lrkit.core.ops import Branch
from lrkit.core.scalar import SCALAR

_F32_MAX = 3.4028234663852886e38

#: tables built on a device, reused by later calls: (id(values), rounding, dtype,
#: device) -> (values, array). The entry holds ``values`` (a tuple, immutable), so its
#: id is not reused while the entry lives; the oldest entries go beyond the bound.
_TABLES: dict[tuple[Any, ...], tuple[Sequence[Any], Any]] = {}
_TABLES_MAX = 1024


def _f32_round(x: float, direction: int) -> float:
    """``x`` rounded to float32: down (``direction < 0``) or up (``> 0``).

    Pure arithmetic on Python floats (no ``struct``), so that ``torch.compile`` can
    trace it: scale ``x`` so that float32's 24 significant bits are the integer
    part, round that, and scale back (both scalings are exact powers of two).
    """
    if x == 0 or not math.isfinite(x):
        return x
    if abs(x) > _F32_MAX:
        return math.copysign(_F32_MAX if (x > 0) == (direction < 0) else math.inf, x)
    e = max(math.frexp(x)[1], -125)  # -125: float32's subnormals share one exponent
    y = math.ldexp(x, 24 - e)
    k = math.floor(y) if direction < 0 else math.ceil(y) if direction > 0 else round(y)
    out = math.ldexp(k, e - 24)
    if abs(out) > _F32_MAX:
        return math.copysign(_F32_MAX if direction * out < 0 else math.inf, out)
    return out


class ArrayOps:
    """The operations of :data:`SCALAR`, on the array library of ``step``."""

    is_array = True
    # the library's own functions (set in __init__)
    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    tanh: Callable[[Any], Any]

    def __init__(self, xp: Any, step: Any, float_dtype: Any = None) -> None:
        """``float_dtype``: the floating dtype of the results of an integer ``step``
        (default: the library's default float)."""
        import array_api_compat

        self.xp = xp
        self.device = _device(step)
        #: whether the step's values are at hand (NumPy): then `switch` evaluates only
        #: the branches some element picks
        self.concrete = array_api_compat.is_numpy_array(step)
        dtype = step.dtype
        defaults = xp.__array_namespace_info__().default_dtypes(device=self.device)
        #: the dtype integer steps are computed in (any other integer dtype is cast to
        #: it, so unsigned and narrow steps neither wrap nor overflow)
        self.int_dtype = defaults["integral"]
        if xp.isdtype(dtype, "integral"):
            self.float_dtype = self.out_dtype = float_dtype or defaults["real floating"]
        elif xp.isdtype(dtype, "real floating"):
            #: results have the step's dtype; narrower floats are computed in float32
            self.out_dtype = dtype
            self.float_dtype = dtype if xp.finfo(dtype).bits >= 32 else xp.float32
        else:
            raise TypeError(f"A step must hold real numbers; got an array of dtype {dtype}.")
        #: whether floats are float64 (or wider): integers up to 2**53 convert exactly
        self.wide = xp.finfo(self.float_dtype).bits >= 64
        #: the largest integer step (of the integer dtype), or None (float steps)
        self.int_max = int(xp.iinfo(self.int_dtype).max) if xp.isdtype(dtype, "integral") else None
        self._int_min = int(xp.iinfo(self.int_dtype).min)
        self._int_top = int(xp.iinfo(self.int_dtype).max)
        #: whether the integer dtype is narrower than a config's lengths may be (JAX
        #: without 64-bit mode: int32): integer arrays are then wrapped (`_Narrow`), so
        #: that a Python integer beyond the dtype's range meets them exactly
        self.narrow = array_api_compat.is_jax_array(step) and self._int_top < 2**63 - 1
        for name in ("exp", "log", "sqrt", "sin", "cos", "tanh"):
            setattr(self, name, getattr(xp, name))
        if self.narrow:
            for name in ("exp", "log", "sqrt", "sin", "cos", "tanh"):
                setattr(self, name, functools.partial(self._wrapped, getattr(xp, name)))
        # NumPy's and JAX's divmod (not PyTorch's); clip (not in every namespace lrkit
        # is given, e.g. lrkit.keras's TensorFlow one)
        self._divmod = getattr(xp, "divmod", None)
        self._clip = getattr(xp, "clip", None)
        #: the step as prepared: never negative (checked on NumPy, clamped elsewhere)
        self.step: Any = None
        self._lax: Any = None
        #: the torch module, for a PyTorch step (Python numbers as kernel arguments)
        self._torch: Any = None
        if array_api_compat.is_torch_array(step):
            import torch

            self._torch = torch
        if array_api_compat.is_jax_array(step) and xp.isdtype(dtype, "integral"):
            from jax import lax

            # the step divided by a positive integer: truncating division is the floor
            # (the step is >= 0), without jnp's sign corrections (a smaller program)
            self._lax = lax

    def _truncates(self, a: Any, b: Any) -> bool:
        limit = self.int_max
        return (
            self._lax is not None
            and a is self.step
            and type(b) is int
            and limit is not None
            and 0 < b <= limit
        )

    def floor_divide(self, a: Any, b: Any) -> Any:
        if self._truncates(a, b):
            return self.wrap(self._lax.div(_raw(a), self.xp.asarray(b, dtype=a.dtype)))
        if self.beyond(b):
            if a is self.step and b > 0:  # 0 <= step < b: the quotient is 0
                return self.wrap(self.xp.zeros_like(_raw(a)))
            return self.xp.floor_divide(self._float(_raw(a)), float(b))
        return self.wrap(self.xp.floor_divide(_raw(a), _raw(b)))

    def remainder(self, a: Any, b: Any) -> Any:
        if self._truncates(a, b):
            return self.wrap(self._lax.rem(_raw(a), self.xp.asarray(b, dtype=a.dtype)))
        if self.beyond(b):
            if a is self.step and b > 0:  # 0 <= step < b: the step itself
                return a
            return self.xp.remainder(self._float(_raw(a)), float(b))
        if self.narrow:
            return self.wrap(self.xp.remainder(_raw(a), _raw(b)))
        return self.xp.remainder(a, b)

    def _wrapped(self, fn: Callable[[Any], Any], x: Any) -> Any:
        return self.wrap(fn(_raw(x)))

    def beyond(self, x: Any) -> bool:
        """Whether ``x`` is a Python integer beyond the range of a narrow integer dtype."""
        return self.narrow and type(x) is int and not self._int_min <= x <= self._int_top

    def wrap(self, x: Any) -> Any:
        """With a narrow integer dtype, an array wrapped (see `_Narrow`); else ``x``."""
        if self.narrow and type(x) is not _Narrow and hasattr(x, "dtype"):
            return _Narrow(x, self)
        return x

    def prepare(self, step: Any) -> Any:
        """The step in the dtype it is computed in."""
        xp = self.xp
        if xp.isdtype(step.dtype, "integral"):
            return step if step.dtype == self.int_dtype else xp.astype(step, self.int_dtype)
        return step if step.dtype == self.float_dtype else xp.astype(step, self.float_dtype)

    def divmod(self, a: Any, b: Any) -> tuple[Any, Any]:
        """``(floor_divide(a, b), remainder(a, b))``, in one pass where the library can."""
        if self._truncates(a, b) or self.beyond(b):
            return self.floor_divide(a, b), self.remainder(a, b)
        if self.narrow and self._divmod is not None:
            q, r = self._divmod(_raw(a), _raw(b))
            return self.wrap(q), self.wrap(r)
        if self._divmod is not None:
            return self._divmod(a, b)
        torch = self._torch
        if torch is not None and type(b) is int and not a.dtype.is_floating_point:
            # integers: a - q * b in one pass (exact), cheaper than a second division
            q = torch.floor_divide(a, b)
            return q, torch.sub(a, q, alpha=b)
        return self.xp.floor_divide(a, b), self.xp.remainder(a, b)

    # -- conversions ------------------------------------------------------------
    def asarray(self, x: Any, dtype: Any = None) -> Any:
        if self._torch is not None and isinstance(x, (int, float)):
            # filled on the device: no copy from the host
            return self._torch.full((), x, dtype=dtype or self.float_dtype, device=self.device)
        return self.xp.asarray(x, dtype=dtype or self.float_dtype, device=self.device)

    def nonnegative(self, step: Any) -> Any:
        """``maximum(step, 0)``: the step of a library whose values are not inspected."""
        torch = self._torch
        if torch is not None:
            if step.device.type == "cpu" and not torch.compiler.is_compiling():
                # on the CPU a look costs no synchronization, and one pass that writes
                # nothing costs less than a clamped copy: the step itself if >= 0
                if not step.numel() or bool(torch.min(step) >= 0):
                    return step
            return torch.clamp(step, min=0)
        return self.xp.maximum(step, self.xp.zeros_like(step))

    def astype(self, x: Any, dtype: Any) -> Any:
        """``x`` in ``dtype`` (a new array); a Python number stays a Python number (a
        ``float`` for a floating dtype), so that it takes the dtype of the array it meets."""
        if isinstance(x, (int, float)):
            return float(x) if self.xp.isdtype(dtype, "real floating") else int(x)
        return self.wrap(self.xp.astype(_raw(x), dtype))

    def divide(self, x1: Any, x2: Any) -> Any:
        """``astype(x1, float_dtype) / x2``; PyTorch divides an integer tensor by a
        Python number as it converts it (the same roundings, no converted copy), and a
        step already in the float dtype is divided as it is."""
        torch = self._torch
        if torch is not None and isinstance(x1, torch.Tensor) and isinstance(x2, (int, float)):
            if x1.dtype == self.float_dtype:
                return x1 / x2
            if not x1.dtype.is_floating_point and self.float_dtype == torch.get_default_dtype():
                return torch.div(x1, x2 if not self.beyond(x2) else float(x2))
        return self.astype(x1, self.float_dtype) / x2

    def _float(self, x: Any) -> Any:
        if isinstance(x, (int, float)):
            return float(x)
        return self.xp.astype(_raw(x), self.float_dtype)

    def _arr(self, x: Any) -> Any:
        return self.asarray(x) if isinstance(x, (int, float)) else x

    # -- elementwise -------------------------------------------------------------
    def where(self, cond: Any, a: Any, b: Any) -> Any:
        a, b = self._pair(a, b)
        if self.narrow:
            return self.wrap(self.xp.where(_raw(cond), a, b))
        if self._torch is not None:
            return self._torch.where(cond, a, b)
        return self.xp.where(cond, a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return self._binary("minimum", a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        return self._binary("maximum", a, b)

    def clip(self, x: Any, low: int | float, high: int | float) -> Any:
        """``minimum(maximum(x, low), high)`` in one pass (the bounds in x's dtype)."""
        if isinstance(x, (int, float)):
            return SCALAR.clip(x, low, high)
        if self.narrow and self.xp.isdtype(x.dtype, "integral"):
            # a bound beyond the dtype's range bounds nothing
            if self.beyond(high) and high > 0:
                return self.maximum(x, low)
            if self.beyond(low) and low < 0:
                return self.minimum(x, high)
            return self.minimum(self.maximum(x, low), high)
        if self._torch is not None:
            x, low = self._pair(x, low)
            return self._torch.clamp(x, low, self._pair(x, high)[1])
        if self._clip is None:
            return self.minimum(self.maximum(x, low), high)
        x, lo = self._pair(x, low)
        return self._clip(x, lo, self._pair(x, high)[1])

    def pow(self, a: Any, b: Any) -> Any:
        if self.narrow:
            a, b = _raw(a), _raw(b)
            a, b = self._pair(self._arr(a) if isinstance(b, (int, float)) else a, b)
            return self.wrap(self.xp.pow(a, b))
        if (
            self.concrete
            and self.wide
            and isinstance(a, float)
            and not isinstance(b, float)
            and self.xp.isdtype(b.dtype, "integral")
        ):
            # a float ** integer exponents: NumPy converts the exponents as it goes
            # (in its buffers), with no float64 copy of them
            return self.xp.pow(self.asarray(a), b)
        a, b = self._pair(self._arr(a) if isinstance(b, (int, float)) else a, b)
        if self._torch is not None:
            return self._torch.pow(a, b)
        return self.xp.pow(a, b)

    def pow_ratio(
        self,
        base: float,
        k: Any,
        scale: int | float = 1,
        times: float = 1.0,
    ) -> Any:
        r"""``times * base ** (k / scale)`` for steps ``k >= 0`` (or integers, whole
        periods, with ``scale`` 1).

        In float64 the exponent is split as :math:`q + f / s` (:math:`q, f` = ``divmod(k,
        scale)``, none with ``scale`` 1), the integer part exact: ``(times * base**q) *
        base**(f / s)``, the operations of :data:`SCALAR`. On NumPy, where the exponents
        are few (at most one distinct value for 8 steps: the whole periods of a vector
        of steps, or the remainders below a small ``scale``), each power is computed
        once and looked up.

        In float32, :math:`\mathrm{times} \cdot e^{k c}` with :math:`c = \ln(b) / s`
        computed in float64 and rounded once (PyTorch: :math:`2^{k c'}`, :math:`c' =
        \log_2(b) / s`): the base itself never goes through
        float32 (its rounding, raised to :math:`q`, would cost :math:`q` roundings), and
        the exponent's relative error of a few roundings moves the rate by at most
        about one rounding of ``times`` (:math:`x e^{-x} \le 1/e`). PyTorch computes it
        in three passes over one new tensor.
        """
        if self.beyond(scale):
            scale = float(scale)
        if not self.wide and base > 0:
            return self._exp_ratio(base, k, scale, times)
        if scale == 1:
            return self._power(base, _raw(k), 1, times)
        q, f = self.divmod(k, scale)
        whole = self._power(base, _raw(q), 1, times)
        del q  # (each part of the exponent freed once its power is computed)
        below = scale if type(scale) is int else None  # (0 <= f < scale)
        # (the fraction's power a temporary: NumPy multiplies into it)
        return whole * self._power(base, _raw(f), scale, 1.0, below)

    def _exp_ratio(self, base: float, k: Any, scale: int | float, times: float) -> Any:
        torch = self._torch
        # base ** (k / scale) = 2 ** (k * log2(base) / scale) (PyTorch: its exp2 keeps
        # its speed where the rate underflows, its exp does not)
        c = (math.log2(base) if torch is not None else math.log(base)) / scale
        unscale = 1.0
        if 0 < abs(c) < 2.0**-100:  # (a float32 subnormal: kept exact by a power of two)
            c, unscale = math.ldexp(c, 64), 2.0**-64
        if torch is not None:
            e = torch.mul(k, c)  # (an integer k converted as it is read)
            if e.dtype != self.float_dtype:
                e = e.to(self.float_dtype)
            if unscale != 1.0:
                e.mul_(unscale)
            e.exp2_()
            return e if times == 1.0 else e.mul_(times)
        e = self.astype(k, self.float_dtype) * c
        if unscale != 1.0:
            e = e * unscale
        out = self.exp(e)
        return out if times == 1.0 else times * out

    def _power(
        self, base: float, k: Any, scale: int | float, times: float, below: int | None = None
    ) -> Any:
        """``times * base ** (k / scale)``, one ``pow`` (or a NumPy lookup table; ``below``:
        a bound known for ``k``, ``0 <= k < below``)."""
        xp = self.xp
        if self.concrete and isinstance(base, float) and xp.isdtype(k.dtype, "integral") and k.size:
            low, size = (0, below) if below is not None else (int(xp.min(k)), int(xp.max(k)) + 1)
            if low >= 0 and size <= k.size // 8:
                table = xp.arange(size, dtype=k.dtype, device=self.device)
                table = self.pow(base, table if scale == 1 else self._float(table) / scale)
                if times != 1.0:
                    table = times * table
                # (an array of its own, not a view: NumPy reuses it as a temporary)
                return xp.take(table, k) if k.ndim == 1 else table[k]
        power = self.pow(base, k if scale == 1 else self._float(k) / scale)
        return power if times == 1.0 else times * power

    def _binary(self, op: str, a: Any, b: Any) -> Any:
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return getattr(SCALAR, op)(a, b)
        if self.narrow:
            a, b = _raw(a), _raw(b)
            if self.beyond(b) or self.beyond(a):
                arr, num = (a, b) if self.beyond(b) else (b, a)
                if self.xp.isdtype(arr.dtype, "integral") and (num > 0) == (op == "minimum"):
                    return self.wrap(arr)  # every integer of the dtype is on one side
            a, b = self._pair(a, b)
            return self.wrap(getattr(self.xp, op)(a, b))
        a, b = self._pair(a, b)
        torch = self._torch
        if torch is not None:
            # a Python number is the bound of a clamp (a kernel argument)
            if isinstance(b, (int, float)):
                return torch.clamp(a, max=b) if op == "minimum" else torch.clamp(a, min=b)
            if isinstance(a, (int, float)):
                return torch.clamp(b, max=a) if op == "minimum" else torch.clamp(b, min=a)
            return getattr(torch, op)(a, b)
        return getattr(self.xp, op)(a, b)

    def _pair(self, a: Any, b: Any) -> tuple[Any, Any]:
        """Two operands as arrays of one dtype: a Python number takes the array's
        dtype (an integer array becomes float first if the number is a float)."""
        a, b = _raw(a), _raw(b)
        scalar_a, scalar_b = isinstance(a, (int, float)), isinstance(b, (int, float))
        if scalar_a and scalar_b:
            return self.asarray(a), self.asarray(b)
        if scalar_a or scalar_b:
            arr, num = (b, a) if scalar_a else (a, b)
            if self.beyond(num):  # beyond the integer dtype: the operation goes to floats
                num = float(num)
            if isinstance(num, float) and self.xp.isdtype(arr.dtype, "integral"):
                arr = self._float(arr)
            if self._torch is not None:
                # PyTorch takes the number as a kernel argument, in the array's dtype
                # (a float for a floating array: an int beyond int64 would not convert)
                if arr.dtype.is_floating_point:
                    num = float(num)
                return (num, arr) if scalar_a else (arr, num)
            num = self.xp.asarray(num, dtype=arr.dtype, device=self.device)
            return (num, arr) if scalar_a else (arr, num)
        if a.dtype != b.dtype:  # e.g. an integer and a float branch
            if self.xp.isdtype(a.dtype, "integral"):
                a = self._float(a)
            if self.xp.isdtype(b.dtype, "integral"):
                b = self._float(b)
        return a, b

    def since(self, step: Any, start: int | float) -> Any:
        """Steps since ``start``: ``max(step - start, 0)``, for any Python ``start``
        (one beyond an integer dtype's range is never reached: every result is 0)."""
        xp = self.xp
        step = _raw(step)
        if isinstance(start, int) and xp.isdtype(step.dtype, "integral"):
            info = xp.iinfo(step.dtype)
            if start > info.max:
                return self.wrap(xp.zeros_like(step))
            start = max(start, info.min)
        elif self.beyond(start):  # a float step
            start = float(start)
        return self.maximum(step - start, 0)

    # -- tables ------------------------------------------------------------------
    def table(self, values: Sequence[Any], like: Any = None, rounding: int = 0) -> Any:
        """``values`` as an array comparable with ``like`` without rounding errors.

        Without ``like``: an array of the float dtype.

        For an integer ``like``, entries are floored (``rounding=-1``) or ceiled
        (``+1``) to integers and clipped to the dtype's range (with ``+1``, entries
        above the range are dropped: no step reaches them); for float32 they are
        rounded down or up to float32. A comparison of an exact step against the
        rounded entry then answers as the comparison against the exact entry does.
        """
        dtype = self.float_dtype if like is None else like.dtype
        if type(values) is not tuple or not self._caches():
            # (under torch.compile the table is a constant of the graph: no cache, so no
            # guard on it either)
            return self._table(values, dtype, rounding)
        key = (id(values), rounding, dtype, self.device)
        hit = _TABLES.get(key)
        if hit is not None and hit[0] is values:
            return hit[1]
        out = self._table(values, dtype, rounding)
        if len(_TABLES) >= _TABLES_MAX:
            _TABLES.pop(next(iter(_TABLES)), None)
        _TABLES[key] = (values, out)
        return out

    def _caches(self) -> bool:
        """Whether a table may be kept for later calls: a PyTorch tensor built outside
        ``torch.compile``'s tracing, or a NumPy array (made read-only)."""
        if self._torch is not None:
            return not self._torch.compiler.is_compiling()
        return self.concrete

    def _table(self, values: Sequence[Any], dtype: Any, rounding: int) -> Any:
        xp = self.xp
        if xp.isdtype(dtype, "integral"):
            info = xp.iinfo(dtype)
            rnd = math.floor if rounding < 0 else math.ceil
            vals = [min(max(rnd(v), info.min), info.max) for v in values]
            if rounding > 0:
                # an entry above every step of this dtype is never <= a step: clipping
                # it to the maximum would count it at the maximum step, so drop it
                vals = [x for x, v in zip(vals, values, strict=True) if rnd(v) <= info.max]
        elif dtype == xp.float32 and rounding:
            vals = [_f32_round(float(v), rounding) for v in values]
        else:
            vals = [float(v) for v in values]
        out = xp.asarray(vals, dtype=dtype, device=self.device)
        if self.concrete:
            out.flags.writeable = False
        return out

    def searchsorted(self, x1: Any, x2: Any, *, side: str = "left") -> Any:
        """How many entries of the sorted table ``x1`` are below each step of ``x2``
        (``side="right"``: at most it). A 1-d ``x2`` is searched as it is; another
        shape through a flat view (the library's search takes 1-d values)."""
        x2 = _raw(x2)
        if x2.ndim == 1:
            return self.wrap(self.xp.searchsorted(x1, x2, side=side))
        idx = self.xp.searchsorted(x1, self.xp.reshape(x2, (-1,)), side=side)
        return self.wrap(self.xp.reshape(idx, x2.shape))

    def take(self, table: Any, index: Any) -> Any:
        index = _raw(index)
        torch = self._torch
        if torch is not None:  # (index_select: a plain gather, cheaper than torch.take)
            flat = index if index.ndim == 1 else torch.reshape(index, (-1,))
            out = torch.index_select(table, 0, flat)
            return out if index.ndim == 1 else torch.reshape(out, index.shape)
        if index.ndim == 1:
            return self.wrap(self.xp.take(table, index))
        flat = self.xp.reshape(index, (-1,))
        return self.wrap(self.xp.reshape(self.xp.take(table, flat), index.shape))

    def opaque(self, formula: Callable[[Any, Any], Any], step: Any) -> Any:
        """``formula(self, step)``: a formula of a foreign class, called as it is (with
        the step as its library's array, out of any wrapper of lrkit's)."""
        return formula(self, step.a if isinstance(step, _Narrow) else step)

    def switch(self, index: Any, branches: Sequence[Branch], *operands: Any) -> Any:
        """Elementwise ``branches[index](*operands)``.

        On NumPy (the index is at hand) each branch is evaluated only on the elements
        that pick it, and written into one output array: where the index never
        decreases along the steps (an ``arange``: phases in order) the elements of a
        branch are one slice, so the branch gets views and no copy is made; otherwise
        they are gathered with a mask. Elsewhere (e.g. under ``jax.jit``, where the
        index is not known) every branch is evaluated on every element, then selected.
        """
        index = _raw(index)
        if self.concrete and index.size:
            # The caller's reference to the index came with the call (a Python call
            # hands its arguments to the callee's frame): passed on in a list that
            # `_switch_pieces` empties, it is freed once the pieces are found, before
            # any branch computes.
            box = [index]
            del index
            return self._switch_pieces(box, branches, operands)
        return self._switch_all(index, branches, operands)

    def _switch_all(self, index: Any, branches: Sequence[Branch], args: tuple[Any, ...]) -> Any:
        xp = self.xp
        out = branches[0](*args)
        for i in range(1, len(branches)):
            # a boolean index (two branches) is the condition itself
            cond = index if index.dtype == xp.bool else index >= i
            out = self.where(cond, branches[i](*args), out)
        return out

    def _switch_pieces(
        self, box: list[Any], branches: Sequence[Branch], args: tuple[Any, ...]
    ) -> Any:
        xp = self.xp
        index = box.pop()
        shape = tuple(index.shape)
        flat = xp.reshape(index, (-1,))
        low, high = int(xp.min(flat)), int(xp.max(flat))
        if low == high:
            del index, flat
            return branches[low](*args)
        # the arguments that hold one value per step, flattened (views)
        per_step = [hasattr(a, "shape") and tuple(a.shape) == shape for a in args]
        if not any(per_step):  # branches that take the steps some other way: select
            return self._switch_all(index, branches, args)
        flat_args = [xp.reshape(a, (-1,)) if p else a for a, p in zip(args, per_step, strict=True)]
        n = flat.shape[0]
        if bool(xp.all(flat[1:] >= flat[:-1])):
            if flat.dtype == xp.bool:  # False then True: the count of each
                trues = int(xp.sum(flat))
                ends = [0, n - trues, n]
            else:
                keys = xp.arange(low, high + 2, dtype=flat.dtype, device=self.device)
                ends = [int(e) for e in xp.searchsorted(flat, keys)]
            pieces = [
                (ends[k + 1] - ends[k], i, slice(ends[k], ends[k + 1]))
                for k, i in enumerate(range(low, high + 1))
            ]
        else:
            pieces = []
            for i in range(low, high + 1):
                mask = flat == i
                pieces.append((int(xp.sum(mask)), i, mask))
        del index, flat  # (the pieces say it all: the index may be freed)
        # the largest piece first, before the output is allocated: the peak is then
        # that piece's temporaries, or the output and one piece, not both
        pieces.sort(key=lambda piece: -piece[0])
        out = None
        for size, i, where in pieces:
            if not size:
                continue
            part = [a[where] if p else a for a, p in zip(flat_args, per_step, strict=True)]
            value = branches[i](*part)
            del part
            if out is None:
                out = xp.empty((n,), dtype=self.float_dtype, device=self.device)
            out[where] = value
            del value
        return xp.reshape(out, shape)

    def finish(self, out: Any, shape: tuple[int, ...]) -> Any:
        """The result as an array of the float dtype, of the step's shape."""
        xp = self.xp
        out = _raw(out)
        if self._torch is not None:
            if isinstance(out, (int, float)):  # (a constant: filled on the device)
                return self._torch.full(shape, out, dtype=self.out_dtype, device=self.device)
        else:
            out = xp.asarray(out, device=self.device)  # a NumPy scalar becomes a 0-d array
        if out.dtype != self.out_dtype:
            out = xp.astype(out, self.out_dtype)
        if tuple(out.shape) != tuple(shape):
            out = xp.broadcast_to(out, shape)
        return out


def _device(x: Any) -> Any:
    import array_api_compat

    return array_api_compat.device(x)


def _raw(x: Any) -> Any:
    """The array a `_Narrow` wraps (anything else as it is)."""
    return x.a if type(x) is _Narrow else x


def _arith(op: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[..., Any]:
    def method(self: _Narrow, other: Any) -> Any:
        ops, a, other = self.ops, self.a, _raw(other)
        if ops.beyond(other):  # (the result is beyond the dtype too): in floats
            if ops.xp.isdtype(a.dtype, "integral"):
                a = ops._float(a)
            other = float(other)
        return ops.wrap(op(other, a) if reflected else op(a, other))

    return method


def _compare(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def method(self: _Narrow, other: Any) -> Any:
        ops, a, other = self.ops, self.a, _raw(other)
        if ops.beyond(other):
            if ops.xp.isdtype(a.dtype, "integral"):
                # every integer of the dtype lies on one side of `other`, as 0 does:
                # decided in Python (exact), the same answer for every element
                return ops.xp.full(a.shape, op(0, other), dtype=ops.xp.bool)
            return op(a, _float_bound(op, other, a.dtype == ops.xp.float32))
        return op(a, other)

    return method


def _float_bound(op: Callable[[Any, Any], Any], bound: int, f32: bool) -> float:
    """``bound`` as a float a comparison ``op(x, bound)`` of floats ``x`` answers exactly
    with (rounded up for ``<`` and ``>=``, down for ``<=`` and ``>``, as `ArrayOps.table`)."""
    if not f32:
        return float(bound)
    up = _f32_round(float(bound), 1)
    if up < bound:  # (float() rounded below: one float32 step up)
        up = _f32_round(math.nextafter(up, math.inf), 1)
    down = _f32_round(float(bound), -1)
    if down > bound:
        down = _f32_round(math.nextafter(down, -math.inf), -1)
    if op in (operator.lt, operator.ge):
        return up
    if op in (operator.le, operator.gt):
        return down
    return float(bound) if up == down else math.nan  # ==, !=: equal only if it is a float32


class _Narrow:
    """An integer array of a dtype narrower than the integers of a config (JAX's int32
    without 64-bit mode), as a formula sees it.

    A Python integer beyond the dtype's range meets it exactly: a comparison with it is
    decided in Python (every integer of the dtype lies on one side of it), and
    arithmetic with it is done in the float dtype (its result is beyond the integer
    dtype too); everything else is the array's own operation. The namespace's
    functions take the array out of its wrapper.
    """

    __slots__ = ("a", "ops")

    def __init__(self, a: Any, ops: ArrayOps) -> None:
        self.a = a
        self.ops = ops

    @property
    def dtype(self) -> Any:
        return self.a.dtype

    @property
    def shape(self) -> Any:
        return self.a.shape

    @property
    def ndim(self) -> int:
        return int(self.a.ndim)

    @property
    def size(self) -> int:
        return int(self.a.size)

    def __getitem__(self, key: Any) -> Any:
        return self.ops.wrap(self.a[key])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.a, name)

    def __neg__(self) -> Any:
        return self.ops.wrap(-self.a)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return self.ops.wrap(abs(self.a))

    def __repr__(self) -> str:
        return f"_Narrow({self.a!r})"

    __hash__ = None  # type: ignore[assignment]

    __add__ = _arith(operator.add)
    __radd__ = _arith(operator.add, True)
    __sub__ = _arith(operator.sub)
    __rsub__ = _arith(operator.sub, True)
    __mul__ = _arith(operator.mul)
    __rmul__ = _arith(operator.mul, True)
    __truediv__ = _arith(operator.truediv)
    __rtruediv__ = _arith(operator.truediv, True)
    __floordiv__ = _arith(operator.floordiv)
    __rfloordiv__ = _arith(operator.floordiv, True)
    __mod__ = _arith(operator.mod)
    __rmod__ = _arith(operator.mod, True)
    __pow__ = _arith(operator.pow)
    __rpow__ = _arith(operator.pow, True)
    __lt__ = _compare(operator.lt)
    __le__ = _compare(operator.le)
    __gt__ = _compare(operator.gt)
    __ge__ = _compare(operator.ge)
    __eq__ = _compare(operator.eq)
    __ne__ = _compare(operator.ne)
