"""An approval chain: sequential steps, each decided by all of its people (会签, mode "all") or any one of them
(或签, mode "any"). Pure state: the store keeps it in the approval's payload and applies `decide` under the row's
lock, so each decision counts once and only from someone the current step waits for.

A step can be escalated (its `escalate_to` people become stand-ins: in an "any" step one more who may decide, in
an "all" step someone whose decision settles the step for those who have not answered) and a member can delegate
their place in it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

StepMode = Literal["any", "all"]
StepState = Literal["waiting", "pending", "approved", "rejected"]
Verdict = Literal["approved", "rejected"]
Outcome = Literal["step", "next", "approved", "rejected"]  # a decision: counted / step done / chain done / refused


class NotYours(Exception):
    """The current step does not wait for this person (not a member, already decided, or the chain is over)."""


@dataclass(frozen=True, kw_only=True)
class Step:
    name: str
    mode: StepMode
    members: tuple[str, ...]
    escalate_after_h: float | None = None
    escalate_to: tuple[str, ...] = ()
    stand_ins: tuple[str, ...] = ()  # added by escalation
    decided: tuple[tuple[str, str], ...] = ()  # (person, "approved" | "rejected"), in order
    state: StepState = "waiting"
    started_at: datetime | None = None

    def awaiting(self) -> tuple[str, ...]:
        if self.state != "pending":
            return ()
        done = {p for p, _ in self.decided}
        return tuple(dict.fromkeys(p for p in (*self.members, *self.stand_ins) if p not in done))


@dataclass(frozen=True, kw_only=True)
class Chain:
    rule: str
    steps: tuple[Step, ...]
    current: int = 0

    def step(self) -> Step | None:
        return self.steps[self.current] if self.current < len(self.steps) else None

    def awaiting(self) -> tuple[str, ...]:
        step = self.step()
        return step.awaiting() if step else ()


def start(rule: str, steps: tuple[Step, ...], now: datetime) -> Chain:
    if not steps or any(not s.members for s in steps):
        raise ValueError("every step of a chain needs someone to decide it")
    first = replace(steps[0], state="pending", started_at=now)
    return Chain(rule=rule, steps=(first, *steps[1:]), current=0)


def decide(chain: Chain, person: str, state: Verdict, now: datetime) -> tuple[Chain, Outcome]:
    step = chain.step()
    if step is None or person not in step.awaiting():
        raise NotYours(person)
    decided = (*step.decided, (person, state))
    if state == "rejected":
        return _with(chain, replace(step, decided=decided, state="rejected")), "rejected"
    approvers = {p for p, s in decided if s == "approved"}
    settled = (step.mode == "any" or person in step.stand_ins
               or all(m in approvers for m in step.members))
    if not settled:
        return _with(chain, replace(step, decided=decided)), "step"
    done = _with(chain, replace(step, decided=decided, state="approved"))
    if chain.current + 1 >= len(chain.steps):
        return replace(done, current=len(chain.steps)), "approved"
    following = replace(done.steps[chain.current + 1], state="pending", started_at=now)
    steps = list(done.steps)
    steps[chain.current + 1] = following
    return replace(done, steps=tuple(steps), current=chain.current + 1), "next"


def delegate(chain: Chain, by: str, to: str) -> Chain:
    step = chain.step()
    if step is None or by not in step.awaiting():
        raise NotYours(by)
    members = tuple(dict.fromkeys(to if m == by else m for m in step.members))
    stand_ins = tuple(dict.fromkeys(to if m == by else m for m in step.stand_ins))
    return _with(chain, replace(step, members=members, stand_ins=stand_ins))


def escalate(chain: Chain, people: tuple[str, ...]) -> Chain:
    step = chain.step()
    if step is None:
        raise NotYours("")
    extra = tuple(p for p in people if p not in step.members and p not in step.stand_ins)
    return _with(chain, replace(step, stand_ins=(*step.stand_ins, *extra)))


def _with(chain: Chain, step: Step) -> Chain:
    steps = list(chain.steps)
    steps[chain.current] = step
    return replace(chain, steps=tuple(steps))


def to_json(chain: Chain) -> dict[str, Any]:
    return {"rule": chain.rule, "current": chain.current, "steps": [
        {"name": s.name, "mode": s.mode, "members": list(s.members), "escalate_after_h": s.escalate_after_h,
         "escalate_to": list(s.escalate_to), "stand_ins": list(s.stand_ins),
         "decided": [list(d) for d in s.decided], "state": s.state,
         "started_at": s.started_at.isoformat() if s.started_at else None} for s in chain.steps]}


def from_json(data: dict[str, Any]) -> Chain:
    steps = tuple(Step(
        name=str(s["name"]), mode="all" if s["mode"] == "all" else "any", members=tuple(s["members"]),
        escalate_after_h=s.get("escalate_after_h"), escalate_to=tuple(s.get("escalate_to") or ()),
        stand_ins=tuple(s.get("stand_ins") or ()), decided=tuple((str(p), str(v)) for p, v in s.get("decided") or ()),
        state=s["state"], started_at=datetime.fromisoformat(s["started_at"]) if s.get("started_at") else None,
    ) for s in data["steps"])
    return Chain(rule=str(data["rule"]), steps=steps, current=int(data["current"]))
