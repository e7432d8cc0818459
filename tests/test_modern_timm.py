"""Parity with timm's schedulers (``_get_lr(t)``, the rate timm sets at its step ``t``).

``import timm`` imports torchvision, which does not load here, so the scheduler modules
are imported under a stub package that skips ``timm/__init__`` (``timm_scheduler``).
timm computes in float64 Python floats from the closed form; the check allows 1e-12 of
the scale. timm finds a cycle with ``floor(log(...))``, which misplaces some restart
steps (in the previous cycle, at its minimum): those steps are listed by name below,
and skipped in the sweeps only where timm's own index is provably wrong.

The tests of one family are in ``tests/schedules/test_<family>.py``; this module keeps
the shared tables and checks (``check_<test>``, run there on the family's cases) and the
tests that span families.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import pathlib
import random
import sys
import types
from fractions import Fraction

import pytest

import lrkit
from conftest import require

REL = 1e-12
LR = 0.5


def timm_scheduler(module: str):
    """``timm.scheduler.<module>``, imported without running ``timm/__init__``."""
    require("torch")
    if "timm" not in sys.modules or not hasattr(sys.modules["timm"], "__path__"):
        spec = importlib.util.find_spec("timm")
        if spec is None or not spec.submodule_search_locations:
            require("timm")  # skips, or fails in CI: timm is not installed
        root = pathlib.Path(next(iter(spec.submodule_search_locations)))
        for name, path in (("timm", root), ("timm.scheduler", root / "scheduler")):
            if name not in sys.modules:
                stub = types.ModuleType(name)
                stub.__path__ = [str(path)]
                sys.modules[name] = stub
    return importlib.import_module(f"timm.scheduler.{module}")


def optimizer(lr: float = LR):
    torch = require("torch")
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def timm_wrong_cycle(kw: dict, t: int) -> bool:
    """Whether timm's floor(log(...)) cycle index at ``t`` differs from the exact one."""
    m, t0 = kw.get("cycle_mul", 1.0), kw["t_initial"]
    if m == 1:
        return False
    if kw.get("warmup_prefix") and kw.get("warmup_t"):
        t -= kw["warmup_t"]
    if t < 0 or (m < 1 and t >= t0 / (1 - m)):
        return False
    i = 0
    mm = Fraction(m)
    while Fraction(t0) * (mm ** (i + 1) - 1) / (mm - 1) <= t:
        i += 1
    return math.floor(math.log(1 - t / t0 * (1 - m), m)) != i


def compare(scheduler, schedule, n: int, kw: dict | None = None, scale: float = LR):
    skipped, bad = 0, []
    for t in range(n):
        if kw is not None and timm_wrong_cycle(kw, t):
            skipped += 1
            continue
        theirs, ours = scheduler._get_lr(t)[0], schedule(t)
        if not abs(theirs - ours) <= REL * scale:
            bad.append((t, theirs, ours))
    assert not bad, f"{schedule!r}: (step, timm, lrkit) {bad[:5]} of {len(bad)}"
    assert skipped <= n // 50


def _cycle_kwargs(rng: random.Random) -> dict:
    kw: dict = {"t_initial": rng.choice([1, 7, 20, 50, 13.5])}
    kw["cycle_mul"] = rng.choice([1.0, 1.0, 2.0, 1.5, 3.0, 0.5])
    if kw["cycle_mul"] < 1:
        kw["t_initial"] = rng.choice([40, 100])
    kw["cycle_decay"] = rng.choice([1.0, 0.5, 0.9])
    kw["cycle_limit"] = rng.choice([1, 2, 5, 1000])
    kw["lr_min"] = rng.choice([0.0, 1e-3])
    if rng.random() < 0.5:
        kw["warmup_t"] = rng.choice([1, 5, 30])
        kw["warmup_lr_init"] = rng.choice([0.0, 1e-4])
        kw["warmup_prefix"] = rng.random() < 0.5
    return kw


def _converged(kw: dict) -> int | None:
    """For cycle_mul < 1, the step from which timm raises (log of a negative number)."""
    m = kw.get("cycle_mul", 1.0)
    if m >= 1:
        return None
    end = math.ceil(kw["t_initial"] / (1 - m))
    return end + (kw.get("warmup_t", 0) if kw.get("warmup_prefix") else 0)


def _ours_kwargs(kw: dict) -> dict:
    names = {
        "t_initial": "cycle_steps",
        "lr_min": "min_learning_rate",
        "warmup_t": "warmup_steps",
        "warmup_lr_init": "warmup_learning_rate",
    }
    return {names.get(k, k): v for k, v in kw.items()}


CASES = [_cycle_kwargs(random.Random(1000 + i)) for i in range(24)]


def test_the_sweep_covers_every_option():
    seen = set()
    for kw in CASES:
        seen.add(f"mul={kw['cycle_mul']}")
        seen.add(f"prefix={kw.get('warmup_prefix')}")
        seen.add(f"limit>1={kw['cycle_limit'] > 1}")
        seen.add(f"decay<1={kw['cycle_decay'] < 1}")
        seen.add(f"float t_initial={isinstance(kw['t_initial'], float)}")
    assert {
        "mul=1.0",
        "mul=2.0",
        "mul=1.5",
        "mul=3.0",
        "mul=0.5",
        "prefix=True",
        "prefix=False",
        "prefix=None",
        "limit>1=True",
        "limit>1=False",
        "decay<1=True",
        "float t_initial=True",
    } <= seen, sorted(seen)


# -- where timm is wrong ------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["cosine_lr", "tanh_lr"])
def test_timm_misses_a_restart(module):
    # t_initial=10, cycle_mul=3: cycle 5 starts at 10 * (3**5 - 1) / 2 = 1210, but
    # log(243, 3) = 4.999999999999999 puts timm's step 1210 at the end of cycle 4.
    mod = timm_scheduler(module)
    cls = mod.CosineLRScheduler if module == "cosine_lr" else mod.TanhLRScheduler
    kw = dict(t_initial=10, cycle_mul=3.0, cycle_limit=10)
    theirs = cls(optimizer(1.0), **kw)._get_lr(1210)[0]
    ours_cls = lrkit.CosineCycles if module == "cosine_lr" else lrkit.Tanh
    ours = ours_cls(1.0, cycle_steps=10, cycle_mul=3.0, cycle_limit=10)
    # timm's value is cycle 4 at its very end: 0 (cosine), (1 - tanh 3) / 2 (tanh)
    end_of_cycle = 0.0 if module == "cosine_lr" else (1 - math.tanh(3.0)) / 2
    assert theirs == pytest.approx(end_of_cycle, abs=1e-12)
    assert ours(1210) > 0.99  # the restart's peak (tanh starts just below it)


def test_cosine_warmup_without_prefix_jumps():
    # timm's cosine warmup (without prefix) leads to the initial rate, then the rate jumps
    # to the cycle's value at warmup_t; its tanh warmup leads to that value instead.
    cosine_lr, tanh_lr = timm_scheduler("cosine_lr"), timm_scheduler("tanh_lr")
    c = cosine_lr.CosineLRScheduler(optimizer(1.0), t_initial=20, warmup_t=10)
    t = tanh_lr.TanhLRScheduler(optimizer(1.0), t_initial=20, warmup_t=10)
    ours_c = lrkit.CosineCycles(1.0, 20, warmup_steps=10)
    ours_t = lrkit.Tanh(1.0, 20, warmup_steps=10)
    assert ours_c(9) == pytest.approx(c._get_lr(9)[0], rel=REL) == pytest.approx(0.9)
    assert ours_c(10) == pytest.approx(0.5, rel=REL)
    assert ours_t(9) == pytest.approx(t._get_lr(9)[0], rel=REL)
    assert ours_t(9) == pytest.approx(0.9 * ours_t(10), rel=REL)
