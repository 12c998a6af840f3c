"""Small interfaces the Teams skin depends on, implemented by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol


class ChartUrls(Protocol):
    """Signed links to a summary's chart (served by this bot), or None without a public URL."""

    def url_for(self, summary: Any) -> str | None: ...


class PromptNow(Protocol):
    """`prompt now`: a manual occurrence through the scheduler's ledger."""

    def __call__(self, department_id: int, /) -> Awaitable[tuple[str, str | None]]:
        """Send now; return (status, reason) as recorded in the ledger."""
        ...
