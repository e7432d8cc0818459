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

Nothing a file names is imported or evaluated: schedule classes are looked up in
lrkit's registry, YAML is read with a safe loader that also refuses aliases, and
every file is read up to a size bound.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lrkit.core.base import LearningRateSchedule

#: the largest file (or ``config.json`` inside a ``.keras`` zip) read
MAX_BYTES = 16 * 2**20
#: the format tag of an lrkit JSON file, and its version
LRKIT_FORMAT = "lrkit.schedule"
LRKIT_FORMAT_VERSION = 1

_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_KERAS_SCHEDULES = "keras.optimizers.schedules"


class FormatError(ValueError):
    """A file that holds no schedule lrkit can read; the message says why, in one line."""


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
    head = _read_bytes(path, 8)
    if head.startswith(_ZIP_MAGIC):
        return _read_keras_zip(path)
    if head.startswith(_HDF5_MAGIC):
        raise FormatError(
            f"{path} is an HDF5 (.h5) Keras file, which lrkit does not read; "
            "save the model as .keras (model.save('model.keras'))"
        )
    text = _read_text(path)
    return from_text(text, path)


def from_text(text: str, where: str) -> Loaded:
    """The schedule in a file's text: JSON, a SPEC expression, or YAML."""
    suffix = os.path.splitext(where)[1].lower()
    stripped = text.strip()
    if not stripped:
        raise FormatError(f"{where} is empty")
    if suffix not in (".yaml", ".yml"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            if suffix == ".json":
                raise FormatError(f"{where} is not valid JSON: {exc}") from None
            json_error: Exception | None = exc
        except RecursionError:
            raise FormatError(f"{where} nests too deeply") from None
        else:
            return from_data(data, where)
    else:
        json_error = None
    if _looks_like_spec(stripped):
        from lrkit.spec import parse_spec

        return Loaded(parse_spec(stripped), "schedule expression")
    try:
        data = _yaml(stripped, where)
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
        raise FormatError(
            f"{where} holds a {_kind_of(data)}, not a schedule config (a JSON or YAML mapping)"
        )
    if "format" in data and data.get("format") == LRKIT_FORMAT:
        return Loaded(_from_lrkit(data, where), f"lrkit file (format {data.get('version')})")
    if isinstance(data.get("compile_config"), Mapping) or "compile_config" in data:
        return _from_model_config(data, where)
    if isinstance(data.get("training_config"), Mapping):  # tf.keras 2 (h5 / to_json + compile)
        optimizer = data["training_config"].get("optimizer_config")
        return _from_optimizer(optimizer, where, "Keras model config")
    if _is_model_garden(data):
        return _from_model_garden(data, where)
    if _is_keras_wrapper(data):
        return Loaded(keras_schedule(data), "Keras serialized schedule (lrkit's KerasSchedule)")
    if "class_name" in data:
        class_name = data.get("class_name")
        module = data.get("module")
        if _is_schedule_name(class_name, data.get("registered_name")) or (
            isinstance(module, str) and module.startswith(_KERAS_SCHEDULES)
        ):
            return Loaded(deserialize(data), "Keras serialized schedule")
        inner = data.get("config")
        if isinstance(inner, Mapping) and "learning_rate" in inner:
            return _from_optimizer(data, where, "Keras optimizer config")
        if isinstance(inner, Mapping) and ("layers" in inner or "compile_config" in inner):
            raise FormatError(
                f"{where} is a Keras model config saved without compile(): it holds no optimizer"
            )
        return Loaded(deserialize(data), "Keras serialized schedule")
    if "learning_rate" in data or "inner_optimizer" in data:
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


def _from_lrkit(data: Mapping[str, Any], where: str) -> LearningRateSchedule:
    from lrkit.core.serialization import deserialize

    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FormatError(f"{where}: an lrkit file needs an integer 'version' >= 1")
    if version > LRKIT_FORMAT_VERSION:
        raise FormatError(
            f"{where} is an lrkit file of format version {version}, written by a newer "
            f"lrkit (this one reads version {LRKIT_FORMAT_VERSION}); upgrade lrkit"
        )
    if "schedule" not in data:
        raise FormatError(f"{where}: an lrkit file needs a 'schedule' entry")
    return deserialize(data["schedule"])


# -- Keras -----------------------------------------------------------------------------


def _read_keras_zip(path: str) -> Loaded:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            try:
                info = zf.getinfo("config.json")
            except KeyError:
                raise FormatError(
                    f"{path} is a zip without config.json, so not a Keras .keras file"
                ) from None
            if info.file_size > MAX_BYTES:
                raise FormatError(
                    f"{path}: config.json is {info.file_size} bytes; at most {MAX_BYTES} are read"
                )
            with zf.open(info) as f:
                raw = f.read(MAX_BYTES + 1)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        RuntimeError,  # an encrypted member
        ValueError,
        zlib.error,  # damaged deflate data
        struct.error,
    ) as exc:
        raise FormatError(f"cannot read {path} as a .keras zip: {exc}") from None
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise FormatError(f"{path}: config.json is larger than {MAX_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise FormatError(f"{path}: config.json is not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise FormatError(f"{path}: config.json holds a {_kind_of(data)}, not a model config")
    loaded = _from_model_config(data, path)
    return Loaded(loaded.schedule, loaded.kind.replace("Keras model config", "Keras model file"))


def _from_model_config(data: Mapping[str, Any], where: str) -> Loaded:
    compile_config = data.get("compile_config")
    if not compile_config:
        raise FormatError(
            f"{where}: the model was saved without compile(), so it holds no optimizer"
        )
    if not isinstance(compile_config, Mapping):
        raise FormatError(f"{where}: compile_config is a {_kind_of(compile_config)}, not a dict")
    optimizer = compile_config.get("optimizer")
    return _from_optimizer(optimizer, where, "Keras model config")


def _from_optimizer(optimizer: Any, where: str, kind: str, depth: int = 0) -> Loaded:
    from lrkit.schedules import Constant

    if optimizer is None:
        raise FormatError(f"{where}: the model was compiled without an optimizer")
    if isinstance(optimizer, str):
        raise FormatError(
            f"{where}: the optimizer is saved by name only ({optimizer!r}), "
            "so its learning rate is that optimizer's default, not a schedule"
        )
    if not isinstance(optimizer, Mapping):
        raise FormatError(f"{where}: the optimizer is a {_kind_of(optimizer)}, not a config")
    name = optimizer.get("class_name")
    config = optimizer.get("config", optimizer) if "class_name" in optimizer else optimizer
    if not isinstance(config, Mapping):
        raise FormatError(f"{where}: the optimizer's config is a {_kind_of(config)}, not a dict")
    if "learning_rate" not in config and "inner_optimizer" in config and depth < 8:
        inner = _from_optimizer(config["inner_optimizer"], where, kind, depth + 1)
        return Loaded(inner.schedule, f"{inner.kind} (inside {name or 'a wrapper'})")
    if "learning_rate" not in config:
        legacy = config.get("lr")  # tf.keras 1 / early 2
        if legacy is None:
            raise FormatError(f"{where}: the optimizer config has no learning_rate")
        config = {"learning_rate": legacy}
    lr = config["learning_rate"]
    label = f"{kind}, optimizer {name}" if isinstance(name, str) else kind
    if isinstance(lr, (int, float)) and not isinstance(lr, bool):
        return Loaded(Constant(lr), f"{label}, a constant learning rate")
    if isinstance(lr, (Mapping, str)):
        return Loaded(keras_schedule(lr), label)
    raise FormatError(f"{where}: the optimizer's learning_rate is a {_kind_of(lr)}")


#: the name ``lrkit.keras.KerasSchedule`` (an lrkit schedule inside Keras) is saved under
KERAS_WRAPPER = "lrkit>KerasSchedule"


def _is_keras_wrapper(data: Any) -> bool:
    return isinstance(data, Mapping) and (
        data.get("registered_name") == KERAS_WRAPPER
        or (
            data.get("class_name") == "KerasSchedule"
            and str(data.get("module", "")).startswith("lrkit")
        )
    )


def keras_schedule(data: Any) -> LearningRateSchedule:
    """A schedule from Keras's serialized form, unwrapping ``lrkit.keras.KerasSchedule``
    (saved as ``{"config": {"schedule": <lrkit's serialized form>}}``)."""
    from lrkit.core.serialization import deserialize

    if _is_keras_wrapper(data):
        inner = data.get("config")
        if not isinstance(inner, Mapping) or "schedule" not in inner:
            raise FormatError(f"a serialized {KERAS_WRAPPER} needs config={{'schedule': ...}}")
        return deserialize(inner["schedule"])
    return deserialize(data)


def _is_schedule_name(class_name: Any, registered_name: Any) -> bool:
    from lrkit.core import registry

    known = registry.known()
    names = {k.rpartition(">")[2] for k in known} | set(known)
    return class_name in names or registered_name in known


# -- Model Garden ------------------------------------------------------------------------


def _is_model_garden(data: Mapping[str, Any]) -> bool:
    trainer = data.get("trainer")
    if isinstance(trainer, Mapping) and isinstance(trainer.get("optimizer_config"), Mapping):
        return True
    if isinstance(data.get("optimizer_config"), Mapping):
        return True
    return any(
        isinstance(data.get(key), Mapping) and "type" in data[key]
        for key in ("learning_rate", "warmup", "optimizer")
    )


def model_garden_section(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The optimization config (``optimizer``, ``learning_rate``, ``warmup``) in ``data``."""
    trainer = data.get("trainer")
    if isinstance(trainer, Mapping) and isinstance(trainer.get("optimizer_config"), Mapping):
        return trainer["optimizer_config"]  # type: ignore[no-any-return]
    if isinstance(data.get("optimizer_config"), Mapping):
        return data["optimizer_config"]  # type: ignore[no-any-return]
    return data


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
        schedule = convert(dict(section))
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


def _read_bytes(path: str, n: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except FileNotFoundError:
        raise FormatError(f"no such file: {path!r}") from None
    except OSError as exc:
        raise FormatError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise FormatError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise FormatError(f"{path} is larger than {MAX_BYTES} bytes; lrkit reads configs only")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{path} is not a text file (nor a .keras zip)") from None


def _looks_like_spec(text: str) -> bool:
    head = text.split("(", 1)[0].strip()
    return "(" in text and bool(head) and all(p.isidentifier() for p in head.split("."))


def _yaml(text: str, where: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise FormatError(f"reading {where} as YAML needs PyYAML (pip install pyyaml)") from None

    class _Loader(yaml.SafeLoader):
        """The safe loader, refusing aliases (a small file could expand to a huge tree)."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(f"YAML aliases are not read (line {mark.line + 1})")
            return super().compose_node(parent, index)

    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except (yaml.YAMLError, RecursionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FormatError(f"{where} is not valid YAML: {first}") from None


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
