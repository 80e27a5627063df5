"""Render replies from jinja2 templates: templates/<platform>/<locale>/<kind>.j2, catalogs in templates/catalog."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.constants import LOCALES
from notifiers.base import Button, Rendered

if TYPE_CHECKING:
    import jinja2

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
PLAIN = "console"  # the plain-text templates every platform falls back to


class TemplateMissing(Exception):
    pass


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt(pattern: str, params: dict[str, Any] | None = None, **more: Any) -> str:
    """Fill a catalog string; user text in params is inserted as is, never interpreted."""
    return str(pattern).format_map(_Blank({**(params or {}), **more}))


# libyaml where it is built (as on every wheel platform we ship to): the pure-Python parser takes ~10x longer.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _environment(root: Path) -> jinja2.Environment:
    """One environment per templates folder and process: templates compile once, not once per Renderer. Made
    (and jinja2 imported) by the first template rendered: a `web` process may answer with catalog texts only."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        # Chat text is not HTML: each platform's templates escape for their own markup. Web pages are HTML.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False,
                                            default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates are read once per process
    )
    env.filters["tojson_raw"] = lambda v: json.dumps(v, ensure_ascii=False)
    env.filters["fmt"] = _fmt
    return env


@functools.cache
def _catalogs(root: Path) -> dict[str, dict[str, Any]]:
    """The message catalogs of a templates folder, read once per process (readers never change them)."""
    out: dict[str, dict[str, Any]] = {}
    for locale in LOCALES:
        with (root / "catalog" / f"{locale}.yaml").open(encoding="utf-8") as fh:
            out[locale] = yaml.load(fh, Loader=_YAML_LOADER)
        # Parts (zh.admin.yaml, en.dashboard.yaml ...) add top-level sections of their own.
        for part in sorted((root / "catalog").glob(f"{locale}.*.yaml")):
            with part.open(encoding="utf-8") as fh:
                for section, texts in (yaml.load(fh, Loader=_YAML_LOADER) or {}).items():
                    if section in out[locale]:
                        raise ValueError(f"{part.name}: section '{section}' is already in the catalog")
                    out[locale][section] = texts
    return out


class Renderer:
    def __init__(self, root: Path = TEMPLATES_DIR) -> None:
        self.root = root

    @property
    def env(self) -> jinja2.Environment:
        return _environment(self.root)

    @property
    def catalogs(self) -> dict[str, dict[str, Any]]:
        return _catalogs(self.root)

    def text(self, locale: str, key: str, **params: Any) -> str:
        """One catalog string, for text outside message templates (CLI, web labels)."""
        value = self.catalogs[locale if locale in LOCALES else "en"]
        for part in key.split("."):
            value = value[part]
        return str(value).format(**params)

    def layout(self, name: str, **context: Any) -> Any:
        """A platform's message structure (Feishu card JSON, …) from templates/<name>, parsed from JSON."""
        return json.loads(self.env.get_template(name).render(**context))

    def render(self, *, platform: str, locale: str, kind: str, data: dict[str, Any],
               actions: list[dict[str, str]]) -> Rendered:
        locale = locale if locale in LOCALES else "en"
        # A platform overrides only the kinds it lays out differently; the rest share the plain-text templates,
        # and each sender escapes for its own markup.
        names = [f"{platform}/{locale}/{kind}.j2", f"{PLAIN}/{locale}/{kind}.j2"]
        import jinja2

        try:
            template = self.env.select_template(names)
        except jinja2.TemplatesNotFound as exc:
            raise TemplateMissing(names[-1]) from exc
        t = self.catalogs[locale]
        text = template.render(t=t, **data).strip()
        buttons = tuple(
            Button(id=a["id"], value=a["value"], label=_fmt(str(t["buttons"].get(a["id"], a["id"])), value=a["value"]),
                   style=a.get("style", "default"))
            for a in actions
        )
        mentions, links = data.get("mentions"), data.get("links")
        return Rendered(kind=kind, text=text, buttons=buttons,
                        mentions=tuple(str(m) for m in mentions) if isinstance(mentions, list) else (),
                        links=tuple((str(k), str(u)) for k, u in links.items()) if isinstance(links, dict) else ())
