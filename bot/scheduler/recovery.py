"""Takeover: claims whose owner died (or restarted), checked with the platform before any re-send.

A claim is a lease (`stories.prompt_leases`): once its owner has stopped heartbeating for
longer than the lease, or restarted since claiming, another instance (or the restarted one)
takes it over and asks the platform whether a post carrying the delivery id already exists:
if so the row is confirmed as sent, if the occurrence is now past the grace period it is
recorded as missed, otherwise it is sent. Every outcome is recorded under the new claim, so
a previous owner that was only slow cannot overwrite it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlmodel import Session

from bot.scheduler import sweep
from bot.scheduler.context import SchedulerContext, failure_reason
from bot.scheduler.report import SweepReport, tally
from stories.models import DeliveryStatus, Department, Workspace
from stories.prompt_leases import Claim, expired_claims, take_over
from stories.prompt_ledger import SENDABLE_KINDS, mark_missed, mark_sent
from stories.prompts import destination_for

logger = logging.getLogger(__name__)


async def recover_expired(ctx: SchedulerContext, report: SweepReport) -> None:
    """Take over each expired claim this instance can reach and settle it once."""
    now = ctx.runtime.clock.now()
    expired = await ctx.runtime.run(lambda session: reachable_expired(ctx, session, now))
    gate = asyncio.Semaphore(sweep.SEND_CONCURRENCY)

    async def one(claim: Claim) -> None:
        async with gate:
            await _recover(ctx, claim, report)

    await asyncio.gather(*(one(claim) for claim in expired))


async def _recover(ctx: SchedulerContext, expired: Claim, report: SweepReport) -> None:
    clock = ctx.runtime.clock
    claim = await ctx.runtime.run(
        lambda session: take_over(
            session=session, claim=expired, instance=ctx.instance, now=clock.now()
        )
    )
    if claim is None:
        return  # another instance took it over first
    report.takeovers += 1
    ctx.runtime.metrics.takeovers.inc()
    logger.info("took over delivery %s from %s", claim.delivery_id, expired.owner)
    prepared = await ctx.runtime.run(lambda session: sweep.fill(ctx, session, claim))
    if not isinstance(prepared, sweep.Prepared):
        return
    message = prepared.message
    try:
        ref = await ctx.senders[message.platform].find_sent(message=message)
    except Exception as exc:  # noqa: BLE001 - cannot tell whether it went out: do not risk a duplicate
        logger.warning("could not check delivery %s: %s", message.delivery_id, failure_reason(exc))
        return  # the claim is ours now and expires with us: the next check tries again
    if ref is not None:
        found = ref
        done = await ctx.runtime.run(
            lambda session: mark_sent(session=session, clock=clock, claim=claim, message_ref=found)
        )
        report.recovered += done is not None
        if done is not None:
            ctx.runtime.metrics.deliveries.labels(kind=prepared.kind, status="sent").inc()
    elif clock.now() - message.occurrence_at > ctx.config.grace:
        await ctx.runtime.run(
            lambda session: mark_missed(
                session=session,
                claim=claim,
                reason="claimed but never confirmed, and now past the grace period",
            )
        )
        report.missed += 1
    else:
        outcome = await sweep.send(ctx, prepared)
        report.recovered += outcome.status == DeliveryStatus.SENT
        tally(report, outcome, recovered=True)


def reachable_expired(ctx: SchedulerContext, session: Session, now: datetime) -> list[Claim]:
    """Expired claims this instance can check and send; other platforms' are left alone
    for a replica that has their sender."""
    reachable = []
    for delivery in expired_claims(
        session=session, now=now, lease=ctx.config.lease, kinds=SENDABLE_KINDS
    ):
        department = session.get(Department, delivery.department_id)
        workspace = session.get(Workspace, delivery.workspace_id)
        if department is None or workspace is None:
            continue
        if destination_for(workspace, department, ctx.senders) is not None:
            reachable.append(Claim.of(delivery))
    return reachable
