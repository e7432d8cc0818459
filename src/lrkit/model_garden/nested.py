"""Reading the schedule nested in Model Garden's warmup configs.

Model Garden's ``LinearWarmup.get_config()`` and ``PolynomialWarmUp.get_config()``
write the wrapped schedule as its bare ``get_config()`` dict, without its class. The
class can still be told when exactly one schedule has those keys (for
``ExponentialDecay`` and ``InverseTimeDecay``, which share their keys, when the
``name`` is one of theirs); otherwise reading fails rather than guess.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any, cast

from lrkit.core.base import LearningRateSchedule
from lrkit.model_garden.offset import (
    CosineDecayWithOffset,
    ExponentialDecayWithOffset,
    PiecewiseConstantDecayWithOffset,
    PolynomialDecayWithOffset,
    WithOffset,
)
from lrkit.model_garden.power import DirectPowerDecay, PowerAndLinearDecay, PowerDecayWithOffset
from lrkit.model_garden.step_cosine import StepCosineDecayWithOffset
from lrkit.model_garden.warmup import LinearWarmup, PolynomialWarmUp
from lrkit.schedules import CosineDecayRestarts, InverseTimeDecay

#: the schedules a bare config may describe. Model Garden's ``*WithOffset`` classes
#: write their Keras schedule's keys (they drop ``offset``), so those keys stand for
#: them, with offset 0.
CANDIDATES: tuple[type[LearningRateSchedule], ...] = (
    PiecewiseConstantDecayWithOffset,
    ExponentialDecayWithOffset,
    PolynomialDecayWithOffset,
    CosineDecayWithOffset,
    InverseTimeDecay,
    CosineDecayRestarts,
    DirectPowerDecay,
    PowerAndLinearDecay,
    PowerDecayWithOffset,
    StepCosineDecayWithOffset,
    LinearWarmup,
    PolynomialWarmUp,
)


def _keys(cls: type[LearningRateSchedule]) -> frozenset[str]:
    """Every key a bare config of ``cls`` may have."""
    return frozenset(k for k, _ in cls._config_attrs)


def _full(cls: type[LearningRateSchedule], keys: frozenset[str]) -> bool:
    """Whether ``keys`` are all of ``cls``'s: Model Garden's, or lrkit's with ``offset``."""
    every = _keys(cls)
    return keys == every or (issubclass(cls, WithOffset) and keys == every - {"offset"})


@functools.cache
def _required(cls: Any) -> frozenset[str]:
    params = inspect.signature(cls.__init__).parameters.values()
    return frozenset(
        p.name
        for p in params
        if p.name != "self" and p.default is inspect.Parameter.empty and p.kind != p.VAR_KEYWORD
    )


def _names(cls: type[LearningRateSchedule]) -> set[str]:
    """The names a schedule of ``cls`` carries by default."""
    out = {cls.__name__}
    default = inspect.signature(cls.__init__).parameters["name"].default
    if isinstance(default, str):
        out.add(default)
    if issubclass(cls, WithOffset):
        out.add(cls.base_lr_class.__name__)
    return out


def from_bare_config(config: Mapping[str, Any]) -> LearningRateSchedule:
    """The schedule a class-less ``get_config()`` dict describes, when only one fits.

    >>> s = from_bare_config({"initial_learning_rate": 0.1, "decay_steps": 100,
    ...                       "alpha": 0.0, "name": None})
    >>> s
    CosineDecayWithOffset(initial_learning_rate=0.1, decay_steps=100)
    >>> from_bare_config({"initial_learning_rate": 0.1, "decay_steps": 100,
    ...                   "decay_rate": 0.5, "staircase": False, "name": None})
    Traceback (most recent call last):
    ...
    ValueError: A schedule config without 'class_name' ... fits ExponentialDecayWithOffset, \
InverseTimeDecay...
    """
    keys = frozenset(config)
    fits = [c for c in CANDIDATES if _required(cast(Any, c)) <= keys <= _keys(c)]
    exact = [c for c in fits if _full(c, keys)]
    chosen = exact or fits
    if len(chosen) > 1:
        name = config.get("name")
        chosen = [c for c in chosen if name in _names(c)]
    if len(chosen) != 1:
        shown = ", ".join(c.__name__ for c in (exact or fits)) or "no known schedule"
        raise ValueError(
            "A schedule config without 'class_name' (as Model Garden's warmups write the "
            f"schedule they wrap) with keys {sorted(keys)} fits {shown}; "
            "it can be read only when exactly one schedule fits (its `name` may tell "
            "schedules with the same keys apart). Save it with lrkit.serialize, which "
            "writes the class."
        )
    cls = chosen[0]
    values = dict(config)
    if cls is ExponentialDecayWithOffset and values.get("staircase") is None:
        values["staircase"] = False  # Model Garden's config default, read as False
    return cls.from_config(values)
