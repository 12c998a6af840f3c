"""What one sweep did, and what became of one delivery, for logs, the CLI and tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from stories.models import DeliveryStatus
from stories.prompts import PromptMessage


@dataclass
class SweepReport:
    """What one sweep did, for logs and tests."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    missed: int = 0
    recovered: int = 0
    takeovers: int = 0  # claims taken over from an instance whose lease expired
    reminders: int = 0  # prompts reminded
    reminded_people: int = 0  # direct messages / personal chats the reminders reached
    reminders_unneeded: int = 0  # everyone had responded: no reminder went
    digests: int = 0
    notices: int = 0
    lost_claims: int = 0  # another sweep claimed first: normal with several replicas
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of one occurrence handed to `PromptScheduler.deliver` or `send_now`."""

    delivery_id: int | None
    status: DeliveryStatus | None  # None when another sweep owned the occurrence
    reason: str | None = None
    message: PromptMessage | None = None


def tally(report: SweepReport, outcome: DeliveryOutcome, *, recovered: bool = False) -> None:
    """Count one delivery's outcome; a recovered send is counted by its caller instead."""
    if outcome.status is None:
        report.lost_claims += 1
    elif outcome.status == DeliveryStatus.SENT and not recovered:
        report.sent += 1
    elif outcome.status == DeliveryStatus.FAILED:
        report.failed += 1
        report.failures.append(f"{outcome.delivery_id}: {outcome.reason}")
    elif outcome.status == DeliveryStatus.SKIPPED:
        report.skipped += 1
