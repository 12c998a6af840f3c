"""What prompts draw on: the question library and the touchpoint map.

The library (`config/prompts.toml`) is synced into `PromptTemplate` on start; the touchpoint
map (`config/touchpoints.toml`) ties department names to areas, and areas to the story
touchpoints that concern them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.errors import PromptLibraryError
from stories.models import PromptTemplate

_WORD = re.compile(r"[a-z0-9&]+")


# --- the question library ------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryPrompt:
    key: str
    area: str
    text: str


@dataclass(frozen=True)
class LibrarySync:
    added: int
    updated: int
    deactivated: int


def load_library(path: Path) -> list[LibraryPrompt]:
    """Read `config/prompts.toml`.

    Raises:
        PromptLibraryError: the file is missing, not TOML, or a prompt lacks key/area/text
            or repeats a key.
    """
    data = _read_toml(path)
    entries = data.get("prompt", [])
    if not isinstance(entries, list):
        raise PromptLibraryError(f"{path.name}: expected [[prompt]] tables")
    prompts: list[LibraryPrompt] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise PromptLibraryError(f"{path.name}: prompt {number} is not a table")
        key, area, text = (str(entry.get(name, "")).strip() for name in ("key", "area", "text"))
        if not key or not area or not text:
            raise PromptLibraryError(f"{path.name}: prompt {number} needs key, area and text")
        if key in seen:
            raise PromptLibraryError(f"{path.name}: the key {key!r} is used twice")
        if len(key) > 80 or len(area) > 40:
            raise PromptLibraryError(f"{path.name}: prompt {key!r} has a key or area too long")
        seen.add(key)
        prompts.append(LibraryPrompt(key=key, area=area.casefold(), text=" ".join(text.split())))
    return prompts


def sync_library(*, session: Session, prompts: Iterable[LibraryPrompt]) -> LibrarySync:
    """Make PromptTemplate match the library: add, update, deactivate what was removed.

    Rows are never deleted, so old deliveries and answers keep their question.
    Safe to run from several replicas: a key added concurrently is simply updated.
    """
    wanted = {prompt.key: prompt for prompt in prompts}
    existing = {t.key: t for t in session.exec(select(PromptTemplate))}
    added = updated = deactivated = 0
    for key, prompt in wanted.items():
        row = existing.get(key)
        if row is None:
            session.add(PromptTemplate(key=key, area=prompt.area, text=prompt.text, active=True))
            added += 1
        elif (row.area, row.text, row.active) != (prompt.area, prompt.text, True):
            row.area, row.text, row.active = prompt.area, prompt.text, True
            session.add(row)
            updated += 1
    for key, row in existing.items():
        if key not in wanted and row.active:
            row.active = False
            session.add(row)
            deactivated += 1
    try:
        session.commit()
    except IntegrityError:
        # Another replica inserted the same keys first; its rows are the same library.
        session.rollback()
        return LibrarySync(added=0, updated=0, deactivated=0)
    return LibrarySync(added=added, updated=updated, deactivated=deactivated)


def list_library(*, session: Session, area: str | None = None) -> list[PromptTemplate]:
    query = select(PromptTemplate).where(col(PromptTemplate.active).is_(True))
    if area:
        query = query.where(PromptTemplate.area == area.casefold())
    return list(session.exec(query.order_by(col(PromptTemplate.area), col(PromptTemplate.key))))


# --- departments to areas and touchpoints --------------------------------------------------


@dataclass(frozen=True)
class TouchpointMap:
    """Areas (finance, legal, …) with their department-name aliases and story touchpoints."""

    aliases: dict[str, frozenset[str]] = field(default_factory=dict)
    touchpoints: dict[str, frozenset[str]] = field(default_factory=dict)

    def area_for(self, department_name: str) -> str | None:
        """The area a department belongs to: exact alias first, then a whole-word alias."""
        name = " ".join(department_name.casefold().split())
        for area, names in self.aliases.items():
            if name in names:
                return area
        words = " " + " ".join(_WORD.findall(name)) + " "
        for area, names in self.aliases.items():
            if any(f" {alias} " in words for alias in names):
                return area
        return None

    def touchpoints_for(self, area: str | None) -> frozenset[str]:
        return self.touchpoints.get(area or "", frozenset())


def load_touchpoints(path: Path) -> TouchpointMap:
    """Read `config/touchpoints.toml`.

    Raises:
        PromptLibraryError: the file is missing or malformed.
    """
    data = _read_toml(path)
    areas = data.get("areas", {})
    if not isinstance(areas, dict):
        raise PromptLibraryError(f"{path.name}: expected [areas.<name>] tables")
    aliases: dict[str, frozenset[str]] = {}
    touchpoints: dict[str, frozenset[str]] = {}
    for area, spec in areas.items():
        if not isinstance(spec, dict):
            raise PromptLibraryError(f"{path.name}: [areas.{area}] is not a table")
        key = str(area).casefold()
        names = [str(n) for n in spec.get("aliases", [])] + [key]
        aliases[key] = frozenset(" ".join(n.casefold().split()) for n in names)
        touchpoints[key] = frozenset(str(t).strip().casefold() for t in spec.get("touchpoints", []))
    return TouchpointMap(aliases=aliases, touchpoints=touchpoints)


def touchpoint_matches(touchpoint: str | None, wanted: Collection[str]) -> bool:
    """True when a story slug ("refund-delay") or any word of it is in ``wanted``."""
    if not touchpoint or not wanted:
        return False
    return touchpoint in wanted or any(part in wanted for part in touchpoint.split("-"))


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise PromptLibraryError(f"{path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise PromptLibraryError(f"{path.name} is not valid TOML: {exc}") from None
