"""The prompt scheduler: sweeps for due occurrences, claims them in the ledger, sends them.

Every sweep (once a minute and on start) works out, per active department, which
occurrences fell due since the last sweep of *any* replica. Holidays and pauses are recorded
as skipped; occurrences older than the grace period (the bot was down) as missed; the rest
are claimed (the ledger's unique constraint makes this exactly-once across replicas), filled
with a story and a question, and handed to the platform's `PromptSender`. A failing
destination is recorded and never blocks the others. Claims left unconfirmed by a crash are
recovered: the destination is asked whether the post already exists before re-sending.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from bot.delivery import LeadsSender, PromptSender, build_senders
from bot.runtime import Runtime
from bot.settings import Settings
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
from stories.errors import NoPromptSenderError
from stories.models import (
    DeliveryStatus,
    Department,
    Platform,
    PromptDelivery,
    PromptTemplate,
    Story,
    Workspace,
)
from stories.prompt_ledger import (
    MANUAL_KIND,
    PROMPT_KIND,
    PROMPT_KINDS,
    answer_count,
    attach_content,
    claim_occurrence,
    claim_reminder,
    due_reminders,
    get_delivery,
    last_sweep_at,
    mark_failed,
    mark_missed,
    mark_sent,
    record_missed,
    record_skipped,
    record_sweep,
    recorded_occurrences,
    skip_claimed,
    stale_claims,
    take_over_claim,
)
from stories.prompt_library import (
    LibraryPrompt,
    TouchpointMap,
    load_library,
    load_touchpoints,
    sync_library,
)
from stories.prompt_members import refresh_roster
from stories.prompt_selection import (
    NO_QUESTION_REASON,
    NO_STORY_REASON,
    choose_question,
    choose_story,
)
from stories.prompts import (
    PromptMessage,
    ReminderMessage,
    build_message,
    destination_for,
    reminder_text,
)
from stories.schedule import plan_between
from stories.summaries import build_summary

if TYPE_CHECKING:
    from aiohttp import web
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)
LOOKBACK = timedelta(days=7)  # how far back a first start (no heartbeat yet) looks
SEND_CONCURRENCY = 8  # parallel sends per sweep; each sender paces its own platform


@dataclass(frozen=True)
class PromptConfig:
    """The prompt settings the scheduler needs, read once from `Settings` and `config/`."""

    touchpoints: TouchpointMap
    library: tuple[LibraryPrompt, ...]
    grace: timedelta = timedelta(hours=2)
    repeat_window: timedelta = timedelta(days=90)
    answer_window: timedelta = timedelta(hours=48)
    reminder_after: timedelta | None = timedelta(hours=24)
    claim_timeout: timedelta = timedelta(minutes=10)
    sweep_interval: timedelta = timedelta(seconds=60)
    leads: Mapping[str, str] = field(default_factory=dict)  # platform -> leads' channel
    digest: DigestSchedule | None = None  # None: no weekly digest
    digest_period_days: int = 7

    @classmethod
    def from_settings(cls, settings: Settings) -> PromptConfig:
        reminder = settings.prompt_reminder_after_hours
        leads = {
            platform: destination
            for platform, destination in (
                ("slack", settings.leads_slack_channel),
                ("teams", settings.leads_teams_conversation),
            )
            if destination
        }
        digest = (
            DigestSchedule(
                timezone=settings.digest_timezone or settings.default_timezone,
                prompt_time=settings.digest_time,
                prompt_days=settings.digest_days,
            )
            if settings.digest_enabled
            else None
        )
        return cls(
            touchpoints=load_touchpoints(settings.config_dir / "touchpoints.toml"),
            library=tuple(load_library(settings.config_dir / "prompts.toml")),
            grace=timedelta(hours=settings.prompt_grace_hours),
            repeat_window=timedelta(days=settings.prompt_repeat_window_days),
            answer_window=timedelta(hours=settings.prompt_answer_window_hours),
            reminder_after=timedelta(hours=reminder) if reminder > 0 else None,
            claim_timeout=timedelta(minutes=settings.prompt_claim_timeout_minutes),
            sweep_interval=timedelta(seconds=settings.prompt_sweep_seconds),
            leads=leads,
            digest=digest,
            digest_period_days=settings.digest_period_days,
        )


@dataclass
class SweepReport:
    """What one sweep did, for logs and tests."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    missed: int = 0
    recovered: int = 0
    reminders: int = 0
    digests: int = 0
    notices: int = 0
    lost_claims: int = 0  # another sweep claimed first: normal with several replicas
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: int | None
    status: DeliveryStatus | None  # None when another sweep owned the occurrence
    reason: str | None = None
    message: PromptMessage | None = None


@dataclass(frozen=True)
class _Due:
    department_id: int
    occurrence_at: datetime
    kind: str


def default_instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class PromptScheduler:
    """Runs prompt sweeps; `sweep_once()` is the whole job, `start()` repeats it."""

    def __init__(
        self,
        runtime: Runtime,
        senders: Mapping[str, PromptSender],
        *,
        config: PromptConfig | None = None,
        instance: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.senders = dict(senders)
        self.config = config or PromptConfig.from_settings(runtime.settings)
        self.instance = instance or runtime.settings.scheduler_instance or default_instance_name()
        self._lock = asyncio.Lock()
        self._library_synced = False
        self._scheduler: AsyncIOScheduler | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the periodic sweep on the running event loop (first sweep immediately)."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._sweep_job,
            IntervalTrigger(seconds=self.config.sweep_interval.total_seconds()),
            id="prompt-sweep",
            next_run_time=datetime.now(UTC),  # APScheduler runs on the wall clock
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        scheduler.add_job(
            self._roster_job,
            IntervalTrigger(hours=24),
            id="roster-refresh",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        self._scheduler = scheduler
        logger.info(
            "Prompt scheduler %s started for %s", self.instance, ", ".join(sorted(self.senders))
        )

    async def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        async with self._lock:  # let a sweep in progress finish its sends and ledger writes
            pass

    def attach(self, app: web.Application) -> None:
        """Start with the aiohttp server and stop with it."""

        async def on_startup(_app: web.Application) -> None:
            self.start()

        async def on_cleanup(_app: web.Application) -> None:
            await self.shutdown()

        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)

    async def _roster_job(self) -> None:
        try:
            await self.refresh_rosters()
        except Exception:  # tomorrow's run tries again; never let the job die
            logger.exception("department roster refresh failed")

    async def refresh_rosters(self, *, department_id: int | None = None) -> dict[str, bool]:
        """Read each linked channel's members into its department's roster.

        Returns department name -> whether its channel could be read. A channel that cannot
        be read keeps its last known members and is flagged with the reason.
        """

        def targets(session: Session) -> list[tuple[Department, str, str, str]]:
            found = []
            query = select(Department).where(col(Department.customer_facing).is_(False))
            if department_id is not None:
                query = query.where(Department.id == department_id)
            for department in session.exec(query):
                workspace = session.get(Workspace, department.workspace_id)
                route = destination_for(workspace, department, self.senders) if workspace else None
                if workspace is not None and route is not None:
                    found.append((department, route[0], route[1], workspace.external_id))
            return found

        results: dict[str, bool] = {}
        for department, platform, destination, external_id in await self.runtime.run(targets):
            reader = getattr(self.senders[platform], "channel_members", None)
            if reader is None:
                continue  # this platform cannot list members yet; overrides still apply
            members: list[str] | None
            try:
                members, error = (
                    await reader(workspace_external_id=external_id, destination=destination),
                    None,
                )
            except Exception as exc:  # any refusal flags the roster with its reason
                logger.exception("could not read the members of %s", destination)
                members, error = None, _reason(exc)
            await self.runtime.run(
                lambda session, d=department, m=members, e=error: refresh_roster(  # type: ignore[misc]
                    session=session,
                    clock=self.runtime.clock,
                    department=d,
                    platform_user_ids=m,
                    error=e,
                )
            )
            results[department.name] = members is not None
        return results

    async def _sweep_job(self) -> None:
        try:
            report = await self.sweep_once()
        except Exception:  # the next sweep tries again; never let the job die
            logger.exception("prompt sweep failed")
            return
        if report.sent or report.failed or report.missed or report.recovered:
            logger.info("prompt sweep: %s", report)

    # --- the sweep ---------------------------------------------------------------------

    async def sweep_once(self) -> SweepReport:
        async with self._lock:
            report = SweepReport()
            if not self._library_synced:
                await self.runtime.run(
                    lambda session: sync_library(session=session, prompts=self.config.library)
                )
                self._library_synced = True
            now = self.runtime.clock.now()
            since = await self.runtime.run(lambda session: self._window_start(session, now))
            due = await self.runtime.run(lambda session: self._plan(session, since, now, report))
            await self._deliver_all(due, report)
            await self._recover_stale(report)
            await self._send_reminders(report)
            await self._notify_failures(now, report)
            await self._send_digests(since, now, report)
            await self.runtime.run(
                lambda session: record_sweep(session=session, instance=self.instance, at=now)
            )
            return report

    def _window_start(self, session: Session, now: datetime) -> datetime:
        """Where this sweep starts looking for occurrences."""
        last = last_sweep_at(session=session)
        since = now - LOOKBACK
        if last is not None:
            # From the previous sweep (of any replica), with a little overlap for clock skew;
            # the ledger removes repeats. Starting any earlier would make a schedule edited
            # to an earlier time of day fire at once.
            since = max(since, min(last, now) - 2 * self.config.sweep_interval)
        return since

    def _plan(
        self, session: Session, since: datetime, now: datetime, report: SweepReport
    ) -> list[_Due]:
        """Record skips and misses; return the occurrences to claim and send now."""
        due: list[_Due] = []
        for workspace, department in self._departments(session):
            if destination_for(workspace, department, self.senders) is None:
                continue
            start = max(since, department.created_at)
            planned = plan_between(department, start, now)
            if not planned:
                continue
            done = recorded_occurrences(
                session=session, department=department, start=start, end=now, kind=PROMPT_KIND
            )
            for occurrence in planned:
                if occurrence.at in done:
                    continue
                if occurrence.skip_reason is not None:
                    recorded = record_skipped(
                        session=session,
                        clock=self.runtime.clock,
                        department=department,
                        occurrence_at=occurrence.at,
                        reason=occurrence.skip_reason,
                    )
                    report.skipped += recorded is not None
                elif now - occurrence.at > self.config.grace:
                    recorded = record_missed(
                        session=session,
                        clock=self.runtime.clock,
                        department=department,
                        occurrence_at=occurrence.at,
                    )
                    report.missed += recorded is not None
                else:
                    due.append(_Due(department.id or 0, occurrence.at, PROMPT_KIND))
        return due

    @staticmethod
    def _departments(session: Session) -> list[tuple[Workspace, Department]]:
        query = (
            select(Workspace, Department)
            .join(Department, col(Department.workspace_id) == col(Workspace.id))
            .where(
                col(Workspace.active).is_(True),
                col(Department.customer_facing).is_(False),
            )
            .order_by(col(Department.id))
        )
        return [(w, d) for w, d in session.exec(query)]

    async def _deliver_all(self, due: list[_Due], report: SweepReport) -> None:
        gate = asyncio.Semaphore(SEND_CONCURRENCY)

        async def one(item: _Due) -> None:
            async with gate:
                outcome = await self.deliver(item)
                _count(report, outcome)

        await asyncio.gather(*(one(item) for item in due))

    async def deliver(self, item: _Due) -> DeliveryOutcome:
        """Claim, fill, send and confirm one occurrence; every failure ends in the ledger."""
        prepared = await self.runtime.run(lambda session: self._claim_and_prepare(session, item))
        if not isinstance(prepared, PromptMessage):
            return prepared
        return await self._send(prepared)

    async def _send(self, message: PromptMessage) -> DeliveryOutcome:
        sender = self.senders[message.platform]
        clock = self.runtime.clock
        try:
            ref = await sender.send_prompt(message=message)
        except Exception as exc:  # noqa: BLE001 - any refusal is recorded; the next department still goes
            reason = _reason(exc)
            logger.warning(
                "prompt %s to %s failed: %s", message.delivery_id, message.destination, reason
            )
            await self.runtime.run(
                lambda session: mark_failed(
                    session=session, clock=clock, delivery_id=message.delivery_id, reason=reason
                )
            )
            return DeliveryOutcome(message.delivery_id, DeliveryStatus.FAILED, reason, message)
        await self.runtime.run(
            lambda session: mark_sent(
                session=session, clock=clock, delivery_id=message.delivery_id, message_ref=ref
            )
        )
        return DeliveryOutcome(message.delivery_id, DeliveryStatus.SENT, None, message)

    def _claim_and_prepare(self, session: Session, item: _Due) -> PromptMessage | DeliveryOutcome:
        department = session.get(Department, item.department_id)
        if department is None:
            return DeliveryOutcome(None, None, "department deleted")
        delivery = claim_occurrence(
            session=session,
            clock=self.runtime.clock,
            department=department,
            occurrence_at=item.occurrence_at,
            instance=self.instance,
            kind=item.kind,
        )
        if delivery is None:
            return DeliveryOutcome(None, None, "claimed elsewhere")
        return self._fill(session, delivery.id or 0)

    def _fill(self, session: Session, delivery_id: int) -> PromptMessage | DeliveryOutcome:
        """Choose (or reload) the story and question for a claimed delivery."""
        delivery = get_delivery(session=session, delivery_id=delivery_id)
        department = session.get(Department, delivery.department_id)
        workspace = session.get(Workspace, delivery.workspace_id)
        if department is None or workspace is None:
            skip_claimed(session=session, delivery_id=delivery_id, reason="department deleted")
            return DeliveryOutcome(delivery_id, DeliveryStatus.SKIPPED, "department deleted")
        where = destination_for(workspace, department, self.senders)
        if where is None:
            reason = "no chat platform sender for this department's channel"
            skip_claimed(session=session, delivery_id=delivery_id, reason=reason)
            return DeliveryOutcome(delivery_id, DeliveryStatus.SKIPPED, reason)
        area = self.config.touchpoints.area_for(department.name)
        touchpoints = self.config.touchpoints.touchpoints_for(area)
        story = session.get(Story, delivery.story_id) if delivery.story_id else None
        matched = True
        if story is None or not story.shared:
            choice = choose_story(
                session=session,
                department=department,
                touchpoints=touchpoints,
                now=self.runtime.clock.now(),
                repeat_window=self.config.repeat_window,
                exclude_delivery_id=delivery_id,
            )
            if choice is None:
                skip_claimed(session=session, delivery_id=delivery_id, reason=NO_STORY_REASON)
                return DeliveryOutcome(delivery_id, DeliveryStatus.SKIPPED, NO_STORY_REASON)
            story, matched = choice.story, choice.matched
        template = (
            session.get(PromptTemplate, delivery.template_id) if delivery.template_id else None
        )
        if template is None:
            template = choose_question(session=session, department=department, area=area)
            if template is None:
                skip_claimed(session=session, delivery_id=delivery_id, reason=NO_QUESTION_REASON)
                return DeliveryOutcome(delivery_id, DeliveryStatus.SKIPPED, NO_QUESTION_REASON)
        delivery = attach_content(
            session=session, delivery_id=delivery_id, story_id=story.id, template_id=template.id
        )
        return build_message(
            delivery=delivery,
            workspace=workspace,
            department=department,
            story=story,
            template=template,
            platform=where[0],
            destination=where[1],
            answer_window=self.config.answer_window,
            matched=matched,
        )

    # --- manual sends ------------------------------------------------------------------

    async def send_now(self, *, department_id: int) -> DeliveryOutcome:
        """`sightline prompts send`: a manual occurrence, through the same ledger.

        Raises:
            NoPromptSenderError: no configured platform can reach the department.
        """

        def check(session: Session) -> Department:
            department = session.get(Department, department_id)
            workspace = session.get(Workspace, department.workspace_id) if department else None
            if department is None or workspace is None:
                raise NoPromptSenderError(department=str(department_id))
            if destination_for(workspace, department, self.senders) is None:
                raise NoPromptSenderError(department=department.name)
            sync_library(session=session, prompts=self.config.library)
            return department

        await self.runtime.run(check)
        # Whole seconds: a double press within the same second is one delivery, not two.
        now = self.runtime.clock.now().replace(microsecond=0)
        return await self.deliver(_Due(department_id, now, MANUAL_KIND))

    # --- crash recovery and reminders --------------------------------------------------

    async def _recover_stale(self, report: SweepReport) -> None:
        now = self.runtime.clock.now()
        stale = await self.runtime.run(lambda session: self._reachable_stale(session, now))
        for delivery in stale:
            taken = await self.runtime.run(
                lambda session, d=delivery: take_over_claim(  # type: ignore[misc]
                    session=session, clock=self.runtime.clock, delivery=d, instance=self.instance
                )
            )
            if not taken:
                continue
            prepared = await self.runtime.run(
                lambda session, d=delivery: self._fill(session, d.id or 0)  # type: ignore[misc]
            )
            if not isinstance(prepared, PromptMessage):
                continue
            try:
                ref = await self.senders[prepared.platform].find_sent(message=prepared)
            except Exception as exc:  # noqa: BLE001 - cannot tell whether it went out: do not risk a duplicate
                logger.warning(
                    "could not check delivery %s: %s", prepared.delivery_id, _reason(exc)
                )
                continue
            if ref is not None:
                await self.runtime.run(
                    lambda session, m=prepared, r=ref: mark_sent(  # type: ignore[misc]
                        session=session,
                        clock=self.runtime.clock,
                        delivery_id=m.delivery_id,
                        message_ref=r,
                    )
                )
                report.recovered += 1
            elif now - prepared.occurrence_at > self.config.grace:
                await self.runtime.run(
                    lambda session, m=prepared: mark_missed(  # type: ignore[misc]
                        session=session,
                        delivery_id=m.delivery_id,
                        reason="claimed but never confirmed, and now past the grace period",
                    )
                )
                report.missed += 1
            else:
                outcome = await self._send(prepared)
                report.recovered += outcome.status == DeliveryStatus.SENT
                _count(report, outcome, recovered=True)

    def _reachable_stale(self, session: Session, now: datetime) -> list[PromptDelivery]:
        """Stale claims this instance can check and send; other platforms' are left alone
        for a replica that has their sender."""
        reachable = []
        for delivery in stale_claims(
            session=session, now=now, older_than=self.config.claim_timeout
        ):
            department = session.get(Department, delivery.department_id)
            workspace = session.get(Workspace, delivery.workspace_id)
            if department is None or workspace is None:
                continue
            if destination_for(workspace, department, self.senders) is not None:
                reachable.append(delivery)
        return reachable

    async def _send_reminders(self, report: SweepReport) -> None:
        if self.config.reminder_after is None:
            return
        now = self.runtime.clock.now()
        after, window = self.config.reminder_after, self.config.answer_window
        if after >= window:
            return  # a reminder after answers close would only confuse people
        due = await self.runtime.run(
            lambda session: due_reminders(
                session=session, now=now, reminder_after=after, answer_window=window
            )
        )
        for delivery in due:
            reminder = await self.runtime.run(
                lambda session, d=delivery: self._prepare_reminder(session, d.id or 0)  # type: ignore[misc]
            )
            if reminder is None:
                continue
            try:
                await self.senders[reminder.prompt.platform].send_reminder(reminder=reminder)
            except Exception as exc:  # noqa: BLE001 - at most one nudge: a failed one is not retried
                logger.warning("reminder for %s failed: %s", delivery.id, _reason(exc))
                continue
            report.reminders += 1

    def _prepare_reminder(self, session: Session, delivery_id: int) -> ReminderMessage | None:
        delivery = get_delivery(session=session, delivery_id=delivery_id)
        department = session.get(Department, delivery.department_id)
        workspace = session.get(Workspace, delivery.workspace_id)
        story = session.get(Story, delivery.story_id) if delivery.story_id else None
        template = (
            session.get(PromptTemplate, delivery.template_id) if delivery.template_id else None
        )
        if (
            department is None
            or workspace is None
            or story is None
            or template is None
            or not delivery.message_ref
        ):
            return None
        where = destination_for(workspace, department, self.senders)
        if where is None:
            return None  # another replica with this platform's sender will remind
        if not claim_reminder(session=session, clock=self.runtime.clock, delivery_id=delivery_id):
            return None
        prompt = build_message(
            delivery=delivery,
            workspace=workspace,
            department=department,
            story=story,
            template=template,
            platform=where[0],
            destination=where[1],
            answer_window=self.config.answer_window,
        )
        answers = answer_count(session=session, delivery_id=delivery_id)
        return ReminderMessage(
            prompt=prompt,
            message_ref=delivery.message_ref,
            answers_so_far=answers,
            text=reminder_text(answers_so_far=answers, answer_by=prompt.answer_by),
        )

    # --- the CX leads' channel: failure notices and the weekly digest -------------------

    def _leads_route(self, workspace: Workspace) -> tuple[str, str, LeadsSender] | None:
        """(platform, leads' channel, sender) for a workspace, or None when not configured."""
        for platform, destination in self.config.leads.items():
            sender = self.senders.get(platform)
            if not isinstance(sender, LeadsSender):
                continue
            if workspace.platform in (Platform.SLACK, Platform.TEAMS) and (
                workspace.platform.value != platform
            ):
                continue
            return platform, destination, sender
        return None

    async def _notify_failures(self, now: datetime, report: SweepReport) -> None:
        """Tell the leads, once each, about prompts that could not be delivered."""
        if not self.config.leads:
            return

        def claim(session: Session) -> list[LeadsNotice]:
            notices = []
            for failed, workspace, department in unnotified_failures(
                session=session, since=now - LOOKBACK, prompt_kinds=PROMPT_KINDS
            ):
                route = self._leads_route(workspace)
                if route is None:
                    continue
                row = claim_failure_notice(
                    session=session, clock=self.runtime.clock, failed=failed, instance=self.instance
                )
                if row is None:
                    continue  # another replica tells them
                notices.append(
                    LeadsNotice(
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
                )
            return notices

        for notice in await self.runtime.run(claim):
            sender = self.senders[notice.platform]
            assert isinstance(sender, LeadsSender)  # _leads_route only routes to LeadsSenders
            await self._post_to_leads(
                notice.delivery_id,
                lambda n=notice, s=sender: s.send_leads_notice(notice=n),  # type: ignore[misc]
            )
            report.notices += 1

    async def _post_to_leads(
        self, delivery_id: int, post: Callable[[], Awaitable[str]]
    ) -> DeliveryStatus:
        """Post, then confirm the ledger row as sent or failed (never re-sent either way)."""
        clock = self.runtime.clock
        try:
            ref = await post()
        except Exception as exc:  # noqa: BLE001 - recorded on the ledger row for leads
            reason = _reason(exc)
            logger.warning("post %s to the leads' channel failed: %s", delivery_id, reason)
            await self.runtime.run(
                lambda session: mark_failed(
                    session=session, clock=clock, delivery_id=delivery_id, reason=reason
                )
            )
            return DeliveryStatus.FAILED
        await self.runtime.run(
            lambda session: mark_sent(
                session=session, clock=clock, delivery_id=delivery_id, message_ref=ref
            )
        )
        return DeliveryStatus.SENT

    async def _send_digests(self, since: datetime, now: datetime, report: SweepReport) -> None:
        schedule = self.config.digest
        if schedule is None or not self.config.leads:
            return
        await self.runtime.run(lambda session: self._abandon_stale_digests(session, now))
        due = await self.runtime.run(
            lambda session: self._plan_digests(session, schedule, since, now, report)
        )
        for workspace_id, platform, occurrence_at in due:
            digest = await self.runtime.run(
                lambda session, w=workspace_id, p=platform, o=occurrence_at: self._claim_digest(  # type: ignore[misc]
                    session, w, p, o
                )
            )
            if digest is None:
                report.lost_claims += 1
                continue
            sender = self.senders[digest.platform]
            assert isinstance(sender, LeadsSender)
            status = await self._post_to_leads(
                digest.delivery_id,
                lambda d=digest, s=sender: s.send_digest(digest=d),  # type: ignore[misc]
            )
            if status == DeliveryStatus.SENT:
                report.digests += 1
            else:
                report.failed += 1
                report.failures.append(f"{digest.delivery_id}: digest")

    def _plan_digests(
        self,
        session: Session,
        schedule: DigestSchedule,
        since: datetime,
        now: datetime,
        report: SweepReport,
    ) -> list[tuple[int, str, datetime]]:
        due: list[tuple[int, str, datetime]] = []
        workspaces = session.exec(select(Workspace).where(col(Workspace.active).is_(True)))
        for workspace in workspaces:
            route = self._leads_route(workspace)
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
                if now - occurrence.at > self.config.grace:
                    missed = record_missed_digest(
                        session=session,
                        clock=self.runtime.clock,
                        workspace_id=workspace.id or 0,
                        platform=platform,
                        occurrence_at=occurrence.at,
                    )
                    report.missed += missed is not None
                else:
                    due.append((workspace.id or 0, platform, occurrence.at))
        return due

    def _claim_digest(
        self, session: Session, workspace_id: int, platform: str, occurrence_at: datetime
    ) -> DigestMessage | None:
        """Claim the digest, then compute its summary and chart (in this worker thread)."""
        workspace = session.get(Workspace, workspace_id)
        route = self._leads_route(workspace) if workspace else None
        if workspace is None or route is None:
            return None
        row = claim_digest(
            session=session,
            clock=self.runtime.clock,
            workspace_id=workspace_id,
            platform=platform,
            occurrence_at=occurrence_at,
            instance=self.instance,
        )
        if row is None:
            return None
        summary = build_summary(
            session=session,
            workspace_id=workspace_id,
            period=digest_period(occurrence_at, self.config.digest_period_days),
            now=self.runtime.clock.now(),
        )
        try:
            chart: bytes | None = render_chart(summary)
        except Exception:  # a digest without its picture is better than no digest
            logger.exception("could not draw the digest chart")
            chart = None
        return DigestMessage(
            delivery_id=row.id or 0,
            workspace_id=workspace_id,
            workspace_external_id=workspace.external_id,
            platform=platform,
            destination=route[1],
            occurrence_at=occurrence_at,
            summary=summary,
            chart_png=chart,
        )

    def _abandon_stale_digests(self, session: Session, now: datetime) -> None:
        """A digest claim a crash left unconfirmed is recorded as missed, not re-sent: the
        channel may already have it, and a duplicate digest is worse than a missing one
        (`sightline summary` gives the same figures on demand)."""
        query = select(PromptDelivery).where(
            col(PromptDelivery.kind).in_(LEADS_KINDS),
            PromptDelivery.status == DeliveryStatus.CLAIMED,
            col(PromptDelivery.claimed_at) < now - self.config.claim_timeout,
        )
        for delivery in session.exec(query).all():
            mark_missed(
                session=session,
                delivery_id=delivery.id or 0,
                reason="interrupted before it was confirmed; not re-sent to avoid a duplicate",
            )


def _count(report: SweepReport, outcome: DeliveryOutcome, *, recovered: bool = False) -> None:
    if outcome.status is None:
        report.lost_claims += 1
    elif outcome.status == DeliveryStatus.SENT and not recovered:
        report.sent += 1
    elif outcome.status == DeliveryStatus.FAILED:
        report.failed += 1
        report.failures.append(f"{outcome.delivery_id}: {outcome.reason}")
    elif outcome.status == DeliveryStatus.SKIPPED:
        report.skipped += 1


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return str(reason)[:500]


def build_prompt_scheduler(runtime: Runtime, **kwargs: Any) -> PromptScheduler | None:
    """The scheduler `sightline serve` runs, or None when prompts are off or no platform
    can send them (logged, so an operator sees why nothing is delivered)."""
    if not runtime.settings.prompts_enabled:
        logger.info("Prompts are disabled (SIGHTLINE_PROMPTS_ENABLED=false).")
        return None
    senders = build_senders(runtime)
    if not senders:
        logger.info("No platform can send prompts yet: the prompt scheduler is not started.")
        return None
    return PromptScheduler(runtime, senders, **kwargs)
