"""Each workspace's own stories channel, leads' channel and CX leads, set from chat.

Two Slack workspaces and two Teams tenants share one database: each lead's commands change
their own workspace only; stories, the weekly digest and the lead check follow.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.runtime import build_runtime
from bot.scheduler import PromptScheduler
from bot.settings import load_settings
from stories.clock import FixedClock
from stories.conversation import capture, leads
from stories.conversation.capture import CaptureRequest
from stories.conversation.context import ChatContext, ConversationConfig, CoreEnv, Place
from stories.conversation.leads import NeedsEvidence
from stories.conversation.views import Notice, ShareStory, Tone
from stories.errors import InvalidFieldError
from stories.models import Member, Platform, SourceKind, Workspace
from stories.redaction import Redactor
from tests.fakes.prompt_sender import RecordingSender

# (platform, workspace, the lead the environment names, the lead they add, stories, leads')
WORKSPACES = [
    (Platform.SLACK, "T-ACME", "U-ANA", "U-BEN", "C-ACME-STORIES", "C-ACME-LEADS"),
    (Platform.SLACK, "T-GLOBEX", "U-ANA", "U-GIL", "C-GLOBEX-STORIES", "C-GLOBEX-LEADS"),
    (Platform.TEAMS, "tenant-contoso", "aad-carol", "aad-dan", "19:cs-stories", "19:cs-leads"),
    (Platform.TEAMS, "tenant-fabrikam", "aad-carol", "aad-fay", "19:fb-stories", "19:fb-leads"),
]


@pytest.fixture
def env(engine: Engine, clock: FixedClock, redactor: Redactor) -> CoreEnv:
    return CoreEnv(
        sessions=lambda: Session(engine, expire_on_commit=False),
        clock=clock,
        redactor=redactor,
        config=ConversationConfig(cx_leads=frozenset({"u-ana", "aad-carol"})),
    )


def ctx(platform: Platform, workspace: str, user: str, where: str | None = None) -> ChatContext:
    return ChatContext(
        platform=platform,
        workspace=workspace,
        workspace_name=f"{workspace} Inc",
        user=user,
        place=Place.PUBLIC if where else Place.PERSONAL,
        conversation=where or f"dm-{user}",
        private_reply=where is None,
    )


def lead(env: CoreEnv, asking: ChatContext, text: str) -> Notice:
    """The core's answer; where it asks, the platform had nothing more to say (no admin)."""
    reply = leads.lead_command(env=env, ctx=asking, text=text, evidence=None)
    if isinstance(reply, NeedsEvidence):
        reply = leads.lead_command(env=env, ctx=asking, text=text, evidence=leads.LeadEvidence())
    assert isinstance(reply, Notice), reply
    return reply


def shared_to(env: CoreEnv, teller: ChatContext, text: str) -> list[str]:
    outcome = capture.capture(
        env=env,
        ctx=teller,
        request=CaptureRequest(text=text, source=SourceKind.SLASH, source_ref=text),
    )
    return [e.destination for e in outcome.effects if isinstance(e, ShareStory)]


async def test_four_workspaces_each_get_their_own_channels_and_leads(
    env: CoreEnv, engine: Engine, clock: FixedClock, database_url: str
) -> None:
    for platform, workspace, listed, added, stories, leads_channel in WORKSPACES:
        named = lead(env, ctx(platform, workspace, listed), f"lead add <@{added}>")
        assert "is now a CX lead here" in named.text
        # The lead just named sets the workspace's channels, from inside each channel.
        lead(env, ctx(platform, workspace, added, stories), "settings stories-channel here")
        lead(env, ctx(platform, workspace, added, leads_channel), "settings leads-channel here")

    for platform, workspace, _, _, stories, _ in WORKSPACES:
        teller = ctx(platform, workspace, "someone", where="C-GENERAL")
        assert shared_to(env, teller, f"A story told in {workspace}") == [stories]

    # A lead of one workspace is no lead in another.
    assert (
        "Stories channel: C-ACME-STORIES"
        in lead(env, ctx(Platform.SLACK, "T-ACME", "U-BEN"), "settings").text
    )
    refused = lead(env, ctx(Platform.SLACK, "T-GLOBEX", "U-BEN"), "settings")
    assert refused.tone == Tone.WARNING
    assert "for CX leads" in refused.text
    with Session(engine) as session:
        marked = {
            (m.platform_user_id, m.workspace_id)
            for m in session.exec(select(Member).where(Member.is_cx_lead))
        }
        ids = {w.external_id: w.id for w in session.exec(select(Workspace))}
    assert marked == {(added, ids[workspace]) for _, workspace, _, added, _, _ in WORKSPACES}

    # The weekly digest goes to each workspace's own leads' channel.
    runtime = build_runtime(
        load_settings(database_url=database_url, digest_time="09:30", digest_timezone="UTC"),
        engine=engine,
        clock=clock,
    )
    slack, teams = RecordingSender(platform="slack"), RecordingSender(platform="teams")
    clock.advance(minutes=35)  # Monday 09:35: the 09:30 digest is due
    await PromptScheduler(runtime, {"slack": slack, "teams": teams}, instance="t").sweep_once()
    sent = {(d.workspace_external_id, d.destination) for d in slack.digests + teams.digests}
    assert sent == {(w, channel) for _, w, _, _, _, channel in WORKSPACES}


async def test_removed_leads_and_channels_fall_back_to_the_defaults(env: CoreEnv) -> None:
    env = replace(env, config=replace(env.config, stories_channels={"slack": "C-DEFAULT-STORIES"}))
    ana = ctx(Platform.SLACK, "T-ACME", "U-ANA", where="C-OWN")
    lead(env, ana, "settings stories-channel here")
    teller = ctx(Platform.SLACK, "T-ACME", "U-ZOE", where="C-GENERAL")
    assert shared_to(env, teller, "Told while the own channel is set") == ["C-OWN"]
    assert (
        "back to the installation's default" in lead(env, ana, "settings stories-channel off").text
    )
    assert shared_to(env, teller, "Told after it was switched off") == ["C-DEFAULT-STORIES"]

    lead(env, ana, "lead add <@U-ZOE|Zoe>")
    assert "Zoe" in lead(env, ana, "settings").text
    assert "Settings for T-ACME Inc" in lead(env, teller, "settings").text  # zoe leads now
    assert "no longer a CX lead" in lead(env, ana, "lead remove <@U-ZOE>").text
    assert "for CX leads" in lead(env, teller, "settings").text
    kept = lead(env, ana, "lead remove <@U-ANA>")  # the environment still names ana
    assert "stays a CX lead: SIGHTLINE_CX_LEADS names them" in kept.text


def test_a_lead_named_by_email_needs_the_platforms_word_for_it(env: CoreEnv) -> None:
    carol = ctx(Platform.TEAMS, "tenant-contoso", "aad-carol")
    lead(env, carol, "lead add Erin@Contoso.com")
    erin = ctx(Platform.TEAMS, "tenant-contoso", "aad-erin")
    asked = leads.lead_command(env=env, ctx=erin, text="departments", evidence=None)
    assert asked == NeedsEvidence(wants_identities=True)
    with_upn = leads.lead_command(
        env=env,
        ctx=erin,
        text="departments",
        evidence=leads.LeadEvidence(identities=frozenset({"erin@contoso.com"})),
    )
    assert not isinstance(with_upn, Notice) or with_upn.tone != Tone.WARNING


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("settings stories-channel here", None, "send it in the channel"),
        ("settings stories-channel #stories", None, "send the command in that channel"),
        ("settings colour blue", "C1", "settings stories-channel|leads-channel"),
        ("lead add", "C1", "lead add|remove @person"),
        ("lead add Zoe", "C1", "mention the person"),
        ("leads everyone", "C1", "on its own"),
    ],
)
def test_bad_settings_commands_say_how_to_write_them(
    env: CoreEnv, text: str, where: str | None, says: str
) -> None:
    carol = ctx(Platform.TEAMS, "tenant-contoso", "aad-carol", where)
    with pytest.raises(InvalidFieldError) as raised:
        leads.lead_command(env=env, ctx=carol, text=text, evidence=None)
    assert says in str(raised.value)
