"""Array steps: NumPy, JAX and PyTorch give the Python values, elementwise.

Every schedule is called with the same steps as Python numbers (the reference:
float64, exact integer logic) and as arrays of each library, and we check the
library, dtype, shape, device and values of what comes back:

* float64 outputs (NumPy int/float64 steps, PyTorch float64) match the Python
  value to 1e-12 relative; ``PiecewiseConstantDecay`` matches exactly.
* float32 outputs (JAX without x64, PyTorch float32 and int64 steps, NumPy
  float32) are measured against the float64 Python value over steps up to 2**24
  (and int32/int64 steps up to 2**31 - 1 / 2**62), and must satisfy

      |f32 - f64| <= c * eps32 * scale,   eps32 = 2**-23,
      scale = the largest |rate| of the schedule,

  with ``c`` per schedule in :data:`F32_BOUND` (documented in docs/backends.md).
  ``PiecewiseConstantDecay`` must give exactly ``float32(python value)``.

JAX is compiled once per schedule and dtype (:func:`jitted`); the datasets and
Python references are built once per schedule (:func:`dataset`).
"""

from __future__ import annotations

import functools
import math
import os
import random
from dataclasses import dataclass
from typing import Any

import pytest

import lrkit
from conftest import require

EPS32 = 2.0**-23  # float32 machine epsilon: the spacing of float32 numbers at 1.0
F32_INT = 2**24  # every integer up to here is exact in float32
I32_MAX = 2**31 - 1
I64_HI = 2**62  # the largest int64 step of the datasets

#: The float32 error bound, |f32 - f64| <= c * eps32 * scale, per schedule class
#: (scale: the largest |rate| of the schedule). Measured over every float32 output
#: of this file (NumPy float32; JAX float32/int32 eager, jit, vmap; PyTorch float32
#: and int64 steps; torch.compile): the worst c seen, rounded up with a little margin.
#: See the table in docs/backends.md, which states the same numbers.
F32_BOUND = {
    "ExponentialDecay": 1.5,  # measured 1.17 (NumPy float32 steps)
    "PiecewiseConstantDecay": 0.0,  # exact: float32(python value)
    "PolynomialDecay": 1.5,  # measured 1.11
    "InverseTimeDecay": 1.25,  # measured 0.96
    "CosineDecay": 2.25,  # measured 1.83 (Inductor; 1.24 eager)
    "CosineDecayRestarts": 2.25,  # measured 2.04 (m_mul 0.9999)
}


# -- the schedules under test -------------------------------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    schedule: Any
    #: steps where the formula changes regime; the integers around each are edge steps
    points: tuple[int | float, ...]

    @property
    def family(self) -> str:
        return type(self.schedule).__name__

    @property
    def exact(self) -> bool:
        return isinstance(self.schedule, lrkit.PiecewiseConstantDecay)


def _multiples(period: int | float, *ks: int) -> tuple[int | float, ...]:
    """``k * period`` for ``ks``, and the last multiples before 2**24, 2**31 - 1, 2**62."""
    last = tuple(math.floor(hi / period) * period for hi in (F32_INT, I32_MAX, I64_HI))
    return tuple(k * period for k in ks) + last


def _restart_starts(first: int, t_mul: float) -> tuple[int | float, ...]:
    """The restart steps of SGDR, computed here independently of lrkit."""
    if t_mul == 1:
        return _multiples(first, 1, 2, 3, 10, 1000)
    out: list[int | float] = []
    i = 1
    while True:
        if float(t_mul).is_integer():
            b: int | float = first * (int(t_mul) ** i - 1) // (int(t_mul) - 1)
        else:
            b = first * (t_mul**i - 1.0) / (t_mul - 1.0)
        if b > I64_HI or (out and not b > out[-1]):
            return tuple(out)
        out.append(b)
        i += 1


def _cases() -> list[Case]:
    E, P, Inv, C, R = (
        lrkit.ExponentialDecay,
        lrkit.PolynomialDecay,
        lrkit.InverseTimeDecay,
        lrkit.CosineDecay,
        lrkit.CosineDecayRestarts,
    )
    pw_float_bounds = (100.5, 16777217, 16777219, 2**31 - 1.5, 2**40)
    return [
        Case("exp", E(0.1, 1000, 0.96), _multiples(1000, 1, 2, 3, 10)),
        Case("exp-staircase", E(0.1, 1000, 0.96, staircase=True), _multiples(1000, 1, 2, 3, 10)),
        # a rate near 1: its float32 rounding (1.6e-4 relative here) must not be raised
        # to the power of the step
        Case("exp-slow", E(0.1, 1000, 0.9999), _multiples(1000, 1, 2, 3, 10)),
        Case("exp-slow-staircase", E(0.1, 10, 0.9999, staircase=True), _multiples(10, 1, 2, 10)),
        Case(
            "exp-frac-period-staircase",
            E(1.0, 250.5, 0.5, staircase=True),
            _multiples(250.5, 1, 2, 3, 10),
        ),
        Case(
            "piecewise-int",
            lrkit.PiecewiseConstantDecay([1000, 5000, 100000], [1.0, 0.5, 0.1, 0.01]),
            (1000, 5000, 100000),
        ),
        Case(
            "piecewise-float",
            lrkit.PiecewiseConstantDecay(
                list(pw_float_bounds), [1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125]
            ),
            pw_float_bounds,
        ),
        Case("poly", P(0.1, 10000, 0.001), (10000,)),
        Case("poly-sqrt", P(1.0, 1000, 0.0, power=0.5), (1000,)),
        Case("poly-cycle", P(1.0, 1000, 0.0, cycle=True), _multiples(1000, 1, 2, 3, 10)),
        Case(
            "poly-pow2-cycle",
            P(0.1, 10000, 0.001, power=2.0, cycle=True),
            _multiples(10000, 1, 2, 3, 10),
        ),
        Case("inverse", Inv(0.1, 1000, 0.5), _multiples(1000, 1, 2, 3, 10)),
        Case("inverse-staircase", Inv(0.1, 1000, 0.5, staircase=True), _multiples(1000, 1, 2, 10)),
        Case("cosine", C(0.1, 10000), (10000,)),
        Case("cosine-alpha", C(0.1, 100000, alpha=0.01), (100000,)),
        Case(
            "cosine-warmup",
            C(0.0, 10000, alpha=0.1, warmup_target=1.0, warmup_steps=1000),
            (1000, 11000),
        ),
        Case("restarts-t1", R(0.1, 1000, t_mul=1.0, m_mul=0.9), _restart_starts(1000, 1.0)),
        Case("restarts-t2", R(0.1, 10, t_mul=2.0, m_mul=1.0), _restart_starts(10, 2.0)),
        Case(
            "restarts-t2-alpha",
            R(1.0, 1000, t_mul=2.0, m_mul=0.5, alpha=0.1),
            _restart_starts(1000, 2.0),
        ),
        Case("restarts-t1.5", R(0.1, 1000, t_mul=1.5, m_mul=0.9), _restart_starts(1000, 1.5)),
        Case(
            "restarts-t1-slow",
            R(0.1, 100, t_mul=1.0, m_mul=0.9999),
            _restart_starts(100, 1.0),
        ),
        Case(
            "restarts-t0.5",
            R(0.1, 10, t_mul=0.5, m_mul=1.0, alpha=0.05),
            _restart_starts(10, 0.5),
        ),
    ]


CASES = _cases()
BY_ID = {c.id: c for c in CASES}
IDS = [c.id for c in CASES]
case_param = pytest.mark.parametrize("case", CASES, ids=IDS)


# -- steps and Python references ----------------------------------------------------
def edges(case: Case, hi: int) -> list[int]:
    """0, the integers around the case's points, and 2**24 / 2**31 - 1 +- 1, up to hi."""
    out = {0, 1, 2, F32_INT - 1, F32_INT, F32_INT + 1, I32_MAX - 1, I32_MAX}
    for p in case.points:
        lo, up = math.floor(p), math.ceil(p)
        out.update((lo - 1, lo, up, up + 1))
    return sorted(x for x in out if 0 <= x <= hi)


FRACTIONS = (0.25, 0.5, 1.5, 99.75, 100.5, 999.5, 1000.5, 12345.25, 1048575.5)
#: every dataset has this many steps, so that JAX's eager (op-by-op) calls on one
#: case's arrays reuse the kernels compiled for another's
N_STEPS = 3072


def _ladder(hi: int, n: int = 300) -> set[int]:
    """A geometric ladder of integers from 1 to hi."""
    return {round(hi ** (k / n)) for k in range(n + 1)}


@functools.cache
def dataset(case_id: str, kind: str) -> tuple[tuple[int | float, ...], tuple[float, ...]]:
    """``(steps, python_values)``: :data:`N_STEPS` sorted steps of ``kind``.

    * ``"f32"``: integers <= 2**24 and a few fractions (all exact in float32);
    * ``"i32"``: integers <= 2**31 - 1;
    * ``"i64"``: integers <= 2**62;
    * ``"f64"``: integers <= 2**53 and the fractions.

    Each holds the edge steps, 0..1024, geometric ladders, and uniform random
    integers (half below 2**24, half up to the kind's limit).
    """
    case = BY_ID[case_id]
    hi = {"f32": F32_INT, "i32": I32_MAX, "i64": I64_HI, "f64": 2**53}[kind]
    steps: set[int | float] = set(edges(case, hi)) | set(range(1025)) | _ladder(F32_INT)
    if hi > F32_INT:
        steps |= _ladder(hi)
    if kind in ("f32", "f64"):
        steps |= set(FRACTIONS) | {e + 0.5 for e in edges(case, 2**20)}
    rng = random.Random(f"{case_id}-{kind}")
    assert len(steps) <= N_STEPS
    while len(steps) < N_STEPS:
        steps.add(rng.randrange((F32_INT, hi)[len(steps) % 2] + 1))
    ordered = tuple(sorted(steps))
    return ordered, tuple(case.schedule(s) for s in ordered)


@functools.cache
def scale(case_id: str) -> float:
    """The largest |rate| of the schedule (its values include step 0 and all edges)."""
    return max(abs(v) for v in dataset(case_id, "f32")[1])


def to_numpy(out: Any) -> Any:
    np = require("numpy")
    if type(out).__module__.startswith("torch"):
        out = out.detach().cpu()
        if out.dtype == out.new_zeros(()).bfloat16().dtype:  # NumPy has no bfloat16
            out = out.float()
    return np.asarray(out)


def check_float64(case: Case, out: Any, ref: Any) -> None:
    np = require("numpy")
    got = to_numpy(out).astype(np.float64)
    want = np.asarray(ref, dtype=np.float64).reshape(got.shape)
    if case.exact:
        np.testing.assert_array_equal(got, want)
    else:
        # atol only forgives differences among subnormal results (underflow)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


def f32_error(case: Case, out: Any, ref: Any, steps: Any = None) -> tuple[float, Any]:
    """``(c, step)``: the worst |f32 - f64| / (eps32 * scale), and where it happens."""
    np = require("numpy")
    got = to_numpy(out).astype(np.float64).reshape(-1)
    want = np.asarray(ref, dtype=np.float64).reshape(-1)
    err = np.abs(got - want)
    err[np.isnan(got) != np.isnan(want)] = np.inf
    err[np.isnan(got) & np.isnan(want)] = 0.0
    i = int(np.argmax(err))
    where = None if steps is None else list(steps)[i]
    return float(err[i] / (EPS32 * scale(case.id))), where


#: (case id, test id) -> the worst c seen there (to report the measured bounds)
MEASURED: dict[tuple[str, str], float] = {}


def check_float32(case: Case, out: Any, ref: Any, steps: Any = None) -> float:
    np = require("numpy")
    if case.exact:
        got = to_numpy(out).astype(np.float32).reshape(-1)
        want = np.asarray(ref, dtype=np.float64).astype(np.float32).reshape(-1)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, (
            f"not exact at steps {[list(steps)[i] for i in bad[:5]] if steps else bad[:5]}: "
            f"got {got[bad[:5]]}, want {want[bad[:5]]}"
        )
        return 0.0
    c, where = f32_error(case, out, ref, steps)
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    MEASURED[case.id, test] = c
    bound = F32_BOUND[case.family]
    assert c <= bound, (
        f"{case.id}: |f32 - f64| = {c:.3g} * eps32 * scale at step {where!r} "
        f"(python {case.schedule(where) if where is not None else '?'}), bound {bound}"
    )
    return c


# -- frameworks ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def np():
    return require("numpy")


@pytest.fixture(scope="module")
def jax():
    return require("jax")


@pytest.fixture(scope="module")
def jnp():
    return require("jax.numpy")


@pytest.fixture(scope="module")
def torch():
    return require("torch")


def jax_float() -> Any:
    """JAX's default float: float32, or float64 with x64 enabled."""
    return require("jax.numpy").asarray(0.0).dtype


_JIT: dict[str, Any] = {}


def jitted(case: Case) -> Any:
    """``jax.jit`` of the schedule, made once: it traces once per step dtype and shape."""
    if case.id not in _JIT:
        jax = require("jax")
        _JIT[case.id] = jax.jit(lambda step: case.schedule(step))
    return _JIT[case.id]


# -- Python scalars -----------------------------------------------------------------
@case_param
def test_python_and_numpy_scalars_give_python_floats(case, np):
    for step in edges(case, I64_HI):
        want = case.schedule(step)
        assert type(want) is float
        for same in (np.int64(step), np.uint64(step)):
            got = case.schedule(same)
            assert type(got) is float and got == want, (step, type(same))
        if step <= 2**53:
            for same in (float(step), np.float64(step)):
                got = case.schedule(same)
                assert type(got) is float and got == want, (step, type(same))


# -- NumPy --------------------------------------------------------------------------
@case_param
@pytest.mark.parametrize("kind", ["int64", "float64"])
def test_numpy_float64_matches_python(case, kind, np):
    steps, ref = dataset(case.id, "i64" if kind == "int64" else "f64")
    arr = np.asarray(steps, dtype=kind)
    out = case.schedule(arr)
    assert type(out) is np.ndarray
    assert out.dtype == np.float64 and out.shape == arr.shape
    check_float64(case, out, ref)


@case_param
def test_numpy_float32_steps(case, np):
    steps, ref = dataset(case.id, "f32")
    arr = np.asarray(steps, dtype=np.float32)
    out = case.schedule(arr)
    assert type(out) is np.ndarray
    assert out.dtype == np.float32 and out.shape == arr.shape
    check_float32(case, out, ref, steps)


@case_param
@pytest.mark.parametrize("kind", ["int64", "float64", "float32"])
def test_numpy_zero_dim(case, kind, np):
    """A 0-d array gives a 0-d array (not a NumPy scalar, not a Python float)."""
    hi = F32_INT if kind == "float32" else I32_MAX
    steps = edges(case, hi)
    outs = []
    for step in steps:
        out = case.schedule(np.asarray(step, dtype=kind))
        assert type(out) is np.ndarray, (step, type(out))
        assert out.shape == () and out.dtype == (np.float32 if kind == "float32" else np.float64)
        outs.append(out)
    ref = [case.schedule(s) for s in steps]
    if kind == "float32":
        check_float32(case, np.stack(outs), ref, steps)
    else:
        check_float64(case, np.stack(outs), ref)


@case_param
@pytest.mark.parametrize("kind", ["int64", "float64"])
def test_numpy_2d_keeps_shape(case, kind, np):
    steps = edges(case, I32_MAX)
    steps = steps + [0] * (-len(steps) % 4)
    arr = np.asarray(steps, dtype=kind).reshape(4, -1)
    out = case.schedule(arr)
    assert type(out) is np.ndarray and out.shape == arr.shape and out.dtype == np.float64
    check_float64(case, out, [case.schedule(s) for s in steps])
    np.testing.assert_array_equal(out.T, case.schedule(arr.T))  # elementwise, any layout


# -- JAX ----------------------------------------------------------------------------
JAX_VARIANTS = [
    "float32-eager",
    "float32-jit",
    "float32-vmap",
    "int32-eager",
    "int32-jit",
    "int32-vmap",
]


@case_param
@pytest.mark.parametrize("variant", JAX_VARIANTS)
def test_jax(case, variant, jax, jnp, np):
    kind, how = variant.split("-")
    steps, ref = dataset(case.id, "f32" if kind == "float32" else "i32")
    arr = jnp.asarray(np.asarray(steps, dtype=kind))
    assert arr.dtype == kind
    if how == "eager":  # 2-D: the shape is kept
        arr = arr.reshape(3, -1)
        out = case.schedule(arr)
    elif how == "jit":
        out = jitted(case)(arr)
    else:
        out = jax.vmap(case.schedule)(arr)
    assert isinstance(out, jax.Array)
    assert out.shape == arr.shape
    assert out.devices() == arr.devices()
    assert out.dtype == (arr.dtype if kind == "float32" else jax_float())
    if out.dtype == np.float64:  # x64 enabled
        check_float64(case, out, ref)
    else:
        check_float32(case, out, ref, steps)


# -- PyTorch ------------------------------------------------------------------------
@case_param
@pytest.mark.parametrize("kind", ["int64", "float32", "float64"])
def test_torch(case, kind, torch, np):
    dtype = getattr(torch, kind)
    steps, ref = dataset(case.id, {"int64": "i64", "float32": "f32", "float64": "f64"}[kind])
    arr = torch.as_tensor(np.asarray(steps, dtype=kind))
    assert arr.dtype == dtype
    out = case.schedule(arr)
    assert isinstance(out, torch.Tensor)
    assert out.shape == arr.shape and out.device == arr.device
    want_dtype = dtype if dtype.is_floating_point else torch.get_default_dtype()
    assert out.dtype == want_dtype
    if want_dtype == torch.float64:
        check_float64(case, out, ref)
    else:
        check_float32(case, out, ref, steps)


@case_param
def test_torch_2d_and_default_dtype(case, torch, np):
    """Integer steps follow torch's default float; shape is kept."""
    steps = edges(case, I32_MAX)
    steps = steps + [0] * (-len(steps) % 4)
    arr = torch.tensor(steps, dtype=torch.int64).reshape(4, -1)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        out = case.schedule(arr)
    finally:
        torch.set_default_dtype(old)
    assert out.dtype == torch.float64 and out.shape == arr.shape
    check_float64(case, out, [case.schedule(s) for s in steps])


@case_param
@pytest.mark.parametrize("kind", ["int64", "float32"])
def test_torch_keeps_device(case, kind, torch):
    """Tables and constants are built on the step's device (``meta`` here: no data)."""
    arr = torch.arange(6, device="meta").to(getattr(torch, kind)).reshape(2, 3)
    out = case.schedule(arr)
    assert out.device == arr.device and out.shape == arr.shape
    assert out.dtype == torch.float32


# -- other integer dtypes -----------------------------------------------------------
OTHER_INTS = [
    "numpy-int32",
    "numpy-int16",
    "numpy-uint32",
    "numpy-uint64",
    "jax-uint32",
    "torch-int32",
    "torch-int16",
]


@case_param
@pytest.mark.parametrize("source", OTHER_INTS)
def test_other_integer_dtypes(case, source, np):
    """Any integer dtype, narrow or unsigned, gives the library's default float.

    Steps up to the dtype's maximum, excluding 2**31 - 1 (the dtype-maximum step is
    :func:`test_restarts_at_integer_dtype_max`'s subject).
    """
    lib, kind = source.split("-")
    top = min(int(np.iinfo(kind).max), I32_MAX - 1)
    pairs = [(s, r) for s, r in zip(*dataset(case.id, "i32"), strict=True) if s <= top]
    steps, ref = [s for s, _ in pairs], [r for _, r in pairs]
    host = np.asarray(steps, dtype=kind)
    if lib == "numpy":
        out = case.schedule(host)
        assert out.dtype == np.float64
        check_float64(case, out, ref)
        return
    if lib == "jax":
        arr = require("jax.numpy").asarray(host)
        assert arr.dtype == kind
        out = case.schedule(arr)
        assert out.dtype == jax_float()
    else:
        torch = require("torch")
        out = case.schedule(torch.as_tensor(host))
        assert out.dtype == torch.get_default_dtype()
    check_float32(case, out, ref, steps)


# -- edges that need exact comparisons ----------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "numpy-float32",
        "numpy-int32",
        "numpy-float64",
        "jax-float32",
        "jax-float32-jit",
        "jax-int32",
        "jax-int32-jit",
        "torch-float32",
        "torch-int32",
        "torch-int64",
    ],
)
def test_piecewise_boundaries_exact(source, np):
    """Float boundaries and boundaries between float32 neighbours: the Python answer."""
    s = lrkit.PiecewiseConstantDecay(
        [100.5, 16777217, 16777219, 2**31 - 1.5], [1.0, 0.5, 0.25, 0.125, 0.0625]
    )
    lib, kind = source.split("-")[:2]
    if kind == "float32":  # float32 neighbours of the boundaries (16777217 is not one)
        steps: list[int | float] = [0, 100, 100.5, 101, 16777216, 16777218, 16777220]
    else:
        steps = [0, 100, 101, 16777216, 16777217, 16777218, 16777219, 16777220]
        steps += [2**31 - 2, 2**31 - 1]
        if kind == "float64":
            steps += [100.5, 100.50000000000001, 16777217.5, 2**31 - 1.5]
    host = np.asarray(steps, dtype=kind)
    assert host.tolist() == steps  # each step is exact in the dtype
    if lib == "numpy":
        out = s(host)
    elif lib == "jax":
        arr = require("jax.numpy").asarray(host)
        out = (require("jax").jit(s.__call__) if source.endswith("jit") else s)(arr)
    else:
        out = s(require("torch").as_tensor(host))
    want = [s(x) for x in steps]
    assert to_numpy(out).astype(np.float64).tolist() == want


LOW_FLOATS = ["numpy-float16", "torch-float16", "torch-bfloat16", "jax-float16", "jax-bfloat16"]


@pytest.mark.parametrize("source", LOW_FLOATS)
def test_low_precision_float_steps(source, np):
    """float16/bfloat16 steps keep their dtype, and boundaries that fall between two
    representable steps (100.3, 1000.3) still compare exactly."""
    lib, kind = source.split("-")
    s = lrkit.PiecewiseConstantDecay([100.3, 1000.3], [1.0, 0.5, 0.25])
    # float16 has 0.5 between steps near 1000 and 1/16 near 100; bfloat16 4 and 0.5
    if kind == "float16":
        steps = [0.0, 100.0, 100.25, 100.3125, 100.5, 1000.0, 1000.5, 1001.0]
    else:
        steps = [0.0, 100.0, 100.5, 101.0, 1000.0, 1004.0]
    if lib == "numpy":
        arr = np.asarray(steps, dtype=kind)
    elif lib == "torch":
        torch = require("torch")
        arr = torch.tensor(steps, dtype=getattr(torch, kind))
    else:
        jnp = require("jax.numpy")
        arr = jnp.asarray(steps, dtype=getattr(jnp, kind))
    assert to_numpy(arr).astype(np.float64).tolist() == steps
    cases = CASES if lib != "jax" else [BY_ID["cosine-warmup"]]  # JAX: op compiles cost
    for case in cases:
        out = case.schedule(arr)
        assert out.dtype == arr.dtype and tuple(out.shape) == tuple(arr.shape), case.id
    got = to_numpy(s(arr)).astype(np.float64).tolist()
    assert got == [s(x) for x in steps]


INT_MAX_SOURCES = [
    "numpy-int32",
    "numpy-int64",
    "jax-int32",
    "torch-int32",
    "torch-int64",
]


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if isinstance(c.schedule, lrkit.CosineDecayRestarts)],
    ids=lambda c: c.id,
)
@pytest.mark.parametrize("source", INT_MAX_SOURCES)
def test_restarts_at_integer_dtype_max(case, source, np):
    """The largest step of an integer dtype still finds its restart period."""
    lib, kind = source.split("-")
    top = int(np.iinfo(kind).max)
    steps = [top - 2, top - 1, top]
    host = np.asarray(steps, dtype=kind)
    if lib == "numpy":
        out = case.schedule(host)
    elif lib == "jax":
        out = case.schedule(require("jax.numpy").asarray(host))
    else:
        out = case.schedule(require("torch").as_tensor(host))
    ref = [case.schedule(s) for s in steps]
    if to_numpy(out).dtype == np.float64:
        check_float64(case, out, ref)
    else:
        check_float32(case, out, ref, steps)


# -- errors, negative and non-finite steps ------------------------------------------
@case_param
def test_numpy_refuses_negative_and_nonfinite(case, np):
    bad = [
        np.asarray([0, 5, -1], dtype=np.int64),
        np.asarray(-3, dtype=np.int64),
        np.asarray([[1, 2], [3, -4]], dtype=np.int32),
        np.asarray([0.0, -0.5], dtype=np.float64),
        np.asarray([1.0, np.nan], dtype=np.float64),
        np.asarray(np.nan, dtype=np.float32),
        np.asarray([np.inf], dtype=np.float32),
        np.asarray([-np.inf, 1.0], dtype=np.float64),
    ]
    for arr in bad:
        with pytest.raises(ValueError):
            case.schedule(arr)
    assert case.schedule(np.asarray([], dtype=np.int64)).shape == (0,)
    assert case.schedule(np.asarray([-0.0])).tolist() == [case.schedule(0)]


@case_param
def test_python_sequences_are_refused(case):
    for seq in ([0, 1, 2], (0, 1), [[1]], "12"):
        with pytest.raises(TypeError):
            case.schedule(seq)


@case_param
@pytest.mark.parametrize("kind", ["int32", "float32"])
def test_jax_negative_steps_count_as_zero(case, kind, jnp, np):
    """Eager and under jit (the dataset's shape, so the compiled function is reused)."""
    steps, _ = dataset(case.id, "f32" if kind == "float32" else "i32")
    host = np.asarray(steps, dtype=kind)
    assert host[0] == 0
    negative = [-1, -5, -(2**31)] if kind == "int32" else [-0.5, -1.0, -1e30, -np.inf]
    host[1 : 1 + len(negative)] = negative
    arr = jnp.asarray(host)
    for out in (case.schedule(arr.reshape(3, -1)), jitted(case)(arr)):
        got = np.asarray(out).reshape(-1)[: 1 + len(negative)]
        assert got.tolist() == [got[0]] * len(got)


@case_param
def test_torch_negative_steps_count_as_zero(case, torch):
    for arr in (
        torch.tensor([-1, -5, -(2**63)], dtype=torch.int64),
        torch.tensor([-1, -(2**31)], dtype=torch.int32),
        torch.tensor([-0.5, -1.0, -1e30, -math.inf], dtype=torch.float32),
        torch.tensor([-0.5, -1e300], dtype=torch.float64),
    ):
        zero = case.schedule(torch.zeros((1,), dtype=arr.dtype)).item()
        assert case.schedule(arr).tolist() == [zero] * arr.shape[0]


@case_param
def test_jax_and_torch_nan_steps_are_not_checked(case, jnp, torch, np):
    """Unchecked: a NaN step gives NaN, except PiecewiseConstantDecay's last value."""
    want = float(np.float32(case.schedule.values[-1])) if case.exact else math.nan
    nan = np.full((3, N_STEPS // 3), np.nan, dtype=np.float32)  # test_jax's eager shape
    for arr in (jnp.asarray(nan), torch.as_tensor(nan)):
        got = float(to_numpy(case.schedule(arr))[1, 2])
        assert got == want or (math.isnan(got) and math.isnan(want)), got


# -- torch.compile ------------------------------------------------------------------
#: (case, step dtype) pairs that torch.compile(fullgraph=True) once could not trace:
#: * float32 steps with a rounded table (PiecewiseConstantDecay, CosineDecayRestarts
#:   with t_mul != 1): the float32 rounding used ``struct.Struct.pack`` (now pure math);
#: * PolynomialDecay(cycle=True) with integer steps: ``ArrayOps.where`` mixed a float
#:   scalar with the integer remainder, whose promotion called ``torch.result_type``
#:   (scalars now take the other operand's dtype).
FORMER_GRAPH_BREAKS = {
    ("piecewise-int", "float32"),
    ("piecewise-float", "float32"),
    ("poly-cycle", "int64"),
    ("poly-pow2-cycle", "int64"),
    ("restarts-t2", "float32"),
    ("restarts-t2-alpha", "float32"),
    ("restarts-t1.5", "float32"),
    ("restarts-t0.5", "float32"),
}
COMPILE_KINDS = ["int64", "float32"]


def _compile_steps(torch: Any, np: Any, case: Case, kind: str) -> Any:
    steps, _ = dataset(case.id, "f32" if kind == "float32" else "i32")
    return torch.as_tensor(np.asarray(steps, dtype=kind))


#: this one also checks that compiling without fullgraph (Dynamo splits the graph)
#: still gives the eager values; a few seconds each, so only one
BREAK_VALUE_CHECKS = {("piecewise-float", "float32")}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("case", "kind"),
    [pytest.param(BY_ID[c], k, id=f"{c}-{k}") for c, k in sorted(FORMER_GRAPH_BREAKS)],
)
def test_torch_compile_fullgraph_formerly_breaking(case, kind, torch, np):
    """The cases that once broke the graph (float32 tables built with ``struct``,
    a Python scalar promoted through ``torch.result_type``) trace in one graph, and
    without ``fullgraph`` torch.compile gives the eager values too."""
    arr = _compile_steps(torch, np, case, kind)
    if (case.id, kind) in BREAK_VALUE_CHECKS:
        torch._dynamo.reset()
        out = torch.compile(lambda t: case.schedule(t), backend="eager")(arr)
        assert torch.equal(out, case.schedule(arr))
    torch._dynamo.reset()
    out = torch.compile(lambda t: case.schedule(t), backend="eager", fullgraph=True)(arr)
    assert torch.equal(out, case.schedule(arr))


#: (step dtype, backend): Inductor, the default backend, generates and compiles C++;
#: its first compilation in a process costs ~20 s on a cold cache, each schedule ~2 s
#: more. So it compiles once: float32 steps (torch.optim keeps ``step`` as a float32
#: tensor), all traceable schedules in one graph. int64 steps use ``aot_eager``
#: (Dynamo + AOT autograd, no code generation).
COMPILE_RUNS = [("float32", "inductor"), ("int64", "aot_eager")]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("kind", "backend"), COMPILE_RUNS, ids=lambda v: str(v))
def test_torch_compile_fullgraph(kind, backend, torch, np):
    """One graph (fullgraph=True) for all the schedules that trace (all but
    :data:`FORMER_GRAPH_BREAKS`): values within the float32 bounds, piecewise exact."""
    cases = [c for c in CASES if (c.id, kind) not in FORMER_GRAPH_BREAKS]
    hi = F32_INT if kind == "float32" else I64_HI
    steps = set(dataset(cases[0].id, "f32" if kind == "float32" else "i32")[0])
    steps |= {e for c in cases for e in edges(c, hi)}
    steps = sorted(steps)
    arr = torch.as_tensor(np.asarray(steps, dtype=kind))
    assert arr.tolist() == steps

    def all_rates(t):
        return torch.stack([c.schedule(t) for c in cases])

    torch._dynamo.reset()
    out = torch.compile(all_rates, backend=backend, fullgraph=True)(arr)
    assert out.dtype == torch.float32 and out.shape == (len(cases), len(steps))
    for row, case in zip(out, cases, strict=True):
        check_float32(case, row, [case.schedule(s) for s in steps], steps)
