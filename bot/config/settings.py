"""Environment variables: where the database and web server are, secrets, and platforms' and PMSs' credentials."""

from __future__ import annotations

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import constants


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
    pmsbot_attachment_max_bytes: int = constants.ATTACHMENT_MAX_BYTES  # a file sent in chat, refused above

    # An OpenAI-compatible model that may suggest a reading where the field language would ask (off: unset URL).
    pmsbot_llm_url: str | None = None  # the API's base URL, e.g. http://127.0.0.1:8000/v1
    pmsbot_llm_model: str | None = None
    pmsbot_llm_api_key: SecretStr | None = None  # sent as `Authorization: Bearer`; a local server may need none
    pmsbot_llm_timeout_s: float = constants.LLM_TIMEOUT_S

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
    jira_oauth_client_id: str | None = None  # Jira Cloud: an OAuth 2.0 (3LO) app, for writes as each linked person
    jira_oauth_client_secret: SecretStr | None = None
    jira_oauth_auth_url: str = "https://auth.atlassian.com"
    jira_oauth_api_url: str = "https://api.atlassian.com"
    redmine_url: str | None = None
    redmine_api_key: SecretStr | None = None
    zentao_url: str | None = None
    zentao_account: str | None = None
    zentao_password: SecretStr | None = None
    teambition_url: str = "https://open.teambition.com/api"
    teambition_app_id: str | None = None
    teambition_app_secret: SecretStr | None = None
    teambition_tenant_id: str | None = None
    teambition_operator_id: str | None = None

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
        self._teambition_complete()
        if not 0 < self.pmsbot_attachment_max_bytes <= constants.ATTACHMENT_MAX_BYTES_CEILING:
            raise ValueError(f"PMSBOT_ATTACHMENT_MAX_BYTES must be above 0 and at most "
                             f"{constants.ATTACHMENT_MAX_BYTES_CEILING} (files are held in memory while attached)")
        self._language_model_complete()
        return self

    def _teambition_complete(self) -> None:
        given = (self.teambition_app_id, self.teambition_app_secret, self.teambition_tenant_id)
        if any(given) and not all(given):
            raise ValueError("Teambition needs TEAMBITION_APP_ID, TEAMBITION_APP_SECRET and TEAMBITION_TENANT_ID "
                             "(the enterprise's organization id)")
        if not self.teambition_url.startswith(("http://", "https://")):
            raise ValueError("TEAMBITION_URL must be an http(s) URL")

    def _language_model_complete(self) -> None:
        if not self.pmsbot_llm_url:
            return  # off: nothing leaves the machine
        if not self.pmsbot_llm_url.startswith(("http://", "https://")):
            raise ValueError("PMSBOT_LLM_URL must be an http(s) URL (the API's base, e.g. http://127.0.0.1:8000/v1)")
        if not self.pmsbot_llm_model:
            raise ValueError("PMSBOT_LLM_URL is set but PMSBOT_LLM_MODEL (the model's name) is not")
        if not 0 < self.pmsbot_llm_timeout_s <= constants.LLM_TIMEOUT_MAX_S:
            raise ValueError(f"PMSBOT_LLM_TIMEOUT_S must be above 0 and at most {constants.LLM_TIMEOUT_MAX_S:g}")

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
