"""Parity with transformers' schedulers (``transformers.get_scheduler``).

Each scheduler is a ``LambdaLR`` over a real ``torch.optim.SGD``; the optimizer's rate
after ``t`` steps is ``lr * lambda(t)``, computed by transformers in float64 Python
floats from the closed form (never from the previous rate). Its few roundings, and the
slightly different but equivalent arrangement of lrkit's formulas (the sin**2 form of
the cosine, the symmetric line), differ by a few ulps of the scale: the check allows
1e-12 of the scale.
"""

from __future__ import annotations

import math
import types
import warnings

import pytest

import lrkit
from conftest import require

REL = 1e-12
LR = 0.3


def tf_rates(name: str, n: int, warmup, total, lr: float = LR, **kwargs) -> list[float]:
    transformers = require("transformers")
    torch = require("torch")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = transformers.get_scheduler(
            name,
            opt,
            num_warmup_steps=warmup,
            num_training_steps=total,
            scheduler_specific_kwargs=kwargs or None,
        )
        out = []
        for _ in range(n):
            out.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
    return out


def assert_close(theirs, schedule, scale=LR):
    ours = [schedule(t) for t in range(len(theirs))]
    bad = [
        (t, a, b)
        for t, (a, b) in enumerate(zip(theirs, ours, strict=True))
        if not abs(a - b) <= REL * scale
    ]
    assert not bad, f"{schedule!r}: (step, transformers, lrkit) {bad[:5]} of {len(bad)}"


PHASES = [(0, 50), (7, 50), (1, 50), (10, 11), (100, 1000)]


@pytest.mark.parametrize(("warmup", "total"), PHASES)
def test_linear(warmup, total):
    theirs = tf_rates("linear", total + 5, warmup, total)
    assert_close(theirs, lrkit.Polynomial(LR, total - warmup, warmup_steps=warmup))
    assert_close(theirs, lrkit.PiecewiseLinear([(0, 0.0), (warmup, LR), (total, 0.0)]))


@pytest.mark.parametrize(("warmup", "total"), PHASES)
@pytest.mark.parametrize("waves", [0.5, 0.25, 1.0, 1.5])
def test_cosine(warmup, total, waves):
    # up to num_training_steps: transformers continues the wave past it (test below)
    theirs = tf_rates("cosine", total + 1, warmup, total, num_cycles=waves)
    assert_close(theirs, lrkit.Cosine(LR, total - warmup, warmup_steps=warmup, waves=waves))


@pytest.mark.parametrize(("warmup", "total"), PHASES)
@pytest.mark.parametrize("cycles", [1, 2, 3, 7])
def test_cosine_with_restarts(warmup, total, cycles):
    theirs = tf_rates("cosine_with_restarts", total + 5, warmup, total, num_cycles=cycles)
    assert_close(theirs, lrkit.Cosine(LR, total - warmup, warmup_steps=warmup, cycles=cycles))


@pytest.mark.parametrize(("warmup", "total"), PHASES)
@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial(warmup, total, power):
    theirs = tf_rates("polynomial", total + 5, warmup, total, lr_end=1e-4, power=power)
    assert_close(theirs, lrkit.Polynomial(LR, total - warmup, 1e-4, power, warmup_steps=warmup))


@pytest.mark.parametrize("warmup", [0, 1, 7, 100])
def test_constant_with_warmup(warmup):
    theirs = tf_rates("constant_with_warmup", 120, warmup, None)
    assert_close(theirs, lrkit.Linear(0.0, LR, warmup))


@pytest.mark.parametrize("warmup", [0, 1, 7, 100])
@pytest.mark.parametrize("timescale", [None, 3, 1000])
def test_inverse_sqrt(warmup, timescale):
    kw = {} if timescale is None else {"timescale": timescale}
    theirs = tf_rates("inverse_sqrt", 400, warmup, None, **kw)
    assert_close(theirs, lrkit.InverseSqrt(LR, warmup, timescale))


@pytest.mark.parametrize(("warmup", "total"), PHASES)
def test_cosine_with_min_lr(warmup, total):
    theirs = tf_rates("cosine_with_min_lr", total + 1, warmup, total, min_lr_rate=0.1)
    assert_close(theirs, lrkit.Cosine(LR, total - warmup, alpha=0.1, warmup_steps=warmup))
    theirs = tf_rates("cosine_with_min_lr", total + 1, warmup, total, min_lr=0.01)
    assert_close(theirs, lrkit.Cosine(LR, total - warmup, alpha=0.01 / LR, warmup_steps=warmup))


@pytest.mark.parametrize(("warmup", "total"), [(1, 50), (7, 50), (2, 3), (100, 1000)])
def test_cosine_warmup_with_min_lr(warmup, total):
    # "cosine_warmup_with_min_lr" counts one step ahead: its warmup is (t + 1) / W and its
    # decay starts at t = W - 1. That is a warmup of W - 1 steps from lr / W. (Its decay
    # ends at t = N - 1; past that its cosine climbs back, as "cosine" does past N.)
    theirs = tf_rates("cosine_warmup_with_min_lr", total, warmup, total, min_lr_rate=0.1)
    assert_close(
        theirs,
        lrkit.Cosine(
            LR, total - warmup, alpha=0.1, warmup_steps=warmup - 1, warmup_learning_rate=LR / warmup
        ),
    )
    if warmup >= 2:  # with warmup_lr_rate, a line from lr * warmup_lr_rate to lr at W - 1
        theirs = tf_rates(
            "cosine_warmup_with_min_lr", total, warmup, total, min_lr_rate=0.1, warmup_lr_rate=0.2
        )
        assert_close(
            theirs,
            lrkit.Cosine(
                LR,
                total - warmup,
                alpha=0.1,
                warmup_steps=warmup - 1,
                warmup_learning_rate=0.2 * LR,
            ),
        )


SHAPES = ["linear", "cosine", "1-sqrt"]


@pytest.mark.parametrize("warmup_type", SHAPES)
@pytest.mark.parametrize("decay_type", SHAPES)
@pytest.mark.parametrize(
    ("warmup", "decay", "total", "ratio"),
    [
        (5, 10, 40, 0.0),
        (0, 7, 30, 0.1),
        (3, 0, 20, 0.2),
        (4, 16, 20, 0.05),
        (100, 300, 1000, 0.0),
    ],
)
def test_warmup_stable_decay(warmup_type, decay_type, warmup, decay, total, ratio):
    theirs = tf_rates(
        "warmup_stable_decay",
        total + 5,
        warmup,
        total,
        num_decay_steps=decay,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=ratio,
    )
    ours = lrkit.WarmupStableDecay(
        LR, total, warmup, decay, warmup_shape=warmup_type, decay_shape=decay_type, alpha=ratio
    )
    assert_close(theirs, ours)


def test_warmup_stable_decay_stable_steps_and_waves():
    theirs = tf_rates(
        "warmup_stable_decay",
        50,
        5,
        None,
        num_decay_steps=20,
        num_stable_steps=7,
        num_cycles=1.0,
        min_lr_ratio=0.1,
    )
    assert_close(
        theirs,
        lrkit.WarmupStableDecay(
            LR, warmup_steps=5, decay_steps=20, stable_steps=7, waves=1.0, alpha=0.1
        ),
    )


@pytest.mark.parametrize("ratio", [0.1, 0.05, 0.25, 0.3, 0.07, 0.14])
def test_warmup_fraction_is_transformers_warmup_ratio(ratio):
    # TrainingArguments(warmup_steps=ratio).get_warmup_steps(N) is ceil(N * ratio), with
    # the float product: 0.07 * 100 = 7.000000000000001 gives 8 warmup steps there.
    # lrkit takes 0.07 of 100 as 7 (the fraction the user wrote). (TrainingArguments
    # itself needs accelerate to be built; its method is called on a stand-in.)
    transformers = require("transformers")
    total = 100
    args = types.SimpleNamespace(warmup_steps=ratio)
    theirs = transformers.TrainingArguments.get_warmup_steps(args, total)
    ours = lrkit.WarmupStableDecay(LR, total, warmup_fraction=ratio, decay_steps=10)
    assert ours.phases[0] == math.ceil(round(ratio * total, 9))
    if ratio in (0.07, 0.14):  # the float product rounds just above an integer
        assert theirs == ours.phases[0] + 1
        ours_same = lrkit.WarmupStableDecay(LR, total, warmup_steps=theirs, decay_steps=10)
        assert_close(
            tf_rates("warmup_stable_decay", 105, theirs, total, num_decay_steps=10), ours_same
        )
    else:
        assert theirs == ours.phases[0]


# -- where lrkit differs ------------------------------------------------------------------------


def test_cosine_past_the_end():
    # transformers' cosine keeps going past num_training_steps (the rate climbs back up);
    # lrkit holds the floor, like every other decay.
    theirs = tf_rates("cosine", 160, 0, 100)
    assert theirs[100] == 0.0
    assert theirs[150] == pytest.approx(LR / 2)
    ours = lrkit.Cosine(LR, 100)
    assert ours(100) == ours(150) == 0.0


def test_polynomial_without_decay_steps():
    # num_training_steps == num_warmup_steps: transformers divides by zero at the end of
    # the warmup; lrkit needs decay_steps > 0, and the same schedule is a warmup line.
    with pytest.raises(ZeroDivisionError):
        tf_rates("polynomial", 12, 10, 10)
    with pytest.raises(ValueError, match="decay_steps"):
        lrkit.Polynomial(LR, 0, warmup_steps=10)
