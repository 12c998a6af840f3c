"""Ranked full-text search over stories.

SQLite uses the FTS5 index ``story_fts`` (BM25 ranking); PostgreSQL uses the generated
``search_vector`` column with its GIN index (``ts_rank_cd``). Both read the same small query
language, close to what people type into search boxes: words must all appear (stemmed, so
"refunds" finds "refund"), ``"quoted phrases"`` match in order, ``-word`` excludes and ``or``
between two terms accepts either. Nothing a person types can break the query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, column, func, literal_column, table
from sqlmodel import Session, col, select

from stories.capture import normalise_touchpoint
from stories.errors import InvalidSearchError
from stories.models import Emotion, SourceKind, Story
from stories.visibility import Viewer, visible_clause

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
RANK_WINDOW = 2000  # matches ranked per query, newest first (see search_stories)
_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)
# Column weights for bm25(): story text, customer label, touchpoint.
_SQLITE_RANK = "bm25(story_fts, 10.0, 2.0, 4.0)"
_FTS = table("story_fts", column("rowid"))


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or several for a phrase
    exclude: bool = False
    either_with_previous: bool = False  # joined to the term before by "or"


@dataclass(frozen=True)
class SearchHit:
    story: Story
    score: float  # higher is better; comparable only within one result page


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    has_more: bool
    query: str
    offset: int = 0


def parse_query(query: str) -> list[Term]:
    """Split what a person typed into terms; raise InvalidSearchError when nothing is left."""
    terms: list[Term] = []
    pending_or = False
    for match in _TERM.finditer(query[:MAX_QUERY_LENGTH]):
        negated_phrase, phrase, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            pending_or = bool(terms) and not terms[-1].exclude
            continue
        exclude = bool(negated_phrase) if phrase is not None else bare.startswith("-")
        raw = phrase if phrase is not None else bare.lstrip("-")
        words = tuple(w.lower() for w in _WORD.findall(raw))
        if not words:
            continue
        terms.append(Term(words, exclude=exclude, either_with_previous=pending_or and not exclude))
        pending_or = False
        if len(terms) == MAX_TERMS:
            break
    if not any(not t.exclude for t in terms):
        raise InvalidSearchError()
    return terms


def fts5_expression(terms: Sequence[Term]) -> str:
    """An FTS5 MATCH expression; every word is quoted, so no input is read as syntax."""
    groups: list[list[str]] = []
    for term in (t for t in terms if not t.exclude):
        quoted = '"' + " ".join(term.words) + '"'
        if term.either_with_previous and groups:
            groups[-1].append(quoted)
        else:
            groups.append([quoted])
    positive = " AND ".join(g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in groups)
    negative = "".join(f' NOT "{" ".join(t.words)}"' for t in terms if t.exclude)
    return f"({positive}){negative}"


def websearch_text(terms: Sequence[Term]) -> str:
    """The same terms in PostgreSQL's websearch_to_tsquery syntax."""
    parts: list[str] = []
    for term in terms:
        body = '"' + " ".join(term.words) + '"' if len(term.words) > 1 else term.words[0]
        if term.either_with_previous:
            parts.append("or")
        parts.append(("-" if term.exclude else "") + body)
    return " ".join(parts)


def search_stories(
    *,
    session: Session,
    workspace_id: int,
    query: str,
    touchpoint: str | None = None,
    department_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
    offset: int = 0,
    viewer: Viewer | None = None,
    emotion: Emotion | None = None,
    source: SourceKind | None = None,
) -> SearchPage:
    """Best-matching stories first, with optional filters.

    Args:
        query: words, "phrases", -exclusions and `or`, as typed by a person.
        touchpoint: only stories with this touchpoint (normalised like at capture).
        department_id: only stories whose author was in this department.
        since / until: only stories captured in this UTC time range (inclusive).
        limit / offset: one page of results; ``has_more`` says whether another follows.
        viewer: only stories this viewer may read (see stories.visibility); None: every
            story (the command line's operator).
        emotion / source: only stories with this emotion, or captured this way (dashboard).

    Raises:
        InvalidSearchError: the query holds no word to look for.
    """
    terms = parse_query(query)
    sqlite = session.get_bind().dialect.name == "sqlite"
    slug = normalise_touchpoint(touchpoint)
    filters = _filters(
        sqlite,
        workspace_id=workspace_id,
        viewer=viewer,
        touchpoint=slug,
        department_id=department_id,
        since=since,
        until=until,
        emotion=emotion,
        source=source,
    )
    if sqlite:
        candidates, best_first, sign = _sqlite_candidates(terms, filters, slug)
    else:
        candidates, best_first, sign = _postgres_candidates(terms, filters)
    statement = (
        select(Story, candidates.c.rank)
        .join(candidates, candidates.c.id == Story.id)
        .order_by(best_first, col(Story.created_at).desc(), col(Story.id).desc())
        .offset(offset)
        .limit(limit + 1)
    )
    rows = session.exec(statement).all()
    hits = [SearchHit(story=story, score=sign * float(score)) for story, score in rows[:limit]]
    return SearchPage(hits=hits, has_more=len(rows) > limit, query=query, offset=offset)


def _filters(
    sqlite: bool,
    *,
    workspace_id: int,
    viewer: Viewer | None,
    touchpoint: str | None,
    department_id: int | None,
    since: datetime | None,
    until: datetime | None,
    emotion: Emotion | None = None,
    source: SourceKind | None = None,
) -> list[ColumnElement[bool]]:
    # On SQLite the story table's indexes must not be used for these filters: with them the
    # planner walks a (workspace, touchpoint, date) range and runs the full-text MATCH once
    # per row in it (seconds for a filtered search over a million stories). Without them it
    # walks the MATCH's rowids, newest first, and checks each story by its primary key.
    column = _unindexed if sqlite else col
    filters: list[ColumnElement[bool]] = [
        column(Story.workspace_id) == workspace_id,
        visible_clause(viewer or Viewer.steward()),
    ]
    if touchpoint is not None:
        filters.append(column(Story.touchpoint) == touchpoint)
    if department_id is not None:
        filters.append(column(Story.department_id) == department_id)
    if since is not None:
        filters.append(column(Story.created_at) >= since)
    if until is not None:
        filters.append(column(Story.created_at) <= until)
    if emotion is not None:
        filters.append(column(Story.emotion) == emotion)
    if source is not None:
        filters.append(column(Story.source_kind) == source)
    return filters


# Ranking every match of a common word costs time in proportion to the corpus, so only the
# newest RANK_WINDOW matches are ranked: bounded latency, and recent stories are the ones
# people look for. Queries with fewer matches are ranked completely.


def _unindexed(attribute: Any) -> Any:
    """The column with SQLite's unary "+", which keeps the planner off its indexes while
    binding values through the column's own type."""
    column = Story.__table__.c[col(attribute).key]  # type: ignore[attr-defined]
    return literal_column(f"+story.{column.name}", type_=column.type)


def _sqlite_candidates(
    terms: Sequence[Term], filters: list[ColumnElement[bool]], slug: str | None
) -> tuple[Any, Any, float]:
    """FTS5 matches with their bm25 rank (lower is better)."""
    match = fts5_expression(terms)
    if slug:
        # The index narrows by touchpoint too (the exact filter still applies).
        match += ' AND touchpoint : "' + slug.replace("-", " ") + '"'
    candidates = (
        select(col(Story.id).label("id"), literal_column(_SQLITE_RANK).label("rank"))
        .select_from(_FTS)
        .join(Story, col(Story.id) == _FTS.c.rowid)
        .where(literal_column("story_fts").op("MATCH")(match), *filters)
        .order_by(_FTS.c.rowid.desc())
        .limit(RANK_WINDOW)
        .subquery()
    )
    return candidates, candidates.c.rank, -1.0


def _postgres_candidates(
    terms: Sequence[Term], filters: list[ColumnElement[bool]]
) -> tuple[Any, Any, float]:
    """tsvector matches with their ts_rank_cd (higher is better)."""
    vector: Any = literal_column("story.search_vector")
    tsquery = func.websearch_to_tsquery(
        literal_column("'english'::regconfig"), websearch_text(terms)
    )
    candidates = (
        select(col(Story.id).label("id"), func.ts_rank_cd(vector, tsquery).label("rank"))
        .where(vector.op("@@")(tsquery), *filters)
        .order_by(col(Story.id).desc())
        .limit(RANK_WINDOW)
        .subquery()
    )
    return candidates, candidates.c.rank.desc(), 1.0
