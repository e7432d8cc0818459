"""`Ops`: the operations a schedule's formula is written against.

A formula is written once, as ``_compute(self, xp: Ops, step)``, using only the
operations below. Three namespaces implement them, each once:

* :data:`lrkit.core.scalar.SCALAR`, on Python numbers: float64 for reals, exact
  ``int`` for integers (so ``floor_divide`` of two integers is exact integer division);
* :class:`lrkit.core.arrays.ArrayOps`, on an array library through ``array-api-compat``
  (NumPy, JAX, PyTorch, CuPy, ...): integer steps stay in an integer dtype for the
  discrete logic, floating results use the step's floating dtype, or the library's
  default float for integer steps;
* the recording namespace of :mod:`lrkit.core.fastpath`, which writes the formula down
  once as a Python function of the step.

Names and signatures follow the Array API standard where it has the operation
(``searchsorted``, ``astype``, ``take``, ``where``, ``floor_divide``, ...). The
operations it does not have are lrkit's own:

* ``switch(index, branches, *operands)``: ``branches[index](*operands)``, lazily, in the
  manner of ``jax.lax.switch``. For a Python number only the chosen branch runs; for
  arrays each element takes the value of the branch its index picks (on NumPy only the
  branches some element picks are evaluated, each on its own elements);
* ``divmod(x1, x2)``: ``(floor_divide(x1, x2), remainder(x1, x2))``, in one pass where
  the library has it;
* ``divide(x1, x2)``: ``astype(x1, float_dtype) / x2`` (the Array API leaves an integer
  ``x1`` to the library), without a converted copy where the library converts as it reads;
* ``since(step, start)``: steps since ``start``, ``maximum(step - start, 0)``, for any
  Python ``start`` (also one beyond an integer dtype's range);
* ``clip(x, low, high)``: ``minimum(maximum(x, low), high)`` with Python-number bounds;
* ``pow_ratio(base, k, scale, times)``: ``times * base ** (k / scale)`` for steps
  ``k >= 0``, each namespace computing it as precisely as its dtype allows (in float64
  the integer part of ``k / scale`` exact; in float32 from ``ln(base) / scale`` in
  float64, so that the base's rounding is never raised to a power);
* ``table(values, like, rounding)``: a lookup table that compares exactly with ``like``;
* ``opaque(formula, step)``: a foreign formula, called as it is at every call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

#: a branch of ``Ops.switch``: any function of the operands
Branch = Callable[..., Any]


class Ops(Protocol):
    r"""The operations vocabulary of a formula (see the module's text).

    Attributes:
        is_array: whether the values are arrays (else Python numbers).
        wide: whether floats are float64: integers up to :math:`2^{53}` convert exactly.
        int_max: the largest integer step (an array's integer dtype), or None.
        float_dtype: the dtype floats are computed in (``float`` for Python numbers).

    >>> from lrkit.core.scalar import SCALAR
    >>> ops: Ops = SCALAR
    >>> ops.switch(7 >= 5, (ops.sqrt, ops.exp), 0.0)
    1.0
    >>> ops.searchsorted([0, 10, 20], 10, side="right"), ops.astype(3, ops.float_dtype)
    (2, 3.0)
    """

    is_array: bool
    wide: bool
    int_max: int | None
    float_dtype: Any

    # -- integer arithmetic -------------------------------------------------------------
    def floor_divide(self, x1: Any, x2: Any, /) -> Any:
        r""":math:`\lfloor x_1 / x_2 \rfloor` (exact for integers)."""
        ...

    def remainder(self, x1: Any, x2: Any, /) -> Any:
        r""":math:`x_1 - x_2 \lfloor x_1 / x_2 \rfloor`, with the sign of :math:`x_2`."""
        ...

    def divmod(self, x1: Any, x2: Any, /) -> tuple[Any, Any]:
        """``(floor_divide(x1, x2), remainder(x1, x2))``."""
        ...

    def since(self, step: Any, start: Any, /) -> Any:
        r""":math:`\max(t - s, 0)` for a step :math:`t` and a Python number :math:`s`."""
        ...

    # -- conversion ---------------------------------------------------------------------
    def astype(self, x: Any, dtype: Any, /) -> Any:
        """``x`` converted to ``dtype`` (in formulas: ``float_dtype``)."""
        ...

    # -- elementwise ----------------------------------------------------------------------
    def divide(self, x1: Any, x2: Any, /) -> Any:
        """``x1 / x2`` in ``float_dtype``: ``astype(x1, float_dtype) / x2``, computed
        without a converted copy of ``x1`` where the library converts it as it reads."""
        ...

    def where(self, condition: Any, x1: Any, x2: Any, /) -> Any:
        """``x1`` where ``condition`` holds, else ``x2`` (both evaluated)."""
        ...

    def minimum(self, x1: Any, x2: Any, /) -> Any:
        r""":math:`\min(x_1, x_2)`."""
        ...

    def maximum(self, x1: Any, x2: Any, /) -> Any:
        r""":math:`\max(x_1, x_2)`."""
        ...

    def clip(self, x: Any, low: Any, high: Any, /) -> Any:
        r""":math:`\min(\max(x, \mathrm{low}), \mathrm{high})`."""
        ...

    def pow(self, x1: Any, x2: Any, /) -> Any:
        r""":math:`x_1^{x_2}`."""
        ...

    def pow_ratio(self, base: float, k: Any, scale: int | float = 1, times: float = 1.0) -> Any:
        r""":math:`\mathrm{times} \cdot \mathrm{base}^{k / \mathrm{scale}}` for steps k >= 0.

        In float64 the exponent is split as :math:`\lfloor k / s \rfloor + (k \bmod s) / s`
        (not with ``scale`` 1), so that its integer part is exact.
        """
        ...

    def exp(self, x: Any, /) -> Any:
        r""":math:`e^x`."""
        ...

    def log(self, x: Any, /) -> Any:
        r""":math:`\ln x`."""
        ...

    def sqrt(self, x: Any, /) -> Any:
        r""":math:`\sqrt{x}`."""
        ...

    def sin(self, x: Any, /) -> Any:
        r""":math:`\sin x`."""
        ...

    def cos(self, x: Any, /) -> Any:
        r""":math:`\cos x`."""
        ...

    def tanh(self, x: Any, /) -> Any:
        r""":math:`\tanh x`."""
        ...

    # -- tables -----------------------------------------------------------------------------
    def table(self, values: Sequence[Any], like: Any = None, rounding: int = 0) -> Any:
        """``values`` as a table comparable without rounding error with ``like``.

        For an integer ``like`` entries are floored (``rounding=-1``) or ceiled (``+1``);
        for float32 rounded down or up; without ``like``, in ``float_dtype``.
        """
        ...

    def searchsorted(self, x1: Any, x2: Any, /, *, side: str = "left") -> Any:
        """How many entries of the sorted table ``x1`` are ``< x2`` (``<= x2`` with
        ``side="right"``)."""
        ...

    def take(self, x: Any, indices: Any, /) -> Any:
        """``x[indices]``: entries of a table."""
        ...

    # -- branches -----------------------------------------------------------------------------
    def switch(self, index: Any, branches: Sequence[Branch], /, *operands: Any) -> Any:
        """``branches[index](*operands)``: a bool index picks ``branches[1]`` where true."""
        ...

    def opaque(self, formula: Callable[[Any, Any], Any], step: Any, /) -> Any:
        """``formula(xp, step)`` for a foreign formula, called as it is."""
        ...
