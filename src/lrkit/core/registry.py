"""The registry of schedule classes that configs may name.

Loading a config looks class names up here and nowhere else: nothing named in a
config is ever imported or evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T", bound=type)

#: the ``module`` a Keras schedule config names, and that lrkit writes for Keras's classes
KERAS_MODULE = "keras.optimizers.schedules"

# registered key (a class name, or "package>name") -> class
_BY_KEY: dict[str, type] = {}
# class -> (module, class_name, registered_name) as written by `serialize`
_SERIAL: dict[type, tuple[str | None, str, str | None]] = {}
#: lrkit's own classes: immutable once built, and their formulas use only the namespace
_OWN: set[type] = set()


def builtin(module: str = KERAS_MODULE) -> Callable[[T], T]:
    """Registers one of lrkit's own classes under its class name."""

    def register(cls: T) -> T:
        old = _BY_KEY.get(cls.__name__)
        if old is not None and old is not cls:
            raise RuntimeError(f"two schedule classes are named {cls.__name__!r}")
        _BY_KEY[cls.__name__] = cls
        _SERIAL[cls] = (module, cls.__name__, None)
        _OWN.add(cls)
        return cls

    return register


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable[[T], T]:
    """Registers a user's schedule class, as ``keras.saving.register_keras_serializable``.

    The class is saved with ``registered_name="package>name"`` and loaded back by
    :func:`lrkit.deserialize` under that name (or under its bare class name).

    >>> import lrkit
    >>> @lrkit.register_serializable(package="my_project")
    ... class Halving(lrkit.LearningRateSchedule):
    ...     def __init__(self, rate):
    ...         self.rate = rate
    ...     def __call__(self, step):
    ...         return self.rate / 2 ** (step // 100)
    ...     def get_config(self):
    ...         return {"rate": self.rate}
    >>> lrkit.serialize(Halving(0.5))["registered_name"]
    'my_project>Halving'
    >>> lrkit.deserialize(lrkit.serialize(Halving(0.5)))(250)
    0.125
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            f"Argument `package` must be a string without '>'. Received: package={package!r}."
        )

    def register(cls: T) -> T:
        if not isinstance(cls, type) or not callable(getattr(cls, "get_config", None)):
            raise TypeError(
                "register_serializable takes a class with a `get_config` method. "
                f"Received: {cls!r}."
            )
        key = f"{package}>{name or cls.__name__}"
        old = _BY_KEY.get(key)
        if old is not None and (old.__module__, old.__qualname__) != (
            cls.__module__,
            cls.__qualname__,
        ):
            raise ValueError(
                f"{key!r} is already registered to {old.__module__}.{old.__qualname__}."
            )
        _BY_KEY[key] = cls
        _SERIAL[cls] = (cls.__module__, cls.__name__, key)
        return cls

    return register


def serial_info(cls: type) -> tuple[str | None, str, str | None]:
    """``(module, class_name, registered_name)`` to write for ``cls``."""
    try:
        return _SERIAL[cls]
    except KeyError:
        raise ValueError(
            f"{cls.__qualname__} is not registered, so it cannot be serialized by name: "
            "decorate it with @lrkit.register_serializable()."
        ) from None


def lookup(
    class_name: Any,
    registered_name: Any = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> type:
    """The class a config names: ``custom_objects`` first, then the registry."""
    if not isinstance(class_name, str):
        from lrkit.core.validate import shown

        raise TypeError(f"`class_name` must be a string. Received: class_name={shown(class_name)}.")
    keys = [k for k in (registered_name, class_name) if isinstance(k, str)]
    if custom_objects:
        for key in keys:
            if key in custom_objects:
                return custom_objects[key]
    for key in keys:
        cls = _BY_KEY.get(key)
        if cls is not None:
            return cls
    # a user class registered as "package>Name" may be named by its bare class name
    matches = [c for k, c in _BY_KEY.items() if k.rpartition(">")[2] == class_name]
    if len(matches) == 1:
        return matches[0]
    short = class_name if len(class_name) <= 80 else class_name[:80] + "..."
    raise ValueError(
        f"Unknown learning rate schedule: {short!r}. Known schedules: "
        f"{', '.join(sorted(k for k in _BY_KEY if '>' not in k))}. Register your own "
        "with @lrkit.register_serializable() or pass it in `custom_objects`."
    )


def known() -> dict[str, type]:
    """Every registered class, by the key configs name it with."""
    return dict(_BY_KEY)
