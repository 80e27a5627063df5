"""The `projects:` section (channels, approvers, read access, approval reminders) and `rollout:` entries."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bot.config.fields import StrictModel

PROJECT_KEY_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


class ChannelConfig(StrictModel):
    platform: str = Field(min_length=1, max_length=32)
    id: str = Field(min_length=1, max_length=128)


class ProjectConfig(StrictModel):
    key: str
    name: str = Field(min_length=1, max_length=200)
    pms: Literal["local", "jira", "redmine", "zentao", "teambition"] = "local"
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
    # Words to filter the portfolio page by ("客户A", "2027"), besides department and PM.
    tags: tuple[Annotated[str, Field(min_length=1, max_length=40)], ...] = Field(default=(), max_length=20)

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
        if self.pms == "teambition" and not re.fullmatch(r"[0-9a-f]{24}", self.pms_project or ""):
            raise ValueError("pms_project must be the Teambition project's id (24 hex digits, as in its URL "
                             "/project/<id>/)")
        if self.read == "department" and not self.department:
            raise ValueError("read: department needs the project's department (department: …)")
        return self

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not PROJECT_KEY_RE.match(value):
            raise ValueError("a project key is 2-10 upper-case letters or digits starting with a letter, like PUMP")
        return value


class RolloutConfig(StrictModel):
    """Only these projects (or the projects of these departments); empty: all."""

    projects: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def allows(self, project: str, department: str | None) -> bool:
        if not self.projects and not self.departments:
            return True
        return project in self.projects or (department is not None and department in self.departments)
