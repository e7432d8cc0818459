"""Cosine, CosineCycles (``lrkit/schedules/cosine_variants.py``): the schedule API; exact
reference (mpmath); optax; transformers; timm."""

from __future__ import annotations

import math
import random

import pytest

import lrkit
from conftest import require
from families import only
from test_modern_api import (
    ERRORS,
    SCHEDULES,
    _id,
    check_bad_arguments_raise_at_construction,
    check_config_is_flat_and_json_safe,
    check_immutable,
    check_jax_jit,
    check_numpy_arrays_equal_python_values,
    check_python_values_are_finite_floats,
    check_repr_round_trip,
    check_serialization_round_trip,
    check_torch_tensors,
)
from test_modern_exact import _cases, check_matches_exact_reference
from test_modern_optax import _amplification, check, cosine_ref, optax_values
from test_modern_timm import CASES, _converged, _ours_kwargs, compare, optimizer, timm_scheduler
from test_modern_timm import LR as LR_timm
from test_modern_transformers import LR, PHASES, assert_close, tf_rates

# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mp():
    mpmath = require("mpmath")
    mpmath.mp.dps = 40
    return mpmath


@pytest.fixture(scope="module")
def optax():
    return require("optax")


# -- the schedule API ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_variants"), ids=_id)
def test_serialization_round_trip(s):
    check_serialization_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_variants"), ids=_id)
def test_repr_round_trip(s):
    check_repr_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_variants"), ids=_id)
def test_config_is_flat_and_json_safe(s):
    check_config_is_flat_and_json_safe(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_variants"), ids=_id)
def test_immutable(s):
    check_immutable(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_variants"), ids=_id)
def test_python_values_are_finite_floats(s):
    check_python_values_are_finite_floats(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_variants"), ids=_id)
def test_numpy_arrays_equal_python_values(s):
    check_numpy_arrays_equal_python_values(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_variants"), ids=_id)
def test_jax_jit(s):
    check_jax_jit(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_variants"), ids=_id)
def test_torch_tensors(s):
    check_torch_tensors(s)


@pytest.mark.parametrize(
    ("cls", "kw", "exc", "words"),
    only(ERRORS, "cosine_variants"),
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_bad_arguments_raise_at_construction(cls, kw, exc, words):
    check_bad_arguments_raise_at_construction(cls, kw, exc, words)


def test_negative_steps_are_refused():
    with pytest.raises(ValueError, match="step"):
        lrkit.Cosine(1.0, 10)(-1)


# -- exact reference (mpmath) --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), only(_cases(), "cosine_variants"))
def test_matches_exact_reference(mp, name, kw):
    check_matches_exact_reference(mp, name, kw)


# -- optax ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "exponent"), [(0.0, 1.0), (0.1, 2.0), (0.2, 0.5), (0.0, 3.0)])
def test_cosine_decay_schedule(optax, mp, alpha, exponent):
    init, steps, n = 0.4, 77, 100
    theirs = optax_values(optax.cosine_decay_schedule(init, steps, alpha, exponent), n)
    ours = lrkit.Cosine(init, steps, alpha, exponent)
    smallest = math.sin(math.pi / (2 * steps)) ** 2  # f one step before the end
    check(
        ours,
        theirs,
        cosine_ref(mp, init, steps, alpha, exponent, n),
        init,
        _amplification(exponent, smallest),
    )


@pytest.mark.parametrize(
    ("warmup", "alpha", "exponent"), [(13, 0.0, 1.0), (1, 0.1, 2.0), (50, 0.25, 0.5), (0, 0.1, 1.0)]
)
def test_warmup_cosine_decay_schedule(optax, mp, warmup, alpha, exponent):
    init, peak, total, n = 0.01, 0.4, 177, 200
    end = peak * alpha
    theirs = optax_values(
        optax.warmup_cosine_decay_schedule(init, peak, warmup, total, end, exponent), n
    )
    ours = lrkit.Cosine(
        peak,
        total - warmup,
        alpha=end / peak,
        exponent=exponent,
        warmup_steps=warmup,
        warmup_learning_rate=init,
    )
    decay = cosine_ref(
        mp, mp.mpf(peak), total - warmup, mp.mpf(end) / peak, exponent, n, offset=warmup
    )
    exact = [
        init + (mp.mpf(peak) - init) * t / warmup if t < warmup else decay[t] for t in range(n)
    ]
    smallest = math.sin(math.pi / (2 * (total - warmup))) ** 2
    check(ours, theirs, exact, peak, _amplification(exponent, smallest))


# -- transformers --------------------------------------------------------------------------------


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


def test_cosine_past_the_end():
    # transformers' cosine keeps going past num_training_steps (the rate climbs back up);
    # lrkit holds the floor, like every other decay.
    theirs = tf_rates("cosine", 160, 0, 100)
    assert theirs[100] == 0.0
    assert theirs[150] == pytest.approx(LR / 2)
    ours = lrkit.Cosine(LR, 100)
    assert ours(100) == ours(150) == 0.0


# -- timm ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", CASES, ids=str)
def test_cosine_lr_scheduler(kw):
    cosine_lr = timm_scheduler("cosine_lr")
    kw = dict(kw, k_decay=random.Random(str(kw)).choice([1.0, 1.0, 2.0, 0.5]))
    theirs = cosine_lr.CosineLRScheduler(optimizer(), **kw)
    ours = lrkit.CosineCycles(LR_timm, **_ours_kwargs(kw))
    compare(theirs, ours, _converged(kw) or 400, kw)


def test_timm_fails_once_shrinking_cycles_converge():
    # cycle_mul < 1: the cycles end at t_initial / (1 - cycle_mul) = 60; timm then takes
    # the log of a negative number. lrkit holds the minimum.
    cosine_lr = timm_scheduler("cosine_lr")
    theirs = cosine_lr.CosineLRScheduler(
        optimizer(), t_initial=30, cycle_mul=0.5, cycle_limit=100, lr_min=1e-3
    )
    with pytest.raises(ValueError, match="math domain error"):
        theirs._get_lr(60)
    ours = lrkit.CosineCycles(LR_timm, 30, min_learning_rate=1e-3, cycle_mul=0.5, cycle_limit=100)
    assert ours(60) == ours(10**9) == 1e-3
