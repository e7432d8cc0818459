"""scripts/precision_report.py: lrkit's float64 values stay within 1e-12 of exact.

Runs the report in ``--quick`` mode (lrkit only, a few dozen steps per schedule, up
to 2**40; seconds). The full run (``python scripts/precision_report.py``, with Keras,
optax and PyTorch) writes docs/precision.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import require

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "precision_report.py")


@pytest.fixture(scope="module")
def report():
    """The precision report module (imported from the script)."""
    require("numpy")
    require("mpmath")
    spec = importlib.util.spec_from_file_location("precision_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_quick_report_float64_within_bound(tmp_path):
    require("numpy")
    require("mpmath")
    out, figures = tmp_path / "precision.md", tmp_path / "precision.json"
    done = subprocess.run(
        [sys.executable, SCRIPT, "--quick", "--output", str(out), "--json", str(figures)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(figures.read_text())
    summary = data["summary"]
    assert summary["python"] <= 1e-12 and summary["numpy64"] <= 1e-12
    for label, results in data["cases"].items():
        for key in ("python", "numpy64"):
            assert results[key][0] <= 1e-12, (label, key, results[key])
        assert results["numpy32_low"][0] < 1e-4, label  # float32, steps exact in float32
    text = out.read_text()
    assert text.startswith("# Precision") and "| ExponentialDecay |" in text


def test_every_registered_schedule_is_measured(report):
    import lrkit

    measured = set().union(*(report._classes(c.schedule) for c in report.cases()))
    assert measured >= {k for k in lrkit.registry.known() if ">" not in k}


def test_the_steps_reach_2_to_the_40(report):
    case = next(c for c in report.cases() if c.label == "PiecewiseConstantDecay")
    steps = report.sample_steps(case, quick=True)
    assert 2**40 in steps and 0 in steps
    assert {999, 1000, 1001, 2**33, 2**33 + 1} <= set(steps)  # boundaries and neighbours


def test_an_error_above_the_bound_fails_the_run(report, monkeypatch, capsys):
    every = report.cases
    monkeypatch.setattr(report, "BOUND", 0.0)  # every nonzero error is now too large
    monkeypatch.setattr(report, "cases", lambda: every()[:2])
    monkeypatch.setattr(report, "_classes", lambda s: set(report.lrkit.registry.known()))
    assert report.main(["--quick", "--output", "-"]) == 1
    assert "FAIL ExponentialDecay" in capsys.readouterr().err
