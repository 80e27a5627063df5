"""The `sources:` section: other systems' webhooks and exports, how they authenticate, and their rules."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator

from bot.config.fields import StrictModel
from bot.config.projects import ChannelConfig, RolloutConfig

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

SOURCE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,24}$")
MIN_SECRET_CHARS = 16


@functools.cache
def _templates() -> ImmutableSandboxedEnvironment:
    """Only to check templates' syntax when the file is read; jinja2 is imported by the first file that has one."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment()


def _check_secret(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < MIN_SECRET_CHARS:
        raise ValueError(f"a secret or token must be at least {MIN_SECRET_CHARS} characters (random, from the "
                         "environment: ${NAME})")
    return value


Secret = Annotated[SecretStr, AfterValidator(_check_secret)]


def _check_template(value: str) -> str:
    import jinja2

    try:
        _templates().parse(value)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error: {exc.message} in {value[:80]!r}") from None
    return value


def _check_expression(value: str) -> str:
    import jinja2

    try:
        _templates().compile_expression(value)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"expression syntax error: {exc.message} in {value[:80]!r}") from None
    return value


Template = Annotated[str, AfterValidator(_check_template)]
Expression = Annotated[str, AfterValidator(_check_expression)]
RESERVED_SOURCES = ("jira", "zentao", "redmine", "teambition")  # the PMS webhooks' own /hooks/ paths


class HmacAuthConfig(StrictModel):
    """HMAC-SHA256 with `secret` over the raw body (or, with `timestamp_header`, over "<timestamp>.<body>"),
    sent in `header` as `prefix` + hex (or base64) digest."""

    header: str = Field(default="X-Signature", min_length=1, max_length=100)
    secret: Secret
    prefix: str = Field(default="sha256=", max_length=20)
    encoding: Literal["hex", "base64"] = "hex"
    timestamp_header: str | None = Field(default=None, max_length=100)  # Unix seconds (or ms) of the request
    window_s: int = Field(default=300, ge=10, le=86400)  # a timestamp further from now is refused


class SourceAuthConfig(StrictModel):
    hmac: HmacAuthConfig | None = None
    token: Secret | None = None  # `Authorization: Bearer <token>`, or the URL /hooks/{name}/{token}
    allow_ips: tuple[IPvAnyNetwork, ...] = ()  # on top: requests from elsewhere are refused

    @model_validator(mode="after")
    def _one(self) -> SourceAuthConfig:
        if self.hmac is None and self.token is None:
            raise ValueError("a source needs `hmac` or `token` (an IP allow-list alone is not enough)")
        return self


class UpdateTaskAction(StrictModel):
    task: str  # templates: "{{ payload.task }}"
    status: str | None = None  # todo | in_progress | blocked | done
    percent: str | None = None
    hours: str | None = None
    note: str = ""


class CreateTaskAction(StrictModel):
    project: str
    title: str
    assignee: str | None = None  # a person id, name or PMS user
    due: str | None = None  # YYYY-MM-DD


class CommentAction(StrictModel):
    task: str
    text: str


class LogWorkAction(StrictModel):
    task: str
    hours: str
    note: str = ""


class RequestApprovalAction(StrictModel):
    project: str
    subject: str
    amount: str | None = None  # "48,000.00", "CNY 48000": read by bot/money.py, an ambiguous amount is refused
    currency: str | None = None  # ISO 4217, when the amount does not say it (default: approval_chains.currency)
    type: str | None = None  # the request's type, for approval_chains rules (default "general")
    ref: str | None = None  # the source's own id for the request, sent back in the decision callback


class MetricAction(StrictModel):
    project: str
    name: str  # e.g. budget, budget_spent (read by the budget risk rule)
    value: str


class NotifyAction(StrictModel):
    project: str | None = None  # to the project's channels
    channels: tuple[ChannelConfig, ...] = ()  # and/or these
    text: str  # a template over the payload


class ActionConfig(StrictModel):
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
    def spec(self) -> StrictModel:
        value = getattr(self, self.kind)
        assert isinstance(value, StrictModel)
        return value


class RuleConfig(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    when: Expression = Field(default="true", max_length=2000)  # jinja2, over `payload` (and `row`, `file`, `line`)
    do: tuple[ActionConfig, ...] = Field(min_length=1)


class CallbackConfig(StrictModel):
    url: str = Field(max_length=500)
    secret: Secret  # the POST carries X-Pmsbot-Signature: sha256=<HMAC of "<timestamp>.<body>">

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the callback url must be http(s)")
        return value


class SourceConfig(StrictModel):
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
