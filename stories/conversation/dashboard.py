"""``dashboard`` (Teams) and ``/cx dashboard`` (Slack): a lead's one-time sign-in link.

The lead check is :func:`stories.conversation.leads.lead_command`'s, like every lead command;
this makes the link and says what it is. The link is for the lead alone: Slack answers it
ephemerally, Teams in the lead's personal chat.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from stories.conversation.context import Actor, CoreEnv
from stories.conversation.views import Notice, Tone
from stories.dashboard.signin import LINK_LIFETIME, issue_link

DASHBOARD_OFF = (
    "The web dashboard is not set up in this installation (an admin sets "
    "SIGHTLINE_PUBLIC_URL and SIGHTLINE_DASHBOARD_SECRET_KEY)."
)


@dataclass(frozen=True)
class DashboardLinkReply:
    """A sign-in link to show the lead, privately."""

    url: str
    text: str
    sent: str  # what to say where the command was typed, when the link went elsewhere


def link_text(minutes: int) -> str:
    return (
        f"🔑 Your sign-in link to the Sightline dashboard. It works once, for the next "
        f"{minutes} minutes, and only for you: do not forward it."
    )


def dashboard_reply(session: Session, env: CoreEnv, actor: Actor) -> DashboardLinkReply | Notice:
    """A fresh one-time link for this lead (already checked), or why there is none."""
    if env.dashboard is None:
        return Notice(text=DASHBOARD_OFF, tone=Tone.WARNING)
    url = issue_link(
        session=session,
        clock=env.clock,
        links=env.dashboard,
        workspace_id=actor.workspace_id,
        member_id=actor.member_id,
    )
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return DashboardLinkReply(
        url=url,
        text=link_text(minutes),
        sent="📬 Sent you a sign-in link to the dashboard in your personal chat with Sightline.",
    )
