"""Reading the YAML file: ${ENV} references, and validation errors named by file, line and key."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from bot.config.dingtalk_events import DingTalkEventsConfig
from bot.config.errors import ConfigError, ConfigProblem, RefError
from bot.config.hooks import (
    ActionConfig,
    CallbackConfig,
    HmacAuthConfig,
    RuleConfig,
    SourceAuthConfig,
    SourceConfig,
)
from bot.config.identity import DirectoryConfig, LdapAttributes, RoleRule, SsoConfig
from bot.config.people import PersonConfig
from bot.config.pms import (
    ConnectorsConfig,
    JiraConnectorConfig,
    RedmineConnectorConfig,
    StatusNames,
    TeambitionConnectorConfig,
    TeambitionFieldsConfig,
    ZentaoConnectorConfig,
)
from bot.config.projects import ChannelConfig, ProjectConfig, RolloutConfig
from bot.config.root import Config
from bot.config.schedules import CalendarConfig, RiskAlertConfig, StandupConfig
from bot.config.yaml_data import document_data

_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ENV_REF_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


try:  # libyaml's parser when PyYAML has it: 10,000 people parse in about a second instead of half a minute
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """SafeLoader that leaves dates as text: the model parses them and names the key when one is wrong
    (PyYAML's own date parsing raises a bare ValueError with no line)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class ParsedFile:
    """The file's bytes as a sha256, and its data as JSON text when the data survives JSON unchanged (None if
    not, or when it came from the database already): what a later start may read instead of parsing YAML."""

    sha256: str
    data: str | None


def load_config(path: str | Path | None, *, env: dict[str, str] | None = None) -> Config:
    """Read and validate the YAML file. A missing file means the embedded default (built-in PMS)."""
    return load_config_file(path, env=env)[0]


def load_config_file(path: str | Path | None, *, env: dict[str, str] | None = None,
                     cached: Callable[[str], str | None] | None = None) -> tuple[Config, ParsedFile | None]:
    """load_config, and the file as a ParsedFile. `cached(sha256)` may give the JSON text a former start made of a
    file with the same bytes (bot/store/config_applied.py): it is validated like freshly parsed data, and a
    problem with it is reported from the file itself (parsed again, for the lines)."""
    environ = dict(os.environ) if env is None else env
    if path is None:
        return Config(), None
    file = Path(path)
    if not file.exists():
        return Config(), None
    name = str(file)
    try:
        raw = file.read_bytes()
        # As read_text would: UTF-8, universal newlines. The sha256 is of the very bytes parsed.
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(file=name, line=None, key="", message=f"cannot read: {exc}")]) from exc
    sha256 = hashlib.sha256(raw).hexdigest()
    known = cached(sha256) if cached is not None else None
    if known is not None:
        with contextlib.suppress(ConfigError, orjson.JSONDecodeError):
            data = orjson.loads(known)
            if isinstance(data, dict):
                return _validated(data, None, name, environ, plain=_plain(known)), ParsedFile(sha256, None)
    data, node = _parsed(text, name)
    as_json = _as_json(data)
    config = _validated(data, node, name, environ, plain=as_json is not None and _plain(as_json))
    return config, ParsedFile(sha256, as_json)


def _as_json(data: Any) -> str | None:
    """The data as JSON text if reading it back gives the same data (not: keys that are not text, NaN, sets,
    binary, timestamps), else None."""
    try:
        dumped = orjson.dumps(data)
    except TypeError:
        return None
    return dumped.decode() if orjson.loads(dumped) == data else None


def _plain(as_json: str) -> bool:
    """Whether data, as the JSON text orjson made of it, has no ${ENV} reference and no control character: then
    filling in references changes nothing and finds no problem, whatever the environment, and is skipped. ($ and
    { are never escaped; a control character is written \\uXXXX, \\b or \\f, or as is for DEL; any backslash
    u, b or f, even of an escaped backslash, takes the full walk.)"""
    return not any(mark in as_json for mark in ("${", "\\u", "\\b", "\\f", "\x7f"))


def parse_config(text: str, *, name: str, env: dict[str, str]) -> Config:
    data, node = _parsed(text, name)
    return _validated(data, node, name, env)


def _parsed(text: str, name: str) -> tuple[Any, Any]:
    """The YAML's data and its nodes (their lines name a problem's place)."""
    try:
        loader = _Loader(text)
        try:  # parsed once: the nodes and the data built from them
            node = loader.get_single_node()
            data = document_data(loader, node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(file=name, line=line, key="", message=f"not valid YAML: {problem}")]) from exc
    return data, node


def _validated(data: Any, node: Any, name: str, env: dict[str, str], *, plain: bool = False) -> Config:
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(file=name, line=1, key="", message="the file must hold a mapping of keys")])
    problems: list[ConfigProblem] = []
    if not plain:
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
            if isinstance(inner, RefError):
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
    "teambition": tuple(TeambitionConnectorConfig.model_fields),
    "fields": tuple(TeambitionFieldsConfig.model_fields),
    "statuses": tuple(StatusNames.model_fields),
    "sources": tuple(SourceConfig.model_fields),
    "auth": tuple(SourceAuthConfig.model_fields),
    "hmac": tuple(HmacAuthConfig.model_fields),
    "rules": tuple(RuleConfig.model_fields),
    "do": tuple(ActionConfig.model_fields),
    "callback": tuple(CallbackConfig.model_fields),
    "rollout": tuple(RolloutConfig.model_fields),
    "directory": tuple(DirectoryConfig.model_fields),
    "attributes": tuple(LdapAttributes.model_fields),
    "admin": tuple(RoleRule.model_fields),
    "pmo": tuple(RoleRule.model_fields),
    "approver": tuple(RoleRule.model_fields),
    "member": tuple(RoleRule.model_fields),
    "sso": tuple(SsoConfig.model_fields),
    "dingtalk_events": tuple(DingTalkEventsConfig.model_fields),
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
