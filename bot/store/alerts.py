"""Risk alerts sent to projects: when each may be sent again, acknowledged or snoozed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.store.models import AlertRow
from bot.store.repository import InTransaction


class Alerts(InTransaction):
    async def alerts_to_send(self, project: str, found: list[tuple[str, str]], *, now: datetime,
                             cooldown: timedelta) -> list[tuple[int, str, str]]:
        """Record the risks found now; returns (alert id, rule, subject) of those to send now.

        New risks are sent; open ones again after the cooldown; snoozed ones when the snooze ends;
        acknowledged ones never, until the risk goes away and comes back (its row is then removed).
        """
        rows = {(r.rule, r.subject): r for r in (await self._s.execute(
            select(AlertRow).where(col(AlertRow.project_key) == project))).scalars()}
        out: list[tuple[int, str, str]] = []
        for rule, subject in found:
            row = rows.pop((rule, subject), None)
            if row is None:
                row = AlertRow(project_key=project, rule=rule, subject=subject, first_at=now)
                self._s.add(row)
            elif row.state == "acked" or (row.state == "snoozed" and row.snoozed_until is not None and row.snoozed_until > now) or (row.state == "open" and row.last_sent_at is not None and row.last_sent_at + cooldown > now):
                continue
            row.state, row.snoozed_until, row.last_sent_at = "open", None, now
            await self._s.flush()
            assert row.id is not None
            out.append((row.id, rule, subject))
        for gone in rows.values():  # resolved: if it comes back it is news again
            await self._s.delete(gone)
        return out

    async def decide_alert(self, alert_id: int, *, by: str, action: str, until: datetime | None
                           ) -> tuple[str, str, str] | None:
        """Acknowledge or snooze; returns (project, rule, subject), or None for an unknown alert."""
        row = await self._s.get(AlertRow, alert_id)
        if row is None:
            return None
        row.state = "acked" if action == "ack" else "snoozed"
        row.snoozed_until = until
        row.decided_by = by
        return row.project_key, row.rule, row.subject
