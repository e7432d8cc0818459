"""Straight-line Python functions of the step, derived from each schedule's formula.

A schedule's formula is written once, as ``_compute(xp, step)`` (see
:mod:`lrkit.core.ops`). Run with :data:`~lrkit.core.scalar.SCALAR` on a Python
number, every operation costs an attribute read and a call, and every helper method
of the formula one more call: two to four times the cost of the formula written by
hand.

:func:`straight_line` runs the formula once more, on a symbolic step and with a
recording namespace, and writes down what it did: one Python function of the step,
holding the same operations on the same constants in the same order. Everything that
depends only on the config (the schedule is immutable) is computed while recording
and left out; a branch on the step (``xp.switch``/``xp.where``)
becomes an ``if``; ``xp.minimum``, ``xp.since``, ... become the conditional
expressions SCALAR's functions are made of. Its results are therefore bit for bit
those of the SCALAR path, at about the cost of the hand-written formula. A value used
once is written into the expression that uses it where the order of evaluation is kept
(see :func:`_render`), and a few operations are rewritten where CPython defines them to
be the same (``float(v) * y`` is ``v * y`` for a Python number ``v`` and a float ``y``;
``math.pow(a, b)`` is ``a ** b`` where ``**`` can mean nothing else).

The function's text is made of variable names, operators and the structural
integers of an ``if``/``elif`` chain, and nothing else: every constant (a number of
the config, a table, a function, a foreign schedule) is handed to it as a closure
variable, never written as text. So no value of a config ever becomes program text,
and schedules of one structure share one compiled text. The text is registered in
:mod:`linecache` under ``"<lrkit ClassName>"``, its names taken from the schedule's
attributes and from what computed each value, so that a traceback, a debugger or
:func:`inspect.getsource` shows readable source for every frame.

Whatever the recording cannot follow (a Python ``if`` on the step, ``float(step)``,
``math.*`` called on it, ...) raises :class:`Untraceable`, and the schedule keeps the
SCALAR path: recording is an optimization, never a second formula.
"""

from __future__ import annotations

import bisect
import builtins
import functools
import keyword
import linecache
import math
from collections.abc import Callable, Sequence
from typing import Any

from lrkit.core.scalar import SCALAR

# beyond these the recording is given up (the formula keeps the SCALAR path): an
# `if`/`elif` chain is a linear search, and Python's compiler has nesting limits
MAX_BRANCHES = 16
MAX_DEPTH = 40
MAX_LINES = 5000


class Untraceable(Exception):
    """The formula did something with the step that cannot be recorded."""


class _Sym:
    """A value that depends on the step: the name of a variable of the function."""

    __slots__ = ("converted", "finite", "is_float", "nonneg", "plain", "rec", "ref")

    def __init__(
        self, ref: str, rec: _Recorder, is_float: bool = False, plain: bool = False
    ) -> None:
        self.ref = ref
        self.rec = rec
        #: known to be a Python float (else: an int, a bool, or not known)
        self.is_float = is_float
        #: known to be a Python int, bool or float (else: not known, e.g. a value of
        #: a foreign schedule, perhaps a NumPy scalar)
        self.plain = is_float or plain
        #: for ``float(x)`` of a plain ``x``: ``(x, the block it was computed in)``
        self.converted: tuple[_Sym, list[Any]] | None = None
        #: known to be finite when computed (a step, an index, a value of a table of
        #: finite numbers, ...): the call needs no check that it is
        self.finite = False
        #: known never to be below 0 (NaN allowed): ``x ** c`` is then ``math.pow(x, c)``
        self.nonneg = False

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
        return self.rec.emit("-{0}", (self,), self.is_float, self.plain, hint="negated")

    def __pos__(self) -> _Sym:
        return self.rec.emit("+{0}", (self,), self.is_float, self.plain, hint="same")

    def __abs__(self) -> _Sym:
        return _mark(self.rec.call(abs, self, plain=self.plain), self.finite, True)


def _binary(op: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def forward(a: _Sym, b: Any) -> Any:
        return a.rec.binary(op, a, b)

    def reflected(a: _Sym, b: Any) -> Any:
        return a.rec.binary(op, b, a)

    return forward, reflected


for _name, _op in (
    ("add", "+"),
    ("sub", "-"),
    ("mul", "*"),
    ("truediv", "/"),
    ("floordiv", "//"),
    ("mod", "%"),
    ("pow", "**"),
):
    _fwd, _ref = _binary(_op)
    setattr(_Sym, f"__{_name}__", _fwd)
    setattr(_Sym, f"__r{_name}__", _ref)
for _name, _op in (
    ("lt", "<"),
    ("le", "<="),
    ("gt", ">"),
    ("ge", ">="),
    ("eq", "=="),
    ("ne", "!="),
):
    setattr(_Sym, f"__{_name}__", _binary(_op)[0])
del _name, _op, _fwd, _ref


def _number(x: Any) -> bool:
    return type(x) is int or type(x) is bool or (type(x) is float and math.isfinite(x))


def _is_float(x: Any) -> bool:
    return x.is_float if isinstance(x, _Sym) else type(x) is float


def _finite(*xs: Any) -> bool:
    return all(x.finite if isinstance(x, _Sym) else _number(x) for x in xs)


def _nonneg(*xs: Any) -> bool:
    return all(x.nonneg if isinstance(x, _Sym) else _number(x) and x >= 0 for x in xs)


def _mark(x: _Sym, finite: bool = False, nonneg: bool = False) -> _Sym:
    """``x``, with what is known of its value."""
    x.finite, x.nonneg = finite, nonneg
    return x


def _plain(*xs: Any) -> bool:
    """Whether all of ``xs`` are known to be Python ints, bools or floats."""
    return all(x.plain if isinstance(x, _Sym) else type(x) in (int, float, bool) for x in xs)


# names of the function's own variables (never a constant's or a value's)
_RESERVED = frozenset(("step", "out", "call", "formula", "_other", "_overflow", "_OverflowError"))
# names of recorded values, after what computed them
_OP_NAMES = {
    "+": "total",
    "-": "difference",
    "*": "product",
    "/": "ratio",
    "//": "quotient",
    "%": "remainder",
    "**": "power",
}
_CALL_NAMES = {"float": "real", "bisect_right": "index", "bisect_left": "index", "abs": "size"}

# operators whose result is a float when an operand is (`**` is not: a negative base
# may give a complex number)
_FLOAT_OPS = frozenset(("+", "-", "*", "/", "//", "%"))
_COMPARISONS = frozenset(("<", "<=", ">", ">=", "==", "!="))
_KEEP_SIGN = _COMPARISONS | {"+", "*", "/", "//", "%"}
# operators that convert an int operand to a float when the other is a float
_CONVERTING = frozenset(("+", "-", "*", "/", "**"))


class _Line:
    """One statement: ``target = template.format(*args)``, its args the names of
    variables or closure constants; args at ``lazy`` positions are evaluated after the
    others, or not at all (the arms of a conditional expression)."""

    __slots__ = ("args", "keep", "lazy", "target", "template", "unused_ok")

    def __init__(
        self,
        target: str,
        template: str,
        args: Sequence[str],
        lazy: tuple[int, ...] = (),
        keep: bool = False,
    ) -> None:
        self.target, self.template, self.args = target, template, tuple(args)
        self.lazy, self.keep = lazy, keep  # keep: a branch's result, assigned in every arm
        #: a float() whose every use converts as it would: left out when unused
        self.unused_ok = False


class _If:
    """``if``/``elif``/``else``: heads (templates of the index's name) and bodies."""

    __slots__ = ("bodies", "heads", "index")

    def __init__(self, index: str, heads: list[str], bodies: list[list[Any]]) -> None:
        self.index, self.heads, self.bodies = index, heads, bodies


class _Recorder:
    """Records the operations of one formula as statements of Python."""

    def __init__(self, names: dict[int, str] | None = None) -> None:
        self.lines: list[_Line | _If] = []
        self.constants: list[Any] = []
        #: the closure variables' names, in the order of ``constants``
        self.constant_names: list[str] = []
        self._constant_names: dict[int, str] = {}
        #: names for constants, by identity (the schedule's attributes)
        self._hints = names or {}
        self._taken = set(_RESERVED)
        self._count = 0
        self._depth = 0
        self._floats: dict[int, float] = {}

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
            hint = self._hints.get(id(x)) or getattr(x, "__name__", None)
            if hint is None and type(x) in (int, float) and x in (0, 1):
                hint = "one" if x else "zero"
            name = self._constant_names[id(x)] = self.unique(hint if type(hint) is str else "c")
            self.constants.append(x)
            self.constant_names.append(name)
        return name

    def unique(self, hint: str) -> str:
        """A name not taken yet: ``hint`` (an identifier), else ``hint_2``, ..."""
        base = hint.strip("_") or "c"
        if not base.isidentifier() or keyword.iskeyword(base):
            base = "c"
        name, n = base, 1
        while name in self._taken:
            n += 1
            name = f"{base}_{n}"
        self._taken.add(name)
        return name

    # -- recording ------------------------------------------------------------------------
    def fresh(self, hint: str = "v") -> str:
        self._count += 1
        return self.unique(hint)

    def emit(
        self,
        template: str,
        args: Sequence[Any],
        is_float: bool = False,
        plain: bool = False,
        lazy: tuple[int, ...] = (),
        hint: str = "v",
    ) -> _Sym:
        """A new variable, ``template`` with the names of ``args`` in its places."""
        name = self.fresh(hint)
        self.lines.append(_Line(name, template, [self.ref(a) for a in args], lazy))
        return _Sym(name, self, is_float, plain)

    def to_float(self, x: _Sym) -> _Sym:
        # (finite, or OverflowError)
        out = _mark(self.call(float, x, is_float=True), x.finite, x.nonneg)
        if x.plain:
            # an arithmetic operator converts an int operand as float() does (the same
            # rounding, the same OverflowError): float(x) + y is x + y for a float y
            out.converted = (x, self.lines)
            line = self.lines[-1]
            assert isinstance(line, _Line)  # (the call just recorded)
            line.unused_ok = True
        return out

    def _float(self, n: int) -> float:
        # (one float constant per int constant: not one closure variable per use)
        return self._floats.setdefault(n, float(n))

    def _unconverted(self, x: Any, other: Any) -> tuple[Any, Any]:
        """``(x, other)``, with ``x = float(v)`` replaced by ``v`` where ``x op other`` is
        ``v op other``: ``other`` a float, ``v`` a Python number converted in this block."""
        if isinstance(x, _Sym) and x.converted is not None and x.converted[1] is self.lines:
            if type(other) is int and abs(other) <= 2**53:
                other = self._float(other)  # (exactly, as the operator would convert it)
            if _is_float(other):
                return x.converted[0], other
        return x, other

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
        plain = _plain(a, b) and op != "**"  # (a negative number ** a fraction: complex)
        if op in _CONVERTING:
            a, b = self._unconverted(a, b)
            b, a = self._unconverted(b, a)
        out = self.emit(
            f"{{0}} {op} {{1}}",
            (a, b),
            op == "/" or (floats and op in _FLOAT_OPS),
            plain,
            hint=_OP_NAMES.get(op, "test"),
        )
        # (a bool; a sum, product or quotient of numbers >= 0; Python's `a % b` has
        # the sign of b)
        nonneg = (op in _KEEP_SIGN and _nonneg(a, b)) or (op == "%" and plain and _nonneg(b))
        return _mark(out, op in _COMPARISONS, nonneg)

    def call(
        self, fn: Callable[..., Any], *args: Any, is_float: bool = False, plain: bool = False
    ) -> _Sym:
        places = ", ".join(f"{{{i}}}" for i in range(len(args)))
        name = self.constant(fn)
        base = name.rsplit("_", 1)[0] if name[-1].isdigit() else name
        hint = _CALL_NAMES.get(base, f"{base}_value")
        return self.emit(f"{name}({places})", args, is_float, plain, hint=hint)

    def branches(self, index: Any, branches: Sequence[Callable[..., Any]], args: Any) -> Any:
        """``branches[index](*args)`` as an ``if``/``elif`` chain, each branch recorded."""
        if len(branches) == 1:
            return branches[0](*args)
        if len(branches) > MAX_BRANCHES or self._depth >= MAX_DEPTH:
            raise Untraceable(f"{len(branches)} branches at depth {self._depth}")
        self._depth += 1
        idx, out, outer = self.ref(index), self.fresh("value"), self.lines
        bodies: list[list[Any]] = []
        floats = plain = finite = nonneg = True
        for branch in branches:
            self.lines = []
            value = branch(*args)
            if not (_number(value) or isinstance(value, _Sym)):
                raise Untraceable(f"a branch gave {type(value).__name__}, not a number")
            self.lines.append(_Line(out, "{0}", [self.ref(value)], keep=True))
            bodies.append(self.lines)
            floats = floats and _is_float(value)
            finite = finite and _finite(value)
            nonneg = nonneg and _nonneg(value)
            plain = plain and _plain(value)
        self.lines = outer
        self._depth -= 1
        if len(bodies) == 2:  # a boolean (or 0/1) index: the condition itself
            heads = ["if {0}:", "else:"]
            bodies.reverse()
        else:
            heads = (
                ["if {0} == 0:"]
                + [f"elif {{0}} == {i}:" for i in range(1, len(bodies) - 1)]
                + ["else:"]
            )
        self.lines.append(_If(idx, heads, bodies))
        return _mark(_Sym(out, self, floats, plain), finite, nonneg)


# a variable used once is written into its use, as long as that keeps every operation
# in its place in the order of evaluation; at most this deep (Python's parser limits
# the nesting of parentheses)
MAX_NESTING = 24


def _render(lines: list[_Line | _If], result: _Line) -> tuple[list[str], str]:
    """The text of the recorded statements and of the result's expression.

    A variable assigned once and read once, in the same block, is written into the
    expression that reads it (in parentheses: no bytecode) when the operations keep
    their order: it was computed just before the expression's operands that follow it
    are. Python evaluates an expression left to right, conditional arms after the
    condition: so the operations are the same ones, in the same order, with the same
    results and the same errors, and a store and a load fewer for each.
    """
    uses: dict[str, int] = {}

    def count(block: list[_Line | _If]) -> None:
        for item in block:
            if isinstance(item, _If):
                uses[item.index] = uses.get(item.index, 0) + len(
                    [h for h in item.heads if "{0}" in h]
                )
                for body in item.bodies:
                    count(body)
            else:
                for i, name in enumerate(item.args):
                    uses[name] = uses.get(name, 0) + item.template.count(f"{{{i}}}")

    count([*lines, result])
    dead: set[int] = set()

    def prune(block: list[_Line | _If]) -> None:
        for item in block:
            if isinstance(item, _If):
                for body in item.bodies:
                    prune(body)
            elif item.unused_ok and not uses.get(item.target):
                dead.add(id(item))
                for name in item.args:
                    uses[name] -= 1

    prune(lines)

    def block(items: list[_Line | _If], indent: str, out: list[str], last: _Line | None) -> str:
        pending: list[tuple[str, str, int]] = []  # (name, expression, nesting), in order

        def flush() -> None:
            out.extend(f"{indent}{name} = {expr}" for name, expr, _ in pending)
            pending.clear()

        def expression(
            template: str, args: Sequence[str], lazy: tuple[int, ...]
        ) -> tuple[str, int]:
            texts, nesting = list(args), 0
            order = [i for i in _places(template) if i not in lazy]
            for i in reversed(order):  # the operand evaluated last was computed last
                if not any(name == args[i] for name, _, _ in pending):
                    continue  # a constant, the step or an assigned variable: a load
                name, expr, depth = pending[-1]
                if name != args[i] or depth >= MAX_NESTING:
                    break
                pending.pop()
                texts[i], nesting = f"({expr})", max(nesting, depth + 1)
            return template.format(*texts), nesting

        for item in items:
            if isinstance(item, _If):
                head, _ = expression(item.heads[0], [item.index], ())
                flush()
                for i, body in enumerate(item.bodies):
                    out.append(indent + (head if i == 0 else item.heads[i].format(item.index)))
                    block(body, indent + "    ", out, None)
                continue
            if id(item) in dead:
                continue
            expr, nesting = expression(item.template, item.args, item.lazy)
            if item.keep or uses.get(item.target) != 1:
                flush()
                out.append(f"{indent}{item.target} = {expr}")
            else:
                pending.append((item.target, expr, nesting))
        final = ""
        if last is not None:
            final, _ = expression(last.template, last.args, ())
        flush()
        return final

    out: list[str] = []
    return out, block(lines, "", out, result)


def _places(template: str) -> list[int]:
    """The places of a template, in the order they are written (once each)."""
    seen: list[int] = []
    for part in template.split("{")[1:]:
        i = int(part.split("}", 1)[0])
        if i not in seen:
            seen.append(i)
    return seen


def _symbolic(*args: Any) -> bool:
    return any(isinstance(a, _Sym) for a in args)


class _Recording:
    """The namespace a formula is recorded with: SCALAR's operations, written down.

    An operation on values that do not depend on the step is SCALAR's own, done now.
    """

    is_array = False
    wide = True
    int_max: int | None = None

    def __init__(self, rec: _Recorder) -> None:
        self.rec = rec

    def __getattr__(self, name: str) -> Any:
        # an operation SCALAR has that is not written down below: not recordable
        raise Untraceable(f"the operation xp.{name}")

    def _unary(self, fn: Callable[..., Any], *args: Any) -> Any:
        # (math's functions give floats)
        return self.rec.call(fn, *args, is_float=True) if _symbolic(*args) else fn(*args)

    float_dtype = float

    def astype(self, x: Any, dtype: Any) -> Any:
        if dtype is not float:
            raise Untraceable(f"a conversion to {dtype!r}")
        if _is_float(x):
            return x
        return self.rec.to_float(x) if isinstance(x, _Sym) else float(x)

    def pow(self, a: Any, b: Any) -> Any:
        # `a ** b` is math.pow(a, b) (both are C's pow, with the same errors:
        # OverflowError), without the call, where `**` has no other meaning: for a
        # positive finite base, or a base never below 0 and a power >= 0 (a negative
        # base would give a complex number, 0 ** -1 a ZeroDivisionError)
        if type(a) is float and 0.0 < a < math.inf and isinstance(b, _Sym):
            args = self.rec._unconverted(b, a)[::-1]
        elif (
            isinstance(a, _Sym)
            and a.nonneg
            and _number(b)
            and b >= 0
            and (a.is_float or type(b) is float)
        ):  # (not an int ** an int)
            args = self.rec._unconverted(a, b)
        else:
            return self._unary(SCALAR.pow, a, b)
        return _mark(self.rec.emit("{0} ** {1}", args, True, hint="power"), False, True)

    def pow_ratio(
        self,
        base: float,
        k: Any,
        scale: int | float = 1,
        times: float = 1.0,
    ) -> Any:
        power = self.pow(base, k if scale == 1 else self.astype(k, float) / scale)  # as SCALAR's
        return power if times == 1.0 else times * power

    def floor_divide(self, a: Any, b: Any) -> Any:
        return a // b

    def remainder(self, a: Any, b: Any) -> Any:
        return a % b

    def divmod(self, a: Any, b: Any) -> Any:
        # `//` and `%` are divmod's two halves (CPython computes them alike), and two
        # operators cost less than a call and a tuple
        return a // b, a % b

    # the conditional expressions SCALAR's where/minimum/maximum/clip/since are made of
    def _either(
        self,
        template: str,
        a: Any,
        b: Any,
        args: tuple[Any, ...],
        nonneg: bool,
        lazy: tuple[int, ...] = (),
        hint: str = "v",
    ) -> _Sym:
        """A conditional expression whose value is ``a`` or ``b``."""
        out = self.rec.emit(
            template, args, _is_float(a) and _is_float(b), _plain(a, b), lazy=lazy, hint=hint
        )
        return _mark(out, _finite(a, b), nonneg)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        if not isinstance(cond, _Sym):
            return a if cond else b
        # (the arms are evaluated after the condition, one of them: never moved into it)
        return self._either(
            "{0} if {1} else {2}", a, b, (a, cond, b), _nonneg(a, b), (0, 2), "chosen"
        )

    def minimum(self, a: Any, b: Any) -> Any:
        if not _symbolic(a, b):
            return SCALAR.minimum(a, b)
        return self._either("{0} if {0} < {1} else {1}", a, b, (a, b), _nonneg(a, b), hint="least")

    def maximum(self, a: Any, b: Any) -> Any:
        if not _symbolic(a, b):
            return SCALAR.maximum(a, b)
        return self._either(
            "{0} if {0} > {1} else {1}", a, b, (a, b), _nonneg(a) or _nonneg(b), hint="greatest"
        )

    def clip(self, x: Any, low: Any, high: Any) -> Any:
        if not _symbolic(x, low, high):
            return SCALAR.clip(x, low, high)
        out = self.minimum(self.maximum(x, low), high)  # SCALAR's clip, in two steps
        if isinstance(out, _Sym) and not _symbolic(low, high) and _finite(low, high):
            # `x if x > low else low` is never NaN or -inf (NaN > low is false), and
            # `y if y < high else high` then neither NaN nor inf: finite bounds, finite
            out.finite = True
        return out

    def since(self, step: Any, start: Any) -> Any:
        if not _symbolic(step, start):
            return SCALAR.since(step, start)
        out = self.rec.emit(
            "{0} - {1} if {0} > {1} else 0", (step, start), False, _plain(step, start), hint="since"
        )
        return _mark(out, _finite(step, start), True)

    # -- tables and branches --------------------------------------------------------------
    def table(self, values: Sequence[Any], like: Any = None, rounding: int = 0) -> Any:
        return SCALAR.table(values, None, rounding)

    def searchsorted(self, x1: Sequence[Any], x2: Any, *, side: str = "left") -> Any:
        if not isinstance(x2, _Sym):
            return SCALAR.searchsorted(x1, x2, side=side)
        out = self.rec.call(
            bisect.bisect_right if side == "right" else bisect.bisect_left, x1, x2, plain=True
        )
        return _mark(out, True, True)  # (an index)

    def take(self, table: Sequence[Any], index: Any) -> Any:
        if not isinstance(index, _Sym):
            return table[index]
        floats = all(type(e) is float for e in table)
        name = self.rec.constant(table)
        out = self.rec.emit(f"{name}[{{0}}]", (index,), floats, _plain(*table), hint="entry")
        return _mark(out, _finite(*table), _nonneg(*table))

    def switch(self, index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
        if not isinstance(index, _Sym):
            return branches[index](*operands)
        return self.rec.branches(index, branches, operands)

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


# the texts registered in `linecache`, by file name
_FILES: dict[str, str] = {}


def _filename(name: str, source: str) -> str:
    """``"<lrkit NAME>"``, or ``"<lrkit NAME #2>"``, ... for another text of that name."""
    n = 1
    while True:
        filename = f"<lrkit {name}>" if n == 1 else f"<lrkit {name} #{n}>"
        if _FILES.setdefault(filename, source) == source:
            return filename
        n += 1


@functools.lru_cache(maxsize=256)
def _maker(source: str, name: str = "formula") -> Callable[..., Any]:
    """The compiled ``_make`` of ``source``: schedules of one structure share it (the
    text holds no constant: they are ``_make``'s arguments).

    The text is registered in :mod:`linecache` under ``"<lrkit NAME>"`` (as
    :mod:`dataclasses` and attrs do for the methods they write), so that tracebacks,
    debuggers and :func:`inspect.getsource` show it.
    """
    filename = _filename(name, source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    # (the usual builtins: tracers such as torch.compile's expect them; the text uses none)
    namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": __name__}
    exec(compile(source, filename, "exec"), namespace)  # our text: see above
    return namespace["_make"]


def _names(compute: Callable[[Any, Any], Any]) -> dict[int, str]:
    """Names for the constants of a schedule's formula: its attributes, by identity (a
    number or a table of the config is passed on as the same object; 0, 1 and -1 are
    left out, being everyone's)."""
    schedule = getattr(compute, "__self__", None)
    try:
        attrs = vars(schedule)
    except TypeError:
        return {}
    return {
        id(value): attr
        for attr, value in attrs.items()
        if type(value) in (float, tuple) or (type(value) is int and value not in (-1, 0, 1))
    }


def _record(compute: Callable[[Any, Any], Any]) -> tuple[_Recorder, bool, list[str], str]:
    """The recorder (its constants), whether the result is known to be finite, the
    function's lines and the result's expression."""
    rec = _Recorder(_names(compute))
    try:
        out = compute(_Recording(rec), _mark(_Sym("step", rec, plain=True), True, True))
        # the caller takes a float: the conversion is part of the function
        convert = "{0}" if _is_float(out) else f"{rec.constant(float)}({{0}})"
        result = _Line("", convert, [rec.ref(out)])
        finite = _finite(out)  # (float() of a finite number is finite, or raises)
    except Untraceable:
        raise
    except Exception as exc:  # the formula failed on a symbol: it cannot be recorded
        raise Untraceable(f"{type(exc).__name__}: {exc}") from None
    if rec._count > MAX_LINES:
        raise Untraceable(f"{rec._count} lines")
    return (rec, finite, *_render(rec.lines, result))


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
    name: str = "formula",
) -> tuple[Callable[[Any], float], Callable[[Any], float]]:
    """A schedule's ``__call__`` and its formula for Python numbers, recorded.

    The first is ``LearningRateSchedule._call`` with the formula written in: for an
    ``int`` step >= 0 it computes the rate and checks that it is finite (else
    ``overflow(step)`` is raised, as for an ``OverflowError`` of the formula); any
    other step goes to ``other(step)``. The second is the formula alone (as
    :func:`straight_line` gives it). Their text is shown under ``"<lrkit NAME>"``
    (e.g. ``"<lrkit ExponentialDecay>"``) in tracebacks and by :func:`inspect.getsource`.
    """
    rec, finite, lines, result = _record(compute)
    name = name if name.isidentifier() else "formula"  # (it is written into the text)
    k = rec.constant
    is_int, zero = f"{k(type)}(step) is {k(int)}", k(0)
    caught = [
        "            except _OverflowError:",
        "                raise _overflow(step) from None",
    ]
    # a result known to be finite (a value of a table, ...) is returned as it is
    check = (
        [f"                return {result}", *caught]
        if finite
        else [
            f"                out = {result}",
            *caught,
            f"            if out - out == {k(0.0)}:  # inf - inf and nan - nan are nan",
            "                return out",
            "            raise _overflow(step)",
        ]
    )
    names = ", ".join(rec.constant_names)  # (all named by now)
    source = "\n".join(
        [
            f"# {name}: its formula for a Python-number step, recorded (lrkit.core.fastpath)",
            f"def _make({names}, _other, _overflow, _OverflowError):",
            "    def call(step):",
            f"        if {is_int} and step >= {zero}:",
            "            try:",
            *(f"                {line}" for line in lines),
            *check,
            "        return _other(step)",
            "    def formula(step):",
            *(f"        {line}" for line in lines),
            f"        return {result}",
            "    return call, formula",
            "",
        ]
    )
    fns: tuple[Callable[[Any], float], Callable[[Any], float]] = _maker(source, name)(
        *rec.constants, other, overflow, OverflowError
    )
    return fns
