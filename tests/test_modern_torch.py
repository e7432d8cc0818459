"""Parity with PyTorch's schedulers, stepped over a real optimizer.

Each torch scheduler drives ``torch.optim.SGD`` on a dummy parameter; the rate the
optimizer holds after ``t`` calls of ``scheduler.step()`` is compared with lrkit's at
step ``t``. torch computes in float64 Python floats, several schedulers recursively
(``LinearLR``, ``StepLR`` and ``MultiStepLR`` multiply the previous rate), so their
rounding error grows by about one ulp per step: after at most a few hundred steps it
stays below 1e-13 of the scale, and the check allows 1e-12 of the scale.
"""

from __future__ import annotations

import warnings

import pytest

import lrkit
from conftest import require

REL = 1e-12


def torch_rates(make, lr: float, n: int) -> list[float]:
    """The optimizer's rate at steps 0 .. n-1 under the scheduler ``make(optimizer)``."""
    torch = require("torch")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(opt)
        out = []
        for _ in range(n):
            out.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
    return out


def assert_close(theirs, schedule, scale, rel=REL, steps=None):
    steps = range(len(theirs)) if steps is None else steps
    ours = [schedule(t) for t in steps]
    bad = [
        (t, a, b)
        for t, a, b in zip(steps, theirs, ours, strict=True)
        if not abs(a - b) <= rel * scale
    ]
    assert not bad, f"{schedule!r}: (step, torch, lrkit) {bad[:5]} of {len(bad)}"


@pytest.fixture(scope="module")
def sched():
    return require("torch").optim.lr_scheduler


@pytest.mark.parametrize(
    ("start", "end", "total"),
    [
        (1 / 3, 1.0, 5),
        (0.1, 0.9, 37),
        (1.0, 0.05, 100),
        (0.5, 0.5, 10),
        (0.01, 1.0, 1),
    ],
)
def test_linear_lr(sched, start, end, total):
    lr = 0.3
    theirs = torch_rates(lambda o: sched.LinearLR(o, start, end, total), lr, total + 20)
    assert_close(theirs, lrkit.Linear(lr * start, lr * end, total), lr)


def test_linear_lr_zero_iterations_differs(sched):
    # torch with total_iters=0 holds start_factor forever (its closed form divides by
    # zero); lrkit's line of length 0 is the end rate at once.
    theirs = torch_rates(lambda o: sched.LinearLR(o, 0.5, 1.0, 0), 1.0, 3)
    assert theirs == [0.5, 0.5, 0.5]
    assert [lrkit.Linear(0.5, 1.0, 0)(t) for t in range(3)] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(("size", "gamma"), [(7, 0.7), (1, 0.9), (30, 0.1), (10, 2.0)])
def test_step_lr(sched, size, gamma):
    lr = 0.3
    theirs = torch_rates(lambda o: sched.StepLR(o, size, gamma), lr, 120)
    scale = max(abs(x) for x in theirs)
    assert_close(theirs, lrkit.Step(lr, size, gamma), scale)


@pytest.mark.parametrize(
    ("milestones", "gamma"),
    [
        ([30, 80], 0.1),
        ([50, 10, 10, 30], 0.5),
        ([0, 5], 0.5),
        ([], 0.1),
    ],
)
def test_multistep_lr(sched, milestones, gamma):
    lr = 0.3
    theirs = torch_rates(lambda o: sched.MultiStepLR(o, milestones, gamma), lr, 100)
    assert_close(theirs, lrkit.MultiStep(lr, milestones, gamma), lr)


ONECYCLE = [
    dict(total_steps=100),
    dict(total_steps=100, anneal_strategy="linear"),
    dict(total_steps=100, three_phase=True),
    dict(total_steps=37, pct_start=0.25, three_phase=True, anneal_strategy="linear"),
    dict(total_steps=10, pct_start=0.25),  # peak between steps 1 and 2
    dict(total_steps=10, pct_start=0.05),  # peak before step 0: step 0 is on the way down
    dict(total_steps=100, pct_start=0.29),  # 0.29 * 100 is 28.999999999999996 in floats
    dict(total_steps=100, pct_start=0.9, div_factor=5.0, final_div_factor=100.0),
    dict(total_steps=1000, pct_start=0.3, three_phase=True),
    dict(total_steps=3, pct_start=0.5),
]


@pytest.mark.parametrize("kw", ONECYCLE, ids=str)
def test_one_cycle_lr(sched, kw):
    lr = 0.5
    n = kw["total_steps"]
    theirs = torch_rates(lambda o: sched.OneCycleLR(o, max_lr=lr, **kw), lr, n)
    assert_close(theirs, lrkit.OneCycle(lr, **kw), lr)


def test_one_cycle_lr_steps_per_epoch(sched):
    lr = 0.1
    theirs = torch_rates(
        lambda o: sched.OneCycleLR(o, max_lr=lr, epochs=4, steps_per_epoch=25), lr, 100
    )
    assert_close(theirs, lrkit.OneCycle(lr, total_steps=4 * 25), lr)


def test_one_cycle_where_torch_fails_or_stops(sched):
    # pct_start * total_steps == 1 puts torch's peak at step 0, and torch divides 0 by 0
    with pytest.raises(ZeroDivisionError):
        torch_rates(
            lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.1), 1.0, 1
        )
    s = lrkit.OneCycle(1.0, total_steps=10, pct_start=0.1)
    assert s(0) == 1.0
    # at step total_steps torch continues the cosine past its end, then refuses to step;
    # lrkit holds the final rate
    torch = require("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one_cycle = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
        for _ in range(10):
            opt.step()
            one_cycle.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(0.0495, abs=1e-4)
        with pytest.raises(ValueError, match="Tried to step 11 times"):
            one_cycle.step()
    assert lrkit.OneCycle(1.0, 10)(9) == lrkit.OneCycle(1.0, 10)(10) == 1.0 / 25 / 1e4


CYCLIC = [
    dict(step_size_up=5),
    dict(step_size_up=5, mode="triangular2"),
    dict(step_size_up=5, mode="exp_range", gamma=0.99),
    dict(step_size_up=5, step_size_down=3),
    dict(step_size_up=4, step_size_down=0),  # a sawtooth
    dict(step_size_up=2.5, step_size_down=1.5),
    dict(step_size_up=1, step_size_down=7, mode="triangular2"),
]


@pytest.mark.parametrize("kw", CYCLIC, ids=str)
def test_cyclic_lr(sched, kw):
    # torch's cycle position 1 + t/total - floor(1 + t/total) is rounded to about
    # cycle * 2**-52 (< 5e-14 here); the rate moves by at most (max - base) / step_size
    # per unit of position * total, so the error stays far below 1e-12 of the span.
    base, top = 0.01, 0.1
    theirs = torch_rates(lambda o: sched.CyclicLR(o, base, top, **kw), base, 300)
    assert_close(theirs, lrkit.Cyclic(base, top, **kw), top)
