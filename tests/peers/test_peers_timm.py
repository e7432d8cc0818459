"""`lrkit.from_timm` against the real timm schedulers.

Each generated configuration builds a timm scheduler over ``torch.optim.SGD`` (two
parameter groups, one with an ``lr_scale``) and compares the rate timm sets at its step
``t`` (``step(t)`` with ``t_in_epochs=True``, ``step_update(t)`` otherwise: the
optimizer's rate afterwards) with ``from_timm(scheduler, group)(t)``, through the
warmup, every cycle and past the last. timm computes in float64 from the closed form;
the check allows 1e-12 of the scale. timm finds a cycle with ``floor(log(...))``, which
misplaces some restart steps: those steps are skipped where timm's own index is provably
wrong (``timm_wrong_cycle``, as in tests/test_modern_timm.py), and shown below.
"""

from __future__ import annotations

import math
import random

import pytest

import lrkit
from conftest import require
from test_modern_timm import _converged, timm_scheduler, timm_wrong_cycle

REL = 1e-12


def optimizer(lrs=(0.5, 0.02)):
    torch = require("torch")
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    groups[1]["lr_scale"] = 0.25
    return torch.optim.SGD(groups, lr=lrs[0])


def compare(sched, n: int, kw: dict | None = None):
    per_epoch = getattr(sched, "t_in_epochs", True)
    opt = sched.optimizer
    schedules = [lrkit.from_timm(sched, group=g) for g in range(len(opt.param_groups))]
    rates: list[list[float]] = [[] for _ in opt.param_groups]
    steps = [t for t in range(n) if kw is None or not timm_wrong_cycle(kw, t)]
    assert len(steps) >= n - n // 50
    for t in steps:
        if per_epoch:
            sched.step(t)
        else:
            sched.step_update(t)
        for g, pg in enumerate(opt.param_groups):
            rates[g].append(float(pg["lr"]))
    for g, (theirs, ours) in enumerate(zip(rates, schedules, strict=True)):
        scale = max(abs(x) for x in theirs) or 1.0
        bad = [
            (t, a, ours(t))
            for t, a in zip(steps, theirs, strict=True)
            if not abs(a - ours(t)) <= REL * scale
        ]
        assert not bad, f"{ours!r} group {g}: (step, timm, lrkit) {bad[:5]} of {len(bad)}"
    return schedules


def _cycles(rng: random.Random) -> dict:
    kw: dict = {"t_initial": rng.choice([1, 7, 20, 13.5])}
    kw["cycle_mul"] = rng.choice([1.0, 1.0, 2.0, 1.5, 3.0, 0.5])
    if kw["cycle_mul"] < 1:
        kw["t_initial"] = rng.choice([40, 100])
    kw["cycle_decay"] = rng.choice([1.0, 0.5, 0.9])
    kw["cycle_limit"] = rng.choice([1, 2, 5, 1000])
    kw["lr_min"] = rng.choice([0.0, 1e-3])
    if rng.random() < 0.6:
        kw["warmup_t"] = rng.choice([1, 5, 30])
        kw["warmup_lr_init"] = rng.choice([0.0, 1e-4])
        kw["warmup_prefix"] = rng.random() < 0.5
    kw["t_in_epochs"] = rng.random() < 0.5
    return kw


def _n(kw):
    return _converged(kw) or 300


COSINE = [
    dict(_cycles(random.Random(2000 + i)), k_decay=random.Random(i).choice([1.0, 2.0, 0.5]))
    for i in range(20)
]
TANH = [
    dict(_cycles(random.Random(3000 + i)), **random.Random(i).choice([{}, {"lb": -3.0, "ub": 5.0}]))
    for i in range(16)
]
POLY = [
    dict(
        _cycles(random.Random(4000 + i)),
        power=random.Random(i).choice([0.5, 1.0, 2.0]),
        k_decay=random.Random(-i).choice([1.0, 1.0, 2.0, 0.5, 3.0]),
    )
    for i in range(24)
]


@pytest.mark.parametrize("kw", COSINE, ids=str)
def test_cosine_lr_scheduler(kw):
    mod = timm_scheduler("cosine_lr")
    compare(mod.CosineLRScheduler(optimizer(), **kw), _n(kw), kw)


@pytest.mark.parametrize("kw", TANH, ids=str)
def test_tanh_lr_scheduler(kw):
    mod = timm_scheduler("tanh_lr")
    compare(mod.TanhLRScheduler(optimizer(), **kw), _n(kw), kw)


@pytest.mark.parametrize("kw", POLY, ids=str)
def test_poly_lr_scheduler(kw):
    mod = timm_scheduler("poly_lr")
    ours = compare(mod.PolyLRScheduler(optimizer(), **kw), _n(kw), kw)
    assert isinstance(ours[0], lrkit.PolyCycles)


def _warmup(rng):
    if rng.random() < 0.4:
        return {}
    return dict(
        warmup_t=rng.choice([1, 3, 10]),
        warmup_lr_init=rng.choice([0.0, 0.01]),
        warmup_prefix=rng.random() < 0.5,
    )


STEP = [
    dict(
        decay_t=random.Random(i).choice([1, 7, 7.5, 30]),
        decay_rate=random.Random(-i).choice([0.5, 0.1, 1.0]),
        t_in_epochs=i % 2 == 0,
        **_warmup(random.Random(5000 + i)),
    )
    for i in range(12)
]
MULTI = [
    dict(
        decay_t=sorted(random.Random(i).sample(range(0, 40), random.Random(-i).randint(0, 4))),
        decay_rate=random.Random(i).choice([0.5, 0.1]),
        t_in_epochs=i % 2 == 1,
        **_warmup(random.Random(6000 + i)),
    )
    for i in range(12)
] + [dict(decay_t=[0, 1, 5], decay_rate=0.5), dict(decay_t=[1, 1, 3], decay_rate=0.5, warmup_t=2)]


@pytest.mark.parametrize("kw", STEP, ids=str)
def test_step_lr_scheduler(kw):
    mod = timm_scheduler("step_lr")
    compare(mod.StepLRScheduler(optimizer(), **kw), 100)


@pytest.mark.parametrize("kw", MULTI, ids=str)
def test_multistep_lr_scheduler(kw):
    # a milestone m applies from t = m - 1 (0 and 1 both from t = 0)
    mod = timm_scheduler("multistep_lr")
    compare(mod.MultiStepLRScheduler(optimizer(), **kw), 60)


def test_the_sweeps_cover_every_option():
    seen = set()
    for kw in COSINE + TANH + POLY:
        seen.add(f"mul={kw['cycle_mul']}")
        seen.add(f"prefix={kw.get('warmup_prefix')}")
        seen.add(f"epochs={kw['t_in_epochs']}")
        seen.add(f"float t={isinstance(kw['t_initial'], float)}")
    for kw in POLY:
        seen.add(f"k={kw['k_decay']}")
    assert {
        "mul=1.0",
        "mul=2.0",
        "mul=1.5",
        "mul=3.0",
        "mul=0.5",
        "prefix=True",
        "prefix=False",
        "prefix=None",
        "epochs=True",
        "epochs=False",
        "float t=True",
        "k=2.0",
        "k=0.5",
        "k=3.0",
    } <= seen, sorted(seen)


# -- refused, and where lrkit differs -----------------------------------------------------------


def test_noise_and_other_classes_are_refused():
    mod = timm_scheduler("cosine_lr")
    noisy = mod.CosineLRScheduler(optimizer(), t_initial=10, noise_range_t=5)
    with pytest.raises(TypeError, match="adds noise"):
        lrkit.from_timm(noisy)
    plateau = timm_scheduler("plateau_lr")
    with pytest.raises(TypeError, match="PlateauLRScheduler"):
        lrkit.from_timm(plateau.PlateauLRScheduler(optimizer()))
    with pytest.raises(ValueError, match="Argument `group` must be >= 0 and < 2"):
        lrkit.from_timm(mod.CosineLRScheduler(optimizer(), t_initial=10), group=5)


def test_bad_arguments_use_timm_names():
    mod = timm_scheduler("step_lr")
    with pytest.raises(ValueError, match=r"Argument `decay_t` must be > 0\. Received: decay_t=0"):
        lrkit.from_timm(mod.StepLRScheduler(optimizer(), decay_t=0))
    multi = timm_scheduler("multistep_lr")
    with pytest.raises(ValueError, match="`decay_t` must be sorted"):
        lrkit.from_timm(multi.MultiStepLRScheduler(optimizer(), decay_t=[30, 10]))
    poly = timm_scheduler("poly_lr")
    with pytest.raises(ValueError, match=r"Argument `k_decay` must be > 0"):
        lrkit.from_timm(poly.PolyLRScheduler(optimizer(), t_initial=10, k_decay=0.0))


@pytest.mark.parametrize("module", ["cosine_lr", "poly_lr"])
def test_timm_misses_a_restart(module):
    # t_initial=10, cycle_mul=3: cycle 5 starts at 10 * (3**5 - 1) / 2 = 1210, but
    # log(243, 3) = 4.999999999999999 puts timm's step 1210 at the end of cycle 4
    mod = timm_scheduler(module)
    cls = mod.CosineLRScheduler if module == "cosine_lr" else mod.PolyLRScheduler
    sched = cls(optimizer((1.0, 1.0)), t_initial=10, cycle_mul=3.0, cycle_limit=10)
    assert sched._get_lr(1210)[0] == pytest.approx(0.0, abs=1e-12)
    assert lrkit.from_timm(sched)(1210) == 1.0


def test_timm_fails_once_shrinking_cycles_converge():
    mod = timm_scheduler("poly_lr")
    sched = mod.PolyLRScheduler(optimizer(), t_initial=30, cycle_mul=0.5, cycle_limit=100)
    with pytest.raises(ValueError, match="math domain error"):
        sched._get_lr(60)
    assert lrkit.from_timm(sched)(60) == 0.0


def test_poly_cycles_formula():
    # (1 - (e / T)^k)^p at a few steps, from math
    s = lrkit.PolyCycles(2.0, 10, power=0.5, k_decay=3.0, min_learning_rate=0.5)
    for e in (0, 1, 4, 9):
        assert s(e) == pytest.approx(0.5 + 1.5 * math.sqrt(1 - (e / 10) ** 3), rel=1e-14)
    assert s(10) == s(10**9) == 0.5
