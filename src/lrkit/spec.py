"""Schedules written as text: ``"CosineDecay(0.1, 10000, warmup_steps=500)"``.

The text is parsed with :mod:`ast` and never evaluated: a call must name a
registered schedule, and every argument must be a literal (number, string, bool,
None, list, tuple, dict) or another such call.

Peers' names are read too, from fixed tables (nothing is imported by name):

* ``optax.NAME(...)`` (or ``lrkit.optax.NAME``, ``optax.schedules.NAME``), for each
  function of :mod:`lrkit.optax`, with optax's arguments;
* ``transformers.NAME(learning_rate=..., num_warmup_steps=..., num_training_steps=...,
  ...)``, a transformers scheduler name, built by ``lrkit.from_transformers``; other
  keywords are the scheduler's own (its ``scheduler_specific_kwargs``).
"""

from __future__ import annotations

import ast
import warnings
from typing import Any

from lrkit.core import registry
from lrkit.core import validate as _validate
from lrkit.core.base import LearningRateSchedule

#: longest SPEC text accepted
MAX_LENGTH = 100_000
#: deepest nesting of calls and containers accepted
MAX_DEPTH = 50


class SpecError(ValueError):
    """A SPEC that is not a call of a known schedule with literal arguments."""


def parse_spec(text: str) -> LearningRateSchedule:
    """The schedule a SPEC expression describes.

    >>> parse_spec("ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.5)")
    ExponentialDecay(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.5)
    >>> parse_spec("__import__('os')")
    Traceback (most recent call last):
    ...
    lrkit.spec.SpecError: unknown schedule '__import__'; known: ...
    """
    if not isinstance(text, str):
        raise TypeError(f"A SPEC must be a string. Received: {type(text).__name__}.")
    if len(text) > MAX_LENGTH:
        raise SpecError(f"SPEC is {len(text)} characters long; at most {MAX_LENGTH} are read.")
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence": not for a SPEC
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except (MemoryError, RecursionError):  # CPython's parser gives up on deep nesting
        raise SpecError(f"SPEC nests deeper than {MAX_DEPTH} levels.") from None
    except (SyntaxError, ValueError) as exc:
        msg = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        raise SpecError(f"SPEC is not an expression: {msg}: {text.strip()[:80]!r}") from None
    _check_depth(tree.body)
    if not isinstance(tree.body, ast.Call):
        raise SpecError(
            "SPEC must be a schedule call such as 'CosineDecay(0.1, 10000)'. "
            f"Received: {text.strip()[:80]!r}."
        )
    out = _value(tree.body, 0)
    assert isinstance(out, LearningRateSchedule)
    return out


def _callee(node: ast.expr) -> str:
    # `CosineDecay`, `lrkit.CosineDecay` or `keras.optimizers.schedules.CosineDecay`
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    raise SpecError(f"a schedule must be called by name; got {ast.unparse(node)[:80]!r}")


#: the dotted prefixes that name optax's schedule functions (:mod:`lrkit.optax`)
OPTAX_PREFIXES = (("optax",), ("optax", "schedules"), ("lrkit", "optax"))
#: the dotted prefix that names a transformers scheduler (``lrkit.from_transformers``)
TRANSFORMERS_PREFIX = ("transformers",)
#: ``lrkit.from_transformers``'s own keywords; any other is the scheduler's
_TRANSFORMERS_KEYWORDS = frozenset({"learning_rate", "num_warmup_steps", "num_training_steps"})


def _dotted(node: ast.expr) -> tuple[str, ...] | None:
    """``("optax", "linear_schedule")`` for ``optax.linear_schedule``; None for others."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def _arguments(node: ast.Call, depth: int) -> tuple[list[Any], dict[str, Any]]:
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    ):
        raise SpecError("SPEC arguments must be written out (no * or **).")
    seen: set[str | None] = set()
    for keyword in node.keywords:
        if keyword.arg in seen:  # Python's compiler refuses it; ast.parse does not
            raise SpecError(f"keyword argument repeated: {keyword.arg}")
        seen.add(keyword.arg)
    args = [_value(a, depth + 1) for a in node.args]
    kwargs = {str(k.arg): _value(k.value, depth + 1) for k in node.keywords}
    return args, kwargs


def _peer(node: ast.Call, depth: int) -> LearningRateSchedule | None:
    """A call of a peer's name (optax's functions, transformers' schedulers), or None."""
    parts = _dotted(node.func)
    if parts is None or len(parts) < 2:
        return None
    prefix, name = parts[:-1], parts[-1]
    shown = ".".join(parts)[:80]
    if prefix in OPTAX_PREFIXES:
        from lrkit.optax import FUNCTIONS

        fn = FUNCTIONS.get(name)
        if fn is None:
            if prefix == ("lrkit", "optax") or not _registered_name(name):
                raise SpecError(
                    f"unknown optax schedule {shown!r}; known: {', '.join(sorted(FUNCTIONS))}"
                )
            return None  # e.g. `optax.Constant(...)`: an lrkit class, read as before
        args, kwargs = _arguments(node, depth)
        return _built(f"optax.{name}", fn, args, kwargs)
    if prefix == TRANSFORMERS_PREFIX:
        args, kwargs = _arguments(node, depth)
        if args:
            raise SpecError(
                f"{shown}() takes keyword arguments only, e.g. transformers.cosine("
                "learning_rate=1e-3, num_warmup_steps=100, num_training_steps=1000)"
            )
        import lrkit

        build = getattr(lrkit, "from_transformers", None)
        if build is None:
            raise SpecError(
                f"{shown}: transformers scheduler names need lrkit.from_transformers, "
                "which this lrkit does not have"
            )
        own = {k: x for k, x in kwargs.items() if k in _TRANSFORMERS_KEYWORDS}
        extra = {k: x for k, x in kwargs.items() if k not in _TRANSFORMERS_KEYWORDS}
        specific = extra.pop("scheduler_specific_kwargs", None)
        if specific is not None:
            if not isinstance(specific, dict):
                raise SpecError(
                    "Argument `scheduler_specific_kwargs` must be a dict. "
                    f"Received: scheduler_specific_kwargs={specific!r}."
                )
            repeated = sorted(set(specific) & set(extra))
            if repeated:
                raise SpecError(f"keyword argument repeated: {repeated[0]}")
            extra = {**specific, **extra}
        if extra:
            own["scheduler_specific_kwargs"] = extra
        out = _built(f"transformers.{name}", build, [name], own)
        if not isinstance(out, LearningRateSchedule):
            raise SpecError(f"{shown} is not a schedule of the step (it is {type(out).__name__})")
        return out
    return None


def _built(shown: str, fn: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """``fn(*args, **kwargs)``, a construction error becoming a :class:`SpecError`."""
    try:
        return fn(*args, **kwargs)
    except SpecError:
        raise
    except TypeError as exc:
        message = str(exc)
        raise SpecError(f"{shown}: {message}; usage: {function_signature(shown, fn)}") from None
    except ValueError as exc:
        raise SpecError(f"{shown}: {exc}") from None
    except _validate.CONSTRUCTION_ERRORS as exc:
        raise SpecError(str(_validate.construction_error(shown, exc))) from exc


def function_signature(shown: str, fn: Any) -> str:
    """``name(arg, arg=default, ...)``: how to call a function."""
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return f"{shown}(...)"
    params = [p.replace(annotation=p.empty) for p in sig.parameters.values()]
    return f"{shown}{sig.replace(parameters=params, return_annotation=sig.empty)}"


def _registered_name(name: str) -> bool:
    classes = registry.known()
    return name in classes or _registered(name) is not None


def _value(node: ast.expr, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise SpecError(f"SPEC nests deeper than {MAX_DEPTH} levels.")
    if isinstance(node, ast.Call):
        peer = _peer(node, depth)
        if peer is not None:
            return peer
        name = _callee(node.func)
        classes = {k: c for k, c in registry.known().items() if ">" not in k}
        cls = classes.get(name) or _registered(name)
        if cls is None:
            shown = ast.unparse(node.func)[:80]
            raise SpecError(f"unknown schedule {shown!r}; known: {', '.join(sorted(classes))}")
        args, kwargs = _arguments(node, depth)
        try:
            return cls(*args, **kwargs)
        except TypeError as exc:
            message = str(exc).replace(".__init__()", "()")
            raise SpecError(f"{message}; usage: {signature_text(cls)}") from None
        except _validate.CONSTRUCTION_ERRORS as exc:  # e.g. a value float64 cannot hold
            raise SpecError(str(_validate.construction_error(cls.__name__, exc))) from exc
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(e, depth + 1) for e in node.elts]
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise SpecError("SPEC dicts cannot use ** unpacking.")
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            assert k is not None  # (no ** unpacking: refused above)
            key = _value(k, depth + 1)
            try:
                hash(key)
            except TypeError:
                raise SpecError(
                    f"SPEC dict keys must be numbers or strings; got {ast.unparse(k)[:80]!r}"
                ) from None
            out[key] = _value(v, depth + 1)
        return out
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise SpecError(
            f"SPEC arguments must be literals or schedule calls; got {ast.unparse(node)[:80]!r}"
        ) from None


#: deepest syntax tree read: each level of calls and containers is at most two levels of
#: the tree (a keyword and its value), and a callee such as
#: ``keras.optimizers.schedules.CosineDecay`` a few more
_MAX_TREE_DEPTH = 2 * MAX_DEPTH + 10


def _check_depth(root: ast.AST) -> None:
    """Refuses a deep tree before anything recursive (``literal_eval``, ``unparse``) sees it."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_TREE_DEPTH:
            raise SpecError(f"SPEC nests deeper than {MAX_DEPTH} levels.")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def signature_text(cls: Any) -> str:
    """``Name(arg, arg=default, ...)``: how to call a schedule class."""
    import inspect

    sig = inspect.signature(cls.__init__)
    params = [p.replace(annotation=p.empty) for p in list(sig.parameters.values())[1:]]
    return f"{cls.__name__}{sig.replace(parameters=params, return_annotation=sig.empty)}"


def _registered(name: str) -> type | None:
    found = [c for k, c in registry.known().items() if k.rpartition(">")[2] == name]
    return found[0] if len(found) == 1 else None


def spec_text(schedule: LearningRateSchedule) -> str:
    """The SPEC expression of ``schedule``: lrkit's names, which :func:`parse_spec` reads
    back to an equal schedule.

    >>> import lrkit.optax
    >>> spec_text(lrkit.optax.warmup_constant_schedule(0.0, 1.0, 100))
    'Linear(initial_learning_rate=0.0, end_learning_rate=1.0, transition_steps=100)'
    >>> parse_spec(_) == lrkit.optax.warmup_constant_schedule(0.0, 1.0, 100)
    True
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(
            f"A SPEC is written for an lrkit schedule. Received: {type(schedule).__name__}."
        )
    text = repr(schedule)
    try:
        same = parse_spec(text) == schedule
    except (SpecError, ValueError, TypeError):
        same = False
    if not same:
        raise ValueError(
            f"{type(schedule).__name__} has no SPEC form: its repr does not read back as the "
            "same schedule (it holds a callable that is not a registered schedule?)"
        )
    return text
