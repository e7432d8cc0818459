"""What the step is in real training loops: epochs stepped per batch, fractional epochs,
resumed runs, gradient accumulation, Hugging Face accelerate (one process and two) and
transformers' Trainer, and the warning past a schedule's end.

This file is also the launcher of its two-process accelerate run:
``python test_counting_steps.py OUT_DIR`` (see tests/ddp.py).
"""

from __future__ import annotations

import json
import math
import os
import sys
import warnings

import pytest

import ddp
import lrkit
from conftest import require


def _sgd(torch, lr=1.0, params=None):
    model = torch.nn.Linear(2, 1)
    return model, torch.optim.SGD(model.parameters() if params is None else params, lr=lr)


# -- epochs, stepped per batch ---------------------------------------------------------------


def test_epochwise_epoch_granularity_is_a_per_epoch_torch_scheduler():
    torch = require("torch")
    import lrkit.torch

    per_epoch, epochs = 7, 9
    _, opt_t = _sgd(torch, lr=0.1)
    theirs = torch.optim.lr_scheduler.MultiStepLR(opt_t, milestones=[3, 6], gamma=0.1)
    _, opt_l = _sgd(torch)
    schedule = lrkit.Epochwise(
        lrkit.MultiStep(0.1, [3, 6], gamma=0.1), per_epoch, granularity="epoch"
    )
    ours = lrkit.torch.ScheduleLR(opt_l, schedule)
    for _ in range(epochs):
        for _ in range(per_epoch):
            assert opt_l.param_groups[0]["lr"] == opt_t.param_groups[0]["lr"]
            opt_l.step(), opt_t.step()
            ours.step()  # per batch
        theirs.step()  # per epoch


def test_fractional_epochs_as_pytorch_cosine_annealing_warm_restarts():
    """PyTorch's documented per-batch pattern, scheduler.step(epoch + i / iters)."""
    torch = require("torch")
    import lrkit.torch

    iters, base, eta_min = 5, 0.1, 0.001
    _, opt_t = _sgd(torch, lr=base)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        opt_t, T_0=2, T_mult=2, eta_min=eta_min
    )
    in_epochs = lrkit.CosineDecayRestarts(base, 2, t_mul=2.0, alpha=eta_min / base)
    _, opt_l = _sgd(torch)
    ours = lrkit.torch.ScheduleLR(opt_l, in_epochs)
    # the same schedule, stepped per batch with no argument
    _, opt_b = _sgd(torch)
    per_batch = lrkit.torch.ScheduleLR(opt_b, lrkit.Epochwise(in_epochs, iters, granularity="step"))
    for epoch in range(14):
        for i in range(iters):
            t = epoch + i / iters
            theirs.step(t)
            ours.step(t)
            got = opt_l.param_groups[0]["lr"]
            assert math.isclose(got, opt_t.param_groups[0]["lr"], rel_tol=1e-12, abs_tol=1e-15), t
            assert got == in_epochs(t)  # the float step as given
            assert math.isclose(opt_b.param_groups[0]["lr"], got, rel_tol=1e-15), t
            per_batch.step()
    assert per_batch.last_epoch == 14 * iters


def test_epochwise_on_arrays_and_under_jit():
    np = require("numpy")
    jax = require("jax")
    inner = lrkit.Warmup(lrkit.CosineDecay(0.1, 8), 2)
    for granularity in ("epoch", "step"):
        s = lrkit.Epochwise(inner, 25, granularity=granularity)
        steps = np.arange(0, 300)
        expected = [s(int(t)) for t in steps]
        assert np.allclose(s(steps), expected, rtol=1e-15, atol=0)
        got = jax.jit(s)(jax.numpy.arange(0, 300))
        assert np.allclose(np.asarray(got), expected, rtol=2e-6, atol=1e-9)
    # whole epochs are exact in both: t / E is exact there
    e = lrkit.Epochwise(inner, 25, granularity="epoch")
    c = lrkit.Epochwise(inner, 25, granularity="step")
    assert all(e(25 * k) == c(25 * k) == inner(k) for k in range(12))
    assert e(25 * 3 - 1) == inner(2) and c(25 * 3 - 1) == inner(3 - 1 / 25)


def test_an_unbound_schedule_is_refused_by_the_scheduler():
    torch = require("torch")
    import lrkit.torch
    from lrkit.core.units import UnboundError

    with pytest.raises(UnboundError, match=r"needs bind\(total_steps=\.\.\.\)"):
        lrkit.torch.ScheduleLR(_sgd(torch)[1], lrkit.CosineDecay(0.1, "90%"))
    sched = lrkit.torch.ScheduleLR(
        _sgd(torch)[1], lrkit.CosineDecay(0.1, "90%").bind(total_steps=100)
    )
    assert sched.schedules == (lrkit.CosineDecay(0.1, 90),)


def test_a_restart_at_a_whole_epoch_where_pytorchs_float_log_misses_it():
    """T_0=1, T_mult=3: the restart at epoch 1 + 3 + 9 + 27 + 81 = 121, where PyTorch's
    int(log(243, 3)) is 4 (log gives 4.999999999999999) and its rate is the previous
    period's end."""
    torch = require("torch")
    import lrkit.torch

    assert math.log(243, 3) < 5
    _, opt_t = _sgd(torch, lr=0.1)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt_t, T_0=1, T_mult=3)
    theirs.step(121.0)
    _, opt_l = _sgd(torch)
    ours = lrkit.torch.ScheduleLR(opt_l, lrkit.CosineDecayRestarts(0.1, 1, t_mul=3.0))
    ours.step(121.0)
    assert opt_t.param_groups[0]["lr"] == 0.0
    assert opt_l.param_groups[0]["lr"] == 0.1  # the restart's peak
    theirs.step(121.5), ours.step(121.5)  # inside the period they agree
    assert math.isclose(opt_l.param_groups[0]["lr"], opt_t.param_groups[0]["lr"], rel_tol=1e-12)


# -- resuming with a different schedule -------------------------------------------------------


def _trained(torch, schedule, steps, **kwargs):
    import lrkit.torch

    _, opt = _sgd(torch)
    sched = lrkit.torch.ScheduleLR(opt, schedule, **kwargs)
    for _ in range(steps):
        opt.step()
        sched.step()
    return sched


def test_on_resume_saved_new_refuse():
    torch = require("torch")
    import lrkit.torch

    old = lrkit.CosineDecay(1.0, 100)
    new = lrkit.CosineDecay(1.0, 200)  # the run, resumed with a longer horizon
    state = _trained(torch, old, 40).state_dict()

    saved = _trained(torch, new, 0)
    saved.load_state_dict(state)  # default: the saved schedule wins (today's behaviour)
    assert saved.schedules == (old,) and saved.get_last_lr() == [old(40)]

    kept = _trained(torch, new, 0, on_resume="new")
    kept.load_state_dict(state)
    assert kept.schedules == (new,) and kept.last_epoch == 40
    assert kept.get_last_lr() == [new(40)]

    refused = _trained(torch, new, 0, on_resume="refuse")
    with pytest.raises(ValueError) as info:
        refused.load_state_dict(state)
    text = str(info.value)
    assert repr(old) in text and repr(new) in text and "on_resume='new'" in text
    assert refused.last_epoch == 0  # nothing was restored
    same = _trained(torch, old, 0, on_resume="refuse")
    same.load_state_dict(state)  # the same schedule: resumed
    assert same.last_epoch == 40
    with pytest.raises(ValueError, match="Argument `on_resume` must be one of"):
        _trained(torch, old, 0, on_resume="latest")


def test_lrkit_diff_finds_the_first_differing_step(capsys, tmp_path):
    from lrkit.cli import first_difference, main

    a = "WarmupStableDecay(1.0, total_steps=1000, warmup_steps=100, decay_fraction=0.2)"
    b = "WarmupStableDecay(1.0, total_steps=1200, warmup_steps=100, decay_fraction=0.2)"
    sa, sb = (
        lrkit.WarmupStableDecay(1.0, 1000, 100, decay_fraction=0.2),
        lrkit.WarmupStableDecay(1.0, 1200, 100, decay_fraction=0.2),
    )
    # the longer run's decay starts later: 1000 - 200 = 800 vs 1200 - 240 = 960
    first = next(t for t in range(2000) if sa(t) != sb(t))
    assert first == 801 and first_difference(sa, sb, 2000) == first
    assert main(["diff", a, b, "--format", "json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["first_difference"] == 801
    assert (got["a_learning_rate"], got["b_learning_rate"]) == (sa(801), sb(801))
    assert main(["diff", a, a]) == 0
    assert "the same learning rate at every step 0.." in capsys.readouterr().out
    out = tmp_path / "diff.png"
    assert main(["diff", a, b, "-o", str(out)]) == 1
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # units bind in a diff too
    assert main(["diff", a, "WarmupStableDecay(1.0, total_steps='100%', warmup_steps='10%', "
                 "decay_fraction=0.2)", "--total", "1000"]) == 0  # fmt: skip


# -- past the end -------------------------------------------------------------------------------


def test_warns_once_past_a_natural_end_and_can_be_silenced():
    torch = require("torch")
    import lrkit.torch

    # a cosine counted in epochs (90) stepped per batch: it ends after 90 batches
    schedule = lrkit.CosineDecay(0.1, 90)
    _, opt = _sgd(torch)
    sched = lrkit.torch.ScheduleLR(opt, schedule)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(200):
            opt.step()
            sched.step()
    past = [w for w in caught if issubclass(w.category, lrkit.torch.PastEndWarning)]
    assert len(past) == 1
    assert "step 91, past the end of CosineDecay" in str(past[0].message)
    assert "at step 90" in str(past[0].message)
    for quiet in (
        lrkit.torch.ScheduleLR(_sgd(torch)[1], schedule, warn_past_end=False),
        lrkit.torch.ScheduleLR(_sgd(torch)[1], lrkit.ExponentialDecay(0.1, 10, 0.5)),  # no end
        lrkit.torch.ScheduleLR(_sgd(torch)[1], lrkit.PiecewiseConstantDecay([5], [1.0, 0.5])),
        lrkit.torch.ScheduleLR(_sgd(torch)[1], lrkit.Warmup(lrkit.Constant(0.1), 10)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(300):
                quiet.step()
    with pytest.raises(TypeError, match="Argument `warn_past_end` must be a bool"):
        lrkit.torch.ScheduleLR(_sgd(torch)[1], schedule, warn_past_end="no")


# -- gradient accumulation: the schedule counts optimizer updates -----------------------------


SCHEDULE = lrkit.Warmup(lrkit.CosineDecay(0.5, 20), 4)


def test_gradient_accumulation_torch():
    torch = require("torch")
    import lrkit.torch

    accumulate, updates = 4, 16
    model, opt = _sgd(torch)
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE)
    # the pattern: step the scheduler after each optimizer step, not each micro-batch
    _, opt2 = _sgd(torch)
    held = lrkit.torch.ScheduleLR(opt2, SCHEDULE, on_skip="hold")  # may be stepped per micro-batch
    used, used_held = [], []
    for micro in range(accumulate * updates):
        model(torch.ones(1, 2)).sum().backward()
        if (micro + 1) % accumulate == 0:
            used.append(opt.param_groups[0]["lr"])
            used_held.append(opt2.param_groups[0]["lr"])
            opt.step(), opt2.step()
            opt.zero_grad()
            sched.step()
        held.step()  # every micro-batch: advances only after an update
    assert used == used_held == [SCHEDULE(i) for i in range(updates)]


def test_gradient_accumulation_optax():
    jnp = require("jax.numpy")
    optax = require("optax")

    accumulate, updates = 4, 12
    # optax.MultiSteps counts the inner optimizer's steps in updates, not micro-batches
    opt = optax.MultiSteps(optax.sgd(SCHEDULE), every_k_schedule=accumulate)
    params = jnp.zeros((), dtype=jnp.float32)
    state = opt.init(params)
    applied = []
    grad = jnp.ones((), dtype=jnp.float32)  # d(loss)/d(param) = 1: an update is -lr
    for micro in range(accumulate * updates):
        delta, state = opt.update(grad, state, params)
        params = params + delta
        if (micro + 1) % accumulate == 0:
            applied.append(-float(delta))
        else:
            assert float(delta) == 0.0  # accumulating
    # update i used schedule(i) (in float32): the count is of updates, not micro-batches
    expected = [SCHEDULE(i) for i in range(updates)]
    assert all(
        math.isclose(a, e, rel_tol=1e-6, abs_tol=1e-9)
        for a, e in zip(applied, expected, strict=True)
    )
    assert not all(
        math.isclose(a, SCHEDULE(accumulate * i), rel_tol=1e-3) for i, a in enumerate(applied)
    )


# -- Hugging Face accelerate -------------------------------------------------------------------


@pytest.fixture
def fresh_accelerate():
    require("accelerate")
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(True)
    GradientState._reset_state()
    yield
    AcceleratorState._reset_state(True)
    GradientState._reset_state()


@pytest.mark.parametrize("accumulate", [1, 3])
def test_accelerate_prepare_one_process(fresh_accelerate, accumulate):
    torch = require("torch")
    from accelerate import Accelerator

    import lrkit.torch

    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=accumulate)
    model, opt = _sgd(torch)
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE)
    model, opt, sched = accelerator.prepare(model, opt, sched)
    assert type(sched).__name__ == "AcceleratedScheduler"
    used = []
    for _ in range(accumulate * 10):
        with accelerator.accumulate(model):
            accelerator.backward(model(torch.ones(1, 2)).sum())
            if accelerator.sync_gradients:
                used.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
            opt.zero_grad()
    assert used == [SCHEDULE(i) for i in range(10)]  # one schedule step per optimizer update
    assert sched.scheduler.last_epoch == 10


def test_accelerate_two_processes_count_optimizer_updates(tmp_path):
    """Two processes: AcceleratedScheduler steps the scheduler twice per update (unless
    split_batches); on_skip="hold" counts the updates all the same."""
    require("torch")
    require("accelerate")
    codes, stderr = ddp.run_launcher(__file__, str(tmp_path))
    assert codes == {"accelerate": [0, 0]}, stderr[-5000:]
    for rank in (0, 1):
        got = json.loads((tmp_path / f"accelerate-rank{rank}.json").read_text())
        assert got["num_processes"] == 2
        assert got["advance"] == [SCHEDULE(2 * i) for i in range(8)]  # PyTorch's count
        assert got["hold"] == [SCHEDULE(i) for i in range(8)]  # optimizer updates
        assert got["split_batches"] == [SCHEDULE(i) for i in range(8)]


def _accelerate_worker(rank, store, out):
    os.environ.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE="2")
    ddp.join(rank, store)
    import torch
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState
    from accelerate.utils import DataLoaderConfiguration

    import lrkit.torch

    result = {}
    for name, on_skip, split in (
        ("advance", "advance", False),
        ("hold", "hold", False),
        ("split_batches", "advance", True),
    ):
        AcceleratorState._reset_state(False)
        GradientState._reset_state()
        config = DataLoaderConfiguration(split_batches=split)
        accelerator = Accelerator(cpu=True, dataloader_config=config)
        result["num_processes"] = accelerator.num_processes
        model, opt = _sgd(torch)
        sched = lrkit.torch.ScheduleLR(opt, SCHEDULE, on_skip=on_skip, warn_past_end=False)
        model, opt, sched = accelerator.prepare(model, opt, sched)
        used = []
        for _ in range(8):
            accelerator.backward(model(torch.ones(1, 2)).sum())
            used.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
            opt.zero_grad()
        result[name] = used
    with open(out, "w") as f:
        json.dump(result, f)
    ddp.leave()


# -- transformers Trainer ----------------------------------------------------------------------


@pytest.mark.parametrize("accumulate", [1, 2])
def test_transformers_trainer_with_schedule_lr(fresh_accelerate, tmp_path, accumulate):
    torch = require("torch")
    transformers = require("transformers")
    import lrkit.torch

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 1)

        def forward(self, x, labels=None):
            out = self.linear(x)
            return {"loss": ((out.squeeze(-1) - labels) ** 2).mean(), "logits": out}

    class Data(torch.utils.data.Dataset):
        def __len__(self):
            return 64

        def __getitem__(self, i):
            return {"x": torch.tensor([1.0, float(i % 3)]), "labels": torch.tensor(1.0)}

    used = []

    class Record(transformers.TrainerCallback):
        def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
            used.append(optimizer.param_groups[0]["lr"])

    model = Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    schedule = lrkit.Warmup(lrkit.CosineDecay(0.05, 8), 4)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), max_steps=12, per_device_train_batch_size=2,
        gradient_accumulation_steps=accumulate, use_cpu=True, report_to=[],
        save_strategy="no", logging_strategy="no", disable_tqdm=True, dataloader_num_workers=0,
    )  # fmt: skip
    trainer = transformers.Trainer(
        model=model,
        args=args,
        train_dataset=Data(),
        optimizers=(opt, lrkit.torch.ScheduleLR(opt, schedule)),
        callbacks=[Record()],
    )
    trainer.train()
    assert used == [schedule(i) for i in range(12)]  # one step per optimizer update


@pytest.mark.parametrize("name", ["linear", "cosine", "constant_with_warmup", "inverse_sqrt"])
def test_transformers_trainer_lr_scheduler_type_through_the_factory(
    fresh_accelerate, tmp_path, name
):
    """Trainer's own ``lr_scheduler_type=name`` and ``ScheduleLR(opt,
    lrkit.from_transformers(name, ...))`` give the same rate at every update."""
    torch = require("torch")
    transformers = require("transformers")
    import lrkit.torch

    def run(**extra):
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 1)
        used = []

        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = model

            def forward(self, x, labels=None):
                return {"loss": ((self.inner(x).squeeze(-1) - labels) ** 2).mean()}

        class Record(transformers.TrainerCallback):
            def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
                used.append(float(optimizer.param_groups[0]["lr"]))

        data = [{"x": torch.tensor([1.0, float(i % 3)]), "labels": torch.tensor(1.0)}
                for i in range(64)]  # fmt: skip
        args = transformers.TrainingArguments(
            output_dir=str(tmp_path), max_steps=20, per_device_train_batch_size=2,
            learning_rate=0.1, warmup_steps=5, use_cpu=True, report_to=[], save_strategy="no",
            logging_strategy="no", disable_tqdm=True, dataloader_num_workers=0,
            **extra.pop("args", {}),
        )  # fmt: skip
        wrapped = Wrapped()
        optimizers = extra.pop("optimizers", lambda m: (None, None))(wrapped)
        transformers.Trainer(
            model=wrapped, args=args, train_dataset=data, optimizers=optimizers,
            callbacks=[Record()],
        ).train()  # fmt: skip
        return used

    def ours(module):
        opt = torch.optim.AdamW(module.parameters(), lr=1.0)
        schedule = lrkit.from_transformers(
            name, learning_rate=0.1, num_warmup_steps=5, num_training_steps=20
        )
        return opt, lrkit.torch.ScheduleLR(opt, schedule)

    theirs = run(args={"lr_scheduler_type": name})
    mine = run(optimizers=ours)
    assert len(mine) == len(theirs) == 20
    assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-15)


# -- the launcher of the two-process run -------------------------------------------------------


def _main(argv):
    if len(argv) == 1:
        ddp.launch(__file__, argv[0], {"accelerate": []})
        return
    a = ddp.worker_args(argv)
    _accelerate_worker(a.rank, a.store, a.out)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    _main(sys.argv[1:])
