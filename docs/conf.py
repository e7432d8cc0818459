"""Sphinx configuration: the site built from docs/*.md and lrkit's docstrings.

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(after ``pip install -e ".[docs]"``). Nothing is fetched from the network while building.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from typing import Any

from sphinx.pycode import ModuleAnalyzer
from sphinx.util import inspect as sphinx_inspect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import lrkit  # noqa: E402

# Keras (for lrkit.keras) without TensorFlow: the pages need its classes only
os.environ.setdefault("KERAS_BACKEND", "numpy")

project = "lrkit"
author = "the lrkit authors"
copyright = "the lrkit authors"
release = version = lrkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# `CosineDecay` in a docstring is a cross-reference (code text where nothing matches)
default_role = "py:obj"

# The API pages: docs/api/index.md lists the modules; each gets a generated page.
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "groupwise",
}
autodoc_typehints = "signature"
# a long signature: one parameter per line
python_maximum_signature_line_length = 100
# A singledispatch function (lrkit.boundaries) shows its own signature only, not one per
# registered class: which classes it dispatches on is not part of its interface.
sphinx_inspect.is_singledispatch_function = lambda obj: False
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = True

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True

# Markdown pages: $...$ math, heading anchors for the pages' own #links
myst_enable_extensions = ["dollarmath", "amsmath", "deflist", "colon_fence"]
myst_heading_anchors = 3


html_theme = "furo"
html_title = f"lrkit {release}"
html_static_path: list[str] = []
html_show_sourcelink = False


# The reference documents each module's ``__all__``: names a module defines on first use
# (``lrkit.keras.KerasSchedule``), and constants it re-exports, with the ``#:`` comment written
# where they are defined.
_documenting: list[Any] = []
_FALLBACK_DOCS = {"__version__": ["lrkit's version, a string such as ``'1.2.0'``."]}


def _reexported_docs(module: Any) -> dict[str, list[str]]:
    """The ``#:`` comments of the names ``module`` imports, from the modules defining them."""
    docs: dict[str, list[str]] = {}
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found = ModuleAnalyzer.for_module(node.module).find_attr_docs()
            for alias in node.names:
                lines = found.get(("", alias.name)) or _FALLBACK_DOCS.get(alias.name)
                if lines:
                    docs[alias.asname or alias.name] = list(lines)
    return docs


def _module_opened(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what != "module":
        return
    _documenting[:] = [obj]
    public = getattr(obj, "__all__", ())
    for attr in public:
        if attr not in vars(obj):
            setattr(obj, attr, getattr(obj, attr))  # defined on first use
    analyzer = ModuleAnalyzer.for_module(name)
    analyzer.analyze()
    for attr, doc in _reexported_docs(obj).items():
        if attr in public and not callable(getattr(obj, attr)):
            analyzer.attr_docs.setdefault(("", attr), doc)


def _keep_exported(
    app: Any, what: str, name: str, obj: Any, skip: bool, options: Any
) -> bool | None:
    if what == "module" and _documenting and name in getattr(_documenting[0], "__all__", ()):
        return False
    return None


def _is_public(cls: type) -> bool:
    if not cls.__module__.startswith("lrkit"):
        return True
    for name, module in list(sys.modules.items()):
        if (
            name.startswith("lrkit")
            and "._" not in name
            and cls.__name__ in getattr(module, "__all__", ())
        ):
            if getattr(module, cls.__name__, None) is cls:
                return True
    return False


def _public_bases(app: Any, name: str, obj: Any, options: Any, bases: list[Any]) -> None:
    """A base class that is not public is shown as its own public bases."""
    shown: list[Any] = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        if not isinstance(base, type) or _is_public(base):
            if base not in shown:
                shown.append(base)
        else:
            pending[:0] = list(base.__bases__)
    bases[:] = shown


def setup(app: Any) -> None:
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("autodoc-process-docstring", _module_opened)
    app.connect("autodoc-skip-member", _keep_exported)
