"""The signed links the bot hands out in chat, made with the same keys the pages check them with."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from bot.clocks import SYSTEM_CLOCK, Clock
from bot.signing import Signer

FIELD_LINK_TTL_S = 7 * 24 * 3600
DASHBOARD_LINK_TTL_S = 7 * 24 * 3600
ADMIN_LINK_TTL_S = 10 * 60
PORTFOLIO_LINK_TTL_S = 14 * 24 * 3600  # a weekly digest's link outlives the next digest

# One purpose per kind of link: a signature made for one never passes as another.
FIELD = "field report"
DASHBOARD = "dashboard"
ADMIN = "admin link"
JIRA = "jira link"
JIRA_STATE = "jira oauth state"
JIRA_LINK_TTL_S = 15 * 60
PORTFOLIO = "portfolio"  # a person's view of the portfolio and its trend pages: {"p": person id}


class WebLinks:
    def __init__(self, key: bytes, public_url: str | None, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._key = key
        self._base = (public_url or "").rstrip("/")

    def signer(self, purpose: str) -> Signer:
        return Signer(self._key, purpose, clock=self._clock)

    def url(self, path: str) -> str:
        """An absolute URL when PMSBOT_PUBLIC_URL is set, else the path."""
        return f"{self._base}{path}"

    def field(self, task: str, person: str) -> str:
        return f"{self._base}/r/{Signer(self._key, FIELD, clock=self._clock).make({'t': task, 'p': person}, ttl_s=FIELD_LINK_TTL_S)}"

    def dashboard(self, project: str) -> str:
        token = Signer(self._key, DASHBOARD, clock=self._clock).make({"k": project}, ttl_s=DASHBOARD_LINK_TTL_S)
        return f"{self._base}/projects/{project}?v={token}"

    def portfolio(self, person: str) -> str:
        """The portfolio page as `person` may see it (the projects they may read), in their language."""
        token = Signer(self._key, PORTFOLIO, clock=self._clock).make({"p": person}, ttl_s=PORTFOLIO_LINK_TTL_S)
        return f"{self._base}/portfolio?{urlencode({'v': token})}"

    def admin(self, person: str, *, locale: str | None = None) -> str:
        """A one-time admin login; with `locale`, the pages it opens speak the admin's language, whatever the
        browser (a chat app's webview) says."""
        token = Signer(self._key, ADMIN, clock=self._clock).make({'p': person}, ttl_s=ADMIN_LINK_TTL_S)
        return f"{self._base}/admin/enter/{token}" + (f"?{urlencode({'lang': locale})}" if locale else "")


    def jira(self, person: str) -> str:
        """The page where a person lets pmsbot write in Jira as them (bot/web/jira_link.py)."""
        token = Signer(self._key, JIRA, clock=self._clock).make({"p": person}, ttl_s=JIRA_LINK_TTL_S)
        return f"{self._base}/link/jira/{token}"


def dashboard_paths(project: str, token: str) -> tuple[str, str]:
    """The dashboard page's path and its PNG snapshot's, both with the view token."""
    base = f"/projects/{quote(project, safe='')}"
    query = urlencode({"v": token})
    return f"{base}?{query}", f"{base}/snapshot.png?{query}"


def weekly_snapshot_message(links: WebLinks, project: str) -> dict[str, str]:
    """The weekly post's links: the dashboard and its PNG snapshot (taken when the image is fetched), 7 days."""
    page, image = dashboard_paths(project, links.signer(DASHBOARD).make({"k": project}, ttl_s=DASHBOARD_LINK_TTL_S))
    return {"url": links.url(page), "image": links.url(image)}
