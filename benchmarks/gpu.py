"""PyTorch on a device: lrkit's tensor calls against hand-written torch expressions.

    python -m benchmarks --device cuda [--quick]     # a GPU (skipped, in one line, without one)
    python -m benchmarks --device cpu [--quick]      # PyTorch on the CPU

For every Keras schedule and a warmup + cosine, on ``torch.arange(n)`` (int64, ``n``
= 10 million; 100,000 with ``--quick``) on the device, against the same formula
written by hand in torch (the NumPy baseline of :mod:`benchmarks.specs`, run on torch):

* the time of one call (target: at most 1.5x the hand-written expression);
* the peak memory of the call as a multiple of the result, for both: on CUDA
  ``torch.cuda.max_memory_allocated`` beyond what was allocated before (target: at
  most 3x); elsewhere the tensors the call holds at once, counted by a dispatch mode
  (the same count without the CUDA allocator's rounding to blocks);
* on CUDA, the synchronizations of one call with the host, on the vector and on a 0-d
  step (target: none), counted with ``torch.cuda.set_sync_debug_mode("warn")``;
* the same case on JAX (a jitted call, lrkit's schedule and the hand-written ``jnp``
  expression), on JAX's default device;
* a training step (a small MLP, AdamW with a tensor ``lr``, ``capturable=True`` on
  CUDA) whose rate is computed on the device by
  :class:`lrkit.torch.DeviceScheduleLR`, against the same step with a constant rate,
  and against :class:`lrkit.torch.ScheduleLR` setting a Python float.

Every ratio is taken against a baseline measured in the same process, interleaved.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

from benchmarks._report import Case, Report
from benchmarks._timing import Settings, compare
from benchmarks.specs import ALPHA, LR, T, W, _specs, all_specs

TIME_TARGET = 1.5
TRAIN_STEPS_QUICK = 5


class TorchAsNumpy:
    """The few NumPy functions the hand-written baselines use, in torch, on a device."""

    pi = math.pi

    def __init__(self, torch: Any, device: Any) -> None:
        self.torch, self.device = torch, device
        self.cos, self.floor, self.log, self.where = torch.cos, torch.floor, torch.log, torch.where

    def asarray(self, x: Any) -> Any:
        return self.torch.tensor(x, device=self.device)

    def power(self, a: Any, b: Any) -> Any:
        return self.torch.pow(a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return (
            self.torch.clamp(a, max=b) if isinstance(b, (int, float)) else self.torch.minimum(a, b)
        )

    def maximum(self, a: Any, b: Any) -> Any:
        return (
            self.torch.clamp(a, min=b) if isinstance(b, (int, float)) else self.torch.maximum(a, b)
        )

    def searchsorted(self, a: Any, v: Any, side: str = "left") -> Any:
        return self.torch.searchsorted(a, v, side=side)

    def take(self, a: Any, index: Any) -> Any:
        return a[index]


def _sync(torch: Any, device: str) -> Callable[[], None]:
    if device.startswith("cuda"):
        return torch.cuda.synchronize
    return lambda: None


def _timer(fn: Callable[[], Any], sync: Callable[[], None]) -> Callable[[int], float]:
    """A timer of ``fn()`` run ``number`` times, waiting for the device at the end."""

    def timer(number: int) -> float:
        sync()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        return time.perf_counter() - start

    return timer


def count_syncs(torch: Any, fn: Callable[[], Any]) -> int:
    """The synchronizations of ``fn()`` with the host (CUDA's sync debug mode, "warn")."""
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def _peak(torch: Any, fn: Callable[[], Any]) -> tuple[int, int]:
    """``(peak, result)`` bytes on the CUDA device, beyond what was allocated before."""
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    out = fn()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - before
    size = out.element_size() * out.nelement()
    del out
    return peak, size


def _live_peak(torch: Any, fn: Callable[[], Any]) -> tuple[int, int]:
    """``(peak, result)`` bytes of the tensors a call creates and holds at once, on any
    device: what ``torch.cuda.max_memory_allocated`` counts on CUDA (less its rounding
    to blocks), found by a dispatch mode that adds each new output's storage when it is
    made and takes it off when its tensor is freed."""
    import weakref

    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    class Count(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.live: dict[int, int] = {}
            self.now = self.peak = 0

        def _free(self, ptr: int) -> None:
            self.now -= self.live.pop(ptr, 0)

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None):
            out = func(*args, **(kwargs or {}))
            inputs = {
                a.untyped_storage().data_ptr()
                for a in tree_flatten(args)[0]
                if isinstance(a, torch.Tensor)
            }
            for t in tree_flatten(out)[0]:
                if not isinstance(t, torch.Tensor):
                    continue
                storage = t.untyped_storage()
                ptr = storage.data_ptr()
                if ptr in inputs or ptr in self.live or not storage.nbytes():
                    continue  # (in place, a view, or empty)
                self.live[ptr] = storage.nbytes()
                self.now += storage.nbytes()
                self.peak = max(self.peak, self.now)
                weakref.finalize(t, self._free, ptr)
            return out

    count = Count()
    with count:
        out = fn()
    size = out.element_size() * out.nelement()
    del out
    return count.peak, size


def run(report: Report, settings: Settings, device: str = "cuda") -> None:
    import torch

    group = f"torch on {device}"
    cuda = device.startswith("cuda")
    sync = _sync(torch, device)
    n = settings.n_array
    steps = torch.arange(n, device=device)
    np_like = TorchAsNumpy(torch, device)
    for spec in all_specs():
        ours, hand = spec.lrkit(), spec.numpy(np_like)
        a, b = ours(steps), hand(steps)
        if a.dtype != b.dtype or a.device != b.device:
            raise AssertionError(f"{spec.name}: {a.dtype} on {a.device}, {b.dtype} on {b.device}")
        close = torch.isclose(a.double(), b.double(), rtol=1e-5, atol=1e-8)
        if close.double().mean().item() < 0.999:  # Keras's restart index misses a few steps
            raise AssertionError(f"{spec.name}: the torch baseline differs from lrkit")
        del a, b, close
        timers = {
            "lrkit": _timer(lambda s=ours, x=steps: s(x), sync),
            "hand-written torch": _timer(lambda h=hand, x=steps: h(x), sync),
        }
        timings = compare(timers, settings, per_unit=1, budget=0.0)
        case = report.add(Case(group, spec.name, f"{n:,} steps", "hand-written torch", timings))
        report.target(case, "lrkit / hand-written torch", case.ratio("lrkit"), TIME_TARGET)
        peak = _peak if cuda else _live_peak
        ours_peak, size = peak(torch, lambda s=ours, x=steps: s(x))
        hand_peak, _ = peak(torch, lambda h=hand, x=steps: h(x))
        case.metrics["lrkit peak memory / result"] = ours_peak / size
        case.metrics["hand-written peak memory / result"] = hand_peak / size
        if cuda:
            zero_d = torch.tensor(12_345, device=device)
            ours(zero_d)  # (a first call builds the schedule's tables)
            syncs = count_syncs(torch, lambda s=ours, x=steps: s(x))
            syncs_0d = count_syncs(torch, lambda s=ours, x=zero_d: s(x))
            case.metrics["synchronizations per call (vector step)"] = syncs
            case.metrics["synchronizations per call (0-d step)"] = syncs_0d
            report.target(case, "synchronizations per call", syncs + syncs_0d, 0, kind="syncs")
    _jax(report, settings, group, n)
    _training(report, settings, group, device, sync)


def _jax(report: Report, settings: Settings, group: str, n: int) -> None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:
        report.skip(group, "JAX", "jax", f"not installed ({exc})")
        return
    spec = next(s for s in _specs() if s.name == "Warmup(CosineDecay)")
    ours, hand = jax.jit(spec.lrkit()), jax.jit(spec.numpy(jnp))
    steps = jnp.arange(n)
    ours(steps).block_until_ready()
    hand(steps).block_until_ready()
    timers = {
        "lrkit": _timer(lambda: ours(steps).block_until_ready(), lambda: None),
        "hand-written jnp": _timer(lambda: hand(steps).block_until_ready(), lambda: None),
    }
    timings = compare(timers, settings, per_unit=1, budget=0.0)
    where = jax.devices()[0].platform
    report.add(
        Case(group, f"JAX ({where}), jit: {spec.name}", f"{n:,} steps", "hand-written jnp", timings)
    )


def _mlp(torch: Any, device: str) -> Any:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 256)
    ).to(device)


def _adamw(torch: Any, model: Any, lr: Any, cuda: bool) -> Any:
    return torch.optim.AdamW(
        model.parameters(), lr=lr, capturable=cuda and not isinstance(lr, float)
    )


def _training(
    report: Report, settings: Settings, group: str, device: str, sync: Callable[[], None]
) -> None:
    import torch

    import lrkit
    import lrkit.torch

    cuda = device.startswith("cuda")
    if not hasattr(lrkit.torch, "DeviceScheduleLR"):  # (an lrkit from before it)
        report.skip(group, "AdamW training step", "lrkit", "no lrkit.torch.DeviceScheduleLR")
        return
    schedule = lrkit.Warmup(lrkit.CosineDecay(LR, T, ALPHA), W)
    x = torch.randn(64, 256, device=device)

    def loop(opt: Any, model: Any, sched: Any) -> Callable[[], None]:
        def train_step() -> None:
            loss = model(x).square().mean()
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=False)
            if sched is not None:
                sched.step()

        return train_step

    m1, m2, m3 = (_mlp(torch, device) for _ in range(3))
    opt1 = _adamw(torch, m1, torch.tensor(LR, device=device), cuda)
    opt2 = _adamw(torch, m2, torch.tensor(LR, device=device), cuda)
    opt3 = _adamw(torch, m3, LR, cuda)
    steppers = {
        "rate on the device (DeviceScheduleLR)": loop(
            opt1, m1, lrkit.torch.DeviceScheduleLR(opt1, schedule)
        ),
        "constant tensor rate": loop(opt2, m2, None),
        "Python float rate (ScheduleLR)": loop(opt3, m3, lrkit.torch.ScheduleLR(opt3, schedule)),
    }
    timers = {k: _timer(f, sync) for k, f in steppers.items()}
    for f in steppers.values():  # (warm-up: the optimizers' states, the schedule's tables)
        f()
    timings = compare(timers, settings, per_unit=1, budget=0.02 if settings.quick else 0.2)
    case = report.add(
        Case(group, "AdamW training step: warmup + cosine", "step", "constant tensor rate", timings)
    )
    if cuda:
        sched = lrkit.torch.DeviceScheduleLR(opt1, schedule)
        step = steppers["rate on the device (DeviceScheduleLR)"]
        step()
        case.metrics["synchronizations per DeviceScheduleLR.step()"] = count_syncs(
            torch, sched.step
        )
        case.metrics["synchronizations per training step (DeviceScheduleLR)"] = count_syncs(
            torch, step
        )
