"""The `connectors:` section: settings of the remote PMSs beyond their credentials (those are in Settings)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from bot import constants
from bot.config.fields import StrictModel, TimezoneName


class StatusNames(StrictModel):
    """A PMS's status names for each neutral status. The first name is where `done`/`block`/... move a task;
    any listed name reads as that status. Names not listed read by the PMS's own category (closed = done)."""

    todo: tuple[str, ...] = Field(min_length=1)
    in_progress: tuple[str, ...] = Field(min_length=1)
    blocked: tuple[str, ...] = Field(min_length=1)
    done: tuple[str, ...] = Field(min_length=1)


class JiraConnectorConfig(StrictModel):
    # A number field holding percent done ("customfield_10050"); without it, progress is time spent over
    # time spent + remaining, and a reported percent is written as a comment.
    progress_field: str | None = Field(default=None, pattern=r"^customfield_[0-9]{1,10}$")
    issue_type: str = Field(default="Task", min_length=1, max_length=60)
    statuses: StatusNames = StatusNames(todo=("To Do", "Open", "Backlog", "Selected for Development"),
                                        in_progress=("In Progress", "In Review"), blocked=("Blocked", "On Hold"),
                                        done=("Done", "Closed", "Resolved"))
    webhook_secret: SecretStr | None = None  # the admin webhook's secret: X-Hub-Signature is then required


class RedmineConnectorConfig(StrictModel):
    statuses: StatusNames = StatusNames(todo=("New",), in_progress=("In Progress",), blocked=("Feedback",),
                                        done=("Closed", "Resolved"))
    activity: str = Field(default="Development", min_length=1, max_length=60)  # time entries need one
    tracker: str | None = Field(default=None, max_length=60)  # for `new`; None: the project's first tracker
    switch_user: bool = False  # the key is an admin's: write as the person (X-Redmine-Switch-User)
    poll_every_min: int = Field(default=constants.REDMINE_POLL_EVERY_MIN, ge=1, le=1440)


class ZentaoConnectorConfig(StrictModel):
    # Task actions (start, finish...) are POST in current Zentao and were PUT in older 16.x/17.x releases.
    action_method: Literal["POST", "PUT"] = "POST"
    # Zentao reads the dates we send (finishedDate, realStarted) in its server's time zone; default: `timezone`.
    timezone: TimezoneName | None = None
    webhook_token: SecretStr | None = None  # required in /hooks/zentao/{token}; the webhook itself is unsigned


class TeambitionFieldsConfig(StrictModel):
    """Task custom fields (their `cfId`, 24 hex) that hold what pmsbot reads and writes; unset: the built-in one."""

    percent: str | None = Field(default=None, pattern=r"^[0-9a-f]{24}$")  # a number field instead of `progress`
    estimate_h: str | None = Field(default=None, pattern=r"^[0-9a-f]{24}$")  # a number field of planned hours
    priority: str | None = Field(default=None, pattern=r"^[0-9a-f]{24}$")  # a dropdown read as the priority


class TeambitionConnectorConfig(StrictModel):
    # Workflow (taskflow) status names per neutral status; names not listed read by the status's kind
    # (start = todo, unset = in progress, end = done). Teambition has no "blocked" kind: name yours.
    statuses: StatusNames = StatusNames(todo=("待处理", "To Do"), in_progress=("进行中", "In Progress"),
                                        blocked=("已暂停", "阻塞", "Blocked"), done=("已完成", "Done"))
    fields: TeambitionFieldsConfig = TeambitionFieldsConfig()
    # Due dates are instants in Teambition; they are read and written as days in this zone (default: `timezone`).
    timezone: TimezoneName | None = None
    # The app's secret, the key of its webhooks' X-Signature: /hooks/teambition exists only with it.
    webhook_secret: SecretStr | None = None


class ConnectorsConfig(StrictModel):
    jira: JiraConnectorConfig = JiraConnectorConfig()
    redmine: RedmineConnectorConfig = RedmineConnectorConfig()
    zentao: ZentaoConnectorConfig = ZentaoConnectorConfig()
    teambition: TeambitionConnectorConfig = TeambitionConnectorConfig()
