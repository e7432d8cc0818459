"""On NumPy a branch of a formula is evaluated only on the steps that pick it.

``ArrayOps.switch`` gives each branch a slice of the steps (when the branch index never
decreases along them, as for an ``arange``) or a masked copy (any other order), and
writes the results into one output. Whatever the order and shape of the steps, every
element equals the schedule at that step as a Python number (the float64 truth).
"""

from __future__ import annotations

import pytest

import lrkit
import lrkit.model_garden as mg
from conftest import require

SCHEDULES = [
    lrkit.Warmup(lrkit.CosineDecay(1.0, 300), 50),
    lrkit.CosineDecay(0.0, 300, warmup_target=1.0, warmup_steps=40),
    lrkit.Join(
        [lrkit.Constant(0.1), lrkit.ExponentialDecay(0.5, 30, 0.5), lrkit.CosineDecay(0.2, 100)],
        [60, 200],
    ),
    lrkit.ExponentialDecay(1.0, 1, 0.25),  # the logarithmic branch from step ~505 on
    mg.LinearWarmup(
        mg.CosineDecayWithOffset(initial_learning_rate=0.1, decay_steps=300),
        warmup_steps=30,
        warmup_learning_rate=0.0,
    ),
    mg.PolynomialWarmUp(
        mg.ExponentialDecayWithOffset(initial_learning_rate=0.1, decay_steps=30, decay_rate=0.5),
        warmup_steps=30,
        power=2.0,
    ),
]


@pytest.fixture(scope="module")
def np():
    return require("numpy")


def _truth(np, s, steps):
    return np.asarray([s(int(t)) for t in steps.reshape(-1)]).reshape(steps.shape)


@pytest.mark.parametrize("s", SCHEDULES, ids=lambda s: type(s).__name__)
def test_any_order_and_shape_gives_the_python_values(np, s):
    rng = np.random.default_rng(0)
    ordered = np.arange(1000)
    for steps in (
        ordered,
        rng.permutation(ordered),
        ordered[::-1].copy(),
        rng.permutation(ordered).reshape(20, 50),
        ordered.reshape(50, 20),
        np.full(7, 45),
        np.asarray([0]),
        np.asarray([999, 0, 999, 0]),
    ):
        out = s(steps)
        assert out.shape == steps.shape and out.dtype == np.float64
        # the same float64 operations as the Python path (NumPy's pow may differ from
        # libm's by an ulp)
        np.testing.assert_allclose(out, _truth(np, s, steps), rtol=4.5e-16, atol=0)


def test_float32_steps_keep_their_dtype(np):
    s = SCHEDULES[0]
    steps = np.random.default_rng(1).permutation(np.arange(400, dtype=np.float32))
    out = s(steps)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, _truth(np, s, steps), rtol=3e-7, atol=1e-7)


def test_a_warmup_over_ten_million_steps_peaks_near_three_results(np):
    """Each phase only on its own steps: the peak is one phase's temporaries (about
    three arrays of its size), not both phases' results and the output at once (the
    4.1 results a `where` of the two phases needs)."""
    import tracemalloc

    steps = np.arange(10_000_000)
    for s in (
        lrkit.Warmup(lrkit.CosineDecay(1.0, 9_000_000), 1_000_000),
        # (its index let go: the decay holds the steps since the warmup, and two
        # temporaries of its first operation)
        lrkit.Warmup(lrkit.CosineDecay(0.1, 10_000, alpha=0.01), 1_000),
        # each part of the exponent freed once its power is computed
        lrkit.ExponentialDecay(0.1, 1000, 0.96),
        lrkit.CosineDecay(0.0, 10_000, warmup_target=0.1, warmup_steps=1_000),
        # period index, steps into the period, its length and peak, one at a time
        lrkit.CosineDecayRestarts(0.1, 1_000, t_mul=2.0, m_mul=0.9),
        lrkit.CosineDecayRestarts(0.1, 1_000, t_mul=1.0, m_mul=0.9),
        lrkit.CosineDecayRestarts(0.1, 7.5, t_mul=1.5, m_mul=0.9),
    ):
        s(steps[:10])  # (first-call imports are not the formula's)
        tracemalloc.start()
        out = s(steps)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        # (NumPy reports its buffers to tracemalloc: the count is exact; beyond three
        # arrays of the result's size only small tables, e.g. the exponential's powers)
        assert peak / out.nbytes < 3.005, (s, peak / out.nbytes)
        del out


def test_a_numpy_switch_gives_each_branch_its_own_steps(np):
    from lrkit.core.base import _array_step

    ops, step = _array_step(np.arange(100))
    seen = []

    def branch(offset):
        def f(steps):
            seen.append(steps.tolist())
            return steps * 1.0 + offset

        return f

    out = ops.switch(step >= 50, (branch(0.0), branch(1000.0)), step)
    assert out.tolist() == [*range(50), *range(1050, 1100)]
    # the larger piece first; each piece a slice of the ordered steps
    assert sorted(seen) == [list(range(50)), list(range(50, 100))]
    seen.clear()
    order = np.asarray([3, 99, 1, 60])
    index = ops.searchsorted(ops.table([50], order, rounding=1), order, side="right")
    assert ops.switch(index, (branch(0.0), branch(1000.0)), order).tolist() == [
        3.0,
        1099.0,
        1.0,
        1060.0,
    ]
    assert sorted(seen) == [[3, 1], [99, 60]]


def test_a_numpy_switch_lets_go_of_its_index(np):
    import weakref

    from lrkit.core.base import _array_step

    ops, step = _array_step(np.arange(100))
    refs = []
    seen = []

    def index():
        out = step >= 50
        refs.append(weakref.ref(out))
        return out

    def branch(steps):
        seen.append(refs[0]() is None)  # freed before any branch computes
        return steps * 1.0

    # written as formulas write it: the index computed in the call's arguments (not
    # inside an `assert`, whose rewriting keeps every operand for its message)
    out = ops.switch(index(), (branch, branch), step)
    assert out.tolist() == list(range(100))
    assert seen == [True, True]


def test_pow_ratio_looks_up_few_exponents_with_the_same_values(np):
    from lrkit.core.base import _array_step

    ops, _ = _array_step(np.arange(10))
    rng = np.random.default_rng(3)
    few = rng.integers(0, 50, size=(40, 30))  # 50 exponents for 1,200 steps: looked up
    many = rng.integers(0, 10**6, size=(40, 30))  # computed one by one
    for k in (few, many, few[:, ::2], few.reshape(-1), np.zeros((0,), dtype=np.int64)):
        for scale in (1, 7, 2.5):
            for times in (1.0, -0.3):
                # (float64: the exponent split as q + f / scale, as SCALAR does)
                q, f = np.divmod(k, scale)
                whole = np.power(0.96, q)
                whole = whole if times == 1.0 else times * whole
                want = whole if scale == 1 else whole * np.power(0.96, f / scale)
                got = ops.pow_ratio(0.96, k, scale, times=times)
                assert got.shape == k.shape and got.dtype == np.float64
                np.testing.assert_array_equal(got, want)
    # the remainders by a positive integer b lie in [0, b): looked up with no pass over
    # them to find their range, the same values
    steps = np.arange(5_000).reshape(50, 100)
    for b in (7, 1000):
        _, r = ops.divmod(steps, b)
        np.testing.assert_array_equal(ops._power(0.96, r, b, 1.0, below=b), np.power(0.96, r / b))
        want = np.power(0.96, steps // b) * np.power(0.96, (steps % b) / b)
        np.testing.assert_array_equal(ops.pow_ratio(0.96, steps, b), want)
        got = ops.pow_ratio(0.5, steps.reshape(-1), b, -2.0)
        want = (-2.0 * np.power(0.5, steps // b) * np.power(0.5, (steps % b) / b)).reshape(-1)
        np.testing.assert_array_equal(got, want)
    # and the Python-number path: math.pow of the same exponents
    from lrkit.core.namespace import SCALAR

    assert SCALAR.pow_ratio(0.96, 7, 3) == 0.96**2 * 0.96 ** (1 / 3)
    assert SCALAR.pow_ratio(0.5, 3) == 0.125
    assert SCALAR.pow_ratio(0.5, 3, times=3.0) == 0.375
