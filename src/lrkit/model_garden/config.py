"""Model Garden's optimization configs: ``from_model_garden`` and ``to_model_garden``.

A Model Garden ``OptimizationConfig`` selects its learning rate with one-of
sections, ``learning_rate: {type: cosine, cosine: {...}}`` and optionally
``warmup: {type: linear, linear: {...}}``. ``OptimizerFactory.build_learning_rate``
builds the schedule of ``learning_rate.type`` from its section and, when a warmup
type is set, wraps it in the warmup (which then runs the schedule on the global
step). The tables below are Model Garden's, field for field, with its defaults
(``official/modeling/optimization/configs/learning_rate_config.py``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from lrkit.core import validate as _validate
from lrkit.core.base import LearningRateSchedule
from lrkit.model_garden.offset import (
    CosineDecayWithOffset,
    ExponentialDecayWithOffset,
    PiecewiseConstantDecayWithOffset,
    PolynomialDecayWithOffset,
)
from lrkit.model_garden.power import DirectPowerDecay, PowerAndLinearDecay, PowerDecayWithOffset
from lrkit.model_garden.step_cosine import StepCosineDecayWithOffset
from lrkit.model_garden.warmup import LinearWarmup, PolynomialWarmUp
from lrkit.schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

#: ``learning_rate`` types: each one's fields and defaults, in Model Garden's order
#: (a default of None means the field is required)
LR_FIELDS: dict[str, dict[str, Any]] = {
    "constant": {"name": "Constant", "learning_rate": 0.1},
    "stepwise": {"name": "PiecewiseConstantDecay", "boundaries": None, "values": None, "offset": 0},
    "exponential": {
        "name": "ExponentialDecay",
        "initial_learning_rate": None,
        "decay_steps": None,
        "decay_rate": None,
        "staircase": None,
        "offset": 0,
    },
    "polynomial": {
        "name": "PolynomialDecay",
        "initial_learning_rate": None,
        "decay_steps": None,
        "end_learning_rate": 0.0001,
        "power": 1.0,
        "cycle": False,
        "offset": 0,
    },
    "cosine": {
        "name": "CosineDecay",
        "initial_learning_rate": None,
        "decay_steps": None,
        "alpha": 0.0,
        "offset": 0,
    },
    "power": {"name": "DirectPowerDecay", "initial_learning_rate": None, "power": -0.5},
    "power_linear": {
        "name": "PowerAndLinearDecay",
        "initial_learning_rate": None,
        "total_decay_steps": None,
        "power": -0.5,
        "linear_decay_fraction": 0.1,
        "offset": 0,
    },
    "power_with_offset": {
        "name": "PowerDecayWithOffset",
        "initial_learning_rate": None,
        "power": -0.5,
        "offset": 0,
        "pre_offset_learning_rate": 1.0e6,
    },
    "step_cosine_with_offset": {
        "name": "StepCosineDecayWithOffset",
        "boundaries": None,
        "values": None,
        "offset": 0,
    },
}

#: ``warmup`` types, likewise
WARMUP_FIELDS: dict[str, dict[str, Any]] = {
    "linear": {"name": "linear", "warmup_learning_rate": 0, "warmup_steps": None},
    "polynomial": {"name": "polynomial", "power": 1, "warmup_steps": None},
}

#: fields whose None is a value, not a missing argument (Keras treats it as False)
_NONE_ALLOWED = frozenset({("exponential", "staircase")})

#: the class each type builds (Model Garden's ``LR_CLS``, ``WARMUP_CLS``)
LR_CLASSES: dict[str, type[LearningRateSchedule]] = {
    "constant": Constant,
    "stepwise": PiecewiseConstantDecayWithOffset,
    "exponential": ExponentialDecayWithOffset,
    "polynomial": PolynomialDecayWithOffset,
    "cosine": CosineDecayWithOffset,
    "power": DirectPowerDecay,
    "power_linear": PowerAndLinearDecay,
    "power_with_offset": PowerDecayWithOffset,
    "step_cosine_with_offset": StepCosineDecayWithOffset,
}
WARMUP_CLASSES: dict[str, type[LearningRateSchedule]] = {
    "linear": LinearWarmup,
    "polynomial": PolynomialWarmUp,
}

#: the keys of an ``OptimizationConfig``; only ``learning_rate`` and ``warmup`` are read
SECTIONS = ("optimizer", "ema", "learning_rate", "warmup")

#: Model Garden's YAML loader also reads these plain scalars as floats (e.g. ``1e-4``,
#: which YAML 1.1 and ``yaml.safe_load`` read as a string)
_MG_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?)$""",
    re.X,
)


def from_model_garden(config: Any) -> LearningRateSchedule:
    r"""The schedule Model Garden's ``OptimizerFactory(config).build_learning_rate()`` builds.

    ``config`` is Model Garden's optimization config: a dict, or the path of a YAML
    or JSON file (``.json`` is read as JSON, anything else as YAML with
    ``yaml.safe_load``; install ``lrkit[yaml]``). It may be the whole
    ``OptimizationConfig`` (``optimizer``, ``ema``, ``learning_rate``, ``warmup``;
    only the last two are read), just its ``learning_rate`` and ``warmup``
    sections, an experiment config (its ``trainer.optimizer_config`` is read), or
    an object with Model Garden's ``as_dict()``.

    The schedule is :math:`w(s)`: :math:`s` the ``learning_rate`` type's schedule
    (``constant`` gives :class:`lrkit.Constant`, or inside a warmup the number itself,
    as Model Garden), wrapped in the ``warmup`` type's :math:`w` when one is set.
    Types and defaults are Model Garden's; unknown types and keys raise
    ``ValueError`` naming them and the allowed ones. Values equal Model Garden's
    (lrkit computes in float64, Model Garden in float32), except where Model Garden
    is wrong: see ``docs/model_garden.md``.

    >>> s = from_model_garden({
    ...     "learning_rate": {"type": "stepwise",
    ...                       "stepwise": {"boundaries": [100, 200], "values": [0.1, 0.01, 0.001]}},
    ...     "warmup": {"type": "linear", "linear": {"warmup_steps": 10}}})
    >>> s
    LinearWarmup(after_warmup_lr_sched=PiecewiseConstantDecayWithOffset(...), ...)
    >>> s(0), s(5), s(10), s(150), s(250)
    (0.0, 0.05, 0.1, 0.01, 0.001)
    >>> from_model_garden({"learning_rate": {"type": "cosine_decay"}})
    Traceback (most recent call last):
    ...
    ValueError: Unknown learning_rate type 'cosine_decay'. Allowed: 'constant', 'stepwise', ...
    """
    opt = _optimization_config(_load(config))
    lr_type, lr_fields = _one_of(opt.get("learning_rate"), "learning_rate", LR_FIELDS)
    if lr_type is None:
        raise ValueError(
            "Learning rate type must be specified: set `learning_rate.type` to one of "
            f"{_listed(LR_FIELDS)}."
        )
    schedule = _build("learning_rate", lr_type, LR_CLASSES[lr_type], lr_fields)
    w_type, w_fields = _one_of(opt.get("warmup"), "warmup", WARMUP_FIELDS)
    if w_type is None:
        return schedule
    # Model Garden wraps a constant rate as a number (the constant's name is dropped)
    after = schedule.learning_rate if isinstance(schedule, Constant) else schedule
    return _build("warmup", w_type, WARMUP_CLASSES[w_type], w_fields, after)


def to_model_garden(schedule: Any) -> dict[str, Any]:
    """Model Garden's ``learning_rate`` and ``warmup`` sections for ``schedule``.

    The inverse of :func:`from_model_garden`: the result, as the ``learning_rate``
    and ``warmup`` of an ``OptimizationConfig``, makes Model Garden build the same
    schedule. Model Garden's one-of form is written with every field of the
    selected type, and ``warmup: {type: None}`` when there is no warmup (so that
    updating an existing config removes its warmup). lrkit's Keras
    ``ExponentialDecay``, ``PiecewiseConstantDecay``, ``PolynomialDecay`` and
    ``CosineDecay`` (without ``warmup_target``) are written with offset 0. A
    schedule Model Garden cannot express raises ``ValueError``.

    >>> import lrkit
    >>> to_model_garden(lrkit.CosineDecay(0.1, 1000))
    {'learning_rate': {'type': 'cosine', 'cosine': {'name': 'CosineDecay', \
'initial_learning_rate': 0.1, 'decay_steps': 1000, 'alpha': 0.0, 'offset': 0}}, \
'warmup': {'type': None}}
    >>> to_model_garden(lrkit.InverseTimeDecay(0.1, 1000, 0.5))
    Traceback (most recent call last):
    ...
    ValueError: InverseTimeDecay has no Model Garden form; ...
    """
    warmup: dict[str, Any] = {"type": None}
    inner = schedule
    for w_type, cls in WARMUP_CLASSES.items():
        if type(schedule) is cls:
            config = schedule.get_config()
            fields = {k: config[k] for k in WARMUP_FIELDS[w_type]}
            if fields["name"] is None:
                fields["name"] = WARMUP_FIELDS[w_type]["name"]
            warmup = {"type": w_type, w_type: fields}
            inner = schedule.after_warmup_lr_sched
    lr_type, fields = _lr_section(inner)
    return {"learning_rate": {"type": lr_type, lr_type: fields}, "warmup": warmup}


# -- reading -------------------------------------------------------------------------------


#: the largest config file read (bytes)
MAX_FILE_BYTES = 16 * 2**20
#: deepest nesting of dicts and lists in a config (Model Garden's are a few levels deep)
MAX_DEPTH = 100
#: most YAML nodes in a file, counting each alias as the nodes it stands for (so that a
#: small file cannot expand to a huge tree: "billion laughs")
MAX_YAML_NODES = 100_000


def _load(config: Any) -> Any:
    if isinstance(config, (str, os.PathLike)):
        path = os.fspath(config)
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(f"{path} is larger than {MAX_FILE_BYTES} bytes; it is not read.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path} is not UTF-8 text ({exc.reason}).") from None
        if path.lower().endswith(".json"):
            try:
                data = json.loads(text)
            except RecursionError:
                raise ValueError(f"{path} nests more than {MAX_DEPTH} levels deep.") from None
            except ValueError as exc:
                raise ValueError(f"{path} is not valid JSON: {exc}") from None
        else:
            data = _mg_floats(_read_yaml(text, path))
    elif not isinstance(config, Mapping) and callable(getattr(config, "as_dict", None)):
        data = config.as_dict()  # a Model Garden Config object
    else:
        data = config
    _validate.nesting(data, MAX_DEPTH, "A Model Garden config")
    return data


def _read_yaml(text: str, path: str) -> Any:
    """``yaml.safe_load(text)``, within :data:`MAX_DEPTH` and :data:`MAX_YAML_NODES`."""
    try:
        import yaml
    except ImportError:
        raise ImportError(
            f"Reading the YAML file {path!r} needs PyYAML: pip install 'lrkit[yaml]'."
        ) from None

    class Loader(yaml.SafeLoader):
        """The safe loader (no Python tags), bounded: no recursive aliases, at most
        ``MAX_DEPTH`` levels and ``MAX_YAML_NODES`` nodes with aliases expanded."""

        nodes = 0
        depth = 0
        sizes: dict[str, int]
        open_anchors: set[str]

        def compose_node(self, parent: Any, index: Any) -> Any:
            if not hasattr(self, "sizes"):
                self.sizes, self.open_anchors = {}, set()
            event = self.peek_event()
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent):
                if anchor in self.open_anchors:
                    raise yaml.YAMLError(
                        f"a recursive alias *{anchor} (line {event.start_mark.line + 1})"
                    )
                self._count(self.sizes.get(anchor, 1), event)
                return super().compose_node(parent, index)
            if self.depth >= MAX_DEPTH:
                raise yaml.YAMLError(f"it nests more than {MAX_DEPTH} levels deep")
            before = self.nodes
            self._count(1, event)
            if anchor is not None:
                self.open_anchors.add(anchor)
            self.depth += 1
            try:
                node = super().compose_node(parent, index)
            finally:
                self.depth -= 1
                self.open_anchors.discard(anchor)
            if anchor is not None:
                self.sizes[anchor] = self.nodes - before
            return node

        def _count(self, n: int, event: Any) -> None:
            self.nodes += n
            if self.nodes > MAX_YAML_NODES:
                raise yaml.YAMLError(
                    f"it holds more than {MAX_YAML_NODES} values with its aliases expanded "
                    f"(line {event.start_mark.line + 1})"
                )

    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader: builds plain data only
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        problem = getattr(exc, "problem", None)
        if problem:  # a MarkedYAMLError: "<context>: <problem> (line n)"
            context = getattr(exc, "context", None)
            mark = getattr(exc, "problem_mark", None)
            line = f" (line {mark.line + 1})" if mark is not None else ""
            detail = f"{context + ': ' if context else ''}{problem}{line}"
        else:
            text = str(exc).strip()
            detail = text.splitlines()[0] if text else type(exc).__name__
        raise ValueError(f"{path} is not a readable YAML config: {detail}") from None


def _mg_floats(value: Any, key: Any = None) -> Any:
    """Strings Model Garden's YAML loader would have read as floats, as floats."""
    if isinstance(value, dict):
        return {k: _mg_floats(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mg_floats(v) for v in value]
    if isinstance(value, str) and key not in ("name", "type") and _MG_FLOAT.match(value):
        return float(value)
    return value


def _optimization_config(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise TypeError(
            "A Model Garden optimization config must be a dict (or the path of a YAML or "
            f"JSON file holding one). Received: {type(data).__name__}."
        )
    # an experiment config, or its trainer section
    if "trainer" in data and "learning_rate" not in data:
        data = _section(data["trainer"], "trainer")
    if "optimizer_config" in data and "learning_rate" not in data:
        data = _section(data["optimizer_config"], "optimizer_config")
    unknown = [k for k in data if k not in SECTIONS]
    if unknown:
        raise ValueError(
            f"Unknown key {_validate.shown(unknown[0])} in a Model Garden optimization config. "
            f"Allowed: {_listed(SECTIONS)}."
        )
    return data


def _section(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"`{where}` must be a dict. Received: {type(value).__name__}.")
    return value


def _listed(names: Any) -> str:
    return ", ".join(repr(n) for n in names)


def _one_of(
    value: Any, where: str, table: dict[str, dict[str, Any]]
) -> tuple[str | None, dict[str, Any]]:
    """The selected type of a one-of section and its fields, defaults filled in."""
    section = _section(value, where)
    for key in section:
        if key != "type" and key not in table:
            raise ValueError(
                f"Unknown key {_validate.shown(key)} in `{where}`. "
                f"Allowed: 'type', {_listed(table)}."
            )
    # like Model Garden, check every section given, not only the selected one
    for name in table:
        fields = _section(section.get(name), f"{where}.{name}")
        for key in fields:
            if key not in table[name]:
                raise ValueError(
                    f"Unknown key {_validate.shown(key)} in `{where}.{name}`. "
                    f"Allowed: {_listed(table[name])}."
                )
    chosen = section.get("type")
    if chosen is None:
        return None, {}
    if not isinstance(chosen, str) or chosen not in table:
        raise ValueError(
            f"Unknown {where} type {_validate.shown(chosen)}. Allowed: {_listed(table)}."
        )
    given = _section(section.get(chosen), f"{where}.{chosen}")
    return chosen, {**table[chosen], **given}


def _build(
    where: str, kind: str, cls: type[LearningRateSchedule], fields: dict[str, Any], *args: Any
) -> LearningRateSchedule:
    for key, value in fields.items():
        if value is None and (kind, key) not in _NONE_ALLOWED:
            raise ValueError(
                f"`{where}.{kind}.{key}` is required (Model Garden's default is None)."
            )
    try:
        return cls(*args, **fields)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"`{where}.{kind}`: {exc}") from None
    except _validate.CONSTRUCTION_ERRORS as exc:  # e.g. a value float64 cannot hold
        raise _validate.construction_error(f"`{where}.{kind}`", exc) from exc


# -- writing -------------------------------------------------------------------------------

#: lrkit's Keras schedules that Model Garden's types express with offset 0
_KERAS_FORMS: dict[type[LearningRateSchedule], str] = {
    PiecewiseConstantDecay: "stepwise",
    ExponentialDecay: "exponential",
    PolynomialDecay: "polynomial",
    CosineDecay: "cosine",
}


def _lr_section(schedule: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(schedule, (int, float)) and not isinstance(schedule, bool):
        return "constant", {"name": "Constant", "learning_rate": schedule}
    kind = next((t for t, c in LR_CLASSES.items() if type(schedule) is c), None)
    kind = kind or _KERAS_FORMS.get(type(schedule))
    if kind is None:
        name = type(schedule).__name__
        raise ValueError(
            f"{name} has no Model Garden form; Model Garden's learning rate types build "
            f"{', '.join(c.__name__ for c in LR_CLASSES.values())} (or lrkit's Keras "
            f"{', '.join(c.__name__ for c in _KERAS_FORMS)}), optionally inside "
            "LinearWarmup or PolynomialWarmUp."
        )
    config = schedule.get_config()
    if kind == "cosine" and config.get("warmup_target") is not None:
        raise ValueError(
            "A CosineDecay with `warmup_target` has no Model Garden form: Model Garden's "
            "cosine type has no warmup_target. Use LinearWarmup(CosineDecayWithOffset("
            "warmup_steps, ...), warmup_steps, initial_learning_rate) instead."
        )
    return kind, {k: config.get(k, default) for k, default in LR_FIELDS[kind].items()}
