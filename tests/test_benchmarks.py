"""The benchmarks run (``python -m benchmarks --quick``), and a compiled train step that
reads its learning rate from an lrkit schedule compiles once, not once per step.

No time is asserted anywhere: timings belong to the benchmark's table
(docs/performance.md), not to a test that must pass on any machine.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import lrkit
from conftest import require

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCHEDULE = lrkit.Warmup(lrkit.CosineDecay(0.1, 100, alpha=0.1), 10)
STEPS = 12


def _expected_cases() -> set[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import jax_cases
        from benchmarks.specs import NAMES
    finally:
        sys.path.remove(str(ROOT))
    cases = {("startup", "new interpreter")}
    cases |= {("scalar", n) for n in NAMES} | {("scalar composition", "lrkit")}
    cases |= {("numpy", n) for n in NAMES}
    for name in jax_cases.CASES:
        cases |= {("jax", f"train step: {name}"), ("jax", f"compile: {name}")}
    cases.add(("jax program", "PiecewiseConstantDecay: jit(schedule)"))
    cases |= {
        ("torch", "scheduler.step(): CosineDecay"),
        ("torch, more schedulers", "scheduler.step()"),
    }
    return cases


def test_quick_benchmark_measures_every_case(tmp_path):
    for module in ("numpy", "jax", "optax", "torch"):
        require(module)
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "== targets ==" in proc.stdout  # the table was printed
    report = json.loads(out.read_text())
    assert report["mode"] == "quick"
    assert {"cpu", "cores", "python", "numpy", "jax", "torch"} <= set(report["machine"])
    cases = {(c["group"], c["name"]): c for c in report["cases"]}
    assert set(cases) == _expected_cases()
    for (group, name), case in cases.items():
        timings = case["timings"]
        assert timings, (group, name)
        assert case["baseline"] in timings, (group, name)
        for contender, t in timings.items():
            assert t["min_s"] > 0 and t["median_s"] >= t["min_s"], (group, name, contender)
            assert t["samples"] >= 1
        assert all(r > 0 for r in case["ratios"].values()), (group, name)
    # lrkit and the hand-written baselines are measured in every case
    for (group, name), case in cases.items():
        if group in ("scalar", "numpy"):
            assert "lrkit" in case["timings"], (group, name)
            assert {"hand-written object", "bare function"} <= set(case["timings"]) or (
                group == "numpy" and "hand-written NumPy" in case["timings"]
            ), (group, name)
    assert report["targets"] and all(t["value"] > 0 for t in report["targets"])


# -- torch.compile: one compilation, whatever the step ------------------------------------


class _CountingBackend:
    """A torch.compile backend that counts the graphs it is given (and runs them eagerly)."""

    def __init__(self) -> None:
        self.graphs = 0

    def __call__(self, gm, example_inputs):
        self.graphs += 1
        return gm.forward


def _fresh_dynamo(torch):
    import torch._dynamo
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    counters.clear()
    return counters


def test_compiled_step_computing_the_rate_from_a_step_tensor_compiles_once():
    torch = require("torch")
    counters = _fresh_dynamo(torch)
    backend = _CountingBackend()
    torch.manual_seed(0)
    x, y = torch.randn(8, 4), torch.randn(8, 1)

    @torch.compile(backend=backend, fullgraph=True)
    def train_step(w, step):
        lr = SCHEDULE(step)  # the schedule, traced into the graph on the step tensor
        grad = x.T @ (x @ w - y) / 8
        return w - lr * grad, step + 1, lr

    w, step, rates = torch.zeros(4, 1), torch.tensor(0), []
    for _ in range(STEPS):
        w, step, lr = train_step(w, step)
        rates.append(float(lr))
        assert backend.graphs == 1  # compiled at the first step, never again
    assert counters["stats"]["unique_graphs"] == 1
    # the rates lrkit gives eagerly on the same tensors (float32), both phases crossed
    assert rates == [float(SCHEDULE(torch.tensor(i))) for i in range(STEPS)]


def test_compiled_train_step_reading_a_tensor_lr_set_by_schedulelr_compiles_once():
    torch = require("torch")
    import lrkit.torch

    counters = _fresh_dynamo(torch)
    backend = _CountingBackend()
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.0))  # a tensor lr
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE)
    x, y = torch.randn(8, 4), torch.randn(8, 1)

    @torch.compile(backend=backend)
    def train_step():
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()

    seen, after_first = [], None
    for i in range(STEPS):
        seen.append(opt.param_groups[0]["lr"].item())
        train_step()
        sched.step()
        if i == 0:  # (graph breaks at backward() and the optimizer: several graphs)
            after_first = (backend.graphs, counters["stats"]["unique_graphs"])
        assert (backend.graphs, counters["stats"]["unique_graphs"]) == after_first, i
    assert after_first[0] >= 1
    assert seen == [float(torch.tensor(SCHEDULE(i), dtype=torch.float32)) for i in range(STEPS)]
