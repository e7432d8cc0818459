#!/usr/bin/env python3
"""Draws the gallery: docs/img/*.png, one per schedule family, and docs/gallery.md.

Every picture is drawn by the command line, as a user would draw it:

    lrkit plot SPEC [SPEC ...] -o docs/img/NAME.png --title TITLE

so the gallery shows both the curves and what to type to get them. Families whose
classes this lrkit does not have are left out. Run it from anywhere:

    python scripts/make_docs_images.py            # all
    python scripts/make_docs_images.py cosine     # only the images whose name has 'cosine'

Needs matplotlib (``pip install lrkit[plot]``). Images are 800x400 PNGs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
GALLERY = ROOT / "docs" / "gallery.md"

# (section, image name, title, what it shows, [SPEC, ...], [other lrkit plot options])
FAMILIES = [
    (
        "Keras's schedules",
        "exponential",
        "ExponentialDecay",
        "The rate times `decay_rate` every `decay_steps`: smoothly, or in stairs.",
        ["ExponentialDecay(0.1, 1000, 0.5)", "ExponentialDecay(0.1, 1000, 0.5, staircase=True)"],
    ),
    (
        "Keras's schedules",
        "inverse_time",
        "InverseTimeDecay",
        "`initial / (1 + decay_rate * step / decay_steps)`: smoothly, or in stairs.",
        ["InverseTimeDecay(0.1, 1000, 1.0)", "InverseTimeDecay(0.1, 1000, 1.0, staircase=True)"],
    ),
    (
        "Keras's schedules",
        "polynomial",
        "PolynomialDecay",
        "From the initial rate to `end_learning_rate` over `decay_steps`, as a power of the "
        "remaining fraction; with `cycle=True` it starts again after each multiple of "
        "`decay_steps`.",
        [
            "PolynomialDecay(0.1, 10000, 0.0)",
            "PolynomialDecay(0.1, 10000, 0.0, power=2.0)",
            "PolynomialDecay(0.1, 10000, 0.0, power=0.5)",
            "PolynomialDecay(0.1, 4000, 0.01, cycle=True)",
        ],
    ),
    (
        "Keras's schedules",
        "piecewise",
        "PiecewiseConstantDecay",
        "Constant rates between boundaries (a boundary step keeps the rate before it).",
        ["PiecewiseConstantDecay([3000, 6000, 8000], [0.1, 0.05, 0.01, 0.001])"],
    ),
    (
        "Keras's schedules",
        "cosine",
        "CosineDecay",
        "Half a cosine from the initial rate down to `alpha` times it; with `warmup_target`, "
        "a linear warmup first.",
        [
            "CosineDecay(0.1, 10000)",
            "CosineDecay(0.1, 10000, alpha=0.2)",
            "CosineDecay(0.0, 9000, warmup_target=0.1, warmup_steps=1000)",
        ],
    ),
    (
        "Keras's schedules",
        "cosine_restarts",
        "CosineDecayRestarts",
        "Cosine decays with warm restarts (SGDR): each period `t_mul` times longer and its "
        "peak `m_mul` times lower. Restarts are marked.",
        [
            "CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=0.8)",
            "CosineDecayRestarts(0.05, 2500, t_mul=1.0)",
        ],
    ),
    (
        "Composition",
        "warmup",
        "Warmup",
        "A warmup in front of any schedule: linear, cosine or polynomial. With the default "
        "`step_mode='local'` the schedule starts after the warmup.",
        [
            "Warmup(CosineDecay(0.1, 9000), 1000)",
            "Warmup(CosineDecay(0.1, 9000), 1000, shape='cosine')",
            "Warmup(CosineDecay(0.1, 9000), 1000, shape='polynomial', power=3.0)",
        ],
    ),
    (
        "Composition",
        "join",
        "Join and Offset",
        "Schedules one after another, and a schedule that starts later.",
        [
            "Join([Constant(0.1), CosineDecay(0.1, 4000), Constant(0.005)], [3000, 7000])",
            "Offset(ExponentialDecay(0.08, 1000, 0.5), 2000)",
        ],
    ),
    (
        "Composition",
        "arithmetic",
        "Arithmetic",
        "Schedules scaled, added, multiplied and clamped: `0.5 * s`, `s + t`, `s * t`, "
        "`Clamp(s, min_value=...)`.",
        [
            "Clamp(ExponentialDecay(0.1, 1000, 0.5), min_value=0.02)",
            "Sum([Scale(CosineDecay(0.1, 10000), 0.5), Constant(0.02)])",
            "Product([Constant(0.1), CosineDecayRestarts(1.0, 2500, t_mul=1.0)])",
        ],
    ),
    (
        "More schedules",
        "cosine_variants",
        "Cosine and CosineCycles",
        "Cosine decay with warmup, floor and restarts; timm's cosine cycles.",
        [
            "Cosine(0.1, 9000, warmup_steps=1000, alpha=0.1)",
            "Cosine(0.1, 3000, cycles=3)",
            "CosineCycles(0.08, 3000, cycle_limit=3, cycle_decay=0.7, warmup_steps=500)",
        ],
    ),
    (
        "More schedules",
        "linear",
        "Linear, Polynomial and PiecewiseLinear",
        "Straight lines and polynomials between rates, and interpolation through knots.",
        [
            "Linear(0.1, 0.0, 8000, transition_begin=1000)",
            "Polynomial(0.08, 9000, power=2.0, warmup_steps=1000)",
            "PiecewiseLinear([[0, 0.0], [1000, 0.06], [6000, 0.02], [10000, 0.0]])",
        ],
    ),
    (
        "More schedules",
        "steps",
        "Step and MultiStep",
        "The rate multiplied by `gamma` every `step_size` steps, or at milestones.",
        [
            "Step(0.1, 2500, gamma=0.5)",
            "MultiStep(0.08, [3000, 6000, 8000], gamma=0.3, warmup_steps=500)",
        ],
    ),
    (
        "More schedules",
        "cyclic",
        "Cyclic and OneCycle",
        "A triangle wave between two rates; the 1cycle policy.",
        ["Cyclic(0.01, 0.1, step_size_up=1250)", "OneCycle(0.1, 10000)"],
    ),
    (
        "More schedules",
        "wsd",
        "WarmupStableDecay, InverseSqrt and Tanh",
        "Warmup, stable, decay; an inverse square root after a warmup; a tanh decay.",
        [
            "WarmupStableDecay(0.1, total_steps=10000, warmup_steps=1000, decay_steps=2000)",
            "InverseSqrt(0.08, warmup_steps=1000)",
            "Tanh(0.06, 10000, warmup_steps=500)",
        ],
    ),
    (
        "Model Garden",
        "model_garden_offset",
        "Model Garden: *WithOffset",
        "Model Garden's Keras schedules that start at an offset (holding the first value "
        "before it).",
        [
            "ExponentialDecayWithOffset(2000, initial_learning_rate=0.1, decay_steps=1000, "
            "decay_rate=0.5)",
            "PiecewiseConstantDecayWithOffset(1000, boundaries=[2000, 5000], "
            "values=[0.08, 0.05, 0.01])",
            "CosineDecayWithOffset(1000, initial_learning_rate=0.06, decay_steps=9000)",
        ],
    ),
    (
        "Model Garden",
        "model_garden_warmup",
        "Model Garden: warmups",
        "Model Garden's `LinearWarmup` and `PolynomialWarmUp` (the wrapped schedule runs on "
        "the global step, so the warmup covers its first steps), and its "
        "`StepCosineDecayWithOffset`.",
        [
            "LinearWarmup(CosineDecayWithOffset(initial_learning_rate=0.1, decay_steps=10000), "
            "2000, 0.0)",
            "PolynomialWarmUp(CosineDecayWithOffset(initial_learning_rate=0.1, "
            "decay_steps=10000), 2000, power=2.0)",
            "StepCosineDecayWithOffset([0, 4000, 7000], [0.06, 0.03, 0.01])",
        ],
    ),
    (
        "Model Garden",
        "model_garden_power",
        "Model Garden: power decays (log scale)",
        "Model Garden's power decays, on a logarithmic axis (`--log-y`).",
        [
            "DirectPowerDecay(1.0, power=-0.5)",
            "PowerAndLinearDecay(1.0, 10000, power=-0.5, linear_decay_fraction=0.3)",
            "PowerDecayWithOffset(1.0, power=-0.5, offset=2000, pre_offset_learning_rate=0.05)",
        ],
        ["--log-y"],
    ),
]


def _names(spec: str) -> set[str]:
    return set(re.findall(r"([A-Za-z_]\w*)\(", spec))


def main(argv: list[str]) -> int:
    from lrkit.core import registry

    known = {k.rpartition(">")[2] for k in registry.known()}
    IMG.mkdir(parents=True, exist_ok=True)
    only = argv[1:] if len(argv) > 1 else None
    drawn = []
    for section, name, title, text, specs, *more in FAMILIES:
        flags = more[0] if more else []
        missing = sorted(set().union(*map(_names, specs)) - known)
        if missing:
            print(f"skip {name}: this lrkit has no {', '.join(missing)}", file=sys.stderr)
            continue
        drawn.append((section, name, title, text, specs, flags))
        if only and not any(o in name for o in only):
            continue
        out = IMG / f"{name}.png"
        cmd = [
            sys.executable,
            "-m",
            "lrkit",
            "plot",
            *specs,
            "-o",
            str(out),
            "--title",
            title,
            *flags,
        ]
        env = {**os.environ, "MPLBACKEND": "Agg"}
        result = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if result.returncode:
            sys.stderr.write(f"{name}: {result.stderr}")
            return 1
        _shrink(out)
        print(f"{out.relative_to(ROOT)}  {out.stat().st_size // 1024} KB")
    GALLERY.write_text(_gallery(drawn), encoding="utf-8")
    print(f"{GALLERY.relative_to(ROOT)}")
    return 0


def _shrink(path: Path) -> None:
    """Re-encodes the PNG with a 256-colour palette (a third of the size), if Pillow is here."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def _gallery(drawn: list[tuple[str, str, str, str, list[str], list[str]]]) -> str:
    lines = [
        "# Gallery",
        "",
        "The curves of every schedule family, drawn by `lrkit plot` (dotted lines: phase",
        "boundaries, such as a warmup's end, a restart or a piecewise boundary). Under each",
        "picture, the command that draws it. Regenerate them all with",
        "`python scripts/make_docs_images.py`.",
        "",
    ]
    section = None
    for sec, name, title, text, specs, flags in drawn:
        if sec != section:
            lines += [f"## {sec}", ""]
            section = sec
        quoted = " \\\n    ".join(f'"{s}"' for s in specs)
        lines += [
            f"### {title}",
            "",
            *textwrap.wrap(text, 100),
            "",
            f"![{title}](img/{name}.png)",
            "",
            "```sh",
            f"lrkit plot {quoted} \\\n    -o {name}.png{''.join(' ' + f for f in flags)}",
            "```",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
