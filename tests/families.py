"""Which schedule family a test case belongs to: the module of ``lrkit/schedules/`` that
defines its class (tests/schedules/test_<family>.py holds that family's tests)."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

import lrkit


def family(value: Any) -> str | None:
    """The family of a case: a class name of lrkit, a class, an instance, or the first of a
    tuple (or pytest.param) that is one of those; None when none is."""
    if isinstance(value, str):
        value = getattr(lrkit, value, None)
        if not inspect.isclass(value):
            return None
    if isinstance(value, tuple):  # a row of a table, or a pytest.param (a tuple too)
        items = value.values if hasattr(value, "marks") else value
        for item in items:
            found = family(item)
            if found is not None:
                return found
        return None
    cls = value if inspect.isclass(value) else type(value)
    module = getattr(cls, "__module__", "") or ""
    if not module.startswith("lrkit."):
        return None
    return module.rsplit(".", 1)[-1]


def only(values: Iterable[Any], name: str, ids: Sequence[str] | None = None) -> list[Any]:
    """The cases of ``values`` in family ``name`` (with their ids from ``ids`` when given)."""
    values = list(values)
    if ids is not None:
        values = [
            v if hasattr(v, "marks") else pytest.param(*(v if isinstance(v, tuple) else (v,)), id=i)
            for v, i in zip(values, ids, strict=True)
        ]
    return [v for v in values if family(v) == name]
