"""JAX / optax: an lrkit schedule is an optax schedule as it is.

In jit, with optax's int32 count, exact at large counts, through ``inject_hyperparams``,
and in a sharded train step on two host devices (a subprocess: the device count is
fixed when JAX starts; this file is also that subprocess's script).
"""

import json
import os
import subprocess
import sys

import pytest

import lrkit
from conftest import require

SCHEDULE = lrkit.Warmup(lrkit.CosineDecay(0.2, 40, alpha=0.1), 5) * lrkit.ExponentialDecay(
    1.0, 10, 0.9
)


def _data(jnp):
    np = require("numpy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32) + 0.3
    return jnp.asarray(x), jnp.asarray(y)


def _loss(params, x, y):
    return ((x @ params["w"] + params["b"] - y) ** 2).mean()


def test_optax_sgd_takes_an_lrkit_schedule_in_a_jitted_loop():
    np = require("numpy")
    jax = require("jax")
    optax = require("optax")
    jnp = jax.numpy

    x, y = _data(jnp)
    opt = optax.sgd(learning_rate=SCHEDULE)
    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    state = opt.init(params)

    @jax.jit
    def train_step(params, state):
        loss, grads = jax.value_and_grad(_loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    # the same loop by hand, with the rates computed on the host
    ref = {"w": np.zeros(3, np.float32), "b": np.float32(0)}
    grad = jax.jit(jax.grad(_loss))
    losses = []
    for t in range(30):
        params, state, loss = train_step(params, state)
        losses.append(float(loss))
        g = grad({k: jnp.asarray(v) for k, v in ref.items()}, x, y)
        lr = np.float32(SCHEDULE(t))
        ref = {k: ref[k] - lr * np.asarray(g[k]) for k in ref}
    assert losses[-1] < losses[0] / 10  # it trains
    for k in ref:
        np.testing.assert_allclose(np.asarray(params[k]), ref[k], rtol=2e-6, atol=1e-7)


def test_inject_hyperparams_reports_the_schedule():
    np = require("numpy")
    jax = require("jax")
    optax = require("optax")
    jnp = jax.numpy

    x, y = _data(jnp)
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=SCHEDULE, weight_decay=1e-4)
    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    state = opt.init(params)

    @jax.jit
    def train_step(params, state):
        grads = jax.grad(_loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    seen = []
    for _ in range(12):
        params, state = train_step(params, state)
        # after update t, the state holds the rate update t used: schedule(t)
        seen.append(state.hyperparams["learning_rate"])
    seen = np.asarray(seen)
    assert seen.dtype == np.float32
    # the float64 host values, to float32 rounding (XLA may fuse differently: an ulp or two)
    np.testing.assert_allclose(seen, [SCHEDULE(t) for t in range(12)], rtol=3e-7)


@pytest.mark.parametrize(
    ("schedule", "counts"),
    [
        # 16777217 is not a float32: a float32 step would land on the wrong side
        (lrkit.PiecewiseConstantDecay([16_777_217], [1.0, 0.5]), [16_777_217, 16_777_218]),
        (lrkit.ExponentialDecay(1.0, 16_777_217, 0.5, staircase=True), [16_777_216, 16_777_217]),
        (lrkit.CosineDecayRestarts(1.0, 10, t_mul=2.0), [81_909, 81_910, 327_670]),
        (lrkit.PolynomialDecay(1.0, 2**30, 0.0, cycle=True), [2**30, 2**30 + 1, 2**31 - 1]),
        (lrkit.CosineDecay(1.0, 2**31 - 2), [2**31 - 3, 2**31 - 2]),
    ],
    ids=["piecewise", "staircase", "restarts", "polynomial", "cosine-end"],
)
def test_exact_at_large_int32_counts(schedule, counts):
    jax = require("jax")
    optax = require("optax")
    jnp = jax.numpy

    opt = optax.sgd(schedule)
    params = jnp.zeros(())
    state0 = opt.init(params)

    @jax.jit
    def rate(count):
        state = optax.tree_utils.tree_set(state0, count=count)
        updates, _ = opt.update(jnp.ones(()), state, params)
        return -updates

    for c in counts:
        got = float(rate(jnp.asarray(c, jnp.int32)))
        want = schedule(c)
        assert got == pytest.approx(want, rel=3e-7, abs=0), c  # no float32-step slip


def test_sharded_train_step_on_two_devices():
    np = require("numpy")
    require("jax")
    require("optax")
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    proc = subprocess.run(
        [sys.executable, __file__], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["devices"] == 2
    host = np.float32([SCHEDULE(t) for t in range(len(out["in_step"]))])
    np.testing.assert_allclose(out["in_step"], host, rtol=3e-7)
    np.testing.assert_allclose(out["array_path"], host, rtol=3e-7)
    for shard in out["per_device"]:  # each device's shard of a sharded step array
        np.testing.assert_allclose(shard["values"], host[shard["steps"]], rtol=3e-7)


def _sharded_main() -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    mesh = jax.make_mesh((2,), ("data",))
    replicated, batch = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))
    x, y = _data(jnp)
    x, y = jax.device_put(x, batch), jax.device_put(y, batch)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=SCHEDULE, momentum=0.9)
    params = jax.device_put({"w": jnp.zeros(3), "b": jnp.zeros(())}, replicated)
    state = jax.device_put(opt.init(params), replicated)

    @jax.jit
    def train_step(params, state, x, y):
        lr = SCHEDULE(state.count)  # the schedule, computed inside the sharded step
        grads = jax.grad(_loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, lr

    in_step = []
    for _ in range(20):
        params, state, lr = train_step(params, state, x, y)
        in_step.append(float(lr))
    steps = jax.device_put(jnp.arange(20, dtype=jnp.int32), batch)
    values = jax.jit(SCHEDULE)(steps)  # a sharded step array in, a sharded rate array out
    per_device = [
        {"steps": np.asarray(steps)[s.index].tolist(), "values": np.asarray(s.data).tolist()}
        for s in values.addressable_shards
    ]
    print(
        json.dumps(
            {
                "devices": len(jax.devices()),
                "in_step": in_step,
                "array_path": np.asarray(SCHEDULE(jnp.arange(20, dtype=jnp.int32))).tolist(),
                "per_device": per_device,
            }
        )
    )


if __name__ == "__main__":
    _sharded_main()


def test_the_step_divides_without_sign_corrections_other_values_floor():
    np = require("numpy")
    jax = require("jax")
    jnp = jax.numpy
    # the step is never negative on arrays (clamped), so its integer division by a
    # positive period is the truncating one; a negative dividend still floors
    s = lrkit.ExponentialDecay(0.1, 1000, 0.5, staircase=True)
    text = jax.jit(s).lower(jnp.int32(0)).as_text()
    assert "stablehlo.sign" not in text  # (jnp.floor_divide's correction)
    steps = jnp.array([-5, 0, 999, 1000, 12345], dtype=jnp.int32)
    want = [s(max(int(t), 0)) for t in steps]
    np.testing.assert_allclose(np.asarray(jax.jit(s)(steps)), want, rtol=1e-6)
    cyc = lrkit.PolynomialDecay(1.0, 10, 0.0, cycle=True)  # floor_divide(-step, 10)
    got = np.asarray(jax.jit(cyc)(jnp.arange(0, 35, dtype=jnp.int32)))
    np.testing.assert_allclose(got, [cyc(t) for t in range(35)], rtol=1e-6, atol=1e-7)
