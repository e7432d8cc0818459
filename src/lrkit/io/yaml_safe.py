"""The one YAML loader: plain data only, bounded, and no tag ever builds an object.

The policy, for every file lrkit reads as YAML:

* PyYAML's safe loader builds the standard types only (mappings, lists, strings,
  numbers, booleans, null, and YAML's timestamps, binary and sets);
* ``!!python/tuple`` (which Model Garden's ``params.yaml`` holds, e.g. under
  ``task.train_data.crop_area_range``) becomes a plain list;
* any other tag (``!!python/object/apply:os.system``, ``!!python/name:...``, a tag
  lrkit does not know) becomes inert :class:`Tagged` data, which builds nothing;
  a reader refuses it (:func:`refuse_tags`) only where it would read it, i.e. inside
  the optimization section, so a tag elsewhere in a file is no reason to refuse it;
* aliases are read, each counted as the nodes it stands for, within
  :data:`lrkit.io.limits.MAX_YAML_NODES`; a recursive alias is refused;
* nesting is bounded by :data:`lrkit.io.limits.MAX_DEPTH`;
* plain scalars Model Garden's loader (and YAML 1.2) reads as floats, such as
  ``1e-4`` (a string for YAML 1.1), are floats, except under ``name`` and ``type``.

PyYAML is imported by the first YAML file read (install ``lrkit[yaml]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lrkit.io.limits import MAX_DEPTH, MAX_YAML_NODES, FormatError

#: Model Garden's YAML loader also reads these plain scalars as floats (e.g. ``1e-4``,
#: which YAML 1.1 and ``yaml.safe_load`` read as a string)
_MG_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?)$""",
    re.X,
)
_TUPLE = "tag:yaml.org,2002:python/tuple"


class Tagged:
    """A YAML node with a tag lrkit does not build: its tag, its plain value (a string,
    list or dict) and its line. Inert: it is never called, imported or evaluated.

    Args:
        tag (str): the node's tag, e.g. ``"!!python/object/apply:os.system"``.
        value (Any): the node's content as plain data.
        line (int): its line in the file (from 1).

    >>> Tagged("!Ref", "bucket", 3)
    Tagged('!Ref', 'bucket', line=3)
    """

    __slots__ = ("line", "tag", "value")

    def __init__(self, tag: str, value: Any, line: int) -> None:
        self.tag, self.value, self.line = tag, value, line

    def __repr__(self) -> str:
        return f"Tagged({self.tag!r}, {self.value!r}, line={self.line})"


def _short_tag(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


_LOADER: Any = None


def _line(event: Any) -> int:
    mark = getattr(event, "start_mark", None)
    return int(getattr(mark, "line", 0)) + 1


def _loader() -> Any:
    """The loader class (built once: it needs PyYAML)."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    class Loader(yaml.SafeLoader):
        """The safe loader, bounded: no recursive aliases, at most ``MAX_DEPTH`` levels and
        ``MAX_YAML_NODES`` nodes with aliases expanded; unknown tags become
        :class:`Tagged`."""

        nodes = 0
        depth = 0
        sizes: dict[str, int]
        open_anchors: set[str]

        def compose_node(self, parent: Any, index: Any) -> Any:
            if not hasattr(self, "sizes"):
                self.sizes, self.open_anchors = {}, set()
            event: Any = self.peek_event()
            anchor: Any = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent):
                if anchor in self.open_anchors:
                    raise yaml.YAMLError(f"a recursive alias *{anchor} (line {_line(event)})")
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

        def fetch_flow_collection_start(self, token_class: Any) -> None:
            # the scanner reads ahead through every "[" or "{" of a flow collection before
            # the parser sees the first (each is a possible simple key): bound it there
            if self.flow_level >= MAX_DEPTH:
                raise yaml.YAMLError(f"it nests more than {MAX_DEPTH} levels deep")
            super().fetch_flow_collection_start(token_class)

        def _count(self, n: int, event: Any) -> None:
            self.nodes += n
            if self.nodes > MAX_YAML_NODES:
                raise yaml.YAMLError(
                    f"it holds more than {MAX_YAML_NODES} values with its aliases expanded "
                    f"(line {_line(event)})"
                )

    def plain_list(loader: Any, node: Any) -> list[Any]:
        return list(loader.construct_sequence(node, deep=True))

    def inert(loader: Any, node: Any) -> Tagged:
        if isinstance(node, yaml.MappingNode):
            value: Any = loader.construct_mapping(node, deep=True)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_scalar(node)
        return Tagged(_short_tag(str(node.tag)), value, node.start_mark.line + 1)

    Loader.add_constructor(_TUPLE, plain_list)
    Loader.add_constructor(None, inert)  # every tag the safe loader does not know
    _LOADER = Loader
    return Loader


def load(text: str, where: str) -> Any:
    """The plain data YAML ``text`` holds, read by the policy above.

    Args:
        text (str): YAML text.
        where (str): the file, for messages.

    Raises:
        FormatError: not YAML, or beyond a bound. ImportError: no PyYAML.

    >>> load("lr: {type: cosine, x: 1e-4, t: !!python/tuple [1, 2]}", "c.yaml")
    {'lr': {'type': 'cosine', 'x': 0.0001, 't': [1, 2]}}
    >>> load("a: !!python/name:os.system", "c.yaml")
    {'a': Tagged('!!python/name:os.system', '', line=1)}
    """
    try:
        import yaml
    except ImportError:
        raise ImportError(
            f"Reading the YAML file {where!r} needs PyYAML: pip install 'lrkit[yaml]'."
        ) from None
    try:
        data = yaml.load(text, Loader=_loader())  # a SafeLoader: builds plain data only
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        problem = getattr(exc, "problem", None)
        if problem:  # a MarkedYAMLError: "<context>: <problem> (line n)"
            context = getattr(exc, "context", None)
            mark = getattr(exc, "problem_mark", None)
            line = f" (line {mark.line + 1})" if mark is not None else ""
            detail = f"{context + ': ' if context else ''}{problem}{line}"
        else:
            message = str(exc).strip()
            detail = message.splitlines()[0] if message else type(exc).__name__
        raise FormatError(f"{where} is not a readable YAML config: {detail}") from None
    return model_garden_floats(data)


def model_garden_floats(value: Any, key: Any = None) -> Any:
    """Strings Model Garden's YAML loader would have read as floats, as floats (not under
    ``name`` or ``type``).

    Args:
        value (Any): plain data read from YAML.
        key (Any): the key ``value`` is under, if any.

    >>> model_garden_floats({"lr": "1e-4", "name": "1e5", "x": ["2.5E+1"]})
    {'lr': 0.0001, 'name': '1e5', 'x': [25.0]}
    """
    if isinstance(value, dict):
        return {k: model_garden_floats(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [model_garden_floats(v) for v in value]
    if isinstance(value, str) and key not in ("name", "type") and _MG_FLOAT.match(value):
        return float(value)
    return value


def first_tag(data: Any) -> Tagged | None:
    """The first :class:`Tagged` value in ``data`` (dicts and lists walked without
    recursion), or None.

    >>> first_tag({"a": [1, {"b": Tagged("!x", "", 2)}]})
    Tagged('!x', '', line=2)
    """
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Tagged):
            return item
        if isinstance(item, Mapping):
            stack.extend(reversed([*item.keys(), *item.values()]))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
    return None


def refuse_tags(data: Any, where: str | None, section: str = "the config") -> None:
    """Refuses ``data`` if it holds a :class:`Tagged` value: lrkit would have to build it.

    Args:
        data (Any): the part of a file lrkit reads (e.g. the optimization section).
        where (str | None): the file, for the message.
        section (str): what ``data`` is, for the message.

    >>> refuse_tags({"learning_rate": Tagged("!!python/name:eval", "", 1)}, "c.yaml",
    ...             "the optimization section")
    Traceback (most recent call last):
    ...
    lrkit.io.limits.FormatError: c.yaml: the YAML tag !!python/name:eval (line 1) in the \
optimization section would build an object; lrkit reads plain data only.
    """
    found = first_tag(data)
    if found is not None:
        head = f"{where}: the" if where else "The"
        raise FormatError(
            f"{head} YAML tag {found.tag} (line {found.line}) in {section} would build an "
            "object; lrkit reads plain data only."
        )
