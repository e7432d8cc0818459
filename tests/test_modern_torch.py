"""Parity with PyTorch's schedulers, stepped over a real optimizer.

Each torch scheduler drives ``torch.optim.SGD`` on a dummy parameter; the rate the
optimizer holds after ``t`` calls of ``scheduler.step()`` is compared with lrkit's at
step ``t``. torch computes in float64 Python floats, several schedulers recursively
(``LinearLR``, ``StepLR`` and ``MultiStepLR`` multiply the previous rate), so their
rounding error grows by about one ulp per step: after at most a few hundred steps it
stays below 1e-13 of the scale, and the check allows 1e-12 of the scale.

The tests are in ``tests/schedules/test_<family>.py``, one file per family; this module
keeps what they share: the stepped PyTorch rates and the check.
"""

from __future__ import annotations

import warnings

import pytest

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


CYCLIC = [
    dict(step_size_up=5),
    dict(step_size_up=5, mode="triangular2"),
    dict(step_size_up=5, mode="exp_range", gamma=0.99),
    dict(step_size_up=5, step_size_down=3),
    dict(step_size_up=4, step_size_down=0),  # a sawtooth
    dict(step_size_up=2.5, step_size_down=1.5),
    dict(step_size_up=1, step_size_down=7, mode="triangular2"),
]
