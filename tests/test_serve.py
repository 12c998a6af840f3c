"""`sightline serve` as a real process: migrates the embedded database and answers HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_creates_sqlite_in_wal_mode_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SIGHTLINE_PORT": str(port)}
    env.pop("SIGHTLINE_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        response = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, "server did not start"
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    database = tmp_path / "var" / "sightline.db"
    assert database.exists()
    assert (tmp_path / "var" / "sightline.db-wal").exists() or _journal_mode(database) == "wal"
    assert f"Sightline listening on http://127.0.0.1:{port}" in output
    assert "No chat platform is configured" in output


def _journal_mode(path: Path) -> str:
    import sqlite3

    with sqlite3.connect(path) as connection:
        mode: str = connection.execute("PRAGMA journal_mode").fetchone()[0]
        return mode
