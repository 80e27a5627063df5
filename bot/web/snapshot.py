"""A PNG of a web page, taken by Debian's headless Chromium in a subprocess (the weekly dashboard post).

Chromium runs in its own process group with a throwaway profile, bounded by a timeout; on timeout or
cancellation the whole group is killed. Its output is not logged: the URL it was given carries a signed token.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import struct
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE_PX = 8000
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars")


class SnapshotUnavailable(Exception):
    """No snapshot: Chromium is missing, failed, or took too long. The message says which."""


def chromium_path() -> str | None:
    configured = os.environ.get("PMSBOT_CHROMIUM")  # another build or a wrapper script
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header; ValueError when it is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def snapshot_png(url: str, *, width: int = 1200, height: int = 1600, timeout_s: float = 30) -> bytes:
    """The page at `url` as a width x height PNG. Raises SnapshotUnavailable."""
    if not (0 < width <= MAX_SIDE_PX and 0 < height <= MAX_SIDE_PX):
        raise ValueError(f"window {width}x{height} is out of range")
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http(s) pages are photographed")
    exe = chromium_path()
    if exe is None:
        raise SnapshotUnavailable(f"Chromium is not installed ({CHROMIUM}, or chromium on PATH)")
    workdir = await asyncio.to_thread(tempfile.mkdtemp, prefix="pmsbot-snapshot-")
    out = Path(workdir) / "page.png"
    try:
        try:
            proc = await asyncio.create_subprocess_exec(
                exe, *FLAGS, f"--user-data-dir={Path(workdir) / 'profile'}", f"--screenshot={out}",
                f"--window-size={width},{height}", url,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise SnapshotUnavailable(f"Chromium could not be started: {exc.strerror or exc}") from exc
        try:
            code = await asyncio.wait_for(proc.wait(), timeout=timeout_s)
        except TimeoutError:
            raise SnapshotUnavailable(f"Chromium took longer than {timeout_s:g} s") from None
        finally:
            _kill_group(proc)  # on timeout or cancellation; after an exit, the helpers it may have left
            if proc.returncode is None:
                await proc.wait()
        if code != 0:
            raise SnapshotUnavailable(f"Chromium failed (exit status {code})")
        try:
            data = await asyncio.to_thread(out.read_bytes)
        except OSError:
            raise SnapshotUnavailable("Chromium wrote no screenshot") from None
        try:
            png_size(data)
        except ValueError:
            raise SnapshotUnavailable("Chromium's screenshot is not a PNG") from None
        return data
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
