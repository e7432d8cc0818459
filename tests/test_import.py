"""`import lrkit` stays free of frameworks, and the Python path never loads them."""

import json
import subprocess
import sys

HEAVY = ("numpy", "jax", "torch", "tensorflow", "keras", "matplotlib", "array_api_compat")


def _modules_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _heavy(mods: list[str]) -> list[str]:
    return [m for m in mods if m.split(".")[0] in HEAVY]


def test_import_lrkit_loads_no_framework():
    assert _heavy(_modules_after("import lrkit")) == []


def test_python_number_calls_load_no_framework():
    code = (
        "import lrkit\n"
        "for s in (lrkit.ExponentialDecay(0.1, 10, 0.5), lrkit.CosineDecayRestarts(0.1, 10),\n"
        "          lrkit.PiecewiseConstantDecay([1], [1.0, 2.0]), lrkit.PolynomialDecay(1.0, 5),\n"
        "          lrkit.InverseTimeDecay(1.0, 5, 0.5), lrkit.CosineDecay(1.0, 5)):\n"
        "    s(3); s(3.0); lrkit.deserialize(lrkit.serialize(s))\n"
    )
    assert _heavy(_modules_after(code)) == []


def test_lrkit_show_loads_no_framework():
    code = (
        "import io, contextlib\nfrom lrkit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['show', 'CosineDecay(0.1, 100)', '--at', '0,50'])\n"
    )
    assert _heavy(_modules_after(code)) == []
