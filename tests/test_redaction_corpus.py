"""Redaction recall and precision over a labelled corpus of customer-story snippets.

``tests/fixtures/pii_corpus.jsonl`` holds realistic snippets, each with the exact personal
details it contains (kind and value); about 40% hold none but look as if they might
(order numbers, dates, prices, tracking codes, 16-digit references that fail the Luhn
check). README's redaction figures come from ``measure()`` here:
``python -m tests.test_redaction_corpus`` prints them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stories.redaction import TOKENS, Redactor, Span

CORPUS = Path(__file__).parent / "fixtures" / "pii_corpus.jsonl"
KINDS = ("email", "phone", "card", "iban")
_EDGE = " \t.,;:()[]\"'"


@dataclass
class Scores:
    true_positive: Counter[str] = field(default_factory=Counter)
    false_positive: Counter[str] = field(default_factory=Counter)
    false_negative: Counter[str] = field(default_factory=Counter)
    leaks: list[str] = field(default_factory=list)

    def recall(self, kind: str | None = None) -> float:
        tp, fn = self._sum(self.true_positive, kind), self._sum(self.false_negative, kind)
        return tp / (tp + fn) if tp + fn else 1.0

    def precision(self, kind: str | None = None) -> float:
        tp, fp = self._sum(self.true_positive, kind), self._sum(self.false_positive, kind)
        return tp / (tp + fp) if tp + fp else 1.0

    def support(self, kind: str) -> int:
        return self.true_positive[kind] + self.false_negative[kind]

    @staticmethod
    def _sum(counter: Counter[str], kind: str | None) -> int:
        return counter[kind] if kind else sum(counter.values())


def load_corpus() -> list[dict[str, object]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]


def _same_span(found: Span, start: int, end: int, text: str) -> bool:
    # A span may differ from the label only by surrounding spaces or punctuation.
    return text[found.start : found.end].strip(_EDGE) == text[start:end].strip(_EDGE)


def measure(redactor: Redactor) -> Scores:
    scores = Scores()
    for row in load_corpus():
        text = str(row["text"])
        labels = [(str(p["kind"]), str(p["value"])) for p in row["pii"]]  # type: ignore[attr-defined]
        found = redactor.find(text)
        matched: set[int] = set()
        for kind, value in labels:
            start = text.index(value)
            hit = next(
                (
                    n
                    for n, span in enumerate(found)
                    if n not in matched
                    and span.kind == kind
                    and _same_span(span, start, start + len(value), text)
                ),
                None,
            )
            if hit is None:
                scores.false_negative[kind] += 1
            else:
                matched.add(hit)
                scores.true_positive[kind] += 1
        for n, span in enumerate(found):
            if n not in matched:
                scores.false_positive[span.kind] += 1
        redacted = redactor.redact(text).text
        scores.leaks += [value for _, value in labels if value in redacted]
    return scores


@pytest.fixture(scope="module")
def scores() -> Scores:
    return measure(Redactor(default_region="GB", extra_regions=("US",)))


def test_corpus_is_large_varied_and_consistent() -> None:
    rows = load_corpus()
    assert len(rows) >= 300
    kinds = Counter(str(p["kind"]) for row in rows for p in row["pii"])  # type: ignore[attr-defined]
    assert all(kinds[kind] >= 30 for kind in KINDS)
    assert sum(1 for row in rows if not row["pii"]) >= 100  # look-alikes that must survive
    assert all(str(p["value"]) in str(row["text"]) for row in rows for p in row["pii"])  # type: ignore[attr-defined]


def test_overall_recall_and_precision(scores: Scores) -> None:
    print(f"\nredaction recall {scores.recall():.3f} precision {scores.precision():.3f}")
    assert scores.recall() >= 0.99
    assert scores.precision() >= 0.97


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_found(scores: Scores, kind: str) -> None:
    assert scores.recall(kind) >= 0.95
    assert scores.precision(kind) >= 0.9


def test_no_labelled_detail_survives_redaction(scores: Scores) -> None:
    assert scores.leaks == []


def test_tokens_replace_each_kind_visibly() -> None:
    redactor = Redactor(default_region="GB", extra_regions=("US",))
    result = redactor.redact(
        "Mail a@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111, "
        "IBAN GB82 WEST 1234 5698 7654 32."
    )
    assert result.text == (
        f"Mail {TOKENS['email']}, call {TOKENS['phone']}, card {TOKENS['card']}, "
        f"IBAN {TOKENS['iban']}."
    )
    assert result.count == 4


@pytest.mark.parametrize(
    "text",
    [
        "Reference 4111 1111 1111 1112 fails the Luhn check.",
        "IBAN GB82 WEST 1234 5698 7654 33 has a wrong check digit.",
        "Order 2026-11-04 for £1,299.00, invoice INV-2026-00042, version v2.14.3.",
        "Nothing personal here at all, just a late parcel.",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    result = Redactor(default_region="GB", extra_regions=("US",)).redact(text)
    assert result.text == text
    assert result.count == 0


@pytest.mark.parametrize(
    "number",
    ["+44 7700 900123", "+1 555 010 4477", "+44 (0) 7700 900 789", "+33 6 39 98 00 00"],
)
def test_international_numbers_are_redacted_even_when_not_valid(number: str) -> None:
    """Fictional, reserved or newly allocated ranges still reach a person."""
    import phonenumbers

    assert not phonenumbers.is_valid_number(phonenumbers.parse(number))
    result = Redactor(default_region="GB", extra_regions=("US",)).redact(f"Call {number} now.")
    assert result.text == f"Call {TOKENS['phone']} now."


@pytest.mark.parametrize(
    "text",
    ["Refunds up +15% in March.", "Released as +2026-11-04 by mistake.", "Fee +£3.50 a parcel."],
)
def test_plus_signed_look_alikes_survive(text: str) -> None:
    assert Redactor(default_region="GB", extra_regions=("US",)).redact(text).count == 0


def main() -> None:
    scores = measure(Redactor(default_region="GB", extra_regions=("US",)))
    rows = load_corpus()
    print(f"Corpus: {len(rows)} snippets, {sum(1 for r in rows if not r['pii'])} without PII.\n")
    print("| kind | support | recall | precision |")
    print("|---|---:|---:|---:|")
    for kind in KINDS:
        print(
            f"| {kind} | {scores.support(kind)} | {scores.recall(kind):.3f} "
            f"| {scores.precision(kind):.3f} |"
        )
    total = sum(scores.support(k) for k in KINDS)
    print(f"| all | {total} | {scores.recall():.3f} | {scores.precision():.3f} |")


if __name__ == "__main__":
    main()
