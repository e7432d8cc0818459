"""Argument checks shared by every schedule.

Each check raises at construction, in Keras's form:
"Argument `decay_steps` must be > 0. Received: decay_steps=0."
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Mapping
from typing import Any

Number = int | float

#: longest ``repr`` of a value shown in an error message
MAX_SHOWN = 200


class _Short(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 256:  # a huge int: its repr is slow, and refused past 4300 digits
            return f"<an int of about {int(x.bit_length() * 0.30103)} digits>"
        return repr(x)


_SHORT = _Short()
_SHORT.maxlevel = 4
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 12
_SHORT.maxstring = _SHORT.maxother = 120


def shown(value: Any) -> str:
    """``repr(value)`` for an error message: bounded in length and nesting depth."""
    if isinstance(value, (list, tuple, dict, set, frozenset, str, bytes, int)):
        text = _SHORT.repr(value)
    else:
        try:
            text = repr(value)
        except (RecursionError, ValueError):
            text = f"<{type(value).__name__}>"
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def nesting(value: Any, limit: int, what: str) -> None:
    """Refuses ``value`` if its dicts and lists nest more than ``limit`` deep (or in a cycle).

    Iterative, so that a hostile config is refused before anything recursive sees it.
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth >= limit:
            raise ValueError(f"{what} nests lists and dicts more than {limit} levels deep.")
        stack.extend(
            (c, depth + 1)
            for c in children
            if not isinstance(c, _LEAVES) and isinstance(c, (dict, list, tuple, Mapping))
        )


_LEAVES = (str, int, float, type(None))


#: what a constructor may raise on a malformed argument besides ValueError and TypeError
#: (e.g. a value beyond float64's range, or a dict where a pair was expected)
CONSTRUCTION_ERRORS = (ArithmeticError, LookupError, AttributeError)


def construction_error(what: str, exc: BaseException) -> ValueError | TypeError:
    """The ``ValueError`` (an arithmetic error) or ``TypeError`` (a malformed value) a
    loader raises for ``exc``, one of :data:`CONSTRUCTION_ERRORS`, from building ``what``."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, ArithmeticError):
        return ValueError(f"{what}: a value is beyond float64's range or domain ({detail}).")
    return TypeError(f"{what}: a malformed value ({type(exc).__name__}: {shown(detail)}).")


def _received(name: str, value: Any) -> str:
    return f"Received: {name}={shown(value)}."


def number(name: str, value: Any) -> Number:
    """A finite real number, returned as a Python `int` or `float`.

    NumPy scalars become the Python number of the same kind. `bool` is refused:
    `True` is never a learning rate.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"Argument `{name}` must be a real number, not "
            f"{type(value).__name__}. {_received(name, value)}"
        )
    if isinstance(value, numbers.Integral):
        out_int = int(value)
        try:
            float(out_int)
        except OverflowError:
            raise ValueError(
                f"Argument `{name}` must be finite (at most 1.8e308 in magnitude). "
                f"{_received(name, value)}"
            ) from None
        return out_int
    try:
        out = float(value)
    except OverflowError:  # e.g. a Fraction beyond float64's range
        out = math.inf
    if not math.isfinite(out):
        raise ValueError(f"Argument `{name}` must be finite. {_received(name, value)}")
    return out


def positive(name: str, value: Any) -> Number:
    out = number(name, value)
    if out <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. {_received(name, value)}")
    return out


def nonnegative(name: str, value: Any) -> Number:
    out = number(name, value)
    if out < 0:
        raise ValueError(f"Argument `{name}` must be >= 0. {_received(name, value)}")
    return out


def optional_number(name: str, value: Any) -> Number | None:
    return None if value is None else number(name, value)


def boolean(name: str, value: Any) -> bool:
    if type(value) is bool:
        return value
    if type(value).__name__ == "bool_":  # numpy.bool_, without importing numpy
        return bool(value)
    raise TypeError(
        f"Argument `{name}` must be a bool, not {type(value).__name__}. {_received(name, value)}"
    )


def schedule_name(value: Any, default: str) -> str:
    """Keras's `name` argument; `None` (tf.keras 2 configs) means the default."""
    if value is None:
        return default
    if not isinstance(value, str):
        raise TypeError(
            f"Argument `name` must be a string or None, not {type(value).__name__}. "
            f"{_received('name', value)}"
        )
    return value


def number_list(name: str, value: Any) -> tuple[Number, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(
            f"Argument `{name}` must be a list of numbers, not "
            f"{type(value).__name__}. {_received(name, value)}"
        )
    return tuple(number(f"{name}[{i}]", v) for i, v in enumerate(value))


def as_exact(value: Number) -> Number:
    """An integral float becomes an `int`, so discrete logic uses integer arithmetic."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def at_most(name: str, value: Number, limit: Number) -> Number:
    """``value`` (already checked), refused above ``limit``."""
    if value > limit:
        raise ValueError(f"Argument `{name}` must be <= {limit:g}. {_received(name, value)}")
    return value


def increasing(name: str, values: tuple[Number, ...]) -> tuple[Number, ...]:
    """``values`` (already checked numbers), refused unless strictly increasing."""
    for i in range(1, len(values)):
        if not values[i - 1] < values[i]:
            raise ValueError(
                f"Argument `{name}` must be strictly increasing. Received: "
                f"{name}[{i - 1}]={values[i - 1]!r}, {name}[{i}]={values[i]!r}."
            )
    return values


def positive_int(name: str, value: Any) -> int:
    """``value``, an ``int`` (NumPy integers too, never a ``bool``) > 0.

    A wrong type is refused like a wrong value, with ``ValueError``: "Argument
    `max_bytes` must be an int > 0. Received: max_bytes=0."
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"Argument `{name}` must be an int > 0. {_received(name, value)}")
    return int(value)
