"""Summary over a large organisation (issue 6): `python -m bench summary --scale 1.0`.

Builds a synthetic data set once per backend and scale (1.0: 1,000,000 stories, 5,000,000
prompt answers, 10,000,000 engagement rows, 200 departments, three years) into a database
that is kept: ``./var/bench/summary.db`` (``summary-<scale>.db`` for other scales) and the
PostgreSQL database ``sightline_bench`` (``sightline_bench_<scale>``). A ``bench_dataset`` row
records the scale, seed and generator version; a later run with the same values reuses the
data and only applies new migrations.

Then it times ``build_summary`` for the last 90 days (themes and emotions included) beside
one hand-written SQL statement that computes the same counts, alternating the two, and checks
that both agree. Target: summary p95 < 300 ms and within 1.5x of the statement.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Date, Engine, bindparam, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.synthetic import BENCH_START, SummaryWorld, TimeText, WorldSize
from bot.database import (
    create_db_engine,
    current_revision,
    head_revision,
    normalise_url,
    upgrade,
)
from stories.clock import FixedClock
from stories.models import Platform, UTCDateTime
from stories.periods import parse_period
from stories.summaries import Summary, build_summary
from stories.workspaces import ensure_workspace

GENERATOR_VERSION = 1  # bump when SummaryWorld changes, so old data sets are rebuilt
LOAD_REVISION = "0008"  # the schema the generator's rows (COLUMNS) are written for
SEED = 6
PERIOD = "90d"
COLUMNS = {
    "department": "id, workspace_id, name, name_key, customer_facing, timezone, prompt_time, "
    "prompt_days, cadence_weeks, paused, created_at",
    "member": "id, workspace_id, platform_user_id, display_name, department_id, is_cx_lead, "
    "created_at",
    "story": "id, workspace_id, text, customer_label, touchpoint, emotion, source_kind, "
    "source_ref, author_member_id, captured_by_member_id, department_id, channel_private, "
    "shared, redaction_count, themes, created_at",
    "promptdelivery": "id, workspace_id, kind, target, department_id, occurrence_at, status, "
    "story_id, claimed_by, claimed_at, sent_at, reason",
    "promptanswer": "id, workspace_id, delivery_id, story_id, member_id, department_id, text, "
    "redaction_count, created_at",
    "engagement": "id, workspace_id, story_id, member_id, department_id, kind, created_at",
}
MARKER = """CREATE TABLE IF NOT EXISTS bench_dataset (
    name VARCHAR(40) PRIMARY KEY, scale FLOAT NOT NULL, seed INTEGER NOT NULL,
    version INTEGER NOT NULL, workspace_id INTEGER NOT NULL, detail TEXT NOT NULL)"""


def _suffix(scale: float) -> str:
    return "" if scale == 1.0 else f"-{scale:g}"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the kept databases ------------------------------------------------------------------


def _sqlite_engine(scale: float, rebuild: bool, name: str = "summary") -> tuple[Engine, bool]:
    path = Path("var/bench") / f"{name}{_suffix(scale)}.db"
    fresh = rebuild or not path.exists()
    if fresh:
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    return create_db_engine(f"sqlite:///{path}"), fresh


def _postgres_engine(scale: float, rebuild: bool, name: str = "summary") -> tuple[Engine, bool]:
    from bench.__main__ import DEFAULT_POSTGRES

    admin_url = normalise_url(os.environ.get("SIGHTLINE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    kept = "sightline_bench" + ("" if name == "summary" else f"_{name}")
    name = kept + _suffix(scale).replace("-", "_").replace(".", "_")
    admin = create_db_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if exists and rebuild:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if rebuild or not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return create_db_engine(url), rebuild or not exists


def _marker(engine: Engine, scale: float) -> int | None:
    """The workspace of a complete data set built with these settings, else None."""
    with engine.begin() as connection:
        connection.execute(text(MARKER))
        row = connection.execute(
            text(
                "SELECT workspace_id FROM bench_dataset WHERE name = 'summary' AND scale = :s "
                "AND seed = :seed AND version = :v"
            ),
            {"s": scale, "seed": SEED, "v": GENERATOR_VERSION},
        ).first()
    return None if row is None else int(row[0])


@contextmanager
def dataset(
    backend: str, scale: float, *, rebuild: bool = False, name: str = "summary"
) -> Iterator[tuple[Engine, int]]:
    """The kept database for ``backend`` and ``scale``, built on first use; (engine, workspace).

    ``name`` keeps a bench whose migrations differ (the dashboard's) in its own database.
    """
    opener = _sqlite_engine if backend == "sqlite" else _postgres_engine
    engine, fresh = opener(scale, rebuild, name)
    try:
        workspace = None if fresh else _marker(engine, scale)
        if workspace is None:
            if not fresh:  # an interrupted or different build: start again from nothing
                engine.dispose()
                engine, _ = opener(scale, True, name)
            # Rows are loaded in the schema they were generated for; the later migrations then
            # run over them as they would over an installation that grew before they existed.
            upgrade(engine, LOAD_REVISION)
            workspace = _build(engine, backend, scale)
            fresh = True
        if current_revision(engine) != head_revision(engine):
            started = time.perf_counter()
            _log(f"[{backend}] applying new migrations to the data set …")
            upgrade(engine)
            _log(f"[{backend}] migrated in {time.perf_counter() - started:.0f} s")
            fresh = True
        if fresh:
            _finish(engine, backend)
        yield engine, workspace
    finally:
        engine.dispose()


def _build(engine: Engine, backend: str, scale: float) -> int:
    size = WorldSize.at(scale)
    with Session(engine) as session:
        workspace = ensure_workspace(
            session=session,
            clock=FixedClock(BENCH_START),
            platform=Platform.LOCAL,
            external_id="bench-summary",
            name="Summary benchmark",
        ).id
    assert workspace is not None
    stamp = TimeText(size.days, "" if backend == "sqlite" else "+00")
    world = SummaryWorld(size, seed=SEED, workspace_id=workspace, stamp=stamp)
    _log(f"[{backend}] building the scale {scale:g} data set (kept for later runs) …")
    started = time.perf_counter()
    load = _load_sqlite if backend == "sqlite" else _load_postgres
    counts = {}
    for table, rows in (
        ("department", world.departments()),
        ("member", world.members()),
        ("story", world.stories()),
        ("promptdelivery", world.deliveries()),
        ("promptanswer", world.answers()),
        ("engagement", world.engagement()),
    ):
        counts[table] = load(engine, table, rows)
        _log(f"  {table}: {counts[table]:,} rows, {time.perf_counter() - started:.0f} s")
    seconds = time.perf_counter() - started
    detail = json.dumps(
        {
            "counts": counts,
            "seconds": round(seconds),
            "built": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        }
    )
    with engine.begin() as connection:
        connection.execute(text(MARKER))
        connection.execute(
            text("INSERT INTO bench_dataset VALUES ('summary', :s, :seed, :v, :ws, :d)"),
            {"s": scale, "seed": SEED, "v": GENERATOR_VERSION, "ws": workspace, "d": detail},
        )
    _log(f"[{backend}] built in {seconds:.0f} s")
    return workspace


def _load_sqlite(engine: Engine, table: str, rows: Iterable[tuple[object, ...]]) -> int:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # Set-up, not the test: no fsync and no per-row foreign key checks (the generator's
        # ids are consistent by construction), large transactions.
        for pragma in ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-262144"):
            cursor.execute(f"PRAGMA {pragma}")
        columns = COLUMNS[table]
        marks = ", ".join("?" for _ in columns.split(","))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        done = 0
        for chunk in _chunks(rows, 200_000):
            cursor.executemany(sql, chunk)
            raw.commit()
            done += len(chunk)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        return done
    finally:
        raw.close()


def _load_postgres(engine: Engine, table: str, rows: Iterable[tuple[object, ...]]) -> int:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET synchronous_commit TO off")
        done = 0
        with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
                done += 1
        raw.commit()
        return done
    finally:
        raw.close()


def _chunks(rows: Iterable[tuple[object, ...]], size: int) -> Iterator[list[tuple[object, ...]]]:
    chunk: list[tuple[object, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _finish(engine: Engine, backend: str) -> None:
    """What a running server's database would have after autovacuum: statistics, visibility
    map, sequences. SQLite gets no ANALYZE, as Sightline never runs one: plans there must not
    depend on statistics."""
    if backend == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in COLUMNS:
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


# --- the hand-written baselines ----------------------------------------------------------

# Everything build_summary counts, in one statement each, written as well as we know how. Each
# row is (figure, period, key, a, b); period 1 is this period, 0 the previous one.
#
# ROWS counts from the stored rows alone, as a database without the rollups of migration 0009
# would have to (per-prompt index probes, ranking before joining, the cheaper silo shape on each
# backend). ROLLUPS reads the same structures as the summary: whole days from storyday and
# siloday, the partial days at the period's edges from the rows, answers per prompt from
# answer_count, answering members by one probe per member, the ranking from storyresonance.
ROWS = """
WITH sg AS (
    SELECT CASE WHEN created_at >= :p1 THEN 1 ELSE 0 END AS cur,
           source_kind, touchpoint, emotion, count(*) AS n
    FROM story WHERE workspace_id = :ws AND created_at >= :p0 AND created_at < :p2
    GROUP BY 1, 2, 3, 4
), d AS (
    SELECT id, department_id,
           CASE WHEN coalesce(sent_at, occurrence_at) >= :p1 THEN 1 ELSE 0 END AS cur
    FROM promptdelivery
    WHERE workspace_id = :ws AND kind = 'prompt' AND status = 'sent'
      AND coalesce(sent_at, occurrence_at) >= :p0 AND coalesce(sent_at, occurrence_at) < :p2
), top AS (
    SELECT e.story_id, count(*) AS n,
           sum(CASE WHEN e.department_id <> s.department_id THEN 1 ELSE 0 END) AS other
    FROM story s JOIN engagement e ON e.story_id = s.id
    WHERE s.workspace_id = :ws AND s.created_at >= :p1 AND s.created_at < :p2
      AND e.kind = 'resonates' AND s.shared
    GROUP BY e.story_id ORDER BY n DESC, e.story_id LIMIT 5
)
SELECT 'source', cur, source_kind, sum(n), 0 FROM sg GROUP BY cur, source_kind
UNION ALL SELECT 'touchpoint', cur, touchpoint, sum(n), 0 FROM sg GROUP BY cur, touchpoint
UNION ALL SELECT 'emotion', cur, emotion, sum(n), 0 FROM sg GROUP BY cur, emotion
UNION ALL SELECT 'day', 1, touchpoint || ' ' || CAST({day} AS TEXT), count(*), 0
    FROM story WHERE workspace_id = :ws AND created_at >= :p1 AND created_at < :p2
    GROUP BY touchpoint, {day}
UNION ALL SELECT 'delivered', cur, CAST(department_id AS TEXT), count(*),
    sum(CASE WHEN EXISTS (SELECT 1 FROM promptanswer a WHERE a.delivery_id = d.id)
        THEN 1 ELSE 0 END)
    FROM d GROUP BY cur, department_id
UNION ALL SELECT 'answers', cur, CAST(department_id AS TEXT),
    sum((SELECT count(*) FROM promptanswer a WHERE a.delivery_id = d.id)), 0
    FROM d GROUP BY cur, department_id
UNION ALL SELECT 'answering', x.cur, CAST(m.department_id AS TEXT), count(*), 0
    FROM (SELECT DISTINCT d.cur, a.member_id FROM d JOIN promptanswer a ON a.delivery_id = d.id) x
    JOIN member m ON m.id = x.member_id GROUP BY x.cur, m.department_id
UNION ALL SELECT 'members', 1, CAST(department_id AS TEXT), count(*), 0
    FROM member WHERE workspace_id = :ws GROUP BY department_id
{silo}
UNION ALL SELECT 'resonated', 1, CAST(story_id AS TEXT), n, other FROM top
"""
# The silo rows: whichever shape is faster on each backend, to keep the baseline honest.
# SQLite groups 1.3M joined rows by period through a sort; two plain counts are cheaper.
SILO_SQLITE = """
UNION ALL SELECT 'silo engagement', 1, NULL, count(*), sum(other) FROM ({engagement}
      AND e.created_at >= :p1 AND e.created_at < :p2) AS se1
UNION ALL SELECT 'silo engagement', 0, NULL, count(*), sum(other) FROM ({engagement}
      AND e.created_at >= :p0 AND e.created_at < :p1) AS se0
UNION ALL SELECT 'silo answers', 1, NULL, count(*), sum(other) FROM ({answers}
      AND a.created_at >= :p1 AND a.created_at < :p2) AS sa1
UNION ALL SELECT 'silo answers', 0, NULL, count(*), sum(other) FROM ({answers}
      AND a.created_at >= :p0 AND a.created_at < :p1) AS sa0"""
# PostgreSQL hashes the story departments once for both periods.
SILO_POSTGRES = """
UNION ALL SELECT 'silo engagement', cur, NULL, count(*), sum(other) FROM ({engagement}
      AND e.created_at >= :p0 AND e.created_at < :p2) AS se GROUP BY cur
UNION ALL SELECT 'silo answers', cur, NULL, count(*), sum(other) FROM ({answers}
      AND a.created_at >= :p0 AND a.created_at < :p2) AS sa GROUP BY cur"""
SILO_ROWS = {
    "engagement": """
    SELECT CASE WHEN e.created_at >= :p1 THEN 1 ELSE 0 END AS cur,
           CASE WHEN e.department_id <> s.department_id THEN 1 ELSE 0 END AS other
    FROM engagement e JOIN story s ON s.id = e.story_id
    WHERE e.workspace_id = :ws AND e.kind = 'resonates'
      AND e.department_id IS NOT NULL AND s.department_id IS NOT NULL""",
    "answers": """
    SELECT CASE WHEN a.created_at >= :p1 THEN 1 ELSE 0 END AS cur,
           CASE WHEN a.department_id <> s.department_id THEN 1 ELSE 0 END AS other
    FROM promptanswer a JOIN story s ON s.id = a.story_id
    WHERE a.workspace_id = :ws AND a.department_id IS NOT NULL AND s.department_id IS NOT NULL""",
}
SILO_SQL = {"sqlite": SILO_SQLITE, "postgresql": SILO_POSTGRES}
DAY_SQL = {"sqlite": "date(created_at)", "postgresql": "date(timezone('UTC', created_at))"}

# The partial days at the edges: [p0, c0) and [f2, p2), and the day p1 falls in, [f1, c1);
# one SELECT per range, joined by UNION ALL (SQLite cannot range-scan an OR of ranges).
EDGE_RANGES = [("p0", "c0"), ("f1", "c1"), ("f2", "p2")]
WHOLE_DAYS = "((day >= :c0d AND day < :f1d) OR (day >= :c1d AND day < :f2d))"
STORY_EDGE = """SELECT CASE WHEN created_at >= :p1 THEN 1 ELSE 0 END AS cur, {day} AS day,
           source_kind, coalesce(touchpoint, '') AS touchpoint, coalesce(emotion, '') AS emotion
    FROM story WHERE workspace_id = :ws AND {range}"""
ENGAGEMENT_EDGE = """SELECT 'resonates', CASE WHEN created_at >= :p1 THEN 1 ELSE 0 END, 1,
           CASE WHEN department_id <> story_department_id THEN 1 ELSE 0 END
    FROM engagement
    WHERE workspace_id = :ws AND kind = 'resonates' AND department_id IS NOT NULL
      AND story_department_id IS NOT NULL AND {range}"""
ANSWER_EDGE = """SELECT 'answer', CASE WHEN created_at >= :p1 THEN 1 ELSE 0 END, 1,
           CASE WHEN department_id <> story_department_id THEN 1 ELSE 0 END
    FROM promptanswer
    WHERE workspace_id = :ws AND story_id IS NOT NULL AND department_id IS NOT NULL
      AND story_department_id IS NOT NULL AND {range}"""
ROLLUPS = """
WITH edge AS (
    {story_edges}
), st AS (
    SELECT CASE WHEN day >= :c1d THEN 1 ELSE 0 END AS cur, day, dimension, key, n
    FROM storyday WHERE workspace_id = :ws AND n <> 0 AND {whole_days}
    UNION ALL SELECT cur, day, 'source', source_kind, 1 FROM edge
    UNION ALL SELECT cur, day, 'touchpoint', touchpoint, 1 FROM edge
    UNION ALL SELECT cur, day, 'emotion', emotion, 1 FROM edge
), d AS (
    SELECT department_id, answer_count,
           CASE WHEN coalesce(sent_at, occurrence_at) >= :p1 THEN 1 ELSE 0 END AS cur
    FROM promptdelivery
    WHERE workspace_id = :ws AND kind = 'prompt' AND status = 'sent'
      AND coalesce(sent_at, occurrence_at) >= :p0 AND coalesce(sent_at, occurrence_at) < :p2
), silo AS (
    SELECT kind, CASE WHEN day >= :c1d THEN 1 ELSE 0 END AS cur, n,
           CASE WHEN other_department THEN n ELSE 0 END AS other
    FROM siloday WHERE workspace_id = :ws AND {whole_days}
    UNION ALL {engagement_edges}
    UNION ALL {answer_edges}
)
SELECT dimension, cur, key, sum(n), 0 FROM st GROUP BY dimension, cur, key
UNION ALL SELECT 'day', 1, key || ' ' || CAST(day AS TEXT), sum(n), 0
    FROM st WHERE dimension = 'touchpoint' AND cur = 1 GROUP BY key, day
UNION ALL SELECT 'delivered', cur, CAST(department_id AS TEXT), count(*),
    sum(CASE WHEN answer_count > 0 THEN 1 ELSE 0 END)
    FROM d GROUP BY cur, department_id
UNION ALL SELECT 'answers', cur, CAST(department_id AS TEXT), sum(answer_count), 0
    FROM d GROUP BY cur, department_id
UNION ALL SELECT 'answering', 1, CAST(m.department_id AS TEXT),
    sum(CASE WHEN EXISTS (SELECT 1 FROM promptanswer a WHERE a.member_id = m.id
                          AND a.prompted_at >= :p1 AND a.prompted_at < :p2) THEN 1 ELSE 0 END), 0
    FROM member m
    WHERE m.workspace_id = :ws AND m.department_id IN (SELECT department_id FROM d)
    GROUP BY m.department_id
UNION ALL SELECT 'answering', 0, CAST(m.department_id AS TEXT),
    sum(CASE WHEN EXISTS (SELECT 1 FROM promptanswer a WHERE a.member_id = m.id
                          AND a.prompted_at >= :p0 AND a.prompted_at < :p1) THEN 1 ELSE 0 END), 0
    FROM member m
    WHERE m.workspace_id = :ws AND m.department_id IN (SELECT department_id FROM d)
    GROUP BY m.department_id
UNION ALL SELECT 'members', 1, CAST(department_id AS TEXT), count(*), 0
    FROM member WHERE workspace_id = :ws GROUP BY department_id
UNION ALL SELECT CASE WHEN kind = 'answer' THEN 'silo answers' ELSE 'silo engagement' END,
    cur, NULL, sum(n), sum(other) FROM silo GROUP BY kind, cur
UNION ALL SELECT 'resonated', 1, CAST(story_id AS TEXT), resonates, from_other FROM (
    SELECT r.story_id, r.resonates, r.from_other FROM storyresonance r
    JOIN story s ON s.id = r.story_id
    WHERE r.workspace_id = :ws AND r.created_at >= :p1 AND r.created_at < :p2
      AND r.resonates > 0 AND s.shared
    ORDER BY r.resonates DESC, r.story_id LIMIT 5) AS top
"""


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil_day(moment: datetime) -> datetime:
    floor = _midnight(moment)
    return floor if floor == moment else floor + timedelta(days=1)


def aggregate(
    engine: Engine, workspace: int, start: datetime, end: datetime, *, rollups: bool
) -> list[Any]:
    """Run one baseline statement for [start, end) and the period before it (a day or more)."""
    dialect = engine.dialect.name
    p0 = start - (end - start)
    if rollups:

        def edges(select: str) -> str:
            return "\n    UNION ALL ".join(
                select.format(
                    day=DAY_SQL[dialect], range=f"created_at >= :{a} AND created_at < :{b}"
                )
                for a, b in EDGE_RANGES
            )

        statement = ROLLUPS.format(
            whole_days=WHOLE_DAYS,
            story_edges=edges(STORY_EDGE),
            engagement_edges=edges(ENGAGEMENT_EDGE),
            answer_edges=edges(ANSWER_EDGE),
        )
    else:
        statement = ROWS.format(day=DAY_SQL[dialect], silo=SILO_SQL[dialect].format(**SILO_ROWS))
    moments = {"p0": p0, "p1": start, "p2": end, "c0": _ceil_day(p0)}
    moments |= {"f1": _midnight(start), "c1": _ceil_day(start), "f2": _midnight(end)}
    names = [n for n in moments if f":{n}" in statement]
    days = {f"{n}d": moments[n].date() for n in ("c0", "f1", "c1", "f2")}
    day_names = [n for n in days if f":{n}" in statement]
    sql = text(statement).bindparams(
        *(bindparam(name, type_=UTCDateTime()) for name in names),
        *(bindparam(name, type_=Date()) for name in day_names),
    )
    params = {"ws": workspace, **{n: moments[n] for n in names}, **{n: days[n] for n in day_names}}
    with engine.connect() as connection:
        return list(connection.execute(sql, params).all())


def _agrees(summary: Summary, rows: list[Any]) -> bool:
    """The statement and the summary count the same things (a guard on both)."""
    got: dict[tuple[str, int], int] = {}
    for figure, period, _key, a, _b in rows:
        got[(figure, period)] = got.get((figure, period), 0) + int(a)
    answered = sum(int(b) for figure, period, _, _, b in rows if figure == "delivered" and period)
    top = sorted(
        (-int(a), int(key), int(b)) for figure, _, key, a, b in rows if figure == "resonated"
    )
    weekly = sum(sum(series.counts) for series in summary.weekly.series)
    answering = {
        (int(period), str(key)): int(a)
        for figure, period, key, a, _ in rows
        if figure == "answering"
    }
    asked = [d for d in summary.departments if d.prompts_delivered.value]
    return (
        got.get(("source", 1), 0) == summary.stories.value
        and got.get(("source", 0), 0) == summary.stories.previous
        and got.get(("day", 1), 0) == weekly
        and all(
            d.answering_members.value == answering.get((1, str(d.department_id)), 0)
            and d.answering_members.previous == answering.get((0, str(d.department_id)), 0)
            for d in asked
        )
        and got.get(("delivered", 1), 0) == summary.prompts_sent.value
        and got.get(("answers", 1), 0) == summary.answers.value
        and answered / max(1, got.get(("delivered", 1), 0)) == (summary.response_rate.value or 0)
        and got.get(("silo engagement", 1), 0) == summary.silo.engagement_rows
        and got.get(("silo answers", 1), 0) == summary.silo.answer_rows
        and [(sid, other) for _, sid, other in top]
        == [(r.story_id, r.from_other_departments) for r in summary.most_resonated]
    )


# --- timing --------------------------------------------------------------------------------


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _forget_text_analysis() -> None:
    """Empty the memoised YAKE and VADER results: a summary over documents never seen."""
    from stories import summaries, themes

    themes._proposals.cache_clear()
    themes._padded.cache_clear()
    summaries._inferred_emotion.cache_clear()


def _largest_department(engine: Engine, workspace: int) -> int:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT department_id FROM story WHERE workspace_id = :ws "
                "AND department_id IS NOT NULL GROUP BY department_id ORDER BY count(*) DESC, "
                "department_id LIMIT 1"
            ),
            {"ws": workspace},
        ).one()
    return int(row[0])


def measure(backend: str, scale: float, repeat: int, *, rebuild: bool = False) -> dict[str, Any]:
    """Time build_summary (warm, one department) and both baselines, interleaved, after one
    untimed run of each; then the summary cold."""
    from bench.__main__ import percentile

    with dataset(backend, scale, rebuild=rebuild) as (engine, workspace):
        # "90d" asked at 10:00 on the data set's last day: the periods start and end mid-day,
        # as they do in use, so the edges are read from the rows.
        now = BENCH_START + timedelta(days=WorldSize.at(scale).days) - timedelta(hours=14)
        period = parse_period(PERIOD, now=now)
        department = _largest_department(engine, workspace)

        def summary(department_id: int | None = None) -> Summary:
            with Session(engine) as session:
                return build_summary(
                    session=session,
                    workspace_id=workspace,
                    period=period,
                    department_id=department_id,
                    now=now,
                )

        def cold() -> Summary:
            _forget_text_analysis()
            return summary()

        def baseline(rollups: bool) -> list[Any]:
            return aggregate(engine, workspace, period.start, period.end, rollups=rollups)

        first = summary()
        agrees = {name: _agrees(first, baseline(name == "rollups")) for name in ("rollups", "rows")}
        summary(department)
        # As `sightline serve` does at start (bot/server.py): what is loaded by now lives as
        # long as the process, and full collections walking it would land in the timings.
        gc.collect()
        gc.freeze()
        runs = {
            "summary": summary,
            "department": lambda: summary(department),
            "rollups": lambda: baseline(True),
            "rows": lambda: baseline(False),
        }
        timings: dict[str, list[float]] = {name: [] for name in [*runs, "cold"]}
        for _ in range(repeat):
            for name, run in runs.items():
                started = time.perf_counter()
                run()
                timings[name].append(_ms(started))
        # Cold runs last: emptying the caches in between would make the next run cold too.
        for _ in range(repeat):
            started = time.perf_counter()
            cold()
            timings["cold"].append(_ms(started))
    gc.unfreeze()
    result: dict[str, Any] = {"backend": backend, "agrees": agrees, "summary": first}
    for name, values in timings.items():
        result[f"{name}_p50"] = statistics.median(values)
        result[f"{name}_p95"] = percentile(values, 95)
    return result


def report(backends: list[str], scale: float, repeat: int, *, rebuild: bool = False) -> None:
    """Print the Markdown table for BENCHMARKS.md (one backend at a time: the machine is shared)."""
    size = WorldSize.at(scale)
    results = [measure(b, scale, repeat, rebuild=rebuild) for b in backends]
    print(
        f"| Summary, {PERIOD}: {size.stories:,} stories, {size.answers:,} answers, "
        f"{size.engagement:,} engagement rows | p50 ms | p95 ms | cold p95 ms "
        "| one department p95 ms | SQL on rollups p95 ms | p95 / that | SQL on rows p95 ms "
        "| p95 / that | same counts |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        same = "yes" if all(r["agrees"].values()) else f"NO {r['agrees']}"
        print(
            f"| {r['backend']} | {r['summary_p50']:.0f} | {r['summary_p95']:.0f} "
            f"| {r['cold_p95']:.0f} | {r['department_p95']:.0f} | {r['rollups_p95']:.0f} "
            f"| {r['summary_p95'] / r['rollups_p95']:.2f} | {r['rows_p95']:,.0f} "
            f"| {r['summary_p95'] / r['rows_p95']:.2f} | {same} |"
        )
    for r in results:
        s: Summary = r["summary"]
        print(
            f"\n{r['backend']}: {s.stories.value:,} stories this period, "
            f"{s.prompts_sent.value:,} prompts, {s.answers.value:,} answers, "
            f"{s.silo.engagement_rows:,} resonates in the silo index; themes sampled: "
            f"{s.themes_sampled}; emotions sampled: {s.emotions_sampled}"
        )
