"""A fake platform in a process of its own, for code under test that runs its own event loop (the CLI)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent.parent


@contextmanager
def serving(module: str, *args: str) -> Iterator[int]:
    """Start `python -m module`, which prints its port when it listens; yield the port; stop it afterwards."""
    proc = subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()



class Server(Protocol):
    port: int

    async def start(self) -> None: ...


async def serve_forever(server: Server) -> None:
    """A fake's process body: listen, print the port for the parent (serving() reads it), run until terminated."""
    await server.start()
    print(server.port, flush=True)
    await asyncio.Event().wait()
