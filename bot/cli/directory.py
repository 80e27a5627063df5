"""`pmsbot directory sync`: the directories read now, each change printed (or only printed, --dry-run)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli import env
from bot.cli.env import CliError
from bot.clocks import SYSTEM_CLOCK
from bot.config import Config, Settings
from bot.directory import registry
from bot.directory.base import DirectoryError
from bot.jobs.directory import Outcome
from bot.runtime import Runtime


def cmd_directory(args: argparse.Namespace) -> int:
    settings = env.settings()
    config = env.config(settings)
    if not config.directory.sources:
        raise CliError("no directory sources: add them under directory: sources: in the configuration (README)")

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    async def main() -> Outcome:
        rt = Runtime(settings, config)
        try:
            await rt.open()
            return await rt.directory_sync.sync(sources=tuple(args.source), dry_run=args.dry_run, force=args.force,
                                                progress=progress, actor="cli")
        except DirectoryError as exc:
            raise CliError(str(exc)) from None
        finally:
            await rt.close()

    outcome = asyncio.run(main())
    for line in report(outcome, dry_run=args.dry_run):
        print(line)
    return 1 if outcome.plan.blocked else 0


def report(outcome: Outcome, *, dry_run: bool) -> list[str]:
    p = outcome.plan
    lines = [f"create {c.id}: {c.values.get('name')} <{c.values.get('email') or '-'}>" for c in p.create]
    lines += [f"update {c.id}: " + ", ".join(f"{k} {c.before.get(k)!r} -> {v!r}" for k, v in c.values.items())
              for c in p.update]
    lines += [f"deactivate {pid}" for pid in p.deactivate] + [f"reactivate {pid}" for pid in p.reactivate]
    lines += [f"bind {platform} {account} -> {pid}" for platform, account, pid in p.bind]
    lines += [f"approval #{m.approval_id} ({m.project}): {m.leaver} -> {m.to or '(the other approvers)'}"
              for m in outcome.reassigned]
    lines += [f"conflict: {c}" for c in p.conflicts] + [f"problem: {x}" for x in p.problems]
    if p.blocked:
        lines.append(f"stopped, nothing changed: {p.blocked}")
    verb = "would change" if dry_run else "changed"
    lines.append(f"{verb}: {len(p.create)} new, {len(p.update)} updated, {len(p.deactivate)} deactivated, "
                 f"{len(p.reactivate)} reactivated, {len(p.bind)} accounts bound; {len(p.conflicts)} conflicts")
    if p.empty and not p.blocked:
        lines[-1] = "nothing to change" + (f"; {len(p.conflicts)} conflicts" if p.conflicts else "")
    return lines


async def check(settings: Settings, config: Config) -> int:
    """`pmsbot check`'s lines for the directory sources and single sign-on; the number of failures."""
    failures = 0
    for source in config.directory.sources:
        try:
            directory = registry.build(source, settings)
            probe = getattr(directory, "probe", None)
            if probe is not None:
                await probe()
            await directory.close()
            print(f"ok   directory {source.name} ({source.kind})"
                  + (f": bound to {source.url}" if probe is not None else ": uses the app's credentials"))
        except DirectoryError as exc:
            print(f"FAIL directory {exc}")
            failures += 1
    if config.sso is not None:
        from bot.web.oidc import OidcClient, OidcError

        client = OidcClient(config.sso, redirect_uri="", clock=SYSTEM_CLOCK)
        try:
            meta = await client.metadata()
            keys = await client.published_keys()
            print(f"ok   sso {config.sso.issuer}: discovery read, {keys} signing keys; authorization at "
                  f"{meta['authorization_endpoint']}")
        except OidcError as exc:
            print(f"FAIL sso {config.sso.issuer}: {exc}")
            failures += 1
    return failures


def check_dingtalk_events(settings: Settings, config: Config) -> int:
    """`pmsbot check`'s line for DingTalk's encrypted HTTP event push (`dingtalk_events:`); 1 when it cannot work."""
    from bot.platforms.dingtalk_crypto import CallbackCipher
    from bot.platforms.dingtalk_events import ROUTE, SUCCESS

    events = config.dingtalk_events
    if events is None:
        return 0
    if not settings.dingtalk_client_id:
        print("FAIL dingtalk_events: configured, but DingTalk is off: set DINGTALK_CLIENT_ID and "
              "DINGTALK_CLIENT_SECRET (the route comes with the DingTalk app)")
        return 1
    receiver = events.owner_key or settings.dingtalk_client_id
    cipher = CallbackCipher(token=events.token.get_secret_value(), aes_key=events.aes_key.get_secret_value(),
                            receiver=receiver)
    if cipher.decrypt(cipher.encrypt(SUCCESS)) != SUCCESS:  # the key works both ways before DingTalk tries it
        print("FAIL dingtalk_events: the aes_key does not round-trip")
        return 1
    where = (settings.pmsbot_public_url or "").rstrip("/") + ROUTE
    print(f"ok   dingtalk_events: encrypted HTTP push at {where}, receiver id "
          f"{'owner_key ' if events.owner_key else 'the app key '}{receiver}")
    if not any(s.kind == "dingtalk" for s in config.directory.sources):
        print("WARN dingtalk_events: no dingtalk directory source, so address-book events are acknowledged and "
              "ignored")
    return 0
