"""Parity with transformers' schedulers (``transformers.get_scheduler``).

Each scheduler is a ``LambdaLR`` over a real ``torch.optim.SGD``; the optimizer's rate
after ``t`` steps is ``lr * lambda(t)``, computed by transformers in float64 Python
floats from the closed form (never from the previous rate). Its few roundings, and the
slightly different but equivalent arrangement of lrkit's formulas (the sin**2 form of
the cosine, the symmetric line), differ by a few ulps of the scale: the check allows
1e-12 of the scale.

The tests are in ``tests/schedules/test_<family>.py``, one file per family; this module
keeps what they share: the transformers rates and the check.
"""

from __future__ import annotations

import warnings

from conftest import require

REL = 1e-12
LR = 0.3


def tf_rates(name: str, n: int, warmup, total, lr: float = LR, **kwargs) -> list[float]:
    transformers = require("transformers")
    torch = require("torch")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = transformers.get_scheduler(
            name,
            opt,
            num_warmup_steps=warmup,
            num_training_steps=total,
            scheduler_specific_kwargs=kwargs or None,
        )
        out = []
        for _ in range(n):
            out.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
    return out


def assert_close(theirs, schedule, scale=LR):
    ours = [schedule(t) for t in range(len(theirs))]
    bad = [
        (t, a, b)
        for t, (a, b) in enumerate(zip(theirs, ours, strict=True))
        if not abs(a - b) <= REL * scale
    ]
    assert not bad, f"{schedule!r}: (step, transformers, lrkit) {bad[:5]} of {len(bad)}"


PHASES = [(0, 50), (7, 50), (1, 50), (10, 11), (100, 1000)]


SHAPES = ["linear", "cosine", "1-sqrt"]


# -- where lrkit differs ------------------------------------------------------------------------
