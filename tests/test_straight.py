"""The recorded (straight-line) form of each formula gives the SCALAR path's results.

``schedule(step)`` with a Python number runs, for lrkit's own classes, the formula
recorded once as one Python function of the step (lrkit.core.fastpath). It must give the
same float, bit for bit, as the formula run through the SCALAR namespace, raise the
same errors, and never be used where it could go stale (a user's mutable schedule).
"""

from __future__ import annotations

import pickle
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
import lrkit.model_garden
from conftest import require
from lrkit.core import fastpath as straight
from lrkit.core.fastpath import Untraceable, straight_line
from lrkit.core.namespace import SCALAR
from lrkit.core.registry import _OWN
from lrkit.spec import parse_spec

# every class lrkit defines, several configurations each (the branches of each formula)
SPECS = [
    "ExponentialDecay(0.1, 1000, 0.5)",
    "ExponentialDecay(0.1, 1000, 0.5, staircase=True)",
    "ExponentialDecay(0.1, 7.5, 0.5)",
    "ExponentialDecay(0.1, 3, 0.25)",  # the logarithmic form past ~700 e-folds
    "ExponentialDecay(-0.1, 3, 0.25, staircase=True)",
    "ExponentialDecay(0.0, 3, 0.25)",
    "ExponentialDecay(0.1, 1000, 0.0)",
    "ExponentialDecay(0.1, 10, 1.5)",  # growth: overflows at large steps
    "InverseTimeDecay(0.1, 1000, 1.0)",
    "InverseTimeDecay(0.1, 1000, 1.0, staircase=True)",
    "InverseTimeDecay(0.1, 2.5, 0.5)",
    "PolynomialDecay(0.1, 10000, 0.0)",
    "PolynomialDecay(0.1, 10000, 0.0, power=2.0)",
    "PolynomialDecay(0.1, 10000, 0.0, power=0.5)",
    "PolynomialDecay(0.1, 4000, 0.01, cycle=True)",
    "PolynomialDecay(0.1, 2.5, 0.01, power=3, cycle=True)",
    "PiecewiseConstantDecay([3000, 6000, 8000], [0.1, 0.05, 0.01, 0.001])",
    "PiecewiseConstantDecay([2.5, 6], [1, 2, 3])",
    "PiecewiseConstantDecay([], [0.5])",
    "CosineDecay(0.1, 10000)",
    "CosineDecay(0.1, 10000, alpha=0.2)",
    "CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000)",
    "CosineDecay(0.0, 2.5, warmup_target=0.1, warmup_steps=1.5)",
    "CosineDecay(1, 10, warmup_target=2, warmup_steps=0)",
    "CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=0.8)",
    "CosineDecayRestarts(0.05, 2500, t_mul=1.0)",
    "CosineDecayRestarts(0.05, 25, t_mul=1.0, m_mul=0.5, alpha=0.1)",
    "CosineDecayRestarts(0.1, 7.5, t_mul=1.5, m_mul=0.9)",
    "CosineDecayRestarts(0.1, 100, t_mul=0.5)",
    "CosineDecayRestarts(0.1, 100, alpha=1.0)",
    "Constant(0.1)",
    "Warmup(CosineDecay(0.1, 9000), 1000)",
    "Warmup(CosineDecay(0.1, 9000), 1000, shape='cosine')",
    "Warmup(CosineDecay(0.1, 9000), 1000, shape='polynomial', power=3.0)",
    "Warmup(ExponentialDecay(1.0, 10, 0.5), 10, step_mode='global')",
    "Warmup(Constant(0.1), 0)",
    "Join([Constant(0.1), CosineDecay(0.1, 4000), Constant(0.005)], [3000, 7000])",
    "Join([Constant(0.1), ExponentialDecay(0.1, 40, 0.5)], [30.5], step_mode='global')",
    "Offset(ExponentialDecay(0.08, 1000, 0.5), 2000)",
    "Cooldown(CosineDecay(0.1, 10000), 6000, 3000, shape='1-sqrt', final=0.001)",
    "Cooldown(ExponentialDecay(0.1, 1000, 0.5), 2000, 5000, shape='cosine')",
    "Epochwise(MultiStep(0.1, [3, 6]), 1000, granularity='epoch')",
    "Epochwise(CosineDecay(0.1, 9), 1000, granularity='step')",
    "Clamp(ExponentialDecay(0.1, 1000, 0.5), min_value=0.02)",
    "Clamp(Cyclic(0.0, 1.0, 10), min_value=0.2, max_value=0.7)",
    "Scale(CosineDecay(0.1, 100), -0.5)",
    "Sum([Scale(CosineDecay(0.1, 10000), 0.5), Constant(0.02)])",
    "Product([Constant(0.1), CosineDecayRestarts(1.0, 2500, t_mul=1.0)])",
    "Cosine(0.1, 9000, warmup_steps=1000, alpha=0.1)",
    "Cosine(0.1, 3000, cycles=3)",
    "Cosine(0.1, 3000, waves=1.5, exponent=2.0)",
    "CosineCycles(0.08, 3000, cycle_limit=3, cycle_decay=0.7, warmup_steps=500)",
    "CosineCycles(0.08, 300, cycle_mul=2.0, cycle_limit=0, k_decay=2.0, warmup_steps=50,"
    " warmup_prefix=True)",
    "CosineCycles(0.08, 30.5, cycle_mul=1.5, cycle_limit=4)",
    "CosineAnnealing(0.1, 300, min_learning_rate=1e-3)",
    "CosineAnnealing(1.0, 25, 0.1)",
    "PolyCycles(0.1, 100, power=2.0, cycle_mul=2.0, cycle_limit=3, k_decay=2.0)",
    "PolyCycles(0.1, 12.5, min_learning_rate=1e-4, warmup_steps=5, warmup_prefix=True)",
    "Linear(0.1, 0.0, 8000, transition_begin=1000)",
    "Polynomial(0.08, 9000, power=2.0, warmup_steps=1000)",
    "PiecewiseLinear([[0, 0.0], [1000, 0.06], [6000, 0.02], [10000, 0.0]])",
    "PiecewiseLinear([[0, 1.0], [10, 0.1], [20.5, 0.01]], interpolation='cosine')",
    "Step(0.1, 2500, gamma=0.5)",
    "Step(0.1, 25, gamma=0.5, warmup_steps=10, warmup_prefix=False)",
    "MultiStep(0.08, [3000, 6000, 8000], gamma=0.3, warmup_steps=500)",
    "Cyclic(0.01, 0.1, step_size_up=1250)",
    "Cyclic(0.01, 0.1, step_size_up=10, step_size_down=30, mode='triangular2')",
    "Cyclic(0.01, 0.1, step_size_up=10, mode='exp_range', gamma=0.99)",
    "OneCycle(0.1, 10000)",
    "OneCycle(0.1, 1000, anneal_strategy='linear', three_phase=True)",
    "OneCycle(0.1, 1000, convention='optax')",
    "CyclicalMomentum(OneCycle(0.1, 1000, three_phase=True), 0.85, 0.95)",
    "CyclicalMomentum(Cyclic(0.01, 0.1, step_size_up=10, mode='exp_range', gamma=0.99), 0.8, 0.9)",
    "WarmupStableDecay(0.1, total_steps=10000, warmup_steps=1000, decay_steps=2000)",
    "WarmupStableDecay(0.1, total_steps=1000, warmup_fraction=0.05, decay_fraction=0.2,"
    " decay_shape='1-sqrt', warmup_shape='cosine', alpha=0.1)",
    "InverseSqrt(0.08, warmup_steps=1000)",
    "InverseSqrt(0.08, warmup_steps=100, timescale=50)",
    "Tanh(0.06, 10000, warmup_steps=500)",
    "Tanh(0.06, 100, cycle_limit=3, cycle_mul=2.0, cycle_decay=0.5)",
    "PolyCycles(0.08, 100, power=2.0, k_decay=0.5, cycle_limit=2, warmup_steps=10)",
    "CosineAnnealing(0.1, 50, 0.01)",
    "ExponentialDecayWithOffset(2000, initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.5)",
    "PiecewiseConstantDecayWithOffset(1000, boundaries=[2000, 5000], values=[0.08, 0.05, 0.01])",
    "PolynomialDecayWithOffset(100, initial_learning_rate=0.1, decay_steps=1000, cycle=True)",
    "CosineDecayWithOffset(1000, initial_learning_rate=0.06, decay_steps=9000)",
    "LinearWarmup(CosineDecayWithOffset(initial_learning_rate=0.1, decay_steps=10000),"
    " warmup_steps=500, warmup_learning_rate=0.0)",
    "PolynomialWarmUp(CosineDecayWithOffset(initial_learning_rate=0.1, decay_steps=10000),"
    " warmup_steps=500, power=2.0)",
    "StepCosineDecayWithOffset([0, 4000, 7000], [0.06, 0.03, 0.01])",
    "DirectPowerDecay(0.1, power=-0.5)",
    "PowerAndLinearDecay(0.1, 10000, power=-0.5, linear_decay_fraction=0.2)",
    "PowerDecayWithOffset(0.1, power=-0.5, offset=100, pre_offset_learning_rate=0.5)",
]

STEPS = [
    0,
    1,
    2,
    3,
    9,
    10,
    11,
    24,
    25,
    26,
    29,
    30,
    31,
    99,
    100,
    101,
    499,
    500,
    501,
    999,
    1000,
    1001,
    1249,
    1250,
    1251,
    2999,
    3000,
    3001,
    4096,
    7000,
    9999,
    10000,
    10001,
    123457,
    10**6,
    2**31 - 1,
    2**31,
    2**53 - 1,
    2**53,
    2**53 + 1,
    2**63,
    2**64,
    10**30,
    0.0,
    0.5,
    2.5,
    999.5,
    1000.25,
    1e6 + 0.5,
    1e17,
    1e300,
]


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def outcome(fn, step):
    """``fn(step)`` as (bits of the float) or (the exception's type and text)."""
    try:
        value = fn(step)
    except (ArithmeticError, ValueError) as exc:
        return type(exc), str(exc)
    assert type(value) is float, value
    return bits(value)


def interpreted(schedule):
    return lambda step: float(schedule._compute(SCALAR, step))


@pytest.mark.parametrize("spec", SPECS)
def test_recorded_formula_matches_the_namespace_bit_for_bit(spec):
    schedule = parse_spec(spec)
    recorded = straight_line(schedule._compute)
    for step in STEPS:
        assert outcome(recorded, step) == outcome(interpreted(schedule), step), (spec, step)


@pytest.mark.parametrize("spec", SPECS)
def test_calls_use_the_recorded_formula(spec):
    schedule = parse_spec(spec)
    fresh = parse_spec(spec)
    for step in STEPS[:20]:
        schedule(step)
    assert not schedule._recorded  # recording worked
    assert "_make" in schedule.__dict__["_scalar"].__qualname__
    # the cache is not config: equality, hashing, pickling, repr are unchanged
    assert schedule == fresh and hash(schedule) == hash(fresh)
    assert repr(schedule) == repr(fresh)
    assert pickle.loads(pickle.dumps(schedule)) == fresh
    assert "_scalar" not in pickle.loads(pickle.dumps(schedule)).__dict__


def test_every_lrkit_class_is_covered():
    covered = {type(parse_spec(s)) for s in SPECS}
    assert covered == _OWN, sorted(c.__name__ for c in _OWN - covered)


def test_overflow_is_raised_the_same_way():
    s = lrkit.ExponentialDecay(0.1, 10, 1.5)
    with pytest.raises(OverflowError, match="ExponentialDecay overflows float64 at step=100000"):
        s(100_000)
    assert s(100) == 0.1 * 1.5**10


class Halving(lrkit.LearningRateSchedule):
    """A user's Keras-style schedule: mutable, with its own __call__."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, step):
        return self.rate / 2 ** (step // 10)


class Doubling(lrkit.LearningRateSchedule):
    """A user's subclass written against the namespace (mutable too)."""

    def __init__(self, rate):
        self.rate = rate

    def _compute(self, xp, step):
        return self.rate * xp.pow(2.0, xp.astype(xp.floor_divide(step, 10), xp.float_dtype))


def test_foreign_schedules_inside_a_composition_are_called_live():
    halving, doubling = Halving(1.0), Doubling(1.0)
    s = lrkit.Sum([lrkit.Warmup(halving, 5), doubling, lambda step: 0.25])
    # Warmup's inner schedule runs at 20 - 5 = 15 (local steps): 1 / 2**1
    assert s(20) == 0.5 + 1.0 * 2.0**2 + 0.25
    halving.rate, doubling.rate = 2.0, 3.0  # they may change: nothing was copied
    assert s(20) == 1.0 + 3.0 * 2.0**2 + 0.25
    assert not s._recorded and "_make" in s.__dict__["_scalar"].__qualname__


def test_a_users_subclass_is_computed_as_it_is():
    doubling = Doubling(1.0)
    assert doubling(25) == 4.0
    doubling.rate = 0.5
    assert doubling(25) == 2.0
    assert "_scalar" not in doubling.__dict__


def test_a_formula_that_cannot_be_recorded_keeps_the_namespace_path():
    class Branchy(lrkit.LearningRateSchedule):
        def _compute(self, xp, step):
            return 1.0 if step < 10 else 0.5  # a Python `if` on the step

    with pytest.raises(Untraceable):
        straight_line(Branchy()._compute)

    # a subclass of an lrkit class is not recorded: it is the user's code
    class Mine(lrkit.CosineDecay):
        def _compute(self, xp, step):
            return 2.0 if step < 10 else 1.0

    mine = Mine(1.0, 100)
    assert (mine(5), mine(50)) == (2.0, 1.0)
    assert "_scalar" not in mine.__dict__


def structural(text: str) -> bool:
    """Whether compiled text holds nothing but names, operators and the small integers
    of an if/elif chain: no number of a config, no attribute, import or call by name
    other than a closure variable's."""
    import ast

    tree = ast.parse(text)
    make = tree.body[0]
    assert isinstance(make, ast.FunctionDef) and make.name == "_make"
    closure = {a.arg for a in make.args.args}  # every constant is one of these
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and not (
            (type(node.value) is int and 0 <= node.value <= straight.MAX_BRANCHES)
            or node.value is None  # raise ... from None
        ):
            return False
        if isinstance(
            node,
            (
                ast.Attribute,
                ast.Import,
                ast.ImportFrom,
                ast.Lambda,
                ast.Global,
                ast.Nonlocal,
                ast.Starred,
            ),
        ):
            return False
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in closure
        ):
            return False
    return True


def test_the_text_holds_no_value_of_the_config():
    texts = []
    original = straight._maker.__wrapped__
    try:
        straight._maker = lambda source, name="formula": (
            texts.append(source) or original(source, name)
        )
        for spec in SPECS:
            s = parse_spec(spec)
            straight_line(s._compute)
            s(3)  # (its call, recorded with the checks: straight_call)
    finally:
        straight._maker = straight.functools.lru_cache(maxsize=256)(original)
    assert len(texts) >= len(SPECS)  # (and the children some constructors call)
    for text in texts:
        assert structural(text), text
    # one structure, one text: the numbers are closure variables
    a, b = lrkit.CosineDecay(2.0, 100, alpha=0.1), lrkit.CosineDecay(0.5, 777, alpha=0.2)
    assert straight_line(a._compute).__code__ is straight_line(b._compute).__code__


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.sampled_from(SPECS),
    st.one_of(st.integers(0, 2**70), st.floats(0, 1e12, allow_nan=False, allow_infinity=False)),
)
def test_recorded_and_namespace_agree_on_any_step(spec, step):
    schedule = parse_spec(spec)
    recorded = straight_line(schedule._compute)
    assert outcome(recorded, step) == outcome(interpreted(schedule), step)


def test_large_compositions_keep_the_namespace_path():
    big = lrkit.Join([lrkit.Constant(float(i)) for i in range(40)], list(range(1, 40)))
    assert [big(i) for i in (0, 1, 39, 100)] == [0.0, 1.0, 39.0, 39.0]
    assert big._recorded and "_scalar" not in big.__dict__
    small = lrkit.Join([lrkit.Constant(float(i)) for i in range(10)], list(range(1, 10)))
    assert [small(i) for i in (0, 1, 9, 100)] == [0.0, 1.0, 9.0, 9.0]
    assert not small._recorded and "_scalar" in small.__dict__


def test_deeply_nested_warmups_record_or_fall_back_with_the_same_values():
    s = lrkit.CosineDecay(1.0, 1000)
    for depth in range(60):
        s = lrkit.Warmup(s, 2)
        for step in (0, 1, 2 * depth + 1, 2 * depth + 2, 500, 5000):
            assert outcome(s, step) == outcome(interpreted(s), step)
    assert s._recorded  # 60 nested branches: beyond the limit, so not recorded


HUGE = [2**1023, 2**1024, 10**400]  # past float64: float() of the step raises


@pytest.mark.parametrize("spec", SPECS)
def test_the_recorded_call_behaves_as_the_unrecorded_one(spec):
    # the recorded `_call` (checks written in, the finiteness check left out where the
    # result is known finite) against LearningRateSchedule._call on the SCALAR path
    recorded, plain = parse_spec(spec), parse_spec(spec)
    object.__setattr__(plain, "_recorded", True)  # (as if recording had failed)
    for step in [s for s in STEPS if type(s) is int] + HUGE:
        assert outcome(recorded, step) == outcome(plain, step), (spec, step)
    assert "_make" in recorded.__dict__["_call"].__qualname__
    assert "_call" not in plain.__dict__


def recorded_text(compute) -> str:
    texts = []
    original = straight._maker.__wrapped__
    try:
        straight._maker = lambda source, name="formula": (
            texts.append(source) or original(source, name)
        )
        straight_line(compute)
    finally:
        straight._maker = straight.functools.lru_cache(maxsize=256)(original)
    return texts[-1]


def formula_body(text: str) -> list:
    import ast

    make = ast.parse(text).body[0]
    return next(f for f in make.body if getattr(f, "name", "") == "formula").body


def test_a_value_used_once_is_written_into_its_use():
    # 1 / (1 + rate * step / T) * lr: one expression, no variable
    body = formula_body(recorded_text(lrkit.InverseTimeDecay(0.1, 1000, 0.5)._compute))
    assert len(body) == 1 and type(body[0]).__name__ == "Return"
    body = formula_body(recorded_text(lrkit.PiecewiseConstantDecay([10, 20], [3, 2, 1])._compute))
    assert len(body) == 1 and type(body[0]).__name__ == "Return"


def test_inlining_keeps_the_order_of_the_operations():
    calls = []

    def logged(name, value):
        return lambda step: calls.append(name) or value

    s = lrkit.Sum([logged("a", 0.5), lrkit.Warmup(logged("b", 0.25), 3), logged("c", 2.0)])
    calls.clear()  # (the warmup reads its target from its schedule when built)
    interpreted(s)(7)
    expected, calls[:] = list(calls), []
    assert s(7) == 2.75 and s(7) == 2.75
    assert calls == expected * 2 and expected == ["a", "b", "c"]


def test_float_of_a_python_number_is_left_to_the_operator():
    # float(step) / 3 is step / 3.0: the same conversion, for ints of any size
    def ratio(xp, step):
        return xp.astype(step, xp.float_dtype) / 3

    f = straight_line(ratio)
    assert float not in [cell.cell_contents for cell in f.__closure__]  # no float() call
    for step in (0, 7, 2**53 + 1, 10**30, 2.5):
        assert bits(f(step)) == bits(ratio(SCALAR, step))
    with pytest.raises(OverflowError):
        f(10**400)  # as float(10**400) does


def test_float_of_a_foreign_value_is_kept():
    np = pytest.importorskip("numpy")

    def f32(xp, step):
        return np.float32(0.1)  # a foreign schedule's value: not a Python number

    def scaled(xp, step):
        return xp.astype(xp.opaque(f32, step), xp.float_dtype) * 3.0

    # float(float32(0.1)) * 3.0 in float64, not float32(0.1) * 3.0 in float32
    assert straight_line(scaled)(5) == scaled(SCALAR, 5) == float(np.float32(0.1)) * 3.0
    assert scaled(SCALAR, 5) != float(np.float32(0.1) * 3.0)


@pytest.mark.parametrize("power", [0, 0.0, 0.5, 2, 2.0, 3.5])
def test_pow_is_an_operator_only_where_it_means_math_pow(power):
    def halving(xp, step):  # a positive base: written `**`
        return xp.pow(1 / (power + 2), xp.astype(step, xp.float_dtype) / 10)

    def remaining(xp, step):  # never below 0, but not known positive: math.pow
        return xp.pow(xp.astype(xp.maximum(10 - step, 0), xp.float_dtype) / 10, power)

    def shifted(xp, step):  # below 0 for steps under 5: math.pow's ValueError, not complex
        return xp.pow(xp.astype(step, xp.float_dtype) - 5.0, power)

    def ints(xp, step):  # an int ** an int is exact in Python, math.pow is not: kept
        return xp.pow(xp.maximum(step, 3), 40)

    for compute in (halving, remaining, shifted, ints):
        f = straight_line(compute)
        for step in (0, 2, 5, 7, 10, 11, 10**30, 2.5):
            want = outcome(lambda s, c=compute: float(c(SCALAR, s)), step)
            assert outcome(f, step) == want
    assert math_pow_calls(halving) == 0
    assert math_pow_calls(remaining) == 1
    assert math_pow_calls(shifted) == 1 and math_pow_calls(ints) == 1


def math_pow_calls(compute) -> int:
    f = straight_line(compute)
    return [c.cell_contents for c in f.__closure__ or ()].count(SCALAR.pow)


def _protocol_members(protocol: type) -> set[str]:
    names = set(getattr(protocol, "__annotations__", {}))
    names |= {n for n, v in vars(protocol).items() if callable(v) and not n.startswith("_")}
    return names


def test_every_namespace_has_every_operation_of_the_protocol():
    np = require("numpy")
    from lrkit.core.base import _array_step
    from lrkit.core.fastpath import Recorder
    from lrkit.core.ops import Ops

    members = _protocol_members(Ops)
    assert {"searchsorted", "astype", "switch", "take", "float_dtype"} <= members
    assert not {"search", "to_float", "select", "choose"} & members
    ops, _ = _array_step(np.arange(3))
    for namespace in (SCALAR, ops, Recorder()):
        have = set(dir(type(namespace))) | set(vars(namespace))
        missing = members - have
        assert not missing, (type(namespace).__name__, missing)
    # the Array API's names and keyword
    assert SCALAR.searchsorted([1, 2, 2, 3], 2, side="right") == 3
    assert SCALAR.searchsorted([1, 2, 2, 3], 2) == 1
    assert ops.searchsorted(np.asarray([1, 2, 2, 3]), np.asarray([2]), side="right").tolist() == [3]
    assert SCALAR.astype(7, SCALAR.float_dtype) == 7.0 and type(SCALAR.astype(7, float)) is float
    assert ops.astype(np.arange(3), ops.float_dtype).dtype == np.float64


def test_a_traceback_through_a_recorded_call_shows_source_for_every_frame():
    import inspect
    import linecache
    import traceback

    s = lrkit.ExponentialDecay(0.1, 10, 1.5)  # grows: overflows float64 at large steps
    assert s(1) == 0.1 * 1.5**0.1  # (recorded at the first call)
    with pytest.raises(OverflowError, match="overflows float64") as caught:
        s(10**6)
    frames = traceback.extract_tb(caught.value.__traceback__)
    recorded = [f for f in frames if f.filename.startswith("<lrkit ExponentialDecay")]
    assert recorded and recorded[-1].name == "call"
    assert all(f.line for f in frames), [(f.filename, f.lineno) for f in frames]
    # the formula alone: math.exp's OverflowError raised from a line of the recorded text
    with pytest.raises(OverflowError) as caught:
        s._scalar(10**6)
    last = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert last.filename == recorded[-1].filename and last.name == "formula"
    assert "exp(" in last.line and "step" in last.line
    # the text, as inspect finds it through linecache; variables named for what they hold
    source = inspect.getsource(s._call)
    assert source.lstrip().startswith("def call(step):") and "decay_rate" in source
    assert inspect.getsource(s._scalar).lstrip().startswith("def formula(step):")
    text = "".join(linecache.getlines(last.filename))
    assert source in text and "period" in text and "_k0" not in text
    linecache.checkcache()  # (a text with no file is kept)
    assert linecache.getlines(last.filename)


def test_schedules_of_one_class_and_another_structure_get_their_own_file_name():
    import inspect

    a = lrkit.PolynomialDecay(0.1, 1000, 0.0)
    b = lrkit.PolynomialDecay(0.1, 1000, 0.0, cycle=True)
    a(3), b(3)
    for s in (a, b):
        file = inspect.getsourcefile(s._call)
        assert file is not None and file.startswith("<lrkit PolynomialDecay")
        # the text found under that name is the one the function was compiled from
        code = s._call.__code__
        lines = inspect.getsourcelines(s._call)[0]
        assert lines[0].lstrip().startswith("def call(step):") and code.co_filename == file
    assert inspect.getsourcefile(a._call) != inspect.getsourcefile(b._call)
