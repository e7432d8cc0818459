"""lrkit.torch.DeviceScheduleLR: the step on the device, the rate written into a tensor lr.

Its rates are ScheduleLR's (the float64 Python rates) to the precision of the lr
tensor's dtype at every step; a resumed run gets the uninterrupted run's rates bit for
bit; a ``torch.compile``d training step (forward, backward, ``opt.step()``,
``sched.step()``) compiles once; ``step()`` builds no tensor from host data. On CUDA
(skipped without a GPU): no synchronization under ``torch.cuda.set_sync_debug_mode``,
and CUDA graphs (``mode="reduce-overhead"``).
"""

from __future__ import annotations

import io
import math
import pathlib
from typing import Any

import pytest

import lrkit
from conftest import require

torch = require("torch")
import lrkit.torch as lt  # noqa: E402

EPS32 = 2.0**-23

SCHEDULES = {
    "cosine-warmup": lrkit.CosineDecay(0.0, 200, alpha=0.01, warmup_target=0.1, warmup_steps=20),
    "warmup-cosine": lrkit.Warmup(lrkit.CosineDecay(0.1, 200, 0.01), 20),
    "piecewise": lrkit.PiecewiseConstantDecay([30, 90, 150], [0.1, 0.05, 0.01, 0.001]),
    "restarts": lrkit.CosineDecayRestarts(0.1, 25, t_mul=2.0, m_mul=0.9),
    "exponential": lrkit.ExponentialDecay(0.1, 7, 0.9, staircase=True),
    "polynomial-cycle": lrkit.PolynomialDecay(0.1, 40, 1e-3, power=2.0, cycle=True),
    "wsd": lrkit.WarmupStableDecay(0.1, total_steps=250, decay_fraction=0.3),
    "constant": lrkit.Constant(0.01),
}
STEPS = 260


def _model() -> Any:
    torch.manual_seed(0)
    return torch.nn.Linear(4, 1)


def _sgd(model: Any, dtype: Any = torch.float32) -> Any:
    return torch.optim.SGD(model.parameters(), lr=torch.tensor(1.0, dtype=dtype))


def _close(got: float, want: float, dtype: Any, scale: float) -> bool:
    if dtype == torch.float64:
        return abs(got - want) <= 1e-12 * max(abs(want), 1e-300)
    return abs(got - want) <= 2.25 * EPS32 * scale  # docs/backends.md's float32 bound


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_rates_are_schedule_lr_rates_at_every_step(name, dtype):
    schedule = SCHEDULES[name]
    dev_opt = _sgd(_model(), dtype)
    dev = lt.DeviceScheduleLR(dev_opt, schedule)
    host_opt = torch.optim.SGD(_model().parameters(), lr=1.0)
    host = lt.ScheduleLR(host_opt, schedule)
    scale = max(abs(schedule(t)) for t in range(STEPS))
    lr = dev_opt.param_groups[0]["lr"]
    for t in range(STEPS):
        want = host_opt.param_groups[0]["lr"]
        assert want == schedule(t)
        assert lr.dtype == dtype and lr.ndim == 0
        assert _close(lr.item(), want, dtype, scale), (t, lr.item(), want)
        dev_opt.step()
        dev.step()
        host_opt.step()
        host.step()
    assert dev.step_tensor.item() == host.last_epoch == STEPS


def test_the_lr_tensor_is_written_in_place():
    opt = _sgd(_model())
    lr = opt.param_groups[0]["lr"]
    sched = lt.DeviceScheduleLR(opt, SCHEDULES["cosine-warmup"])
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert sched.step_tensor.dtype == torch.int64 and sched.step_tensor.ndim == 0


def test_relative_mode_and_groups():
    model = _model()
    opt = torch.optim.SGD(
        [
            {"params": [model.weight], "lr": torch.tensor(2.0, dtype=torch.float64)},
            {"params": [model.bias], "lr": torch.tensor(0.5, dtype=torch.float64)},
        ]
    )
    pw = lrkit.PiecewiseConstantDecay([3], [1.0, 0.25])
    sched = lt.DeviceScheduleLR(opt, [pw, lrkit.Constant(0.1)], mode="relative")
    assert sched.base_lrs == [2.0, 0.5]
    for _ in range(4):  # step 4: past the boundary (step 3 still has the first value)
        sched.step()
    assert [g["lr"].item() for g in opt.param_groups] == [2.0 * 0.25, 0.5 * 0.1]
    assert [x.item() for x in sched.get_last_lr()] == [0.5, 0.05]


@pytest.mark.parametrize("name", ["cosine-warmup", "restarts", "piecewise"])
def test_resume_is_bit_for_bit(name):
    schedule = SCHEDULES[name]

    def run(steps: int, opt: Any, sched: Any) -> list[float]:
        out = []
        for _ in range(steps):
            opt.step()
            sched.step()
            out.append(opt.param_groups[0]["lr"].clone())
        return out

    opt = _sgd(_model())
    full = run(120, opt, lt.DeviceScheduleLR(opt, schedule))

    opt1 = _sgd(_model())
    first = lt.DeviceScheduleLR(opt1, schedule)
    head = run(47, opt1, first)
    buffer = io.BytesIO()
    torch.save({"sched": first.state_dict(), "opt": opt1.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)  # plain values only
    assert saved["sched"]["step"] == 47 and type(saved["sched"]["step"]) is int

    opt2 = _sgd(_model())
    second = lt.DeviceScheduleLR(opt2, lrkit.Constant(9.0))  # replaced by the saved schedule
    step_tensor = second.step_tensor
    second.load_state_dict(saved["sched"])
    opt2.load_state_dict(saved["opt"])
    assert second.step_tensor is step_tensor and second.schedules == (schedule,)
    tail = run(73, opt2, second)
    assert all(torch.equal(a, b) for a, b in zip(full, head + tail, strict=True))
    assert all(a.dtype == torch.float32 for a in tail)


def test_bad_optimizers_are_refused_at_construction():
    model = _model()
    with pytest.raises(TypeError, match="tensor lr"):
        lt.DeviceScheduleLR(torch.optim.SGD(model.parameters(), lr=0.1), lrkit.Constant(0.1))
    with pytest.raises(TypeError, match=r"Argument `optimizer` must be a torch\.optim\.Optimizer"):
        lt.DeviceScheduleLR(object(), lrkit.Constant(0.1))
    with pytest.raises(ValueError, match="Argument `mode` must be one of"):
        lt.DeviceScheduleLR(_sgd(model), lrkit.Constant(0.1), mode="both")
    with pytest.raises(ValueError, match="0-d floating tensor"):
        opt = torch.optim.SGD(model.parameters(), lr=torch.tensor([0.1]))
        lt.DeviceScheduleLR(opt, lrkit.Constant(0.1))
    sched = lt.DeviceScheduleLR(_sgd(model), lrkit.Constant(0.1))
    with pytest.raises(ValueError, match="A saved step must be an int >= 0"):
        sched.load_state_dict({"step": -1})


def test_step_builds_no_tensor_from_host_data(monkeypatch):
    opt = _sgd(_model())
    sched = lt.DeviceScheduleLR(opt, SCHEDULES["restarts"])
    sched.step()  # the tables of the schedule, once
    calls: list[str] = []
    for name in ("tensor", "asarray", "as_tensor", "from_numpy"):
        original = getattr(torch, name)

        def counted(data: Any, *a: Any, _o: Any = original, _n: str = name, **k: Any) -> Any:
            if not isinstance(data, torch.Tensor):
                calls.append(_n)
            return _o(data, *a, **k)

        monkeypatch.setattr(torch, name, counted)
    for _ in range(30):
        sched.step()
    assert calls == []
    assert math.isclose(opt.param_groups[0]["lr"].item(), SCHEDULES["restarts"](31), rel_tol=1e-6)


def _compiled_training(schedule: Any, counter: Any) -> tuple[Any, Any, Any]:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(1.0))
    sched = lt.DeviceScheduleLR(opt, schedule)
    x, y = torch.randn(8, 4), torch.randn(8, 1)

    @torch.compile(backend=counter)
    def train_step() -> Any:
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        sched.step()
        return loss

    return train_step, opt, sched


@pytest.mark.parametrize("name", ["cosine-warmup", "piecewise", "restarts"])
def test_a_compiled_training_step_compiles_once(name):
    from torch._dynamo.testing import CompileCounter

    torch._dynamo.reset()
    counter = CompileCounter()
    train_step, opt, sched = _compiled_training(SCHEDULES[name], counter)
    train_step()
    frames = counter.frame_count
    assert frames >= 1
    with torch._dynamo.config.patch(error_on_recompile=True):
        for _ in range(40):
            train_step()
    assert counter.frame_count == frames
    lr = opt.param_groups[0]["lr"].item()
    assert sched.step_tensor.item() == 41
    assert math.isclose(lr, SCHEDULES[name](41), rel_tol=1e-6, abs_tol=1e-9)


# -- CUDA only --------------------------------------------------------------------------
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_cuda_step_never_synchronizes(name):
    model = _model().cuda()
    opt = torch.optim.Adam(
        model.parameters(), lr=torch.tensor(1e-3, device="cuda"), capturable=True
    )
    sched = lt.DeviceScheduleLR(opt, SCHEDULES[name])
    x = torch.randn(8, 4, device="cuda")
    model(x).sum().backward()
    opt.step()
    sched.step()  # the first call builds the schedule's tables
    steps = torch.arange(1000, device="cuda")
    SCHEDULES[name](steps)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(5):
            opt.step()
            sched.step()
        SCHEDULES[name](steps)
        SCHEDULES[name](steps[7])  # a 0-d step
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert sched.step_tensor.item() == 6


@cuda
def test_cuda_graphs_reduce_overhead():
    schedule = SCHEDULES["cosine-warmup"]
    model = _model().cuda()
    opt = torch.optim.Adam(
        model.parameters(), lr=torch.tensor(1e-3, device="cuda"), capturable=True
    )
    sched = lt.DeviceScheduleLR(opt, schedule)
    x, y = torch.randn(8, 4, device="cuda"), torch.randn(8, 1, device="cuda")

    @torch.compile(mode="reduce-overhead")
    def train_step() -> Any:
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        sched.step()
        return loss

    for _ in range(30):
        train_step()
    torch.cuda.synchronize()
    assert sched.step_tensor.item() == 30
    assert math.isclose(opt.param_groups[0]["lr"].item(), schedule(30), rel_tol=1e-5)


# -- the device benchmark (benchmarks/gpu.py) ---------------------------------------------
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _bench(*args: str) -> Any:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is here: it would run")
def test_device_benchmark_without_a_gpu_says_so_in_one_line():
    proc = _bench("--device", "cuda", "--quick")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and "skipped: no CUDA device" in lines[0]


def test_device_benchmark_on_the_cpu(tmp_path):
    import json

    require("jax")
    out = tmp_path / "device.json"
    proc = _bench("--device", "cpu", "--quick", "--cases", "Warmup", "--json", str(out))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    report = json.loads(out.read_text())
    cases = {(c["group"], c["name"]): c for c in report["cases"]}
    assert set(cases) == {
        ("torch on cpu", "Warmup(CosineDecay)"),
        ("torch on cpu", "JAX (cpu), jit: Warmup(CosineDecay)"),
        ("torch on cpu", "AdamW training step: warmup + cosine"),
    }
    ratios = cases[("torch on cpu", "Warmup(CosineDecay)")]["ratios"]
    assert ratios["hand-written torch"] == 1.0 and ratios["lrkit"] > 0
    train = cases[("torch on cpu", "AdamW training step: warmup + cosine")]["timings"]
    assert set(train) == {
        "rate on the device (DeviceScheduleLR)",
        "constant tensor rate",
        "Python float rate (ScheduleLR)",
    }
