"""The 1cycle policy with momentum cycling in PyTorch: rate and momentum, both lrkit schedules.

    python examples/torch_one_cycle_momentum.py

`OneCycle(...).momentum(base, max)` is the momentum PyTorch's `OneCycleLR` cycles beside the
rate (`cycle_momentum=True`), on the same phase boundaries. `lrkit.torch.ScheduleParams`
applies both: `momentum` for SGD, `betas[0]` for Adam-like optimizers. The run checks every
step against PyTorch's own `OneCycleLR`, then checkpoints and resumes exactly.
"""

import io

import torch

import lrkit
import lrkit.torch

STEPS, CHECKPOINT_AT = 120, 70
RATE = lrkit.OneCycle(0.1, total_steps=STEPS, pct_start=0.25, three_phase=True)
MOMENTUM = RATE.momentum(base_momentum=0.85, max_momentum=0.95)

generator = torch.Generator().manual_seed(0)
X = torch.randn(256, 8, generator=generator)
Y = X @ torch.randn(8, 1, generator=generator) + 0.1 * torch.randn(256, 1, generator=generator)


def build(adam=False):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    if adam:
        optimizer = torch.optim.AdamW(model.parameters(), lr=1.0)
        params = {"lr": RATE, "betas": (MOMENTUM, None)}  # None: beta2 left alone
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
        params = {"lr": RATE, "momentum": MOMENTUM}
    return model, optimizer, lrkit.torch.ScheduleParams(optimizer, params)


def train(model, optimizer, scheduler, start, stop, seen):
    for step in range(start, stop):
        group = optimizer.param_groups[0]
        beta = group["betas"][0] if "betas" in group else group["momentum"]
        seen.append((group["lr"], beta))  # what this update uses
        batch = torch.arange(32) + 32 * (step % 8)
        loss = torch.nn.functional.mse_loss(model(X[batch]), Y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % 30 == 0 or step == stop - 1:
            print(f"step {step:4d}  lr {seen[-1][0]:.5f}  momentum {beta:.4f}  loss {loss:.4f}")


def torchs_own(adam=False):
    """The same run's (lr, momentum) under torch's OneCycleLR(cycle_momentum=True)."""
    torch.manual_seed(0)
    param = torch.nn.Parameter(torch.zeros(1))
    if adam:
        optimizer = torch.optim.AdamW([param], lr=1.0)
    else:
        optimizer = torch.optim.SGD([param], lr=1.0, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.1, total_steps=STEPS, pct_start=0.25, three_phase=True
    )  # cycle_momentum=True, base_momentum=0.85, max_momentum=0.95: its defaults
    out = []
    for _ in range(STEPS):
        group = optimizer.param_groups[0]
        out.append((group["lr"], group["betas"][0] if adam else group["momentum"]))
        optimizer.step()
        scheduler.step()
    return out


for adam in (False, True):
    print("AdamW (betas[0])" if adam else "SGD (momentum)")
    model, optimizer, scheduler = build(adam)
    full = []
    train(model, optimizer, scheduler, 0, STEPS, full)
    theirs = torchs_own(adam)
    worst = max(max(abs(a - c), abs(b - d)) for (a, b), (c, d) in zip(full, theirs, strict=True))
    assert worst < 1e-12, worst  # torch rounds its phase position; lrkit's is exact
    print(f"  largest difference from torch's OneCycleLR: {worst:.1e}")

    # checkpointed and resumed in fresh objects: the same values, bit for bit
    model, optimizer, scheduler = build(adam)
    resumed = []
    train(model, optimizer, scheduler, 0, CHECKPOINT_AT, resumed)
    buffer = io.BytesIO()
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        buffer,
    )
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)  # plain values only
    model, optimizer, scheduler = build(adam)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    train(model, optimizer, scheduler, CHECKPOINT_AT, STEPS, resumed)
    assert resumed == full
    assert full == [(RATE(t), MOMENTUM(t)) for t in range(STEPS)]

print("ok: rate and momentum match torch's OneCycleLR, and the resumed runs match bit for bit")
