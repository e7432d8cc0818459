"""`Cooldown`: a decay to a final rate from any step of any schedule."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

import lrkit
from conftest import require
from reference import close, mp

SHAPES = ("linear", "cosine", "1-sqrt")


def _exact(shape, peak, final, start, length, step):
    """The formula on exact rationals (mpmath at 50 digits for cos and sqrt)."""
    x = Fraction(min(max(step - start, 0), length), length)
    if shape == "linear":
        h = 1 - x
    elif shape == "cosine":
        h = (1 + mp.cos(mp.pi * (mp.mpf(x.numerator) / x.denominator))) / 2
    else:
        h = 1 - mp.sqrt(mp.mpf(x.numerator) / x.denominator)
    return Fraction(final) + (Fraction(peak) - Fraction(final)) * h if shape == "linear" else (
        mp.mpf(final) + (mp.mpf(peak) - mp.mpf(final)) * h
    )  # fmt: skip


@pytest.mark.parametrize("shape", SHAPES)
def test_formula_exact_and_continuous(shape):
    inner = lrkit.ExponentialDecay(0.3, 7, 0.5)
    start, length, final = 40, 30, 0.001
    s = lrkit.Cooldown(inner, start, length, shape=shape, final=final)
    for t in range(start):
        assert s(t) == inner(t)  # the schedule itself before the start
    assert s(start) == inner(start)  # continuous at the start, exactly
    assert s(start + length) == final and s(10**15) == final
    peak = inner(start)
    for t in range(start, start + length + 5):
        assert close(s(t), _exact(shape, peak, final, start, length, t), rel=4e-16), t
    # monotone: a decay
    values = [s(t) for t in range(start, start + length + 1)]
    assert all(a >= b for a, b in itertools.pairwise(values))


@pytest.mark.parametrize("shape", SHAPES)
def test_is_transformers_wsd_decay_from_a_stable_rate(shape):
    torch = require("torch")
    transformers = require("transformers")
    opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=1.0)
    theirs = transformers.get_wsd_schedule(
        opt, num_warmup_steps=0, num_stable_steps=80, num_decay_steps=20, decay_type=shape,
        min_lr_ratio=0.1,
    )  # fmt: skip
    ours = lrkit.Cooldown(lrkit.Constant(1.0), start=80, length=20, shape=shape, final=0.1)
    for t in range(100):
        assert math.isclose(ours(t), theirs.get_last_lr()[0], rel_tol=1e-14, abs_tol=1e-15), t
        opt.step()
        theirs.step()
    # and lrkit's own WSD
    wsd = lrkit.WarmupStableDecay(
        1.0, stable_steps=80, decay_steps=20, decay_shape=shape, alpha=0.1
    )
    assert all(math.isclose(ours(t), wsd(t), rel_tol=1e-15) for t in range(120))


def test_arrays_agree_with_numbers():
    np = require("numpy")
    s = lrkit.Cooldown(lrkit.CosineDecay(1.0, 1000), 300, 200, shape="cosine", final=0.01)
    steps = np.arange(0, 700)
    out = s(steps)
    assert out.dtype == np.float64
    assert np.allclose(out, [s(int(t)) for t in steps], rtol=1e-15, atol=0)


def test_serialization_and_units():
    s = lrkit.Cooldown(lrkit.Constant(0.5), 80, 20, shape="1-sqrt", final=0.0)
    config = lrkit.serialize(s)
    assert config["class_name"] == "Cooldown" and config["module"] == "lrkit"
    assert lrkit.deserialize(config) == s
    assert repr(s) == (
        "Cooldown(schedule=Constant(learning_rate=0.5), start=80, length=20, shape='1-sqrt')"
    )
    late = lrkit.Cooldown(lrkit.Constant(0.5), "80%", "20%", shape="1-sqrt")
    assert late.bind(total_steps=100) == s
    assert lrkit.deserialize(lrkit.serialize(late)) == late


def test_horizon_and_past_end_warning():
    torch = require("torch")
    import lrkit.torch
    from lrkit.boundaries import horizon

    s = lrkit.Cooldown(lrkit.Constant(1.0), 8, 4)
    assert horizon(s) == 12 and lrkit.torch.natural_end(s) == 12
    opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=1.0)
    sched = lrkit.torch.ScheduleLR(opt, s)
    with pytest.warns(lrkit.torch.PastEndWarning, match="past the end"):
        for _ in range(13):
            opt.step()
            sched.step()


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        (dict(start=-1, length=9), ValueError, "Argument `start` must be >= 0. Received: start=-1"),
        (dict(start=0, length=0), ValueError, "Argument `length` must be > 0. Received: length=0."),
        (dict(start=0, length=5, shape="square"), ValueError, "Argument `shape` must be one of"),
        (dict(start=0, length=5, final=math.inf), ValueError, "Argument `final` must be finite"),
        (dict(start="soon", length=5), TypeError, "Argument `start` must be a real number"),
    ],
)  # fmt: skip
def test_bad_arguments(kwargs, exc, message):
    with pytest.raises(exc, match=message.replace("(", r"\(").replace(")", r"\)")):
        lrkit.Cooldown(lrkit.Constant(1.0), **kwargs)
    with pytest.raises(TypeError, match="Argument `schedule` must be a schedule"):
        lrkit.Cooldown(3.0, 1, 1)
