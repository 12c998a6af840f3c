"""CX lead commands, and who is a lead: decided once, for both platforms.

A lead is a member marked as one in the database, or named in ``SIGHTLINE_CX_LEADS`` (by
chat user id, Azure AD object id, or e-mail/UPN, in any case), or someone the platform
itself makes a lead (Slack: workspace admins and the leads' user group, where configured).
Facts that cost the platform a call (a Slack user's admin flag, a Teams user's UPN) are only
asked for when the cheap checks cannot decide: the core answers :class:`NeedsEvidence`
and the platform asks again with :class:`LeadEvidence`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from stories.conversation import lead_texts, people, texts, workspace
from stories.conversation.commands import LeadAction, LeadCommand, parse_lead
from stories.conversation.context import Actor, ChatContext, CoreEnv, Place, resolve_actor
from stories.conversation.dashboard import DashboardLinkReply, dashboard_reply
from stories.conversation.views import (
    DepartmentRow,
    DepartmentsView,
    HelpView,
    Notice,
    Tone,
)
from stories.departments import (
    DepartmentSpec,
    add_department,
    describe_schedule,
    edit_department,
    get_department,
    list_departments,
    set_paused,
)
from stories.errors import InvalidFieldError, NotFoundError
from stories.exports import ExportFile, export_files
from stories.models import Department, Platform
from stories.periods import Period, parse_period
from stories.summaries import Summary, build_summary
from stories.transfer import Format
from stories.visibility import Viewer
from stories.workspace_settings import lead_identities

ChannelResolver = Callable[[str], str]  # a channel as typed -> its id (raises when unusable)


@dataclass(frozen=True)
class LeadEvidence:
    """What the platform found out about a person, when asked."""

    identities: frozenset[str] = frozenset()  # more names for them: UPN, e-mail, other ids
    granted: bool = False  # the platform itself makes them a lead (Slack admin, user group)


@dataclass(frozen=True)
class NeedsEvidence:
    """Ask the platform about this person, then ask the core again with the evidence."""

    wants_identities: bool  # the leads list names people by e-mail/UPN: look theirs up


@dataclass(frozen=True)
class SummaryReply:
    summary: Summary


@dataclass(frozen=True)
class ExportReply:
    files: tuple[ExportFile, ...]
    label: str
    format: str
    comment: str
    period: Period


@dataclass(frozen=True)
class PromptNowRequest:
    """Send this department a prompt now, through the scheduler's ledger."""

    department_id: int
    name: str


LeadAnswer = (
    Notice
    | DepartmentsView
    | HelpView
    | SummaryReply
    | ExportReply
    | PromptNowRequest
    | DashboardLinkReply
)
LeadReply = LeadAnswer | NeedsEvidence


def is_lead(
    env: CoreEnv,
    ctx: ChatContext,
    actor: Actor,
    evidence: LeadEvidence | None,
    session: Session | None = None,
) -> bool | NeedsEvidence:
    """Whether the person asking is a CX lead; cheapest checks first. The leads are the
    environment's list and the workspace's own (``lead add``), read in ``session``."""
    if actor.member.is_cx_lead or ctx.user.casefold() in env.config.cx_leads:
        return True
    if session is None:
        with env.sessions() as own:
            return is_lead(env, ctx, actor, evidence, own)
    listed = env.config.cx_leads | lead_identities(session=session, workspace_id=actor.workspace_id)
    if ctx.user.casefold() in listed:
        return True
    if evidence is None:
        return NeedsEvidence(wants_identities=any("@" in entry for entry in listed))
    return evidence.granted or bool({i.casefold() for i in evidence.identities} & listed)


def help_view(
    *, env: CoreEnv, ctx: ChatContext, evidence: LeadEvidence | None = None
) -> HelpView | NeedsEvidence:
    """Everything this person may do; leads also see their commands."""
    syntax = texts.syntax_for(ctx.platform.value)
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        lead = is_lead(env, ctx, actor, evidence, session)
    if isinstance(lead, NeedsEvidence):
        return lead
    return HelpView(
        intro=texts.HELP_INTRO,
        member=texts.member_help(syntax, slack=ctx.platform == Platform.SLACK),
        lead=lead_texts.lead_help(syntax) if lead else (),
        footer=texts.HELP_FOOTER,
    )


def lead_command(
    *,
    env: CoreEnv,
    ctx: ChatContext,
    text: str,
    evidence: LeadEvidence | None = None,
    channel: ChannelResolver | None = None,
) -> LeadReply:
    """Carry out a CX lead command, or refuse it (no data) for anyone else.

    Args:
        text: the command (what follows ``/cx`` in Slack, the whole message in Teams).
        evidence: what the platform found when the core asked for it (NeedsEvidence).
        channel: reads a channel named in the command; None where a platform has no way
            to name one (Teams: ``department link`` is sent in the channel instead).

    Raises:
        SightlineError: a malformed command, unknown department, bad period or field.
    """
    syntax = texts.syntax_for(ctx.platform.value)
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        lead = is_lead(env, ctx, actor, evidence, session)
        if isinstance(lead, NeedsEvidence):
            return lead
        if not lead:
            return Notice(text=lead_texts.lead_refusal(syntax), tone=Tone.WARNING)
        command = parse_lead(text, syntax=syntax)
        if command.action == LeadAction.HELP:
            return HelpView(
                intro=texts.HELP_INTRO, member=(), lead=lead_texts.lead_help(syntax), footer=""
            )
        if command.action == LeadAction.DASHBOARD:
            return dashboard_reply(session, env, actor)
        if command.action in (LeadAction.SUMMARY, LeadAction.EXPORT):
            return _insight(session, env, actor, command)
        if command.action in workspace.WORKSPACE_ACTIONS:
            return workspace.carry_out(session, env, ctx, actor, command, channel)
        return _departments(session, env, ctx, actor, command, channel)


def _insight(
    session: Session, env: CoreEnv, actor: Actor, command: LeadCommand
) -> SummaryReply | ExportReply:
    now = env.clock.now()
    period = parse_period(command.period, now=now).whole_seconds()
    if command.action == LeadAction.SUMMARY:
        department_id = None
        if command.name:
            department_id = get_department(
                session=session, workspace_id=actor.workspace_id, name=command.name
            ).id
        summary = build_summary(
            session=session,
            workspace_id=actor.workspace_id,
            period=period,
            department_id=department_id,
            now=now,
        )
        return SummaryReply(summary)
    return _export(session, actor, period, command.format)


def _export(session: Session, actor: Actor, period: Period, fmt: str) -> ExportReply:
    chosen: Format = "jsonl" if fmt == "jsonl" else "csv"
    files = export_files(  # to the lead's own direct message: every story, private ones too
        session=session,
        workspace_id=actor.workspace_id,
        period=period,
        format=chosen,
        viewer=Viewer.steward(),
    )
    counts = ", ".join(f"{f.rows:,} rows in {f.name}" for f in files)
    return ExportReply(
        files=tuple(files),
        label=period.label,
        format=chosen,
        comment=lead_texts.export_comment(period.label, counts),
        period=period,
    )


def _departments(
    session: Session,
    env: CoreEnv,
    ctx: ChatContext,
    actor: Actor,
    command: LeadCommand,
    channel: ChannelResolver | None,
) -> Notice | DepartmentsView | PromptNowRequest:
    syntax = texts.syntax_for(ctx.platform.value)
    workspace_id = actor.workspace_id
    if command.action == LeadAction.LIST:
        found = list_departments(session=session, workspace_id=workspace_id)
        rows = tuple(_row(d, ctx.platform) for d in found)
        return DepartmentsView(
            title=lead_texts.departments_title(len(rows)),
            rows=rows,
            empty=lead_texts.no_departments(syntax),
        )
    if command.action == LeadAction.ADD:
        assert command.spec is not None
        named = _channel(command, channel, syntax)
        if named is None and ctx.place != Place.PERSONAL:
            named = ctx.conversation  # sent in a channel: that channel, as `department link`
        spec = _with_channel(command.spec, ctx.platform, named)
        added = add_department(
            session=session, clock=env.clock, workspace_id=workspace_id, spec=_defaults(spec, env)
        )
        text = lead_texts.department_added(
            added.name,
            describe_schedule(added),
            facing=added.customer_facing,
            linked=_channel_of(added, ctx.platform) is not None,
            syntax=syntax,
        )
        return Notice(text=text, tone=Tone.SUCCESS)
    if command.action == LeadAction.LINK:
        return _link(session, env, ctx, actor, command.name)
    if command.action == LeadAction.MEMBER_DEPARTMENT:
        return people.member_department(session, env, actor, command)
    if command.action == LeadAction.PROMPT_NOW:
        department = get_department(session=session, workspace_id=workspace_id, name=command.name)
        if _channel_of(department, ctx.platform) is None:
            return Notice(
                text=lead_texts.prompt_no_channel(department.name, syntax), tone=Tone.WARNING
            )
        return PromptNowRequest(department_id=department.id or 0, name=department.name)
    pausing = command.action == LeadAction.PAUSE
    changed = set_paused(
        session=session,
        clock=env.clock,
        workspace_id=workspace_id,
        name=command.name,
        paused=pausing,
    )
    return Notice(text=lead_texts.paused(changed.name, paused=pausing))


def _link(session: Session, env: CoreEnv, ctx: ChatContext, actor: Actor, name: str) -> Notice:
    """``department link``: this channel gets the department's prompts (added if new)."""
    if ctx.place == Place.PERSONAL or not ctx.conversation:
        raise InvalidFieldError(field="link", reason=lead_texts.LINK_IN_CHANNEL)
    spec = _with_channel(DepartmentSpec(), ctx.platform, ctx.conversation)
    try:
        get_department(session=session, workspace_id=actor.workspace_id, name=name)
    except NotFoundError:
        new = _with_channel(DepartmentSpec(name=name), ctx.platform, ctx.conversation)
        added = add_department(
            session=session,
            clock=env.clock,
            workspace_id=actor.workspace_id,
            spec=_defaults(new, env),
        )
        text = lead_texts.department_linked(
            added.name, describe_schedule(added), facing=added.customer_facing, created=True
        )
        return Notice(text=text, tone=Tone.SUCCESS)
    linked = edit_department(
        session=session, clock=env.clock, workspace_id=actor.workspace_id, name=name, spec=spec
    )
    text = lead_texts.department_linked(
        linked.name, describe_schedule(linked), facing=linked.customer_facing, created=False
    )
    return Notice(text=text, tone=Tone.SUCCESS)


def _channel(
    command: LeadCommand, channel: ChannelResolver | None, syntax: texts.Syntax
) -> str | None:
    if command.channel is None:
        return None
    if channel is None:
        raise InvalidFieldError(
            field="channel",
            reason=f"send {syntax.lead_command('department link <name>')} in the channel instead",
        )
    return channel(command.channel)


def _with_channel(spec: DepartmentSpec, platform: Platform, channel: str | None) -> DepartmentSpec:
    if channel is None:
        return spec
    values = {**spec.__dict__}
    if platform == Platform.SLACK:
        values["slack_channel_id"] = channel
    else:
        values["teams_conversation_id"] = channel
    return DepartmentSpec(**values)


def _defaults(spec: DepartmentSpec, env: CoreEnv) -> DepartmentSpec:
    """New departments take the installation's default timezone unless one was given."""
    if spec.timezone is not None:
        return spec
    return DepartmentSpec(**{**spec.__dict__, "timezone": env.config.default_timezone})


def _channel_of(department: Department, platform: Platform) -> str | None:
    if platform == Platform.SLACK:
        return department.slack_channel_id
    return department.teams_conversation_id


def _row(department: Department, platform: Platform) -> DepartmentRow:
    channel = _channel_of(department, platform)
    if department.customer_facing:
        state = lead_texts.CUSTOMER_FACING
    elif channel is None:
        state = lead_texts.NO_CHANNEL
    else:
        state = lead_texts.PAUSED if department.paused else ""
    return DepartmentRow(
        name=department.name, channel=channel, schedule=describe_schedule(department), state=state
    )


def export_period(
    *,
    env: CoreEnv,
    ctx: ChatContext,
    period: Period,
    fmt: str,
    evidence: LeadEvidence | None = None,
) -> ExportReply | Notice | NeedsEvidence:
    """An export of exactly ``period`` (a platform that delivers it later, once the lead has
    agreed to receive the file, asks again with the period it offered)."""
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        lead = is_lead(env, ctx, actor, evidence, session)
        if isinstance(lead, NeedsEvidence):
            return lead
        if not lead:
            syntax = texts.syntax_for(ctx.platform.value)
            return Notice(text=lead_texts.lead_refusal(syntax), tone=Tone.WARNING)
        return _export(session, actor, period, fmt)


def prompt_now_result(*, name: str, status: str, reason: str | None) -> Notice:
    """What a lead hears after ``prompt now``."""
    if status == "sent":
        return Notice(text=lead_texts.prompt_sent(name), tone=Tone.SUCCESS)
    return Notice(text=lead_texts.prompt_not_sent(name, reason or status), tone=Tone.WARNING)
