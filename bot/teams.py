"""Microsoft Teams: the Bot Framework endpoint POST /api/messages on the shared server.

The adapter is built from settings when the platform is attached, never at import. With no app
id (local testing, `teams_allow_anonymous`) the Bot Framework skips authentication.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ConversationReference,
    InvokeResponse,
)
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleTaskInfo,
)
from sqlmodel import Session, col, select

from bot.charts import (
    NO_PUBLIC_URL_NOTE,
    ChartLinks,
    attach_chart_route,
    build_chart_links,
    whole_seconds,
)
from bot.runtime import Runtime
from bot.scheduler import PromptScheduler
from bot.settings import Settings
from handlers.teams import cards
from handlers.teams.cx import LEAD_WORDS, LeadCommand, parse_lead_command
from handlers.teams.summary_card import summary_card
from handlers.teams.text import html_to_text
from stories.answers import mark_not_relevant, record_answer
from stories.capture import StoryDraft, capture_story, random_shared_story
from stories.conversations import (
    find_conversation,
    forget_conversation,
    forget_team,
    remember_conversation,
)
from stories.departments import (
    DepartmentSpec,
    add_department,
    edit_department,
    get_department,
    list_departments,
    set_paused,
)
from stories.digest import DigestMessage, LeadsNotice
from stories.engagement import record_resonates, resonance
from stories.errors import InvalidFieldError, SightlineError
from stories.models import (
    ChatConversation,
    DeliveryStatus,
    Department,
    Member,
    Platform,
    PromptTemplate,
    SourceKind,
    Story,
)
from stories.periods import parse_period
from stories.prompt_ledger import get_delivery
from stories.prompts import AuthorNotice, PromptMessage, ReminderMessage
from stories.search import search_stories
from stories.summaries import Summary, build_summary
from stories.workspaces import ensure_member, ensure_workspace

logger = logging.getLogger(__name__)
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
FRIENDLY = "Sorry, something went wrong on our side. Please try again."
TEAM_KEY = "sightlineTeamId"  # the team of a channel conversation, in its saved reference
PRINCIPAL_CACHE_SECONDS = 3600.0  # a user's UPN, read for the CX lead check
PRINCIPAL_CACHE_SIZE = 1000


def teams_configured(settings: Settings) -> bool:
    """Teams runs with an app id and password, or anonymously for local testing."""
    has_credentials = bool(settings.teams_app_id and settings.teams_app_password)
    return has_credentials or settings.teams_allow_anonymous


@dataclass(frozen=True)
class _AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def card_attachment(card: cards.Card) -> Attachment:
    """Every card leaves through here, so none is ever too large for Teams."""
    return Attachment(content_type=CARD_TYPE, content=cards.fit(card))


def card_activity(card: cards.Card) -> Activity:
    """A message carrying one card; its fallback text shows in notifications."""
    fitted = cards.fit(card)
    activity = MessageFactory.attachment(Attachment(content_type=CARD_TYPE, content=fitted))
    if fitted.get("fallbackText"):
        activity.summary = fitted["fallbackText"]
    return activity


def _in_channel(turn: TurnContext) -> bool:
    """A team channel is public to the team; personal and group chats stay private."""
    conversation = turn.activity.conversation
    return conversation is not None and conversation.conversation_type == "channel"


def conversation_key(activity: Activity) -> str:
    """The id a conversation is saved and linked under.

    In a team channel Teams names the thread (``19:…@thread.tacv2;messageid=…``); the channel
    itself is the part before ``;messageid=``, which is what departments, the leads' and the
    stories settings name, and where a proactive post starts a new thread.
    """
    conversation_id: str = activity.conversation.id
    if activity.conversation.conversation_type == "channel":
        return conversation_id.split(";messageid=", 1)[0]
    return conversation_id


def _view(session: Session, story: Story) -> cards.StoryView:
    assert story.id is not None
    return cards.StoryView(
        story_id=story.id,
        text=story.text,
        customer_label=story.customer_label,
        touchpoint=story.touchpoint,
        resonates=resonance(session=session, story_id=story.id).total,
    )


# --- CX lead commands --------------------------------------------------------------------


def _department_view(department: Department) -> cards.DepartmentView:
    return cards.DepartmentView(
        name=department.name,
        customer_facing=department.customer_facing,
        linked=bool(department.teams_conversation_id),
        schedule=_schedule(department),
        paused=department.paused,
    )


def _schedule(department: Department) -> str:
    weeks = department.cadence_weeks
    every = "every week" if weeks == 1 else f"every {weeks} weeks"
    return f"{department.prompt_days} at {department.prompt_time} {department.timezone}, {every}"


def summary_reply(
    summary: Summary, charts: ChartLinks | None, heading: str | None = None
) -> cards.Card:
    """The summary card with its chart from a signed link, or a note saying why there is none."""
    if summary.is_empty:
        return summary_card(summary, heading=heading)
    url = charts.url_for(summary) if charts is not None else None
    note = None if url else NO_PUBLIC_URL_NOTE
    return summary_card(summary, chart_url=url, chart_note=note, heading=heading)


class SightlineTeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    """Thin: parse the activity, call a domain service, reply with a rendered card."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        sender: TeamsPromptSender | None = None,
        charts: ChartLinks | None = None,
    ) -> None:
        self.runtime = runtime
        self.sender = sender  # proactive posts: the stories conversation, `prompt now`
        self.charts = charts
        self._principal_names: dict[str, tuple[float, frozenset[str]]] = {}

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        # CloudAdapter.process serializes the body itself; botbuilder 4.17.1's handler has
        # already serialized it to a dict, which msrest then cannot serialize a second time.
        return InvokeResponse(status=200, body=body)

    def _ids(self, turn: TurnContext) -> tuple[str, str, str]:
        activity = turn.activity
        tenant = (activity.conversation.tenant_id if activity.conversation else None) or (
            (activity.channel_data or {}).get("tenant", {}).get("id") or "local"
        )
        user = activity.from_property
        user_id = (user.aad_object_id or user.id) if user else "unknown"
        name = (user.name if user else None) or user_id
        return tenant, user_id, name

    def _member(self, session: Session, turn: TurnContext) -> tuple[int, int]:
        tenant, user_id, name = self._ids(turn)
        clock = self.runtime.clock
        workspace = ensure_workspace(
            session=session, clock=clock, platform=Platform.TEAMS, external_id=tenant, name=tenant
        )
        assert workspace.id is not None
        member = ensure_member(
            session=session,
            clock=clock,
            workspace_id=workspace.id,
            platform_user_id=user_id,
            display_name=name,
        )
        assert member.id is not None
        return workspace.id, member.id

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self._remember(turn_context)
        await super().on_turn(turn_context)

    async def _remember(self, turn: TurnContext) -> None:
        """Keep this conversation's reference fresh (or drop it when the bot is removed)."""
        activity = turn.activity
        conversation = activity.conversation
        if conversation is None or not conversation.id:
            return
        removed = activity.type == ActivityTypes.installation_update and (
            activity.action or ""
        ).startswith("remove")
        if activity.type == ActivityTypes.conversation_update and activity.members_removed:
            bot_id = activity.recipient.id if activity.recipient else None
            removed = any(m.id == bot_id for m in activity.members_removed)
        key = conversation_key(activity)
        reference = TurnContext.get_conversation_reference(activity).serialize()
        reference["conversation"]["id"] = key  # a proactive post starts a thread of its own
        team = ((activity.channel_data or {}).get("team") or {}).get("id")
        if team:
            # Kept beside the reference (msrest ignores it when loading) so that removing
            # the app from a team retires every channel of that team, not only the one
            # the removal arrived in.
            reference[TEAM_KEY] = team
        tenant = self._ids(turn)[0]
        clock = self.runtime.clock

        def save(session: Session) -> None:
            if removed:
                forget_conversation(session=session, clock=clock, conversation_id=key)
                if team:
                    forget_team(session=session, clock=clock, team_id=team, key=TEAM_KEY)
                return
            workspace = ensure_workspace(
                session=session,
                clock=clock,
                platform=Platform.TEAMS,
                external_id=tenant,
                name=tenant,
            )
            remember_conversation(
                session=session,
                clock=clock,
                workspace_id=workspace.id or 0,
                conversation_id=key,
                kind=conversation.conversation_type or "personal",
                reference=reference,
            )

        try:
            await self.runtime.run(save)
        except Exception:  # a lost reference only delays proactive prompts; keep the turn
            logger.exception("could not save the Teams conversation reference")

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get("sightline") == "resonate":
            await self._resonate(turn_context, int(value["story_id"]))
            return
        if value and value.get("sightline") in ("answer", "not_relevant"):
            await self._prompt_action(turn_context, value)
            return
        text = TurnContext.remove_recipient_mention(activity) or activity.text or ""
        words = text.replace("\u00a0", " ").split(None, 1)
        command = words[0].lower() if words else ""
        rest = words[1].strip() if len(words) > 1 else ""
        new_story: Story | None = None
        try:
            if command == "story":
                card, new_story = await self._capture(turn_context, rest)
            elif command in LEAD_WORDS:
                card = await self._lead_command(turn_context, " ".join(words))
            else:
                card = await self._command(turn_context, command, rest)
        except SightlineError as exc:
            card = cards.error_card(str(exc))
        await turn_context.send_activity(card_activity(card))
        if new_story is not None:
            await self._share(turn_context, new_story)

    async def _capture(
        self,
        turn: TurnContext,
        text: str,
        *,
        source_kind: SourceKind = SourceKind.TEAMS_MESSAGE,
        source_ref: str | None = None,
        by_author: bool = True,
        customer_label: str | None = None,
        touchpoint: str | None = None,
    ) -> tuple[cards.Card, Story | None]:
        """Save a story; also return it when it is new and may go to the stories channel.

        ``by_author``: the person capturing told the story (not so for a message action on
        someone else's message, whose author Teams does not give the bot).
        """
        runtime = self.runtime
        ref = source_ref or f"teams:{turn.activity.conversation.id}:{turn.activity.id}"

        def save(session: Session) -> tuple[cards.Card, Story | None]:
            workspace_id, member_id = self._member(session, turn)
            result = capture_story(
                session=session,
                clock=runtime.clock,
                redactor=runtime.redactor,
                draft=StoryDraft(
                    workspace_id=workspace_id,
                    text=text,
                    source_kind=source_kind,
                    source_ref=ref,
                    author_member_id=member_id if by_author else None,
                    captured_by_member_id=member_id,
                    customer_label=customer_label,
                    touchpoint=touchpoint,
                    channel_private=not _in_channel(turn),
                    shared=_in_channel(turn),
                ),
            )
            card = cards.story_card(_view(session, result.story), heading="Story saved")
            return card, (result.story if result.created else None)

        return await runtime.run(save)

    async def _command(self, turn: TurnContext, command: str, rest: str) -> cards.Card:
        runtime = self.runtime
        if command == "search":

            def find(session: Session) -> cards.Card:
                workspace_id, _ = self._member(session, turn)
                page = search_stories(session=session, workspace_id=workspace_id, query=rest)
                views = [_view(session, hit.story) for hit in page.hits]
                return cards.search_results_card(rest, views, has_more=page.has_more)

            return await runtime.run(find)
        if command == "random":

            def pick(session: Session) -> cards.Card:
                workspace_id, _ = self._member(session, turn)
                story = random_shared_story(session=session, workspace_id=workspace_id)
                if story is None:
                    return cards.error_card("No stories yet: send “story <text>” to add one.")
                return cards.story_card(_view(session, story))

            return await runtime.run(pick)
        return cards.help_card(lead=await self._is_lead(turn))

    # --- CX leads --------------------------------------------------------------------------

    async def _is_lead(self, turn: TurnContext) -> bool:
        """Listed in ``teams_cx_leads`` by Azure AD object id or UPN (any case), or marked
        as a lead in the database. Cheapest checks first: the UPN costs a connector call."""
        listed = {entry.casefold() for entry in self.runtime.settings.teams_cx_leads}
        user = turn.activity.from_property
        if user is None:
            return False
        if any(v and v.casefold() in listed for v in (user.aad_object_id, user.id)):
            return True

        def marked(session: Session) -> bool:
            member = session.get(Member, self._member(session, turn)[1])
            return bool(member and member.is_cx_lead)

        if await self.runtime.run(marked):
            return True
        if not any("@" in entry for entry in listed):
            return False
        return bool(await self._principal_name(turn) & listed)

    async def _principal_name(self, turn: TurnContext) -> frozenset[str]:
        """The user's UPN and e-mail (casefolded), which Teams leaves out of activities."""
        user = turn.activity.from_property
        key = user.aad_object_id or user.id
        cached = self._principal_names.get(key)
        if cached is not None and time.monotonic() - cached[0] < PRINCIPAL_CACHE_SECONDS:
            return cached[1]
        try:
            account = await TeamsInfo.get_member(turn, user.id)
        except Exception:  # no roster access, or not in Teams: UPN entries cannot match
            logger.warning("could not read the Teams user %s to compare UPNs", key, exc_info=True)
            return frozenset()
        names = frozenset(n.casefold() for n in (account.user_principal_name, account.email) if n)
        if len(self._principal_names) >= PRINCIPAL_CACHE_SIZE:
            self._principal_names.clear()
        self._principal_names[key] = (time.monotonic(), names)
        return names

    async def _lead_command(self, turn: TurnContext, text: str) -> cards.Card:
        """summary, departments, department add|link|pause|resume, prompt now: leads only."""
        if not await self._is_lead(turn):
            return cards.lead_refusal_card()
        settings = self.runtime.settings
        command = parse_lead_command(text, default_timezone=settings.default_timezone)
        if command.action == "summary":
            return await self._summary(turn, command)
        if command.action == "prompt_now":
            return await self._prompt_now(turn, command.name)
        return await self.runtime.run(lambda session: self._departments(session, turn, command))

    async def _summary(self, turn: TurnContext, command: LeadCommand) -> cards.Card:
        clock = self.runtime.clock

        def work(session: Session) -> Summary:
            workspace_id, _ = self._member(session, turn)
            now = clock.now()
            department_id = None
            if command.name:
                department_id = get_department(
                    session=session, workspace_id=workspace_id, name=command.name
                ).id
            return build_summary(
                session=session,
                workspace_id=workspace_id,
                period=whole_seconds(parse_period(command.period, now=now)),
                department_id=department_id,
                now=now,
            )

        return summary_reply(await self.runtime.run(work), self.charts)

    def _departments(self, session: Session, turn: TurnContext, command: LeadCommand) -> cards.Card:
        clock = self.runtime.clock
        workspace_id, _ = self._member(session, turn)
        if command.action == "list":
            found = list_departments(session=session, workspace_id=workspace_id)
            return cards.departments_card([_department_view(d) for d in found])
        if command.action == "add":
            assert command.spec is not None
            added = add_department(
                session=session, clock=clock, workspace_id=workspace_id, spec=command.spec
            )
            after = (
                "Customer-facing departments are not sent prompts."
                if added.customer_facing
                else f"Prompts: {_schedule(added)}. Send “department link {added.name}” in its "
                "team channel (mentioning @Sightline) so they reach it."
            )
            return cards.notice_card(after, title=f"Added {added.name}")
        if command.action == "link":
            if not _in_channel(turn):
                raise InvalidFieldError(
                    field="link",
                    reason="send “department link <name>” in the department's team channel, "
                    "mentioning @Sightline",
                )
            linked = edit_department(
                session=session,
                clock=clock,
                workspace_id=workspace_id,
                name=command.name,
                spec=DepartmentSpec(teams_conversation_id=conversation_key(turn.activity)),
            )
            where = (
                "is customer-facing, so it is not sent prompts"
                if linked.customer_facing
                else f"gets its prompts in this channel ({_schedule(linked)})"
            )
            return cards.notice_card(f"{linked.name} {where}.", title="Channel linked")
        paused = command.action == "pause"
        changed = set_paused(
            session=session,
            clock=clock,
            workspace_id=workspace_id,
            name=command.name,
            paused=paused,
        )
        state = "paused" if paused else "resumed"
        return cards.notice_card(f"Prompts for {changed.name} are {state}.")

    async def _prompt_now(self, turn: TurnContext, name: str) -> cards.Card:
        """A manual occurrence through the scheduler's ledger, as `sightline prompts send`."""
        if self.sender is None:
            return cards.error_card("Prompts cannot be sent from this installation.")

        def find(session: Session) -> Department:
            workspace_id, _ = self._member(session, turn)
            return get_department(session=session, workspace_id=workspace_id, name=name)

        department = await self.runtime.run(find)
        if not department.teams_conversation_id:
            return cards.error_card(
                f"{department.name} has no Teams channel yet: send “department link "
                f"{department.name}” in its channel, mentioning @Sightline."
            )
        scheduler = PromptScheduler(self.runtime, {self.sender.platform: self.sender})
        outcome = await scheduler.send_now(department_id=department.id or 0)
        if outcome.status == DeliveryStatus.SENT:
            return cards.notice_card(f"Sent {department.name} a prompt in its channel.")
        reason = outcome.reason or (outcome.status.value if outcome.status else "not sent")
        return cards.error_card(f"The prompt for {department.name} was not sent: {reason}.")

    # --- the stories channel ----------------------------------------------------------------

    async def _share(self, turn: TurnContext, story: Story) -> None:
        """Post a new shareable story to the stories conversation, once, with "This resonates".

        The story is already saved and acknowledged: a failure here is logged, never shown.
        """
        target = self.runtime.settings.teams_stories_conversation
        if not target or self.sender is None or not story.shared or story.channel_post_ref:
            return
        if conversation_key(turn.activity) == target:
            return  # captured in the stories conversation: its card is already there
        assert story.id is not None
        story_id = story.id
        view = cards.StoryView(
            story_id=story_id,
            text=story.text,
            customer_label=story.customer_label,
            touchpoint=story.touchpoint,
        )
        try:
            ref = await self.sender.post_card(
                target, cards.story_card(view, heading="A customer story")
            )
            await self.runtime.run(lambda session: _record_post(session, story_id, target, ref))
        except TeamsDeliveryError as exc:
            logger.warning("story %s not posted to the stories conversation: %s", story_id, exc)
        except Exception:  # the story is saved; only its post is missing
            logger.exception("could not post story %s to the stories conversation", story_id)

    async def _prompt_action(self, turn: TurnContext, value: dict[str, Any]) -> None:
        """Answer or "Not relevant to us" from a prompt card; the card shows the outcome."""
        runtime = self.runtime
        delivery_id = int(value.get("delivery_id", 0))

        def act(session: Session) -> cards.Card:
            _, member_id = self._member(session, turn)
            member = session.get(Member, member_id)
            assert member is not None
            if value["sightline"] == "not_relevant":
                mark_not_relevant(
                    session=session, clock=runtime.clock, delivery_id=delivery_id, member=member
                )
                return cards.error_card(
                    "Thanks: stories like this one will come to your department less often."
                )
            result = record_answer(
                session=session,
                clock=runtime.clock,
                redactor=runtime.redactor,
                delivery_id=delivery_id,
                member=member,
                text=str(value.get(cards.ANSWER_INPUT) or ""),
            )
            delivery = get_delivery(session=session, delivery_id=delivery_id)
            template = session.get(PromptTemplate, delivery.template_id or 0)
            department = session.get(Department, delivery.department_id or 0)
            return cards.answered_card(
                department=department.name if department else "your department",
                question=template.text if template else "",
                answer_text=result.answer.text,
            )

        try:
            card = await runtime.run(act)
        except SightlineError as exc:
            card = cards.error_card(str(exc))
        reply = card_activity(card)
        if turn.activity.reply_to_id and value["sightline"] == "answer":
            reply.id = turn.activity.reply_to_id
            await turn.update_activity(reply)
        else:
            await turn.send_activity(reply)

    async def _resonate(self, turn: TurnContext, story_id: int) -> None:
        runtime = self.runtime

        def mark(session: Session) -> cards.Card:
            workspace_id, member_id = self._member(session, turn)
            story = session.get(Story, story_id)
            if story is None or story.workspace_id != workspace_id:
                return cards.error_card("That story no longer exists.")
            member = session.get(Member, member_id)
            assert member is not None
            record_resonates(session=session, clock=runtime.clock, story=story, member=member)
            return cards.story_card(_view(session, story))

        card = await runtime.run(mark)
        reply = card_activity(card)
        if turn.activity.reply_to_id:
            reply.id = turn.activity.reply_to_id
            await turn.update_activity(reply)
        else:
            await turn.send_activity(reply)

    async def on_teams_messaging_extension_fetch_task(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        text = ""
        payload = action.message_payload
        if payload is not None and payload.body is not None:
            text = html_to_text(payload.body.content or "", payload.body.content_type)
        return MessagingExtensionActionResponse(
            task=TaskModuleContinueResponse(
                value=TaskModuleTaskInfo(
                    title="Save as customer story",
                    card=card_attachment(cards.capture_form_card(text)),
                )
            )
        )

    async def on_teams_messaging_extension_submit_action(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        data: dict[str, Any] = action.data if isinstance(action.data, dict) else {}
        new_story: Story | None = None
        try:
            card, new_story = await self._capture(
                turn_context,
                str(data.get("text") or ""),
                source_kind=SourceKind.TEAMS_EXTENSION,
                source_ref=f"teams-ext:{turn_context.activity.id}",
                by_author=False,
                customer_label=data.get("customer_label") or None,
                touchpoint=data.get("touchpoint") or None,
            )
        except SightlineError as exc:
            card = cards.error_card(str(exc))
        await turn_context.send_activity(card_activity(card))
        if new_story is not None:
            await self._share(turn_context, new_story)
        return MessagingExtensionActionResponse()


class _TrackedTurn:
    """Wraps the bot to know whether an error came before the turn (auth) or inside it."""

    def __init__(self, bot: SightlineTeamsBot) -> None:
        self.bot = bot
        self.started = False

    async def on_turn(self, context: TurnContext) -> None:
        self.started = True
        await self.bot.on_turn(context)


class TeamsPromptSender:
    """Posts line-of-sight prompts into linked Teams channels as proactive Adaptive Cards.

    Teams offers a bot no way to list a channel's messages, so ``find_sent`` cannot look for
    an earlier post: a crash between Teams accepting a prompt and the ledger recording it
    can, rarely, repeat that prompt once.
    """

    platform = Platform.TEAMS.value

    def __init__(
        self,
        runtime: Runtime,
        adapter: CloudAdapter,
        app_id: str,
        *,
        charts: ChartLinks | None = None,
    ) -> None:
        self.runtime = runtime
        self.adapter = adapter
        self.app_id = app_id
        self.charts = charts  # signed chart links for digests
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    async def _reference(self, conversation_id: str) -> ConversationReference:
        saved = await self.runtime.run(
            lambda session: find_conversation(session=session, conversation_id=conversation_id)
        )
        if saved is None:
            raise TeamsDeliveryError(
                "Sightline has not been added to this Teams conversation (or was removed): "
                "add the app to the channel, then mention @Sightline there once"
            )
        return ConversationReference.deserialize(saved.reference)

    async def channel_members(self, *, workspace_external_id: str, destination: str) -> list[str]:
        """Who is in a department's channel (people only, by Azure AD object id), for the
        department roster. A standard channel's members are its team's members.

        Raises:
            TeamsDeliveryError: the channel cannot be read; the message says why.
        """
        reference = await self._reference(destination)
        bot_id = reference.bot.id if reference.bot else None
        members: list[str] = []

        async def read(context: TurnContext) -> None:
            # A proactive turn's activity has no channelData, on which TeamsInfo would
            # fail; without a team id it lists the conversation (the channel) itself.
            context.activity.channel_data = context.activity.channel_data or {}
            token: str | None = None
            while True:
                page = await TeamsInfo.get_paged_members(context, token, ROSTER_PAGE_SIZE)
                members.extend(
                    m.aad_object_id or m.id for m in page.members or [] if m.id != bot_id
                )
                token = page.continuation_token
                if not token:
                    return

        try:
            await self.adapter.continue_conversation(reference, read, self.app_id)
        except TeamsDeliveryError:
            raise
        except Exception as exc:
            status, _ = _http_status(exc)
            raise TeamsDeliveryError(
                f"Teams would not list this channel's members (HTTP {status or 'error'}); "
                "check that Sightline is still installed in the team"
            ) from exc
        return members

    async def _send(self, conversation_id: str, activity: Activity) -> str:
        reference = await self._reference(conversation_id)
        sent: list[str] = []

        async def post(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            sent.append(response.id if response is not None and response.id else "")

        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:  # Teams allows about 7 sends a second per conversation
            for attempt in range(SEND_ATTEMPTS):
                wait = self._last.get(conversation_id, 0.0) + SEND_INTERVAL - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    await self.adapter.continue_conversation(reference, post, self.app_id)
                    return sent[0] if sent else ""
                except Exception as exc:
                    status, retry_after = _http_status(exc)
                    if status not in RETRYABLE or attempt == SEND_ATTEMPTS - 1:
                        raise
                    # Jittered exponential backoff, or the server's own Retry-After.
                    pause = retry_after if retry_after is not None else BACKOFF * 2**attempt
                    await asyncio.sleep(pause * random.uniform(0.8, 1.2))
                finally:
                    self._last[conversation_id] = time.monotonic()
        raise AssertionError("unreachable: the loop returns or raises")

    async def post_card(self, conversation_id: str, card: cards.Card) -> str:
        """Post a card into a conversation the bot has been in; return the activity id."""
        return await self._send(conversation_id, card_activity(card))

    async def send_digest(self, *, digest: DigestMessage) -> str:
        """The summary card in the leads' conversation, its chart from a signed link.

        ``digest.chart_png`` goes unused: a card can only show a picture by URL, and an
        inline image would not fit Teams' 28 KB message limit.
        """
        card = summary_reply(digest.summary, self.charts, heading="Weekly digest")
        return await self.post_card(digest.destination, card)

    async def send_leads_notice(self, *, notice: LeadsNotice) -> str:
        """A short text in the leads' conversation (a prompt that could not be delivered)."""
        return await self._send(notice.destination, MessageFactory.text(notice.text))

    async def send_prompt(self, *, message: PromptMessage) -> str:
        card = cards.prompt_card(
            delivery_id=message.delivery_id,
            department=message.department_name,
            story_text=message.story_text,
            question=message.question,
            customer_label=message.customer_label,
            touchpoint=message.touchpoint,
        )
        activity = card_activity(card)
        activity.channel_data = {"sightline": {"delivery_id": message.delivery_id}}
        return await self._send(message.destination, activity)

    async def find_sent(self, *, message: PromptMessage) -> str | None:
        return None  # see the class docstring

    async def send_reminder(self, *, reminder: ReminderMessage) -> None:
        await self._send(reminder.prompt.destination, MessageFactory.text(reminder.text))

    async def notify_author(self, *, notice: AuthorNotice) -> None:
        """Reach the author in their personal chat with Sightline, if they ever opened one."""
        user = notice.author_platform_user_id

        def personal_chat(session: Session) -> str | None:
            rows = session.exec(
                select(ChatConversation).where(
                    ChatConversation.kind == "personal", col(ChatConversation.active)
                )
            ).all()
            for row in rows:
                who = row.reference.get("user") or {}
                if user in (who.get("aadObjectId"), who.get("id")):
                    return row.conversation_id
            return None

        conversation_id = await self.runtime.run(personal_chat)
        if conversation_id is None:
            logger.info("story author %s has no personal chat with Sightline yet", user)
            return
        text = (
            f"{notice.department_name} reflected on the customer story you shared "
            f"(“{notice.story_excerpt}”): {notice.answer_text}"
        )
        await self._send(conversation_id, MessageFactory.text(text))


def _record_post(session: Session, story_id: int, conversation_id: str, activity_id: str) -> None:
    story = session.get(Story, story_id)
    if story is not None:
        story.channel_post_ref = f"teams:{conversation_id}:{activity_id}"
        session.add(story)
        session.commit()


ROSTER_PAGE_SIZE = 500  # Teams' largest page of members
RETRYABLE = {412, 429, 502, 504}  # what Teams asks bots to retry, with backoff
SEND_ATTEMPTS = 5
SEND_INTERVAL = 1 / 7
BACKOFF = 0.5  # seconds before the first retry when Teams gives no Retry-After


def _http_status(exc: Exception) -> tuple[int | None, float | None]:
    """The HTTP status and Retry-After (seconds) of a failed connector call, if known."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    raw = headers.get("Retry-After")
    try:
        retry_after = float(str(raw)) if raw else None
    except ValueError:
        retry_after = None
    return (int(status) if status is not None else None), retry_after


class TeamsDeliveryError(Exception):
    """Teams cannot take a prompt for this destination; the message says why."""


def _adapter(settings: Settings) -> tuple[CloudAdapter, str]:
    password = settings.teams_app_password
    config = _AuthConfig(
        APP_ID=settings.teams_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE=settings.teams_app_type,
        APP_TENANTID=settings.teams_app_tenant_id or "",
    )
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(config)), config.APP_ID


def build_prompt_sender(runtime: Runtime) -> TeamsPromptSender | None:
    """The scheduler's Teams sender (bot.delivery finds it by name), or None."""
    if not teams_configured(runtime.settings):
        return None
    adapter, app_id = _adapter(runtime.settings)
    return TeamsPromptSender(runtime, adapter, app_id, charts=build_chart_links(runtime))


class TeamsPlatform:
    """Adds POST /api/messages; the adapter is built from settings in attach()."""

    name = "teams"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def attach(self, app: web.Application) -> None:
        adapter, app_id = _adapter(self.runtime.settings)
        charts = build_chart_links(self.runtime)
        attach_chart_route(app, self.runtime, charts.signer)
        sender = TeamsPromptSender(self.runtime, adapter, app_id, charts=charts)
        bot = SightlineTeamsBot(self.runtime, sender=sender, charts=charts)

        async def on_error(context: TurnContext, error: Exception) -> None:
            logger.error("Teams turn failed", exc_info=error)
            try:
                await context.send_activity(FRIENDLY)
            except Exception:  # the connector itself may be what failed
                logger.exception("could not tell the user about the failure")

        adapter.on_turn_error = on_error

        auth_required = bool(app_id)

        async def messages(request: web.Request) -> web.StreamResponse:
            header = request.headers.get("Authorization", "")
            if auth_required and not header.startswith("Bearer "):
                # botbuilder 4.17.1 lets an absent header ("" is not None) through to the bot.
                return web.json_response({"error": "unauthorized"}, status=401)
            turn = _TrackedTurn(bot)
            try:
                response = await adapter.process(request, turn)
            except web.HTTPException as exc:
                if exc.status in (401, 403, 415):
                    raise
                logger.exception("Teams request failed")
                return web.json_response({"error": FRIENDLY}, status=200)
            except Exception:
                if auth_required and not turn.started:
                    # Malformed, expired or foreign tokens surface as jwt/ValueError/KeyError
                    # before the turn starts; the SDK would answer 500.
                    logger.warning("Teams request rejected: invalid token", exc_info=True)
                    return web.json_response({"error": "unauthorized"}, status=401)
                logger.exception("Teams request failed")  # never 500: the connector retries
                return web.json_response({"error": FRIENDLY}, status=200)
            return response if response is not None else web.Response(status=200)

        app.router.add_post("/api/messages", messages)


__all__ = ["Activity", "ActivityTypes", "InvokeResponse", "TeamsPlatform", "teams_configured"]
