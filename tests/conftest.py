"""Shared fixtures: frameworks, and the rule that CI never skips a framework test."""

from __future__ import annotations

import importlib
import os
import sys

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: tests/ itself: test modules in its folders import the shared modules here (conftest,
#: reference, ddp); pytest puts this folder on sys.path when it loads this file, and a test
#: that runs its own file as a script in a fresh interpreter finds them through PYTHONPATH
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)
if TESTS_DIR not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (os.environ.get("PYTHONPATH", ""), TESTS_DIR) if p
    )

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


@pytest.fixture(scope="module")
def keras():
    """Keras (on the TensorFlow backend here), for the suites that compare with it."""
    return require("keras")


@pytest.fixture(scope="module")
def ks(keras):
    """``keras.optimizers.schedules``."""
    return keras.optimizers.schedules
