"""Theme extraction and the lexicon emotion fallback (pure functions, no database)."""

from __future__ import annotations

import pytest

from stories.models import Emotion
from stories.sentiment import emotion_for_score, infer_emotion
from stories.themes import ThemeDocument, extract_themes, normalise, singular

DOCUMENTS = [
    ThemeDocument("The customer was charged twice for one invoice and waited for a refund.", 11),
    ThemeDocument("Refunds take too long; she wrote to [email] about the refund delay.", 12),
    ThemeDocument("Another double charge on the invoice, refund delay again, call [phone].", 13),
    ThemeDocument("The login page rejected a valid password for three days.", 14),
    ThemeDocument("Login failed after a password reset and the chat was closed.", 15),
    ThemeDocument("Finance should see the refund delay numbers.", 12, is_story=False),
]


def test_plural_merge_and_case_folding() -> None:
    assert singular("refunds") == "refund"
    assert singular("deliveries") == "delivery"
    assert singular("access") == "access"
    assert singular("status") == "status"
    assert normalise("Refund Delays") == normalise("refund delay") == "refund delay"


def test_themes_are_counted_per_document_with_an_example_story() -> None:
    themes = {t.key: t for t in extract_themes(DOCUMENTS)}
    # Four documents (the answer included) say "refund"; "Refunds" is merged into it.
    assert themes["refund"].count == 4
    assert themes["refund"].example_story_id == 11
    assert themes["refund delay"].count == 3
    assert themes["refund delay"].example_story_id == 12
    assert themes["login"].count == 2
    assert themes["login"].example_story_id == 14
    assert themes["invoice"].count == 2
    # "delay" appears exactly where "refund delay" does, so only the longer phrase is kept.
    assert "delay" not in themes


def test_themes_are_ranked_by_count_then_phrase_and_are_deterministic() -> None:
    first = extract_themes(DOCUMENTS)
    assert first == extract_themes(list(DOCUMENTS))
    counts = [t.count for t in first]
    assert counts == sorted(counts, reverse=True)
    assert first[0].phrase == "refund"


def test_redaction_placeholders_never_become_themes() -> None:
    documents = [
        ThemeDocument(f"Write to [email] or ring [phone] about the [card] refund delay {n}.", n)
        for n in range(1, 8)
    ]
    found = extract_themes(documents, min_count=1, limit=20)
    words = {word for t in found for word in t.key.split()}
    assert "refund delay" in {t.key for t in found}
    # "email", "phone" and "card" exist in these texts only inside placeholders.
    assert not words & {"email", "phone", "card"}
    assert all("[" not in t.phrase for t in found)


def test_limit_and_min_count() -> None:
    assert len(extract_themes(DOCUMENTS, limit=2)) == 2
    assert all(t.count >= 3 for t in extract_themes(DOCUMENTS, min_count=3))
    assert extract_themes([]) == []


@pytest.mark.parametrize(
    ("score", "emotion"),
    [
        (0.9, Emotion.DELIGHTED),
        (0.5, Emotion.DELIGHTED),
        (0.2, Emotion.HAPPY),
        (0.0, Emotion.NEUTRAL),
        (-0.2, Emotion.CONFUSED),
        (-0.5, Emotion.FRUSTRATED),
        (-0.95, Emotion.FRUSTRATED),
    ],
)
def test_compound_score_mapping(score: float, emotion: Emotion) -> None:
    assert emotion_for_score(score) is emotion


def test_lexicon_reads_the_text() -> None:
    assert (
        infer_emotion("Wonderful, thank you so much, the team was brilliant!") is Emotion.DELIGHTED
    )
    assert infer_emotion("Terrible, awful service, she was furious and upset.") is (
        Emotion.FRUSTRATED
    )
    assert infer_emotion("The invoice was sent on Tuesday.") is Emotion.NEUTRAL
