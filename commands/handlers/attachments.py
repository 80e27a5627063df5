"""Photos and files sent with a report: attached to the task the report wrote, in its PMS, as the person.

Runs after the report's own handler, in the same command: the files were fetched and checked by the worker
beforehand (bot/dispatch/files.py). A file the PMS refuses is named in the answer and the report stands; a file
sent without a report is not attached anywhere (which task it belongs to is not clear), and the answer says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.pms.base import PMSError
from bot.records import Attachment, Fetched, FileRefused, Reply
from commands import model
from commands.handlers.access import audit, writable_task
from commands.ports import Context

_WRITES = (model.Report, model.Done, model.Block, model.Unblock, model.Start)


def reported_tasks(command: model.Command) -> list[str]:
    """The tasks a command writes a report on, in its order, each once."""
    items = command.items if isinstance(command, model.Several) else (command,)
    return list(dict.fromkeys(item.task for item in items if isinstance(item, _WRITES)))


def _refused(file: FileRefused) -> dict[str, object]:
    return {"name": file.name, "code": file.code, "params": dict(file.params)}


async def attach_files(ctx: Context, command: model.Command, files: Sequence[Fetched]) -> list[Reply]:
    if not files:
        return []
    refused = [_refused(f) for f in files if isinstance(f, FileRefused)]
    good = [f for f in files if isinstance(f, Attachment)]
    tasks = reported_tasks(command)
    if not tasks:
        return [Reply(kind="files_not_attached", data={"names": [f.name for f in files]})]
    attached: list[dict[str, object]] = []
    for key in tasks:
        pms, task = await writable_task(ctx, key)
        for file in good:
            try:
                await pms.attach(task.key, file, by=ctx.person)
            except PMSError as exc:  # the report stands; this file is named as not attached, with the PMS's words
                refused.append({"name": file.name, "code": exc.code, "params": {**exc.params, "task": task.key}})
                continue
            await audit(ctx, "pms.attach", task.key, pms=pms.name, name=file.name, content_type=file.content_type,
                        size_bytes=len(file.data))
            attached.append({"task": task.key, "name": file.name, "kb": max(1, round(len(file.data) / 1024))})
    return [Reply(kind="files_attached", data={"attached": attached, "refused": refused})]
