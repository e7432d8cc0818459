"""lrkit.torch: ScheduleLR as a real LRScheduler; state, resume, compile, AMP, Lightning."""

import io
import math
import sys
import warnings

import pytest

import lrkit
from conftest import require

SCHEDULE = lrkit.Warmup(lrkit.CosineDecayRestarts(0.1, 5, t_mul=2.0, m_mul=0.5), 3)


def _setup(lr=1.0, groups=1):
    torch = require("torch")
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    if groups == 1:
        params = model.parameters()
    else:
        params = [{"params": [model.weight], "lr": lr}, {"params": [model.bias], "lr": lr / 10}]
    opt = torch.optim.SGD(params, lr=lr)
    return model, opt


def _train(model, opt, sched, steps, record, start=0):
    torch = require("torch")
    for i in range(start, start + steps):
        record.append([g["lr"] for g in opt.param_groups])
        g = torch.Generator().manual_seed(i)
        x, y = torch.randn(4, 3, generator=g), torch.randn(4, 1, generator=g)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()


def test_is_an_lrscheduler_and_follows_the_schedule():
    torch = require("torch")
    import lrkit.torch

    model, opt = _setup()
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE)
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert sched.last_epoch == 0 and sched.get_last_lr() == [SCHEDULE(0)]
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of any kind
        _train(model, opt, sched, 40, seen)
    assert seen == [[SCHEDULE(i)] for i in range(40)]  # update i uses schedule(i), exactly
    assert sched.last_epoch == 40 and sched.get_last_lr() == [SCHEDULE(40)]


def test_per_group_and_relative_modes():
    require("torch")
    import lrkit.torch

    a, b = lrkit.ExponentialDecay(0.1, 4, 0.5), lrkit.PiecewiseConstantDecay([2], [1.0, 0.25])
    model, opt = _setup(groups=2)
    sched = lrkit.torch.ScheduleLR(opt, [a, b])
    seen = []
    _train(model, opt, sched, 6, seen)
    assert seen == [[a(i), b(i)] for i in range(6)]

    model, opt = _setup(lr=0.4, groups=2)
    sched = lrkit.torch.ScheduleLR(opt, b, mode="relative")
    assert sched.base_lrs == [0.4, 0.04]
    seen = []
    _train(model, opt, sched, 5, seen)
    assert seen == [[0.4 * b(i), 0.04 * b(i)] for i in range(5)]


def test_matches_lambdalr_in_relative_mode():
    torch = require("torch")
    import lrkit.torch

    _, opt1 = _setup(lr=0.3)
    _, opt2 = _setup(lr=0.3)
    ours = lrkit.torch.ScheduleLR(opt1, SCHEDULE, mode="relative")
    theirs = torch.optim.lr_scheduler.LambdaLR(opt2, SCHEDULE)
    for _ in range(25):
        assert ours.get_last_lr() == theirs.get_last_lr()
        opt1.step(), opt2.step(), ours.step(), theirs.step()


def test_step_jumps_exactly():
    require("torch")
    import lrkit.torch

    _, opt = _setup()
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step(10**12)
    assert sched.get_last_lr() == [SCHEDULE(10**12)] and sched.last_epoch == 10**12
    with pytest.raises(ValueError, match="epoch=-1"):
        sched.step(-1)
    with pytest.raises(TypeError, match=r"epoch='2\.5'"):
        sched.step("2.5")
    sched.step(2.5)  # a float step is the schedule's step as given (fractional epochs)
    assert sched.get_last_lr() == [SCHEDULE(2.5)] and sched.last_epoch == 2.5


def test_bad_arguments():
    torch = require("torch")
    import lrkit.torch

    _, opt = _setup(groups=2)
    with pytest.raises(TypeError, match="optimizer"):
        lrkit.torch.ScheduleLR(object(), SCHEDULE)
    with pytest.raises(TypeError, match=r"schedule=0\.1"):
        lrkit.torch.ScheduleLR(opt, 0.1)
    with pytest.raises(TypeError, match=r"schedule\[1\]"):
        lrkit.torch.ScheduleLR(opt, [SCHEDULE, "cosine"])
    with pytest.raises(ValueError, match="2 parameter groups"):
        lrkit.torch.ScheduleLR(opt, [SCHEDULE])
    with pytest.raises(ValueError, match="mode='linear'"):
        lrkit.torch.ScheduleLR(opt, SCHEDULE, mode="linear")
    with pytest.raises(ValueError, match="on_skip='skip'"):
        lrkit.torch.ScheduleLR(opt, SCHEDULE, on_skip="skip")
    with pytest.raises(ValueError, match="last_epoch=-2"):
        lrkit.torch.ScheduleLR(opt, SCHEDULE, last_epoch=-2)
    with pytest.raises(ValueError, match="returned nan"):
        lrkit.torch.ScheduleLR(opt, lambda step: math.nan)
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))]})
    with pytest.raises(ValueError, match="3 parameter groups"):
        sched.step()
    with pytest.raises(ValueError, match="last_epoch"):
        sched.load_state_dict({"_step_count": 3})


def test_state_dict_is_plain_and_loads_with_weights_only():
    torch = require("torch")
    import lrkit.torch

    _, opt = _setup(groups=2)
    sched = lrkit.torch.ScheduleLR(opt, [SCHEDULE, lambda step: 0.5])
    for _ in range(7):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert state["last_epoch"] == 7 and state["mode"] == "absolute"
    assert state["schedules"] == [lrkit.serialize(SCHEDULE), None]  # a lambda: not serializable
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=True)
    assert loaded == state


def test_resume_is_exact_whatever_the_load_order():
    torch = require("torch")
    import lrkit.torch

    model, opt = _setup(groups=2)
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE, mode="relative")
    full = []
    _train(model, opt, sched, 30, full)
    final = [p.detach().clone() for p in model.parameters()]

    model, opt = _setup(groups=2)
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE, mode="relative")
    head = []
    _train(model, opt, sched, 12, head)
    buf = io.BytesIO()
    torch.save(
        {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buf
    )

    def resumed(order):
        buf.seek(0)
        ckpt = torch.load(buf, weights_only=True)
        model, opt = _setup(lr=123.0, groups=2)  # a different lr in code: the checkpoint wins
        model.load_state_dict(ckpt["model"])
        if order == "optimizer-first":
            opt.load_state_dict(ckpt["opt"])
            sched = lrkit.torch.ScheduleLR(opt, SCHEDULE, mode="relative")
            sched.load_state_dict(ckpt["sched"])
        else:
            sched = lrkit.torch.ScheduleLR(opt, SCHEDULE, mode="relative")
            sched.load_state_dict(ckpt["sched"])
            opt.load_state_dict(ckpt["opt"])
        tail = []
        _train(model, opt, sched, 18, tail, start=12)
        return tail, [p.detach() for p in model.parameters()]

    for order in ("optimizer-first", "scheduler-first"):
        tail, params = resumed(order)
        assert head + tail == full  # bit for bit
        assert all(torch.equal(a, b) for a, b in zip(params, final, strict=True))


def test_saved_schedule_wins_unless_dropped():
    require("torch")
    import lrkit.torch

    _, opt = _setup()
    old = lrkit.ExponentialDecay(0.1, 10, 0.5)
    sched = lrkit.torch.ScheduleLR(opt, old)
    sched.step(20)
    state = sched.state_dict()

    new = lrkit.CosineDecay(1.0, 100)
    _, opt = _setup()
    sched = lrkit.torch.ScheduleLR(opt, new)
    sched.load_state_dict(state)
    assert sched.schedules == (old,) and opt.param_groups[0]["lr"] == old(20) == 0.025

    _, opt = _setup()
    sched = lrkit.torch.ScheduleLR(opt, new)
    sched.load_state_dict({k: v for k, v in state.items() if k != "schedules"})
    assert sched.schedules == (new,) and opt.param_groups[0]["lr"] == new(20)


def test_tensor_lr_and_compiled_train_step_do_not_recompile():
    torch = require("torch")
    import lrkit.torch

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.0))  # a tensor lr: no recompiles
    sched = lrkit.torch.ScheduleLR(opt, SCHEDULE)
    x, y = torch.randn(8, 4), torch.randn(8, 1)

    @torch.compile(backend="aot_eager")
    def train_step():
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()

    seen = []
    try:
        for i in range(12):
            if i == 2:  # compiled by now: a recompile would raise
                torch.compiler.set_stance("fail_on_recompile")
            seen.append(opt.param_groups[0]["lr"].item())
            train_step()
            sched.step()
    finally:
        torch.compiler.set_stance("default")
    assert seen == [float(torch.tensor(SCHEDULE(i), dtype=torch.float32)) for i in range(12)]
    assert isinstance(sched.get_last_lr()[0], torch.Tensor)


def _amp_run(on_skip, fused, skipped=(0, 3)):
    torch = require("torch")
    import lrkit.torch

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0, fused=fused)
    sched = lrkit.torch.ScheduleLR(opt, lrkit.ExponentialDecay(0.1, 1, 0.5), on_skip=on_skip)
    scaler = torch.amp.GradScaler("cpu")
    seen = []
    for i in range(6):
        seen.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = model(torch.ones(2, 4)).float().sum()
        scaler.scale(loss).backward()
        if i in skipped:  # an overflow: GradScaler skips this optimizer step
            model.weight.grad[0, 0] = float("inf")
        scaler.step(opt)
        scaler.update()
        sched.step()
    return sched.last_epoch, seen


@pytest.mark.parametrize("fused", [False, True], ids=["foreach", "fused"])
def test_gradscaler_skipped_steps_warn_nothing_and_count_as_documented(fused):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in particular no "lr_scheduler.step() before ..."
        # advance: every training step counts (PyTorch's convention)
        assert _amp_run("advance", fused) == (6, [0.1 * 0.5**i for i in range(6)])
        # hold: only applied updates count (Keras LossScaleOptimizer's, optax apply_if_finite's)
        step, seen = _amp_run("hold", fused)
    assert step == 4
    assert seen == [0.1, 0.1, 0.05, 0.025, 0.025, 0.0125]


def test_torchs_own_scheduler_warns_where_ours_does_not():
    torch = require("torch")
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        sched.step()  # what a skipped first AMP step looks like to LRScheduler


def test_lightning_config_trains_and_resumes_exactly(tmp_path):
    require("torch")
    pl = require("lightning.pytorch")
    torch = sys.modules["torch"]
    import lrkit.torch

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.layer = torch.nn.Linear(3, 1)
            self.seen = []

        def training_step(self, batch, batch_idx):
            self.seen.append(self.trainer.optimizers[0].param_groups[0]["lr"])
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=1.0)
            return lrkit.torch.lightning_config(opt, SCHEDULE)

    g = torch.Generator().manual_seed(0)  # one batch an epoch: resuming cannot shift the data
    data = torch.utils.data.TensorDataset(
        torch.randn(4, 3, generator=g), torch.randn(4, 1, generator=g)
    )

    def fit(module, steps, ckpt_path=None, callbacks=()):
        trainer = pl.Trainer(
            max_steps=steps,
            accelerator="cpu",
            devices=1,
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            enable_checkpointing=bool(callbacks),
            callbacks=list(callbacks),
            default_root_dir=tmp_path,
        )
        loader = torch.utils.data.DataLoader(data, batch_size=4)
        trainer.fit(module, loader, ckpt_path=ckpt_path)
        return trainer

    full = Module()
    fit(full, 12)
    assert full.seen == [SCHEDULE(i) for i in range(12)]

    head = Module()  # checkpointed at the end, step 8
    ckpt = pl.callbacks.ModelCheckpoint(dirpath=tmp_path, save_top_k=-1, filename="{step}")
    fit(head, 8, callbacks=[ckpt])
    saved = torch.load(tmp_path / "step=8.ckpt", weights_only=True)
    assert saved["lr_schedulers"][0]["last_epoch"] == 8
    assert saved["lr_schedulers"][0]["schedules"] == [lrkit.serialize(SCHEDULE)]

    tail = Module()
    fit(tail, 12, ckpt_path=tmp_path / "step=8.ckpt")
    assert head.seen + tail.seen == full.seen  # bit for bit
    assert torch.equal(tail.layer.weight, full.layer.weight)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_python_int_step_inside_torch_compile_traces_the_recorded_formula():
    """`s(step)` with a Python int inside a compiled function: Dynamo traces the
    recorded straight-line formula (fullgraph), gives the schedule's values, and
    compiles a few graphs (the int first specialized, then symbolic; one per branch
    taken), not one per step."""
    torch = require("torch")
    from torch._dynamo.testing import CompileCounter

    s = lrkit.Warmup(lrkit.CosineDecay(1.0, 100), 10)
    s(0)  # recorded
    torch._dynamo.reset()
    counter = CompileCounter()

    @torch.compile(backend=counter, fullgraph=True)
    def scaled(x, step):
        return x * s(step)

    steps = range(1, 60)
    got = [scaled(torch.ones((), dtype=torch.float64), t).item() for t in steps]
    assert got == [s(t) for t in steps]
    assert counter.frame_count <= 8, counter.frame_count
