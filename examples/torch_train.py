"""Train a tiny PyTorch model with an lrkit schedule, checkpoint it, and resume exactly.

    python examples/torch_train.py

`lrkit.torch.ScheduleLR` is a `torch.optim.lr_scheduler.LRScheduler`: call `step()` after
every `optimizer.step()`. Its state is the step alone, so a resumed run gets the same rates.
"""

import io

import torch

import lrkit
import lrkit.torch

STEPS, CHECKPOINT_AT = 200, 120
# 20 steps of linear warmup to 0.1, then a cosine decay over 180 steps to 1% of it
SCHEDULE = lrkit.Warmup(lrkit.CosineDecay(0.1, STEPS - 20, alpha=0.01), warmup_steps=20)

generator = torch.Generator().manual_seed(0)
X = torch.randn(256, 8, generator=generator)
Y = X @ torch.randn(8, 1, generator=generator) + 0.1 * torch.randn(256, 1, generator=generator)


def build():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=SCHEDULE(0), weight_decay=1e-4)
    scheduler = lrkit.torch.ScheduleLR(optimizer, SCHEDULE)
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, start, stop, rates):
    for step in range(start, stop):
        batch = torch.arange(32) + 32 * (step % 8)
        rates.append(optimizer.param_groups[0]["lr"])  # the rate this update uses
        loss = torch.nn.functional.mse_loss(model(X[batch]), Y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % 40 == 0 or step == stop - 1:
            print(f"step {step:4d}  lr {rates[-1]:.6f}  loss {loss.item():.4f}")


# one uninterrupted run
model, optimizer, scheduler = build()
full = []
train(model, optimizer, scheduler, 0, STEPS, full)

# the same run, checkpointed at step 120 and resumed in fresh objects
model, optimizer, scheduler = build()
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
checkpoint = torch.load(buffer, weights_only=True)  # plain values only: weights_only works
model, optimizer, scheduler = build()
model.load_state_dict(checkpoint["model"])
optimizer.load_state_dict(checkpoint["optimizer"])
scheduler.load_state_dict(checkpoint["scheduler"])
print(f"resumed at step {scheduler.last_epoch}, lr {scheduler.get_last_lr()[0]:.6f}")
train(model, optimizer, scheduler, CHECKPOINT_AT, STEPS, resumed)

assert resumed == full, "the resumed run's rates differ"
assert resumed == [SCHEDULE(step) for step in range(STEPS)]
print("ok: the resumed run used the uninterrupted run's learning rates, bit for bit")
