"""Checks for the schedules a composition holds."""

from __future__ import annotations

from typing import Any

from lrkit.core.base import LearningRateSchedule


def child(name: str, value: Any) -> Any:
    """A schedule argument: an lrkit schedule or any callable of the step."""
    if isinstance(value, LearningRateSchedule) or callable(value):
        if isinstance(value, type):
            raise TypeError(
                f"Argument `{name}` must be a schedule instance, not the class "
                f"{value.__name__}. Received: {name}={value!r}."
            )
        return value
    raise TypeError(
        f"Argument `{name}` must be a schedule (a callable of the step), not "
        f"{type(value).__name__}. Received: {name}={value!r}."
    )


STEP_MODES = ("local", "global")


def check_step_mode(value: Any) -> str:
    if value not in STEP_MODES:
        raise ValueError(
            f"Argument `step_mode` must be one of {STEP_MODES}. Received: step_mode={value!r}."
        )
    return str(value)
