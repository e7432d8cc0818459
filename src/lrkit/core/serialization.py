"""`serialize` / `deserialize`, in Keras's serialized form."""

from __future__ import annotations

import contextvars
import functools
import math
from collections.abc import Mapping
from typing import Any, cast

from lrkit.core import registry
from lrkit.core import validate as _validate
from lrkit.core.base import LearningRateSchedule

_FORM_KEYS = frozenset(
    {"module", "class_name", "config", "registered_name", "build_config", "compile_config"}
)

#: deepest nesting of schedules inside schedules that :func:`deserialize` reads
MAX_NESTING = 64
#: deepest nesting of dicts and lists in a serialized schedule (each level of schedules
#: takes two or three: the serialized form, its config, a list of schedules)
MAX_CONFIG_DEPTH = 4 * MAX_NESTING


def serialize(learning_rate_schedule: Any) -> dict[str, Any]:
    """The JSON-safe form that ``keras.optimizers.schedules.serialize`` writes.

    >>> import lrkit
    >>> lrkit.serialize(lrkit.ExponentialDecay(0.1, 1000, 0.96, staircase=True))
    {'module': 'keras.optimizers.schedules', 'class_name': 'ExponentialDecay', \
'config': {'initial_learning_rate': 0.1, 'decay_steps': 1000, 'decay_rate': 0.96, \
'staircase': True, 'name': 'ExponentialDecay'}, 'registered_name': None}
    """
    module, class_name, registered_name = registry.serial_info(type(learning_rate_schedule))
    config = learning_rate_schedule.get_config()
    _check_json(config, "config")
    return {
        "module": module,
        "class_name": class_name,
        "config": config,
        "registered_name": registered_name,
    }


def deserialize(
    config: Mapping[str, Any] | str,
    custom_objects: Mapping[str, Any] | None = None,
) -> LearningRateSchedule:
    """A schedule from its serialized form.

    Reads Keras 3's form (``module``, ``class_name``, ``config``,
    ``registered_name``), tf.keras 2's (``class_name`` and ``config``, where
    ``name: None`` means the default name), and a bare class name. The class is
    looked up in ``custom_objects`` and then in lrkit's registry; the ``module``
    field is never imported.

    >>> import lrkit
    >>> s = lrkit.deserialize({"class_name": "PolynomialDecay", "config": {
    ...     "initial_learning_rate": 0.1, "decay_steps": 10000, "end_learning_rate": 0.01,
    ...     "power": 0.5, "cycle": False, "name": None}})
    >>> s
    PolynomialDecay(initial_learning_rate=0.1, decay_steps=10000, end_learning_rate=0.01, power=0.5)
    >>> s(10000)
    0.01

    A config nesting schedules more than :data:`MAX_NESTING` deep, or dicts and lists
    more than :data:`MAX_CONFIG_DEPTH` deep, is refused with ``ValueError`` (before
    anything is built); so is any value beyond float64's range.
    """
    level = _level.get()
    if level == 0:
        _validate.nesting(config, MAX_CONFIG_DEPTH, "A serialized schedule")
    elif level >= MAX_NESTING:
        raise ValueError(
            f"A serialized schedule nests schedules more than {MAX_NESTING} levels deep."
        )
    token = _level.set(level + 1)
    try:
        return _deserialize(config, custom_objects)
    finally:
        _level.reset(token)


def _deserialize(
    config: Mapping[str, Any] | str, custom_objects: Mapping[str, Any] | None
) -> LearningRateSchedule:
    if isinstance(config, str):
        cls = registry.lookup(config, custom_objects=custom_objects)
        return _build(cls, {}, custom_objects)
    if not isinstance(config, Mapping):
        raise TypeError(
            "A serialized schedule must be a dict with 'class_name' and 'config', or a "
            f"class name. Received: {type(config).__name__}."
        )
    if "class_name" not in config:
        raise ValueError(
            "A serialized schedule needs a 'class_name' key. "
            f"Received keys: {sorted(map(str, config))}."
        )
    unknown = [k for k in config if k not in _FORM_KEYS]
    if unknown:
        raise ValueError(
            f"Unknown key(s) {sorted(map(str, unknown))} in a serialized schedule; "
            f"allowed: {sorted(_FORM_KEYS)}."
        )
    registered = config.get("registered_name")
    if registered is not None and not isinstance(registered, str):
        raise TypeError(
            "`registered_name` must be a string or None. "
            f"Received: registered_name={_validate.shown(registered)}."
        )
    cls = registry.lookup(config["class_name"], registered, custom_objects)
    inner = config.get("config", {})
    if inner is None:
        inner = {}
    if not isinstance(inner, Mapping):
        raise TypeError(f"'config' must be a dict. Received: {type(inner).__name__}.")
    return _build(cls, dict(inner), custom_objects)


_custom: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "lrkit_custom_objects", default=None
)
# how many `deserialize` calls are running, one inside the other
_level: contextvars.ContextVar[int] = contextvars.ContextVar("lrkit_nesting", default=0)


def nested(value: Any) -> Any:
    """A schedule-valued config entry read back: a serialized dict (or a list of them)
    becomes a schedule, with the ``custom_objects`` of the enclosing ``deserialize``."""
    if isinstance(value, LearningRateSchedule):
        return value
    if isinstance(value, Mapping) or isinstance(value, str):
        return deserialize(value, _custom.get())
    if isinstance(value, (list, tuple)):
        return [nested(v) for v in value]
    return value


def _build(
    cls: Any, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> LearningRateSchedule:
    if not isinstance(cls, type) or not callable(getattr(cls, "from_config", None)):
        raise TypeError(f"{cls!r} is not a schedule class with `from_config`.")
    for key in config:
        if not isinstance(key, str):
            raise TypeError(f"Config keys must be strings. Received: {_validate.shown(key)}.")
    if issubclass(cls, LearningRateSchedule) and cls._config_attrs:
        allowed = [k for k, _ in cls._config_attrs]
        unknown = [k for k in config if k not in allowed]
        if unknown:
            raise ValueError(
                f"Unknown argument(s) {unknown} for {cls.__name__}; its config keys are {allowed}."
            )
        missing = [k for k in _required(cast(Any, cls)) if k not in config]
        if missing:
            raise ValueError(
                f"{cls.__name__} needs argument(s) {missing}; received {sorted(config)}."
            )
    token = _custom.set(custom_objects) if custom_objects else None
    try:
        obj = cls.from_config(config)
    except _validate.CONSTRUCTION_ERRORS as exc:  # e.g. a value float64 cannot hold
        raise _validate.construction_error(getattr(cls, "__name__", "schedule"), exc) from exc
    finally:
        if token is not None:
            _custom.reset(token)
    return obj


@functools.cache
def _required(cls: Any) -> list[str]:
    import inspect

    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [
        p.name
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


def _check_json(value: Any, where: str) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(
                f"{where} holds a non-finite number {value!r}, which JSON cannot hold."
            )
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has a non-string key {k!r}.")
            _check_json(item, f"{where}[{k!r}]")
        return
    raise TypeError(f"{where} holds {type(value).__name__}, which is not JSON-safe.")
