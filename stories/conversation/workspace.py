"""A workspace's own settings from chat, for CX leads: its stories channel, its leads' channel
and its CX leads (``settings …``, ``lead add|remove …``, ``leads``), on both platforms.

People are named the neutral way ``<@user-id>`` (Slack writes mentions so; the Teams skin
turns its mentions into the same form) or by e-mail/UPN. Channels are named ``here`` (the
channel the command is sent in), ``off`` (back to the default), or, where the platform can
name one in a message (Slack's ``#channel``), by that name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from stories.conversation import workspace_texts as words
from stories.conversation.commands import LeadAction, LeadCommand
from stories.conversation.context import Actor, ChatContext, CoreEnv, Place
from stories.conversation.views import Notice, Tone
from stories.errors import InvalidFieldError
from stories.workspace_settings import (
    Channel,
    add_lead,
    channel_of,
    display_name,
    list_leads,
    remove_lead,
    set_channel,
)

ChannelResolver = Callable[[str], str]
WORKSPACE_ACTIONS = frozenset(
    {LeadAction.SETTINGS, LeadAction.SET_CHANNEL, LeadAction.LEAD_ADD, LeadAction.LEAD_REMOVE}
)
_MENTION = re.compile(r"<@([A-Za-z0-9:._\-]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([A-Za-z0-9]+)(?:\|([^>]*))?>")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_LABELS = {Channel.STORIES: words.STORIES_CHANNEL, Channel.LEADS: words.LEADS_CHANNEL}


@dataclass(frozen=True)
class Defaults:
    """The environment's values for this platform, used where a workspace set none."""

    stories_channel: str | None = None
    leads_channel: str | None = None


def person_of(word: str) -> tuple[str, str]:
    """(identity, name) of a person named in a command: ``<@id|name>`` or an e-mail/UPN.

    Raises:
        InvalidFieldError: neither.
    """
    mention = _MENTION.fullmatch(word.strip())
    if mention:
        return mention.group(1), (mention.group(2) or "").strip()
    if _EMAIL.fullmatch(word.strip()):
        return word.strip(), ""
    raise InvalidFieldError(field="lead", reason=words.NAME_A_PERSON)


def carry_out(
    session: Session,
    env: CoreEnv,
    ctx: ChatContext,
    actor: Actor,
    command: LeadCommand,
    channel: ChannelResolver | None,
) -> Notice:
    """Carry out one workspace-settings command for a CX lead (already checked)."""
    workspace_id = actor.workspace_id
    if command.action == LeadAction.SETTINGS:
        return Notice(text=_describe(session, env, ctx, actor))
    if command.action == LeadAction.SET_CHANNEL:
        which = Channel(command.name)
        value = _channel_value(ctx, command.channel or "", channel)
        set_channel(
            session=session, clock=env.clock, workspace_id=workspace_id, channel=which, value=value
        )
        return Notice(
            text=_channel_set(ctx, which, value, command.channel or ""), tone=Tone.SUCCESS
        )
    identity, name = person_of(command.name)
    if command.action == LeadAction.LEAD_ADD:
        lead, added = add_lead(
            session=session, clock=env.clock, workspace_id=workspace_id, who=identity, name=name
        )
        shown = _person(identity, lead.name)
        text = words.lead_added(shown, added=added)
        return Notice(text=text, tone=Tone.SUCCESS if added else Tone.INFO)
    removed = remove_lead(session=session, workspace_id=workspace_id, who=identity)
    shown = _person(identity, name)
    if identity.casefold() in env.config.cx_leads:
        return Notice(text=words.lead_kept_by_environment(shown), tone=Tone.WARNING)
    tone = Tone.SUCCESS if removed else Tone.INFO
    return Notice(text=words.lead_removed(shown, removed=removed), tone=tone)


def defaults_for(env: CoreEnv, platform: str) -> Defaults:
    return Defaults(
        stories_channel=env.config.stories_channels.get(platform),
        leads_channel=env.config.leads_channels.get(platform),
    )


def _channel_value(ctx: ChatContext, word: str, channel: ChannelResolver | None) -> str | None:
    lowered = word.lower()
    if lowered in ("off", "none", "default"):
        return None
    if lowered == "here":
        if ctx.place == Place.PERSONAL or not ctx.conversation:
            raise InvalidFieldError(field="channel", reason=words.HERE_IN_CHANNEL)
        return ctx.conversation
    if channel is None:
        raise InvalidFieldError(field="channel", reason=words.NAME_IN_CHANNEL)
    return channel(word)


def _channel_set(ctx: ChatContext, which: Channel, value: str | None, typed: str) -> str:
    label = _LABELS[which]
    if value is None:
        return words.channel_reset(label)
    where = words.THIS_CHANNEL if value == ctx.conversation else _channel_name(typed)
    if which == Channel.STORIES:
        return words.stories_channel_set(label, where)
    return words.leads_channel_set(label, where)


def _channel_name(typed: str) -> str:
    """A channel as people know it: Slack's ``<#C123|stories>`` is #stories."""
    link = _CHANNEL.fullmatch(typed)
    if link is None:
        return typed
    return f"#{link.group(2)}" if link.group(2) else link.group(1)


def _person(identity: str, name: str) -> str:
    return name or identity


def _describe(session: Session, env: CoreEnv, ctx: ChatContext, actor: Actor) -> str:
    defaults = defaults_for(env, ctx.platform.value)
    lines = [words.settings_title(display_name(actor.workspace))]
    for which, default in (
        (Channel.STORIES, defaults.stories_channel),
        (Channel.LEADS, defaults.leads_channel),
    ):
        value = channel_of(
            session=session, workspace_id=actor.workspace_id, channel=which, default=None
        )
        if value is not None:
            shown = _channel_name(value)
        elif default is not None:
            shown = f"{default} {words.DEFAULT_NOTE}"
        else:
            shown = words.NONE
        lines.append(f"• {_LABELS[which]}: {shown}")
    leads = list_leads(session=session, workspace_id=actor.workspace_id)
    named = ", ".join(_person(lead.identity, lead.name) for lead in leads) or words.NO_LEADS
    lines.append(f"• CX leads: {named}")
    if env.config.cx_leads:
        lines.append(words.ENV_LEADS_NOTE)
    return "\n".join(lines)
