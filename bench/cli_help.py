"""Benchmark: how long `pmsbot --help` takes, a fresh process each time, against the bare interpreter starting.

    python -m bench.cli_help [--rounds 7] [--results PATH] [--quick]

Rounds alternate the two (A, B, A, B...): `pmsbot --help` as installed (the console script beside this Python),
and `python -c pass`, what any Python command costs before its first import. Printed: medians and spreads, and
the ratio; goal of issue 21: `pmsbot --help` under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.table import Result, add_results

GOAL_S = 0.5
ROOT = Path(__file__).resolve().parent.parent


def pmsbot_help() -> list[str]:
    script = Path(sys.executable).parent / "pmsbot"
    return [str(script), "--help"] if script.exists() else [sys.executable, "-m", "bot.cli", "--help"]


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--results", help="append the row of `make bench`'s table here (bench/table.py)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 rounds")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    command, bare = pmsbot_help(), [sys.executable, "-c", "pass"]
    timed(command)  # warm the page cache and the bytecode once, as any second run finds them
    runs: list[float] = []
    peer: list[float] = []
    for _ in range(rounds):
        runs.append(timed(command))
        peer.append(timed(bare))
    median, peer_median = statistics.median(runs), statistics.median(peer)
    print(f"pmsbot --help {median:.2f} s ({min(runs):.2f}-{max(runs):.2f}); python -c pass {peer_median:.3f} s "
          f"({min(peer):.3f}-{max(peer):.3f}); {rounds} alternating rounds; goal < {GOAL_S:g} s: "
          f"{'met' if median < GOAL_S else 'MISSED'}")
    add_results(args.results, [Result(
        row="`pmsbot --help`", measured=f"{median:.2f} s ({min(runs):.2f}-{max(runs):.2f}), median of {rounds}",
        peer=f"python -c pass {peer_median:.3f} s", ratio=round(median / peer_median, 1), goal=f"< {GOAL_S:g} s",
        met=median < GOAL_S, figures={"runs_s": runs, "peer_runs_s": peer})])


if __name__ == "__main__":
    main()
