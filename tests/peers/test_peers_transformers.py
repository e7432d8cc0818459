"""`lrkit.from_transformers` against the real ``transformers.get_scheduler``.

Each generated configuration builds transformers' scheduler over a real
``torch.optim.SGD`` and steps it; the rate after ``t`` steps is compared with
``from_transformers(...)(t)`` at every step, through the warmup, the decay and past its
end (transformers computes ``lr * lambda(t)`` in float64 from the closed form: a few
ulps apart from lrkit's arrangement of the same formulas; the check allows 1e-12 of
the rate). Its errors are compared with transformers' own.
"""

from __future__ import annotations

import random
import warnings

import pytest

import lrkit
from conftest import require

REL = 1e-12

#: names whose rate past num_training_steps lrkit holds (transformers' cosine climbs back)
CONTINUES = {"cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr"}


def theirs(name, lr, n, warmup, total, kwargs):
    transformers = require("transformers")
    torch = require("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = transformers.get_scheduler(
            name,
            opt,
            num_warmup_steps=warmup,
            num_training_steps=total,
            scheduler_specific_kwargs=kwargs,
        )
        out = []
        for _ in range(n):
            out.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
    return out


def ours(name, lr, warmup, total, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lrkit.from_transformers(
            name,
            learning_rate=lr,
            num_warmup_steps=warmup,
            num_training_steps=total,
            scheduler_specific_kwargs=kwargs,
        )


def _config(rng: random.Random, name: str) -> dict:
    lr = rng.choice([0.3, 1e-3, 2.5])
    w = rng.choice([0, 1, 2, 7, 20])
    n = w + rng.choice([1, 2, 9, 40])
    kw: dict = {}
    if name in ("cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        kw["num_cycles"] = rng.choice([0.5, 0.25, 1.0, 1.5])
    if name == "cosine_with_restarts":
        kw["num_cycles"] = rng.choice([1, 2, 3])
    if name == "polynomial":
        kw.update(lr_end=rng.choice([0.0, 1e-7, lr / 10]), power=rng.choice([1.0, 2.0, 0.5]))
    if name == "inverse_sqrt":
        kw["timescale"] = rng.choice([None, 3, 100])
        n = None
    if name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        if rng.random() < 0.5:
            kw["min_lr_rate"] = rng.choice([0.0, 0.1, 0.5])
        else:
            kw["min_lr"] = lr * rng.choice([0.01, 0.2])
    if name == "cosine_warmup_with_min_lr":
        w = max(w, 1)
        n = w + rng.choice([1, 2, 9, 40])
        if rng.random() < 0.5:
            w = max(w, 2)
            n = w + 5
            kw["warmup_lr_rate"] = rng.choice([0.0, 0.2])
    if name == "warmup_stable_decay":
        d = rng.choice([0, 1, 5, 12])
        kw.update(
            num_decay_steps=d,
            warmup_type=rng.choice(["linear", "cosine", "1-sqrt"]),
            decay_type=rng.choice(["linear", "cosine", "1-sqrt"]),
            min_lr_ratio=rng.choice([0, 0.1]),
            num_cycles=rng.choice([0.5, 1.0]),
        )
        n = max(1, w + d + rng.choice([0, 3, 10]))
        if rng.random() < 0.3:
            kw["num_stable_steps"], n = n - w - d, None
    if name in ("constant", "constant_with_warmup"):
        n = rng.choice([None, 10])
    return dict(lr=lr, warmup=w, total=n, kwargs=kw or None)


NAMES = [
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
]
CASES = [
    pytest.param(name, _config(random.Random(f"{name}-{i}"), name), id=f"{name}-{i}")
    for name in NAMES
    for i in range(12)
]


@pytest.mark.parametrize(("name", "cfg"), CASES)
def test_matches_get_scheduler(name, cfg):
    total = cfg["total"]
    end = (total or 0) + cfg["warmup"] + 30
    if name in CONTINUES:
        end = total + (0 if name == "cosine_warmup_with_min_lr" else 1)
    a = theirs(name, cfg["lr"], end, cfg["warmup"], total, cfg["kwargs"])
    s = ours(name, cfg["lr"], cfg["warmup"], total, cfg["kwargs"])
    scale = max(abs(x) for x in a) or 1.0
    bad = [(t, x, s(t)) for t, x in enumerate(a) if not abs(x - s(t)) <= REL * scale]
    assert not bad, f"{s!r}: (step, transformers, lrkit) {bad[:5]} of {len(bad)}"


def test_every_scheduler_type_is_known():
    transformers = require("transformers")
    names = {t.value for t in transformers.SchedulerType}
    assert names == set(lrkit.peers.transformers.SCHEDULER_TYPES)
    assert names - {"reduce_lr_on_plateau", "greedy"} == set(NAMES)
    # the enum itself is accepted
    s = lrkit.from_transformers(transformers.SchedulerType.CONSTANT, learning_rate=0.5)
    assert s(0) == s(10**6) == 0.5


# -- errors: transformers' own where it raises them -------------------------------------------


def _both(name, warmup=None, total=None, lr=0.1, **kwargs):
    """(transformers' exception, lrkit's) for the same call."""
    transformers = require("transformers")
    torch = require("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    out = []
    for build in (
        lambda: transformers.get_scheduler(
            name, opt, warmup, total, scheduler_specific_kwargs=kwargs or None
        ),
        lambda: lrkit.from_transformers(
            name,
            learning_rate=lr,
            num_warmup_steps=warmup,
            num_training_steps=total,
            scheduler_specific_kwargs=kwargs or None,
        ),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                build()
            except (ValueError, TypeError) as exc:
                out.append(exc)
            else:
                out.append(None)
    return out


@pytest.mark.parametrize(
    "call",
    [
        dict(name="linear"),  # no num_warmup_steps
        dict(name="cosine", warmup=5),  # no num_training_steps
        dict(name="not_a_scheduler", warmup=5, total=10),
        dict(name="cosine", warmup=5, total=10, foo=1),
        dict(name="polynomial", warmup=5, total=10, lr_end=0.5),
        dict(name="cosine_with_min_lr", warmup=5, total=10),
        dict(name="cosine_with_min_lr", warmup=5, total=10, min_lr=0.01, min_lr_rate=0.1),
        dict(name="warmup_stable_decay", warmup=5, total=10),
        dict(name="warmup_stable_decay", warmup=5, num_decay_steps=3),
        dict(name="warmup_stable_decay", warmup=5, total=20, num_decay_steps=3, decay_type="x"),
        dict(name="warmup_stable_decay", warmup=5, total=20, num_decay_steps=3, warmup_type="y"),
    ],
    ids=str,
)
def test_transformers_errors(call):
    theirs_exc, ours_exc = _both(**call)
    assert theirs_exc is not None and ours_exc is not None
    assert type(ours_exc) is type(theirs_exc)
    assert str(ours_exc) == str(theirs_exc)


def test_metric_driven_names_are_refused():
    for name in ("reduce_lr_on_plateau", "greedy"):
        with pytest.raises(TypeError, match="metric"):
            lrkit.from_transformers(name, learning_rate=0.1, num_warmup_steps=0)


def test_wsd_with_both_lengths_warns_and_takes_the_stable_steps():
    kw = dict(num_decay_steps=5, num_stable_steps=4)
    a = theirs("warmup_stable_decay", 0.2, 30, 3, 100, kw)
    with pytest.warns(UserWarning, match="num_stable_steps will be used"):
        s = lrkit.from_transformers(
            "warmup_stable_decay",
            learning_rate=0.2,
            num_warmup_steps=3,
            num_training_steps=100,
            scheduler_specific_kwargs=kw,
        )
    assert all(abs(x - s(t)) <= REL * 0.2 for t, x in enumerate(a))


# -- where lrkit differs ------------------------------------------------------------------------


def test_cosine_holds_past_the_end():
    a = theirs("cosine", 0.3, 160, 0, 100, None)
    assert a[150] == pytest.approx(0.15)  # transformers climbs back
    s = lrkit.from_transformers(
        "cosine", learning_rate=0.3, num_warmup_steps=0, num_training_steps=100
    )
    assert s(100) == s(150) == 0.0


@pytest.mark.parametrize("name", ["linear", "cosine", "polynomial", "cosine_with_min_lr"])
def test_a_decay_needs_more_steps_than_the_warmup(name):
    # N == W: transformers' "polynomial" divides by zero at W, "linear" drops to 0 at W
    # without reaching the peak; lrkit refuses, in transformers' names
    kwargs = {"min_lr_rate": 0.1} if name == "cosine_with_min_lr" else None
    if name == "polynomial":
        with pytest.raises(ZeroDivisionError):
            theirs(name, 0.3, 12, 10, 10, None)
    if name == "linear":
        assert theirs(name, 0.3, 12, 10, 10, None)[9:] == [pytest.approx(0.27), 0.0, 0.0]
    with pytest.raises(ValueError, match=r"Argument `num_training_steps` must be > num_warmup"):
        lrkit.from_transformers(
            name,
            learning_rate=0.3,
            num_warmup_steps=10,
            num_training_steps=10,
            scheduler_specific_kwargs=kwargs,
        )


def test_cosine_warmup_with_min_lr_that_runs_ahead():
    # W = 0: transformers' first rate is its rate of step 1; with warmup_lr_rate and W = 1
    # its rate never reaches the peak (q * lr, then the decay's step 1). lrkit refuses.
    a = theirs("cosine_warmup_with_min_lr", 1.0, 3, 0, 10, {"min_lr_rate": 0.0})
    assert a[0] < 1.0
    b = theirs(
        "cosine_warmup_with_min_lr", 1.0, 3, 1, 10, {"min_lr_rate": 0, "warmup_lr_rate": 0.5}
    )
    assert b[0] == 0.5 and b[1] < 1.0
    for w, kw in ((0, {"min_lr_rate": 0.0}), (1, {"min_lr_rate": 0.0, "warmup_lr_rate": 0.5})):
        with pytest.raises(ValueError, match=r"Argument `num_warmup_steps` must be >= "):
            lrkit.from_transformers(
                "cosine_warmup_with_min_lr",
                learning_rate=1.0,
                num_warmup_steps=w,
                num_training_steps=10,
                scheduler_specific_kwargs=kw,
            )


def test_non_integer_restarts_are_refused_by_name():
    with pytest.raises(ValueError, match="`num_cycles`"):
        lrkit.from_transformers(
            "cosine_with_restarts",
            learning_rate=0.3,
            num_warmup_steps=0,
            num_training_steps=10,
            scheduler_specific_kwargs={"num_cycles": 1.5},
        )
