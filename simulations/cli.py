"""``python -m simulations SCENARIO [options]``: run one scenario and print
its figures (a table, or ``--json``), optionally drawing a PNG (``--plot``).

Standard output depends only on the arguments and the seed: the same
command prints the same bytes. What the run cost this machine (wall time,
events per second, peak memory) goes to standard error, or into the JSON
with ``--perf``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .engine import EventLoop, SimulationError
from .messages import Messages, WorkCache, cache_from_env
from .scenarios import Scenario, all_scenarios, option, positive_int

EPILOG = """\
examples:
  python -m simulations propagation --nodes 10000 --seed 1 --plot prop.png
  python -m simulations churn --nodes 1000 --churn 0.3 --json
  python -m simulations spam --mode flood --spammers 0.02
  python -m simulations market --nodes 1000 --vendors 40
  python -m simulations model-check --nodes 30
  python -m simulations anonymity --nodes 1000 --spies 0.05,0.2
  python -m simulations network-bench --nodes 10 --fit-p50-ms 13.4 --draws 10
  python -m simulations reputation --seed 1 --no-attacks

Real signed messages are used throughout; their proof of work is minted
once and remembered in simulations/.cache/ (INTENTCAST_SIM_CACHE=DIR to
move it, empty to keep it in memory only). See docs/simulations.md.
"""


def png_path(text: str) -> str:
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"{text!r}: the plot is a PNG; name it FILE.png")
    parent = Path(text).parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: directory {str(parent)!r} does not exist")
    return text


def build_parser(scenarios: Sequence[Scenario]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulations",
        description="Deterministic discrete-event simulation of the intentcast network: "
        "real protocol and matching code on thousands of simulated nodes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="scenario", metavar="SCENARIO", required=True)
    for s in scenarios:
        p = sub.add_parser(
            s.name,
            help=s.help,
            description=s.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        out = p.add_argument_group("run and output")
        option(
            out,
            "--seed",
            positive_int,
            1,
            "S",
            "seed of the run: the same seed gives the same output",
        )
        out.add_argument("--json", action="store_true", help="print the result as JSON")
        out.add_argument("--plot", type=png_path, metavar="FILE.png", help="draw a figure")
        out.add_argument(
            "--perf",
            action="store_true",
            help="add wall time, events per second and peak memory to the JSON",
        )
        s.add_arguments(p)
    return parser


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / 2**20, 1)


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    scenarios = {s.name: s for s in all_scenarios()}
    parser = build_parser(list(scenarios.values()))
    args = parser.parse_args(argv)
    scenario = scenarios[args.scenario]
    work = WorkCache(cache_from_env())
    started = time.perf_counter()
    try:
        result = scenario.run(args, work)
    except (SimulationError, ValueError) as exc:
        parser.exit(1, f"error: {exc}\n")
    finally:
        work.save()
    wall = time.perf_counter() - started
    loop_s, events = EventLoop.wall_seconds, EventLoop.events_run
    asked, calls = Messages.asked_in_process, Messages.calls_in_process
    per_call = Messages.seconds_in_process / calls if calls else 0.0
    perf = {
        "wall_s": round(wall, 2),
        "event_loop_s": round(loop_s, 2),
        "events": events,
        "events_per_s": round(events / loop_s) if loop_s > 0 else None,
        "peak_memory_mb": peak_memory_mb(),
        "work_minted": work.minted,
        "work_mint_s": round(work.mint_seconds, 2),
        # The verdict memo: validations the nodes asked for, real calls
        # made, and the time the other calls would have cost at the
        # measured mean.
        "validations_asked": asked,
        "validate_calls": calls,
        "validate_us_per_call": round(per_call * 1e6, 1),
        "validate_saved_s": round((asked - calls) * per_call, 1),
    }
    if args.plot:
        scenario.plot(result, args.plot)
    shown = {**result, "perf": perf} if args.perf else result
    if args.json:
        json.dump(shown, out, indent=2, sort_keys=False)
        out.write("\n")
    else:
        out.write(render(shown))
    out.flush()
    print("perf: " + ", ".join(f"{k} {v}" for k, v in perf.items()), file=sys.stderr)
    return 0


def render(result: Mapping[str, Any]) -> str:
    """An aligned table of every figure (long lists left out: use --json)."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif not (isinstance(value, list) and len(value) > 8):
            pairs.append((prefix, _show(value)))

    walk("", result)
    width = max((len(k) for k, _ in pairs), default=0)
    return "".join(f"{k:<{width}}  {v}\n" for k, v in pairs)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if value is None:
        return "-"
    return str(value)
