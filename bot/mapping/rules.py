"""Mapping rules: which actions a payload asks for, computed without doing any of them.

Conditions (`when`) and every action field are jinja2 in its sandboxed environment, with undefined names as
errors: a rule that reads a field the payload lacks fails with that reason instead of writing an empty value,
and a template cannot reach Python internals (`payload.__class__`, `cycler.__init__.__globals__` ... are
refused). Rendering everything first means a payload either plans all its actions or none.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.config import ActionConfig, RuleConfig, SourceConfig

MAX_RENDERED_CHARS = 10_000  # one rendered field; longer is an error (a template that loops)
MAX_RENDER_STEPS = 200_000  # lines a field's template may run (well under a second)


class RuleError(Exception):
    """A rule could not be applied to this payload: the reason goes to the dead letters."""


@dataclass(frozen=True, kw_only=True)
class Planned:
    rule: str
    kind: str  # update_task | create_task | comment | log_work | request_approval | metric | notify
    fields: dict[str, Any] = field(default_factory=dict)


class _Bounded(ImmutableSandboxedEnvironment):
    """The sandbox, plus limits on what could make one template eat the worker's memory or time:
    repetition (`'a' * n`), powers, %-formatting widths and numeric arguments (`center(n)`)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("exponents above 64 are not allowed")
        if operator == "*" and any(isinstance(a, (str, list, tuple)) for a in (left, right)) and any(
                isinstance(a, int) and a > MAX_RENDERED_CHARS for a in (left, right)):
            raise SecurityError(f"repeating more than {MAX_RENDERED_CHARS} times is not allowed")
        if operator == "%" and any(isinstance(a, int) and abs(a) > MAX_RENDERED_CHARS
                                   for a in (right if isinstance(right, tuple) else (right,))):
            raise SecurityError(f"numbers above {MAX_RENDERED_CHARS} in a % format are not allowed")
        if operator == "%":
            _check_widths(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, int) and abs(a) > MAX_RENDERED_CHARS for a in (*args, *kwargs.values())):
            raise SecurityError(f"numbers above {MAX_RENDERED_CHARS} as arguments are not allowed")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # "{:>400000000}".format(x): the width is in the format string, where no argument check sees it.
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_widths(value.__self__)
        return wrapped


_PRINTF_WIDTHS = re.compile(r"%[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_NUMBERS = re.compile(r"\d+")


def _check_widths(fmt: Any) -> None:
    """Refuse widths and precisions above MAX_RENDERED_CHARS in a format string, {}-style or %-style."""
    if not isinstance(fmt, str):
        return
    numbers: list[str] = []
    try:
        for _, _, spec, _ in string.Formatter().parse(fmt):
            numbers += _FORMAT_NUMBERS.findall(spec or "")
    except ValueError:
        pass  # not a {}-format: the %-style check below still applies
    for width, precision in _PRINTF_WIDTHS.findall(fmt):
        numbers += [n for n in (width, precision) if n.isdigit()]
    if any(len(n) > 6 or int(n) > MAX_RENDERED_CHARS for n in numbers):
        raise SecurityError(f"widths above {MAX_RENDERED_CHARS} in a format are not allowed")


def _bounded_filter(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """Filters that take a width or a count (center, indent, wordwrap, format...) refuse huge ones: filters are
    called directly by compiled templates, not through the sandbox's `call`."""
    def checked(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, int) and abs(a) > MAX_RENDERED_CHARS for a in (*args[1:], *kwargs.values())):
            raise SecurityError(f"{name}: numbers above {MAX_RENDERED_CHARS} are not allowed")
        if name == "format" and args:
            _check_widths(args[0])  # "%400000000s"|format(x)
        return original(*args, **kwargs)
    for flag in ("jinja_pass_arg",):  # keep how jinja2 passes the context or environment to it
        if hasattr(original, flag):
            setattr(checked, flag, getattr(original, flag))
    return checked


def _env() -> ImmutableSandboxedEnvironment:
    env = _Bounded(undefined=jinja2.StrictUndefined, autoescape=False)
    env.globals.clear()  # no range(), cycler, joiner, namespace, lipsum: data in, text out
    for name in ("center", "indent", "wordwrap", "format", "truncate", "batch", "slice", "filesizeformat"):
        if name in env.filters:
            env.filters[name] = _bounded_filter(name, env.filters[name])
    return env


ENV = _env()


class RuleSet:
    """A source's rules, compiled once."""

    def __init__(self, source: SourceConfig) -> None:
        self.source = source
        try:
            self._when = [(rule, ENV.compile_expression(rule.when, undefined_to_none=False))
                          for rule in source.rules]
            self._dedupe = ENV.from_string(source.dedupe) if source.dedupe else None
            self._row_key = ENV.from_string(source.row_key) if source.row_key else None
            self._templates: dict[str, jinja2.Template] = {}
            for rule in source.rules:
                for action in rule.do:
                    for value in _strings(action.spec.model_dump()):
                        self._templates.setdefault(value, ENV.from_string(value))
        except jinja2.TemplateSyntaxError as exc:
            raise RuleError(f"source {source.name}: template syntax error: {exc.message} in {exc.source!r:.80}"
                            ) from exc

    @property
    def has_dedupe(self) -> bool:
        return self._dedupe is not None

    @property
    def has_row_key(self) -> bool:
        return self._row_key is not None

    def dedupe_key(self, context: dict[str, Any]) -> str | None:
        return self._render(self._dedupe, context, "dedupe") if self._dedupe else None

    def row_key(self, context: dict[str, Any]) -> str | None:
        return self._render(self._row_key, context, "row_key") if self._row_key else None

    def plan(self, context: dict[str, Any]) -> list[Planned]:
        """Every action of every rule whose condition holds, rendered; RuleError on the first failure."""
        planned: list[Planned] = []
        for rule, when in self._when:
            try:
                matched = bool(when(**context))
            except (jinja2.UndefinedError, SecurityError, jinja2.TemplateError, TypeError, ValueError,
                    ArithmeticError, AttributeError, KeyError, IndexError, RecursionError, MemoryError) as exc:
                raise RuleError(f"rule '{rule.name}': condition failed: {_reason(exc)}") from exc
            if matched:
                planned += [self._action(rule, action, context) for action in rule.do]
        return planned

    def _action(self, rule: RuleConfig, action: ActionConfig, context: dict[str, Any]) -> Planned:
        return Planned(rule=rule.name, kind=action.kind,
                       fields=self._fill(action.spec.model_dump(), context, f"rule '{rule.name}' {action.kind}"))

    def _fill(self, value: Any, context: dict[str, Any], where: str) -> Any:
        if isinstance(value, str):
            return self._render(self._templates[value], context, where)
        if isinstance(value, dict):
            return {k: self._fill(v, context, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._fill(v, context, where) for v in value]
        return value

    @staticmethod
    def _render(template: jinja2.Template, context: dict[str, Any], where: str) -> str:
        try:
            text = _render_bounded(template, context)
        except (jinja2.UndefinedError, SecurityError, jinja2.TemplateError, TypeError, ValueError, ArithmeticError,
                AttributeError, KeyError, IndexError, RecursionError, MemoryError) as exc:
            raise RuleError(f"{where}: {_reason(exc)}") from exc
        return text.strip()


def _render_bounded(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render with two budgets, so a loop is cut off early instead of running the worker out of time or memory:
    the output (streamed, stopped at MAX_RENDERED_CHARS) and the steps (lines the compiled template runs, counted
    by a trace function for just this call: loops that print nothing count too)."""
    steps = 0

    def count(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps
        if event == "line":
            steps += 1
            if steps > MAX_RENDER_STEPS:
                raise SecurityError(f"stopped after {MAX_RENDER_STEPS} steps (a loop too long)")
        return count

    previous = sys.gettrace()
    sys.settrace(count)
    try:
        size, parts = 0, []
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_RENDERED_CHARS:
                raise SecurityError(f"rendered more than {MAX_RENDERED_CHARS} characters")
            parts.append(part)
        return "".join(parts)
    finally:
        sys.settrace(previous)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return f"refused by the sandbox: {exc}"
    return f"{type(exc).__name__}: {exc}"[:300]
