"""Scoring the field language on a labelled corpus (`pmsbot language eval FILE`, tests/language/): what each
message would write, compared with what its author meant.

A case's `expect` is a list of writes (`progress A-3 80`, `hours A-3 2.5`, `done A-3`, `start A-3`, `block A-3`,
`unblock A-3`, `assign A-3`, `comment A-3`, `close A-3`, `reopen A-3`, `due A-3`, `priority A-3`, `undo`, `correct progress 60`, `correct hours 3`, `approve 12`, `reject 12`), or `ask` (nothing
written; the bot asks), or `none` (nothing written, nothing asked about a write). A wrong write is any write the
parser would make that the author did not mean; asking where a write was meant is not right, but not wrong.

A corpus may name the deployment's projects in a comment line (`# Projects: RFT API WWP`): the parser is then given
them, as the dispatcher gives it the configured projects, and a write on a task of no project is refused, as the
bot refuses it ("There is no project PT"), nothing written."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from commands import model
from commands.errors import ASK_CODES
from commands.parse import parse

Outcome = tuple[str, ...] | str  # the writes, or "ask", or "none"


def _hours(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


_PROJECTS_LINE = re.compile(r"^#\s*Projects:\s*(?P<keys>[A-Za-z0-9 ,]+)$", re.MULTILINE)


def declared_projects(source: str) -> frozenset[str] | None:
    """The projects a corpus file names in its `# Projects:` line, if it has one."""
    m = _PROJECTS_LINE.search(source)
    return frozenset(k.upper() for k in re.split(r"[ ,]+", m["keys"].strip()) if k) if m is not None else None


def outcome(result: model.Command | model.ParseError, projects: frozenset[str] | None = None) -> Outcome:
    """What a parse result would do, in the corpus's words; with `projects`, a command on a task of none of them is
    refused whole (commands/handlers/access.py), nothing written."""
    if isinstance(result, model.ParseError):  # asking for a missing reason ("驳回 #7", "A-3 卡住了": why?) is asking too
        return "ask" if result.code in ASK_CODES or (result.code == "missing_argument" and result.params.get("arg") == "reason") \
            else "none"
    if isinstance(result, model.Confirm):
        return "ask"
    writes = _writes(result)
    if projects is not None and any(len(w.split()) > 1 and "-" in w.split()[1] and w.split()[1].split("-")[0].upper()
                                    not in projects for w in writes):
        return "none"
    return _effects(tuple(writes)) if writes else "none"


def _writes(cmd: model.Command) -> list[str]:
    if isinstance(cmd, model.Several):
        return [w for item in cmd.items for w in _writes(item)]
    if isinstance(cmd, model.Report):
        return ([f"progress {cmd.task} {cmd.percent}"] if cmd.percent is not None else []) + \
            ([f"hours {cmd.task} {_hours(cmd.hours)}"] if cmd.hours is not None else [])
    if isinstance(cmd, model.Done):
        return [f"done {cmd.task}"] + ([f"hours {cmd.task} {_hours(cmd.hours)}"] if cmd.hours is not None else [])
    if isinstance(cmd, (model.Block, model.Unblock, model.Start)):
        return [f"{type(cmd).__name__.lower()} {cmd.task}"]
    if isinstance(cmd, (model.Assign, model.Comment, model.Close, model.Reopen)):
        return [f"{type(cmd).__name__.lower()} {cmd.task}"]
    if isinstance(cmd, (model.SetDue, model.SetPriority)):
        return [f"{type(cmd).__name__.lower()[3:]} {cmd.task}"]
    if isinstance(cmd, model.Undo):
        return ["undo"]
    if isinstance(cmd, model.Correct):
        return ([f"correct progress {cmd.percent}"] if cmd.percent is not None else []) + \
            ([f"correct hours {_hours(cmd.hours)}"] if cmd.hours is not None else [])
    if isinstance(cmd, model.Approve):
        return [f"approve {cmd.approval_id}"]
    if isinstance(cmd, model.Reject):
        return [f"reject {cmd.approval_id}"]
    if isinstance(cmd, (model.New, model.Request, model.Delegate, model.Link, model.Subscribe)):
        return [type(cmd).__name__.lower()]  # writes no corpus line means: counted wrong wherever they appear
    return []


def _effects(writes: tuple[str, ...]) -> tuple[str, ...]:
    """The writes as the PMS sees them: a progress above 0 starts a task that was not started (bot/pms/local.py,
    bot/pms/remote.py), so "start A-3" beside "progress A-3 10" changes nothing more and is not counted."""
    moving = {w.split()[1] for w in writes if w.startswith("progress ") and Decimal(w.split()[2]) > 0}
    return tuple(w for w in writes if not (w.startswith("start ") and w.split()[1] in moving))


def expected(expect: Any) -> Outcome:
    if isinstance(expect, str) and expect in ("ask", "none"):
        return expect
    if isinstance(expect, list) and expect and all(isinstance(e, str) for e in expect):
        return _effects(tuple(_canonical(e) for e in expect))
    raise ValueError(f"expect must be a list of writes, 'ask' or 'none', not {expect!r}")


_WRITE = re.compile(r"(?:progress|hours|done|start|block|unblock) [A-Za-z0-9]+-[0-9]+(?: [0-9.]+)?|undo"
                    r"|(?:assign|comment|close|reopen|due|priority) [A-Za-z0-9]+-[0-9]+"
                    r"|correct (?:progress|hours) [0-9.]+|(?:approve|reject) [0-9]+")


def _canonical(write: str) -> str:
    if not _WRITE.fullmatch(write.strip()):
        raise ValueError(f"{write!r} is not a write (see tests/language/README.md)")
    parts = write.split()
    if parts and parts[-1].replace(".", "", 1).isdigit() and parts[0] in ("hours", "correct"):
        parts[-1] = _hours(Decimal(parts[-1]))
    if len(parts) >= 2 and parts[0] != "correct":
        parts[1] = parts[1].upper()
    return " ".join(parts)


@dataclass
class Score:
    total: int = 0
    right: int = 0
    asked: int = 0  # a write was meant; the bot asked instead
    missed: int = 0  # a write or a question was meant; the bot did neither
    wrong_writes: list[tuple[str, Outcome, Outcome]] = field(default_factory=list)
    other: list[tuple[str, Outcome, Outcome]] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def score(cases: list[dict[str, Any]], *, today: date, projects: frozenset[str] | None = None) -> Score:
    """Parse each case's text and compare what it would do with what was meant."""
    s = Score()
    for case in cases:
        text, want = str(case["text"]), expected(case["expect"])
        got = outcome(parse(text, today=today, projects=projects), projects)
        s.total += 1
        if _same(got, want):
            s.right += 1
            continue
        got_writes = set(got) if isinstance(got, tuple) else set()
        meant = set(want) if isinstance(want, tuple) else set()
        if got_writes - meant:
            s.wrong_writes.append((text, want, got))
        else:
            s.asked += got == "ask" and isinstance(want, tuple)
            s.missed += got == "none"
            s.other.append((text, want, got))
    return s


def _same(got: Outcome, want: Outcome) -> bool:
    if isinstance(got, tuple) and isinstance(want, tuple):
        return sorted(got) == sorted(want)
    return got == want
