"""Deterministic synthetic stories for benchmarks: realistic word frequencies, fast to load."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
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


# --- a whole organisation for the summary benchmark (issue 6) ----------------------------

AREAS = (
    "support,sales,success,retail,field service,"  # customer-facing: they capture most stories
    "finance,legal,it,hr,operations,procurement,marketing,engineering,product,logistics,"
    "facilities,security,data,compliance,payroll"
).split(",")
CUSTOMER_FACING = frozenset(AREAS[:5])
REGIONS = ["UK", "Ireland", "Germany", "France", "Spain", "Nordics", "US East", "US West"]
REGIONS += ["Canada", "APAC"]
SOURCES = ["slash", "modal", "shortcut", "reaction", "teams_message", "teams_extension", "cli"]
SOURCE_WEIGHTS = [30, 25, 20, 5, 10, 7, 3]
EMOTION_WEIGHTS = [8, 15, 20, 14, 25, 8, 10]  # EMOTIONS order: more complaints than praise
DAY = 86_400
BENCH_START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class WorldSize:
    """How much data: scale 1.0 is 1M stories, 5M answers, 10M engagement rows, 3 years."""

    stories: int
    answers: int
    engagement: int
    departments: int = 200
    days: int = 3 * 365

    @classmethod
    def at(cls, scale: float) -> WorldSize:
        return cls(
            stories=round(1_000_000 * scale),
            answers=round(5_000_000 * scale),
            engagement=round(10_000_000 * scale),
        )


class TimeText:
    """Seconds since BENCH_START as the text each backend stores and parses fastest."""

    def __init__(self, days: int, suffix: str) -> None:
        self._days = [
            (BENCH_START + timedelta(days=d)).date().isoformat() for d in range(days + 60)
        ]
        self._suffix = suffix  # "" for SQLite (naive UTC text, as SQLAlchemy writes it), "+00"

    def __call__(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return f"{self._days[day]} {hour:02d}:{minute:02d}:{second:02d}.000000{self._suffix}"


class SummaryWorld:
    """A deterministic organisation: departments, members, stories, prompts, answers, engagement.

    Generate in order (departments, members, stories, deliveries, answers, engagement): later
    tables refer to the ids of earlier ones. Ids are assigned here, starting at 1, so the
    loader needs no round trips. Adoption grows over the three years (three times as many
    stories a day at the end as at the start) and people capture stories on working days and
    hours.
    """

    def __init__(self, size: WorldSize, *, seed: int, workspace_id: int, stamp: TimeText):
        self.size = size
        self.seed = seed
        self.workspace_id = workspace_id
        self.stamp = stamp
        self.span = size.days * DAY
        self.member_department: list[int | None] = [None]  # index = member id
        self.members_of: dict[int, list[int]] = {}
        self.story_times: list[int] = []
        self.story_department: list[int] = []  # 0 = none
        self._sent: list[tuple[int, int, int, int | None]] = []  # id, department, sent, story
        self._joined: dict[int, int] = {}
        self._propensity: dict[int, float] = {}

    def _random(self, part: str) -> random.Random:
        return random.Random(f"{self.seed}:{part}")

    def departments(self) -> list[tuple[object, ...]]:
        r = self._random("departments")
        rows: list[tuple[object, ...]] = []
        for n in range(1, self.size.departments + 1):
            area, region = self._area(n), REGIONS[(n - 1) % len(REGIONS)]
            name = f"{area.upper() if len(area) == 2 else area.title()} {region}"
            self._joined[n] = 0 if r.random() < 0.4 else r.randrange(540) * DAY
            # A few departments never answer: they make the "not answering" list.
            self._propensity[n] = 0.02 if r.random() < 0.05 else r.uniform(0.15, 0.6)
            hour = r.choice(["08:00", "09:00", "10:00", "11:00"])
            rows.append(
                (
                    n,
                    self.workspace_id,
                    name,
                    name.casefold(),
                    area in CUSTOMER_FACING,
                    "UTC",
                    hour,
                    "mon,wed,fri",
                    1,
                    False,
                    self.stamp(self._joined[n]),
                )
            )
        return rows

    def members(self) -> list[tuple[object, ...]]:
        r = self._random("members")
        rows: list[tuple[object, ...]] = []
        departments: list[int | None] = []
        for d in range(1, self.size.departments + 1):
            departments += [d] * max(5, min(1500, int(r.lognormvariate(4.7, 0.7))))
        departments += [None] * 1500  # people who never picked a department
        for n, d in enumerate(departments, start=1):
            self.member_department.append(d)
            if d is not None:
                self.members_of.setdefault(d, []).append(n)
            rows.append(
                (
                    n,
                    self.workspace_id,
                    f"U{n:07d}",
                    f"Person {n}",
                    d,
                    n % 500 == 0,
                    self.stamp(self._joined.get(d or 0, 0)),
                )
            )
        return rows

    def _story_times(self, r: random.Random) -> list[int]:
        times = []
        while len(times) < self.size.stories:
            # Density grows linearly from 0.5 to 1.5: inverse of its cumulative distribution.
            x = -0.5 + math.sqrt(0.25 + 2 * r.random())
            day = min(self.size.days - 1, int(x * self.size.days))
            if day % 7 >= 5 and r.random() < 0.8:
                continue
            hour = min(23.99, max(0.0, r.gauss(13.0, 3.0)))
            times.append(day * DAY + int(hour * 3600))
        return sorted(times)

    def stories(self) -> Iterator[tuple[object, ...]]:
        r = self._random("stories")
        text = StoryFactory(seed=self.seed)
        self.story_times = self._story_times(r)
        ids = list(range(1, self.size.departments + 1))
        weights = [6 if self._area(d) in CUSTOMER_FACING else 1 for d in ids]
        touch_weights = _weights(len(TOUCHPOINTS))
        no_department = [n for n, d in enumerate(self.member_department) if n and d is None]
        for n, when in enumerate(self.story_times, start=1):
            department = r.choices(ids, weights)[0] if r.random() < 0.9 else None
            if department is None:
                author = r.choice(no_department) if r.random() < 0.5 else None
            else:
                author = r.choice(self.members_of[department])
            source = r.choices(SOURCES, SOURCE_WEIGHTS)[0] if author else "import"
            touchpoint = r.choices(TOUCHPOINTS, touch_weights)[0] if r.random() < 0.95 else None
            emotion = r.choices(EMOTIONS, EMOTION_WEIGHTS)[0] if r.random() < 0.75 else None
            private = r.random() < 0.05
            self.story_department.append(department or 0)
            yield (
                n,
                self.workspace_id,
                text.text(),
                None,
                touchpoint,
                emotion,
                source,
                f"bench:{n}",
                author,
                author,
                department,
                private,
                not private and r.random() < 0.9,
                int(r.random() < 0.1),
                "[]",
                self.stamp(when),
            )

    @staticmethod
    def _area(department: int) -> str:
        return AREAS[(department - 1) // len(REGIONS) % len(AREAS)]

    def deliveries(self) -> Iterator[tuple[object, ...]]:
        """Prompts to every department on Monday, Wednesday and Friday; a weekly leads digest."""
        r = self._random("deliveries")
        hours = {d: 8 + r.randrange(4) for d in range(1, self.size.departments + 1)}
        n = 0
        for day in range(self.size.days):
            if day % 7 not in (0, 2, 4):
                continue
            if day % 7 == 0:
                n += 1
                at = day * DAY + 9 * 3600
                yield (
                    n,
                    self.workspace_id,
                    "digest",
                    "leads",
                    None,
                    self.stamp(at),
                    "sent",
                    None,
                    "bench",
                    self.stamp(at),
                    self.stamp(at + 5),
                    None,
                )
            for d, hour in hours.items():
                at = day * DAY + hour * 3600
                if at < self._joined[d]:
                    continue
                n += 1
                status = r.choices(["sent", "skipped", "failed", "missed"], [95, 3, 1.5, 0.5])[0]
                lo = bisect.bisect_left(self.story_times, at - 14 * DAY)
                hi = bisect.bisect_left(self.story_times, at)
                story = r.randrange(lo, hi) + 1 if hi > lo else None
                sent = at + r.randint(1, 90) if status == "sent" else None
                if sent is not None:
                    self._sent.append((n, d, sent, story))
                yield (
                    n,
                    self.workspace_id,
                    "prompt",
                    f"department:{d}",
                    d,
                    self.stamp(at),
                    status,
                    story,
                    "bench",
                    self.stamp(at),
                    None if sent is None else self.stamp(sent),
                    "holiday" if status == "skipped" else None,
                )

    def answers(self) -> Iterator[tuple[object, ...]]:
        r = self._random("answers")
        text = StoryFactory(seed=self.seed + 1)
        weights = [
            len(self.members_of[d]) * self._propensity[d] * (0.4 + 0.6 * sent / self.span)
            for _, d, sent, _ in self._sent
        ]
        factor = self.size.answers / sum(weights)
        n = 0
        for (delivery, d, sent, story), weight in zip(self._sent, weights, strict=True):
            expected = weight * factor
            people = self.members_of[d]
            count = min(len(people), int(expected) + (r.random() < expected % 1))
            for member in r.sample(people, count):
                u = r.random()
                if u < 0.7:
                    delay = int(r.expovariate(1 / 7200))
                elif u < 0.95:
                    delay = r.randint(8 * 3600, 3 * DAY)
                else:
                    delay = r.randint(3 * DAY, 14 * DAY)
                if sent + delay >= self.span:
                    continue  # not written yet at the end of the data set
                n += 1
                yield (
                    n,
                    self.workspace_id,
                    delivery,
                    story if r.random() < 0.97 else None,
                    member,
                    d,
                    text.text(r.randint(8, 30)),
                    0,
                    self.stamp(sent + delay),
                )

    def engagement(self) -> Iterator[tuple[object, ...]]:
        """About 10 members per story, heavy-tailed; 30% from the story's own department."""
        r = self._random("engagement")
        mean = self.size.engagement / max(1, self.size.stories)
        mu = math.log(mean) - 0.5  # lognormal with sigma 1 has mean exp(mu + 1/2)
        members = len(self.member_department) - 1
        n = 0
        for index, when in enumerate(self.story_times):
            story = index + 1
            count = min(2000, int(r.lognormvariate(mu, 1.0) + 0.5))
            own = self.members_of.get(self.story_department[index], [])
            k_own = min(len(own), int(count * 0.3))
            chosen = set(r.sample(own, k_own)) if k_own else set()
            chosen.update(m + 1 for m in r.sample(range(members), count - k_own))
            for member in sorted(chosen):
                at = when + int(r.lognormvariate(10.0, 1.5))  # median about 6 hours
                if at >= self.span:
                    continue
                n += 1
                kind = "resonates" if r.random() < 0.65 else "view"
                yield (
                    n,
                    self.workspace_id,
                    story,
                    member,
                    self.member_department[member],
                    kind,
                    self.stamp(at),
                )
