"""Emotion for stories captured without one, from VADER's offline lexicon.

VADER gives a ``compound`` score in [-1, 1]. It measures polarity, not the kind of feeling,
so it can only fill in a coarse emotion. The mapping (thresholds follow VADER's own
recommendation of +-0.05 for "neutral"):

==========================  ============
compound                    emotion
==========================  ============
>= 0.5                      delighted
0.05 <= c < 0.5             happy
-0.05 < c < 0.05            neutral
-0.5 < c <= -0.05           confused    (mildly negative: stuck, unsure, let down)
<= -0.5                     frustrated  (strongly negative)
==========================  ============

"angry" and "anxious" are never inferred: a lexicon cannot tell them from frustration, so only
people choose them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from stories.models import Emotion

_TOKEN = re.compile(r"\[[a-z_]+\]")  # redaction placeholders such as [email] carry no feeling


class _Analyzer(Protocol):
    def polarity_scores(self, text: str) -> dict[str, float]: ...


@lru_cache(maxsize=1)
def _analyzer() -> _Analyzer:
    # Loading the lexicon takes ~50 ms; do it once, and only when a summary needs it.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer: _Analyzer = SentimentIntensityAnalyzer()
    return analyzer


def compound_score(text: str) -> float:
    """VADER's compound polarity for ``text`` in [-1, 1]."""
    return float(_analyzer().polarity_scores(_TOKEN.sub(" ", text))["compound"])


def emotion_for_score(compound: float) -> Emotion:
    if compound >= 0.5:
        return Emotion.DELIGHTED
    if compound >= 0.05:
        return Emotion.HAPPY
    if compound > -0.05:
        return Emotion.NEUTRAL
    if compound > -0.5:
        return Emotion.CONFUSED
    return Emotion.FRUSTRATED


def infer_emotion(text: str) -> Emotion:
    """The emotion a story most likely carries, for stories captured without one."""
    return emotion_for_score(compound_score(text))
