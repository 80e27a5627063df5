"""What a file sent in chat must be before it is attached to a task: its type read from its first bytes (never its
name or the type the platform declares), within the size limit, not empty, under a clean name."""

from __future__ import annotations

import re
import unicodedata

from bot.constants import ATTACHMENT_NAME_MAX_CHARS, ATTACHMENT_TYPES
from bot.records import Attachment, Fetched, FileRefused

# The signatures of the types we take: (offset, bytes) pairs that must all match.
_MAGIC: dict[str, tuple[tuple[int, bytes], ...]] = {
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/gif": ((0, b"GIF8"),),
    "image/webp": ((0, b"RIFF"), (8, b"WEBP")),
    "application/pdf": ((0, b"%PDF-"),),
}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "application/pdf": ".pdf"}
_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]+")


def sniff(data: bytes) -> str | None:
    """The type the bytes are (one of ATTACHMENT_TYPES), or None for anything else."""
    for kind, marks in _MAGIC.items():
        if kind in ATTACHMENT_TYPES and all(data[at:at + len(mark)] == mark for at, mark in marks):
            return kind
    return None


def clean_name(name: str, content_type: str) -> str:
    """A name safe to store, show and send on: the last path segment only, no control or path characters, no
    leading dots, bounded, and ending in the extension of the type its bytes are ("a.jpg.exe" → "a.jpg.exe.png")."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    ext = EXTENSIONS[content_type]
    stem = base
    for suffix in (ext, ".jpeg") if ext == ".jpg" else (ext,):
        if base.lower().endswith(suffix):
            stem = base[:-len(suffix)]
            break
    stem = stem[:ATTACHMENT_NAME_MAX_CHARS - len(ext)].strip(" .") or "file"
    return stem + ext


def shown_name(name: str) -> str:
    """A name as an answer may repeat it: no path or control characters, bounded."""
    return _UNSAFE.sub("_", name)[:ATTACHMENT_NAME_MAX_CHARS] or "-"


def checked(name: str, data: bytes, *, max_bytes: int) -> Fetched:
    """The file as an Attachment when it may be attached, else why not."""
    shown = shown_name(name)
    if not data:
        return FileRefused(name=shown, code="empty")
    if len(data) > max_bytes:
        return FileRefused(name=shown, code="too_big", params={"max_mb": megabytes(max_bytes)})
    kind = sniff(data)
    if kind is None:
        return FileRefused(name=shown, code="wrong_type")
    return Attachment(name=clean_name(name, kind), content_type=kind, data=data)


def megabytes(size_bytes: int) -> str:
    return f"{size_bytes / (1024 * 1024):.3g}"
