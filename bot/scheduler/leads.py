"""The CX leads' channel: notices of prompts that could not be delivered, and the digest.

Both are rows in the same ledger, claimed before posting, so each notice and each weekly
digest reaches the leads once however many replicas sweep. Neither is ever re-sent: a
duplicate in the leads' channel is worse than a missing one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel import Session, col, select

from bot.delivery import LeadsSender
from bot.scheduler.context import LOOKBACK, SchedulerContext, failure_reason
from bot.scheduler.report import SweepReport
from stories.chart import render_chart
from stories.digest import (
    LEADS_KINDS,
    DigestMessage,
    DigestSchedule,
    LeadsNotice,
    claim_digest,
    claim_failure_notice,
    digest_period,
    failure_notice_text,
    record_missed_digest,
    recorded_digests,
    unnotified_failures,
)
from stories.models import DeliveryStatus, Platform, Workspace
from stories.prompt_leases import Claim, expired_claims
from stories.prompt_ledger import SENDABLE_KINDS, mark_failed, mark_missed, mark_sent
from stories.summaries import build_summary
from stories.workspace_settings import Channel, channel_of

logger = logging.getLogger(__name__)


# --- posting to the leads' channel --------------------------------------------------------


def leads_route(
    ctx: SchedulerContext, workspace: Workspace, session: Session
) -> tuple[str, str, LeadsSender] | None:
    """(platform, leads' channel, sender) for a workspace, or None when it has none: the
    workspace's own channel (``settings leads-channel``), else the installation's default."""
    if workspace.platform in (Platform.SLACK, Platform.TEAMS):
        platforms = [workspace.platform.value]
    else:  # a command-line workspace: the first platform that can reach a leads' channel
        platforms = list(ctx.senders)
    for platform in platforms:
        sender = ctx.senders.get(platform)
        if not isinstance(sender, LeadsSender):
            continue
        destination = channel_of(
            session=session,
            workspace_id=workspace.id or 0,
            channel=Channel.LEADS,
            default=ctx.config.leads.get(platform),
        )
        if destination:
            return platform, destination, sender
    return None


async def _post_to_leads(
    ctx: SchedulerContext, claim: Claim, post: Callable[[], Awaitable[str]]
) -> DeliveryStatus:
    """Post, then confirm the ledger row as sent or failed (never re-sent either way)."""
    clock = ctx.runtime.clock
    delivery_id = claim.delivery_id
    try:
        ref = await post()
    except Exception as exc:  # noqa: BLE001 - recorded on the ledger row for leads
        reason = failure_reason(exc)
        logger.warning("post %s to the leads' channel failed: %s", delivery_id, reason)
        await ctx.runtime.run(
            lambda session: mark_failed(session=session, clock=clock, claim=claim, reason=reason)
        )
        return DeliveryStatus.FAILED
    await ctx.runtime.run(
        lambda session: mark_sent(session=session, clock=clock, claim=claim, message_ref=ref)
    )
    return DeliveryStatus.SENT


def _abandon_stale_posts(ctx: SchedulerContext, session: Session, now: datetime) -> None:
    """A digest or notice claim a crash left unconfirmed is recorded as missed, not re-sent:
    the channel may already have it, and a duplicate there is worse than a missing post
    (`sightline summary` gives the digest's figures on demand)."""
    for delivery in expired_claims(
        session=session, now=now, lease=ctx.config.lease, kinds=LEADS_KINDS
    ):
        mark_missed(
            session=session,
            claim=Claim.of(delivery),
            reason="interrupted before it was confirmed; not re-sent to avoid a duplicate",
        )


# --- failure notices ----------------------------------------------------------------------


async def notify_failures(ctx: SchedulerContext, now: datetime, report: SweepReport) -> None:
    """Tell the leads, once each, about prompts that could not be delivered."""
    for notice, claim in await ctx.runtime.run(lambda session: _claim_notices(ctx, session, now)):
        sender = ctx.senders[notice.platform]
        assert isinstance(sender, LeadsSender)  # leads_route only routes to LeadsSenders
        await _post_to_leads(
            ctx,
            claim,
            lambda n=notice, s=sender: s.send_leads_notice(notice=n),  # type: ignore[misc]
        )
        report.notices += 1


def _claim_notices(
    ctx: SchedulerContext, session: Session, now: datetime
) -> list[tuple[LeadsNotice, Claim]]:
    """Claim a notice for each recent failure not yet told; another replica's are skipped."""
    notices = []
    for failed, workspace, department in unnotified_failures(
        session=session, since=now - LOOKBACK, prompt_kinds=SENDABLE_KINDS
    ):
        route = leads_route(ctx, workspace, session)
        if route is None:
            continue
        row = claim_failure_notice(
            session=session, clock=ctx.runtime.clock, failed=failed, instance=ctx.instance
        )
        if row is None:
            continue  # another replica tells them
        notice = LeadsNotice(
            delivery_id=row.id or 0,
            workspace_external_id=workspace.external_id,
            platform=route[0],
            destination=route[1],
            text=failure_notice_text(
                department=department.name,
                occurrence_at=failed.occurrence_at,
                timezone=department.timezone,
                reason=failed.reason or "unknown error",
                kind=failed.kind,
            ),
        )
        notices.append((notice, Claim.of(row)))
    return notices


# --- the weekly digest --------------------------------------------------------------------


async def send_digests(
    ctx: SchedulerContext, since: datetime, now: datetime, report: SweepReport
) -> None:
    """Post each digest that fell due since the last sweep; record older ones as missed."""
    schedule = ctx.config.digest
    if schedule is None:
        return
    # Settles stale notice claims too, though only while the digest is on.
    await ctx.runtime.run(lambda session: _abandon_stale_posts(ctx, session, now))
    due = await ctx.runtime.run(
        lambda session: _plan_digests(ctx, session, schedule, since, now, report)
    )
    for workspace_id, platform, occurrence_at in due:
        claimed = await ctx.runtime.run(
            lambda session, w=workspace_id, p=platform, o=occurrence_at: _claim_digest(  # type: ignore[misc]
                ctx, session, w, p, o
            )
        )
        if claimed is None:
            report.lost_claims += 1
            continue
        digest, claim = claimed
        sender = ctx.senders[digest.platform]
        assert isinstance(sender, LeadsSender)
        status = await _post_to_leads(
            ctx,
            claim,
            lambda d=digest, s=sender: s.send_digest(digest=d),  # type: ignore[misc]
        )
        if status == DeliveryStatus.SENT:
            report.digests += 1
        else:
            report.failed += 1
            report.failures.append(f"{digest.delivery_id}: digest")


def _plan_digests(
    ctx: SchedulerContext,
    session: Session,
    schedule: DigestSchedule,
    since: datetime,
    now: datetime,
    report: SweepReport,
) -> list[tuple[int, str, datetime]]:
    due: list[tuple[int, str, datetime]] = []
    workspaces = session.exec(select(Workspace).where(col(Workspace.active).is_(True)))
    for workspace in workspaces:
        route = leads_route(ctx, workspace, session)
        if route is None:
            continue
        platform = route[0]
        start = max(since, workspace.created_at)
        planned = schedule.between(start, now)
        if not planned:
            continue
        done = recorded_digests(
            session=session,
            workspace_id=workspace.id or 0,
            platform=platform,
            start=start,
            end=now,
        )
        for occurrence in planned:
            if occurrence.at in done:
                continue
            if now - occurrence.at > ctx.config.grace:
                missed = record_missed_digest(
                    session=session,
                    clock=ctx.runtime.clock,
                    workspace_id=workspace.id or 0,
                    platform=platform,
                    occurrence_at=occurrence.at,
                )
                report.missed += missed is not None
            else:
                due.append((workspace.id or 0, platform, occurrence.at))
    return due


def _claim_digest(
    ctx: SchedulerContext,
    session: Session,
    workspace_id: int,
    platform: str,
    occurrence_at: datetime,
) -> tuple[DigestMessage, Claim] | None:
    """Claim the digest, then compute its summary and chart (in this worker thread)."""
    workspace = session.get(Workspace, workspace_id)
    route = leads_route(ctx, workspace, session) if workspace else None
    if workspace is None or route is None:
        return None
    row = claim_digest(
        session=session,
        clock=ctx.runtime.clock,
        workspace_id=workspace_id,
        platform=platform,
        occurrence_at=occurrence_at,
        instance=ctx.instance,
    )
    if row is None:
        return None
    summary = build_summary(
        session=session,
        workspace_id=workspace_id,
        period=digest_period(occurrence_at, ctx.config.digest_period_days),
        now=ctx.runtime.clock.now(),
    )
    try:
        chart: bytes | None = render_chart(summary)
    except Exception:  # a digest without its picture is better than no digest
        logger.exception("could not draw the digest chart")
        chart = None
    digest = DigestMessage(
        delivery_id=row.id or 0,
        workspace_id=workspace_id,
        workspace_external_id=workspace.external_id,
        platform=platform,
        destination=route[1],
        occurrence_at=occurrence_at,
        summary=summary,
        chart_png=chart,
    )
    return digest, Claim.of(row)
