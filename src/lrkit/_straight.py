"""Straight-line Python functions of the step, derived from each schedule's formula.

A schedule's formula is written once, as ``_compute(xp, step)`` (see
:mod:`lrkit._namespace`). Run with :data:`~lrkit._namespace.SCALAR` on a Python
number, every operation costs an attribute read and a call, and every helper method
of the formula one more call: two to four times the cost of the formula written by
hand.

:func:`straight_line` runs the formula once more, on a symbolic step and with a
recording namespace, and writes down what it did: one Python function of the step,
holding the same operations on the same constants in the same order. Everything that
depends only on the config (the schedule is immutable) is computed while recording
and left out; a branch on the step (``xp.select``/``xp.choose``/``xp.where``)
becomes an ``if``; ``xp.minimum``, ``xp.since``, ... become the conditional
expressions SCALAR's functions are made of. Its results are therefore bit for bit
those of the SCALAR path, at about the cost of the hand-written formula.

The function's text is made of variable names, operators and the structural
integers of an ``if``/``elif`` chain, and nothing else: every constant (a number of
the config, a table, a function, a foreign schedule) is handed to it as a closure
variable, never written as text. So no value of a config ever becomes program text,
and schedules of one structure share one compiled text.

Whatever the recording cannot follow (a Python ``if`` on the step, ``float(step)``,
``math.*`` called on it, ...) raises :class:`Untraceable`, and the schedule keeps the
SCALAR path: recording is an optimization, never a second formula.
"""

from __future__ import annotations

import bisect
import builtins
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

from lrkit._namespace import SCALAR

# beyond these the recording is given up (the formula keeps the SCALAR path): an
# `if`/`elif` chain is a linear search, and Python's compiler has nesting limits
MAX_BRANCHES = 16
MAX_DEPTH = 40
MAX_LINES = 5000


class Untraceable(Exception):
    """The formula did something with the step that cannot be recorded."""


class _Sym:
    """A value that depends on the step: the name of a variable of the function."""

    __slots__ = ("is_float", "rec", "ref")

    def __init__(self, ref: str, rec: _Recorder, is_float: bool = False) -> None:
        self.ref = ref
        self.rec = rec
        #: known to be a Python float (else: an int, a bool, or not known)
        self.is_float = is_float

    def __bool__(self) -> bool:
        raise Untraceable("a Python `if` on a value that depends on the step")

    def __float__(self) -> float:
        raise Untraceable("float() of a value that depends on the step")

    def __int__(self) -> int:
        raise Untraceable("int() of a value that depends on the step")

    def __index__(self) -> int:
        raise Untraceable("an index that depends on the step")

    def __iter__(self) -> Any:
        raise Untraceable("iterating over a value that depends on the step")

    __hash__ = None  # type: ignore[assignment]

    def __neg__(self) -> _Sym:
        return self.rec.emit(f"-{self.ref}", self.is_float)

    def __pos__(self) -> _Sym:
        return self.rec.emit(f"+{self.ref}", self.is_float)

    def __abs__(self) -> _Sym:
        return self.rec.call(abs, self)


def _binary(op: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def forward(a: _Sym, b: Any) -> Any:
        return a.rec.binary(op, a, b)

    def reflected(a: _Sym, b: Any) -> Any:
        return a.rec.binary(op, b, a)

    return forward, reflected


for _name, _op in (("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"),
                   ("floordiv", "//"), ("mod", "%"), ("pow", "**")):
    _fwd, _ref = _binary(_op)
    setattr(_Sym, f"__{_name}__", _fwd)
    setattr(_Sym, f"__r{_name}__", _ref)
for _name, _op in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="), ("eq", "=="),
                   ("ne", "!=")):
    setattr(_Sym, f"__{_name}__", _binary(_op)[0])
del _name, _op, _fwd, _ref


def _number(x: Any) -> bool:
    return type(x) is int or type(x) is bool or (type(x) is float and math.isfinite(x))


def _is_float(x: Any) -> bool:
    return x.is_float if isinstance(x, _Sym) else type(x) is float


# operators whose result is a float when an operand is (`**` is not: a negative base
# may give a complex number)
_FLOAT_OPS = frozenset(("+", "-", "*", "/", "//", "%"))


class _Recorder:
    """Records the operations of one formula as lines of Python."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: list[Any] = []
        self._constant_names: dict[int, str] = {}
        self._count = 0
        self._depth = 0

    # -- text of a value ----------------------------------------------------------------
    def ref(self, x: Any) -> str:
        if isinstance(x, _Sym):
            if x.rec is not self:
                raise Untraceable("a symbolic value of another recording")
            return x.ref
        return self.constant(x)

    def constant(self, x: Any) -> str:
        """The name of a closure variable holding ``x``."""
        if isinstance(x, (list, tuple)) and any(isinstance(e, _Sym) for e in x):
            raise Untraceable("a table that depends on the step")
        name = self._constant_names.get(id(x))
        if name is None:
            name = self._constant_names[id(x)] = f"_k{len(self.constants)}"
            self.constants.append(x)
        return name

    # -- recording ------------------------------------------------------------------------
    def fresh(self) -> str:
        self._count += 1
        return f"v{self._count}"

    def emit(self, expression: str, is_float: bool = False) -> _Sym:
        name = self.fresh()
        self.lines.append(f"{name} = {expression}")
        return _Sym(name, self, is_float)

    def binary(self, op: str, a: Any, b: Any) -> Any:
        floats = _is_float(a) or _is_float(b)
        # x * 1.0, 1.0 * x and x / 1.0 are x itself for a float x (IEEE 754: exact)
        if op == "*" and _is_float(a) and _is_float(b):
            if type(a) is float and a == 1.0:
                return b
            if type(b) is float and b == 1.0:
                return a
        if op == "/" and _is_float(a) and type(b) is float and b == 1.0:
            return a
        return self.emit(f"{self.ref(a)} {op} {self.ref(b)}",
                         op == "/" or (floats and op in _FLOAT_OPS))

    def call(self, fn: Callable[..., Any], *args: Any, is_float: bool = False) -> _Sym:
        return self.emit(f"{self.constant(fn)}({', '.join(self.ref(a) for a in args)})",
                         is_float)

    def branches(self, index: Any, branches: Sequence[Callable[..., Any]], args: Any) -> Any:
        """``branches[index](*args)`` as an ``if``/``elif`` chain, each branch recorded."""
        if len(branches) == 1:
            return branches[0](*args)
        if len(branches) > MAX_BRANCHES or self._depth >= MAX_DEPTH:
            raise Untraceable(f"{len(branches)} branches at depth {self._depth}")
        self._depth += 1
        idx, out, outer = self.ref(index), self.fresh(), self.lines
        bodies, floats = [], True
        for branch in branches:
            self.lines = []
            value = branch(*args)
            if not (_number(value) or isinstance(value, _Sym)):
                raise Untraceable(f"a branch gave {type(value).__name__}, not a number")
            self.lines.append(f"{out} = {self.ref(value)}")
            bodies.append(self.lines)
            floats = floats and _is_float(value)
        self.lines = outer
        self._depth -= 1
        if len(bodies) == 2:  # a boolean (or 0/1) index: the condition itself
            heads = [f"if {idx}:", "else:"]
            bodies.reverse()
        else:
            heads = [f"if {idx} == 0:"] + [f"elif {idx} == {i}:" for i in
                                           range(1, len(bodies) - 1)] + ["else:"]
        for head, body in zip(heads, bodies, strict=True):
            self.lines.append(head)
            self.lines.extend(f"    {line}" for line in body)
        return _Sym(out, self, floats)


def _symbolic(*args: Any) -> bool:
    return any(isinstance(a, _Sym) for a in args)


class _Recording:
    """The namespace a formula is recorded with: SCALAR's operations, written down.

    An operation on values that do not depend on the step is SCALAR's own, done now.
    """

    is_array = False
    wide = True

    def __init__(self, rec: _Recorder) -> None:
        self.rec = rec

    def __getattr__(self, name: str) -> Any:
        # an operation SCALAR has that is not written down below: not recordable
        raise Untraceable(f"the operation xp.{name}")

    def _unary(self, fn: Callable[..., Any], *args: Any) -> Any:
        # (math's functions give floats)
        return self.rec.call(fn, *args, is_float=True) if _symbolic(*args) else fn(*args)

    def to_float(self, x: Any) -> Any:
        return x if _is_float(x) else self._unary(float, x)

    def pow(self, a: Any, b: Any) -> Any:
        if type(a) is float and 0.0 < a < math.inf and isinstance(b, _Sym):
            # for a positive finite base, `**` is math.pow (both are C's pow, with
            # the same errors: OverflowError) without the call
            return self.rec.emit(f"{self.rec.ref(a)} ** {b.ref}", True)
        return self._unary(SCALAR.pow, a, b)

    def floor_divide(self, a: Any, b: Any) -> Any:
        return a // b

    def remainder(self, a: Any, b: Any) -> Any:
        return a % b

    def divmod(self, a: Any, b: Any) -> Any:
        # `//` and `%` are divmod's two halves (CPython computes them alike), and two
        # operators cost less than a call and a tuple
        return a // b, a % b

    # the conditional expressions SCALAR's where/minimum/maximum/clip/since are made of
    def where(self, cond: Any, a: Any, b: Any) -> Any:
        if not isinstance(cond, _Sym):
            return a if cond else b
        r = self.rec.ref
        return self.rec.emit(f"{r(a)} if {r(cond)} else {r(b)}", _is_float(a) and _is_float(b))

    def minimum(self, a: Any, b: Any) -> Any:
        if not _symbolic(a, b):
            return SCALAR.minimum(a, b)
        x, y = self.rec.ref(a), self.rec.ref(b)
        return self.rec.emit(f"{x} if {x} < {y} else {y}", _is_float(a) and _is_float(b))

    def maximum(self, a: Any, b: Any) -> Any:
        if not _symbolic(a, b):
            return SCALAR.maximum(a, b)
        x, y = self.rec.ref(a), self.rec.ref(b)
        return self.rec.emit(f"{x} if {x} > {y} else {y}", _is_float(a) and _is_float(b))

    def clip(self, x: Any, low: Any, high: Any) -> Any:
        if not _symbolic(x, low, high):
            return SCALAR.clip(x, low, high)
        return self.minimum(self.maximum(x, low), high)  # SCALAR's clip, in two steps

    def since(self, step: Any, start: Any) -> Any:
        if not _symbolic(step, start):
            return SCALAR.since(step, start)
        s, t = self.rec.ref(step), self.rec.ref(start)
        return self.rec.emit(f"{s} - {t} if {s} > {t} else 0")

    # -- tables and branches --------------------------------------------------------------
    def table(self, values: Sequence[Any], like: Any = None, rounding: int = 0) -> Any:
        return SCALAR.table(values, None, rounding)

    def search(self, table: Sequence[Any], x: Any, right: bool = False) -> Any:
        if not isinstance(x, _Sym):
            return SCALAR.search(table, x, right)
        return self.rec.call(bisect.bisect_right if right else bisect.bisect_left, table, x)

    def take(self, table: Sequence[Any], index: Any) -> Any:
        if not isinstance(index, _Sym):
            return table[index]
        floats = all(type(e) is float for e in table)
        return self.rec.emit(f"{self.rec.constant(table)}[{index.ref}]", floats)

    def select(self, branches: Sequence[Callable[..., Any]], index: Any) -> Any:
        if not isinstance(index, _Sym):
            return branches[index]
        return lambda *args: self.rec.branches(index, branches, args)

    def choose(self, index: Any, branches: Sequence[Callable[..., Any]], *args: Any) -> Any:
        return self.select(branches, index)(*args)

    def opaque(self, formula: Callable[[Any, Any], Any], step: Any) -> Any:
        """A formula not to look into (a foreign schedule's): called as it is, with
        SCALAR, at every call."""
        if not isinstance(step, _Sym):
            return formula(SCALAR, step)
        return self.rec.call(formula, SCALAR, step)


def _math(name: str) -> Callable[[_Recording, Any], Any]:
    fn = getattr(SCALAR, name)

    def op(self: _Recording, x: Any) -> Any:
        return self._unary(fn, x)

    op.__name__ = name
    return op


# xp.exp, xp.log, ...: math's functions, called in the recorded text
for _name in ("exp", "log", "sqrt", "sin", "cos", "tanh"):
    setattr(_Recording, _name, _math(_name))
del _name


@functools.lru_cache(maxsize=256)
def _maker(source: str) -> Callable[..., Any]:
    """The compiled ``_make`` of ``source``: schedules of one structure share it (the
    text holds no constant: they are ``_make``'s arguments)."""
    # (the usual builtins: tracers such as torch.compile's expect them; the text uses none)
    namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": __name__}
    exec(compile(source, "<lrkit straight-line>", "exec"), namespace)  # our text: see above
    return namespace["_make"]


def _record(compute: Callable[[Any, Any], Any]) -> tuple[_Recorder, str]:
    rec = _Recorder()
    try:
        out = compute(_Recording(rec), _Sym("step", rec))
        # the caller takes a float: the conversion is part of the function
        result = rec.ref(out) if _is_float(out) else f"{rec.constant(float)}({rec.ref(out)})"
    except Untraceable:
        raise
    except Exception as exc:  # the formula failed on a symbol: it cannot be recorded
        raise Untraceable(f"{type(exc).__name__}: {exc}") from None
    if len(rec.lines) > MAX_LINES:
        raise Untraceable(f"{len(rec.lines)} lines")
    return rec, result


def straight_line(compute: Callable[[Any, Any], Any]) -> Callable[[Any], float]:
    """``float(compute(SCALAR, step))`` as one straight-line function of ``step``.

    Raises :class:`Untraceable` if the formula does something that cannot be recorded.

    >>> import lrkit
    >>> s = lrkit.CosineDecay(1.0, 100, warmup_target=2.0, warmup_steps=10)
    >>> f = straight_line(s._compute)
    >>> f(5) == s._compute(SCALAR, 5), f(60) == s._compute(SCALAR, 60)
    (True, True)
    """
    return straight_call(compute, _unused, _unused)[1]


def _unused(step: Any) -> Any:
    raise AssertionError("straight_line's function calls no fallback")


def straight_call(
    compute: Callable[[Any, Any], Any],
    other: Callable[[Any], float],
    overflow: Callable[[Any], Exception],
) -> tuple[Callable[[Any], float], Callable[[Any], float]]:
    """A schedule's ``__call__`` and its formula for Python numbers, recorded.

    The first is ``LearningRateSchedule._call`` with the formula written in: for an
    ``int`` step >= 0 it computes the rate and checks that it is finite (else
    ``overflow(step)`` is raised, as for an ``OverflowError`` of the formula); any
    other step goes to ``other(step)``. The second is the formula alone (as
    :func:`straight_line` gives it).
    """
    rec, result = _record(compute)
    lines, k = rec.lines, rec.constant
    is_int, zero, finite = f"{k(type)}(step) is {k(int)}", k(0), k(0.0)
    names = ", ".join(f"_k{i}" for i in range(len(rec.constants)))
    source = "\n".join([
        f"def _make({names}, _other, _overflow, _OverflowError):",
        "    def call(step):",
        f"        if {is_int} and step >= {zero}:",
        "            try:",
        *(f"                {line}" for line in lines),
        f"                out = {result}",
        "            except _OverflowError:",
        "                raise _overflow(step) from None",
        f"            if out - out == {finite}:  # inf - inf and nan - nan are nan",
        "                return out",
        "            raise _overflow(step)",
        "        return _other(step)",
        "    def formula(step):",
        *(f"        {line}" for line in lines),
        f"        return {result}",
        "    return call, formula",
        "",
    ])
    fns: tuple[Callable[[Any], float], Callable[[Any], float]] = _maker(source)(
        *rec.constants, other, overflow, OverflowError)
    return fns
