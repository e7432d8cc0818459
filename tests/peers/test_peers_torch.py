"""`lrkit.from_torch` against the real PyTorch schedulers, stepped over a real optimizer.

Each case builds a torch scheduler on ``torch.optim.SGD`` (two parameter groups with
different rates), steps it, and compares the rate every group holds after ``t`` calls
of ``scheduler.step()`` with ``from_torch(scheduler, group)(t)``, at every step up to
past the schedule's end. torch computes in float64 Python floats, several schedulers
recursively (each step multiplies the previous rate), so its rounding grows by about an
ulp per step; over these few hundred steps it stays far below 1e-12 of the scale.
"""

from __future__ import annotations

import math
import random
import warnings

import pytest

import lrkit
from conftest import require

REL = 1e-12
LRS = (0.3, 0.05)


def optimizer(lrs=LRS, **kw):
    torch = require("torch")
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9, **kw)


def stepped(make, n: int, lrs=LRS):
    """(scheduler, rates): rates[g][t] is group g's rate after t steps, t < n."""
    opt = optimizer(lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(opt)
        rates = [[] for _ in opt.param_groups]
        for _ in range(n):
            for g, pg in enumerate(opt.param_groups):
                rates[g].append(float(pg["lr"]))
            opt.step()
            sched.step()
    return sched, rates


def check(make, n: int, lrs=LRS, before: bool = False):
    """Compares every group; ``before``: read the scheduler before stepping it."""
    early = []

    def made(o):
        sched = make(o)
        if before:
            early.extend(lrkit.from_torch(sched, group=g) for g in range(len(o.param_groups)))
        return sched

    sched, rates = stepped(made, n, lrs)
    for g, theirs in enumerate(rates):
        ours = early[g] if before else lrkit.from_torch(sched, group=g)
        scale = max(1e-300, max(abs(x) for x in theirs))
        bad = [(t, a, ours(t)) for t, a in enumerate(theirs) if not abs(a - ours(t)) <= REL * scale]
        assert not bad, f"{ours!r} group {g}: (step, torch, lrkit) {bad[:5]} of {len(bad)}"
    return sched


@pytest.fixture(scope="module")
def S():
    return require("torch").optim.lr_scheduler


def _cases(seed: int, count: int, gen):
    return [gen(random.Random(seed + i)) for i in range(count)]


STEP = _cases(
    0, 12, lambda r: dict(step_size=r.choice([1, 3, 7, 20]), gamma=r.choice([0.1, 0.5, 0.9, 1.5]))
)
MULTI = _cases(100, 12, lambda r: dict(
    milestones=sorted(r.sample(range(0, 40), r.randint(0, 4))) + r.choice([[], [10]]),
    gamma=r.choice([0.1, 0.5, 0.8]),
))  # fmt: skip
CONST = _cases(
    200,
    10,
    lambda r: dict(factor=r.choice([0.0, 0.1, 1 / 3, 0.5, 1.0]), total_iters=r.choice([1, 4, 25])),
)
LINEAR = _cases(300, 12, lambda r: dict(
    start_factor=r.choice([1 / 3, 0.01, 0.5, 1.0]),
    end_factor=r.choice([0.0, 0.25, 1.0]),
    total_iters=r.choice([1, 5, 37]),
))  # fmt: skip
EXP = [dict(gamma=g) for g in (0.9, 0.99, 1.0, 0.5, 1.02)]
POLY = _cases(
    400, 10, lambda r: dict(total_iters=r.choice([1, 6, 30]), power=r.choice([1.0, 2.0, 0.5, 3.3]))
)
COS = _cases(
    500, 12, lambda r: dict(T_max=r.choice([1, 2, 7, 25]), eta_min=r.choice([0.0, 0.01, 0.5]))
)
WARM = _cases(600, 12, lambda r: dict(
    T_0=r.choice([1, 3, 10]), T_mult=r.choice([1, 2, 3]), eta_min=r.choice([0.0, 0.001])
))  # fmt: skip


@pytest.mark.parametrize("kw", STEP, ids=str)
def test_step_lr(S, kw):
    check(lambda o: S.StepLR(o, **kw), 90)


@pytest.mark.parametrize("kw", MULTI, ids=str)
def test_multistep_lr(S, kw):
    check(lambda o: S.MultiStepLR(o, **kw), 60)


@pytest.mark.parametrize("kw", CONST, ids=str)
def test_constant_lr(S, kw):
    if kw["factor"] == 0.0:  # torch divides by the zero factor at total_iters (test below)
        kw = dict(kw, factor=1e-3)
    check(lambda o: S.ConstantLR(o, **kw), kw["total_iters"] + 10)


@pytest.mark.parametrize("kw", LINEAR, ids=str)
def test_linear_lr(S, kw):
    check(lambda o: S.LinearLR(o, **kw), kw["total_iters"] + 15)


@pytest.mark.parametrize("kw", EXP, ids=str)
def test_exponential_lr(S, kw):
    check(lambda o: S.ExponentialLR(o, **kw), 150)


@pytest.mark.parametrize("kw", POLY, ids=str)
def test_polynomial_lr(S, kw):
    check(lambda o: S.PolynomialLR(o, **kw), kw["total_iters"] + 15)


@pytest.mark.parametrize("kw", COS, ids=str)
def test_cosine_annealing_lr_and_past_t_max(S, kw):
    # four periods of 2 * T_max: torch's cosine climbs back after T_max, and so does lrkit's
    sched = check(lambda o: S.CosineAnnealingLR(o, **kw), 8 * kw["T_max"] + 3)
    assert isinstance(lrkit.from_torch(sched), lrkit.CosineAnnealing)


@pytest.mark.parametrize("kw", WARM, ids=str)
def test_cosine_annealing_warm_restarts(S, kw):
    check(lambda o: S.CosineAnnealingWarmRestarts(o, **kw), 150)


ONECYCLE = _cases(700, 14, lambda r: dict(
    total_steps=r.choice([3, 10, 37, 100]),
    pct_start=r.choice([0.3, 0.25, 0.29, 0.5, 0.05, 0.9]),
    anneal_strategy=r.choice(["cos", "linear"]),
    div_factor=r.choice([25.0, 10.0, 3.0]),
    final_div_factor=r.choice([1e4, 100.0, 7.0]),
    three_phase=r.random() < 0.4,
))  # fmt: skip


def _one_cycle_ok(kw) -> bool:
    total, p = kw["total_steps"], kw["pct_start"]
    peak = float(p * total) - 1
    if peak == 0.0 or not peak < total - 1:  # torch divides 0 by 0 when built / no decay
        return False
    return not kw["three_phase"] or peak < float(2 * p * total) - 2 < total - 1


@pytest.mark.parametrize("kw", [k for k in ONECYCLE if _one_cycle_ok(k)], ids=str)
def test_one_cycle_lr(S, kw):
    # up to total_steps - 1: torch refuses to step further (lrkit holds the minimum)
    check(lambda o: S.OneCycleLR(o, max_lr=[0.5, 0.07], **kw), kw["total_steps"])


def test_one_cycle_lr_epochs(S):
    check(lambda o: S.OneCycleLR(o, max_lr=0.1, epochs=4, steps_per_epoch=25), 100)


CYCLIC = _cases(800, 12, lambda r: dict(
    step_size_up=r.choice([1, 4, 5, 2.5]),
    step_size_down=r.choice([None, 3, 0, 1.5]),
    mode=r.choice(["triangular", "triangular2", "exp_range"]),
    gamma=r.choice([1.0, 0.99]),
))  # fmt: skip


@pytest.mark.parametrize("kw", CYCLIC, ids=str)
def test_cyclic_lr(S, kw):
    check(lambda o: S.CyclicLR(o, base_lr=[0.01, 0.002], max_lr=[0.1, 0.05], **kw), 120)


@pytest.mark.parametrize(
    "kw",
    [
        dict(swa_lr=0.05, anneal_epochs=5),
        dict(swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear"),
        dict(swa_lr=[0.5, 0.001], anneal_epochs=1),
        dict(swa_lr=0.01, anneal_epochs=0),
        dict(swa_lr=0.01, anneal_epochs=12, anneal_strategy="linear"),
    ],
    ids=str,
)
def test_swalr(kw):
    swa = require("torch.optim.swa_utils")
    # read before stepping: once annealed, an SWALR no longer knows its start (below)
    check(lambda o: swa.SWALR(o, **kw), 20, before=True)


def test_a_stepped_swalr_recovers_its_start(S):
    swa = require("torch.optim.swa_utils")
    sched, rates = stepped(lambda o: swa.SWALR(o, swa_lr=0.05, anneal_epochs=10), 4)
    ours = lrkit.from_torch(sched)
    assert all(abs(ours(t) - a) <= REL * 0.3 for t, a in enumerate(rates[0]))
    sched, _ = stepped(lambda o: swa.SWALR(o, swa_lr=0.05, anneal_epochs=2), 5)
    with pytest.raises(ValueError, match="SWALR: its annealing is over"):
        lrkit.from_torch(sched)


def _made(S, o, kind):
    return {
        "linear": lambda: S.LinearLR(o, start_factor=0.1, total_iters=5),
        "constant": lambda: S.ConstantLR(o, factor=0.5, total_iters=3),
        "exp": lambda: S.ExponentialLR(o, gamma=0.9),
        "step": lambda: S.StepLR(o, step_size=4, gamma=0.5),
        "cos": lambda: S.CosineAnnealingLR(o, T_max=8, eta_min=0.01),
        "warm": lambda: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2),
        "poly": lambda: S.PolynomialLR(o, total_iters=6, power=2.0),
        "multi": lambda: S.MultiStepLR(o, milestones=[0, 3, 7], gamma=0.5),
        "cyclic": lambda: S.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    }[kind]()


def _sequential(S, o, kinds, milestones):
    return S.SequentialLR(o, [_made(S, o, k) for k in kinds], milestones)


SEQUENTIAL = [
    (["linear", "cos"], [5]),
    (["linear", "exp"], [5]),
    (["constant", "step", "poly"], [3, 20]),
    (["linear", "warm"], [10]),
    (["exp", "multi", "cos"], [4, 4]),  # a repeated milestone: the last scheduler wins
    (["step", "linear"], [0]),  # milestone 0: the second from the start
    (["cos", "linear", "exp", "poly"], [8, 13, 30]),
    (["linear", "cyclic"], [5]),
]


@pytest.mark.parametrize(("kinds", "milestones"), SEQUENTIAL, ids=str)
def test_sequential_lr(S, kinds, milestones):
    check(lambda o: _sequential(S, o, kinds, milestones), 60)


def test_sequential_lr_then_swalr(S):
    swa = require("torch.optim.swa_utils")
    check(
        lambda o: S.SequentialLR(
            o,
            [S.CosineAnnealingLR(o, T_max=10), swa.SWALR(o, swa_lr=0.02, anneal_epochs=4)],
            [10],
        ),
        30,
    )


CHAINED = [
    ["constant", "exp"],
    ["linear", "exp", "step"],
    ["multi", "poly"],
    ["linear", "constant", "poly", "step"],
]


@pytest.mark.parametrize("kinds", CHAINED, ids=str)
def test_chained_scheduler(S, kinds):
    # each child built once, in order, on the optimizer: as a user does
    check(lambda o: S.ChainedScheduler([_made(S, o, k) for k in kinds], optimizer=o), 40)


def test_a_stepped_scheduler_is_read_from_its_start(S):
    sched, rates = stepped(lambda o: S.CosineAnnealingLR(o, T_max=10), 25)
    assert sched.last_epoch == 25
    ours = lrkit.from_torch(sched)
    assert all(abs(ours(t) - a) <= REL * 0.3 for t, a in enumerate(rates[0]))


# -- what is refused, and where lrkit differs -------------------------------------------------


def test_code_and_metrics_are_refused(S):
    opt = optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lam = S.LambdaLR(opt, lambda t: 0.9**t)
        mul = S.MultiplicativeLR(opt, lambda t: 0.9)
        plateau = S.ReduceLROnPlateau(opt)
        custom = S.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda x: 1.0)
        cos = S.CosineAnnealingLR(opt, T_max=5)
        exp = S.ExponentialLR(opt, gamma=0.9)
        chain = S.ChainedScheduler([cos, exp], optimizer=opt)
    with pytest.raises(TypeError, match="LambdaLR computes its rate with arbitrary Python code"):
        lrkit.from_torch(lam)
    with pytest.raises(TypeError, match="MultiplicativeLR"):
        lrkit.from_torch(mul)
    with pytest.raises(TypeError, match="ReduceLROnPlateau depends on a metric"):
        lrkit.from_torch(plateau)
    with pytest.raises(TypeError, match="CyclicLR has a custom `scale_fn`"):
        lrkit.from_torch(custom)
    with pytest.raises(TypeError, match="its CosineAnnealingLR does not"):
        lrkit.from_torch(chain)
    with pytest.raises(TypeError, match=r"expected a torch\.optim\.lr_scheduler"):
        lrkit.from_torch(object())
    with pytest.raises(ValueError, match=r"Argument `group` must be >= 0 and < 2"):
        lrkit.from_torch(exp, group=2)


def test_bad_arguments_use_torch_names(S):
    opt = optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        poly = S.PolynomialLR(opt, total_iters=0)
        step = S.StepLR(opt, step_size=0)
        cos = S.CosineAnnealingLR(opt, T_max=-3)
    with pytest.raises(
        ValueError, match=r"Argument `total_iters` must be > 0\. Received: total_iters=0\."
    ):
        lrkit.from_torch(poly)
    with pytest.raises(ValueError, match=r"Argument `step_size` must be > 0"):
        lrkit.from_torch(step)
    with pytest.raises(ValueError, match=r"Argument `T_max` must be > 0\. Received: T_max=-3\."):
        lrkit.from_torch(cos)


def test_constant_lr_with_a_zero_factor(S):
    # torch's stepping divides the rate by the factor at total_iters: ZeroDivisionError;
    # lrkit gives torch's closed form: 0 before total_iters, the rate from it on
    with pytest.raises(ZeroDivisionError):
        stepped(lambda o: S.ConstantLR(o, factor=0.0, total_iters=3), 3)
    sched, rates = stepped(lambda o: S.ConstantLR(o, factor=0.0, total_iters=3), 2)
    ours = lrkit.from_torch(sched)
    assert [ours(t) for t in range(3)] == [*rates[0], 0.0] == [0.0, 0.0, 0.0]
    assert ours(3) == ours(100) == 0.3


def test_linear_lr_zero_iterations(S):
    # torch holds start_factor forever (its closed form divides by zero); lrkit's line of
    # length 0 has arrived: the end rate
    sched, rates = stepped(lambda o: S.LinearLR(o, 0.5, 1.0, 0), 3)
    assert rates[0] == [0.15, 0.15, 0.15]
    assert [lrkit.from_torch(sched)(t) for t in range(3)] == [0.3, 0.3, 0.3]


def test_one_cycle_lr_holds_its_minimum_past_the_end(S):
    # at step total_steps torch continues its cosine past the end (0.0495 of max_lr here),
    # then refuses to step; lrkit holds the minimum
    sched, _ = stepped(lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10), 10, (1.0,))
    assert sched.optimizer.param_groups[0]["lr"] == pytest.approx(0.0495, abs=1e-4)
    ours = lrkit.from_torch(sched)
    assert ours(9) == ours(10) == ours(10**6) == 1.0 / 25 / 1e4


def test_recovered_arguments_are_the_users(S):
    opt = optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = S.OneCycleLR(opt, max_lr=0.3, total_steps=100, pct_start=0.29, div_factor=7.0)
        cyc = S.CyclicLR(optimizer(), 0.01, 0.1, step_size_up=2.5, step_size_down=1.5)
    assert lrkit.from_torch(one) == lrkit.OneCycle(0.3, 100, 0.29, div_factor=7.0)
    assert lrkit.from_torch(cyc) == lrkit.Cyclic(0.01, 0.1, 2.5, 1.5)


def test_cosine_annealing_exact_extremes():
    s = lrkit.CosineAnnealing(1.0, 7, 0.25)
    big = 2**52 // 14 * 14
    assert s(big) == 1.0 and s(big + 7) == 0.25 and s(7) == 0.25 and s(14) == 1.0
    # (1 + cos(pi t / T)) / 2 at a few steps, from math.cos
    for t in (1, 3, 9, 20):
        assert s(t) == pytest.approx(0.25 + 0.75 * (1 + math.cos(math.pi * t / 7)) / 2, rel=1e-14)
