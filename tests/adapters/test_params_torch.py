"""lrkit.torch.ScheduleParams: any parameter-group key; 1cycle and cyclic momentum against
PyTorch's own OneCycleLR / CyclicLR (cycle_momentum=True); state, resume, AMP, Lightning,
and a value outside the optimizer in a compiled step.

torch computes its phases in float64 Python floats (the position in the phase rounded
once or twice), so each value is compared to 1e-12 of its scale, as tests/test_modern_torch.py.
"""

import io
import math
import sys
import warnings

import pytest

import lrkit
from conftest import require

REL = 1e-12


def _model_and(opt_name, **kw):
    torch = require("torch")
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = getattr(torch.optim, opt_name)(model.parameters(), **kw)
    return model, opt


def _torch_run(make, opt_name, n, **kw):
    """(lr, momentum) the optimizer holds at steps 0 .. n-1 under torch's scheduler."""
    _, opt = _model_and(opt_name, **kw)
    key = "betas" if "betas" in opt.defaults else "momentum"
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(opt)
        for _ in range(n):
            g = opt.param_groups[0]
            out.append((g["lr"], g[key][0] if key == "betas" else g[key]))
            opt.step()
            sched.step()
    return out


def _lrkit_run(rate, mom, opt_name, n, **kw):
    import lrkit.torch

    _, opt = _model_and(opt_name, **kw)
    key = "betas" if "betas" in opt.defaults else "momentum"
    spec = (mom, None) if key == "betas" else mom
    sched = lrkit.torch.ScheduleParams(opt, {"lr": rate, key: spec})
    out = []
    for _ in range(n):
        g = opt.param_groups[0]
        out.append((g["lr"], g[key][0] if key == "betas" else g[key]))
        if key == "betas":
            assert g["betas"][1] == 0.999  # the element left alone
        opt.step()
        sched.step()
    return out


def _assert_close(theirs, ours, lr_scale, m_scale):
    bad = [
        (t, a, b)
        for t, (a, b) in enumerate(zip(theirs, ours, strict=True))
        if not (abs(a[0] - b[0]) <= REL * lr_scale and abs(a[1] - b[1]) <= REL * m_scale)
    ]
    assert not bad, f"(step, torch, lrkit): {bad[:4]} of {len(bad)}"


OPTIMIZERS = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.1})]

ONECYCLE = [
    dict(total_steps=100),
    dict(total_steps=100, anneal_strategy="linear"),
    dict(total_steps=100, three_phase=True),
    dict(total_steps=37, pct_start=0.25, three_phase=True, anneal_strategy="linear"),
    dict(total_steps=10, pct_start=0.25),  # the peak between steps 1 and 2
    dict(total_steps=10, pct_start=0.05),  # the peak before step 0
    dict(total_steps=100, pct_start=0.29),  # 0.29 * 100 is 28.999999999999996 in floats
    dict(total_steps=60, pct_start=0.4, div_factor=5.0, final_div_factor=100.0),
]


@pytest.mark.parametrize(("opt_name", "opt_kw"), OPTIMIZERS, ids=[o for o, _ in OPTIMIZERS])
@pytest.mark.parametrize("kw", ONECYCLE, ids=str)
@pytest.mark.parametrize("momenta", [(0.85, 0.95), (0.7, 0.99)], ids=str)
def test_one_cycle_rate_and_momentum_match_onecyclelr(opt_name, opt_kw, kw, momenta):
    sched = require("torch").optim.lr_scheduler
    base, top = momenta
    n = kw["total_steps"]
    theirs = _torch_run(
        lambda o: sched.OneCycleLR(
            o, max_lr=0.5, cycle_momentum=True, base_momentum=base, max_momentum=top, **kw
        ),
        opt_name,
        n,
        **opt_kw,
    )
    rate = lrkit.OneCycle(0.5, **kw)
    ours = _lrkit_run(rate, rate.momentum(base, top), opt_name, n, **opt_kw)
    _assert_close(theirs, ours, 0.5, top)


CYCLIC = [
    dict(step_size_up=5),
    dict(step_size_up=5, step_size_down=3, mode="triangular2"),
    dict(step_size_up=4, mode="exp_range", gamma=0.99),
    dict(step_size_up=4, step_size_down=0),  # a sawtooth
    dict(step_size_up=2.5, step_size_down=1.5),
    dict(step_size_up=1, step_size_down=7, mode="triangular2"),
]


@pytest.mark.parametrize(("opt_name", "opt_kw"), OPTIMIZERS, ids=[o for o, _ in OPTIMIZERS])
@pytest.mark.parametrize("kw", CYCLIC, ids=str)
def test_cyclic_rate_and_momentum_match_cycliclr(opt_name, opt_kw, kw):
    sched = require("torch").optim.lr_scheduler
    theirs = _torch_run(
        lambda o: sched.CyclicLR(o, 0.01, 0.1, cycle_momentum=True, **kw), opt_name, 80, **opt_kw
    )
    rate = lrkit.Cyclic(0.01, 0.1, **kw)
    # torch's defaults: base_momentum=0.8, max_momentum=0.9, and so are Cyclic.momentum()'s
    ours = _lrkit_run(rate, rate.momentum(), opt_name, 80, **opt_kw)
    _assert_close(theirs, ours, 0.1, 0.9)


def test_momentum_is_a_real_schedule():
    np = require("numpy")
    rate = lrkit.OneCycle(0.1, 1000, three_phase=True, anneal_strategy="linear")
    m = rate.momentum(0.85, 0.95)
    assert isinstance(m, lrkit.CyclicalMomentum)
    assert lrkit.deserialize(lrkit.serialize(m)) == m
    assert lrkit.serialize(m)["config"]["schedule"] == lrkit.serialize(rate)
    # the phase boundaries are the rate's: P = 0.3 * 1000 - 1 = 299, P2 = 598, E = 999
    assert [m(t) for t in (0, 299, 598, 999, 5000)] == [0.95, 0.85, 0.95, 0.95, 0.95]
    # linear phase 1: 0.95 + (0.85 - 0.95) * t / 299, elementwise on arrays too
    steps = np.arange(0, 1200)
    assert np.allclose(m(steps), [m(int(t)) for t in steps], rtol=0, atol=1e-15)
    assert abs(m(100) - (0.95 + (0.85 - 0.95) * 100 / 299)) <= 1e-15
    c = lrkit.Cyclic(0.1, 1.0, 4, mode="triangular2").momentum(0.8, 0.9)
    # cycle 2 (steps 8..15), half amplitude: at its peak (t=12) 0.9 - 0.1 * 1 * 0.5
    assert abs(c(12) - 0.85) <= 1e-15 and c(8) == 0.9
    with pytest.raises(TypeError, match="OneCycle or Cyclic"):
        lrkit.CyclicalMomentum(lrkit.CosineDecay(0.1, 10), 0.8, 0.9)
    with pytest.raises(ValueError, match="base_momentum=nan"):
        rate.momentum(math.nan, 0.9)
    with pytest.raises(TypeError, match="max_momentum"):
        rate.momentum(0.8, "0.9")


def test_any_key_per_group_and_relative():
    torch = require("torch")
    import lrkit.torch

    model = torch.nn.Linear(3, 1)
    opt = torch.optim.AdamW(
        [
            {"params": [model.weight], "lr": 0.1, "weight_decay": 0.5},
            {"params": [model.bias], "lr": 0.01, "weight_decay": 0.0, "betas": (0.8, 0.9)},
        ]
    )
    half = lrkit.PiecewiseConstantDecay([2], [1.0, 0.5])
    sched = lrkit.torch.ScheduleParams(
        opt,
        [
            {"lr": half, "weight_decay": half},
            {"betas": (None, lrkit.Linear(0.9, 0.99, 10)), "eps": lrkit.Constant(1e-6)},
        ],
        mode={"lr": "relative", "weight_decay": "relative"},
    )
    g0, g1 = opt.param_groups
    assert (g0["lr"], g0["weight_decay"], g0["betas"]) == (0.1, 0.5, (0.9, 0.999))
    assert (g1["lr"], g1["betas"], g1["eps"]) == (0.01, (0.8, 0.9), 1e-6)
    sched.step(5)
    # relative: 0.5 x each group's initial value
    assert (g0["lr"], g0["weight_decay"]) == (0.05, 0.25)
    assert g1["lr"] == 0.01 and g1["betas"] == (0.8, 0.9 + (0.99 - 0.9) * 5 / 10)
    assert isinstance(g1["betas"], tuple)
    assert g0["initial_weight_decay"] == 0.5 and g1["initial_betas"] == (0.8, 0.9)
    assert sched.get_last_lr() == [0.05, 0.01]
    assert sched.get_last_values() == [
        {"lr": 0.05, "weight_decay": 0.25},
        {"betas": g1["betas"], "eps": 1e-6},
    ]
    assert sched.params[1]["betas"][0] is None and sched.modes["eps"] == "absolute"


def test_schedulelr_is_the_lr_only_case():
    torch = require("torch")
    import lrkit.torch

    s = lrkit.Warmup(lrkit.CosineDecayRestarts(0.1, 5, t_mul=2.0, m_mul=0.5), 3)
    runs = []
    for make in (
        lambda o: lrkit.torch.ScheduleLR(o, s, mode="relative"),
        lambda o: lrkit.torch.ScheduleParams(o, {"lr": s}, mode="relative"),
    ):
        model, opt = _model_and("SGD", lr=2.0)
        sched = make(opt)
        seen = []
        for i in range(20):
            seen.append(opt.param_groups[0]["lr"])
            g = torch.Generator().manual_seed(i)
            opt.zero_grad()
            model(torch.randn(4, 3, generator=g)).square().mean().backward()
            opt.step()
            sched.step()
        runs.append((seen, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0] == [2.0 * s(i) for i in range(20)]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_bad_arguments_are_clear_at_construction():
    torch = require("torch")
    import lrkit.torch

    model = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD(
        [{"params": [model.weight]}, {"params": [model.bias], "momentum": 0.5}], lr=0.1
    )
    adam = torch.optim.Adam(model.parameters(), lr=0.1)
    s = lrkit.Constant(0.9)
    SP = lrkit.torch.ScheduleParams
    with pytest.raises(ValueError, match=r"'betas', which parameter group 0 .*SGD"):
        SP(sgd, {"betas": (s, None)})
    with pytest.raises(ValueError, match=r"params\[1\]\['dampening_x'\].*parameter group 1"):
        SP(sgd, [{}, {"dampening_x": s}])
    with pytest.raises(TypeError, match=r"'betas' is a tuple of 2 values"):
        SP(adam, {"betas": s})
    with pytest.raises(ValueError, match=r"must hold 2 entries"):
        SP(adam, {"betas": (s,)})
    with pytest.raises(TypeError, match=r"'momentum' is not"):
        SP(sgd, {"momentum": (s,)})
    with pytest.raises(TypeError, match=r"'nesterov', which is not a number"):
        SP(sgd, {"nesterov": s})
    with pytest.raises(TypeError, match=r"params\['lr'\]"):
        SP(sgd, {"lr": 0.1})
    with pytest.raises(TypeError, match=r"params\['betas'\]\[1\]"):
        SP(adam, {"betas": (None, "x")})
    with pytest.raises(ValueError, match="holds 1 dicts; the optimizer has 2"):
        SP(sgd, [{"lr": s}])
    with pytest.raises(TypeError, match="Argument `params` must be a dict"):
        SP(sgd, s)
    with pytest.raises(ValueError, match=r"mode\['lr'\]"):
        SP(sgd, {"lr": s}, mode={"lr": "linear"})
    with pytest.raises(ValueError, match=r"not scheduled: \['momentum'\]"):
        SP(sgd, {"lr": s}, mode={"momentum": "relative"})
    with pytest.raises(ValueError, match="on_skip='skip'"):
        SP(sgd, {"lr": s}, on_skip="skip")
    with pytest.raises(ValueError, match=r"returned nan .* not a value for 'momentum'"):
        SP(sgd, {"momentum": lambda step: math.nan})
    with pytest.raises(TypeError, match="optimizer"):
        SP(object(), {"lr": s})


def test_last_epoch_resumes_from_the_groups_initial_values():
    torch = require("torch")
    import lrkit.torch

    ramp = lrkit.Linear(1.0, 0.0, 10)
    _, opt = _model_and("SGD", lr=0.2, momentum=0.9)
    lrkit.torch.ScheduleParams(opt, {"lr": ramp, "momentum": ramp}, mode="relative")
    assert opt.param_groups[0]["initial_momentum"] == 0.9
    # a fresh scheduler on the same groups, resuming after step 4: step 5's values
    lrkit.torch.ScheduleParams(opt, {"lr": ramp, "momentum": ramp}, mode="relative", last_epoch=4)
    assert (opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]) == (
        0.2 * ramp(5),
        0.9 * ramp(5),
    )
    _, opt = _model_and("SGD", lr=0.2, momentum=0.9)
    opt.param_groups[0]["initial_lr"] = 0.2
    with pytest.raises(KeyError, match="'initial_momentum'"):
        lrkit.torch.ScheduleParams(opt, {"momentum": ramp}, last_epoch=4)
    assert torch.is_tensor(opt.param_groups[0]["params"][0])


def _train(model, opt, sched, steps, record, start=0):
    torch = require("torch")
    for i in range(start, start + steps):
        g = opt.param_groups[0]
        record.append((g["lr"], g["betas"], g["weight_decay"]))
        gen = torch.Generator().manual_seed(i)
        opt.zero_grad()
        model(torch.randn(4, 3, generator=gen)).square().mean().backward()
        opt.step()
        sched.step()


ONE = lrkit.OneCycle(0.01, 30, three_phase=True)


def _make(opt):
    import lrkit.torch

    return lrkit.torch.ScheduleParams(
        opt,
        {
            "lr": ONE,
            "betas": (ONE.momentum(0.85, 0.95), lrkit.Linear(0.99, 0.999, 30)),
            "weight_decay": lrkit.Linear(0.0, 1.0, 30),
        },
        mode={"weight_decay": "relative"},
    )


def test_state_is_plain_and_resume_is_exact_whatever_the_load_order():
    torch = require("torch")

    def setup(wd=0.1):
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        return model, torch.optim.AdamW(model.parameters(), lr=1.0, weight_decay=wd)

    model, opt = setup()
    sched = _make(opt)
    full = []
    _train(model, opt, sched, 30, full)
    final = [p.detach().clone() for p in model.parameters()]

    model, opt = setup()
    sched = _make(opt)
    head = []
    _train(model, opt, sched, 11, head)
    state = sched.state_dict()
    assert state["last_epoch"] == 11 and state["base_values"] == [1.0, 0.9, 0.999, 0.1]
    assert state["params"][1] == [0, "betas", 0, lrkit.serialize(ONE.momentum(0.85, 0.95))]
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": state}, buf)

    for order in ("optimizer-first", "scheduler-first"):
        buf.seek(0)
        ckpt = torch.load(buf, weights_only=True)
        assert ckpt["sched"] == state
        model, opt = setup(wd=5.0)  # another weight decay in code: the checkpoint wins
        model.load_state_dict(ckpt["model"])
        if order == "optimizer-first":
            opt.load_state_dict(ckpt["opt"])
            sched = _make(opt)
            sched.load_state_dict(ckpt["sched"])
        else:
            sched = _make(opt)
            sched.load_state_dict(ckpt["sched"])
            opt.load_state_dict(ckpt["opt"])
        tail = []
        _train(model, opt, sched, 19, tail, start=11)
        assert head + tail == full  # bit for bit
        assert all(torch.equal(a, b) for a, b in zip(model.parameters(), final, strict=True))


def test_load_state_dict_checks_what_it_restores():
    require("torch")
    import lrkit.torch

    _, opt = _model_and("AdamW", lr=1.0)
    state = _make(opt).state_dict()
    _, opt = _model_and("AdamW", lr=1.0)
    other = lrkit.torch.ScheduleParams(opt, {"lr": ONE})
    with pytest.raises(ValueError, match="schedules other values"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="last_epoch"):
        other.load_state_dict({"_step_count": 1})
    # dropping "params" keeps the constructor's schedules (the saved modes and bases stay)
    new = lrkit.Constant(0.5)
    sched = lrkit.torch.ScheduleParams(opt, {"lr": new, "betas": (new, new), "weight_decay": new})
    sched.load_state_dict({**state, "last_epoch": 3, "params": None})
    g = opt.param_groups[0]
    assert (g["lr"], g["betas"], sched.last_epoch) == (0.5, (0.5, 0.5), 3)
    assert g["weight_decay"] == 0.5 * state["base_values"][3]  # relative, as saved
    sched.load_state_dict(state)  # the saved schedules
    assert g["lr"] == ONE(0) and sched.params[0]["lr"] == ONE


def test_gradscaler_hold_counts_applied_updates():
    torch = require("torch")
    import lrkit.torch

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.5)
    halving = lrkit.ExponentialDecay(0.1, 1, 0.5)
    sched = lrkit.torch.ScheduleParams(opt, {"lr": halving, "momentum": halving}, on_skip="hold")
    scaler = torch.amp.GradScaler("cpu")
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(6):
            seen.append((opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]))
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = model(torch.ones(2, 4)).float().sum()
            scaler.scale(loss).backward()
            if i in (0, 3):  # an overflow: GradScaler skips this update
                model.weight.grad[0, 0] = float("inf")
            scaler.step(opt)
            scaler.update()
            sched.step()
    rates = [0.1, 0.1, 0.05, 0.025, 0.025, 0.0125]
    assert seen == list(zip(rates, rates, strict=True)) and sched.last_epoch == 4


def test_lightning_config_with_params_trains_and_resumes_exactly(tmp_path):
    require("torch")
    pl = require("lightning.pytorch")
    torch = sys.modules["torch"]
    import lrkit.torch

    one = lrkit.OneCycle(0.05, 8)

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.layer = torch.nn.Linear(3, 1)
            self.seen = []

        def training_step(self, batch, batch_idx):
            g = self.trainer.optimizers[0].param_groups[0]
            self.seen.append((g["lr"], g["momentum"]))
            return self.layer(batch).square().mean()

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=1.0, momentum=0.9)
            return lrkit.torch.lightning_config(opt, {"lr": one, "momentum": one.momentum()})

    data = torch.utils.data.DataLoader(
        torch.randn(8, 3, generator=torch.Generator().manual_seed(1)), batch_size=2
    )

    def fit(epochs, ckpt=None):
        m = Module()
        trainer = pl.Trainer(
            max_epochs=epochs,
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            default_root_dir=tmp_path,
            accelerator="cpu",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.fit(m, data, ckpt_path=ckpt)
        return m, trainer

    full, _ = fit(2)
    expected = [(one(t), one.momentum()(t)) for t in range(8)]
    assert full.seen == expected
    assert isinstance(full.trainer.lr_scheduler_configs[0].scheduler, lrkit.torch.ScheduleParams)
    head, trainer = fit(1)
    path = tmp_path / "half.ckpt"
    trainer.save_checkpoint(path)
    tail, _ = fit(2, ckpt=str(path))
    assert head.seen + tail.seen == expected
    assert all(torch.equal(a, b) for a, b in zip(tail.parameters(), full.parameters(), strict=True))


def test_a_value_outside_the_optimizer_in_a_compiled_step_compiles_once():
    torch = require("torch")
    torch._dynamo.reset()
    decay = lrkit.Warmup(lrkit.Linear(0.99, 0.9999, 50), 10, 0.0)  # an EMA decay
    w = torch.zeros(3)
    ema = torch.zeros(3)
    compiles = []

    def backend(gm, example_inputs):
        compiles.append(gm)
        return gm.forward

    @torch.compile(backend=backend, fullgraph=True)
    def ema_step(step, w, ema):
        d = decay(step)  # a tensor step: one graph for every step
        return ema * d + w * (1 - d)

    # the exact decays, computed first: a schedule's first call with a Python number
    # records its fast formula, which a graph compiled before it would see as a change
    decays = [decay(i) for i in range(25)]
    step = torch.zeros((), dtype=torch.int64)
    expected = torch.zeros(3, dtype=torch.float64)
    for i in range(25):
        w = w + 1.0
        ema = ema_step(step, w, ema)
        expected = expected * decays[i] + w.double() * (1 - decays[i])
        step += 1
    assert len(compiles) == 1
    assert torch.allclose(ema.double(), expected, rtol=1e-6, atol=0)
    # the decay the compiled step saw at step 24 is the float32 rounding of the exact one
    assert float(decay(torch.tensor(24))) == float(torch.tensor(decay(24), dtype=torch.float32))
