"""The `portfolio:` section: the daily history snapshot and the weekly digest to the PMO (bot/jobs/snapshots.py,
bot/jobs/digest.py, the pages of bot/web/portfolio.py)."""

from __future__ import annotations

from pydantic import Field

from bot.config.fields import StrictModel
from bot.config.schedules import HHMM

WEEKLY_RE = r"^(mon|tue|wed|thu|fri|sat|sun) ([01][0-9]|2[0-3]):[0-5][0-9]$"


class PortfolioConfig(StrictModel):
    # Every project's figures are kept once a day at this time (the top-level timezone), for the trends.
    snapshot_at: HHMM = "06:00"
    # The people who look after all projects: each gets the weekly digest in their own language.
    pmo: tuple[str, ...] = ()
    # When the weekly digest goes to each of `pmo`: "mon 09:00" (the top-level timezone); null: never.
    digest: str | None = Field(default="mon 09:00", pattern=WEEKLY_RE)
