"""optax: lrkit schedules for any hyperparameter through ``optax.inject_hyperparams``,
under ``jax.jit``, with the count convention pinned down; and a value outside the
optimizer (an EMA decay) inside a jitted step."""

import lrkit
from conftest import require

STEPS = 20
LR = lrkit.Warmup(lrkit.CosineDecay(0.05, STEPS - 4), 4)
B1 = lrkit.OneCycle(0.05, STEPS).momentum(0.85, 0.95)
WD = lrkit.Linear(0.0, 0.1, STEPS)


def _data():
    np = require("numpy")
    jnp = require("jax").numpy
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32) + 0.3
    return jnp.asarray(x), jnp.asarray(y)


def _loss(params, x, y):
    return ((x @ params["w"] + params["b"] - y) ** 2).mean()


def test_adamw_with_scheduled_learning_rate_b1_and_weight_decay_under_jit():
    np = require("numpy")
    jax = require("jax")
    optax = require("optax")
    jnp = jax.numpy
    x, y = _data()

    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=LR, b1=B1, weight_decay=WD)
    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    state = opt.init(params)

    @jax.jit
    def train_step(params, state):
        grads = jax.grad(_loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    # by hand: optax.adamw rebuilt with the host's values before each update, one state
    ref = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    ref_state = optax.adamw(1.0).init(ref)
    grad = jax.jit(jax.grad(_loss))
    for t in range(STEPS):
        assert int(state.count) == t  # the count the schedules see at update t
        params, state = train_step(params, state)
        # after update t, the state holds the values update t used: the schedules at t
        for name, s in (("learning_rate", LR), ("b1", B1), ("weight_decay", WD)):
            used = state.hyperparams[name]
            assert used.dtype == jnp.float32
            # lrkit's float32 value on the int32 count: within 2 float32 ulps of the exact one
            assert abs(float(used) - s(t)) <= 2.4e-7 * abs(s(t))
        by_hand = optax.adamw(
            float(np.float32(LR(t))),
            b1=float(np.float32(B1(t))),
            weight_decay=float(np.float32(WD(t))),
        )
        updates, ref_state = by_hand.update(grad(ref, x, y), ref_state, ref)
        ref = optax.apply_updates(ref, updates)
        for k in params:
            np.testing.assert_allclose(params[k], ref[k], rtol=1e-5, atol=1e-6)
    assert int(state.count) == STEPS
    # the first update used the schedules at 0 (b1 starts at max_momentum), not at 1
    assert B1(0) == 0.95 and B1(1) < 0.95


def test_a_value_outside_the_optimizer_inside_jit():
    np = require("numpy")
    jax = require("jax")
    jnp = jax.numpy
    decay = lrkit.Warmup(lrkit.Linear(0.99, 0.9999, 50), 10, 0.0)  # an EMA decay

    @jax.jit
    def ema_step(step, w, ema):
        d = decay(step)  # the step: an int32 array, traced once
        return ema * d + w * (1 - d)

    ema, expected = jnp.zeros(3), np.zeros(3)
    for t in range(30):
        w = jnp.full(3, float(t))
        ema = ema_step(jnp.asarray(t, jnp.int32), w, ema)
        expected = expected * decay(t) + float(t) * (1 - decay(t))
    assert ema_step._cache_size() == 1
    np.testing.assert_allclose(np.asarray(ema), expected, rtol=1e-5)
