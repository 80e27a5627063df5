"""The `Config` model tying the sections together, and the checks that span sections (references by id)."""

from __future__ import annotations

import difflib
from typing import get_args

from pydantic import Field, model_validator

from bot import constants
from bot.config.approvals import ApprovalChainsConfig
from bot.config.dingtalk_events import DingTalkEventsConfig
from bot.config.errors import RefError
from bot.config.fields import Locale, StrictModel, TimezoneName
from bot.config.hooks import SourceConfig
from bot.config.identity import DirectoryConfig, SsoConfig
from bot.config.people import PersonConfig, Role
from bot.config.pms import ConnectorsConfig
from bot.config.portfolio import PortfolioConfig
from bot.config.privacy import RetentionConfig
from bot.config.projects import ProjectConfig, RolloutConfig
from bot.config.schedules import CalendarConfig, RiskAlertConfig, StandupConfig
from bot.schedule.calendar import WorkCalendar


class Config(StrictModel):
    locale: Locale = "zh"
    timezone: TimezoneName = constants.DEFAULT_TIMEZONE
    people: tuple[PersonConfig, ...] = ()
    projects: tuple[ProjectConfig, ...] = ()
    standups: tuple[StandupConfig, ...] = ()
    calendars: dict[str, CalendarConfig] = Field(default_factory=dict)
    risk_alerts: tuple[RiskAlertConfig, ...] = ()
    connectors: ConnectorsConfig = ConnectorsConfig()  # settings of the remote PMSs beyond their credentials
    sources: tuple[SourceConfig, ...] = ()  # other systems' webhooks and exports (bot/hooks/)
    rollout: dict[str, RolloutConfig] = Field(default_factory=dict)  # feature -> where it is on (see FEATURES)
    portfolio: PortfolioConfig = PortfolioConfig()  # history snapshots and the PMO's weekly digest
    directory: DirectoryConfig = DirectoryConfig()  # people from LDAP / the chat platforms' address books
    sso: SsoConfig | None = None  # OpenID Connect for /admin and the dashboards
    approval_chains: ApprovalChainsConfig = ApprovalChainsConfig()
    retention: RetentionConfig = RetentionConfig()
    dingtalk_events: DingTalkEventsConfig | None = None  # DingTalk's encrypted HTTP event push

    def feature_on(self, feature: str, project: str) -> bool:
        """Whether a feature with a `rollout:` entry is on for this project (features without one are on)."""
        rollout = self.rollout.get(feature)
        if rollout is None:
            return True
        department = next((p.department for p in self.projects if p.key == project), None)
        return rollout.allows(project, department)

    def work_calendar(self, code: str) -> WorkCalendar:
        extra = self.calendars.get(code) or self.calendars.get(code.lower()) or CalendarConfig()
        return WorkCalendar(country=code, extra_workdays=frozenset(extra.extra_workdays),
                            extra_holidays=frozenset(extra.extra_holidays))

    @model_validator(mode="after")
    def _references(self) -> Config:
        _unique([p.id for p in self.people], "people", "id")
        owner: dict[tuple[str, str], str] = {}
        for i, someone in enumerate(self.people):
            for platform, external in someone.identities.items():
                if (platform, external) in owner:
                    raise RefError(("people", i, "identities", platform),
                                    f"{platform} id '{external}' already belongs to '{owner[platform, external]}'")
                owner[platform, external] = someone.id
        _unique([p.key for p in self.projects], "projects", "key")
        ids = [p.id for p in self.people]
        known = set(ids)
        for i, project in enumerate(self.projects):
            for field_name in ("members", "approvers", "backup_approvers"):
                for j, person in enumerate(getattr(project, field_name)):
                    if person not in known:
                        raise RefError(("projects", i, field_name, j), _unknown("person", person, ids))
        keys = [p.key for p in self.projects]
        for i, someone in enumerate(self.people):
            if someone.manager is not None and (someone.manager not in known or someone.manager == someone.id):
                raise RefError(("people", i, "manager"), _unknown("person", someone.manager, ids)
                               if someone.manager != someone.id else "a person cannot be their own manager")
        self.approval_chains.check(known, set(keys), get_args(Role))
        departments = sorted({p.department for p in self.projects if p.department})

        def check_rollout(rollout: RolloutConfig, where: tuple[str | int, ...]) -> None:
            for j, key in enumerate(rollout.projects):
                if key not in keys:
                    raise RefError((*where, "projects", j), _unknown("project", key, keys))
            for j, name in enumerate(rollout.departments):  # a typo would quietly switch it off everywhere
                if name not in departments:
                    raise RefError((*where, "departments", j), _unknown("department", name, departments))
        for feature, rollout in self.rollout.items():
            if feature not in constants.FEATURES:
                raise RefError(("rollout", feature), f"unknown feature '{feature}' (features: "
                                                      f"{', '.join(constants.FEATURES)})")
            check_rollout(rollout, ("rollout", feature))
        _unique([s.name for s in self.sources], "sources", "name")
        for i, source in enumerate(self.sources):
            check_rollout(source.rollout, ("sources", i, "rollout"))
        for j, person in enumerate(self.portfolio.pmo):
            if person not in known:
                raise RefError(("portfolio", "pmo", j), _unknown("person", person, ids))
        for i, alert in enumerate(self.risk_alerts):
            if alert.project not in keys:
                raise RefError(("risk_alerts", i, "project"), _unknown("project", alert.project, keys))
        for i, standup in enumerate(self.standups):
            if standup.project not in keys:
                raise RefError(("standups", i, "project"), _unknown("project", standup.project, keys))
            for j, person in enumerate(standup.members):
                if person not in known:
                    raise RefError(("standups", i, "members", j), _unknown("person", person, ids))
        return self


def _unknown(kind: str, value: str, known: list[str]) -> str:
    near = difflib.get_close_matches(value, known, n=1)
    hint = f"; did you mean '{near[0]}'?" if near else f" (known: {', '.join(known) or 'none'})"
    return f"unknown {kind} '{value}'{hint}"


def _unique(values: list[str], section: str, key: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise RefError((section, i, key), f"duplicate {key} '{value}'")
        seen.add(value)
