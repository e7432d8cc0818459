"""Schedules written as text: ``"CosineDecay(0.1, 10000, warmup_steps=500)"``.

The text is parsed with :mod:`ast` and never evaluated: a call must name a
registered schedule, and every argument must be a literal (number, string, bool,
None, list, tuple, dict) or another such call.
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


def _value(node: ast.expr, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise SpecError(f"SPEC nests deeper than {MAX_DEPTH} levels.")
    if isinstance(node, ast.Call):
        name = _callee(node.func)
        classes = {k: c for k, c in registry.known().items() if ">" not in k}
        cls = classes.get(name) or _registered(name)
        if cls is None:
            shown = ast.unparse(node.func)[:80]
            raise SpecError(f"unknown schedule {shown!r}; known: {', '.join(sorted(classes))}")
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
        kwargs = {k.arg: _value(k.value, depth + 1) for k in node.keywords}
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
            key = _value(k, depth + 1)  # type: ignore[arg-type]
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


def signature_text(cls: type) -> str:
    """``Name(arg, arg=default, ...)``: how to call a schedule class."""
    import inspect

    sig = inspect.signature(cls.__init__)
    params = [p.replace(annotation=p.empty) for p in list(sig.parameters.values())[1:]]
    return f"{cls.__name__}{sig.replace(parameters=params, return_annotation=sig.empty)}"


def _registered(name: str) -> type | None:
    found = [c for k, c in registry.known().items() if k.rpartition(">")[2] == name]
    return found[0] if len(found) == 1 else None
