"""`lrkit show`, run as a user runs it."""

import json
import subprocess
import sys

import pytest

import lrkit


def run(*args):
    return subprocess.run([sys.executable, "-m", "lrkit", *args], capture_output=True, text=True)


def test_show_table():
    out = run(
        "show",
        "CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)",
        "--at",
        "0,250,500,10500",
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("CosineDecay(")
    rows = [line.split() for line in lines[2:]]
    assert rows == [["0", "0.1"], ["250", "0.55"], ["500", "1"], ["10500", "0"]]


def test_show_json_and_csv_match_python():
    spec = "PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])"
    s = lrkit.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    out = run("show", spec, "--every", "50", "--steps", "250", "--format", "json")
    data = json.loads(out.stdout)
    assert data["steps"] == [0, 50, 100, 150, 200, 250]
    assert data["learning_rate"] == [s(t) for t in data["steps"]]
    csv = run("show", "ExponentialDecay(0.1, 10, 0.5)", "--at", "5", "--format", "csv").stdout
    expected = lrkit.ExponentialDecay(0.1, 10, 0.5)(5)
    assert csv.splitlines() == ["step,learning_rate", f"5,{expected!r}"]


def test_show_reads_a_serialized_file(tmp_path):
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(lrkit.serialize(lrkit.InverseTimeDecay(1.0, 1, 1.0))))
    out = run("show", str(path), "--at", "0,1,3", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1:] == ["0,1.0", "1,0.5", "3,0.25"]


def test_console_script_is_installed():
    import shutil

    exe = shutil.which("lrkit") or str(
        __import__("pathlib").Path(sys.executable).with_name("lrkit")
    )
    out = subprocess.run(
        [exe, "show", "ExponentialDecay(1.0, 1, 0.5)", "--at", "3"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1].split() == ["3", "0.125"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["show", "Foo(1)"], "unknown schedule 'Foo'"),
        (["show", "__import__('os').system('true')"], "unknown schedule"),
        (["show", "ExponentialDecay(0.1)"], "usage: ExponentialDecay(initial_learning_rate"),
        (["show", "ExponentialDecay(0.1, 0, 0.5)"], "Received: decay_steps=0"),
        (["show", "CosineDecay(0.1, x)"], "literals"),
        (["show", "CosineDecay(0.1, 10"], "not an expression"),
        (["show", "no_such_file.json"], "no such file"),
        (["show", "CosineDecay(0.1, 10)", "--at", "a,b"], "--at"),
        (["show", "CosineDecay(0.1, 10)", "--at", "-5"], ">= 0"),
        (["show", "ExponentialDecay(1.0, 1, 10.0)", "--at", "400"], "overflows"),
    ],
)
def test_errors_are_one_line_with_status_2(args, words):
    out = run(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrkit: error: ")
    assert words in lines[0]
    assert "Traceback" not in out.stderr
