"""Summary rollups kept by the database: daily counts, resonance per story, answers per prompt.

A 90-day summary over a large workspace read every story, resonate and answer of two
periods (over a million rows at 1M stories). These structures hold the same counts, kept up
to date by triggers inside the writing transaction, so the summary reads days, not rows:

- ``storyday``: stories per UTC day by source, touchpoint and emotion ('' for none).
- ``siloday``: resonates and story answers per UTC day, split by whether the giver's
  department differs from the story's; only rows where both departments are known.
- ``storyresonance``: per story, its resonates and those from other departments.
- ``promptdelivery.answer_count``: answers per prompt.
- ``promptanswer.prompted_at``: when the answered prompt was delivered, so the members who
  answered a period's prompts are found per member from one index.
- ``engagement.story_department_id`` and ``promptanswer.story_department_id``: the story's
  department, copied onto the row, so that each row's share of the counts depends on that
  row alone. Changes then add up whatever order they come in, which matters when one
  statement changes both sides (deleting a department sets both to NULL; PostgreSQL runs
  the triggers of such cascades after all of them are done).

Triggers, not application code, keep them exact: every write path (services, imports, the
CLI, cascades from deleting a story, department or workspace) goes through them. Additions
use ``INSERT ... ON CONFLICT DO UPDATE``, so PostgreSQL replicas add to the same day's row
under its row lock; removals only ever ``UPDATE``, so a cascade that already deleted a
rollup row is left alone.

A later migration that rebuilds story, engagement, promptanswer or promptdelivery on SQLite
(Alembic's batch mode copies the table) drops these triggers with the old table and must
create them again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: list[tuple[str, str, list[str]]] = [
    ("ix_storyresonance_rank", "storyresonance", ["workspace_id", "created_at", "resonates"]),
    # Participation: does this member have an answer to a prompt of the period?
    ("ix_promptanswer_member_prompted", "promptanswer", ["member_id", "prompted_at"]),
    # One department's summary reads that department's rows only.
    (
        "ix_story_department_summary",
        "story",
        ["workspace_id", "department_id", "created_at", "source_kind", "touchpoint", "emotion"],
    ),
    (
        "ix_engagement_department_summary",
        "engagement",
        ["workspace_id", "kind", "department_id", "created_at", "story_department_id"],
    ),
    (
        "ix_promptanswer_department_summary",
        "promptanswer",
        ["workspace_id", "department_id", "created_at", "story_department_id", "story_id"],
    ),
]
# 0008's summary indexes, widened so each figure still reads the index alone: prompts with
# their answer count; resonates and answers at the period's edges with the story's department.
WIDENED: list[tuple[str, str, list[str], list[str]]] = [
    (
        "ix_promptdelivery_summary",
        "promptdelivery",
        ["workspace_id", "kind", "status", "sent_at", "occurrence_at", "department_id"],
        ["answer_count"],
    ),
    (
        "ix_engagement_summary",
        "engagement",
        ["workspace_id", "kind", "created_at", "department_id", "story_id"],
        ["story_department_id"],
    ),
    (
        "ix_promptanswer_summary",
        "promptanswer",
        ["workspace_id", "created_at", "department_id", "story_id"],
        ["story_department_id"],
    ),
]


def _tables() -> None:
    def workspace() -> sa.ForeignKey:
        return sa.ForeignKey("workspace.id", ondelete="CASCADE")

    op.create_table(
        "storyday",
        sa.Column("workspace_id", sa.Integer(), workspace(), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("dimension", sa.String(12), primary_key=True),
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "siloday",
        sa.Column("workspace_id", sa.Integer(), workspace(), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(12), primary_key=True),
        sa.Column("other_department", sa.Boolean(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "storyresonance",
        sa.Column(
            "story_id",
            sa.Integer(),
            sa.ForeignKey("story.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("workspace_id", sa.Integer(), workspace(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resonates", sa.Integer(), nullable=False),
        sa.Column("from_other", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("promptdelivery") as batch:
        batch.add_column(
            sa.Column("answer_count", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("promptanswer") as batch:
        batch.add_column(sa.Column("prompted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("story_department_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("engagement") as batch:
        batch.add_column(sa.Column("story_department_id", sa.Integer(), nullable=True))




# A row's share of the silo counts: both departments known (and, for answers, a story).
ENGAGEMENT_SILO = "{r}.kind = 'resonates' AND {r}.department_id IS NOT NULL AND {r}.story_department_id IS NOT NULL"
ANSWER_SILO = "{r}.story_id IS NOT NULL AND {r}.department_id IS NOT NULL AND {r}.story_department_id IS NOT NULL"
OTHER = "({r}.department_id <> {r}.story_department_id)"
STORY_DIMENSIONS = [("source", "source_kind"), ("touchpoint", "touchpoint"), ("emotion", "emotion")]
STORY_COLUMNS = "workspace_id, created_at, source_kind, touchpoint, emotion"
ENGAGEMENT_COLUMNS = "workspace_id, story_id, department_id, story_department_id, kind, created_at"
ANSWER_COLUMNS = (
    "workspace_id, delivery_id, story_id, department_id, story_department_id, created_at"
)


# --- backfill: the same counts from the rows already stored ------------------------------


def _backfill(day: str, postgres: bool) -> list[str]:
    """``day`` turns a timestamp column into its UTC date."""
    # The story's department copied onto each resonate and answer; the prompt's time too.
    story_department = "(SELECT department_id FROM story WHERE id = {}.story_id)"
    if postgres:
        copies = [
            """UPDATE engagement g SET story_department_id = s.department_id
            FROM story s WHERE s.id = g.story_id AND s.department_id IS NOT NULL""",
            f"""UPDATE promptanswer a SET prompted_at = coalesce(d.sent_at, d.occurrence_at),
                story_department_id = {story_department.format("a")}
            FROM promptdelivery d WHERE d.id = a.delivery_id""",
        ]
    else:
        copies = [
            f"UPDATE engagement SET story_department_id = {story_department.format('engagement')}",
            f"""UPDATE promptanswer SET
                story_department_id = {story_department.format("promptanswer")},
                prompted_at = (SELECT coalesce(sent_at, occurrence_at) FROM promptdelivery
                               WHERE id = promptanswer.delivery_id)""",
        ]
    statements = copies + [
        f"""INSERT INTO storyday (workspace_id, day, dimension, key, n)
        SELECT workspace_id, {day.format("created_at")}, '{name}', coalesce({column}, ''),
               count(*)
        FROM story GROUP BY workspace_id, {day.format("created_at")}, coalesce({column}, '')"""
        for name, column in STORY_DIMENSIONS
    ]
    for kind, table, counted in (
        ("resonates", "engagement", ENGAGEMENT_SILO),
        ("answer", "promptanswer", ANSWER_SILO),
    ):
        other = OTHER.format(r="g")
        statements.append(
            f"""INSERT INTO siloday (workspace_id, day, kind, other_department, n)
            SELECT g.workspace_id, {day.format("g.created_at")}, '{kind}', {other}, count(*)
            FROM {table} g WHERE {counted.format(r="g")}
            GROUP BY g.workspace_id, {day.format("g.created_at")}, {other}"""
        )
    statements += [
        f"""INSERT INTO storyresonance (story_id, workspace_id, created_at, resonates, from_other)
        SELECT s.id, s.workspace_id, s.created_at, count(*),
               sum(CASE WHEN {OTHER.format(r="g")} THEN 1 ELSE 0 END)
        FROM engagement g JOIN story s ON s.id = g.story_id
        WHERE g.kind = 'resonates'
        GROUP BY s.id, s.workspace_id, s.created_at""",
        """UPDATE promptdelivery SET answer_count = (
            SELECT count(*) FROM promptanswer a WHERE a.delivery_id = promptdelivery.id)
        WHERE EXISTS (SELECT 1 FROM promptanswer a WHERE a.delivery_id = promptdelivery.id)""",
    ]
    return statements


SQLITE_DAY = "date({})"
POSTGRES_DAY = "(({}) AT TIME ZONE 'UTC')::date"


# --- SQLite: triggers (no functions, so each trigger spells out its statements) ----------
# Every statement takes a row alias ("new" or "old"); "add" upserts, "remove" only updates.


def _story_day(r: str, sign: str) -> str:
    statements = []
    for name, column in STORY_DIMENSIONS:
        key = f"coalesce({r}.{column}, '')"
        if sign == "+":
            statements.append(
                f"""INSERT INTO storyday (workspace_id, day, dimension, key, n)
                VALUES ({r}.workspace_id, date({r}.created_at), '{name}', {key}, 1)
                ON CONFLICT (workspace_id, day, dimension, key) DO UPDATE SET n = n + 1;"""
            )
        else:
            statements.append(
                f"""UPDATE storyday SET n = n - 1
                WHERE workspace_id = {r}.workspace_id AND day = date({r}.created_at)
                  AND dimension = '{name}' AND key = {key};"""
            )
    return "\n".join(statements)


def _silo(r: str, kind: str, counted: str, sign: str) -> str:
    when, other = counted.format(r=r), OTHER.format(r=r)
    if sign == "+":
        return f"""INSERT INTO siloday (workspace_id, day, kind, other_department, n)
        SELECT {r}.workspace_id, date({r}.created_at), '{kind}', {other}, 1 WHERE {when}
        ON CONFLICT (workspace_id, day, kind, other_department) DO UPDATE SET n = n + 1;"""
    return f"""UPDATE siloday SET n = n - 1
        WHERE {when} AND workspace_id = {r}.workspace_id AND day = date({r}.created_at)
          AND kind = '{kind}' AND other_department = {other};"""


def _resonance(r: str, sign: str) -> str:
    other = f"CASE WHEN {OTHER.format(r=r)} THEN 1 ELSE 0 END"
    if sign == "+":
        return f"""INSERT INTO storyresonance (story_id, workspace_id, created_at, resonates,
                                               from_other)
        SELECT st.id, st.workspace_id, st.created_at, 1, {other}
        FROM story st WHERE st.id = {r}.story_id AND {r}.kind = 'resonates'
        ON CONFLICT (story_id) DO UPDATE SET resonates = resonates + 1,
                                             from_other = from_other + excluded.from_other;"""
    return f"""UPDATE storyresonance SET resonates = resonates - 1, from_other = from_other - {other}
        WHERE story_id = {r}.story_id AND {r}.kind = 'resonates';"""


def _engagement(r: str, sign: str) -> str:
    return _silo(r, "resonates", ENGAGEMENT_SILO, sign) + "\n" + _resonance(r, sign)


def _answer(r: str, sign: str) -> str:
    step = "+ 1" if sign == "+" else "- 1"
    return (
        _silo(r, "answer", ANSWER_SILO, sign)
        + f"\nUPDATE promptdelivery SET answer_count = answer_count {step}"
        + f" WHERE id = {r}.delivery_id;"
    )


SQLITE_ENGAGEMENT_REFS = """UPDATE engagement SET story_department_id = (
        SELECT department_id FROM story WHERE id = new.story_id)
    WHERE id = new.id;"""
SQLITE_ANSWER_REFS = """UPDATE promptanswer SET
        story_department_id = (SELECT department_id FROM story WHERE id = new.story_id),
        prompted_at = (SELECT coalesce(sent_at, occurrence_at) FROM promptdelivery
                       WHERE id = new.delivery_id)
    WHERE id = new.id;"""


def _sqlite_triggers() -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement).

    SQLite does not let a trigger set NEW, so an insert first counts the row as written and
    then copies the story's department onto it with an UPDATE, which the update trigger
    counts. A trigger does not fire itself again, hence separate "refs" triggers.
    """
    bodies = [
        ("rollup_story_insert", "AFTER INSERT ON story", _story_day("new", "+")),
        ("rollup_story_delete", "AFTER DELETE ON story", _story_day("old", "-")),
        (
            "rollup_story_update",
            f"AFTER UPDATE OF {STORY_COLUMNS} ON story",
            _story_day("old", "-")
            + "\n"
            + _story_day("new", "+")
            + """UPDATE storyresonance SET workspace_id = new.workspace_id,
                created_at = new.created_at WHERE story_id = new.id;""",
        ),
        (
            "rollup_story_department",
            "AFTER UPDATE OF department_id ON story",
            """UPDATE engagement SET story_department_id = new.department_id
                WHERE story_id = new.id;
            UPDATE promptanswer SET story_department_id = new.department_id
                WHERE story_id = new.id;""",
        ),
        (
            "rollup_engagement_insert",
            "AFTER INSERT ON engagement",
            _engagement("new", "+") + "\n" + SQLITE_ENGAGEMENT_REFS,
        ),
        ("rollup_engagement_delete", "AFTER DELETE ON engagement", _engagement("old", "-")),
        (
            "rollup_engagement_update",
            f"AFTER UPDATE OF {ENGAGEMENT_COLUMNS} ON engagement",
            _engagement("old", "-") + "\n" + _engagement("new", "+"),
        ),
        (
            "rollup_engagement_refs",
            "AFTER UPDATE OF story_id ON engagement",
            SQLITE_ENGAGEMENT_REFS,
        ),
        (
            "rollup_answer_insert",
            "AFTER INSERT ON promptanswer",
            _answer("new", "+") + "\n" + SQLITE_ANSWER_REFS,
        ),
        ("rollup_answer_delete", "AFTER DELETE ON promptanswer", _answer("old", "-")),
        (
            "rollup_answer_update",
            f"AFTER UPDATE OF {ANSWER_COLUMNS} ON promptanswer",
            _answer("old", "-") + "\n" + _answer("new", "+"),
        ),
        (
            "rollup_answer_refs",
            "AFTER UPDATE OF story_id, delivery_id ON promptanswer",
            SQLITE_ANSWER_REFS,
        ),
        (
            "rollup_delivery_time",
            "AFTER UPDATE OF sent_at, occurrence_at ON promptdelivery",
            """UPDATE promptanswer SET prompted_at = coalesce(new.sent_at, new.occurrence_at)
            WHERE delivery_id = new.id;""",
        ),
    ]
    return [
        (name, f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN\n{body}\nEND")
        for name, when, body in bodies
    ]


# --- PostgreSQL: shared functions and one trigger function per table ---------------------

POSTGRES_FUNCTIONS = [
    """CREATE FUNCTION sightline_storyday(
        p_workspace integer, p_at timestamptz, p_dimension text, p_key text, p_delta integer)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF p_delta > 0 THEN
            INSERT INTO storyday (workspace_id, day, dimension, key, n)
            VALUES (p_workspace, (p_at AT TIME ZONE 'UTC')::date, p_dimension,
                    coalesce(p_key, ''), p_delta)
            ON CONFLICT (workspace_id, day, dimension, key)
            DO UPDATE SET n = storyday.n + excluded.n;
        ELSE
            UPDATE storyday SET n = n + p_delta
            WHERE workspace_id = p_workspace AND day = (p_at AT TIME ZONE 'UTC')::date
              AND dimension = p_dimension AND key = coalesce(p_key, '');
        END IF;
    END $$""",
    """CREATE FUNCTION sightline_siloday(
        p_workspace integer, p_at timestamptz, p_kind text, p_other boolean, p_delta integer)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF p_delta > 0 THEN
            INSERT INTO siloday (workspace_id, day, kind, other_department, n)
            VALUES (p_workspace, (p_at AT TIME ZONE 'UTC')::date, p_kind, p_other, p_delta)
            ON CONFLICT (workspace_id, day, kind, other_department)
            DO UPDATE SET n = siloday.n + excluded.n;
        ELSE
            UPDATE siloday SET n = n + p_delta
            WHERE workspace_id = p_workspace AND day = (p_at AT TIME ZONE 'UTC')::date
              AND kind = p_kind AND other_department = p_other;
        END IF;
    END $$""",
    """CREATE FUNCTION sightline_resonance(p_story integer, p_other integer, p_delta integer)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF p_delta > 0 THEN
            INSERT INTO storyresonance (story_id, workspace_id, created_at, resonates,
                                        from_other)
            SELECT st.id, st.workspace_id, st.created_at, p_delta, p_other * p_delta
            FROM story st WHERE st.id = p_story
            ON CONFLICT (story_id) DO UPDATE SET
                resonates = storyresonance.resonates + excluded.resonates,
                from_other = storyresonance.from_other + excluded.from_other;
        ELSE
            UPDATE storyresonance SET resonates = resonates + p_delta,
                                      from_other = from_other + p_other * p_delta
            WHERE story_id = p_story;
        END IF;
    END $$""",
    """CREATE FUNCTION sightline_story_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM sightline_storyday(OLD.workspace_id, OLD.created_at, 'source',
                                       OLD.source_kind, -1);
            PERFORM sightline_storyday(OLD.workspace_id, OLD.created_at, 'touchpoint',
                                       OLD.touchpoint, -1);
            PERFORM sightline_storyday(OLD.workspace_id, OLD.created_at, 'emotion',
                                       OLD.emotion, -1);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM sightline_storyday(NEW.workspace_id, NEW.created_at, 'source',
                                       NEW.source_kind, 1);
            PERFORM sightline_storyday(NEW.workspace_id, NEW.created_at, 'touchpoint',
                                       NEW.touchpoint, 1);
            PERFORM sightline_storyday(NEW.workspace_id, NEW.created_at, 'emotion',
                                       NEW.emotion, 1);
        END IF;
        IF TG_OP = 'UPDATE' THEN
            IF OLD.department_id IS DISTINCT FROM NEW.department_id THEN
                UPDATE engagement SET story_department_id = NEW.department_id
                WHERE story_id = NEW.id;
                -- Not answers whose prompt this same statement deleted (deleting a
                -- department deletes its prompts): their cascade is still to come.
                UPDATE promptanswer SET story_department_id = NEW.department_id
                WHERE story_id = NEW.id
                  AND EXISTS (SELECT 1 FROM promptdelivery d WHERE d.id = delivery_id);
            END IF;
            UPDATE storyresonance SET workspace_id = NEW.workspace_id,
                                      created_at = NEW.created_at
            WHERE story_id = NEW.id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION sightline_story_department() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.story_department_id := (SELECT department_id FROM story WHERE id = NEW.story_id);
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION sightline_engagement_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.kind = 'resonates' THEN
            IF OLD.department_id IS NOT NULL AND OLD.story_department_id IS NOT NULL THEN
                PERFORM sightline_siloday(OLD.workspace_id, OLD.created_at, 'resonates',
                    OLD.department_id <> OLD.story_department_id, -1);
            END IF;
            PERFORM sightline_resonance(OLD.story_id,
                ((OLD.department_id <> OLD.story_department_id) IS TRUE)::integer, -1);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.kind = 'resonates' THEN
            IF NEW.department_id IS NOT NULL AND NEW.story_department_id IS NOT NULL THEN
                PERFORM sightline_siloday(NEW.workspace_id, NEW.created_at, 'resonates',
                    NEW.department_id <> NEW.story_department_id, 1);
            END IF;
            PERFORM sightline_resonance(NEW.story_id,
                ((NEW.department_id <> NEW.story_department_id) IS TRUE)::integer, 1);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION sightline_answer_refs() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.story_department_id := (SELECT department_id FROM story WHERE id = NEW.story_id);
        NEW.prompted_at := (SELECT coalesce(d.sent_at, d.occurrence_at) FROM promptdelivery d
                            WHERE d.id = NEW.delivery_id);
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION sightline_answer_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF OLD.story_id IS NOT NULL AND OLD.department_id IS NOT NULL
               AND OLD.story_department_id IS NOT NULL THEN
                PERFORM sightline_siloday(OLD.workspace_id, OLD.created_at, 'answer',
                    OLD.department_id <> OLD.story_department_id, -1);
            END IF;
            UPDATE promptdelivery SET answer_count = answer_count - 1 WHERE id = OLD.delivery_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF NEW.story_id IS NOT NULL AND NEW.department_id IS NOT NULL
               AND NEW.story_department_id IS NOT NULL THEN
                PERFORM sightline_siloday(NEW.workspace_id, NEW.created_at, 'answer',
                    NEW.department_id <> NEW.story_department_id, 1);
            END IF;
            UPDATE promptdelivery SET answer_count = answer_count + 1 WHERE id = NEW.delivery_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION sightline_delivery_time() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE promptanswer SET prompted_at = coalesce(NEW.sent_at, NEW.occurrence_at)
        WHERE delivery_id = NEW.id;
        RETURN NULL;
    END $$""",
]
POSTGRES_FUNCTION_NAMES = [
    "sightline_delivery_time()",
    "sightline_answer_rollups()",
    "sightline_answer_refs()",
    "sightline_engagement_rollups()",
    "sightline_story_department()",
    "sightline_story_rollups()",
    "sightline_resonance(integer, integer, integer)",
    "sightline_siloday(integer, timestamptz, text, boolean, integer)",
    "sightline_storyday(integer, timestamptz, text, text, integer)",
]
POSTGRES_TRIGGERS = [
    (
        "rollup_story",
        "story",
        f"AFTER INSERT OR DELETE OR UPDATE OF {STORY_COLUMNS}, department_id ON story",
        "sightline_story_rollups",
    ),
    (
        "rollup_engagement_refs",
        "engagement",
        "BEFORE INSERT OR UPDATE OF story_id ON engagement",
        "sightline_story_department",
    ),
    (
        "rollup_engagement",
        "engagement",
        f"AFTER INSERT OR DELETE OR UPDATE OF {ENGAGEMENT_COLUMNS} ON engagement",
        "sightline_engagement_rollups",
    ),
    (
        "rollup_answer_refs",
        "promptanswer",
        "BEFORE INSERT OR UPDATE OF story_id, delivery_id ON promptanswer",
        "sightline_answer_refs",
    ),
    (
        "rollup_answer",
        "promptanswer",
        f"AFTER INSERT OR DELETE OR UPDATE OF {ANSWER_COLUMNS} ON promptanswer",
        "sightline_answer_rollups",
    ),
    (
        "rollup_delivery_time",
        "promptdelivery",
        "AFTER UPDATE OF sent_at, occurrence_at ON promptdelivery",
        "sightline_delivery_time",
    ),
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _tables()
    # Backfill before the triggers exist, so nothing is counted twice.
    for statement in _backfill(POSTGRES_DAY if postgres else SQLITE_DAY, postgres):
        op.execute(statement)
    if postgres:
        for statement in POSTGRES_FUNCTIONS:
            op.execute(statement)
        for name, _, when, function in POSTGRES_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION {function}()")
    else:
        for _, statement in _sqlite_triggers():
            op.execute(statement)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    for name, table, columns, added in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns + added)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, columns, _ in reversed(WIDENED):
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    if postgres:
        for name, table, _, _ in reversed(POSTGRES_TRIGGERS):
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for signature in POSTGRES_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION {signature}")
    else:
        for name, _ in reversed(_sqlite_triggers()):
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("engagement") as batch:
        batch.drop_column("story_department_id")
    with op.batch_alter_table("promptanswer") as batch:
        batch.drop_column("story_department_id")
        batch.drop_column("prompted_at")
    with op.batch_alter_table("promptdelivery") as batch:
        batch.drop_column("answer_count")
    op.drop_table("storyresonance")
    op.drop_table("siloday")
    op.drop_table("storyday")
