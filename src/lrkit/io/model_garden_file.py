"""Model Garden optimization configs: from a dict, a Config object, or a YAML/JSON file.

:func:`load` reads what ``lrkit.from_model_garden`` is given (a ``.json`` file as
JSON, any other file as YAML by :mod:`lrkit.io.yaml_safe`, all bounded by
:mod:`lrkit.io.limits`); :func:`find_section` and :func:`optimization_section` find
the ``OptimizationConfig`` in it (itself, ``optimizer_config`` or an experiment's
``trainer.optimizer_config``), as the ``lrkit`` command does too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from lrkit.core import validate as _validate
from lrkit.io import yaml_safe
from lrkit.io.json_config import parse_json
from lrkit.io.limits import MAX_FILE_BYTES, check_depth, decode_text, read_bytes

#: the keys of an ``OptimizationConfig``; only ``learning_rate`` and ``warmup`` are read
SECTIONS = ("optimizer", "ema", "learning_rate", "warmup")
#: top-level keys Model Garden keeps and ignores in some ``OptimizationConfig``
#: subclasses (the YOLO project's has ``type: Optional[str] = None``): accepted, unread
IGNORED_KEYS = ("type",)


def load(config: Any) -> tuple[Any, str | None]:
    """``(data, where)``: the document ``config`` gives, and its file (None for a dict).

    Args:
        config (Any): a dict; the path (str or os.PathLike) of a YAML or JSON file; or an
            object with Model Garden's ``as_dict()``.

    Raises:
        FormatError: a file too large, not UTF-8, not JSON or YAML, or nested too deep.
        OSError: a file that cannot be opened.

    >>> load({"learning_rate": {"type": "constant"}})
    ({'learning_rate': {'type': 'constant'}}, None)
    """
    where: str | None = None
    if isinstance(config, (str, os.PathLike)):
        where = os.fspath(config)
        text = decode_text(read_bytes(where, MAX_FILE_BYTES), where)
        if where.lower().endswith(".json"):
            data = parse_json(text, where)
        else:
            data = yaml_safe.load(text, where)
    elif not isinstance(config, Mapping) and callable(getattr(config, "as_dict", None)):
        data = config.as_dict()  # a Model Garden Config object
    else:
        data = config
    check_depth(data, where or "A Model Garden config")
    return data, where


def find_section(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``OptimizationConfig`` in ``data`` (an experiment's ``trainer.optimizer_config``,
    an ``optimizer_config``, or ``data`` itself when it has a one-of section with a
    ``type``), or None when ``data`` does not look like a Model Garden config.

    Args:
        data (Mapping): a parsed document.

    >>> find_section({"trainer": {"optimizer_config": {"learning_rate": {}}}})
    {'learning_rate': {}}
    >>> find_section({"class_name": "CosineDecay"}) is None
    True
    """
    trainer = data.get("trainer")
    if isinstance(trainer, Mapping) and isinstance(trainer.get("optimizer_config"), Mapping):
        return trainer["optimizer_config"]
    if isinstance(data.get("optimizer_config"), Mapping):
        return data["optimizer_config"]
    if any(
        isinstance(data.get(key), Mapping) and "type" in data[key]
        for key in ("learning_rate", "warmup", "optimizer")
    ):
        return data
    return None


def optimization_section(data: Any, where: str | None = None) -> Mapping[str, Any]:
    """The ``OptimizationConfig`` ``from_model_garden`` reads in ``data``: ``data`` itself,
    or its ``trainer`` / ``optimizer_config`` section. Its keys are checked (the
    ``OptimizationConfig``'s, and those Model Garden keeps and ignores,
    :data:`IGNORED_KEYS`), and a YAML tag inside it is refused.

    Args:
        data (Any): a parsed document (a dict).
        where (str | None): the file it came from, for messages.

    >>> optimization_section({"trainer": {"optimizer_config": {"type": None}}})
    {'type': None}
    """
    if isinstance(data, yaml_safe.Tagged):
        yaml_safe.refuse_tags(data, where, "the optimization section")
    if not isinstance(data, Mapping):
        raise TypeError(
            "A Model Garden optimization config must be a dict (or the path of a YAML or "
            f"JSON file holding one). Received: {type(data).__name__}."
        )
    # an experiment config, or its trainer section
    if "trainer" in data and "learning_rate" not in data:
        data = section_dict(data["trainer"], "trainer", where)
    if "optimizer_config" in data and "learning_rate" not in data:
        data = section_dict(data["optimizer_config"], "optimizer_config", where)
    allowed = (*SECTIONS, *IGNORED_KEYS)
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise ValueError(
            f"Unknown key {_validate.shown(unknown[0])} in a Model Garden optimization config. "
            f"Allowed: {', '.join(repr(k) for k in allowed)}."
        )
    yaml_safe.refuse_tags(data, where, "the optimization section")
    for key in IGNORED_KEYS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"`{key}` must be a string or None, not {type(value).__name__}. "
                f"Received: {key}={_validate.shown(value)}."
            )
    return data


def section_dict(value: Any, name: str, where: str | None = None) -> Mapping[str, Any]:
    """A config section: a dict, or ``{}`` for None (Model Garden's unset section).

    Args:
        value (Any): the section's value.
        name (str): its name (``"learning_rate.cosine"``), for the message.
        where (str | None): the file, for a tag's message.

    >>> section_dict(None, "warmup"), section_dict({"type": None}, "warmup")
    ({}, {'type': None})
    >>> section_dict(5, "learning_rate")
    Traceback (most recent call last):
    ...
    TypeError: `learning_rate` must be a dict. Received: int.
    """
    if isinstance(value, yaml_safe.Tagged):
        yaml_safe.refuse_tags(value, where, "the optimization section")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"`{name}` must be a dict. Received: {type(value).__name__}.")
    return value
