"""Straight-line Python functions of the step, recorded from each schedule's formula.

Run with :data:`~lrkit.core.scalar.SCALAR`, each operation of a formula (``_compute(xp,
step)``, see :mod:`lrkit.core.ops`) costs an attribute read and a call: two to four times
the formula written by hand. :func:`straight_call` runs it with a :class:`Recorder` as
``xp`` and a symbolic step (a :class:`Value`), and compiles what it did into one function
of the step. What depends only on the config is computed while recording; ``switch``
becomes an ``if``/``elif``, ``minimum``, ``since``, ... the conditional expressions
SCALAR's functions are made of; a value read once is written into the expression that
reads it; and where CPython defines them alike, ``float(v) * y`` is ``v * y``,
``math.pow(a, b)`` is ``a ** b``, ``x * 1.0`` is ``x``, and a result known finite (or
that the schedule proves finite, ``_always_finite``) needs no check
(docs/performance.md). So its results and errors are SCALAR's, bit for bit.

The text holds names, operators and the small integers of an ``if``/``elif`` chain only:
every constant is a closure variable (no value of a config becomes program text; one
structure, one compiled text). It is registered in :mod:`linecache` as ``"<lrkit
ClassName>"``, named after the schedule's attributes and what computed each value, for
tracebacks, debuggers and :func:`inspect.getsource`. What the recording cannot follow (a
Python ``if`` on the step, ``float(step)``, ...) raises :class:`Untraceable`, and the
schedule keeps the SCALAR path: recording is an optimization, never a second formula.
"""

from __future__ import annotations

import bisect
import builtins
import functools
import keyword
import linecache
import math
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from lrkit.core.ops import Branch
from lrkit.core.scalar import SCALAR

# beyond these the formula keeps the SCALAR path: an `if`/`elif` chain is a linear
# search, and Python's parser limits the nesting of blocks and of parentheses
MAX_BRANCHES = 16
MAX_DEPTH = 40
MAX_LINES = 5000
MAX_NESTING = 24

#: a value's kind: known to be a Python float, or a Python int, bool or float (None: not
#: known, such as a foreign schedule's value, perhaps a NumPy scalar)
FLOAT, NUMBER = "float", "number"
#: what is known of a value: ``(kind, finite)``
Known = tuple[str | None, bool]


class Untraceable(Exception):
    """The formula did something with the step that cannot be recorded."""


class Value:
    """A value that depends on the step: a variable of the recorded function.

    Args:
        rec: Recorder, the recording it belongs to.
        name: str, an identifier: the variable's name in the text.
        known: Known, ``(kind, finite)``: what is known of it.

    >>> rec = Recorder()
    >>> step = Value(rec, "step", (NUMBER, True))
    >>> (step + 1).name, rec.reads["step"]
    ('total', 1)
    """

    __slots__ = ("converts", "finite", "kind", "name", "rec")

    def __init__(self, rec: Recorder, name: str, known: Known = (None, False)) -> None:
        self.rec, self.name, (self.kind, self.finite) = rec, name, known
        #: for ``float(v)`` of a Python number ``v``: ``(v, the block it is computed in)``
        self.converts: tuple[Value, list[str]] | None = None

    def _untraceable(self, *args: Any) -> Any:
        raise Untraceable("a Python `if`, float(), int(), index or loop on the step")

    __bool__ = __float__ = __int__ = __index__ = __iter__ = _untraceable
    __hash__ = None  # type: ignore[assignment]

    def __neg__(self) -> Value:
        return self.rec.emit("-{0}", (self,), (self.kind, False), hint="negated")


def _operator(op: str, reflected: bool) -> Callable[[Value, Any], Any]:
    if reflected:
        return lambda a, b: a.rec.binary(op, b, a)
    return lambda a, b: a.rec.binary(op, a, b)


_ARITHMETIC = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv"}
_ARITHMETIC |= {"%": "mod", "**": "pow"}
_COMPARISONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
for _op, _name in [*_ARITHMETIC.items(), *_COMPARISONS.items()]:
    setattr(Value, f"__{_name}__", _operator(_op, False))
    if _op in _ARITHMETIC:
        setattr(Value, f"__r{_name}__", _operator(_op, True))

# names of recorded values, after what computed them
_VALUE_NAMES = {"+": "total", "-": "difference", "*": "product", "/": "ratio", "//": "quotient"}
_VALUE_NAMES |= {"%": "remainder", "**": "power", "float": "real"}
_VALUE_NAMES |= {"bisect_right": "index", "bisect_left": "index"}
# the function's own variables
_RESERVED = frozenset(("step", "out", "call", "formula", "_other", "_overflow", "_OverflowError"))
_CONSTANT_KINDS = {float: FLOAT, int: NUMBER, bool: NUMBER}


def _kind(*xs: Any) -> str | None:
    kinds = {x.kind if isinstance(x, Value) else _CONSTANT_KINDS.get(type(x)) for x in xs}
    return None if None in kinds else NUMBER if NUMBER in kinds else FLOAT


def _number(x: Any) -> bool:
    """Whether ``x`` is a finite Python number."""
    return type(x) in (int, bool) or (type(x) is float and math.isfinite(x))


def _finite(*xs: Any) -> bool:
    return all(x.finite if isinstance(x, Value) else _number(x) for x in xs)


def _known(*xs: Any) -> Known:
    """What is known of a value that is one of ``xs``."""
    return _kind(*xs), _finite(*xs)


def _symbolic(*xs: Any) -> bool:
    return any(isinstance(x, Value) for x in xs)


def _math(fn: Callable[..., float]) -> Callable[..., Any]:
    """``fn`` of :mod:`math`: called in the text where an argument depends on the step."""
    return lambda rec, *xs: rec.call(fn, *xs, known=(FLOAT, False)) if _symbolic(*xs) else fn(*xs)


class Recorder:
    """The namespace a formula is recorded with: each operation of
    :class:`~lrkit.core.ops.Ops` is written down where it depends on the step (a
    :class:`Value`), else done now by SCALAR.

    A formula is recorded twice: the first time counts how often each value is read
    (``reads``); the second, given those counts (``uses``), writes the text, where a value
    read once is written into the expression that reads it (:meth:`inline`).

    Args:
        names: dict of ``id(constant)`` -> an identifier, or None: names for constants.
        uses: Counter of value name -> reads counted the first time, or None (counting).
        unused: frozenset of the names of float() values no one reads (left out).

    >>> rec, out, text = _record(lambda xp, t: xp.minimum(xp.astype(t, float) / 4, 2.5))
    >>> rec.lines, text, dict(rec.conversions)
    (['ratio = step / c'], '(ratio if ratio < c_2 else c_2)', {'real': 'step'})
    """

    is_array = False
    wide = True
    int_max: int | None = None
    float_dtype = float

    def __init__(
        self,
        names: dict[int, str] | None = None,
        uses: Counter[str] | None = None,
        unused: frozenset[str] = frozenset(),
    ) -> None:
        self.uses, self.unused = uses, unused  # from the first time (None while counting)
        self.reads: Counter[str] = Counter()
        self.conversions: dict[str, str] = {}  # float(v) that may be left out -> v
        self.lines: list[str] = []  # the text of the block being recorded
        self.pending: list[tuple[str, str, int]] = []  # its values read once, not written
        self.constants: dict[int, tuple[str, Any]] = {}  # id -> (closure name, value)
        self.names = names or {}  # names for constants, by identity
        self.taken = set(_RESERVED)
        self.values = self.depth = 0
        self.floats: dict[int, float] = {}  # int constants as floats, one object each

    def __getattr__(self, name: str) -> Any:  # an operation not written down below
        raise Untraceable(f"the operation xp.{name}")

    # -- names and text -------------------------------------------------------------------
    def unique(self, hint: str) -> str:
        """``hint`` (an identifier), else ``hint_2``, ..., as not taken yet."""
        base = hint.strip("_") or "c"
        base = base if base.isidentifier() and not keyword.iskeyword(base) else "c"
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def constant(self, x: Any) -> str:
        """The name of the closure variable holding ``x``."""
        if isinstance(x, (list, tuple)) and _symbolic(*x):
            raise Untraceable("a table that depends on the step")
        if id(x) not in self.constants:
            hint = self.names.get(id(x)) or getattr(x, "__name__", None)
            if hint is None and type(x) in (int, float) and x in (0, 1):
                hint = "one" if x else "zero"
            self.constants[id(x)] = (self.unique(hint if type(hint) is str else "c"), x)
        return self.constants[id(x)][0]

    def ref(self, x: Any) -> str:
        if not isinstance(x, Value):
            return self.constant(x)
        if x.rec is not self:
            raise Untraceable("a value of another recording")
        return x.name

    def emit(
        self, template: str, args: Sequence[Any], known: Known, lazy: Any = (), hint: str = "v"
    ) -> Value:
        """A new variable: ``template`` with the names of ``args`` in its places (those
        at ``lazy`` places evaluated last, or not at all: a conditional's arms)."""
        self.values += 1
        name = self.unique(hint)
        self.write(name, template, [self.ref(a) for a in args], lazy)
        return Value(self, name, known)

    def write(
        self, target: str, template: str, refs: list[str], lazy: Any = (), keep: bool = False
    ) -> None:
        """``target = template.format(*refs)``, or ``target`` kept pending to be written
        into the expression that reads it (``keep``: a branch's result, always written)."""
        for i, ref in enumerate(refs):
            self.reads[ref] += template.count(f"{{{i}}}")
        if self.uses is None or target in self.unused:
            return  # (counting; or a float() no one reads, left out)
        text, nesting = self.inline(template, refs, lazy)
        if keep or self.uses[target] != 1:
            self.flush()
            self.lines.append(f"{target} = {text}")
        else:
            self.pending.append((target, text, nesting))

    def inline(self, template: str, refs: Sequence[str], lazy: Any = ()) -> tuple[str, int]:
        """``template`` with ``refs`` in its places, pending values written in where that
        keeps the order of the operations: each computed just before the operands that
        Python evaluates after it (left to right, a conditional's arms after its
        condition). The same operations in the same order, a store and a load fewer
        (parentheses are no bytecode). Returns the text and its depth of parentheses."""
        texts, nesting = list(refs), 0
        places = dict.fromkeys(int(p.split("}")[0]) for p in template.split("{")[1:])
        for i in reversed([i for i in places if i not in lazy]):  # last evaluated first
            if not any(name == refs[i] for name, _, _ in self.pending):
                continue  # a constant, the step or an assigned variable: a load
            name, text, depth = self.pending[-1]
            if name != refs[i] or depth >= MAX_NESTING:
                break
            self.pending.pop()
            texts[i], nesting = f"({text})", max(nesting, depth + 1)
        return template.format(*texts), nesting

    def flush(self) -> None:
        self.lines.extend(f"{name} = {text}" for name, text, _ in self.pending)
        self.pending.clear()

    def result(self, template: str, out: Any) -> str:
        """The text of the function's result, ``template`` of ``out``."""
        self.reads[ref := self.ref(out)] += 1
        text = self.inline(template, [ref])[0] if self.uses is not None else ""
        self.flush()
        return text

    def call(self, fn: Any, *args: Any, known: Known = (None, False)) -> Value:
        name = self.constant(fn)
        base = name.rsplit("_", 1)[0] if name[-1].isdigit() else name
        places = ", ".join(f"{{{i}}}" for i in range(len(args)))
        hint = _VALUE_NAMES.get(base, f"{base}_value")
        return self.emit(f"{name}({places})", args, known, hint=hint)

    def unconverted(self, x: Any, other: Any) -> tuple[Any, Any]:
        """``(x, other)``, ``x = float(v)`` replaced by ``v`` where ``x op other`` is ``v op
        other``: ``other`` a float, ``v`` a Python number converted in this block."""
        if isinstance(x, Value) and x.converts and x.converts[1] is self.lines:
            if type(other) is int and abs(other) <= 2**53:  # (as the operator converts it)
                other = self.floats.setdefault(other, float(other))
            if _kind(other) == FLOAT:
                return x.converts[0], other
        return x, other

    def binary(self, op: str, a: Any, b: Any) -> Any:
        kind = _kind(a, b)
        if kind == FLOAT and op in ("*", "/") and type(b) is float and b == 1.0:
            return a  # x * 1.0, 1.0 * x and x / 1.0 are x (IEEE 754: exact)
        if kind == FLOAT and op == "*" and type(a) is float and a == 1.0:
            return b
        if kind and op != "**":  # (a negative number ** a fraction is complex: not known)
            floats = op == "/" or (op not in _COMPARISONS and FLOAT in (_kind(a), _kind(b)))
            kind = FLOAT if floats else NUMBER  # (else an int, or a comparison's bool)
        else:
            kind = None
        if op in ("+", "-", "*", "/", "**"):  # operators that convert an int as float() does
            a, b = self.unconverted(a, b)
            b, a = self.unconverted(b, a)
        known = (kind, op in _COMPARISONS)  # (a bool is finite)
        return self.emit(f"{{0}} {op} {{1}}", (a, b), known, hint=_VALUE_NAMES.get(op, "test"))

    # -- the operations of Ops ------------------------------------------------------------
    floor_divide = staticmethod(operator.floordiv)
    remainder = staticmethod(operator.mod)
    exp, log, sqrt = _math(SCALAR.exp), _math(SCALAR.log), _math(SCALAR.sqrt)
    sin, cos, tanh = _math(SCALAR.sin), _math(SCALAR.cos), _math(SCALAR.tanh)

    def divmod(self, x1: Any, x2: Any) -> tuple[Any, Any]:
        return x1 // x2, x1 % x2  # (two operators cost less than a call and a tuple)

    def since(self, step: Any, start: Any) -> Any:
        if not _symbolic(step, start):
            return SCALAR.since(step, start)
        known = (_kind(step, start) and NUMBER, _finite(step, start))
        return self.emit("{0} - {1} if {0} > {1} else 0", (step, start), known, hint="since")

    def astype(self, x: Any, dtype: Any) -> Any:
        if dtype is not float:
            raise Untraceable(f"a conversion to {dtype!r}")
        if not isinstance(x, Value) or x.kind == FLOAT:
            return x if _kind(x) == FLOAT else float(x)
        out = self.call(float, x, known=(FLOAT, x.finite))
        if x.kind:  # a Python number (not a foreign value, perhaps a NumPy scalar):
            # left out where every use is an operator that converts it alike (`unconverted`)
            out.converts, self.conversions[out.name] = (x, self.lines), x.name
        return out

    def divide(self, x1: Any, x2: Any) -> Any:
        return self.astype(x1, float) / x2  # (the code of its two operations)

    def where(self, condition: Any, x1: Any, x2: Any) -> Any:
        if not isinstance(condition, Value):
            return x1 if condition else x2
        # (the arms are evaluated after the condition, one of them: never moved into it)
        args = (x1, condition, x2)
        return self.emit("{0} if {1} else {2}", args, _known(x1, x2), (0, 2), "chosen")

    def minimum(self, x1: Any, x2: Any) -> Any:
        if not _symbolic(x1, x2):
            return SCALAR.minimum(x1, x2)
        return self.emit("{0} if {0} < {1} else {1}", (x1, x2), _known(x1, x2), hint="least")

    def maximum(self, x1: Any, x2: Any) -> Any:
        if not _symbolic(x1, x2):
            return SCALAR.maximum(x1, x2)
        return self.emit("{0} if {0} > {1} else {1}", (x1, x2), _known(x1, x2), hint="greatest")

    def clip(self, x: Any, low: Any, high: Any) -> Any:
        out = self.minimum(self.maximum(x, low), high)  # SCALAR's clip, in two steps
        if isinstance(out, Value) and not _symbolic(low, high) and _finite(low, high):
            out.finite = True  # (`x if x > low else low` is never NaN: finite bounds, finite)
        return out

    def pow(self, x1: Any, x2: Any) -> Any:
        # `**` is math.pow (C's pow: an overflow is an OverflowError either way) for a positive
        # finite base (a negative one may give a complex number, 0 a ZeroDivisionError)
        if not (type(x1) is float and 0.0 < x1 < math.inf and isinstance(x2, Value) and x2.kind):
            return _math(SCALAR.pow)(self, x1, x2)
        return self.emit("{0} ** {1}", self.unconverted(x2, x1)[::-1], (FLOAT, False), hint="power")

    def pow_ratio(self, base: float, k: Any, scale: int | float = 1, times: float = 1.0) -> Any:
        if scale == 1:  # as SCALAR
            power = self.pow(base, k)
            return power if times == 1.0 else times * power
        q, f = self.divmod(k, scale)
        power = self.pow(base, q)
        return (power if times == 1.0 else times * power) * self.pow(
            base, self.astype(f, float) / scale
        )

    def table(self, values: Sequence[Any], like: Any = None, rounding: int = 0) -> Any:
        return values  # (Python numbers compare exactly)

    def searchsorted(self, x1: Sequence[Any], x2: Any, *, side: str = "left") -> Any:
        if not isinstance(x2, Value):
            return SCALAR.searchsorted(x1, x2, side=side)
        search = bisect.bisect_right if side == "right" else bisect.bisect_left
        return self.call(search, x1, x2, known=(NUMBER, True))

    def take(self, x: Sequence[Any], indices: Any) -> Any:
        if not isinstance(indices, Value):
            return x[indices]
        return self.emit(f"{self.constant(x)}[{{0}}]", (indices,), _known(*x), hint="entry")

    def switch(self, index: Any, branches: Sequence[Branch], *operands: Any) -> Any:
        """``branches[index](*operands)``: an ``if``/``elif`` chain, each branch recorded."""
        if not isinstance(index, Value) or len(branches) == 1:
            return branches[0 if isinstance(index, Value) else index](*operands)
        if len(branches) > MAX_BRANCHES or self.depth >= MAX_DEPTH:
            raise Untraceable(f"{len(branches)} branches at depth {self.depth}")
        head, outer, values, bodies = self.ref(index), (self.lines, self.pending), [], []
        self.values, self.depth, out = self.values + 1, self.depth + 1, self.unique("value")
        for branch in branches:
            self.lines, self.pending = [], []
            values.append(branch(*operands))
            if not (isinstance(values[-1], Value) or _number(values[-1])):
                raise Untraceable(f"a branch gave {values[-1]!r}")
            self.write(out, "{0}", [self.ref(values[-1])], keep=True)
            bodies.append(self.lines)
        (self.lines, self.pending), self.depth = outer, self.depth - 1
        if len(bodies) == 2:  # a boolean (or 0/1) index: the condition itself
            heads, bodies = ["if {0}:", "else:"], bodies[::-1]
        else:
            heads = ["if {0} == 0:", *(f"elif {{0}} == {i}:" for i in range(1, len(bodies) - 1))]
            heads.append("else:")
        self.reads[head] += sum("{0}" in h for h in heads)
        if self.uses is not None:
            heads = [self.inline(heads[0], [head])[0], *(h.format(head) for h in heads[1:])]
            self.flush()
            for text, body in zip(heads, bodies, strict=True):
                self.lines += [text, *(f"    {line}" for line in body)]
        return Value(self, out, _known(*values))

    def opaque(self, formula: Callable[[Any, Any], Any], step: Any) -> Any:
        """A foreign formula: called as it is, with SCALAR, at every call."""
        if not isinstance(step, Value):
            return formula(SCALAR, step)
        return self.call(formula, SCALAR, step)


def _record(compute: Callable[[Any, Any], Any]) -> tuple[Recorder, Any, str]:
    """The formula recorded (twice, see :class:`Recorder`): the recorder, the result
    and the result's text."""
    names, uses, unused = _names(compute), None, frozenset[str]()
    for _ in range(2):
        rec = Recorder(names, uses, unused)
        try:
            out = compute(rec, Value(rec, "step", (NUMBER, True)))
            # the caller takes a float: the conversion is part of the function
            convert = "{0}" if _kind(out) == FLOAT else f"{rec.constant(float)}({{0}})"
            text = rec.result(convert, out)
        except Untraceable:
            raise
        except Exception as exc:  # the formula failed on a symbol: it cannot be recorded
            raise Untraceable(f"{type(exc).__name__}: {exc}") from None
        if rec.values > MAX_LINES:
            raise Untraceable(f"{rec.values} lines")
        unused = frozenset(name for name in rec.conversions if not rec.reads[name])
        uses = rec.reads
        uses.subtract(rec.conversions[name] for name in unused)
    return rec, out, text


def _names(compute: Callable[[Any, Any], Any]) -> dict[int, str]:
    """Names for a formula's constants: its schedule's attributes, by identity."""
    attrs = getattr(getattr(compute, "__self__", None), "__dict__", {})
    return {  # (0, 1 and -1 are everyone's)
        id(v): a
        for a, v in attrs.items()
        if type(v) in (float, tuple) or (type(v) is int and v not in (-1, 0, 1))
    }


_SOURCE = """\
# {name}: its formula for a Python-number step, recorded (lrkit.core.fastpath)
def _make({closure}, _other, _overflow, _OverflowError):
    def call(step):
        if {type}(step) is {int} and step >= {zero}:
            try:
{call_body}
            except _OverflowError:
                raise _overflow(step) from None
{check}        return _other(step)
    def formula(step):
{formula_body}
    return call, formula
"""
_CHECK = """\
            if out - out == {zero}:  # inf - inf and nan - nan are nan
                return out
            raise _overflow(step)
"""
_FILES: dict[str, str] = {}  # the texts registered in `linecache`, by file name


@functools.lru_cache(maxsize=256)
def _maker(source: str, name: str = "formula") -> Callable[..., Any]:
    """The compiled ``_make`` of ``source``, registered in :mod:`linecache` (as
    :mod:`dataclasses` does) as ``"<lrkit NAME>"``, or ``"<lrkit NAME #2>"``, ..."""
    filename, n = f"<lrkit {name}>", 1
    while _FILES.setdefault(filename, source) != source:
        n += 1
        filename = f"<lrkit {name} #{n}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    # (the usual builtins: tracers such as torch.compile's expect them; the text uses none)
    namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": __name__}
    exec(compile(source, filename, "exec"), namespace)  # our text: see the module's
    return namespace["_make"]


def straight_line(compute: Callable[[Any, Any], Any]) -> Callable[[Any], float]:
    """``float(compute(SCALAR, step))`` as one straight-line function of ``step``.

    Raises :class:`Untraceable` if the formula does something that cannot be recorded.

    >>> import lrkit
    >>> s = lrkit.CosineDecay(1.0, 100, warmup_target=2.0, warmup_steps=10)
    >>> f = straight_line(s._compute)
    >>> f(5) == s._compute(SCALAR, 5), f(60) == s._compute(SCALAR, 60)
    (True, True)
    """
    return straight_call(compute, float, OverflowError)[1]  # (the formula calls neither)


def straight_call(
    compute: Callable[[Any, Any], Any],
    other: Callable[[Any], float],
    overflow: Callable[[Any], Exception],
    name: str = "formula",
    finite: bool = False,
) -> tuple[Callable[[Any], float], Callable[[Any], float]]:
    """A schedule's ``_call`` and its formula for Python numbers, recorded (as text
    ``"<lrkit NAME>"``): ``LearningRateSchedule._call`` with the formula written in (an
    ``int`` step >= 0 gives the rate, or ``overflow(step)`` raised where it is not finite;
    any other step goes to ``other``), and the formula alone (:func:`straight_line`).
    ``finite``: the schedule proves its result finite (``_always_finite``)."""
    rec, out, value = _record(compute)
    k, finite = rec.constant, finite or _finite(out)  # (a finite result is returned as it is)
    names = {"type": k(type), "int": k(int), "zero": k(0)}
    check = "" if finite else _CHECK.format(zero=k(0.0))  # (the last constant)
    source = _SOURCE.format(
        name=name if name.isidentifier() else "formula",  # (it is written into the text)
        closure=", ".join(n for n, _ in rec.constants.values()),  # (all named by now)
        call_body=_indented([*rec.lines, f"return {value}" if finite else f"out = {value}"], 16),
        check=check,
        formula_body=_indented([*rec.lines, f"return {value}"], 8),
        **names,
    )
    make = _maker(source, name)
    return make(*(c for _, c in rec.constants.values()), other, overflow, OverflowError)


def _indented(lines: list[str], indent: int) -> str:
    return "\n".join(" " * indent + line for line in lines)
