"""`pmsbot language eval FILE`: how well the field language reads a labelled corpus (commands/evaluation.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from bot.cli.env import CliError
from commands.evaluation import Outcome, declared_projects, score

# A fixed day: the corpus's year-less dates ("12月20日") must read the same whenever it is scored.
CORPUS_DAY = "2026-06-15"


def _show(outcome: Outcome) -> str:
    return outcome if isinstance(outcome, str) else "[" + ", ".join(outcome) + "]"


def cmd_language(args: argparse.Namespace) -> int:
    """0 when no message would be written wrongly and accuracy is at least --min-accuracy; 1 otherwise."""
    from datetime import date

    path = Path(args.file)
    try:
        source = path.read_text(encoding="utf-8")
        cases = yaml.safe_load(source)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CliError(f"{path}: cannot read the corpus: {str(exc).splitlines()[0]}") from None
    if not isinstance(cases, list) or not all(isinstance(c, dict) and "text" in c and "expect" in c for c in cases):
        raise CliError(f"{path}: a corpus is a list of {{text, expect}} entries (see tests/language/README.md)")
    try:
        result = score(cases, today=date.fromisoformat(CORPUS_DAY), projects=declared_projects(source))
    except ValueError as exc:
        raise CliError(f"{path}: {exc}") from None
    for text, want, got in result.wrong_writes:
        print(f"WRONG WRITE  {text!r}\n  meant {_show(want)}\n  would {_show(got)}")
    if args.verbose:
        for text, want, got in result.other:
            print(f"not right    {text!r}\n  meant {_show(want)}\n  got   {_show(got)}")
    print(f"{path}: {result.total} messages, {result.right} right ({result.accuracy:.1%}), "
          f"{len(result.wrong_writes)} wrong writes, {result.asked} asked where a write was meant, "
          f"{result.missed} missed, {len(result.other) - result.asked - result.missed} other")
    return 0 if not result.wrong_writes and result.accuracy >= args.min_accuracy else 1
