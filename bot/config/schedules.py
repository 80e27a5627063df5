"""What runs on a schedule: `standups:`, `risk_alerts:`, and `calendars:` (days the holiday library lacks)."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from bot.config.errors import RefError
from bot.config.fields import StrictModel, TimezoneName
from bot.config.projects import ChannelConfig
from bot.records import Thresholds
from bot.schedule.calendar import NO_CALENDAR, supported_countries
from bot.schedule.maths import parse_days

_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _check_hhmm(value: Any) -> Any:
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 09:30 as the number 570
        raise ValueError('write the time in quotes, like "09:30" (unquoted, YAML reads it as a number)')
    if isinstance(value, str) and not _HHMM_RE.match(value):
        raise ValueError(f"'{value}' is not a time: write HH:MM on a 24-hour clock, quoted, like \"09:30\"")
    return value


HHMM = Annotated[str, BeforeValidator(_check_hhmm)]


def _check_calendar(value: str) -> str:
    code = value if value == NO_CALENDAR else value.upper()
    if code != NO_CALENDAR and code not in supported_countries():
        near = difflib.get_close_matches(code, sorted(supported_countries()), n=3)
        raise ValueError(f"unknown calendar '{value}': use a country code such as CN, US, DE"
                         f"{' (did you mean ' + ', '.join(near) + '?)' if near else ''}, or none")
    return code


CalendarCode = Annotated[str, AfterValidator(_check_calendar)]


class StandupConfig(StrictModel):
    name: str = Field(min_length=1)
    project: str
    members: tuple[str, ...] = ()
    at: HHMM
    timezone: TimezoneName | None = None
    days: str | tuple[str, ...] = "workdays"
    calendar: CalendarCode = "CN"
    deadline: HHMM | None = None
    report_to: tuple[ChannelConfig, ...] = ()
    questions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    missed: Literal["catch_up", "skip"] = "catch_up"  # a prompt due while no clock ran: send it late, or not
    remind_at: HHMM | None = None  # default: 30 minutes before the deadline

    @field_validator("days")
    @classmethod
    def _days(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        parse_days(value)
        return value

    def at_time(self) -> time:
        return time.fromisoformat(self.at)

    def deadline_time(self) -> time | None:
        return time.fromisoformat(self.deadline) if self.deadline else None

    def reminder_time(self) -> time | None:
        """When those who have not answered are reminded: `remind_at`, else half an hour before the deadline."""
        if self.remind_at:
            return time.fromisoformat(self.remind_at)
        deadline = self.deadline_time()
        if deadline is None:
            return None
        minutes = max(deadline.hour * 60 + deadline.minute - 30, self.at_time().hour * 60 + self.at_time().minute)
        return None if minutes == self.at_time().hour * 60 + self.at_time().minute else time(minutes // 60, minutes % 60)

    @model_validator(mode="after")
    def _window(self) -> StandupConfig:
        if not self.members:
            raise RefError(("members",), "a standup needs at least one member")
        start, deadline = self.at_time(), self.deadline_time()
        if deadline is not None and deadline <= start:
            raise RefError(("deadline",), f"the deadline {self.deadline} must be after the start {self.at}")
        reminder = time.fromisoformat(self.remind_at) if self.remind_at else None
        if reminder is not None and (reminder <= start or (deadline is not None and reminder >= deadline)):
            raise RefError(("remind_at",), f"remind_at {self.remind_at} must fall between {self.at} and the deadline")
        return self


RiskRuleName = Literal["overdue", "blocked", "behind", "stale", "milestone", "budget", "integration"]
# Which knobs each rule takes (commands/risk.py has their meaning and defaults).
RISK_RULE_KEYS: dict[str, frozenset[str]] = {
    "overdue": frozenset(), "blocked": frozenset(), "behind": frozenset({"days", "margin_percent", "min_percent"}),
    "stale": frozenset({"days"}), "milestone": frozenset({"days", "margin_percent"}),
    "budget": frozenset({"share", "margin_percent"}), "integration": frozenset({"min_rate", "window_h", "min_calls"}),
}


class RiskRuleConfig(StrictModel):
    days: int | None = Field(default=None, ge=0, le=365)
    margin_percent: int | None = Field(default=None, ge=0, le=100)
    min_percent: int | None = Field(default=None, ge=0, le=100)
    share: Decimal | None = Field(default=None, gt=0, le=10)  # of the budget spent
    min_rate: float | None = Field(default=None, gt=0, le=1)
    window_h: float | None = Field(default=None, gt=0, le=24 * 30)
    min_calls: int | None = Field(default=None, ge=1, le=1_000_000)


class RiskAlertConfig(StrictModel):
    """A daily risk scan of one project, sent to its channels (or its PMs) without repeating itself.

    `rules` is a list of rule names (their default thresholds) or a mapping of rule name to its thresholds.
    """

    project: str
    at: HHMM = "09:00"
    calendar: CalendarCode = "CN"
    rules: dict[RiskRuleName, RiskRuleConfig] = Field(default_factory=lambda: {
        r: RiskRuleConfig() for r in ("overdue", "blocked", "behind", "stale", "milestone", "budget", "integration")})
    cooldown_h: float = Field(default=24.0, gt=0, le=24 * 30)  # an open alert is repeated at most this often
    digest: bool = False  # one message listing the scan's new alerts instead of one card each

    @field_validator("rules", mode="before")
    @classmethod
    def _rules(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return {name: {} for name in value}
        if isinstance(value, dict):
            for name, knobs in value.items():
                extra = set(knobs or {}) - RISK_RULE_KEYS.get(str(name), frozenset(set(knobs or {})))
                if extra:
                    allowed = ", ".join(sorted(RISK_RULE_KEYS[str(name)])) or "no settings"
                    raise ValueError(f"rule {name} does not take {', '.join(sorted(extra))} (it takes {allowed})")
            return {name: knobs or {} for name, knobs in value.items()}
        return value

    def thresholds(self) -> Thresholds:
        base = Thresholds()
        r = self.rules
        values: dict[str, Any] = {}
        for rule, knob, attr in (("behind", "days", "behind_days"), ("behind", "margin_percent", "behind_margin_percent"),
                                 ("behind", "min_percent", "behind_min_percent"), ("stale", "days", "stale_days"),
                                 ("milestone", "days", "milestone_days"),
                                 ("milestone", "margin_percent", "milestone_margin_percent"),
                                 ("budget", "share", "budget_share"), ("budget", "margin_percent", "budget_margin_percent"),
                                 ("integration", "min_rate", "integration_min_rate"),
                                 ("integration", "window_h", "integration_window_h"),
                                 ("integration", "min_calls", "integration_min_calls")):
            chosen = getattr(r[rule], knob) if rule in r else None
            if chosen is not None:
                values[attr] = chosen
        return replace(base, **values)

    def at_time(self) -> time:
        return time.fromisoformat(self.at)


class CalendarConfig(StrictModel):
    """Days the holiday library does not know yet, e.g. next year's 调休 before the library updates."""

    extra_workdays: tuple[date, ...] = ()
    extra_holidays: tuple[date, ...] = ()
