"""`lrkit.torch.PlateauLR`: reduce on plateau around any schedule in PyTorch loops,
Lightning with a monitored metric, and exact resume."""

from __future__ import annotations

import io
import math
import sys

import pytest

import lrkit
from conftest import require

WARMUP_COSINE = lrkit.Warmup(lrkit.CosineDecay(0.1, 90), 10)
# an evaluation every 5 steps; the loss plateaus, so the rate is halved twice
LOSSES = [1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.69999, 0.5, 0.5, 0.5, 0.5, 0.5]


def _run(steps, sched, opt, losses, every=5, start=0):
    rates = []
    for step in range(start, steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        if (step + 1) % every == 0:
            sched.report(losses[(step + 1) // every - 1])
    return rates


def _plateau():
    return lrkit.Plateau(WARMUP_COSINE, factor=0.5, patience=2, threshold=1e-3)


def test_warmup_and_cosine_with_a_plateau_in_a_plain_loop():
    torch = require("torch")
    import lrkit.torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    plateau = _plateau()
    sched = lrkit.torch.PlateauLR(opt, plateau)
    rates = _run(60, sched, opt, LOSSES)
    # the reference: the same plateau fed the same losses, as a pure replay
    ref = _plateau()
    for k, loss in enumerate(LOSSES):
        ref.report(loss, step=5 * (k + 1))
    assert plateau.reductions == ref.reductions and len(ref.reductions) == 2
    assert rates == [WARMUP_COSINE(t) * ref.scale_at(t) for t in range(60)]
    assert rates == [ref.replay()(t) for t in range(60)]


def test_resume_from_a_checkpoint_after_a_reduction_is_bit_for_bit():
    torch = require("torch")
    import lrkit.torch

    def fresh():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        return opt, lrkit.torch.PlateauLR(opt, _plateau())

    opt, sched = fresh()
    full = _run(60, sched, opt, LOSSES)
    opt, sched = fresh()
    head = _run(40, sched, opt, LOSSES)
    assert sched.plateau.reductions  # checkpointed after a reduction
    buffer = io.BytesIO()
    torch.save({"sched": sched.state_dict(), "opt": opt.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    opt, sched = fresh()
    sched.load_state_dict(saved["sched"])
    opt.load_state_dict(saved["opt"])
    tail = _run(60, sched, opt, LOSSES, start=40)
    assert head + tail == full


def test_bad_arguments():
    torch = require("torch")
    import lrkit.torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(TypeError, match=r"`plateau` must be an lrkit\.Plateau"):
        lrkit.torch.PlateauLR(opt, lrkit.CosineDecay(0.1, 10))
    with pytest.raises(ValueError, match="`sync` must be one of"):
        lrkit.torch.PlateauLR(opt, _plateau(), sync="sum")
    sched = lrkit.torch.PlateauLR(opt, _plateau())
    with pytest.raises(TypeError, match="`metric`"):
        sched.report("0.5")
    # a diverged loss does not crash training: it is a report without improvement
    for _ in range(3):
        sched.report(math.nan)
    assert sched.plateau.scale == 0.5 and math.isfinite(opt.param_groups[0]["lr"])


def test_lightning_reports_the_monitored_metric_and_resumes_exactly(tmp_path):
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

        def validation_step(self, batch, batch_idx):
            # a loss that stops improving after the first epoch
            self.log("val_loss", 1.0 if self.current_epoch else 2.0)

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=1.0)
            plateau = lrkit.Plateau(WARMUP_COSINE, factor=0.5, patience=1)
            return lrkit.torch.plateau_lightning_config(opt, plateau, monitor="val_loss")

    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(
        torch.randn(8, 3, generator=g), torch.randn(8, 1, generator=g)
    )

    def fit(module, epochs, ckpt_path=None, callbacks=()):
        trainer = pl.Trainer(
            max_epochs=epochs,
            accelerator="cpu",
            devices=1,
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            enable_checkpointing=bool(callbacks),
            callbacks=list(callbacks),
            default_root_dir=tmp_path,
            num_sanity_val_steps=0,
        )
        loader = torch.utils.data.DataLoader(data, batch_size=2)  # 4 steps an epoch
        trainer.fit(module, loader, loader, ckpt_path=ckpt_path)
        return trainer

    full = Module()
    fit(full, 6)
    # epochs 0..5 report 2, 1, 1, 1, 1, 1: epochs 2 and 3 bad (patience 1) -> halved after
    # epoch 3 (step 16); cooldown 0, so again after epoch 5 (step 24, past the run)
    expected = lrkit.Plateau(WARMUP_COSINE, factor=0.5, patience=1)
    for epoch, loss in enumerate([2.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        expected.report(loss, step=4 * (epoch + 1))
    assert expected.reductions == ((16, 0.5), (24, 0.25))
    assert full.seen == [expected(t) for t in range(24)]

    head = Module()
    ckpt = pl.callbacks.ModelCheckpoint(dirpath=tmp_path, save_top_k=-1, filename="{epoch}")
    fit(head, 5, callbacks=[ckpt])
    saved = torch.load(tmp_path / "epoch=4.ckpt", weights_only=True)
    assert saved["lr_schedulers"][0]["plateau"]["reductions"] == [[16, 0.5]]
    tail = Module()
    fit(tail, 6, ckpt_path=tmp_path / "epoch=4.ckpt")
    assert head.seen + tail.seen == full.seen  # bit for bit
