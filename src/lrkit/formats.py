"""Reading a schedule out of the files people have: safely, and without any framework.

:func:`read` takes a path and finds the schedule in

* a Keras ``.keras`` file (a zip): the optimizer's ``learning_rate`` in the model's
  ``compile_config`` (only ``config.json`` is read, at most :data:`MAX_BYTES`; no
  weights, no Keras);
* a Keras JSON config: a serialized schedule (Keras 3 or tf.keras 2 form), an
  optimizer (serialized, or its ``get_config()``), or a whole model's config;
* a Model Garden optimization config, in YAML or JSON (the ``optimizer`` /
  ``learning_rate`` / ``warmup`` sections, alone or as an experiment's
  ``trainer.optimizer_config``), through :func:`lrkit.from_model_garden`;
* an lrkit JSON file (:func:`dump_lrkit`): a serialized schedule with a format tag;
* a text file holding a SPEC expression such as ``CosineDecay(0.1, 10000)``.

Each format has one reader, in :mod:`lrkit.io`, which ``lrkit.keras.read_keras_file``
and ``lrkit.from_model_garden`` use too, with the same limits
(:mod:`lrkit.io.limits`) and the same YAML policy (:mod:`lrkit.io.yaml_safe`).
Nothing a file names is imported or evaluated: schedule classes are looked up in
lrkit's registry, YAML is read as plain data (no tag builds an object), and every
file is read up to a size bound.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lrkit.core.base import LearningRateSchedule
from lrkit.io import json_config as _json
from lrkit.io import keras_file as _keras_file
from lrkit.io import limits as _limits
from lrkit.io import model_garden_file as _mg_file
from lrkit.io import yaml_safe as _yaml_safe
from lrkit.io.json_config import (
    KERAS_WRAPPER,
    LRKIT_FORMAT,
    LRKIT_FORMAT_VERSION,
    keras_schedule,
)
from lrkit.io.limits import FormatError
from lrkit.io.spec_file import looks_like_spec as _looks_like_spec

__all__ = [
    "KERAS_WRAPPER",
    "LRKIT_FORMAT",
    "LRKIT_FORMAT_VERSION",
    "MAX_BYTES",
    "FormatError",
    "Loaded",
    "dump_lrkit",
    "from_data",
    "from_text",
    "keras_schedule",
    "model_garden_section",
    "read",
]

#: the largest file (or ``config.json`` inside a ``.keras`` zip) read: lrkit.io's limit
MAX_BYTES = _limits.MAX_FILE_BYTES

_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_KERAS_SCHEDULES = "keras.optimizers.schedules"


@dataclass(frozen=True)
class Loaded:
    """A schedule, and where it came from: ``kind`` is a short description."""

    schedule: LearningRateSchedule
    kind: str


def read(path: str) -> Loaded:
    """The schedule held in the file at ``path`` (see the module's docstring)."""
    if os.path.isdir(path):
        raise FormatError(
            f"{path} is a directory; lrkit reads .keras files and JSON or YAML configs "
            "(a SavedModel directory holds no readable schedule config)"
        )
    head = _read_head(path, 8)
    if head.startswith(_ZIP_MAGIC):
        return _read_keras_zip(path)
    if head.startswith(_HDF5_MAGIC):
        raise FormatError(
            f"{path} is an HDF5 (.h5) Keras file, which lrkit does not read; "
            "save the model as .keras (model.save('model.keras'))"
        )
    try:
        raw = _limits.read_bytes(path, MAX_BYTES)
    except OSError as exc:
        raise FormatError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    return from_text(_limits.decode_text(raw, path), path)


def from_text(text: str, where: str) -> Loaded:
    """The schedule in a file's text: JSON, a SPEC expression, or YAML."""
    suffix = os.path.splitext(where)[1].lower()
    stripped = text.strip()
    if not stripped:
        raise FormatError(f"{where} is empty")
    json_error: Exception | None = None
    if suffix not in (".yaml", ".yml"):
        try:
            data = _json.parse_json(stripped, where)
        except _limits.NestingError:
            raise
        except FormatError as exc:
            if suffix == ".json":
                raise
            json_error = exc
        else:
            return from_data(data, where)
    if _looks_like_spec(stripped):
        from lrkit.spec import parse_spec

        return Loaded(parse_spec(stripped), "schedule expression")
    try:
        data = _yaml_safe.load(stripped, where)
    except ImportError as exc:
        raise FormatError(str(exc)) from None
    except FormatError:
        if json_error is not None:
            raise FormatError(
                f"{where} is neither JSON ({json_error}) nor YAML nor a schedule expression"
            ) from None
        raise
    return from_data(data, where)


def from_data(data: Any, where: str = "the config") -> Loaded:
    """The schedule a parsed JSON or YAML document holds."""
    from lrkit.core import registry
    from lrkit.core.serialization import deserialize

    if isinstance(data, str) and data in registry.known():
        return Loaded(deserialize(data), "Keras serialized schedule (by name)")
    if not isinstance(data, Mapping):
        if isinstance(data, _yaml_safe.Tagged):
            _yaml_safe.refuse_tags(data, where)
        raise FormatError(
            f"{where} holds a {_kind_of(data)}, not a schedule config (a JSON or YAML mapping)"
        )
    if _mg_file.find_section(data) is not None:
        return _from_model_garden(data, where)
    _yaml_safe.refuse_tags(data, where)  # a YAML file read as a Keras or lrkit config
    if "format" in data and data.get("format") == LRKIT_FORMAT:
        schedule = _json.lrkit_file_schedule(data, where)
        return Loaded(schedule, f"lrkit file (format {data.get('version')})")
    if isinstance(data.get("compile_config"), Mapping) or "compile_config" in data:
        return _from_model_config(data, where, "Keras model config")
    if isinstance(data.get("training_config"), Mapping):  # tf.keras 2 (h5 / to_json + compile)
        optimizer = data["training_config"].get("optimizer_config")
        return _from_optimizer(optimizer, where, "Keras model config")
    if _json.is_keras_wrapper(data):
        return Loaded(keras_schedule(data), "Keras serialized schedule (lrkit's KerasSchedule)")
    if "class_name" in data:
        class_name = data.get("class_name")
        module = data.get("module")
        if _is_schedule_name(class_name, data.get("registered_name")) or (
            isinstance(module, str) and module.startswith(_KERAS_SCHEDULES)
        ):
            return Loaded(deserialize(data), "Keras serialized schedule")
        inner = data.get("config")
        if isinstance(inner, Mapping) and (
            "learning_rate" in inner or "lr" in inner or "inner_optimizer" in inner
        ):
            return _from_optimizer(data, where, "Keras optimizer config")
        if isinstance(inner, Mapping) and ("layers" in inner or "compile_config" in inner):
            raise FormatError(
                f"{where} is a Keras model config saved without compile(): it holds no optimizer"
            )
        return Loaded(deserialize(data), "Keras serialized schedule")
    if "learning_rate" in data or "lr" in data or "inner_optimizer" in data:
        return _from_optimizer(data, where, "Keras optimizer config")
    raise FormatError(
        f"{where} holds no schedule: expected a serialized schedule, a Keras optimizer or "
        "model config, a Model Garden optimization config or an lrkit file; found keys "
        f"{_keys(data)}"
    )


# -- lrkit's own file ------------------------------------------------------------------


def dump_lrkit(schedule: LearningRateSchedule) -> dict[str, Any]:
    """An lrkit JSON file's content: ``serialize``'s form with a format tag.

    >>> import lrkit
    >>> dump_lrkit(lrkit.Constant(0.1))["schedule"]["class_name"]
    'Constant'
    """
    from lrkit._version import __version__
    from lrkit.core.serialization import serialize

    return {
        "format": LRKIT_FORMAT,
        "version": LRKIT_FORMAT_VERSION,
        "lrkit_version": __version__,
        "schedule": serialize(schedule),
    }


# -- Keras -----------------------------------------------------------------------------


def _read_keras_zip(path: str) -> Loaded:
    try:
        data = _keras_file.read_model_config(path, MAX_BYTES)
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _from_model_config(data, path, "Keras model file")


def _from_model_config(data: Any, where: str, kind: str) -> Loaded:
    optimizer = _keras_file.compiled_optimizer(data, where)
    return _from_optimizer(optimizer, where, kind)


def _from_optimizer(optimizer: Any, where: str, kind: str) -> Loaded:
    if optimizer is None:
        raise FormatError(f"{where}: the model was compiled without an optimizer")
    from lrkit.core import validate as _validate

    try:
        found = _json.optimizer_rate(optimizer)
    except FormatError:
        raise
    except (ValueError, TypeError) as exc:  # the message lrkit.keras.read_keras_file gives
        raise FormatError(f"{where}: {exc}") from None
    except _validate.CONSTRUCTION_ERRORS as exc:  # e.g. an int learning rate beyond float64
        raise FormatError(str(_validate.construction_error(where, exc))) from None
    label = f"{kind}, optimizer {found.name}" if found.name is not None else kind
    if found.constant:
        label += ", a constant learning rate"
    for wrapper in reversed(found.wrappers):
        label += f" (inside {wrapper or 'a wrapper'})"
    return Loaded(found.schedule, label)


def _is_schedule_name(class_name: Any, registered_name: Any) -> bool:
    from lrkit.core import registry

    known = registry.known()
    names = {k.rpartition(">")[2] for k in known} | set(known)
    return class_name in names or registered_name in known


# -- Model Garden ------------------------------------------------------------------------


def model_garden_section(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The optimization config (``optimizer``, ``learning_rate``, ``warmup``) in ``data``."""
    section = _mg_file.find_section(data)
    return data if section is None else section


def _from_model_garden(data: Mapping[str, Any], where: str) -> Loaded:
    import lrkit

    convert = getattr(lrkit, "from_model_garden", None)
    if convert is None:
        raise FormatError(
            f"{where} is a Model Garden optimization config; Model Garden configs need "
            "lrkit.from_model_garden, which this lrkit does not have"
        )
    section = model_garden_section(data)
    try:
        _mg_file.optimization_section(data, where)  # tags and keys, as from_model_garden
        schedule = convert(dict(section))
    except FormatError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise FormatError(f"{where}: {message}") from None
    lr = section.get("learning_rate")
    kind = "Model Garden optimization config"
    if isinstance(lr, Mapping) and isinstance(lr.get("type"), str):
        kind += f", learning_rate type {lr['type']!r}"
    warmup = section.get("warmup")
    if isinstance(warmup, Mapping) and isinstance(warmup.get("type"), str):
        kind += f", warmup type {warmup['type']!r}"
    return Loaded(schedule, kind)


# -- reading text -------------------------------------------------------------------------


def _read_head(path: str, n: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except FileNotFoundError:
        raise FormatError(f"no such file: {path!r}") from None
    except OSError as exc:
        raise FormatError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def _kind_of(value: Any) -> str:
    return {
        list: "list",
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _keys(data: Mapping[str, Any]) -> str:
    keys = sorted(map(str, data))
    shown = ", ".join(repr(k) for k in keys[:8])
    return f"[{shown}{', ...' if len(keys) > 8 else ''}]"
