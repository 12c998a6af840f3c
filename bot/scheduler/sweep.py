"""The prompt sweep: which occurrences fell due, and claiming, filling and sending each one.

Per active department, the occurrences since the last sweep of *any* replica are planned:
holidays and pauses are recorded as skipped, occurrences older than the grace period (the
bot was down) as missed, and the rest are claimed (the ledger's unique constraint makes
this exactly-once across replicas), filled with a story and a question, and handed to the
platform's `PromptSender`. A failing destination is recorded and never blocks the others.
`send_now` runs a manual occurrence through the same claim, fill and send.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.scheduler.context import LOOKBACK, SchedulerContext, failure_reason
from bot.scheduler.report import DeliveryOutcome, SweepReport, tally
from stories.errors import NoPromptSenderError
from stories.harvest import harvest_message
from stories.models import (
    DeliveryStatus,
    Department,
    PromptTemplate,
    Story,
    Workspace,
)
from stories.prompt_leases import Claim, last_sweep_at
from stories.prompt_ledger import (
    HARVEST_KIND,
    MANUAL_KIND,
    PROMPT_KIND,
    attach_content,
    claim_occurrence,
    get_delivery,
    mark_failed,
    mark_sent,
    record_missed,
    record_skipped,
    recorded_occurrences,
    skip_claimed,
)
from stories.prompt_library import sync_library
from stories.prompt_selection import (
    NO_QUESTION_REASON,
    NO_STORY_REASON,
    choose_question,
    choose_story,
)
from stories.prompts import PromptMessage, build_message, destination_for
from stories.schedule import plan_between

logger = logging.getLogger(__name__)
SEND_CONCURRENCY = 8  # parallel sends per sweep; each sender paces its own platform


@dataclass(frozen=True)
class DueOccurrence:
    """An occurrence to claim and send now (a scheduled one, or a manual send)."""

    department_id: int
    occurrence_at: datetime
    kind: str


# --- planning -----------------------------------------------------------------------------


def window_start(ctx: SchedulerContext, session: Session, now: datetime) -> datetime:
    """Where this sweep starts looking for occurrences."""
    last = last_sweep_at(session=session)
    since = now - LOOKBACK
    if last is not None:
        # From the previous sweep (of any replica), with a little overlap for clock skew;
        # the ledger removes repeats. Starting any earlier would make a schedule edited
        # to an earlier time of day fire at once.
        since = max(since, min(last, now) - 2 * ctx.config.sweep_interval)
    return since


def plan(
    ctx: SchedulerContext, session: Session, since: datetime, now: datetime, report: SweepReport
) -> list[DueOccurrence]:
    """Record skips and misses; return the occurrences to claim and send now."""
    due: list[DueOccurrence] = []
    for workspace, department in departments(session):
        if destination_for(workspace, department, ctx.senders) is None:
            continue
        start = max(since, department.created_at)
        planned = plan_between(department, start, now)
        if not planned:
            continue
        # Customer-facing departments are asked for stories instead (story harvest).
        kind = HARVEST_KIND if department.customer_facing else PROMPT_KIND
        done = recorded_occurrences(
            session=session, department=department, start=start, end=now, kind=kind
        )
        for occurrence in planned:
            if occurrence.at in done:
                continue
            if occurrence.skip_reason is not None:
                recorded = record_skipped(
                    session=session,
                    clock=ctx.runtime.clock,
                    department=department,
                    occurrence_at=occurrence.at,
                    reason=occurrence.skip_reason,
                    kind=kind,
                )
                report.skipped += recorded is not None
                _count(ctx, kind, "skipped", recorded is not None)
            elif now - occurrence.at > ctx.config.grace:
                recorded = record_missed(
                    session=session,
                    clock=ctx.runtime.clock,
                    department=department,
                    occurrence_at=occurrence.at,
                    kind=kind,
                )
                report.missed += recorded is not None
                _count(ctx, kind, "missed", recorded is not None)
            else:
                due.append(DueOccurrence(department.id or 0, occurrence.at, kind))
    return due


def _count(ctx: SchedulerContext, kind: str, status: str, recorded: bool) -> None:
    if recorded:
        ctx.runtime.metrics.deliveries.labels(kind=kind, status=status).inc()


def departments(session: Session) -> list[tuple[Workspace, Department]]:
    query = (
        select(Workspace, Department)
        .join(Department, col(Department.workspace_id) == col(Workspace.id))
        .where(col(Workspace.active).is_(True))
        .order_by(col(Department.id))
    )
    return [(w, d) for w, d in session.exec(query)]


# --- claiming, filling and sending --------------------------------------------------------


async def deliver_all(ctx: SchedulerContext, due: list[DueOccurrence], report: SweepReport) -> None:
    """Deliver the due occurrences, a few at a time, counting each outcome."""
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(item: DueOccurrence) -> None:
        async with gate:
            outcome = await deliver(ctx, item)
            tally(report, outcome)

    await asyncio.gather(*(one(item) for item in due))


async def deliver(ctx: SchedulerContext, item: DueOccurrence) -> DeliveryOutcome:
    """Claim, fill, send and confirm one occurrence; every failure ends in the ledger."""
    prepared = await ctx.runtime.run(lambda session: _claim_and_prepare(ctx, session, item))
    if not isinstance(prepared, Prepared):
        return prepared
    return await send(ctx, prepared)


@dataclass(frozen=True)
class Prepared:
    """A filled prompt and the claim its outcome is recorded under."""

    message: PromptMessage
    claim: Claim
    kind: str = PROMPT_KIND  # the ledger row's kind: prompt, manual or harvest


async def send(ctx: SchedulerContext, prepared: Prepared) -> DeliveryOutcome:
    """Send a filled prompt and confirm its ledger row as sent or failed, as its owner.

    An outcome the ledger refuses (the claim was taken over meanwhile, this instance having
    looked dead) is reported with no status: the new owner checks the platform and settles it.
    """
    message, claim = prepared.message, prepared.claim
    sender = ctx.senders[message.platform]
    clock = ctx.runtime.clock
    metrics = ctx.runtime.metrics
    try:
        ref = await sender.send_prompt(message=message)
    except Exception as exc:  # noqa: BLE001 - any refusal is recorded; the next department still goes
        reason = failure_reason(exc)
        logger.warning(
            "prompt %s to %s failed: %s", message.delivery_id, message.destination, reason
        )
        failed = await ctx.runtime.run(
            lambda session: mark_failed(session=session, clock=clock, claim=claim, reason=reason)
        )
        if failed is None:
            return _lost(message)
        metrics.deliveries.labels(kind=prepared.kind, status="failed").inc()
        return DeliveryOutcome(message.delivery_id, DeliveryStatus.FAILED, reason, message)
    posted_at = clock.now()
    sent = await ctx.runtime.run(
        lambda session: mark_sent(session=session, clock=clock, claim=claim, message_ref=ref)
    )
    if sent is None:
        return _lost(message)
    metrics.deliveries.labels(kind=prepared.kind, status="sent").inc()
    if prepared.kind != MANUAL_KIND:  # a manual send has no due time to be late for
        late = (posted_at - message.occurrence_at).total_seconds()
        metrics.lateness.labels(kind=prepared.kind).observe(late)
    return DeliveryOutcome(message.delivery_id, DeliveryStatus.SENT, None, message)


def _lost(message: PromptMessage) -> DeliveryOutcome:
    logger.warning(
        "delivery %s was taken over before its outcome was recorded", message.delivery_id
    )
    return DeliveryOutcome(message.delivery_id, None, "taken over by another instance", message)


def _claim_and_prepare(
    ctx: SchedulerContext, session: Session, item: DueOccurrence
) -> Prepared | DeliveryOutcome:
    department = session.get(Department, item.department_id)
    if department is None:
        return DeliveryOutcome(None, None, "department deleted")
    delivery = claim_occurrence(
        session=session,
        clock=ctx.runtime.clock,
        department=department,
        occurrence_at=item.occurrence_at,
        instance=ctx.instance,
        kind=item.kind,
    )
    if delivery is None:
        return DeliveryOutcome(None, None, "claimed elsewhere")
    return fill(ctx, session, Claim.of(delivery))


def fill(ctx: SchedulerContext, session: Session, claim: Claim) -> Prepared | DeliveryOutcome:
    """Choose (or reload) the story and question for a claimed delivery.

    A claim that cannot be filled (department gone, no sender, no story or question) is
    recorded as skipped and returned as that outcome.
    """
    delivery_id = claim.delivery_id
    delivery = get_delivery(session=session, delivery_id=delivery_id)
    department = session.get(Department, delivery.department_id)
    workspace = session.get(Workspace, delivery.workspace_id)
    if department is None or workspace is None:
        return _skip(ctx, session, claim, "department deleted")
    where = destination_for(workspace, department, ctx.senders)
    if where is None:
        return _skip(ctx, session, claim, "no chat platform sender for this department's channel")
    if delivery.kind == HARVEST_KIND:
        harvest = harvest_message(
            delivery=delivery,
            workspace=workspace,
            department=department,
            platform=where[0],
            destination=where[1],
            answer_window=ctx.config.answer_window,
        )
        return Prepared(harvest, claim, HARVEST_KIND)
    area = ctx.config.touchpoints.area_for(department.name)
    story = session.get(Story, delivery.story_id) if delivery.story_id else None
    matched = True
    if story is None or not story.shared:
        choice = choose_story(
            session=session,
            department=department,
            touchpoints=ctx.config.touchpoints.touchpoints_for(area),
            now=ctx.runtime.clock.now(),
            repeat_window=ctx.config.repeat_window,
            exclude_delivery_id=delivery_id,
        )
        if choice is None:
            return _skip(ctx, session, claim, NO_STORY_REASON)
        story, matched = choice.story, choice.matched
    template = session.get(PromptTemplate, delivery.template_id) if delivery.template_id else None
    if template is None:
        template = choose_question(session=session, department=department, area=area)
        if template is None:
            return _skip(ctx, session, claim, NO_QUESTION_REASON)
    delivery = attach_content(
        session=session, delivery_id=delivery_id, story_id=story.id, template_id=template.id
    )
    message = build_message(
        delivery=delivery,
        workspace=workspace,
        department=department,
        story=story,
        template=template,
        platform=where[0],
        destination=where[1],
        answer_window=ctx.config.answer_window,
        matched=matched,
    )
    return Prepared(message, claim, delivery.kind)


def _skip(ctx: SchedulerContext, session: Session, claim: Claim, reason: str) -> DeliveryOutcome:
    skipped = skip_claimed(session=session, claim=claim, reason=reason)
    if skipped is None:
        return DeliveryOutcome(claim.delivery_id, None, "taken over by another instance")
    _count(ctx, skipped.kind, "skipped", True)
    return DeliveryOutcome(claim.delivery_id, DeliveryStatus.SKIPPED, reason)


# --- manual sends -------------------------------------------------------------------------


async def send_now(ctx: SchedulerContext, *, department_id: int) -> DeliveryOutcome:
    """`sightline prompts send`: a manual occurrence, through the same ledger.

    Raises:
        NoPromptSenderError: no configured platform can reach the department.
    """

    def check(session: Session) -> Department:
        department = session.get(Department, department_id)
        workspace = session.get(Workspace, department.workspace_id) if department else None
        if department is None or workspace is None:
            raise NoPromptSenderError(department=str(department_id))
        if destination_for(workspace, department, ctx.senders) is None:
            raise NoPromptSenderError(department=department.name)
        sync_library(session=session, prompts=ctx.config.library)
        return department

    await ctx.runtime.run(check)
    # Whole seconds: a double press within the same second is one delivery, not two.
    now = ctx.runtime.clock.now().replace(microsecond=0)
    return await deliver(ctx, DueOccurrence(department_id, now, MANUAL_KIND))
