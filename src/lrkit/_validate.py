"""Argument checks shared by every schedule.

Each check raises at construction, in Keras's form:
"Argument `decay_steps` must be > 0. Received: decay_steps=0."
"""

from __future__ import annotations

import math
import numbers
from typing import Any

Number = int | float


def _received(name: str, value: Any) -> str:
    return f"Received: {name}={value!r}."


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
        return int(value)
    out = float(value)
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
