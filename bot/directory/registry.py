"""The directory clients of the configured sources: a line per kind. Chat platforms' directories use the app's
credentials from the environment; a source whose app is not configured is named, not skipped silently."""

from __future__ import annotations

from bot import constants
from bot.config import Settings
from bot.config.identity import DirectoryConfig, DirectorySourceConfig
from bot.directory.base import Directory, DirectoryError, Sleep
from bot.directory.dingtalk import DingTalkDirectory
from bot.directory.feishu import FeishuDirectory
from bot.directory.slack import SlackDirectory

SLACK_DEFAULT_API = "https://slack.com/api/"


def build(source: DirectorySourceConfig, settings: Settings, *, sleep: Sleep | None = None) -> Directory:
    s = settings
    if source.kind == "ldap":
        from bot.directory.ldap import LdapDirectory  # ldap3 is loaded only by a process that reads LDAP

        return LdapDirectory(source)
    if source.kind == "feishu":
        if not (s.feishu_app_id and s.feishu_app_secret):
            raise DirectoryError(f"{source.name}: a feishu directory needs FEISHU_APP_ID and FEISHU_APP_SECRET")
        return FeishuDirectory(source.name, base_url=s.feishu_api_base or constants.FEISHU_DEFAULT_API_BASE,
                               app_id=s.feishu_app_id, app_secret=s.feishu_app_secret.get_secret_value(),
                               timeout_s=source.timeout_s, root=source.root_department, sleep=sleep)
    if source.kind == "dingtalk":
        if not (s.dingtalk_client_id and s.dingtalk_client_secret):
            raise DirectoryError(f"{source.name}: a dingtalk directory needs DINGTALK_CLIENT_ID and "
                                 "DINGTALK_CLIENT_SECRET")
        return DingTalkDirectory(source.name, api_base=s.dingtalk_api_base or constants.DINGTALK_DEFAULT_API_BASE,
                                 oapi_base=s.dingtalk_oapi_base or constants.DINGTALK_DEFAULT_OAPI_BASE,
                                 client_id=s.dingtalk_client_id,
                                 client_secret=s.dingtalk_client_secret.get_secret_value(),
                                 timeout_s=source.timeout_s, root=source.root_department, sleep=sleep)
    if not s.slack_bot_token:
        raise DirectoryError(f"{source.name}: a slack directory needs SLACK_BOT_TOKEN (with users:read.email)")
    return SlackDirectory(source.name, api_url=s.slack_api_url or SLACK_DEFAULT_API,
                          token=s.slack_bot_token.get_secret_value(), timeout_s=source.timeout_s, sleep=sleep)


def selected(config: DirectoryConfig, names: tuple[str, ...]) -> tuple[DirectorySourceConfig, ...]:
    """The sources named (all when none is); an unknown name is an error that lists the known ones."""
    if not names:
        return config.sources
    known = {s.name: s for s in config.sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise DirectoryError(f"unknown directory source {', '.join(unknown)} (configured: "
                             f"{', '.join(known) or 'none'})")
    return tuple(known[n] for n in names)
