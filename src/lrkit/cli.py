"""The ``lrkit`` command: look at a schedule before training with it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from lrkit.base import LearningRateSchedule


class UsageError(Exception):
    """A user mistake: reported in one line, exit status 2."""


def load(spec: str) -> LearningRateSchedule:
    """A schedule from a SPEC expression or from a JSON file of its serialized form."""
    from lrkit.spec import SpecError, parse_spec

    if spec.lstrip().endswith(")") or "(" in spec:
        try:
            return parse_spec(spec)
        except (SpecError, ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from None
    return _load_file(spec)


def _load_file(path: str) -> LearningRateSchedule:
    from lrkit.serialization import deserialize

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"no such file, and not a schedule expression: {path!r}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {path!r}: {exc}") from None
    try:
        return deserialize(data)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path}: {exc}") from None


def _steps(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        try:
            value = int(part)
        except ValueError:
            try:
                as_float = float(part)
            except ValueError:
                raise UsageError(
                    f"--at takes whole steps separated by commas; got {part!r}"
                ) from None
            if not as_float.is_integer():
                raise UsageError(f"--at takes whole steps; got {part!r}") from None
            value = int(as_float)
        if value < 0:
            raise UsageError(f"steps must be >= 0; got {value}")
        out.append(value)
    return out


def _show(args: argparse.Namespace) -> None:
    schedule = load(args.spec)
    if args.every is not None:
        if args.every <= 0:
            raise UsageError("--every must be > 0")
        steps = list(range(0, args.steps + 1, args.every))
    else:
        steps = _steps(args.at)
    rows = [(s, schedule(s)) for s in steps]
    out = sys.stdout
    if args.format == "json":
        json.dump(
            {
                "schedule": repr(schedule),
                "steps": [s for s, _ in rows],
                "learning_rate": [v for _, v in rows],
            },
            out,
        )
        out.write("\n")
    elif args.format == "csv":
        out.write("step,learning_rate\n")
        out.writelines(f"{s},{v!r}\n" for s, v in rows)
    else:
        out.write(f"{schedule!r}\n")
        width = max(len("step"), *(len(str(s)) for s, _ in rows)) if rows else 4
        out.write(f"{'step':>{width}}  learning_rate\n")
        out.writelines(f"{s:>{width}}  {v:.12g}\n" for s, v in rows)


def _parser() -> argparse.ArgumentParser:
    from lrkit._version import __version__

    parser = argparse.ArgumentParser(
        prog="lrkit", description="Look at a learning-rate schedule before training with it."
    )
    parser.add_argument("--version", action="version", version=f"lrkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print a schedule's learning rate at given steps")
    show.add_argument(
        "spec",
        help="a schedule expression, e.g. 'CosineDecay(0.1, 10000)', "
        "or a JSON file of a serialized schedule",
    )
    show.add_argument(
        "--at", default="0,100,1000,10000", help="comma-separated steps (default: 0,100,1000,10000)"
    )
    show.add_argument("--every", type=int, help="print every N steps up to --steps")
    show.add_argument("--steps", type=int, default=10000, help="last step for --every")
    show.add_argument("--format", choices=("table", "csv", "json"), default="table")
    show.set_defaults(run=_show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command; returns the exit status (2 for a user mistake)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except UsageError as exc:
        print(f"lrkit: error: {exc}", file=sys.stderr)
        return 2
    except OverflowError as exc:
        print(f"lrkit: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
