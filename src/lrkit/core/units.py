r"""Lengths in epochs or as a fraction of the run, and schedules bound to a run.

Every length argument of a schedule (a warmup, a decay, a cycle, a boundary, a
milestone, an offset: each class lists its own in ``_length_args``) takes a step
count, as always, or a length whose step count is known only once the run is:

* ``"3ep"`` or :func:`epochs` ``(3)``: that many epochs, :math:`n \cdot E` steps for
  :math:`E` steps per epoch;
* ``"10%"``, ``"12.5%"``, ``"100/3%"`` or :func:`fraction` ``(1, 8)``: that fraction
  of the run, :math:`f \cdot N` steps for a run of :math:`N` steps.

The number is read as the exact rational it is written as (``"12.5%"`` is
:math:`1/8`, ``"0.1ep"`` is :math:`1/10` of an epoch), and a fractional step count
is rounded up, :math:`\lceil q \rceil` of the exact product, the rule
``WarmupStableDecay``'s ``warmup_fraction`` and ``decay_fraction`` use. A schedule
given any such length (or holding a schedule given one) is an :class:`Unbound`
schedule: it has the class's config (with the lengths written as given), ``repr``,
equality and serialized form, and :meth:`Unbound.bind` builds the schedule itself
once the run is known. Calling it raises :class:`UnboundError`.

>>> import lrkit
>>> s = lrkit.CosineDecay(1.0, decay_steps="90%", warmup_target=2.0, warmup_steps="1ep")
>>> s
CosineDecay(initial_learning_rate=1.0, decay_steps='90%', warmup_target=2.0, warmup_steps='1ep')
>>> s.bind(total_steps=10_000, steps_per_epoch=250)
CosineDecay(initial_learning_rate=1.0, decay_steps=9000, warmup_target=2.0, warmup_steps=250)
"""

from __future__ import annotations

import math
import numbers
import re
from typing import TYPE_CHECKING, Any, ClassVar

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule

if TYPE_CHECKING:
    from fractions import Fraction

#: the two units: epochs, and percent of the run
EPOCHS = "ep"
PERCENT = "%"

_SYNTAX = re.compile(
    r"\s*(?P<num>\d+(?:\.\d*)?|\.\d+)(?:\s*/\s*(?P<den>\d+))?\s*(?P<unit>ep|%)\s*\Z"
)

# runs with which an unbound schedule is built once at construction, to check its
# other arguments then: an error that reads the same under both does not depend on the run
_TRIALS = ((1_000_000, 1_000), (1_000, 1))


class UnboundError(ValueError):
    """A schedule with lengths in epochs or fractions of the run was used before
    :meth:`Unbound.bind` gave it the run."""


class Length:
    r"""A length in epochs or as a fraction of the run: :func:`epochs`, :func:`fraction`,
    or a string such as ``"3ep"`` or ``"12.5%"`` read by :func:`parse`.

    :math:`q` epochs are :math:`\lceil q E \rceil` steps, a fraction :math:`q` of the
    run :math:`\lceil q N \rceil` steps (:meth:`steps`).

    Args:
        value: Fraction >= 0: the epochs, or the fraction of the run (1 is all of it).
        unit: ``"ep"`` or ``"%"``.
        text: str: how it is written in a config.

    >>> Length.__name__, str(epochs(3)), str(fraction(1, 8))
    ('Length', '3ep', '12.5%')
    """

    __slots__ = ("text", "unit", "value")
    # marks a length for `LearningRateSchedule.__new__` without importing this module
    _lrkit_length: ClassVar[bool] = True

    def __init__(self, value: Fraction, unit: str, text: str) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "text", text)

    value: Fraction
    unit: str
    text: str

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Length is immutable.")

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        if self.unit == EPOCHS:
            return f"lrkit.epochs({_number(self.value)})"
        q = self.value
        return f"lrkit.fraction({q.numerator}, {q.denominator})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Length):
            return NotImplemented
        return (self.unit, self.value) == (other.unit, other.value)

    def __hash__(self) -> int:
        return hash((Length, self.unit, self.value))

    def __reduce__(self) -> Any:
        return (parse, (self.text,))

    @property
    def needs(self) -> str:
        """The :meth:`Unbound.bind` argument this length needs.

        >>> epochs(2).needs, fraction(1, 2).needs
        ('steps_per_epoch', 'total_steps')
        """
        return "steps_per_epoch" if self.unit == EPOCHS else "total_steps"

    def steps(self, total_steps: int | None, steps_per_epoch: int | None) -> int:
        r"""The step count: :math:`\lceil q E \rceil` or :math:`\lceil q N \rceil`, exactly.

        Args:
            total_steps: int > 0 or None (:math:`N`).
            steps_per_epoch: int > 0 or None (:math:`E`).

        >>> epochs("2.5").steps(None, 3), fraction(1, 3).steps(10, None)
        (8, 4)
        """
        per = steps_per_epoch if self.unit == EPOCHS else total_steps
        if per is None:
            raise UnboundError(f"A length of {self.text!r} needs bind({self.needs}=...).")
        return math.ceil(self.value * per)


def epochs(n: Any) -> Length:
    r"""A length of ``n`` epochs: :math:`\lceil n E \rceil` steps for :math:`E` steps per
    epoch, written ``"<n>ep"`` in a config.

    Args:
        n: number >= 0 (an int, a float read as the decimal it prints as, a
            ``Fraction``, or a decimal string such as ``"2.5"``).

    >>> import lrkit
    >>> lrkit.epochs(3), str(lrkit.epochs(2.5)), lrkit.epochs(3).steps(None, 100)
    (lrkit.epochs(3), '2.5ep', 300)
    """
    q = _rational("n", n)
    return Length(q, EPOCHS, f"{_written(q)}ep")


def fraction(numerator: Any, denominator: int = 1) -> Length:
    r"""A fraction ``numerator / denominator`` of the run: :math:`\lceil f N \rceil`
    steps for a run of :math:`N` steps, written as a percentage (``"12.5%"``) in a config.

    Args:
        numerator: number >= 0 (as :func:`epochs` reads it).
        denominator: int > 0.

    >>> import lrkit
    >>> str(lrkit.fraction(1, 8)), str(lrkit.fraction(1, 3)), lrkit.fraction(1, 8).steps(100, None)
    ('12.5%', '100/3%', 13)
    """
    q = _rational("numerator", numerator)
    if isinstance(denominator, bool) or not isinstance(denominator, numbers.Integral):
        raise TypeError(
            "Argument `denominator` must be an int, not "
            f"{type(denominator).__name__}. Received: denominator={v.shown(denominator)}."
        )
    if denominator <= 0:
        raise ValueError(
            f"Argument `denominator` must be > 0. Received: denominator={denominator!r}."
        )
    q = q / int(denominator)
    return Length(q, PERCENT, f"{_written(q * 100)}%")


def parse(text: str) -> Length:
    """The :class:`Length` a string spells: ``"<q>ep"`` or ``"<q>%"``, with ``q`` a
    decimal (``3``, ``2.5``, ``.5``) or a ratio of two (``100/3``), read exactly.

    Args:
        text: str.

    >>> parse("12.5%").value, parse("100/3%").value, parse("3ep").value
    (Fraction(1, 8), Fraction(1, 3), Fraction(3, 1))
    """
    from fractions import Fraction

    m = _SYNTAX.match(text) if isinstance(text, str) else None
    if m is None or (m["den"] is not None and int(m["den"]) == 0):
        raise ValueError(
            "A length must be a step count, or a string such as '3ep' (epochs) or '10%' "
            f"(of the run). Received: {v.shown(text)}."
        )
    q = Fraction(m["num"])
    if m["den"] is not None:
        q /= int(m["den"])
    if m["unit"] == PERCENT:
        q /= 100
    return Length(q, m["unit"], text.strip())


def is_length_text(value: Any) -> bool:
    """Whether ``value`` is a string spelling a length (see :func:`parse`).

    >>> is_length_text("3ep"), is_length_text("3 ep"), is_length_text("three")
    (True, True, False)
    """
    m = _SYNTAX.match(value) if isinstance(value, str) else None
    return m is not None and (m["den"] is None or int(m["den"]) != 0)


def _rational(name: str, value: Any) -> Fraction:
    from fractions import Fraction

    if isinstance(value, str):
        try:
            q = Fraction(value.strip())
        except ValueError:
            raise ValueError(
                f"Argument `{name}` must be a number >= 0. Received: {name}={v.shown(value)}."
            ) from None
    elif isinstance(value, float):
        v.number(name, value)
        q = Fraction(repr(value))  # the decimal the float prints as: 0.1 is 1/10
    else:
        v.number(name, value)
        q = Fraction(value)
    if q < 0:
        raise ValueError(f"Argument `{name}` must be >= 0. Received: {name}={v.shown(value)}.")
    return q


def _written(q: Fraction) -> str:
    """``q`` as a decimal when it has one (``12.5``), else as ``n/d``."""
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return f"{q.numerator}/{q.denominator}"
    places = max(twos, fives)
    if places == 0:
        return str(q.numerator)
    digits = str(q.numerator * 10**places // q.denominator).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}".rstrip("0")


def _number(q: Fraction) -> str:
    if q.denominator == 1:
        return str(q.numerator)
    text = _written(q)
    return repr(text) if "/" in text else text


# -- where a class's lengths are, and what is unresolved -------------------------------


def _as_length(value: Any) -> Length | None:
    if isinstance(value, Length):
        return value
    if is_length_text(value):
        return parse(value)
    return None


def _paths(spec: str) -> tuple[str, tuple[str, ...]]:
    """``"knots[][0]"`` -> ``("knots", ("[]", "0"))``: a name, then list positions."""
    name, bracket, rest = spec.partition("[")
    parts = re.findall(r"\[(\d*)\]", bracket + rest)
    return name, tuple(p or "[]" for p in parts)


def _map(value: Any, parts: tuple[str, ...], fn: Any) -> Any:
    """``value`` with ``fn`` applied at the positions ``parts`` name (lists kept as lists)."""
    if not parts:
        return fn(value)
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return value
    head, rest = parts[0], parts[1:]
    if head == "[]":
        return [_map(item, rest, fn) for item in value]
    i = int(head)
    return [_map(item, rest, fn) if k == i else item for k, item in enumerate(value)]


def _children(value: Any) -> list[Any]:
    if isinstance(value, Unbound):
        return [value]
    if isinstance(value, (list, tuple)):
        return [c for c in value if isinstance(c, Unbound)]
    return []


def _bind_child(value: Any, total: int | None, per_epoch: int | None) -> Any:
    if isinstance(value, Unbound):
        return value.bind(total_steps=total, steps_per_epoch=per_epoch)
    if isinstance(value, (list, tuple)):
        return [_bind_child(c, total, per_epoch) for c in value]
    return value


def _written_form(value: Any) -> Any:
    """An argument as a config writes it: lengths as their text, schedules serialized."""
    if isinstance(value, Length):
        return value.text
    if isinstance(value, LearningRateSchedule):
        from lrkit.core.serialization import serialize

        return serialize(value)
    if isinstance(value, (list, tuple)):
        return [_written_form(item) for item in value]
    return value


def unbound(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The :class:`Unbound` schedule ``cls(*args, **kwargs)`` is, or None when every
    length is a step count and every schedule it holds is bound (then ``cls`` builds it).
    """
    import inspect

    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)  # type: ignore[misc]
    except TypeError:
        return None  # the constructor reports it
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(arguments)))  # self
    if any(
        p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in bound.signature.parameters.values()
    ):
        return None
    lengths: dict[str, tuple[tuple[str, ...], ...]] = {}
    for spec in getattr(cls, "_length_args", ()):
        name, parts = _paths(spec)
        lengths[name] = (*lengths.get(name, ()), parts)
    unresolved: set[str] = set()

    def mark(name: str) -> Any:
        def fn(item: Any) -> Any:
            length = _as_length(item)
            if length is None:
                return item
            unresolved.add(name)
            return length

        return fn

    for name, all_parts in lengths.items():
        if name in arguments:
            for parts in all_parts:
                arguments[name] = _map(arguments[name], parts, mark(name))
    for name in getattr(cls, "_schedule_keys", ()):
        if name in arguments and _children(arguments[name]):
            unresolved.add(name)
    for name in getattr(cls, "_run_args", ()):
        if arguments.get(name) is None:
            unresolved.add(name)
    if not unresolved:
        return None
    return _unbound_class(cls)(arguments, frozenset(unresolved))


_CLASSES: dict[type, type] = {}


def _unbound_class(cls: type) -> type:
    """The :class:`Unbound` subclass for ``cls``, serialized under ``cls``'s name."""
    sub = _CLASSES.get(cls)
    if sub is None:
        from lrkit.core import registry

        sub = type(f"Unbound{cls.__name__}", (Unbound,), {"target": cls, "__module__": __name__})
        if cls in registry._SERIAL:
            registry._SERIAL[sub] = registry._SERIAL[cls]
        _CLASSES[cls] = sub
    return sub


class Unbound(LearningRateSchedule):
    """A schedule whose lengths (or whose schedules' lengths) are in epochs or fractions
    of the run: the class ``target`` with its arguments as given, bound to a run by
    :meth:`bind`.

    It has the target's config (the lengths written as given), ``repr``, equality,
    pickling and serialized form; the target's other arguments were checked when it was
    built. Calling it raises :class:`UnboundError`, naming what :meth:`bind` needs.

    Args:
        arguments: dict: every argument of the target's constructor, by name.
        unresolved: frozenset of str: the arguments that need the run.

    >>> import lrkit
    >>> s = lrkit.CosineDecay(1.0, "90%")
    >>> isinstance(s, lrkit.core.units.Unbound), s.needs
    (True, ('total_steps',))
    >>> s(0)
    Traceback (most recent call last):
    ...
    lrkit.core.units.UnboundError: CosineDecay(decay_steps='90%') needs bind(total_steps=...).
    """

    #: the schedule class this binds to
    target: ClassVar[Any] = LearningRateSchedule
    # marks an unbound schedule for `LearningRateSchedule.__new__`
    _unbound: ClassVar[bool] = True

    def __init__(self, arguments: dict[str, Any], unresolved: frozenset[str]) -> None:
        self._arguments = dict(arguments)
        self._unresolved = unresolved
        self._config = self._checked_config()
        self._freeze()

    @property
    def needs(self) -> tuple[str, ...]:
        """The :meth:`bind` arguments this schedule needs: ``"total_steps"`` and/or
        ``"steps_per_epoch"``."""
        found: set[str] = set()
        self._needs(found)
        return tuple(n for n in ("total_steps", "steps_per_epoch") if n in found)

    def _needs(self, found: set[str]) -> None:
        for name in self._unresolved:
            value = self._arguments[name]
            if name in getattr(self.target, "_run_args", ()) and value is None:
                found.add(name)

            def visit(item: Any) -> Any:
                if isinstance(item, Length):
                    found.add(item.needs)
                elif isinstance(item, Unbound):
                    item._needs(found)
                elif isinstance(item, (list, tuple)):
                    for x in item:
                        visit(x)
                return item

            visit(value)

    def bind(self, total_steps: Any = None, steps_per_epoch: Any = None) -> Any:
        """The schedule itself, for a run of ``total_steps`` steps of ``steps_per_epoch``
        steps per epoch (each needed only if a length needs it).

        Args:
            total_steps: int > 0, a length in epochs (``"90ep"``), or None.
            steps_per_epoch: int > 0 or None.
        """
        total, per_epoch = run(total_steps, steps_per_epoch)
        missing = [
            n
            for n, x in (("total_steps", total), ("steps_per_epoch", per_epoch))
            if x is None and n in self.needs
        ]
        if missing:
            raise UnboundError(self._needs_message(missing))
        return self.target(**self._resolved(total, per_epoch))

    def _resolved(self, total: int | None, per_epoch: int | None) -> dict[str, Any]:
        out = dict(self._arguments)
        for name in self._unresolved:
            value = out[name]
            if name in getattr(self.target, "_run_args", ()) and value is None:
                out[name] = {"total_steps": total, "steps_per_epoch": per_epoch}[name]
                continue
            if name in getattr(self.target, "_schedule_keys", ()):
                out[name] = _bind_child(value, total, per_epoch)
                continue

            def resolve(item: Any) -> Any:
                return item.steps(total, per_epoch) if isinstance(item, Length) else item

            for spec in getattr(self.target, "_length_args", ()):
                key, parts = _paths(spec)
                if key == name:
                    value = _map(value, parts, resolve)
            out[name] = value
        return out

    def _checked_config(self) -> dict[str, Any]:
        """The target's config from a trial build (which checks the other arguments), the
        unresolved arguments written as given. An error that two trial runs both give,
        word for word, does not depend on the run: it is raised now."""
        errors: list[BaseException] = []
        trial: Any = None
        for total, per_epoch in _TRIALS:
            try:
                trial = self.target(**self._resolved(total, per_epoch))
                break
            except (ValueError, TypeError, *v.CONSTRUCTION_ERRORS) as exc:
                errors.append(exc)
        if trial is None and len(errors) == 2:
            first, second = errors
            if type(first) is type(second) and str(first) == str(second):
                raise first
        if trial is not None and hasattr(trial, "get_config"):
            base = trial.get_config()
        else:
            base = {k: _written_form(x) for k, x in self._arguments.items()}
        return {
            k: _written_form(self._arguments[k]) if k in self._unresolved else x
            for k, x in base.items()
        }

    def _needs_message(self, missing: list[str] | tuple[str, ...]) -> str:
        shown = ", ".join(
            f"{k}={_shown_value(self._arguments[k])}" for k in self._config if k in self._unresolved
        )
        wanted = ", ".join(f"{m}=..." for m in missing)
        return f"{self.target.__name__}({shown}) needs bind({wanted})."

    # -- a schedule that cannot be called yet ---------------------------------------
    def __call__(self, step: Any = None) -> Any:
        raise UnboundError(self._needs_message(self.needs))

    _call = __call__

    def _compute(self, xp: Any, step: Any) -> Any:
        raise UnboundError(self._needs_message(self.needs))

    # -- the target's config, repr, equality ------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The target's config, with each length written as given."""
        return dict(self._config)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """The target's ``from_config`` (which gives an unbound schedule again)."""
        return cls.target.from_config(config)

    def __reduce__(self) -> Any:
        return (_from_target_config, (self.target, self.get_config()))

    def __repr__(self) -> str:
        from lrkit.core.base import _defaults, _same

        defaults = _defaults(self.target)
        parts = []
        for k, x in self._config.items():
            if k not in self._unresolved and k in defaults and _same(defaults[k], x):
                continue
            shown = self._arguments[k] if k in self._unresolved else x
            parts.append(f"{k}={_shown_value(shown)}")
        return f"{self.target.__name__}({', '.join(parts)})"


def _shown_value(value: Any) -> str:
    if isinstance(value, Length):
        return repr(value.text)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shown_value(x) for x in value) + "]"
    return repr(value)


def _from_target_config(cls: Any, config: dict[str, Any]) -> Any:
    return cls.from_config(config)


def run(total_steps: Any, steps_per_epoch: Any) -> tuple[int | None, int | None]:
    """``bind``'s two arguments, checked: whole numbers > 0 (or None); ``total_steps``
    may be a length in epochs, then resolved with ``steps_per_epoch``.

    Args:
        total_steps: int > 0, a length in epochs, or None.
        steps_per_epoch: int > 0 or None.

    >>> run("90ep", 100), run(1000, None)
    ((9000, 100), (1000, None))
    """
    per_epoch = None if steps_per_epoch is None else _count("steps_per_epoch", steps_per_epoch)
    if total_steps is None:
        return None, per_epoch
    length = _as_length(total_steps)
    if length is not None:
        if length.unit != EPOCHS:
            raise ValueError(
                "Argument `total_steps` must be a step count or a length in epochs. "
                f"Received: total_steps={v.shown(total_steps)}."
            )
        if per_epoch is None:
            raise UnboundError(
                f"total_steps={length.text!r} needs bind(steps_per_epoch=...) to count its steps."
            )
        return _count("total_steps", length.steps(None, per_epoch)), per_epoch
    return _count("total_steps", total_steps), per_epoch


def _count(name: str, value: Any) -> int:
    out = v.positive(name, value)
    if not float(out).is_integer():
        raise ValueError(f"Argument `{name}` must be a whole number. Received: {name}={value!r}.")
    return int(out)
