"""The period a page shows, read from its query string (7d, 30d, 90d, quarter or a range)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web

from stories.periods import Period, parse_period

CHOICES = (
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("quarter", "This quarter"),
    ("custom", "Custom range"),
)


@dataclass(frozen=True)
class PeriodChoice:
    """What the period form shows, and the query string that asks for the same period."""

    chosen: str
    since: str
    until: str
    query: str  # "period=30d", "period=custom&since=…&until=…"


def period_of(request: web.Request, now: datetime) -> tuple[Period, PeriodChoice]:
    """The asked-for period (default: the last 30 days).

    Raises:
        InvalidFieldError: a period or range that cannot be read (the page says why).
    """
    chosen = request.query.get("period", "30d")
    since, until = request.query.get("since", ""), request.query.get("until", "")
    if chosen == "custom":
        raw = f"{since}..{until}"
        query = urlencode({"period": chosen, "since": since, "until": until})
    else:
        raw, query = chosen, urlencode({"period": chosen})
    period = parse_period(raw, now=now).whole_seconds()
    return period, PeriodChoice(chosen=chosen, since=since, until=until, query=query)
