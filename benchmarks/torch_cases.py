"""PyTorch: ``lrkit.torch.ScheduleLR.step()`` against PyTorch's own schedulers.

Target: ``ScheduleLR(opt, CosineDecay).step()`` costs at most what
``CosineAnnealingLR.step()`` costs (SGD, one parameter group). Peers: transformers'
cosine lambda in a ``LambdaLR``, timm's ``CosineLRScheduler.step_update`` and
lrsched's cosine in a ``LambdaLR``. (That a ``torch.compile``d train step reading the
rate from an lrkit schedule compiles once is a test: tests/test_benchmarks.py.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from benchmarks._report import Case, Report
from benchmarks._timing import Settings, call_timer, compare
from benchmarks.specs import ALPHA, LR, PW1000, T, W, timm_module

STEP_TARGET = 1.0


def _optimizer(torch: Any, lr: Any = LR) -> Any:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(10))], lr=lr)


def _stepper(scheduler: Any) -> Callable[[], None]:
    return scheduler.step


def run(report: Report, settings: Settings) -> None:
    try:
        import torch

        import lrkit
        import lrkit.torch
    except ImportError as exc:
        report.skip("torch", "*", "torch", f"not installed ({exc})")
        return
    import warnings

    # the schedulers are stepped without an optimizer step in between
    warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")

    cosine = lrkit.CosineDecay(LR, T, ALPHA)
    steppers: dict[str, Callable[[], None]] = {
        "lrkit ScheduleLR": _stepper(lrkit.torch.ScheduleLR(_optimizer(torch), cosine)),
        "torch CosineAnnealingLR": _stepper(
            torch.optim.lr_scheduler.CosineAnnealingLR(
                _optimizer(torch), T_max=T, eta_min=ALPHA * LR
            )
        ),
    }
    _peers(torch, steppers, report, "CosineDecay")
    timings = compare({k: call_timer(f) for k, f in steppers.items()}, settings)
    case = report.add(
        Case("torch", "scheduler.step(): CosineDecay", "step", "torch CosineAnnealingLR", timings)
    )
    report.target(
        case,
        "ScheduleLR.step() / CosineAnnealingLR.step()",
        case.ratio("lrkit ScheduleLR"),
        STEP_TARGET,
    )

    # other schedules through ScheduleLR, and a tensor learning rate (torch.compile's)
    tensor_opt = _optimizer(torch, torch.tensor(LR))
    others = {
        "ScheduleLR, CosineDecay(warmup_target)": lrkit.torch.ScheduleLR(
            _optimizer(torch), lrkit.CosineDecay(0.0, T, ALPHA, warmup_target=LR, warmup_steps=W)
        ),
        "ScheduleLR, PiecewiseConstantDecay(1000)": lrkit.torch.ScheduleLR(
            _optimizer(torch), lrkit.PiecewiseConstantDecay(*PW1000)
        ),
        "ScheduleLR, CosineDecay, tensor lr": lrkit.torch.ScheduleLR(tensor_opt, cosine),
        "torch CosineAnnealingLR": torch.optim.lr_scheduler.CosineAnnealingLR(
            _optimizer(torch), T_max=T, eta_min=ALPHA * LR
        ),
        "torch CosineAnnealingLR, tensor lr": torch.optim.lr_scheduler.CosineAnnealingLR(
            _optimizer(torch, torch.tensor(LR)), T_max=T, eta_min=ALPHA * LR
        ),
        "torch MultiStepLR(1000 milestones)": torch.optim.lr_scheduler.MultiStepLR(
            _optimizer(torch), milestones=[b + 1 for b in PW1000[0]], gamma=0.995
        ),
    }
    timings = compare({k: call_timer(_stepper(s)) for k, s in others.items()}, settings)
    report.add(
        Case(
            "torch, more schedulers", "scheduler.step()", "step", "torch CosineAnnealingLR", timings
        )
    )


def _peers(torch: Any, steppers: dict[str, Callable[[], None]], report: Report, name: str) -> None:
    try:
        import transformers.optimization as tro

        sched = tro.get_cosine_with_min_lr_schedule_with_warmup(
            _optimizer(torch), 0, T, min_lr_rate=ALPHA
        )
        steppers["transformers LambdaLR"] = _stepper(sched)
    except ImportError as exc:
        report.skip("torch", name, "transformers", f"not installed ({exc})")
    try:
        cosine_lr = timm_module("cosine_lr")
        timm_sched = cosine_lr.CosineLRScheduler(
            _optimizer(torch), t_initial=T, lr_min=ALPHA * LR, t_in_epochs=False
        )
        counter = itertools.count(1)
        steppers["timm step_update"] = lambda: timm_sched.step_update(next(counter))
    except ImportError as exc:
        report.skip("torch", name, "timm", f"not installed ({exc})")
    try:
        import lrsched

        f = lrsched.cosine(base_lr=LR, min_lr=ALPHA * LR, total_steps=T)
        steppers["lrsched in LambdaLR"] = _stepper(
            torch.optim.lr_scheduler.LambdaLR(_optimizer(torch), lambda step: f(step) / LR)
        )
    except ImportError as exc:
        report.skip("torch", name, "lrsched", f"not installed ({exc})")
