"""Benchmark runner: `make bench` or `python -m bench [capture|search|...|all] [options]`.

Prints Markdown tables to paste into BENCHMARKS.md. Targets (issue 2):
capture >= 500 stories/s on SQLite through the service layer with redaction;
search p95 < 50 ms over 1,000,000 stories, beside the same query done with LIKE.
Summary (issue 6, `summary --scale 1.0`): p95 < 300 ms over 90 days of a 1,000,000-story
organisation, within 1.5x of one hand-written SQL statement counting the same things.
Dashboard (issue 15, `dashboard --scale 1.0`): overview and stories pages p95 < 300 ms on the
same organisation, each page < 500 KB.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.synthetic import StoryFactory
from bot.database import create_db_engine, for_services, normalise_url, upgrade
from stories.capture import StoryDraft, capture_story
from stories.clock import SystemClock
from stories.models import Platform, SourceKind
from stories.redaction import Redactor
from stories.search import parse_query, search_stories
from stories.workspaces import ensure_workspace

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
QUERIES = [
    "refund",
    "password reset",
    "late delivery",
    "invoice vat",
    "courier parcel damaged",
    "florist",
    "outage weekend",
    "cancel subscription",
    "hotel manager",
    "plumber appointment",
    "onboarding video guide",
    "debt collection letter",
]
COLUMNS = (
    "workspace_id, text, customer_label, touchpoint, emotion, source_kind, source_ref, "
    "channel_private, shared, redaction_count, themes, created_at"
)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {sys.platform}"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


@contextmanager
def database(backend: str, *, name: str | None = None) -> Iterator[Engine]:
    """A migrated database: a SQLite file, or a throw-away PostgreSQL database."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="sightline-bench-"))
        engine = create_db_engine(f"sqlite:///{folder / (name or 'bench.db')}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    admin_url = normalise_url(os.environ.get("SIGHTLINE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    db_name = f"sightline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_db_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{db_name}"'))
    url = make_url(admin_url).set(database=db_name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database_url(backend: str) -> Iterator[str]:
    """Like database(), yielding the URL for code that builds its own engines."""
    with database(backend) as engine:
        yield engine.url.render_as_string(hide_password=False)


def _workspace(engine: Engine) -> int:
    with Session(engine) as session:
        ws = ensure_workspace(
            session=session,
            clock=SystemClock(),
            platform=Platform.LOCAL,
            external_id="bench",
            name="Benchmark",
        )
        return ws.id or 0


def bench_capture(backend: str, count: int) -> dict[str, Any]:
    """Stories per second through capture_story (validation, redaction, dedupe, audit)."""
    factory = StoryFactory(seed=11)
    texts = [factory.pii_story() for _ in range(count)]
    redactor = Redactor(default_region="GB", extra_regions=("US",))
    clock = SystemClock()
    with database(backend) as engine:
        ws = _workspace(engine)
        # The same session set-up as the running bot (SQLite: BEGIN IMMEDIATE).
        with Session(for_services(engine), expire_on_commit=False) as session:
            started = time.perf_counter()
            redacted = 0
            for n, body in enumerate(texts):
                draft = StoryDraft(
                    workspace_id=ws,
                    text=body,
                    source_kind=SourceKind.SLASH,
                    source_ref=f"bench:{n}",
                    touchpoint="billing",
                )
                result = capture_story(session=session, clock=clock, redactor=redactor, draft=draft)
                redacted += result.story.redaction_count
            elapsed = time.perf_counter() - started
    return {
        "backend": backend,
        "stories": count,
        "seconds": elapsed,
        "per_second": count / elapsed,
        "redacted": redacted,
    }


def load_stories(engine: Engine, workspace_id: int, count: int, *, report: bool = True) -> float:
    """Bulk-load synthetic stories (bypassing the service: this is set-up, not the test)."""
    factory = StoryFactory(seed=7)
    rows = factory.rows(count, workspace_id=workspace_id)
    started = time.perf_counter()
    batch = 20_000
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            placeholders = ", ".join("?" for _ in COLUMNS.split(","))
            sql = f"INSERT INTO story ({COLUMNS}) VALUES ({placeholders})"
            done = 0
            while done < count:
                chunk = [
                    (*list(r.values())[:-1], _sqlite_time(r["created_at"]))
                    for _, r in zip(range(batch), rows, strict=False)
                ]
                cursor.executemany(sql, chunk)
                raw.commit()
                done += len(chunk)
                if report:
                    print(f"  loaded {done:,}/{count:,}", file=sys.stderr, end="\r")
        else:
            with cursor.copy(f"COPY story ({COLUMNS}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for n, row in enumerate(rows, start=1):
                    copy.write_row(list(row.values()))
                    if report and n % batch == 0:
                        print(f"  loaded {n:,}/{count:,}", file=sys.stderr, end="\r")
            raw.commit()
            cursor.execute("ANALYZE story")
            raw.commit()
    finally:
        raw.close()
    if report:
        print(file=sys.stderr)
    return time.perf_counter() - started


def _sqlite_time(value: object) -> str:
    assert isinstance(value, datetime)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def like_search(session: Session, workspace_id: int, query: str, limit: int = 10) -> int:
    """The same query answered with LIKE: every word must appear, newest first, no ranking."""
    words = [" ".join(t.words) for t in parse_query(query) if not t.exclude]
    clauses = " AND ".join(f"lower(text) LIKE :w{n}" for n in range(len(words)))
    params: dict[str, Any] = {f"w{n}": f"%{w}%" for n, w in enumerate(words)}
    params.update(ws=workspace_id, limit=limit + 1)
    sql = text(
        f"SELECT id FROM story WHERE workspace_id = :ws AND {clauses} "
        "ORDER BY created_at DESC LIMIT :limit"
    )
    return len(session.connection().execute(sql, params).all())


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def bench_search(backend: str, count: int, repeat: int, like_repeat: int) -> dict[str, Any]:
    with database(backend) as engine:
        ws = _workspace(engine)
        print(f"[{backend}] loading {count:,} stories …", file=sys.stderr)
        load_seconds = load_stories(engine, ws, count)
        results: dict[str, Any] = {"backend": backend, "stories": count, "load_s": load_seconds}
        with Session(engine) as session:
            for query in QUERIES:  # warm the caches once, as a running server would be
                search_stories(session=session, workspace_id=ws, query=query)
            fts: list[float] = []
            filtered: list[float] = []
            like: list[float] = []
            matches: dict[str, int] = {}
            since = datetime(2025, 6, 1, tzinfo=UTC)
            for query in QUERIES:
                page = search_stories(session=session, workspace_id=ws, query=query, limit=10)
                matches[query] = len(page.hits)
                fts += _timed(
                    lambda q=query: search_stories(session=session, workspace_id=ws, query=q),  # type: ignore[misc]
                    repeat,
                )
                filtered += _timed(
                    lambda q=query: search_stories(  # type: ignore[misc]
                        session=session,
                        workspace_id=ws,
                        query=q,
                        touchpoint="billing",
                        since=since,
                        until=since + timedelta(days=180),
                    ),
                    repeat,
                )
                like += _timed(lambda q=query: like_search(session, ws, q), like_repeat)  # type: ignore[misc]
        results.update(
            fts_p50=statistics.median(fts),
            fts_p95=percentile(fts, 95),
            filtered_p50=statistics.median(filtered),
            filtered_p95=percentile(filtered, 95),
            like_p50=statistics.median(like),
            like_p95=percentile(like, 95),
            empty_queries=[q for q, n in matches.items() if n == 0],
        )
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "which",
        nargs="?",
        default="all",
        choices=["all", "capture", "search", "slack", "prompts", "summary", "inbox", "dashboard"],
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--stories", type=int, default=1_000_000, help="search corpus size")
    parser.add_argument("--captures", type=int, default=3_000, help="stories to capture")
    parser.add_argument("--repeat", type=int, default=20, help="runs per search query")
    parser.add_argument("--like-repeat", type=int, default=3, help="runs per LIKE query")
    parser.add_argument("--departments", type=int, default=2000, help="prompt fan-out size")
    parser.add_argument("--ceiling", type=float, default=20.0, help="fake Slack messages/s")
    parser.add_argument(
        "--scale",
        type=float,
        default=0.1,
        help="summary data set size; 1.0 = 1M stories, 5M answers, 10M engagement rows",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build the summary data set again, even if kept"
    )
    parser.add_argument("--kills", type=int, default=100, help="inbox: SIGKILL rounds")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]

    print(f"Machine: {machine()}  \nDate: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    if args.which in ("all", "capture"):
        print("| Capture (service layer, redaction on) | stories | seconds | stories/s |")
        print("|---|---:|---:|---:|")
        for backend in backends:
            r = bench_capture(backend, args.captures)
            print(f"| {backend} | {r['stories']:,} | {r['seconds']:.2f} | {r['per_second']:,.0f} |")
        print()
    if args.which in ("all", "search"):
        rows = [bench_search(b, args.stories, args.repeat, args.like_repeat) for b in backends]
        print(
            f"| Search over {args.stories:,} stories | load s | ranked p50 ms | ranked p95 ms "
            "| filtered p95 ms | LIKE p50 ms | LIKE p95 ms |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['backend']} | {r['load_s']:.0f} | {r['fts_p50']:.1f} | {r['fts_p95']:.1f} "
                f"| {r['filtered_p95']:.1f} | {r['like_p50']:.0f} | {r['like_p95']:.0f} |"
            )
            if r["empty_queries"]:
                print(f"\nQueries with no match on {r['backend']}: {r['empty_queries']}")
    if args.which in ("all", "prompts"):
        from bench.prompts import report as prompts_report

        print()
        prompts_report(database_url, departments=args.departments, ceiling=args.ceiling)
        from bench.prompt_timing import report as timing_report

        print()
        timing_report(database_url, ceiling=args.ceiling)
    if args.which in ("all", "summary"):
        from bench.summary import report as summary_report

        print()
        summary_report(backends, args.scale, args.repeat, rebuild=args.rebuild)
    if args.which in ("all", "dashboard"):
        from bench.dashboard import report as dashboard_report

        print()
        dashboard_report(backends, args.scale, args.repeat)
    if args.which in ("all", "slack"):
        from bench.slack_ack import report

        for backend in backends:
            print()
            if backend == "sqlite":
                report()  # a new file beside each run, as before
            else:
                report(databases=lambda b=backend: database_url(b), backend=backend)
    if args.which in ("all", "inbox"):
        from bench.inbox_kills import report as inbox_report

        print()
        for backend in backends:
            with database_url(backend) as url:
                inbox_report({backend: url}, args.kills, header=backend == backends[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
