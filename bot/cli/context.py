"""What every command needs: settings, runtime, a session, the chosen workspace."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from sqlmodel import Session

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, load_settings
from stories.errors import NotFoundError, NoWorkspaceError
from stories.models import Platform, Workspace
from stories.workspaces import LOCAL_WORKSPACE_ID, ensure_workspace, resolve_workspace

console = Console()
errors = Console(stderr=True)


@dataclass
class CliState:
    """Built lazily so `sightline --help` works without a database or valid settings."""

    database_url: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _runtime: Runtime | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides = {"database_url": self.database_url} if self.database_url else {}
            self._settings = load_settings(**overrides)
        return self._settings

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = build_runtime(self.settings)
        return self._runtime

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.runtime.session() as session:
            yield session


STATE = CliState()


def workspace_for(session: Session, key: str | None, *, create: bool = False) -> Workspace:
    """The workspace a command acts on; writing commands create a local one when none exist."""
    try:
        return resolve_workspace(session=session, key=key)
    except NotFoundError:
        if not create or key not in (None, LOCAL_WORKSPACE_ID):
            raise
        return ensure_workspace(
            session=session,
            clock=STATE.runtime.clock,
            platform=Platform.LOCAL,
            external_id=LOCAL_WORKSPACE_ID,
            name="Local (command line)",
        )


def workspace_or_empty(
    session: Session, key: str | None, *, as_json: bool, empty: dict[str, Any]
) -> Workspace | None:
    """The workspace to list from; None after printing ``empty`` when a `--json` listing
    finds no workspace at all (nothing stored yet is an empty result, not an error)."""
    try:
        return workspace_for(session, key)
    except NoWorkspaceError:
        if not as_json:
            raise
        print_json(empty)
        return None


def print_json(payload: Any) -> None:
    """Machine-readable output: plain JSON on stdout, no colour, no wrapping."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
