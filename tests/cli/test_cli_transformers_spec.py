"""The command line speaks transformers: ``lrkit show "transformers.NAME(learning_rate=...,
num_warmup_steps=..., num_training_steps=..., ...)"``, built by ``lrkit.from_transformers``.

Compared with ``transformers.get_scheduler`` stepped for real over a ``torch.optim.SGD``:
transformers computes each rate in float64 from its closed form, so the two agree to
1e-12 of the scale (see tests/test_modern_transformers.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import pytest

import lrkit
from conftest import require
from lrkit.cli import main
from lrkit.spec import parse_spec

REL = 1e-12


def transformers_rates(name: str, n: int, lr: float, warmup, total, **kwargs) -> list[float]:
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


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def shown(spec: str, n: int) -> list[float]:
    status, out, err = cli("show", spec, "--at", ",".join(map(str, range(n))), "--format", "json")
    assert status == 0, err
    return [float(x) for x in json.loads(out)["learning_rate"]]


CASES = [
    ("linear", 0.3, 10, 100, {}),
    ("cosine", 1e-3, 100, 1000, {}),
    ("cosine", 0.3, 7, 50, {"num_cycles": 1.5}),
    ("cosine_with_restarts", 0.3, 5, 65, {"num_cycles": 3}),
    ("polynomial", 0.3, 10, 80, {"lr_end": 1e-4, "power": 2.0}),
    ("constant", 0.3, None, None, {}),
    ("constant_with_warmup", 0.3, 20, None, {}),
    ("inverse_sqrt", 0.3, 16, None, {}),
    ("cosine_with_min_lr", 0.3, 10, 60, {"min_lr_rate": 0.1}),
]


def spec_of(name, lr, warmup, total, kwargs, specific_as_dict=False) -> str:
    parts = [f"learning_rate={lr!r}"]
    if warmup is not None:
        parts.append(f"num_warmup_steps={warmup!r}")
    if total is not None:
        parts.append(f"num_training_steps={total!r}")
    if kwargs and specific_as_dict:
        parts.append(f"scheduler_specific_kwargs={kwargs!r}")
    else:
        parts += [f"{k}={x!r}" for k, x in kwargs.items()]
    return f"transformers.{name}({', '.join(parts)})"


@pytest.mark.parametrize(("name", "lr", "warmup", "total", "kwargs"), CASES, ids=str)
def test_show_matches_transformers(name, lr, warmup, total, kwargs):
    n = (total or 200) + 10
    theirs = transformers_rates(name, n, lr, warmup, total, **kwargs)
    # past num_training_steps transformers' plain cosines climb back; lrkit holds their
    # final value (docs/differences.md, the peer factories)
    holds = name in ("cosine", "cosine_with_min_lr") and total is not None
    for as_dict in (False, True):
        ours = shown(spec_of(name, lr, warmup, total, kwargs, as_dict), n)
        compared = total + 1 if holds else n
        bad = [
            (t, a, b)
            for t, (a, b) in enumerate(zip(theirs[:compared], ours[:compared], strict=True))
            if not abs(a - b) <= REL * lr
        ]
        if holds:
            assert ours[compared:] == [ours[total]] * (n - compared)
        assert not bad, f"{name}: (step, transformers, lrkit) {bad[:5]} of {len(bad)}"


@pytest.mark.parametrize(("name", "lr", "warmup", "total", "kwargs"), CASES, ids=str)
def test_convert_to_spec_reads_back(name, lr, warmup, total, kwargs):
    spec = spec_of(name, lr, warmup, total, kwargs)
    status, out, err = cli("convert", spec, "--to", "spec")
    assert status == 0, err
    text = out.strip()
    assert not text.startswith("transformers.")
    assert parse_spec(text) == parse_spec(spec)
    n = (total or 200) + 10
    assert shown(text, n) == shown(spec, n)


def test_is_the_same_as_from_transformers():
    spec = "transformers.cosine(learning_rate=1e-3, num_warmup_steps=100, num_training_steps=1000)"
    assert parse_spec(spec) == lrkit.from_transformers(
        "cosine", learning_rate=1e-3, num_warmup_steps=100, num_training_steps=1000
    )


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("transformers.no_such_scheduler(learning_rate=1e-3)", "no_such_scheduler"),
        ("transformers.cosine(1e-3, 100, 1000)", "keyword arguments only"),
        (
            "transformers.cosine(learning_rate=1e-3, num_warmup_steps=1, num_training_steps=9, "
            "num_cycles=1, scheduler_specific_kwargs={'num_cycles': 2})",
            "repeated",
        ),
        ("transformers.cosine(learning_rate=__import__('os'))", "unknown schedule '__import__'"),
    ],
)
def test_errors_are_one_line(spec, words):
    status, out, err = cli("show", spec)
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrkit: error: ")
    assert words in lines[0], lines[0]
