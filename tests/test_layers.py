"""The layers of the source tree: each module imports only its own layer and those below.

Read from the source (every ``import`` statement, at module level or inside a function),
so that a new import of an upper layer fails here, wherever it is written.
"""

from __future__ import annotations

import ast
import pathlib

import lrkit

SRC = pathlib.Path(lrkit.__file__).parent

#: the layers, lowest first: a module's layer is that of the longest prefix it matches
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("lrkit.core", "lrkit._version")),
    ("families", ("lrkit.schedules",)),
    ("composition", ("lrkit.compose",)),
    ("file readers", ("lrkit.io",)),  # bytes to plain configs, with one set of limits
    ("model garden", ("lrkit.model_garden",)),
    ("state machines", ("lrkit.plateau",)),
    ("peers", ("lrkit.peers", "lrkit.optax", "lrkit._optax_plateau")),
    ("adapters", ("lrkit.torch", "lrkit.keras")),
    # the command line, plots, the package's face; and SPEC files, whose language names
    # every layer's schedules
    ("tools", ("lrkit", "lrkit.io.spec_file")),
]

#: the few imports of an upper layer the core makes, lazily, each for one method of
#: ``LearningRateSchedule`` that users call on any schedule
ALLOWED = {
    ("lrkit.core.base", "lrkit.compose.arithmetic"),  # s + t, 2 * s, -s
    ("lrkit.core.base", "lrkit.plotting"),  # s.plot(), s.values()
}


def _layer(module: str) -> int:
    best, index = -1, len(LAYERS) - 1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, index = len(p), i
    return index


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """The lrkit modules ``name`` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    modules = _modules()
    return {m for m in found if m in modules and m != name}


def test_every_module_imports_only_its_layer_and_below():
    modules = _modules()
    assert len(modules) > 40
    upward = []
    for name, path in sorted(modules.items()):
        for target in sorted(_imports(name, path)):
            if _layer(target) > _layer(name) and (name, target) not in ALLOWED:
                upward.append(
                    f"{name} ({LAYERS[_layer(name)][0]}) imports {target} "
                    f"({LAYERS[_layer(target)][0]})"
                )
    assert upward == []


def test_the_core_imports_nothing_above_it_at_import_time():
    """Beyond the allowed lazy imports, not even inside functions: the core stands alone."""
    core = {n: p for n, p in _modules().items() if _layer(n) == 0}
    assert "lrkit.core.base" in core and "lrkit.core.validate" in core
    for name, path in core.items():
        above = {t for t in _imports(name, path) if _layer(t) > 0} - {
            t for n, t in ALLOWED if n == name
        }
        assert above == set(), name
