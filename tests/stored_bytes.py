"""What a SQLite database holds on disk, for tests that prove something is *not* stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from bot.inbox_store import inbox_url


def sqlite_bytes(database_url: str) -> bytes:
    """The database file, the durable inbox's file beside it (bot/inbox_store.py) and their
    write-ahead logs, byte for byte (dispose engines first)."""
    paths = [Path(database_url.removeprefix("sqlite:///"))]
    inbox = inbox_url(create_engine(database_url))
    if inbox is not None and inbox.database:
        paths.append(Path(inbox.database))
    held = b""
    for path in paths:
        for part in (path, Path(f"{path}-wal")):
            held += part.read_bytes() if part.exists() else b""
    return held
