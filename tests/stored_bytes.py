"""What a SQLite database holds on disk, for tests that prove something is *not* stored."""

from __future__ import annotations

from pathlib import Path


def sqlite_bytes(database_url: str) -> bytes:
    """The database file and its write-ahead log, byte for byte (dispose engines first)."""
    path = Path(database_url.removeprefix("sqlite:///"))
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
