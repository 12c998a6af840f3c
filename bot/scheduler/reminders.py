"""Reminders: one per sent prompt, personally to the members who have not responded.

The core (`stories.prompt_reminders`) decides when (the department's delay, else the
default, while answers are open) and to whom (members who neither answered nor marked the
story "not relevant"); the reminder is claimed first, so it goes at most once across
replicas, and none goes when everyone has responded.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from bot.scheduler.context import SchedulerContext, failure_reason
from bot.scheduler.report import SweepReport
from stories.models import Department, PromptTemplate, Story, Workspace
from stories.prompt_ledger import answer_count, claim_reminder, get_delivery
from stories.prompt_reminders import due_reminders, reminder_recipients
from stories.prompts import ReminderMessage, build_message, destination_for, reminder_text

logger = logging.getLogger(__name__)


async def send_reminders(ctx: SchedulerContext, report: SweepReport) -> None:
    """Send the reminders that fell due; each is claimed first, so it goes at most once."""
    now = ctx.runtime.clock.now()
    due = await ctx.runtime.run(
        lambda session: due_reminders(
            session=session,
            now=now,
            default_after=ctx.config.reminder_after,
            answer_window=ctx.config.answer_window,
        )
    )
    for delivery in due:
        reminder = await ctx.runtime.run(
            lambda session, d=delivery: _prepare_reminder(ctx, session, d.id or 0)  # type: ignore[misc]
        )
        if reminder is None:
            continue
        if not reminder.recipients:
            report.reminders_unneeded += 1  # everyone answered or said "not relevant"
            continue
        try:
            reached = await ctx.senders[reminder.prompt.platform].send_reminder(reminder=reminder)
        except Exception as exc:  # noqa: BLE001 - at most one reminder: a failed one is not retried
            logger.warning("reminder for %s failed: %s", delivery.id, failure_reason(exc))
            continue
        report.reminders += 1
        report.reminded_people += reached


def _prepare_reminder(
    ctx: SchedulerContext, session: Session, delivery_id: int
) -> ReminderMessage | None:
    """Claim the reminder and address it; None when it is not this instance's to send."""
    delivery = get_delivery(session=session, delivery_id=delivery_id)
    department = session.get(Department, delivery.department_id)
    workspace = session.get(Workspace, delivery.workspace_id)
    story = session.get(Story, delivery.story_id) if delivery.story_id else None
    template = session.get(PromptTemplate, delivery.template_id) if delivery.template_id else None
    if (
        department is None
        or workspace is None
        or not workspace.active  # removed: nothing more is posted there
        or story is None
        or template is None
        or not delivery.message_ref
    ):
        return None
    where = destination_for(workspace, department, ctx.senders)
    if where is None:
        return None  # another replica with this platform's sender will remind
    if not claim_reminder(session=session, clock=ctx.runtime.clock, delivery_id=delivery_id):
        return None
    prompt = build_message(
        delivery=delivery,
        workspace=workspace,
        department=department,
        story=story,
        template=template,
        platform=where[0],
        destination=where[1],
        answer_window=ctx.config.answer_window,
    )
    answers = answer_count(session=session, delivery_id=delivery_id)
    recipients = reminder_recipients(session=session, delivery=delivery)
    return ReminderMessage(
        prompt=prompt,
        message_ref=delivery.message_ref,
        answers_so_far=answers,
        text=reminder_text(
            department=department.name, answers_so_far=answers, answer_by=prompt.answer_by
        ),
        recipients=tuple(member.platform_user_id for member in recipients),
    )
