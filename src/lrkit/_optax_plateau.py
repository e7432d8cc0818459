r"""optax: reduce on plateau as a gradient transformation (``lrkit.optax.scale_by_plateau``).

The decisions of :class:`lrkit.Plateau` (PyTorch's ``ReduceLROnPlateau``), computed
by the same :func:`lrkit.plateau.transition` on JAX arrays, with the state in the
optimizer state, under ``jax.jit``. Chained after an optimizer, it multiplies the
updates by the multiplier :math:`s`; for optax's optimizers, whose updates are
proportional to the learning rate (weight decay included in ``adamw``), that is the
rate :math:`\eta(t)\,s(t)` of any schedule :math:`\eta`:

.. code-block:: python

    tx = optax.chain(optax.adamw(lrkit.CosineDecay(1e-3, 10_000)),
                     lrkit.optax.scale_by_plateau(patience=3))
    updates, state = tx.update(grads, state, params, value=val_loss, report=is_eval_step)

JAX and optax are imported when it is called.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lrkit.plateau import decisions, transition


class PlateauState(NamedTuple):
    """The state of :func:`scale_by_plateau`: JAX scalars."""

    scale: Any
    best: Any
    bad_reports: Any
    cooldown_left: Any


def scale_by_plateau(
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_scale: float = 0.0,
    eps: float = 1e-8,
) -> Any:
    r"""A gradient transformation that scales the updates by a reduce-on-plateau multiplier.

    Args (as :class:`lrkit.Plateau`'s, checked the same way at construction): ``mode``,
    ``factor``, ``patience``, ``threshold``, ``threshold_mode``, ``cooldown``,
    ``min_scale``, ``eps``.

    ``update(updates, state, params=None, *, value, report=True)``: ``value`` is the
    metric (a JAX or Python scalar); with ``report`` false (a traced bool may decide,
    e.g. ``count % eval_every == 0``) the state is left as it is. The updates are
    multiplied by the multiplier *after* the report, so a reduction holds from the
    update it is reported with on. The decisions are made in the metric's dtype
    (float32 unless JAX's 64-bit mode is on).

    >>> import jax.numpy as jnp, optax, lrkit.optax
    >>> tx = lrkit.optax.scale_by_plateau(factor=0.5, patience=0)
    >>> state = tx.init({"w": jnp.zeros(2)})
    >>> for loss in [1.0, 1.0]:
    ...     updates, state = tx.update({"w": jnp.ones(2)}, state, value=loss)
    >>> float(state.scale), updates["w"].tolist()
    (0.5, [0.5, 0.5])
    """
    import jax
    import jax.numpy as jnp
    import optax

    config = decisions(mode, factor, patience, threshold, threshold_mode, cooldown, min_scale, eps)

    def init(params: Any) -> PlateauState:
        del params
        worst = jnp.inf if config["mode"] == "min" else -jnp.inf
        return PlateauState(
            scale=jnp.asarray(1.0),
            best=jnp.asarray(worst),
            bad_reports=jnp.asarray(0, dtype=jnp.int32),
            cooldown_left=jnp.asarray(0, dtype=jnp.int32),
        )

    def update(
        updates: Any,
        state: PlateauState,
        params: Any = None,
        *,
        value: Any,
        report: Any = True,
        **extra_args: Any,
    ) -> tuple[Any, PlateauState]:
        del params, extra_args
        metric = jnp.asarray(value, dtype=state.best.dtype)
        new = transition(config, state._asdict(), metric, where=jnp.where, maximum=jnp.maximum)
        new_state = PlateauState(
            scale=jnp.asarray(new["scale"], dtype=state.scale.dtype),
            best=jnp.asarray(new["best"], dtype=state.best.dtype),
            bad_reports=jnp.asarray(new["bad_reports"], dtype=jnp.int32),
            cooldown_left=jnp.asarray(new["cooldown_left"], dtype=jnp.int32),
        )
        state = jax.tree_util.tree_map(lambda a, b: jnp.where(report, a, b), new_state, state)
        updates = jax.tree_util.tree_map(
            lambda u: u * state.scale.astype(jnp.asarray(u).dtype), updates
        )
        return updates, state

    return optax.GradientTransformationExtraArgs(init, update)
