"""Configuration: a YAML file (PMSBOT_CONFIG) plus environment variables.

Errors name the file, the line, the key and what is wrong, so a typo is found without reading code.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, replace
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import constants
from bot.schedule.calendar import NO_CALENDAR, WorkCalendar, supported_countries
from bot.schedule.maths import parse_days
from commands.risk import Thresholds

PROJECT_KEY_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ENV_REF_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

Role = Literal["pm", "engineer", "approver", "admin"]
Locale = Literal["zh", "en"]


class Settings(BaseSettings):
    """Environment variables. A platform or PMS is on when its credentials are set."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    pmsbot_config: str = constants.DEFAULT_CONFIG_PATH
    database_url: str = constants.DEFAULT_DATABASE_URL
    host: str = constants.DEFAULT_HOST
    port: int = constants.DEFAULT_PORT
    pmsbot_public_url: str | None = None
    pmsbot_secret_key: SecretStr | None = None  # signs web links and sessions; default: generated, kept in the database
    pmsbot_admin_token: SecretStr | None = None  # logs into /admin (besides one-time links sent to admins in chat)
    pmsbot_audit_key: SecretStr | None = None  # HMAC key of the audit chain, kept outside the database
    pmsbot_audit_anchor: str | None = None  # a file the clock appends the audit chain's head to, hourly

    def audit_key(self) -> bytes | None:
        return self.pmsbot_audit_key.get_secret_value().encode() if self.pmsbot_audit_key else None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None

    feishu_app_id: str | None = None
    feishu_app_secret: SecretStr | None = None
    feishu_verification_token: SecretStr | None = None
    feishu_encrypt_key: SecretStr | None = None
    feishu_api_base: str | None = None
    feishu_long_connection: bool = False

    dingtalk_client_id: str | None = None
    dingtalk_client_secret: SecretStr | None = None
    dingtalk_robot_code: str | None = None
    dingtalk_api_base: str | None = None
    dingtalk_oapi_base: str | None = None
    dingtalk_stream: bool = False
    dingtalk_card_template_id: str | None = None
    dingtalk_alert_webhook: SecretStr | None = None
    dingtalk_alert_secret: SecretStr | None = None

    jira_url: str | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_pat: SecretStr | None = None
    redmine_url: str | None = None
    redmine_api_key: SecretStr | None = None
    zentao_url: str | None = None
    zentao_account: str | None = None
    zentao_password: SecretStr | None = None

    @model_validator(mode="after")
    def _platforms_complete(self) -> Settings:
        if self.slack_bot_token and not (self.slack_signing_secret or self.slack_app_token):
            raise ValueError("SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (Events API over HTTP) "
                             "nor SLACK_APP_TOKEN (Socket Mode) is")
        if (self.slack_signing_secret or self.slack_app_token) and not self.slack_bot_token:
            raise ValueError("Slack needs SLACK_BOT_TOKEN (xoxb-...) to answer")
        if self.slack_api_url and not self.slack_api_url.startswith(("http://", "https://")):
            raise ValueError("SLACK_API_URL must be an http(s) URL")
        if self.pmsbot_secret_key is not None and len(self.pmsbot_secret_key.get_secret_value()) < 32:
            raise ValueError("PMSBOT_SECRET_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        if self.pmsbot_audit_key is not None and len(self.pmsbot_audit_key.get_secret_value()) < 32:
            raise ValueError("PMSBOT_AUDIT_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        if self.pmsbot_admin_token is not None and len(self.pmsbot_admin_token.get_secret_value()) < 16:
            raise ValueError("PMSBOT_ADMIN_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 16`)")
        if bool(self.feishu_app_id) != bool(self.feishu_app_secret):
            raise ValueError("Feishu needs both FEISHU_APP_ID and FEISHU_APP_SECRET")
        if self.feishu_app_id and not (self.feishu_verification_token or self.feishu_encrypt_key
                                       or self.feishu_long_connection):
            raise ValueError("Feishu needs FEISHU_VERIFICATION_TOKEN or FEISHU_ENCRYPT_KEY to trust its callbacks "
                             "(or FEISHU_LONG_CONNECTION=1 to take events over the long connection only)")
        if self.feishu_api_base and not self.feishu_api_base.startswith(("http://", "https://")):
            raise ValueError("FEISHU_API_BASE must be an http(s) URL")
        if bool(self.dingtalk_client_id) != bool(self.dingtalk_client_secret):
            raise ValueError("DingTalk needs both DINGTALK_CLIENT_ID (AppKey) and DINGTALK_CLIENT_SECRET (AppSecret)")
        for name in ("dingtalk_api_base", "dingtalk_oapi_base"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name.upper()} must be an http(s) URL")
        if self.dingtalk_alert_webhook and not self.dingtalk_alert_webhook.get_secret_value().startswith(
                ("http://", "https://")):
            raise ValueError("DINGTALK_ALERT_WEBHOOK must be the custom robot's https URL with its access_token")
        return self

    def enabled_platforms(self) -> tuple[str, ...]:
        """The console is always on; an IM platform is on when its credentials are set."""
        platforms = ["console"]
        if self.slack_bot_token:
            platforms.append("slack")
        if self.feishu_app_id:
            platforms.append("feishu")
        if self.dingtalk_client_id:
            platforms.append("dingtalk")
        return tuple(platforms)


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone '{value}' (use an IANA name like Asia/Shanghai)") from exc
    return value


TimezoneName = Annotated[str, AfterValidator(_check_timezone)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonConfig(_Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=100)
    locale: Locale | None = None
    roles: tuple[Role, ...] = ()
    identities: dict[Annotated[str, Field(min_length=1, max_length=32)], Annotated[str, Field(min_length=1, max_length=128)]] = Field(default_factory=dict)
    pms_user: str | None = Field(default=None, min_length=1, max_length=100)
    timezone: TimezoneName | None = None
    email: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=100)  # for projects with `read: department`

    @field_validator("identities", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        # DingTalk staff ids are often written unquoted and load as ints.
        if isinstance(value, dict):
            return {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in value.items()}
        return value


class ChannelConfig(_Strict):
    platform: str = Field(min_length=1, max_length=32)
    id: str = Field(min_length=1, max_length=128)


class ProjectConfig(_Strict):
    key: str
    name: str = Field(min_length=1, max_length=200)
    pms: Literal["local", "jira", "redmine", "zentao"] = "local"
    pms_project: str | None = Field(default=None, max_length=100)
    members: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    channels: tuple[ChannelConfig, ...] = ()
    backup_approvers: tuple[str, ...] = ()  # asked when the approvers have not decided in escalate_after_h
    remind_after_h: float | None = Field(default=4.0, gt=0)  # remind the approvers of a pending request
    escalate_after_h: float | None = Field(default=24.0, gt=0)
    department: str | None = Field(default=None, max_length=100)  # for `rollout: {departments: [...]}`
    # Who may read the project's status, risks and dashboard in chat: its members (and approvers and admins),
    # also the people of its `department`, or everyone pmsbot knows. Changing its tasks is for members either way.
    read: Literal["members", "department", "everyone"] = "members"
    # A weekly post of the project's dashboard (link and PNG snapshot) to its channels: "mon 09:00".
    weekly_dashboard: str | None = Field(default=None, pattern=r"^(mon|tue|wed|thu|fri|sat|sun) ([01][0-9]|2[0-3]):[0-5][0-9]$")
    # Where a task of this project is seen, for links in summaries: "https://jira.example.com/browse/{key}".
    task_url: str | None = Field(default=None, max_length=300)

    @field_validator("task_url")
    @classmethod
    def _task_url(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith(("http://", "https://")) or "{key}" not in value
                                  or any(c in value for c in " <>|\"\n")):
            raise ValueError("task_url must be an http(s) URL containing {key}, like https://pms.example.com/browse/{key}")
        return value

    @model_validator(mode="after")
    def _pms_project(self) -> ProjectConfig:
        if self.pms == "zentao" and not (self.pms_project or "").isdigit():
            raise ValueError("pms_project must be the Zentao project's id (a number, as in its URL project-view-12)")
        if self.read == "department" and not self.department:
            raise ValueError("read: department needs the project's department (department: …)")
        return self

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not PROJECT_KEY_RE.match(value):
            raise ValueError("a project key is 2-10 upper-case letters or digits starting with a letter, like PUMP")
        return value


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


class StandupConfig(_Strict):
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
            raise _RefError(("members",), "a standup needs at least one member")
        start, deadline = self.at_time(), self.deadline_time()
        if deadline is not None and deadline <= start:
            raise _RefError(("deadline",), f"the deadline {self.deadline} must be after the start {self.at}")
        reminder = time.fromisoformat(self.remind_at) if self.remind_at else None
        if reminder is not None and (reminder <= start or (deadline is not None and reminder >= deadline)):
            raise _RefError(("remind_at",), f"remind_at {self.remind_at} must fall between {self.at} and the deadline")
        return self


RiskRuleName = Literal["overdue", "blocked", "behind", "stale", "milestone", "budget", "integration"]
# Which knobs each rule takes (commands/risk.py has their meaning and defaults).
RISK_RULE_KEYS: dict[str, frozenset[str]] = {
    "overdue": frozenset(), "blocked": frozenset(), "behind": frozenset({"days", "margin_percent", "min_percent"}),
    "stale": frozenset({"days"}), "milestone": frozenset({"days", "margin_percent"}),
    "budget": frozenset({"share", "margin_percent"}), "integration": frozenset({"min_rate", "window_h", "min_calls"}),
}


class RiskRuleConfig(_Strict):
    days: int | None = Field(default=None, ge=0, le=365)
    margin_percent: int | None = Field(default=None, ge=0, le=100)
    min_percent: int | None = Field(default=None, ge=0, le=100)
    share: Decimal | None = Field(default=None, gt=0, le=10)  # of the budget spent
    min_rate: float | None = Field(default=None, gt=0, le=1)
    window_h: float | None = Field(default=None, gt=0, le=24 * 30)
    min_calls: int | None = Field(default=None, ge=1, le=1_000_000)


class RiskAlertConfig(_Strict):
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


class CalendarConfig(_Strict):
    """Days the holiday library does not know yet, e.g. next year's 调休 before the library updates."""

    extra_workdays: tuple[date, ...] = ()
    extra_holidays: tuple[date, ...] = ()


class StatusNames(_Strict):
    """A PMS's status names for each neutral status. The first name is where `done`/`block`/... move a task;
    any listed name reads as that status. Names not listed read by the PMS's own category (closed = done)."""

    todo: tuple[str, ...] = Field(min_length=1)
    in_progress: tuple[str, ...] = Field(min_length=1)
    blocked: tuple[str, ...] = Field(min_length=1)
    done: tuple[str, ...] = Field(min_length=1)


class JiraConnectorConfig(_Strict):
    # A number field holding percent done ("customfield_10050"); without it, progress is time spent over
    # time spent + remaining, and a reported percent is written as a comment.
    progress_field: str | None = Field(default=None, pattern=r"^customfield_[0-9]{1,10}$")
    issue_type: str = Field(default="Task", min_length=1, max_length=60)
    statuses: StatusNames = StatusNames(todo=("To Do", "Open", "Backlog", "Selected for Development"),
                                        in_progress=("In Progress", "In Review"), blocked=("Blocked", "On Hold"),
                                        done=("Done", "Closed", "Resolved"))
    webhook_secret: SecretStr | None = None  # the admin webhook's secret: X-Hub-Signature is then required


class RedmineConnectorConfig(_Strict):
    statuses: StatusNames = StatusNames(todo=("New",), in_progress=("In Progress",), blocked=("Feedback",),
                                        done=("Closed", "Resolved"))
    activity: str = Field(default="Development", min_length=1, max_length=60)  # time entries need one
    tracker: str | None = Field(default=None, max_length=60)  # for `new`; None: the project's first tracker
    switch_user: bool = False  # the key is an admin's: write as the person (X-Redmine-Switch-User)
    poll_every_min: int = Field(default=constants.REDMINE_POLL_EVERY_MIN, ge=1, le=1440)


class ZentaoConnectorConfig(_Strict):
    # Task actions (start, finish...) are POST in current Zentao and were PUT in older 16.x/17.x releases.
    action_method: Literal["POST", "PUT"] = "POST"
    # Zentao reads the dates we send (finishedDate, realStarted) in its server's time zone; default: `timezone`.
    timezone: TimezoneName | None = None
    webhook_token: SecretStr | None = None  # required in /hooks/zentao/{token}; the webhook itself is unsigned


class ConnectorsConfig(_Strict):
    jira: JiraConnectorConfig = JiraConnectorConfig()
    redmine: RedmineConnectorConfig = RedmineConnectorConfig()
    zentao: ZentaoConnectorConfig = ZentaoConnectorConfig()


SOURCE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,24}$")
MIN_SECRET_CHARS = 16
_TEMPLATES = ImmutableSandboxedEnvironment()  # only to check templates' syntax when the file is read


def _check_secret(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < MIN_SECRET_CHARS:
        raise ValueError(f"a secret or token must be at least {MIN_SECRET_CHARS} characters (random, from the "
                         "environment: ${NAME})")
    return value


Secret = Annotated[SecretStr, AfterValidator(_check_secret)]


def _check_template(value: str) -> str:
    try:
        _TEMPLATES.parse(value)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error: {exc.message} in {value[:80]!r}") from None
    return value


def _check_expression(value: str) -> str:
    try:
        _TEMPLATES.compile_expression(value)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"expression syntax error: {exc.message} in {value[:80]!r}") from None
    return value


Template = Annotated[str, AfterValidator(_check_template)]
Expression = Annotated[str, AfterValidator(_check_expression)]
RESERVED_SOURCES = ("jira", "zentao", "redmine")  # the PMS webhooks' own /hooks/ paths


class HmacAuthConfig(_Strict):
    """HMAC-SHA256 with `secret` over the raw body (or, with `timestamp_header`, over "<timestamp>.<body>"),
    sent in `header` as `prefix` + hex (or base64) digest."""

    header: str = Field(default="X-Signature", min_length=1, max_length=100)
    secret: Secret
    prefix: str = Field(default="sha256=", max_length=20)
    encoding: Literal["hex", "base64"] = "hex"
    timestamp_header: str | None = Field(default=None, max_length=100)  # Unix seconds (or ms) of the request
    window_s: int = Field(default=300, ge=10, le=86400)  # a timestamp further from now is refused


class SourceAuthConfig(_Strict):
    hmac: HmacAuthConfig | None = None
    token: Secret | None = None  # `Authorization: Bearer <token>`, or the URL /hooks/{name}/{token}
    allow_ips: tuple[IPvAnyNetwork, ...] = ()  # on top: requests from elsewhere are refused

    @model_validator(mode="after")
    def _one(self) -> SourceAuthConfig:
        if self.hmac is None and self.token is None:
            raise ValueError("a source needs `hmac` or `token` (an IP allow-list alone is not enough)")
        return self


class UpdateTaskAction(_Strict):
    task: str  # templates: "{{ payload.task }}"
    status: str | None = None  # todo | in_progress | blocked | done
    percent: str | None = None
    hours: str | None = None
    note: str = ""


class CreateTaskAction(_Strict):
    project: str
    title: str
    assignee: str | None = None  # a person id, name or PMS user
    due: str | None = None  # YYYY-MM-DD


class CommentAction(_Strict):
    task: str
    text: str


class LogWorkAction(_Strict):
    task: str
    hours: str
    note: str = ""


class RequestApprovalAction(_Strict):
    project: str
    subject: str
    amount: str | None = None
    ref: str | None = None  # the source's own id for the request, sent back in the decision callback


class MetricAction(_Strict):
    project: str
    name: str  # e.g. budget, budget_spent (read by the budget risk rule)
    value: str


class NotifyAction(_Strict):
    project: str | None = None  # to the project's channels
    channels: tuple[ChannelConfig, ...] = ()  # and/or these
    text: str  # a template over the payload


class ActionConfig(_Strict):
    """Exactly one of these."""

    update_task: UpdateTaskAction | None = None
    create_task: CreateTaskAction | None = None
    comment: CommentAction | None = None
    log_work: LogWorkAction | None = None
    request_approval: RequestApprovalAction | None = None
    metric: MetricAction | None = None
    notify: NotifyAction | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ActionConfig:
        chosen = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(f"an action is one of {', '.join(type(self).model_fields)}; "
                             f"this one has {', '.join(chosen) or 'none'}")
        return self

    @model_validator(mode="after")
    def _templates(self) -> ActionConfig:
        def strings(value: Any) -> list[str]:
            if isinstance(value, str):
                return [value]
            if isinstance(value, dict):
                return [s for v in value.values() for s in strings(v)]
            if isinstance(value, (list, tuple)):
                return [s for v in value for s in strings(v)]
            return []
        for text in strings(self.spec.model_dump()):
            _check_template(text)
        return self

    @property
    def kind(self) -> str:
        return next(name for name in type(self).model_fields if getattr(self, name) is not None)

    @property
    def spec(self) -> _Strict:
        value = getattr(self, self.kind)
        assert isinstance(value, _Strict)
        return value


class RuleConfig(_Strict):
    name: str = Field(min_length=1, max_length=100)
    when: Expression = Field(default="true", max_length=2000)  # jinja2, over `payload` (and `row`, `file`, `line`)
    do: tuple[ActionConfig, ...] = Field(min_length=1)


class RolloutConfig(_Strict):
    """Only these projects (or the projects of these departments); empty: all."""

    projects: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def allows(self, project: str, department: str | None) -> bool:
        if not self.projects and not self.departments:
            return True
        return project in self.projects or (department is not None and department in self.departments)


class CallbackConfig(_Strict):
    url: str = Field(max_length=500)
    secret: Secret  # the POST carries X-Pmsbot-Signature: sha256=<HMAC of "<timestamp>.<body>">

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the callback url must be http(s)")
        return value


class SourceConfig(_Strict):
    name: str  # webhook: POST /hooks/{name}
    kind: Literal["webhook", "file"] = "webhook"
    auth: SourceAuthConfig | None = None  # webhook sources only (required there)
    dedupe: Template | None = Field(default=None, max_length=500)  # template of the delivery's id; default: body hash
    path: str | None = Field(default=None, max_length=500)  # file sources: a glob of CSV / XLSX files
    poll_every_min: int = Field(default=5, ge=1, le=1440)
    encoding: Literal["auto", "utf-8", "gb18030"] = "auto"  # CSV; auto: UTF-8 (with or without BOM), else GB18030
    sheet: str | None = Field(default=None, max_length=100)  # XLSX; default: the first sheet
    row_key: Template | None = Field(default=None, max_length=500)  # template naming a row: seen before = skipped
    callback: CallbackConfig | None = None  # where decisions of its approval requests are sent
    rollout: RolloutConfig = RolloutConfig()
    rules: tuple[RuleConfig, ...] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SOURCE_NAME_RE.match(value) or value in RESERVED_SOURCES:
            raise ValueError("a source name is 1-25 lower-case letters, digits, - or _, starting with a letter, "
                             f"and not {', '.join(RESERVED_SOURCES)}")
        return value

    @model_validator(mode="after")
    def _kind(self) -> SourceConfig:
        if self.kind == "webhook" and self.auth is None:
            raise ValueError("a webhook source needs `auth` (hmac or token)")
        if self.kind == "file" and not self.path:
            raise ValueError("a file source needs `path` (a glob such as /data/erp/*.xlsx)")
        return self


class Config(_Strict):
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
                    raise _RefError(("people", i, "identities", platform),
                                    f"{platform} id '{external}' already belongs to '{owner[platform, external]}'")
                owner[platform, external] = someone.id
        _unique([p.key for p in self.projects], "projects", "key")
        ids = [p.id for p in self.people]
        for i, project in enumerate(self.projects):
            for field_name in ("members", "approvers", "backup_approvers"):
                for j, person in enumerate(getattr(project, field_name)):
                    if person not in ids:
                        raise _RefError(("projects", i, field_name, j), _unknown("person", person, ids))
        keys = [p.key for p in self.projects]
        departments = sorted({p.department for p in self.projects if p.department})

        def check_rollout(rollout: RolloutConfig, where: tuple[str | int, ...]) -> None:
            for j, key in enumerate(rollout.projects):
                if key not in keys:
                    raise _RefError((*where, "projects", j), _unknown("project", key, keys))
            for j, name in enumerate(rollout.departments):  # a typo would quietly switch it off everywhere
                if name not in departments:
                    raise _RefError((*where, "departments", j), _unknown("department", name, departments))
        for feature, rollout in self.rollout.items():
            if feature not in constants.FEATURES:
                raise _RefError(("rollout", feature), f"unknown feature '{feature}' (features: "
                                                      f"{', '.join(constants.FEATURES)})")
            check_rollout(rollout, ("rollout", feature))
        _unique([s.name for s in self.sources], "sources", "name")
        for i, source in enumerate(self.sources):
            check_rollout(source.rollout, ("sources", i, "rollout"))
        for i, alert in enumerate(self.risk_alerts):
            if alert.project not in keys:
                raise _RefError(("risk_alerts", i, "project"), _unknown("project", alert.project, keys))
        for i, standup in enumerate(self.standups):
            if standup.project not in keys:
                raise _RefError(("standups", i, "project"), _unknown("project", standup.project, keys))
            for j, person in enumerate(standup.members):
                if person not in ids:
                    raise _RefError(("standups", i, "members", j), _unknown("person", person, ids))
        return self


class _RefError(ValueError):
    """A cross-reference error that knows where in the document it belongs."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _unknown(kind: str, value: str, known: list[str]) -> str:
    near = difflib.get_close_matches(value, known, n=1)
    hint = f"; did you mean '{near[0]}'?" if near else f" (known: {', '.join(known) or 'none'})"
    return f"unknown {kind} '{value}'{hint}"


def _unique(values: list[str], section: str, key: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise _RefError((section, i, key), f"duplicate {key} '{value}'")
        seen.add(value)


@dataclass(frozen=True, kw_only=True)
class ConfigProblem:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key or '(top level)'}: {self.message}"


class ConfigError(Exception):
    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: the model parses them and names the key when one is wrong
    (PyYAML's own date parsing raises a bare ValueError with no line)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_config(path: str | Path | None, *, env: dict[str, str] | None = None) -> Config:
    """Read and validate the YAML file. A missing file means the embedded default (built-in PMS)."""
    environ = dict(os.environ) if env is None else env
    if path is None:
        return Config()
    file = Path(path)
    if not file.exists():
        return Config()
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(file=name, line=None, key="", message=f"cannot read: {exc}")]) from exc
    return parse_config(text, name=name, env=environ)


def parse_config(text: str, *, name: str, env: dict[str, str]) -> Config:
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(file=name, line=line, key="", message=f"not valid YAML: {problem}")]) from exc
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(file=name, line=1, key="", message="the file must hold a mapping of keys")])
    problems: list[ConfigProblem] = []
    data = _interpolate(data, (), env, problems, name, node)
    if problems:
        raise ConfigError(problems)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            ctx = err.get("ctx") or {}
            inner = ctx.get("error")
            if isinstance(inner, _RefError):
                loc = (*loc, *inner.loc)  # the model that raised it sits at `loc`
                message = str(inner)
            elif err["type"] == "extra_forbidden":
                message = _extra_key_message(loc)
            else:
                message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(ConfigProblem(file=name, line=_line_of(node, loc), key=_dotted(loc), message=message))
        raise ConfigError(problems) from exc


def _interpolate(
    value: Any, loc: tuple[str | int, ...], env: dict[str, str], problems: list[ConfigProblem], name: str, node: Any
) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*loc, k), env, problems, name, node) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*loc, i), env, problems, name, node) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def repl(match: re.Match[str]) -> str:
            var, default = match.group(1), match.group(2)
            if var in env:
                return env[var]
            if default is not None:
                return default
            problems.append(
                ConfigProblem(
                    file=name,
                    line=_line_of(node, loc),
                    key=_dotted(loc),
                    message=f"environment variable {var} is not set (write ${{{var}:-default}} for a default)",
                )
            )
            return ""

        value = _ENV_REF_RE.sub(repl, value)
    if isinstance(value, str) and _CONTROL_RE.search(value):
        problems.append(ConfigProblem(file=name, line=_line_of(node, loc), key=_dotted(loc),
                                      message="contains a control character (only tab and newline are allowed)"))
    return value


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": tuple(Config.model_fields),
    "people": tuple(PersonConfig.model_fields),
    "projects": tuple(ProjectConfig.model_fields),
    "standups": tuple(StandupConfig.model_fields),
    "channels": tuple(ChannelConfig.model_fields),
    "report_to": tuple(ChannelConfig.model_fields),
    "calendars": tuple(CalendarConfig.model_fields),
    "risk_alerts": tuple(RiskAlertConfig.model_fields),
    "connectors": tuple(ConnectorsConfig.model_fields),
    "jira": tuple(JiraConnectorConfig.model_fields),
    "redmine": tuple(RedmineConnectorConfig.model_fields),
    "zentao": tuple(ZentaoConnectorConfig.model_fields),
    "statuses": tuple(StatusNames.model_fields),
    "sources": tuple(SourceConfig.model_fields),
    "auth": tuple(SourceAuthConfig.model_fields),
    "hmac": tuple(HmacAuthConfig.model_fields),
    "rules": tuple(RuleConfig.model_fields),
    "do": tuple(ActionConfig.model_fields),
    "callback": tuple(CallbackConfig.model_fields),
    "rollout": tuple(RolloutConfig.model_fields),
}


def _extra_key_message(loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    section = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
    known = _KNOWN_KEYS.get(section, ())
    near = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean '{near[0]}'?" if near else f" (allowed: {', '.join(known)})" if known else ""
    return f"unknown key '{key}'{hint}"


def _line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    if node is None:
        return None
    line: int = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
