"""Standup verbs: an answer (today's, or a late one for a past day), skip, away, stats, my last answers, a PM's
schedule change. The task progress read in an answer is
offered as a proposal, written by `apply` (commands/handlers/__init__.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from bot.constants import LATE_ANSWER_MAX_DAYS, MAX_NOTE_CHARS, MY_ANSWERS_MAX
from bot.records import Action, Reply
from commands import model
from commands.handlers.access import audit, names_of
from commands.ports import CommandError, Context

_TASK_PERCENT = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9]{1,9}-[0-9]{1,6}) ?(?:[:：]|to|到|→)? ?([0-9]{1,3}) ?%")
_SECTION = re.compile(r"([1-9])\. (.*)")


def _sections(text: str) -> dict[int, str]:
    """An answer kept per question ("1. …" lines); a free answer is all question 1's."""
    lines = text.splitlines()
    found = [_SECTION.fullmatch(line) for line in lines]
    if lines and all(found):
        return {int(m.group(1)): m.group(2) for m in found if m}
    return {1: text} if text else {}


async def standup(ctx: Context, cmd: model.Standup) -> list[Reply]:
    if cmd.action == "show":
        return [Reply(kind="standup", data={"action": "show"})]
    if cmd.action == "stats":
        return await _standup_stats(ctx, cmd.days)
    if cmd.action == "mine":
        return await _my_answers(ctx)
    if cmd.action == "late":
        return await _late(ctx, cmd)
    if cmd.action == "skip" and cmd.day is not None and cmd.day != ctx.today:
        if not ctx.today < cmd.day <= ctx.today + timedelta(days=LATE_ANSWER_MAX_DAYS):
            raise CommandError("skip_day", value=cmd.day.isoformat(), days=LATE_ANSWER_MAX_DAYS)
        return await _entry(ctx, "skip", cmd.day, cmd.text)
    text = cmd.text
    if cmd.action == "answer" and cmd.question is not None:
        # One question's answer joins the others given today; a later answer to the same question replaces it.
        kind, earlier = (await ctx.workspace.standup_status([ctx.person.id], ctx.today)).get(ctx.person.id, ("", ""))
        sections = _sections(earlier) if kind == "answer" else {}
        sections[cmd.question] = text
        text = "\n".join(f"{n}. {sections[n]}" for n in sorted(sections))
        if len(text) > MAX_NOTE_CHARS:
            raise CommandError("text_too_long", field="text", length=len(text), max=MAX_NOTE_CHARS)
    day_from = cmd.away_from or ctx.today
    day_to = cmd.away_to or day_from
    if cmd.action == "away" and (day_to < day_from or day_to - day_from > timedelta(days=366)):
        raise CommandError("bad_date", value=f"{day_from}..{day_to}")
    await ctx.workspace.standup_entry(person_id=ctx.person.id, kind=cmd.action, day_from=day_from, day_to=day_to,
                                      text=text, now=ctx.now)
    await audit(ctx, f"standup.{cmd.action}", ctx.person.id, day_from=day_from.isoformat(),
                 day_to=day_to.isoformat())
    data: dict[str, Any] = {"action": cmd.action, "from": day_from.isoformat(), "to": day_to.isoformat(),
                            "text": text, "question": cmd.question, "updates": [], "proposal": None}
    actions: tuple[Action, ...] = ()
    # Task progress mentioned in the answer ("PUMP-2 60%") is offered as an update, applied only on confirmation.
    updates = {key: int(pct) for key, pct in _TASK_PERCENT.findall(cmd.text) if int(pct) <= 100}
    if cmd.action == "answer" and updates:
        payload = [{"task": key, "percent": pct} for key, pct in updates.items()]
        proposal = await ctx.workspace.create_proposal(person_id=ctx.person.id, kind="progress", payload=payload,
                                                       now=ctx.now)
        data |= {"updates": payload, "proposal": proposal}
        actions = (Action(id="apply", value=str(proposal), style="primary"),)
    return [Reply(kind="standup", data=data, actions=actions)]


async def _entry(ctx: Context, kind: str, day: date, text: str) -> list[Reply]:
    await ctx.workspace.standup_entry(person_id=ctx.person.id, kind="answer" if kind == "late" else kind,
                                      day_from=day, day_to=day, text=text, now=ctx.now)
    await audit(ctx, f"standup.{kind}", ctx.person.id, day_from=day.isoformat(), day_to=day.isoformat())
    return [Reply(kind="standup", data={"action": kind, "from": day.isoformat(), "to": day.isoformat(),
                                        "text": text, "question": None, "updates": [], "proposal": None})]


async def _late(ctx: Context, cmd: model.Standup) -> list[Reply]:
    """An answer for a past day (`standup late yesterday …`), at most LATE_ANSWER_MAX_DAYS back; today's is
    an ordinary answer, a coming day's none."""
    assert cmd.day is not None
    if cmd.day >= ctx.today:
        if cmd.day > ctx.today:
            raise CommandError("late_future", value=cmd.day.isoformat())
        return await standup(ctx, model.Standup(action="answer", text=cmd.text))
    if ctx.today - cmd.day > timedelta(days=LATE_ANSWER_MAX_DAYS):
        raise CommandError("late_too_old", value=cmd.day.isoformat(), days=LATE_ANSWER_MAX_DAYS)
    return await _entry(ctx, "late", cmd.day, cmd.text)


async def _my_answers(ctx: Context) -> list[Reply]:
    rows = await ctx.workspace.standup_answers([ctx.person.id], since=ctx.today - timedelta(days=366),
                                               until=ctx.today + timedelta(days=LATE_ANSWER_MAX_DAYS),
                                               limit=MY_ANSWERS_MAX)  # with the days skipped ahead
    return [Reply(kind="standup_answers", data={"items": [
        {"day": a.day.isoformat(), "kind": a.kind, "text": a.text} for a in rows]})]


async def standup_schedule(ctx: Context, cmd: model.StandupSchedule) -> list[Reply]:
    """A project's PM (or an admin) moves its standup's time, deadline or reminder; it stays changed across
    restarts until changed again or reset to the file's value."""
    mine = await ctx.workspace.standups_of(ctx.person.id)
    if cmd.name:
        chosen = [s for s in mine if s[0] == cmd.name]
        if not chosen:
            raise CommandError("unknown_standup", name=cmd.name, names=", ".join(s[0] for s in mine) or "-")
    elif len(mine) == 1:
        chosen = mine
    else:
        raise CommandError("which_standup", names=", ".join(s[0] for s in mine) or "-")
    name, project, _ = chosen[0]
    if not ({"pm", "admin"} & set(ctx.person.roles)):
        raise CommandError("not_pm", project=project)
    try:
        schedule = await ctx.workspace.change_standup(name, cmd.setting, cmd.value, by=ctx.person.id, now=ctx.now)
    except ValueError as exc:
        raise CommandError("bad_schedule", reason=str(exc)[:200]) from None
    await audit(ctx, "standup.schedule", name, setting=cmd.setting, value=cmd.value)
    return [Reply(kind="standup_schedule", data={**schedule, "setting": cmd.setting, "reset": cmd.value is None})]


async def _standup_stats(ctx: Context, days: int) -> list[Reply]:
    since = ctx.today - timedelta(days=days - 1)
    rows = await ctx.workspace.standup_participation(ctx.person.id, since=since, until=ctx.today)
    names = await names_of(ctx, [person for _, person, *_ in rows])
    return [Reply(kind="standup_stats", data={"days": days, "since": since.isoformat(), "rows": [
        {"standup": name, "person": names.get(person, person), "prompted": prompted, "answered": answered,
         "skipped": skipped, "missing": prompted - answered - skipped,
         "rate": round(100 * answered / prompted) if prompted else 0}
        for name, person, prompted, answered, skipped in rows]})]
