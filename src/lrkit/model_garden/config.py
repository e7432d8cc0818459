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

from collections.abc import Mapping
from typing import Any

from lrkit.core import validate as _validate
from lrkit.core.base import LearningRateSchedule
from lrkit.io import limits as _limits
from lrkit.io import model_garden_file as _file
from lrkit.io import yaml_safe as _yaml_safe
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
SECTIONS = _file.SECTIONS
#: top-level keys Model Garden keeps and ignores (the YOLO project's ``type``)
IGNORED_KEYS = _file.IGNORED_KEYS


def from_model_garden(config: Any) -> LearningRateSchedule:
    r"""The schedule Model Garden's ``OptimizerFactory(config).build_learning_rate()`` builds.

    ``config`` is Model Garden's optimization config: a dict, or the path of a YAML
    or JSON file (``.json`` is read as JSON, anything else as YAML by
    :mod:`lrkit.io.yaml_safe`: plain data only, ``!!python/tuple`` as a list, any
    other tag refused inside the optimization section and ignored elsewhere; install
    ``lrkit[yaml]``). It may be the whole ``OptimizationConfig`` (``optimizer``,
    ``ema``, ``learning_rate``, ``warmup``; only the last two are read, and a
    top-level ``type``, which Model Garden keeps and ignores, is ignored), just its
    ``learning_rate`` and ``warmup`` sections, an experiment config (its
    ``trainer.optimizer_config`` is read: a ``params.yaml`` Model Garden writes for
    a training run), or an object with Model Garden's ``as_dict()``.

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
            inner = schedule.after_warmup_lr_sched  # type: ignore[attr-defined]
    lr_type, fields = _lr_section(inner)
    return {"learning_rate": {"type": lr_type, lr_type: fields}, "warmup": warmup}


# -- reading: lrkit.io reads the files, with lrkit.io.limits' bounds -----------------------


#: the largest config file read (bytes)
MAX_FILE_BYTES = _limits.MAX_FILE_BYTES
#: deepest nesting of dicts and lists in a config (Model Garden's are a few levels deep)
MAX_DEPTH = _limits.MAX_DEPTH
#: most YAML nodes in a file, counting each alias as the nodes it stands for (so that a
#: small file cannot expand to a huge tree: "billion laughs")
MAX_YAML_NODES = _limits.MAX_YAML_NODES


def _load(config: Any) -> Any:
    return _file.load(config)


def _read_yaml(text: str, path: str) -> Any:
    """The plain data of YAML ``text``, by lrkit.io.yaml_safe's policy (floats included)."""
    return _yaml_safe.load(text, path)


def _mg_floats(value: Any, key: Any = None) -> Any:
    """Strings Model Garden's YAML loader would have read as floats, as floats."""
    return _yaml_safe.model_garden_floats(value, key)


def _optimization_config(loaded: tuple[Any, str | None]) -> Mapping[str, Any]:
    data, where = loaded
    return _file.optimization_section(data, where)


def _section(value: Any, where: str) -> Mapping[str, Any]:
    return _file.section_dict(value, where)


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
