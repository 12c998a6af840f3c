"""Crash recovery: claims a sender took but never confirmed, checked before any re-send.

After the claim timeout another sweep takes the claim over and asks the platform whether
a post carrying the delivery id already exists: if so the row is confirmed as sent, if the
occurrence is now past the grace period it is recorded as missed, otherwise it is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.scheduler import sweep
from bot.scheduler.context import SchedulerContext, failure_reason
from bot.scheduler.report import SweepReport, tally
from stories.models import DeliveryStatus, Department, PromptDelivery, Workspace
from stories.prompt_ledger import mark_missed, mark_sent, stale_claims, take_over_claim
from stories.prompts import PromptMessage, destination_for

logger = logging.getLogger(__name__)


async def recover_stale(ctx: SchedulerContext, report: SweepReport) -> None:
    """Take over each stale claim this instance can reach and settle it once."""
    now = ctx.runtime.clock.now()
    stale = await ctx.runtime.run(lambda session: _reachable_stale(ctx, session, now))
    for delivery in stale:
        taken = await ctx.runtime.run(
            lambda session, d=delivery: take_over_claim(  # type: ignore[misc]
                session=session, clock=ctx.runtime.clock, delivery=d, instance=ctx.instance
            )
        )
        if not taken:
            continue
        prepared = await ctx.runtime.run(
            lambda session, d=delivery: sweep.fill(ctx, session, d.id or 0)  # type: ignore[misc]
        )
        if not isinstance(prepared, PromptMessage):
            continue
        try:
            ref = await ctx.senders[prepared.platform].find_sent(message=prepared)
        except Exception as exc:  # noqa: BLE001 - cannot tell whether it went out: do not risk a duplicate
            logger.warning(
                "could not check delivery %s: %s", prepared.delivery_id, failure_reason(exc)
            )
            continue
        if ref is not None:
            await ctx.runtime.run(
                lambda session, m=prepared, r=ref: mark_sent(  # type: ignore[misc]
                    session=session,
                    clock=ctx.runtime.clock,
                    delivery_id=m.delivery_id,
                    message_ref=r,
                )
            )
            report.recovered += 1
        elif now - prepared.occurrence_at > ctx.config.grace:
            await ctx.runtime.run(
                lambda session, m=prepared: mark_missed(  # type: ignore[misc]
                    session=session,
                    delivery_id=m.delivery_id,
                    reason="claimed but never confirmed, and now past the grace period",
                )
            )
            report.missed += 1
        else:
            outcome = await sweep.send(ctx, prepared)
            report.recovered += outcome.status == DeliveryStatus.SENT
            tally(report, outcome, recovered=True)


def _reachable_stale(
    ctx: SchedulerContext, session: Session, now: datetime
) -> list[PromptDelivery]:
    """Stale claims this instance can check and send; other platforms' are left alone
    for a replica that has their sender."""
    reachable = []
    for delivery in stale_claims(session=session, now=now, older_than=ctx.config.claim_timeout):
        department = session.get(Department, delivery.department_id)
        workspace = session.get(Workspace, delivery.workspace_id)
        if department is None or workspace is None:
            continue
        if destination_for(workspace, department, ctx.senders) is not None:
            reachable.append(delivery)
    return reachable
