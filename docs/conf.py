"""Sphinx configuration: the site built from docs/*.md and lrkit's docstrings.

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(after ``pip install -e ".[docs]"``). Nothing is fetched from the network while building.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import lrkit  # noqa: E402

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
python_maximum_signature_line_length = 88
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
