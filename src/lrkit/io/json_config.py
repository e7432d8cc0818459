"""JSON configs: JSON text, Keras's serialized schedules and optimizers, lrkit's file.

* :func:`parse_json`: JSON text, bounded in nesting (:data:`lrkit.io.limits.MAX_DEPTH`);
* :func:`optimizer_rate`: the one walker of a Keras optimizer config (serialized, or
  its ``get_config()``), through ``LossScaleOptimizer`` wrappers, reading the
  legacy ``lr`` key when ``learning_rate`` is absent;
* :func:`keras_schedule`: a schedule from Keras's serialized form, unwrapping
  ``lrkit.keras.KerasSchedule``;
* :func:`lrkit_file_schedule`: the schedule of an lrkit JSON file (``dump_lrkit``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lrkit.core import validate as _validate
from lrkit.core.base import LearningRateSchedule
from lrkit.io.limits import MAX_DEPTH, MAX_WRAPPERS, FormatError, NestingError, check_depth

#: the name ``lrkit.keras.KerasSchedule`` (an lrkit schedule inside Keras) is saved under
KERAS_WRAPPER = "lrkit>KerasSchedule"
#: the format tag of an lrkit JSON file, and its version
LRKIT_FORMAT = "lrkit.schedule"
LRKIT_FORMAT_VERSION = 1


def parse_json(text: str | bytes, where: str) -> Any:
    """The document JSON ``text`` holds, nested at most :data:`MAX_DEPTH` deep.

    Args:
        text (str | bytes): JSON text (bytes are read as UTF-8).
        where (str): what the text is, for messages ("c.json", "m.keras: config.json").

    Raises:
        FormatError: not UTF-8 or not JSON; NestingError (a FormatError): nested too deep.

    >>> parse_json('{"learning_rate": 0.1}', "c.json")
    {'learning_rate': 0.1}
    >>> parse_json("[" * 101 + "]" * 101, "c.json")
    Traceback (most recent call last):
    ...
    lrkit.io.limits.NestingError: c.json nests lists and dicts more than 100 levels deep.
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        data = json.loads(text)
    except RecursionError:
        raise NestingError(
            f"{where} is not valid JSON: it nests more than {MAX_DEPTH} levels deep"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, a 5000-digit int
        raise FormatError(f"{where} is not valid JSON: {exc}") from None
    check_depth(data, where)
    return data


@dataclass(frozen=True)
class OptimizerRate:
    """What :func:`optimizer_rate` found: the schedule, the optimizer's class name (the
    innermost one), the wrappers around it (outermost first), and whether the rate is a
    constant number.

    Args:
        schedule (LearningRateSchedule): the learning rate, as a schedule.
        name (str | None): the optimizer's ``class_name``, if it has one.
        wrappers (tuple): the wrappers' class names, outermost first; at most 8.
        constant (bool): whether the rate was a number (``schedule`` is then a ``Constant``).

    >>> found = optimizer_rate({"class_name": "LossScaleOptimizer", "config": {
    ...     "inner_optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.5}}}})
    >>> found.name, found.wrappers, found.constant
    ('SGD', ('LossScaleOptimizer',), True)
    """

    schedule: LearningRateSchedule
    name: str | None
    wrappers: tuple[str | None, ...]
    constant: bool


def optimizer_rate(optimizer: Any) -> OptimizerRate:
    r"""The learning rate of a Keras optimizer config.

    ``optimizer`` is Keras's serialized optimizer (``{"class_name": ..., "config":
    {...}}``) or its ``get_config()``. A wrapper's (``inner_optimizer``) rate is its
    inner optimizer's, through :data:`lrkit.io.limits.MAX_WRAPPERS` wrappers. The rate
    is ``config["learning_rate"]``, or the legacy ``config["lr"]`` (Keras 1 and early
    tf.keras) when there is no ``learning_rate``: a serialized schedule, or a number
    :math:`\eta_0` that becomes ``Constant(float(eta_0))``.

    Args:
        optimizer (Any): a dict, as above.

    Raises:
        ValueError: a named (not configured) optimizer, no readable learning rate, or a
            schedule lrkit does not know. TypeError: a malformed number.

    >>> optimizer_rate({"class_name": "SGD", "config": {"lr": 0.0125}}).schedule
    Constant(learning_rate=0.0125)
    """
    wrappers: list[str | None] = []
    while True:
        if isinstance(optimizer, str):
            raise ValueError(
                f"The optimizer is named, not configured ({_validate.shown(optimizer)}): its "
                "learning rate is that optimizer's default, which only Keras knows."
            )
        if not isinstance(optimizer, Mapping):
            raise ValueError(
                "A serialized optimizer must be a dict with a 'config' dict. "
                f"Received: {_validate.shown(optimizer)}."
            )
        name = optimizer.get("class_name")
        name = name if isinstance(name, str) else None
        if "class_name" in optimizer or isinstance(optimizer.get("config"), Mapping):
            config = optimizer.get("config")
        else:  # get_config()'s form
            config = optimizer
        if not isinstance(config, Mapping):
            raise ValueError(
                "A serialized optimizer must be a dict with a 'config' dict. "
                f"Received: {_validate.shown(optimizer)}."
            )
        if "inner_optimizer" in config and len(wrappers) < MAX_WRAPPERS:  # LossScaleOptimizer
            wrappers.append(name)
            optimizer = config["inner_optimizer"]
            continue
        break
    lr = config["learning_rate"] if "learning_rate" in config else config.get("lr")
    if isinstance(lr, Mapping):
        return OptimizerRate(keras_schedule(lr), name, tuple(wrappers), False)
    if lr is None or isinstance(lr, str):
        raise ValueError(
            f"The optimizer {_validate.shown(name)} has no readable learning rate. "
            f"Received: learning_rate={_validate.shown(lr)}."
        )
    from lrkit.schedules.constant import Constant

    value = float(_validate.number("learning_rate", lr))
    return OptimizerRate(Constant(value), name, tuple(wrappers), True)


def is_keras_wrapper(data: Any) -> bool:
    """Whether ``data`` is a serialized ``lrkit.keras.KerasSchedule``.

    >>> is_keras_wrapper({"registered_name": "lrkit>KerasSchedule", "config": {}})
    True
    """
    if not isinstance(data, Mapping):
        return False
    names = (data.get("registered_name"), data.get("class_name"))
    return KERAS_WRAPPER in names or (
        data.get("class_name") == "KerasSchedule"
        and str(data.get("module", "")).startswith("lrkit")
    )


def keras_schedule(data: Any) -> LearningRateSchedule:
    """A schedule from Keras's serialized form, unwrapping ``lrkit.keras.KerasSchedule``
    (saved as ``{"config": {"schedule": <lrkit's serialized form>}}``).

    Args:
        data (Any): a serialized schedule (a dict, or a registered name).

    >>> keras_schedule({"registered_name": "lrkit>KerasSchedule",
    ...                 "config": {"schedule": {"class_name": "Constant",
    ...                                         "config": {"learning_rate": 0.5}}}})
    Constant(learning_rate=0.5)
    """
    from lrkit.core.serialization import deserialize

    if is_keras_wrapper(data):
        inner = data.get("config")
        if not isinstance(inner, Mapping) or "schedule" not in inner:
            raise ValueError(
                "A serialized KerasSchedule needs config={'schedule': ...}. "
                f"Received: {_validate.shown(inner)}."
            )
        return deserialize(inner["schedule"])
    return deserialize(dict(data) if isinstance(data, Mapping) else data)


def lrkit_file_schedule(data: Mapping[str, Any], where: str) -> LearningRateSchedule:
    """The schedule of an lrkit JSON file's content (``{"format": "lrkit.schedule",
    "version": 1, "schedule": ...}``).

    Args:
        data (Mapping): the file's document.
        where (str): the file, for messages.

    >>> lrkit_file_schedule({"format": "lrkit.schedule", "version": 1,
    ...     "schedule": {"class_name": "Constant", "config": {"learning_rate": 0.1}}}, "f.json")
    Constant(learning_rate=0.1)
    """
    from lrkit.core.serialization import deserialize

    version = data.get("version")
    try:
        version = _validate.positive_int("version", version)
    except ValueError:
        raise FormatError(f"{where}: an lrkit file needs an integer 'version' >= 1") from None
    if version > LRKIT_FORMAT_VERSION:
        raise FormatError(
            f"{where} is an lrkit file of format version {version}, written by a newer "
            f"lrkit (this one reads version {LRKIT_FORMAT_VERSION}); upgrade lrkit"
        )
    if "schedule" not in data:
        raise FormatError(f"{where}: an lrkit file needs a 'schedule' entry")
    return deserialize(data["schedule"])
