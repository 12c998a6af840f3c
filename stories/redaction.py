"""Personal-data redaction, applied before any text is stored or posted.

Each detector finds spans; overlapping spans keep the earliest, longest one, and
every span is replaced by a visible token such as ``[email]`` so readers can see
that something was removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from stdnum import iban, luhn

TOKENS = {"email": "[email]", "phone": "[phone]", "card": "[card]", "iban": "[iban]"}

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b"
)
# 13 to 19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# Where an IBAN may start: a country code and two check digits; the rest is read group by
# group (see _ibans), since a greedy pattern would swallow the words that follow it.
_IBAN_START = re.compile(r"\b[A-Za-z]{2}\d{2}(?=[ ]?[A-Za-z0-9])")
_IBAN_GROUP = re.compile(r"[ ]?([A-Za-z0-9]{1,34})")
_IBAN_MAX = 34


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Redaction:
    text: str
    spans: tuple[Span, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return len(self.spans)


class Redactor:
    """Finds and masks e-mail addresses, phone numbers, payment cards and IBANs.

    Args:
        default_region: ISO country used to read national-format phone numbers
            (``020 7946 0958`` is a London number when the region is ``GB``).
        extra_regions: further regions whose national formats are also recognised.
    """

    def __init__(self, *, default_region: str = "US", extra_regions: tuple[str, ...] = ()) -> None:
        self._regions = (default_region.upper(), *(r.upper() for r in extra_regions))

    def find(self, text: str) -> list[Span]:
        spans = [*self._emails(text), *self._ibans(text), *self._cards(text), *self._phones(text)]
        return _non_overlapping(spans)

    def redact(self, text: str) -> Redaction:
        spans = self.find(text)
        out: list[str] = []
        cursor = 0
        for span in spans:
            out.append(text[cursor : span.start])
            out.append(TOKENS[span.kind])
            cursor = span.end
        out.append(text[cursor:])
        return Redaction(text="".join(out), spans=tuple(spans))

    @staticmethod
    def _emails(text: str) -> list[Span]:
        return [Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]

    @staticmethod
    def _ibans(text: str) -> list[Span]:
        """The longest run of groups after each start that is a valid IBAN (checksum)."""
        found = []
        for start in _IBAN_START.finditer(text):
            compact, end, best = start.group(), start.end(), None
            while (group := _IBAN_GROUP.match(text, end)) is not None:
                compact += group.group(1)
                end = group.end()
                if len(compact) > _IBAN_MAX:
                    break
                if len(compact) >= 15 and iban.is_valid(compact):
                    best = end
            if best is not None:
                found.append(Span(start.start(), best, "iban"))
        return found

    @staticmethod
    def _cards(text: str) -> list[Span]:
        found = []
        for m in _CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
                found.append(Span(m.start(), m.end(), "card"))
        return found

    def _phones(self, text: str) -> list[Span]:
        found: dict[tuple[int, int], Span] = {}
        for region in self._regions:
            for match in phonenumbers.PhoneNumberMatcher(
                text, region, leniency=phonenumbers.Leniency.VALID
            ):
                found.setdefault((match.start, match.end), Span(match.start, match.end, "phone"))
        for span in _international_phones(text, self._regions[0]):
            found.setdefault((span.start, span.end), span)
        return list(found.values())


def _international_phones(text: str, region: str) -> list[Span]:
    """Numbers written in international form that libphonenumber does not call *valid*.

    Ranges newly allocated, reserved for fiction (``+44 7700 900123``) or unknown to the
    library's metadata still reach a person. A leading ``+`` and a length that is possible
    for the country code are strong enough evidence on their own; dates, prices and
    versions have no ``+`` or no possible length, so they survive.
    """
    found = []
    for match in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.POSSIBLE
    ):
        if not match.raw_string.startswith("+"):
            continue
        reason = phonenumbers.is_possible_number_with_reason(match.number)
        if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
            found.append(Span(match.start, match.end, "phone"))
    return found


def _non_overlapping(spans: list[Span]) -> list[Span]:
    """Keep the earliest span at each place, preferring the longer one on a tie."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept
