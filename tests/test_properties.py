"""Properties of every schedule, checked by hypothesis on generated configs and steps.

Purity (a rate depends on the step only), bounds, monotonicity where the formula is
monotone, and value semantics (equality, hash, pickle, repr, config round trips).
"""

from __future__ import annotations

import json
import pickle
import struct
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
import reference as R

SETTINGS = settings(max_examples=200, deadline=None)

# -- strategies ------------------------------------------------------------------------

rates = st.floats(min_value=0.0, max_value=10.0)
signed_rates = st.floats(min_value=-10.0, max_value=10.0)
small_ints = st.integers(min_value=0, max_value=10)
periods = st.one_of(
    st.integers(min_value=1, max_value=10**6),
    st.floats(min_value=0.5, max_value=1e6),
    st.integers(min_value=1, max_value=2**40),
)
unit = st.floats(min_value=0.0, max_value=1.0)
steps = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=2**53),
    st.floats(min_value=0.0, max_value=1e7),
)
any_rate = st.one_of(signed_rates, small_ints)
alphas = st.floats(-1.0, 2.0)


@st.composite
def exponential(draw: Any, decay_rate: Any = None, initial: Any = any_rate) -> Any:
    if decay_rate is None:
        decay_rate = st.one_of(st.floats(0.0, 1.5), small_ints)
    return lrkit.ExponentialDecay(
        draw(initial), draw(periods), draw(decay_rate), staircase=draw(st.booleans())
    )


@st.composite
def inverse_time(draw: Any, initial: Any = any_rate) -> Any:
    return lrkit.InverseTimeDecay(
        draw(initial),
        draw(periods),
        draw(st.one_of(rates, small_ints)),
        staircase=draw(st.booleans()),
    )


@st.composite
def polynomial(draw: Any, cycle: bool | None = None, decreasing: bool = False) -> Any:
    initial, end = draw(any_rate), draw(any_rate)
    if decreasing and end > initial:
        initial, end = end, initial
    return lrkit.PolynomialDecay(
        initial,
        draw(periods),
        end,
        draw(st.one_of(st.floats(0.0, 5.0), small_ints)),
        cycle=draw(st.booleans()) if cycle is None else cycle,
    )


@st.composite
def cosine(
    draw: Any, alpha: Any = alphas, initial: Any = any_rate, warmup: bool | None = None
) -> Any:
    with_warmup = draw(st.booleans()) if warmup is None else warmup
    return lrkit.CosineDecay(
        draw(initial),
        draw(periods),
        draw(alpha),
        warmup_target=draw(initial) if with_warmup else None,
        warmup_steps=draw(st.one_of(st.integers(0, 10**6), st.floats(0.0, 1e6))),
    )


@st.composite
def restarts(draw: Any, alpha: Any = alphas, m_mul: Any = unit, initial: Any = any_rate) -> Any:
    return lrkit.CosineDecayRestarts(
        draw(initial),
        draw(st.one_of(st.integers(1, 10**5), st.floats(0.5, 1e5))),
        t_mul=draw(st.sampled_from([1.0, 2.0, 3.0, 10.0, 1.5, 0.5, 0.9, 1.1, 2, 1])),
        m_mul=draw(m_mul),
        alpha=draw(alpha),
    )


@st.composite
def piecewise(draw: Any, decreasing: bool = False) -> Any:
    raw = draw(st.lists(st.one_of(st.integers(0, 2**53), st.floats(0.0, 1e7)), max_size=8))
    boundaries: list[Any] = []
    for b in sorted(raw):
        if not boundaries or b > boundaries[-1]:  # strictly increasing (5 and 5.0 are one)
            boundaries.append(b)
    n = len(boundaries) + 1
    values = draw(st.lists(st.one_of(signed_rates, small_ints), min_size=n, max_size=n))
    if decreasing:
        values.sort(reverse=True)
    return lrkit.PiecewiseConstantDecay(boundaries, values)


any_schedule = st.one_of(
    exponential(decay_rate=st.one_of(st.floats(0.0, 1.0), st.integers(0, 1))),
    inverse_time(),
    polynomial(),
    cosine(),
    restarts(),
    piecewise(),
)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def ordered(a: Any, b: Any) -> tuple[Any, Any]:
    return (a, b) if a <= b else (b, a)


# -- purity ----------------------------------------------------------------------------


@SETTINGS
@given(any_schedule, st.lists(steps, min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_pure_same_input_same_bits_in_any_order(s, xs, rnd):
    first = [bits(s(x)) for x in xs]
    order = list(range(len(xs)))
    rnd.shuffle(order)
    shuffled = {i: bits(s(xs[i])) for i in order}
    assert [shuffled[i] for i in range(len(xs))] == first
    # calling other steps in between changes nothing
    for i, x in enumerate(xs):
        s(rnd.randint(0, 2**40))
        s(rnd.random() * 1e6)
        s(np.arange(rnd.randint(0, 50)))  # array calls share the formula, not any state
        assert bits(s(x)) == first[i]


@SETTINGS
@given(any_schedule, steps)
def test_pure_equal_schedules_agree(s, x):
    twin = type(s).from_config(s.get_config())
    clone = pickle.loads(pickle.dumps(s))
    assert bits(s(x)) == bits(twin(x)) == bits(clone(x))


# -- bounds ----------------------------------------------------------------------------


@SETTINGS
@given(exponential(decay_rate=unit, initial=rates), steps)
def test_bounds_exponential_decay(s, x):
    assert 0.0 <= s(x) <= s.initial_learning_rate


@SETTINGS
@given(inverse_time(initial=rates), steps)
def test_bounds_inverse_time_decay(s, x):
    assert 0.0 <= s(x) <= s.initial_learning_rate


@SETTINGS
@given(polynomial(), steps)
def test_bounds_polynomial_decay(s, x):
    lo, hi = ordered(s.initial_learning_rate, s.end_learning_rate)
    assert lo <= s(x) <= hi


@SETTINGS
@given(cosine(alpha=unit, initial=rates), steps)
def test_bounds_cosine_decay(s, x):
    peak = s.initial_learning_rate if s.warmup_target is None else s.warmup_target
    lo = min(s.initial_learning_rate, s.alpha * peak)
    hi = max(s.initial_learning_rate, peak)
    assert lo <= s(x) <= hi


@SETTINGS
@given(restarts(alpha=unit, m_mul=unit, initial=rates), steps)
def test_bounds_cosine_decay_restarts(s, x):
    assert s.alpha * s.initial_learning_rate <= s(x) <= s.initial_learning_rate


@SETTINGS
@given(piecewise(), steps)
def test_bounds_piecewise_constant_decay(s, x):
    assert s(x) in s.values


# -- monotonicity ----------------------------------------------------------------------


@SETTINGS
@given(exponential(decay_rate=st.floats(0.0, 1.0), initial=rates), steps, steps)
def test_monotone_exponential_decay(s, a, b):
    a, b = ordered(a, b)
    assert s(a) >= s(b)


@SETTINGS
@given(inverse_time(initial=rates), steps, steps)
def test_monotone_inverse_time_decay(s, a, b):
    a, b = ordered(a, b)
    assert s(a) >= s(b)


@SETTINGS
@given(polynomial(cycle=False, decreasing=True), steps, steps)
def test_monotone_polynomial_decay(s, a, b):
    a, b = ordered(a, b)
    assert s(a) >= s(b)


@SETTINGS
@given(cosine(alpha=st.floats(-1.0, 1.0), initial=rates), steps, steps)
def test_monotone_cosine_decay_after_warmup(s, a, b):
    w = s.warmup_steps if s.warmup_target is not None else 0
    a, b = ordered(a + w, b + w)
    assert s(a) >= s(b)


@SETTINGS
@given(cosine(alpha=unit, initial=rates, warmup=True), steps, steps)
def test_monotone_cosine_warmup_toward_the_target(s, a, b):
    w = s.warmup_steps
    a, b = ordered(min(a, w), min(b, w))
    if s.warmup_target >= s.initial_learning_rate:
        assert s(a) <= s(b)
    else:
        assert s(a) >= s(b)


@SETTINGS
@given(restarts(alpha=unit, m_mul=unit, initial=rates), st.integers(0, 10**5))
def test_monotone_within_a_restart_period(s, a):
    # within a period the rate never rises; it jumps up only where a period starts
    config = s.get_config()
    for x in range(a, a + 40):
        here, there = R.restart_period(config, x), R.restart_period(config, x + 1)
        same_period = here is None or (there is not None and there[0] == here[0])
        if same_period:
            assert s(x + 1) <= s(x), (x, here, there)


@SETTINGS
@given(piecewise(decreasing=True), steps, steps)
def test_monotone_piecewise_constant_decreasing_values(s, a, b):
    a, b = ordered(a, b)
    assert s(a) >= s(b)


# -- value semantics -------------------------------------------------------------------


@SETTINGS
@given(any_schedule)
def test_repr_round_trip(s):
    again = eval(repr(s), vars(lrkit))
    assert again == s and hash(again) == hash(s) and repr(again) == repr(s)


@SETTINGS
@given(any_schedule)
def test_pickle_round_trip(s):
    again = pickle.loads(pickle.dumps(s))
    assert type(again) is type(s)
    assert again == s and hash(again) == hash(s)
    assert again.get_config() == s.get_config()


@SETTINGS
@given(any_schedule)
def test_config_round_trip(s):
    config = s.get_config()
    again = type(s).from_config(config)
    assert again == s and hash(again) == hash(s)
    assert again.get_config() == config
    through_json = type(s).from_config(json.loads(json.dumps(config)))
    assert through_json == s
    assert config is not s.get_config()  # a fresh dict: mutating it changes nothing
    config.clear()
    assert s.get_config() == again.get_config()


@SETTINGS
@given(any_schedule, any_schedule)
def test_equality_is_by_class_and_config(a, b):
    same = type(a) is type(b) and a.get_config() == b.get_config()
    assert (a == b) is same
    if same:
        assert hash(a) == hash(b)
