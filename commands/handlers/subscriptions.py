"""A chat's subscriptions to project changes: listed, dropped, muted for a while (ends worked out in the person's
own timezone), heard again."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.constants import MUTE_DAY_ENDS_AT, MUTE_MAX_S
from bot.records import Reply
from commands import model
from commands.handlers.access import audit, find_project, is_member
from commands.ports import CommandError, Context


def _local(ctx: Context, when: datetime) -> str:
    return when.astimezone(ZoneInfo(ctx.timezone)).isoformat(timespec="minutes")


async def subscriptions(ctx: Context, cmd: model.Subscriptions) -> list[Reply]:
    rows = await ctx.workspace.chat_subscriptions(ctx.platform, ctx.conversation)
    return [Reply(kind="subscriptions", data={"items": [
        {"project": r.project, "filter": r.filter, "off": not ctx.feature_on("subscriptions", r.project),
         "muted_until": _local(ctx, r.muted_until) if r.muted_until and r.muted_until > ctx.now else None}
        for r in rows]})]


async def unsubscribe(ctx: Context, cmd: model.Unsubscribe) -> list[Reply]:
    project = await find_project(ctx, cmd.project)
    if not is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    gone = await ctx.workspace.unsubscribe(project=project.key, platform=ctx.platform,
                                           conversation=ctx.conversation, filter=cmd.filter)
    if not gone:
        raise CommandError("not_subscribed", project=project.key)
    await audit(ctx, "unsubscribe", project.key, platform=ctx.platform, conversation=ctx.conversation,
                filter=cmd.filter, removed=gone)
    return [Reply(kind="unsubscribed", data={"project": project.key, "filter": cmd.filter or "", "removed": gone})]


def mute_end(cmd: model.Mute, *, now: datetime, timezone: str) -> datetime:
    """When the mute ends, as an aware UTC time: `for_minutes` from now, or the local day and time asked for
    (a day alone: MUTE_DAY_ENDS_AT of it; a time alone: its next coming). A local time that a DST change skips
    is read as the same wall time after the change."""
    if cmd.for_minutes is not None:
        return now + timedelta(minutes=cmd.for_minutes)
    tz = ZoneInfo(timezone)
    local_now = now.astimezone(tz)
    at = cmd.until_time or time.fromisoformat(MUTE_DAY_ENDS_AT)
    day = cmd.until_day or local_now.date()
    end = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    if cmd.until_day is None and end <= now:
        end = datetime.combine(day + timedelta(days=1), at, tzinfo=tz).astimezone(UTC)
    return end


async def mute(ctx: Context, cmd: model.Mute) -> list[Reply]:
    project = await find_project(ctx, cmd.project)
    if not is_member(ctx.person, project):
        raise CommandError("not_member", project=project.key)
    until = None if cmd.off else mute_end(cmd, now=ctx.now, timezone=ctx.timezone)
    if until is not None and until <= ctx.now:
        raise CommandError("mute_in_past", until=_local(ctx, until))
    if until is not None and (until - ctx.now).total_seconds() > MUTE_MAX_S:
        raise CommandError("mute_too_long", days=MUTE_MAX_S // 86400)
    changed = await ctx.workspace.mute(project=project.key, platform=ctx.platform, conversation=ctx.conversation,
                                       until=until)
    if not changed:
        raise CommandError("not_subscribed", project=project.key)
    await audit(ctx, "unmute" if cmd.off else "mute", project.key, platform=ctx.platform,
                conversation=ctx.conversation, until=until.isoformat() if until else None)
    return [Reply(kind="muted", data={"project": project.key, "until": _local(ctx, until) if until else None,
                                      "timezone": ctx.timezone})]
