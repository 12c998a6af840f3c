"""Themes: what the period's stories and answers keep talking about.

YAKE (an unsupervised, offline keyword extractor) proposes up to a few phrases per document;
phrases are grouped case-insensitively with a simple plural merge ("refunds" -> "refund",
"deliveries" -> "delivery"), and each group is counted as the number of documents whose
text contains it (not how often YAKE happened to pick it). Redaction placeholders such as
``[email]`` are removed before extraction, so they can never become themes.

The result depends only on the documents and their order: ties are broken by the phrase
itself, so the same data always gives the same themes.

YAKE costs a few milliseconds per document, so its work is bounded: when there are more than
:data:`PROPOSERS` documents, an evenly spaced subset of them proposes phrases (every document
is still counted), and only the first :data:`PROPOSAL_CHARS` characters of each are read.
Proposals are memoised per text, so a summary repeated over mostly the same newest documents
extracts only the new ones.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_PLACEHOLDER = re.compile(r"\[[a-z_]+\]")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Words that describe every story rather than any theme.
_GENERIC = frozenset(
    """
    customer client user someone person people owner manager company team staff
    asked told said called left back got went came took made tried wanted needed
    today yesterday morning afternoon evening night time day week month year hour minute
    thing lot way end first last single another
    """.split()  # noqa: SIM905 (a word list reads better than 46 quoted strings)
)
PER_DOCUMENT = 6  # phrases YAKE proposes per document
CANDIDATES = 200  # phrase groups checked against every document (cheap substring tests)
PROPOSERS = 48  # documents YAKE reads at most; the rest are only counted
PROPOSAL_CHARS = 600  # a long story's opening names its subject; YAKE's cost grows with length
PROPOSAL_CACHE = 4096  # memoised texts (a few hundred bytes each)


@dataclass(frozen=True)
class ThemeDocument:
    """A story or an answer; ``story_id`` is the story it is about (None for stray answers)."""

    text: str
    story_id: int | None
    is_story: bool = True


@dataclass(frozen=True)
class Theme:
    phrase: str
    key: str  # normalised form used for grouping and counting
    count: int  # documents that contain the phrase
    example_story_id: int | None
    example_text: str


def singular(word: str) -> str:
    """A deliberately simple plural merge; good enough to group "refund" and "refunds"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return [singular(w) for w in _WORD.findall(_PLACEHOLDER.sub(" ", text).casefold())]


def normalise(phrase: str) -> str:
    return " ".join(words(phrase))


@lru_cache(maxsize=PROPOSAL_CACHE)
def _padded(text: str) -> str:
    """The normalised words with a space either side, so " key " finds whole words only.

    Memoised like the proposals: a repeated summary reads mostly the same texts.
    """
    return f" {normalise(text)} "


@lru_cache(maxsize=1)
def _extractor() -> Any:
    import yake

    return yake.KeywordExtractor(lan="en", n=2, top=PER_DOCUMENT, dedupLim=0.8)


@lru_cache(maxsize=PROPOSAL_CACHE)
def _proposals(cleaned: str) -> tuple[tuple[str, float], ...]:
    """YAKE's (phrase, score) pairs for one text; the same text always gives the same pairs."""
    return tuple((phrase, float(score)) for phrase, score in _extractor().extract_keywords(cleaned))


def _proposers(documents: Sequence[ThemeDocument]) -> list[ThemeDocument]:
    """At most PROPOSERS documents, evenly spread over the sequence (deterministic)."""
    if len(documents) <= PROPOSERS:
        return list(documents)
    step = len(documents) / PROPOSERS
    return [documents[int(n * step)] for n in range(PROPOSERS)]


def _opening(text: str) -> str:
    """The first PROPOSAL_CHARS characters, cut at whitespace so no word is halved."""
    if len(text) <= PROPOSAL_CHARS:
        return text
    head = text[:PROPOSAL_CHARS]
    if text[PROPOSAL_CHARS].isspace():
        return head
    space = max(head.rfind(" "), head.rfind("\n"))
    return head[:space] if space > 0 else head


def _keep(key: str) -> bool:
    parts = key.split()
    if not parts or any(part.isdigit() for part in parts):
        return False
    # Generic words may appear inside a phrase ("customer portal") but not alone.
    return len(parts) > 1 or (len(parts[0]) >= 3 and parts[0] not in _GENERIC)


def extract_themes(
    documents: Sequence[ThemeDocument], *, limit: int = 8, min_count: int = 2
) -> list[Theme]:
    """The ``limit`` most common themes among ``documents`` (each in ``min_count`` or more)."""
    proposed: Counter[str] = Counter()
    surface: defaultdict[str, Counter[str]] = defaultdict(Counter)
    best_score: dict[str, float] = {}
    for document in _proposers(documents):
        cleaned = _PLACEHOLDER.sub(" . ", _opening(document.text))
        seen: set[str] = set()
        for phrase, score in _proposals(cleaned):
            key = normalise(phrase)
            if not _keep(key) or key in seen:
                continue
            seen.add(key)
            proposed[key] += 1
            surface[key][phrase.casefold().strip()] += 1
            best_score[key] = min(best_score.get(key, float("inf")), score)
    candidates = sorted(proposed, key=lambda k: (-proposed[k], best_score[k], k))[:CANDIDATES]

    padded = [_padded(d.text) for d in documents]
    ranked: list[tuple[int, int, float, str, int]] = []
    for key in candidates:
        needle = f" {key} "
        hits = [i for i, text in enumerate(padded) if needle in text]
        if len(hits) < min_count:
            continue
        example = _example(documents, hits)
        ranked.append((-len(hits), -proposed[key], best_score[key], key, example))
    ranked.sort()
    # "delay" found in exactly the documents that say "refund delay" adds nothing: keep the longer.
    same_count: defaultdict[int, list[str]] = defaultdict(list)
    for negative, _, _, key, _ in ranked:
        same_count[-negative].append(key)
    ranked = [
        row
        for row in ranked
        if not any(
            other != row[3] and f" {row[3]} " in f" {other} " for other in same_count[-row[0]]
        )
    ]
    themes: list[Theme] = []
    for negative_count, _, _, key, example in ranked[:limit]:
        forms = surface[key]
        phrase = min(forms, key=lambda form: (-forms[form], form))
        document = documents[example]
        themes.append(
            Theme(
                phrase=phrase,
                key=key,
                count=-negative_count,
                example_story_id=document.story_id,
                example_text=document.text,
            )
        )
    return themes


def _example(documents: Sequence[ThemeDocument], hits: Iterable[int]) -> int:
    """Prefer a story over an answer, then the lowest story id (stable across runs)."""
    return min(
        hits,
        key=lambda i: (
            not documents[i].is_story,
            documents[i].story_id is None,
            documents[i].story_id or 0,
            i,
        ),
    )


def count_containing(documents: Sequence[ThemeDocument], keys: Iterable[str]) -> dict[str, int]:
    """How many ``documents`` contain each normalised key (for previous-period comparison)."""
    padded = [_padded(d.text) for d in documents]
    return {key: sum(1 for text in padded if f" {key} " in text) for key in keys}
