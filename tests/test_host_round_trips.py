"""A schedule called on a PyTorch tensor builds no tensor from host data after its first call.

A tensor built from Python numbers or lists (``torch.tensor``, ``torch.asarray``,
``torch.as_tensor``, ``torch.from_numpy``) is a copy from host memory; on a GPU that
copy makes the host wait for the device's stream, at every call. lrkit passes Python
numbers to PyTorch as kernel arguments and builds its tables (boundaries, restarts)
once per device and dtype. The four constructors are counted here by patching them,
for every registered class, on vector and 0-d steps of every dtype lrkit accepts
(int64, int32, int16, uint8, float32, float64, float16, bfloat16).
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import lrkit
from conftest import require
from lrkit import model_garden as mg

CONSTRUCTORS = ("tensor", "asarray", "as_tensor", "from_numpy")


def _schedules() -> list[tuple[str, Any]]:
    X = lrkit
    cos = X.CosineDecay(0.1, 5000, alpha=0.01)
    mg_cos = mg.CosineDecayWithOffset(offset=0, initial_learning_rate=0.1, decay_steps=10**4)
    return [
        ("exponential", X.ExponentialDecay(0.1, 1000, 0.96)),
        ("exponential-staircase", X.ExponentialDecay(0.1, 1000, 0.5, staircase=True)),
        ("inverse-time", X.InverseTimeDecay(0.1, 1000, 0.5, staircase=True)),
        ("piecewise", X.PiecewiseConstantDecay([100, 5000, 30_000], [0.1, 0.05, 0.01, 0.001])),
        ("polynomial", X.PolynomialDecay(0.1, 8000, 1e-4, power=0.5)),
        ("polynomial-cycle", X.PolynomialDecay(0.1, 3000, 1e-4, cycle=True)),
        ("cosine", cos),
        ("cosine-warmup", X.CosineDecay(0.0, 5000, warmup_target=0.1, warmup_steps=100)),
        ("restarts", X.CosineDecayRestarts(0.1, 100, t_mul=2.0, m_mul=0.9)),
        ("restarts-t1", X.CosineDecayRestarts(0.1, 79, t_mul=1.0, alpha=0.1)),
        ("constant", X.Constant(0.1)),
        ("linear", X.Linear(0.1, 0.0, 7000, transition_begin=100)),
        ("polynomial-warmup", X.Polynomial(0.1, 9000, power=2.0, warmup_steps=500)),
        ("piecewise-linear", X.PiecewiseLinear([(0, 0.0), (100, 0.1), (10**5, 0.001)])),
        ("inverse-sqrt", X.InverseSqrt(0.1, warmup_steps=400)),
        (
            "wsd",
            X.WarmupStableDecay(0.1, total_steps=9000, warmup_fraction=0.01, decay_fraction=0.2),
        ),
        ("one-cycle", X.OneCycle(0.1, 8000)),
        ("cyclic", X.Cyclic(0.01, 0.1, step_size_up=200, mode="triangular2")),
        ("cosine-waves", X.Cosine(0.1, 9000, waves=1.0, cycles=3, warmup_steps=100)),
        ("cosine-cycles", X.CosineCycles(0.1, 100, cycle_mul=2.0, cycle_decay=0.7)),
        ("tanh", X.Tanh(0.1, 100, cycle_mul=1.5, cycle_limit=None)),
        (
            "poly-cycles",
            X.PolyCycles(0.1, 100, power=2.0, cycle_mul=2.0, cycle_limit=None, k_decay=2.0),
        ),
        ("cosine-annealing", X.CosineAnnealing(0.1, 3000, min_learning_rate=1e-4)),
        ("one-cycle-momentum", X.OneCycle(0.1, 3000).momentum(0.85, 0.95)),
        ("cooldown", X.Cooldown(X.Warmup(X.CosineDecay(0.1, 3000), 100), 1500, 500)),
        ("epochwise", X.Epochwise(X.CosineDecay(0.1, 30), 100, granularity="step")),
        ("step", X.Step(0.1, 100, gamma=0.9)),
        ("multistep", X.MultiStep(0.1, [100, 1000, 5000], gamma=0.1)),
        ("warmup", X.Warmup(cos, 100)),
        ("join", X.Join([X.Linear(0.0, 0.1, 100), cos], [100])),
        ("offset", X.Offset(cos, 250)),
        ("clamp", X.Clamp(X.ExponentialDecay(0.1, 100, 0.5), min_value=1e-5)),
        ("sum-product", 0.5 * cos + cos * X.Linear(1.0, 0.5, 10**4)),
        (
            "mg-cosine",
            mg.CosineDecayWithOffset(offset=100, initial_learning_rate=0.1, decay_steps=5000),
        ),
        (
            "mg-exponential",
            mg.ExponentialDecayWithOffset(
                offset=100, initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.9
            ),
        ),
        (
            "mg-piecewise",
            mg.PiecewiseConstantDecayWithOffset(
                offset=10, boundaries=[100, 1000], values=[0.1, 0.01, 0.001]
            ),
        ),
        (
            "mg-polynomial",
            mg.PolynomialDecayWithOffset(offset=10, initial_learning_rate=0.1, decay_steps=10**4),
        ),
        ("mg-power", mg.DirectPowerDecay(0.1, power=-0.5)),
        ("mg-power-linear", mg.PowerAndLinearDecay(0.1, 10**4, power=-0.5)),
        (
            "mg-power-offset",
            mg.PowerDecayWithOffset(0.1, power=-0.5, offset=100, pre_offset_learning_rate=0.1),
        ),
        ("mg-step-cosine", mg.StepCosineDecayWithOffset([0, 1000, 10**4], [0.1, 0.01, 0.001])),
        ("mg-linear-warmup", mg.LinearWarmup(mg_cos, 100, 0.0)),
        ("mg-polynomial-warmup", mg.PolynomialWarmUp(mg_cos, 100)),
    ]


SCHEDULES = _schedules()
IDS = [name for name, _ in SCHEDULES]


def _classes(s: Any) -> set[str]:
    out = {type(s).__name__}
    for c in (
        getattr(s, "schedule", None),
        getattr(s, "after_warmup_lr_sched", None),
        *getattr(s, "schedules", ()),
    ):
        if isinstance(c, lrkit.LearningRateSchedule):
            out |= _classes(c)
    return out


def test_every_registered_class_is_checked():
    covered = set().union(*(_classes(s) for _, s in SCHEDULES))
    assert covered == {k for k in lrkit.registry.known() if ">" not in k}


class _Counter:
    """Counts the tensor constructors called on data that is not already a tensor."""

    def __init__(self, torch: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        for name in CONSTRUCTORS:
            original = getattr(torch, name)
            monkeypatch.setattr(torch, name, self._wrap(torch, name, original))

    def _wrap(self, torch: Any, name: str, original: Any) -> Any:
        def counted(data: Any, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(data, torch.Tensor):
                self.calls.append(f"torch.{name}({type(data).__name__})")
            return original(data, *args, **kwargs)

        return counted


def _steps(torch: Any, dtype: Any, shape: str) -> Any:
    small = dtype in (torch.uint8, torch.int16)  # (narrow integers: steps they hold)
    if shape == "0-d":
        return torch.tensor(123 if small else 1234, dtype=dtype)
    return torch.arange(0, 250 if small else 40_000, 37, dtype=dtype)


@pytest.mark.parametrize("shape", ["vector", "0-d"])
@pytest.mark.parametrize(
    "dtype", ["int64", "int32", "int16", "uint8", "float32", "float64", "float16", "bfloat16"]
)
@pytest.mark.parametrize("name", IDS)
def test_a_second_call_builds_no_tensor_from_host_data(name, dtype, shape, monkeypatch):
    torch = require("torch")
    schedule = dict(SCHEDULES)[name]
    steps = _steps(torch, getattr(torch, dtype), shape)
    first = schedule(steps)  # may build the schedule's tables (once per device and dtype)
    counter = _Counter(torch, monkeypatch)
    second = schedule(steps)
    assert counter.calls == [], counter.calls
    assert torch.equal(first, second)
    # the values are those of Python's float64 formula, to the result's precision
    expected = torch.tensor(
        [schedule(int(s)) for s in steps.reshape(-1).tolist()], dtype=torch.float64
    ).reshape(steps.shape)
    tol = {torch.float64: 1e-12, torch.float16: 2e-3, torch.bfloat16: 1e-2}.get(first.dtype, 1e-5)
    assert torch.allclose(first.double(), expected, rtol=tol, atol=tol * 0.1)


def test_the_first_call_of_a_table_schedule_builds_its_table_once(monkeypatch):
    torch = require("torch")
    schedule = lrkit.PiecewiseConstantDecay([10, 20, 30], [0.4, 0.3, 0.2, 0.1])
    counter = _Counter(torch, monkeypatch)
    steps = torch.arange(40)
    for _ in range(3):
        schedule(steps)
    built = len(counter.calls)
    assert 1 <= built <= 2  # the boundaries (int64) and the values (float32), once each
    schedule(steps.to(torch.float64))  # another dtype: its own tables
    assert len(counter.calls) > built


def test_the_tables_leave_a_schedule_as_it_was():
    torch = require("torch")
    schedule = lrkit.PiecewiseConstantDecay([10, 20], [0.3, 0.2, 0.1])
    twin = lrkit.PiecewiseConstantDecay([10, 20], [0.3, 0.2, 0.1])
    before = (schedule.get_config(), hash(schedule), pickle.dumps(schedule), vars(schedule).copy())
    schedule(torch.arange(30))
    after = (schedule.get_config(), hash(schedule), pickle.dumps(schedule), vars(schedule))
    assert before == after
    assert schedule == twin and hash(schedule) == hash(twin)
    assert pickle.loads(pickle.dumps(schedule)) == twin


def test_constant_schedule_on_a_tensor_is_filled_on_its_device(monkeypatch):
    torch = require("torch")
    counter = _Counter(torch, monkeypatch)
    out = lrkit.Constant(0.25)(torch.arange(5, dtype=torch.int32))
    assert counter.calls == []
    assert out.dtype == torch.get_default_dtype() and out.tolist() == [0.25] * 5


def test_a_negative_tensor_step_counts_as_step_0(monkeypatch):
    torch = require("torch")
    schedule = lrkit.CosineDecay(0.1, 100, warmup_target=1.0, warmup_steps=10)
    steps = torch.tensor([-5, 0, 5], dtype=torch.int64)
    schedule(steps)
    counter = _Counter(torch, monkeypatch)
    out = schedule(steps)
    assert counter.calls == []
    assert out[0].item() == out[1].item() == torch.tensor(schedule(0), dtype=out.dtype).item()
