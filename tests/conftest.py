"""Shared fixtures: frameworks, and the rule that CI never skips a framework test."""

from __future__ import annotations

import importlib
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: set (CI sets it) to turn a missing framework into a failure instead of a skip
REQUIRE_ENV = "LRKIT_REQUIRE_FRAMEWORKS"


def require(module: str):
    """Import ``module`` for a test, or skip it; with LRKIT_REQUIRE_FRAMEWORKS=1, fail."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
            pytest.fail(f"{module} is required ({REQUIRE_ENV} is set) but failed to import: {exc}")
        pytest.skip(f"{module} is not installed")
