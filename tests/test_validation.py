"""Bad arguments fail at construction, naming the argument and the value received.

The tests of one family are in ``tests/schedules/test_<family>.py``; this module keeps
the shared tables and checks (``check_<test>``, run there on the family's cases) and the
tests that span families.
"""

import math

import pytest

import lrkit

GOOD = {
    lrkit.ExponentialDecay: dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    lrkit.InverseTimeDecay: dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    lrkit.PolynomialDecay: dict(initial_learning_rate=0.1, decay_steps=10),
    lrkit.CosineDecay: dict(initial_learning_rate=0.1, decay_steps=10),
    lrkit.CosineDecayRestarts: dict(initial_learning_rate=0.1, first_decay_steps=10),
    lrkit.PiecewiseConstantDecay: dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
}

# (class, argument, bad value, exception, words the message must hold)
BAD = [
    (lrkit.ExponentialDecay, "decay_steps", 0, ValueError, "must be > 0. Received: decay_steps=0"),
    (lrkit.ExponentialDecay, "decay_steps", -5, ValueError, "decay_steps=-5"),
    (lrkit.InverseTimeDecay, "decay_steps", 0.0, ValueError, "decay_steps=0.0"),
    (lrkit.PolynomialDecay, "decay_steps", 0, ValueError, "decay_steps=0"),
    (lrkit.CosineDecay, "decay_steps", -1, ValueError, "decay_steps=-1"),
    (lrkit.CosineDecayRestarts, "first_decay_steps", 0, ValueError, "first_decay_steps=0"),
    (lrkit.CosineDecayRestarts, "t_mul", 0.0, ValueError, "t_mul=0.0"),
    (lrkit.CosineDecayRestarts, "t_mul", -2.0, ValueError, "t_mul=-2.0"),
    (lrkit.CosineDecayRestarts, "m_mul", -1.0, ValueError, "m_mul=-1.0"),
    (lrkit.CosineDecay, "warmup_steps", -1, ValueError, "warmup_steps=-1"),
    (lrkit.ExponentialDecay, "decay_rate", -0.5, ValueError, "decay_rate=-0.5"),
    (lrkit.InverseTimeDecay, "decay_rate", -0.5, ValueError, "decay_rate=-0.5"),
    (lrkit.PolynomialDecay, "power", -1.0, ValueError, "power=-1.0"),
    (lrkit.ExponentialDecay, "initial_learning_rate", math.nan, ValueError, "must be finite"),
    (lrkit.CosineDecay, "alpha", math.inf, ValueError, "alpha=inf"),
    (lrkit.CosineDecay, "warmup_target", -math.inf, ValueError, "warmup_target=-inf"),
    (lrkit.PolynomialDecay, "end_learning_rate", "0.1", TypeError, "end_learning_rate='0.1'"),
    (lrkit.ExponentialDecay, "initial_learning_rate", None, TypeError, "initial_learning_rate"),
    (lrkit.ExponentialDecay, "initial_learning_rate", True, TypeError, "not bool"),
    (lrkit.ExponentialDecay, "staircase", 1, TypeError, "staircase=1"),
    (lrkit.PolynomialDecay, "cycle", "yes", TypeError, "cycle='yes'"),
    (lrkit.CosineDecay, "name", 3, TypeError, "name=3"),
    (lrkit.PiecewiseConstantDecay, "boundaries", [10, 10], ValueError, "strictly increasing"),
    (lrkit.PiecewiseConstantDecay, "boundaries", [20, 10], ValueError, "boundaries[0]=20"),
    (lrkit.PiecewiseConstantDecay, "boundaries", [10, math.nan], ValueError, "boundaries[1]"),
    (lrkit.PiecewiseConstantDecay, "values", [1.0, 0.5], ValueError, "1 less than the length"),
    (lrkit.PiecewiseConstantDecay, "values", [1.0, "a", 0.1], TypeError, "values[1]='a'"),
    (lrkit.PiecewiseConstantDecay, "boundaries", 10, TypeError, "boundaries=10"),
]


def check_bad_argument_raises_at_construction(cls, arg, value, exc, words):
    kwargs = {**GOOD[cls], arg: value}
    with pytest.raises(exc) as info:
        cls(**kwargs)
    assert words in str(info.value)
    assert f"`{arg}" in str(info.value) or arg in str(info.value)


def test_keras_message_form():
    with pytest.raises(
        ValueError,
        match=r"^Argument `decay_steps` must be > 0\. "
        r"Received: decay_steps=0\.$",
    ):
        lrkit.ExponentialDecay(0.1, 0, 0.5)


# Degenerate configurations that are accepted, with the value each gives.
def test_accepted_degenerate_cases():
    assert lrkit.ExponentialDecay(0.1, 10, 0.0)(0) == 0.1  # 0**0 == 1
    assert lrkit.ExponentialDecay(0.1, 10, 0.0)(1) == 0.0
    assert lrkit.PolynomialDecay(0.1, 10, power=0.0)(10) == 0.1  # (0/10)**0 == 1
    assert lrkit.PiecewiseConstantDecay([], [0.3])(10**9) == 0.3
    assert lrkit.CosineDecayRestarts(1.0, 10, m_mul=0.0)(10) == 0.0
    assert lrkit.CosineDecay(0.5, 10, warmup_target=None, warmup_steps=5)(0) == 0.5


def test_negative_and_bad_steps():
    s = lrkit.ExponentialDecay(0.1, 10, 0.5)
    for step in (-1, -0.5, -(2**70)):
        with pytest.raises(ValueError, match="step must be >= 0"):
            s(step)
    for step in (math.nan, math.inf):
        with pytest.raises(ValueError, match="finite"):
            s(step)
    for step in ("3", None, [1, 2], True):
        with pytest.raises(TypeError):
            s(step)


def test_immutable():
    s = lrkit.CosineDecay(0.1, 100)
    with pytest.raises(AttributeError, match="immutable"):
        s.decay_steps = 5
    with pytest.raises(AttributeError):
        del s.alpha
    assert s(50) == lrkit.CosineDecay(0.1, 100)(50)
