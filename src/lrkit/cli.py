"""The ``lrkit`` command: look at a schedule before training with it.

``lrkit plot``, ``show``, ``inspect``, ``convert``, ``diff`` and ``list`` (see ``lrkit --help``
and docs/cli.md). A SPEC is a schedule expression such as
``"CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)"``, read safely by
:mod:`lrkit.spec`, or a file :mod:`lrkit.formats` reads. A user's mistake is reported
in one line, ``lrkit: error: ...``, with exit status 2. Only ``plot -o`` imports
NumPy and matplotlib; every other command answers with the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from lrkit.core.base import LearningRateSchedule

COMMANDS = ("plot", "show", "inspect", "convert", "list", "diff")


class UsageError(Exception):
    """A user mistake: reported in one line, exit status 2."""


# -- loading -------------------------------------------------------------------------------


def load(spec: str) -> LearningRateSchedule:
    """A schedule from a SPEC expression or from a file (see :mod:`lrkit.formats`)."""
    return load_source(spec)[0]


def load_source(spec: str) -> tuple[LearningRateSchedule, str]:
    """``(schedule, kind)``: the schedule a SPEC names, and what kind of source it was."""
    from lrkit import formats
    from lrkit.spec import SpecError, parse_spec

    try:
        if os.path.isfile(spec):
            loaded = formats.read(spec)
            return loaded.schedule, loaded.kind
        if "(" in spec:
            return parse_spec(spec), "schedule expression"
        if os.path.exists(spec):  # a directory
            loaded = formats.read(spec)
            return loaded.schedule, loaded.kind
    except (SpecError, ValueError, TypeError) as exc:
        where = "" if isinstance(exc, (SpecError, formats.FormatError)) else _where(spec)
        raise UsageError(f"{where}{_one_line(exc)}") from None
    raise UsageError(_not_found(spec))


def _where(spec: str) -> str:
    return f"{spec}: " if os.path.exists(spec) else ""


def _not_found(spec: str) -> str:
    from lrkit.core import registry
    from lrkit.spec import signature_text

    name = spec.strip()
    cls = registry.known().get(name)
    if cls is not None:
        return f"{name!r} needs its arguments, e.g. {signature_text(cls)}"
    return f"no such file, and not a schedule expression: {spec!r}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


# -- the run: --total and --steps-per-epoch ---------------------------------------------------


def bound(schedule: Any, args: argparse.Namespace) -> Any:
    """``schedule`` bound to the run ``--total`` and ``--steps-per-epoch`` give (a schedule
    whose lengths are all step counts is itself); an unbound one without them is a
    usage error naming the option it needs."""
    total = getattr(args, "total", None)
    per_epoch = getattr(args, "steps_per_epoch", None)
    if total is not None and not _is_epochs(total):
        total = _positive(total, "--total")
    per_epoch = _positive(per_epoch, "--steps-per-epoch")
    if not getattr(schedule, "_unbound", False) and total is None and per_epoch is None:
        return schedule
    from lrkit.core.units import UnboundError

    try:
        return schedule.bind(total_steps=total, steps_per_epoch=per_epoch)
    except UnboundError as exc:
        import re

        options = {"total_steps": "--total N", "steps_per_epoch": "--steps-per-epoch N"}
        text = re.sub(
            r"bind\(([^()]*)\)",
            lambda m: " and ".join(options[n] for n in re.findall(r"(\w+)=\.\.\.", m[1])),
            _one_line(exc),
        )
        raise UsageError(text) from None
    except (ValueError, TypeError) as exc:
        raise UsageError(_one_line(exc)) from None


def _is_epochs(text: str) -> bool:
    from lrkit.core.units import is_length_text

    return is_length_text(text) and text.strip().endswith("ep")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--total",
        metavar="N",
        help="the run's length, in steps or epochs ('90ep'): binds lengths such as '10%%'",
    )
    p.add_argument(
        "--steps-per-epoch",
        metavar="N",
        help="steps in an epoch: binds lengths such as '3ep'",
    )


# -- steps -----------------------------------------------------------------------------------


def _step(part: str, option: str) -> int:
    text = part.strip().replace("_", "")
    try:
        value = int(text)
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            raise UsageError(f"{option} takes whole steps; got {part.strip()!r}") from None
        if not as_float.is_integer():
            raise UsageError(f"{option} takes whole steps; got {part.strip()!r}") from None
        value = int(as_float)
    if value < 0:
        raise UsageError(f"steps must be >= 0; got {value}")
    return value


def _steps(text: str, option: str = "--at") -> list[int]:
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise UsageError(f"{option} takes whole steps separated by commas; got {text!r}")
    return [_step(p, option) for p in parts]


def _positive(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    value = _step(text, option)
    if value <= 0:
        raise UsageError(f"{option} must be > 0; got {value}")
    if value > 2**62:
        raise UsageError(f"{option} must be at most 2**62; got {value}")
    return value


# -- show ----------------------------------------------------------------------------------


def _show(args: argparse.Namespace) -> None:
    schedule = _with_metrics(bound(load(args.spec), args), args)
    if args.every is not None:
        every = _positive(args.every, "--every")
        last = _step(args.steps, "--steps") if args.steps is not None else 10000
        assert every is not None
        if last // every > 1_000_000:
            raise UsageError(f"--every {every} up to {last} is more than a million rows")
        steps = list(range(0, last + 1, every))
    else:
        steps = _steps(args.at)
    _write_values(schedule, steps, args.format)


def _write_values(schedule: Any, steps: list[int], fmt: str, header: str | None = None) -> None:
    rows = [(s, schedule(s)) for s in steps]
    out = sys.stdout
    if fmt == "json":
        json.dump(
            {
                "schedule": repr(schedule),
                "steps": [s for s, _ in rows],
                "learning_rate": [v for _, v in rows],
            },
            out,
        )
        out.write("\n")
    elif fmt == "csv":
        out.write("step,learning_rate\n")
        out.writelines(f"{s},{v!r}\n" for s, v in rows)
    else:
        out.write(f"{schedule!r}\n" if header is None else header)
        width = max(len("step"), *(len(str(s)) for s, _ in rows)) if rows else 4
        out.write(f"{'step':>{width}}  learning_rate\n")
        out.writelines(f"{s:>{width}}  {v:.12g}\n" for s, v in rows)


# -- plot ------------------------------------------------------------------------------------


def _plot(args: argparse.Namespace) -> None:
    items = []
    for spec in args.specs:
        schedule, kind = load_source(spec)
        schedule = bound(schedule, args)
        label = _label(spec, schedule, kind)
        if args.metrics is not None:
            schedule, label = _with_metrics(schedule, args), f"{label}, on plateau"
        items.append((label, schedule))
    _draw(items, args)


# -- a logged run's metrics through a plateau -------------------------------------------------


def _with_metrics(schedule: Any, args: argparse.Namespace) -> Any:
    """``schedule``, or with ``--metrics``, the rate a run that logged those metrics would
    have had with a plateau around it (``--plateau`` its arguments)."""
    if args.metrics is None:
        if args.plateau is not None or args.metric is not None:
            raise UsageError("--plateau and --metric need --metrics FILE")
        return schedule
    from lrkit.plateau_log import replay_log

    try:
        plateau = replay_log(schedule, args.metrics, args.metric, **_keywords(args.plateau))
    except OSError as exc:
        raise UsageError(f"cannot read {args.metrics!r}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{args.metrics}: {_one_line(exc)}") from None
    return plateau.replay()


def _keywords(text: str | None) -> dict[str, Any]:
    """``--plateau "factor=0.5, patience=3"``: keyword arguments of literals only."""
    import ast

    if not text:
        return {}
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        assert isinstance(call, ast.Call) and not call.args
        out = {}
        for kw in call.keywords:
            assert kw.arg is not None
            out[kw.arg] = ast.literal_eval(kw.value)
        return out
    except (SyntaxError, ValueError, AssertionError):
        raise UsageError(
            f"--plateau takes keyword arguments of numbers and strings, e.g. "
            f"'factor=0.5, patience=3'. Received: {text!r}"
        ) from None


def _metrics_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--metrics",
        metavar="FILE",
        help="a CSV file of a run's evaluations (columns: step and a metric): show the rate "
        "a plateau (lrkit.Plateau) around the schedule would have given that run",
    )
    p.add_argument("--metric", help="the metric's column in --metrics (default: the other one)")
    p.add_argument(
        "--plateau",
        metavar="ARGS",
        help="the plateau's arguments, e.g. \"mode='min', factor=0.5, patience=3\"",
    )


def _label(spec: str, schedule: Any, kind: str) -> str:
    if kind == "schedule expression":
        return " ".join(spec.split())
    return f"{os.path.basename(spec)}: {schedule!r}"


def _draw(items: list[tuple[str, Any]], args: argparse.Namespace) -> None:
    from lrkit.plotting import default_last_step  # (imports neither NumPy nor matplotlib)

    last = _positive(args.steps, "--steps")
    if last is None:  # where the schedules have played out: the latest horizon
        last = default_last_step([s for _, s in items])
    if args.output:
        _save_plot(items, last, args)
    if not args.output or args.terminal:
        _terminal_plot(items, last, args)


def _save_plot(items: list[tuple[str, Any]], last: int, args: argparse.Namespace) -> None:
    output = args.output
    fmt = os.path.splitext(output)[1].lower().lstrip(".")
    from lrkit.plotting import FORMATS

    if fmt not in FORMATS:
        raise UsageError(
            f"cannot tell the format of {output!r} from its extension; "
            f"use one of: {', '.join('.' + f for f in FORMATS)}"
        )
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {output!r}: no such directory {folder!r}")
    try:
        import matplotlib  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"plotting to a file needs matplotlib and NumPy ({exc.name} is missing): "
            "pip install 'lrkit[plot]'; without -o, lrkit plot draws in the terminal"
        ) from None
    from lrkit.plotting import figure, save

    if args.log_y and not _any_positive(items, last):
        raise UsageError("--log-y needs positive learning rates, and these are all <= 0")
    fig = figure(items, last, log_y=args.log_y, title=args.title)
    try:
        save(fig, output)
    except OSError as exc:
        raise UsageError(f"cannot write {output!r}: {exc.strerror or exc}") from None


def _any_positive(items: list[tuple[str, Any]], last: int) -> bool:
    probe = {round(k * last / 256) for k in range(257)}
    return any(s(t) > 0 for _, s in items for t in probe)


def _terminal_plot(items: list[tuple[str, Any]], last: int, args: argparse.Namespace) -> None:
    import shutil

    from lrkit import termplot
    from lrkit.boundaries import boundaries

    size = shutil.get_terminal_size((80, 24))
    color = {"always": True, "never": False}.get(args.color)
    if color is None:
        color = (
            sys.stdout.isatty()
            and not os.environ.get("NO_COLOR")
            and (os.environ.get("TERM") != "dumb")
        )
    series = [termplot.Series(label, s, boundaries(s, last)) for label, s in items]
    try:
        text = termplot.render(
            series,
            last,
            width=size.columns - 1,
            height=max(size.lines - 1, 1),
            log_y=args.log_y,
            color=color,
            title=args.title,
            legend=True,
        )
    except ValueError as exc:
        raise UsageError(f"{exc}" if "log" not in str(exc) else f"--log-y: {exc}") from None
    sys.stdout.write(text)


# -- inspect ---------------------------------------------------------------------------------


def _inspect(args: argparse.Namespace) -> None:
    from lrkit.boundaries import boundaries, horizon

    schedule, kind = load_source(args.file)
    schedule = bound(schedule, args)
    last = _positive(args.steps, "--steps") or horizon(schedule) or 10_000
    last = int(-(-last // 1))
    marks = boundaries(schedule, last)
    if args.at:
        steps = _steps(args.at)
    else:
        near = [int(b) + d for b, _ in marks[:6] for d in (0, 1)]
        steps = sorted({0, *near, *(last * k // 4 for k in range(1, 5))} - {last + 1})
    if args.format == "json":
        from lrkit.core.serialization import serialize

        try:
            config: Any = serialize(schedule)
        except (ValueError, TypeError):
            config = None
        json.dump(
            {
                "file": args.file,
                "kind": kind,
                "schedule": repr(schedule),
                "config": config,
                "boundaries": [{"step": b, "label": label} for b, label in marks],
                "steps": steps,
                "learning_rate": [schedule(s) for s in steps],
            },
            sys.stdout,
        )
        sys.stdout.write("\n")
    else:
        lines = [f"{args.file}: {kind}", f"schedule: {schedule!r}"]
        if marks:
            shown = ", ".join(f"{label} at {_num(b)}" for b, label in marks[:8])
            more = f" (and {len(marks) - 8} more)" if len(marks) > 8 else ""
            lines.append(f"phases: {shown}{more}")
        _write_values(schedule, steps, "table", header="\n".join(lines) + "\n")
    if args.output or args.terminal:
        args.steps = str(last)
        label = f"{os.path.basename(args.file)}: {schedule!r}"
        _draw([(label, schedule)], args)


def _num(x: Any) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


# -- convert ---------------------------------------------------------------------------------


def _convert(args: argparse.Namespace) -> None:
    from lrkit import formats
    from lrkit.core.serialization import serialize

    schedule, _kind = load_source(args.file)
    if args.to == "spec":
        from lrkit.spec import spec_text

        try:
            text = spec_text(schedule) + "\n"
        except (ValueError, TypeError) as exc:
            raise UsageError(_one_line(exc)) from None
    elif args.to == "model-garden":
        text = _to_model_garden(schedule, args.output)
    else:
        if args.to == "keras":
            _check_keras(schedule)
            try:
                data = serialize(schedule)
            except (ValueError, TypeError) as exc:
                raise UsageError(_one_line(exc)) from None
        else:
            try:
                data = formats.dump_lrkit(schedule)
            except (ValueError, TypeError) as exc:
                raise UsageError(_one_line(exc)) from None
        text = json.dumps(data, indent=2) + "\n"
    _write_text(text, args.output)


def _check_keras(schedule: Any) -> None:
    """Refuses a schedule Keras cannot load: one holding lrkit's own classes."""
    from lrkit.core import registry
    from lrkit.schedules import Constant

    if isinstance(schedule, Constant):
        raise UsageError(
            "a constant learning rate has no Keras schedule form: Keras takes the number "
            f"itself (learning_rate={schedule(0)!r})"
        )
    for node in _walk(schedule):
        try:
            module, _name, registered = registry.serial_info(type(node))
        except ValueError as exc:
            raise UsageError(_one_line(exc)) from None
        if registered is None and module != registry.KERAS_MODULE:
            raise UsageError(
                f"{type(node).__name__} is lrkit's own, so Keras cannot load it; "
                "use --to lrkit (or keep lrkit as the schedule's library)"
            )


def _walk(schedule: Any, depth: int = 0) -> list[Any]:
    out = [schedule]
    if depth > 50:
        return out
    for child in (getattr(schedule, "schedule", None), *getattr(schedule, "schedules", ())):
        if isinstance(child, LearningRateSchedule):
            out.extend(_walk(child, depth + 1))
    return out


def _to_model_garden(schedule: Any, output: str | None) -> str:
    import lrkit

    convert = getattr(lrkit, "to_model_garden", None)
    if convert is None:
        raise UsageError(
            "converting to Model Garden needs lrkit.to_model_garden, which this lrkit does not have"
        )
    try:
        config = convert(schedule)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise UsageError(f"no Model Garden form: {_one_line(exc)}") from None
    if output and output.lower().endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise UsageError("writing YAML needs PyYAML (pip install pyyaml)") from None
        return str(yaml.safe_dump(config, sort_keys=False))
    return json.dumps(config, indent=2) + "\n"


def _write_text(text: str, output: str | None) -> None:
    if not output or output == "-":
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {output!r}: {exc.strerror or exc}") from None


# -- diff ----------------------------------------------------------------------------------


def first_difference(a: Any, b: Any, last: int) -> int | None:
    """The first integer step in ``0 .. last`` at which ``a`` and ``b`` give different
    learning rates (Python floats, compared exactly), or None.

    Every step is evaluated (a difference may come and go, so bisection could miss
    the first one).

    >>> import lrkit
    >>> first_difference(lrkit.CosineDecay(1.0, 100), lrkit.CosineDecay(1.0, 100), 200)
    >>> first_difference(lrkit.Constant(1.0), lrkit.PiecewiseConstantDecay([7], [1.0, 0.5]), 20)
    8
    """
    for t in range(last + 1):
        if a(t) != b(t):
            return t
    return None


def _diff(args: argparse.Namespace) -> int:
    from lrkit.boundaries import horizon

    items = []
    for spec in (args.spec_a, args.spec_b):
        schedule, kind = load_source(spec)
        items.append((_label(spec, schedule, kind), bound(schedule, args)))
    (_, a), (_, b) = items
    last = _positive(args.steps, "--steps")
    if last is None:
        found = [h for h in (horizon(s) for _, s in items) if h]
        last = max(int(-(-h // 1)) for h in found) + 1 if found else 10_000
    if last > 10**8:
        raise UsageError(f"--steps {last} is more than 10**8 steps to compare")
    first = first_difference(a, b, last)
    if args.format == "json":
        json.dump(
            {
                "a": repr(a),
                "b": repr(b),
                "last_step": last,
                "first_difference": first,
                "a_learning_rate": None if first is None else a(first),
                "b_learning_rate": None if first is None else b(first),
            },
            sys.stdout,
        )
        sys.stdout.write("\n")
    else:
        out = sys.stdout
        out.write(f"a: {a!r}\nb: {b!r}\n")
        if first is None:
            out.write(f"the same learning rate at every step 0..{last}\n")
        else:
            out.write(f"first difference at step {first} (steps 0..{last} compared)\n")
            steps = sorted(
                {
                    max(first - 1, 0),
                    first,
                    first + 1,
                    *(first + (last - first) * k // 4 for k in range(1, 5)),
                }
            )
            width = max(len("step"), *(len(str(t)) for t in steps))
            out.write(f"{'step':>{width}}  {'a':>20}  {'b':>20}\n")
            out.writelines(f"{t:>{width}}  {a(t):>20.15g}  {b(t):>20.15g}\n" for t in steps)
    if args.output or args.terminal:
        args.steps = str(last)
        _draw(items, args)
    return 0 if first is None else 1


# -- list ------------------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> None:
    from lrkit.core import registry
    from lrkit.spec import signature_text

    rows = []
    for key, cls in sorted(registry.known().items(), key=lambda kv: kv[0].lower()):
        module = registry.serial_info(cls)[0]
        rows.append(
            {
                "name": key,
                "signature": signature_text(cls),
                "description": summary(cls),
                "module": module,
            }
        )
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        sys.stdout.write(f"{row['signature']}\n    {row['description']}\n")


def summary(cls: type) -> str:
    """The first paragraph of a class's docstring, in plain text (no reST or LaTeX).

    >>> import lrkit
    >>> summary(lrkit.Constant)
    'The same rate at every step: η(t) = η_0.'
    """
    import re

    doc = (cls.__doc__ or "").strip()
    first = doc.split("\n\n", 1)[0]
    text = " ".join(first.split())
    text = re.sub(r":\w+:`([^`]*)`", r"\1", text).replace("``", "")
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _TEX.get(m.group(1), m.group(1)), text)
    text = text.replace("\\,", " ").replace("\\;", " ").replace("\\ ", " ")
    return " ".join(text.split()) or "(no description)"


_TEX = {
    "eta": "η",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "lambda": "λ",
    "pi": "π",
    "sum": "∑",
    "prod": "∏",
    "cdot": "·",
    "times": "×",
    "le": "≤",
    "ge": "≥",
    "infty": "∞",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "left": "",
    "right": "",
    "tfrac": "frac",
}


# -- the parser ------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Reports a usage mistake in one line, ``lrkit: error: ...``, with status 2."""

    def error(self, message: str) -> NoReturn:
        if "required: COMMAND" in message:
            message = f"{message}; commands: {', '.join(COMMANDS)}"
        hint = f" (see '{self.prog} --help')"
        self.exit(2, f"lrkit: error: {message}{hint}\n")


_SPEC_HELP = (
    "a schedule expression, e.g. 'CosineDecay(0.1, 10000, warmup_target=1.0, "
    "warmup_steps=500)', or a file: .keras, a Keras or Model Garden JSON/YAML config, "
    "an lrkit JSON file; optax's functions ('optax.linear_schedule(1.0, 0.0, 100)') and "
    "transformers' scheduler names ('transformers.cosine(learning_rate=1e-3, "
    "num_warmup_steps=100, num_training_steps=1000)') are read too"
)


def _plot_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("-o", "--output", help=f"write the plot of {what} to this .png, .svg or .pdf")
    p.add_argument(
        "--terminal", action="store_true", help="draw in the terminal too (the default without -o)"
    )
    p.add_argument("--log-y", action="store_true", help="logarithmic learning-rate axis")
    p.add_argument("--title", help="the plot's title")
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colours in the terminal plot (auto: when writing to a terminal)",
    )


def _parser() -> argparse.ArgumentParser:
    from lrkit._version import __version__

    parser = _Parser(
        prog="lrkit", description="Look at a learning-rate schedule before training with it."
    )
    parser.add_argument("--version", action="version", version=f"lrkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plot = sub.add_parser(
        "plot",
        help="plot schedules (to a file with -o, else in the terminal)",
        description="Plot one or more schedules, overlaid, with phase boundaries marked.",
    )
    plot.add_argument("specs", nargs="+", metavar="SPEC", help=_SPEC_HELP)
    plot.add_argument("--steps", help="the last step plotted (default: where the schedules end)")
    _run_options(plot)
    _plot_options(plot, "the schedules")
    _metrics_options(plot)
    plot.set_defaults(run=_plot)

    show = sub.add_parser("show", help="print a schedule's learning rate at given steps")
    show.add_argument("spec", metavar="SPEC", help=_SPEC_HELP)
    show.add_argument(
        "--at", default="0,100,1000,10000", help="comma-separated steps (default: 0,100,1000,10000)"
    )
    show.add_argument("--every", help="print every N steps up to --steps")
    show.add_argument("--steps", help="last step for --every (default: 10000)")
    show.add_argument("--format", choices=("table", "csv", "json"), default="table")
    _metrics_options(show)
    _run_options(show)
    show.set_defaults(run=_show)

    inspect = sub.add_parser(
        "inspect",
        help="tell what schedule a file holds (.keras, Keras, Model Garden, lrkit)",
        description="Print the schedule a file holds, its phases and a few values.",
    )
    inspect.add_argument("file", metavar="FILE", help=_SPEC_HELP)
    inspect.add_argument("--at", help="comma-separated steps to print (default: a few)")
    inspect.add_argument("--steps", help="the last step shown or plotted (default: its end)")
    inspect.add_argument("--format", choices=("table", "json"), default="table")
    _run_options(inspect)
    _plot_options(inspect, "the schedule")
    inspect.set_defaults(run=_inspect)

    convert = sub.add_parser(
        "convert",
        help="write a schedule in another format",
        description="Write the schedule a file or SPEC holds as Keras's serialized form, "
        "a Model Garden optimization config, an lrkit JSON file, or an lrkit SPEC expression "
        "(--to spec: e.g. of an optax or transformers SPEC).",
    )
    convert.add_argument("file", metavar="FILE", help=_SPEC_HELP)
    convert.add_argument("--to", required=True, choices=("keras", "model-garden", "lrkit", "spec"))
    convert.add_argument("-o", "--output", help="write to this file (default: standard output)")
    convert.set_defaults(run=_convert)

    diff = sub.add_parser(
        "diff",
        help="where two schedules first differ (exit status 1 if they do)",
        description="Compare two schedules step by step, up to --steps (default: the "
        "later end of the two): the first step at which they differ, as numbers, and "
        "as a plot with -o or --terminal. Exit status 0 if they agree, 1 if not.",
    )
    diff.add_argument("spec_a", metavar="SPEC_A", help=_SPEC_HELP)
    diff.add_argument("spec_b", metavar="SPEC_B", help="the other schedule, as SPEC_A")
    diff.add_argument("--steps", help="the last step compared (default: the later end)")
    diff.add_argument("--format", choices=("table", "json"), default="table")
    _run_options(diff)
    _plot_options(diff, "both schedules")
    diff.set_defaults(run=_diff)

    listing = sub.add_parser("list", help="every schedule, with its signature")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(run=_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command; returns the exit status (2 for a user mistake)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()
    except (UsageError, OverflowError) as exc:
        print(f"lrkit: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`lrkit list | head`): say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    return status if isinstance(status, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
