"""Engine behaviour the rest relies on: concurrent writers on SQLite queue, never fail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlmodel import Session, func, select

from bot.database import create_db_engine, for_services, upgrade
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.models import Platform, SourceKind, Story
from stories.redaction import Redactor
from stories.workspaces import ensure_workspace


def test_concurrent_read_then_write_transactions_all_succeed_on_sqlite(
    tmp_path: Path, clock: FixedClock, redactor: Redactor
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'busy.db'}")
    upgrade(engine)
    with Session(engine) as session:
        ws = ensure_workspace(
            session=session, clock=clock, platform=Platform.LOCAL, external_id="x", name="X"
        ).id
    assert ws is not None

    def capture(worker: int) -> int:
        stored = 0
        for n in range(15):
            with Session(for_services(engine), expire_on_commit=False) as session:
                # capture_story reads (dedupe by source) before it writes: the pattern that
                # fails at once under deferred transactions when writers interleave.
                draft = StoryDraft(
                    workspace_id=ws,
                    text=f"Worker {worker} heard story number {n} from a customer.",
                    source_kind=SourceKind.SLASH,
                    source_ref=f"w{worker}:{n % 10}",  # repeats must dedupe, not fail
                )
                result = capture_story(session=session, clock=clock, redactor=redactor, draft=draft)
                stored += result.created
        return stored

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = sum(pool.map(capture, range(8)))
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Story)).one()
    engine.dispose()
    assert created == count == 80
