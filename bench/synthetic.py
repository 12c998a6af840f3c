"""Deterministic synthetic stories for benchmarks: realistic word frequencies, fast to load."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

TOUCHPOINTS = [
    "billing", "refunds", "invoices", "payments", "pricing", "contracts", "terms", "privacy",
    "login", "access", "outages", "app", "website", "delivery", "returns", "stock",
    "installation", "onboarding", "training", "renewals",
]  # fmt: skip
EMOTIONS = ["delighted", "happy", "neutral", "confused", "frustrated", "angry", "anxious"]
# Words a support team uses. They are spread through a larger made-up vocabulary and words
# are drawn with Zipf weights, so a query word matches anywhere from about 0.1% to 15% of
# stories, as in real text (a vocabulary of only these words would match most stories).
DOMAIN_WORDS = (
    "customer order account refund invoice delivery payment call email week day team "
    "login password reset card charge bill price plan contract renewal support agent "
    "manager store app website page error outage delay late wrong missing broken damaged "
    "parcel courier driver warehouse stock return label form portal report data privacy "
    "consent terms legal finance access security update upgrade install setup onboarding "
    "training video guide help chat phone queue hold transfer escalation complaint review "
    "discount coupon voucher subscription cancel cancellation trial upgrade downgrade seat "
    "license tax vat receipt statement balance overdue reminder letter collection debt "
    "address postcode slot window engineer visit appointment reschedule weekend holiday "
    "morning evening night manager director owner founder nurse teacher driver plumber "
    "florist cafe bakery clinic school council charity hotel factory shop retailer bank"
).split()
FILLER = (
    "the a she he they we our their was were had could not never finally still again "
    "because after before when while then so but and with without for about into on at"
).split()


VOCABULARY_SIZE = 20_000
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def vocabulary(seed: int = 3) -> list[str]:
    """Made-up words with the domain words placed at log-spread frequency ranks."""
    chooser = random.Random(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY_SIZE:
        word = "".join(chooser.choice(_SYLLABLES) for _ in range(chooser.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    domain = list(dict.fromkeys(DOMAIN_WORDS))
    for n, word in enumerate(domain):
        rank = int(30 * (100 ** (n / len(domain))))  # ranks 30 … 3,000
        words.insert(rank, word)
    return words[:VOCABULARY_SIZE]


def _weights(n: int) -> list[float]:
    return [1.0 / (rank + 1) for rank in range(n)]


class StoryFactory:
    """Generates story rows; the same seed always gives the same data."""

    def __init__(self, seed: int = 7, *, start: datetime | None = None, days: int = 3 * 365):
        self._random = random.Random(seed)
        self._words = vocabulary()
        self._cumulative = list(itertools.accumulate(_weights(len(self._words))))
        self._start = start or datetime(2024, 1, 1, tzinfo=UTC)
        self._days = days

    def text(self, words: int | None = None) -> str:
        count = words or self._random.randint(18, 60)
        picked = self._random.choices(self._words, cum_weights=self._cumulative, k=count)
        out: list[str] = []
        for word in picked:
            out.append(word)
            if self._random.random() < 0.6:
                out.append(self._random.choice(FILLER))
        sentence = " ".join(out)
        return sentence[0].upper() + sentence[1:] + "."

    def rows(self, count: int, *, workspace_id: int) -> Iterator[dict[str, object]]:
        span = self._days * 86400
        for n in range(count):
            yield {
                "workspace_id": workspace_id,
                "text": self.text(),
                "customer_label": None,
                "touchpoint": self._random.choice(TOUCHPOINTS),
                "emotion": self._random.choice(EMOTIONS),
                "source_kind": "import",
                "source_ref": f"bench:{n}",
                "channel_private": False,
                "shared": True,
                "redaction_count": 0,
                "themes": "[]",
                "created_at": self._start + timedelta(seconds=self._random.randrange(span)),
            }

    def pii_story(self) -> str:
        """A story with personal details in it, as redaction sees in real captures."""
        extras = [
            "Call her back on +44 20 7946 0958 before noon.",
            "He wrote from jane.doe@example.com twice.",
            "The card 4111 1111 1111 1111 was charged twice.",
            "She asked for a refund to GB82 WEST 1234 5698 7654 32.",
            "Reach him on (415) 555-0132 after six.",
            "",
            "",
            "",
        ]
        return f"{self.text(30)} {self._random.choice(extras)}".strip()
