"""Thin Slack listeners: acknowledge first, then do the work and answer.

Every listener calls ``ack()`` before touching the database or the Web API (bolt sends the
acknowledgement as soon as it is called, because the app runs with
``process_before_response=False``), so Slack's 3-second limit never depends on them.
The only exception is modal submission, whose pure validation must decide the ack itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from handlers.slack import renderers as r
from handlers.slack import service
from handlers.slack.cx import CX_HELP, CxCommand, is_cx_lead, parse_cx
from handlers.slack.insights import LeadReports
from handlers.slack.prompts import PromptListeners, SlackPromptSender
from stories.capture import (
    MAX_LABEL_LENGTH,
    CaptureResult,
    StoryChanges,
    StoryDraft,
    capture_story,
    delete_story,
    edit_story,
    ensure_may_change,
    get_story,
    normalise_touchpoint,
    validate_text,
)
from stories.departments import add_department, get_department, list_departments, set_paused
from stories.engagement import record_resonates
from stories.errors import PermissionDeniedError, SightlineError, ValidationError
from stories.models import Emotion, SourceKind, Story
from stories.search import search_stories

logger = logging.getLogger(__name__)
T = TypeVar("T")
SHORTCUT_CALLBACK = "save_as_story"
SORRY = "Sorry, something went wrong on our side. Your story was not lost: please try again."


@dataclass
class SlackDeps:
    """What the listeners need: the runtime and the few Slack settings."""

    runtime: Runtime
    stories_channel: str | None = None
    reaction_emoji: str = "customer-story"
    page_size: int = 5
    rng: random.Random = field(default_factory=random.Random)
    cx_leads: list[str] = field(default_factory=list)
    cx_lead_usergroup: str | None = None
    admins_are_cx_leads: bool = True
    prompt_sender: SlackPromptSender | None = None  # answers and author notices need it
    # `/cx prompt now`: the scheduler's manual send, given by bot/ (status, reason).
    send_prompt_now: Callable[[int], Awaitable[tuple[str, str | None]]] | None = None


def register(app: AsyncApp, deps: SlackDeps) -> Listeners:
    """Add every Sightline listener to the bolt app; ``drain()`` the result at shutdown."""
    listeners = Listeners(deps)
    listeners.register(app)
    return listeners


class Listeners:
    def __init__(self, deps: SlackDeps) -> None:
        self.deps = deps
        self.runtime = deps.runtime
        self._inflight: set[asyncio.Task[Any]] = set()
        self._reports = LeadReports(run=self._run, clock=self.runtime.clock)

    def _guard(self, listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """Track the listener's run (for drain()) and never let it raise after its ack."""
        guarded = _guarded(listener)

        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._inflight.add(task)
            if "ack" in kwargs:
                kwargs["ack"] = _then_wait_for_answer(kwargs["ack"])
            try:
                await guarded(**kwargs)
            finally:
                if task is not None:
                    self._inflight.discard(task)

        return run

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let work that was already acknowledged to Slack finish (graceful shutdown)."""
        pending = {t for t in self._inflight if t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def _run(self, work: Callable[[Session], T]) -> T:
        # Concurrent writers on SQLite queue on the busy timeout (see bot.database._begin).
        return await self.runtime.run(work)

    def register(self, app: AsyncApp) -> None:
        if self.deps.prompt_sender is not None:
            PromptListeners(
                run=self._run,
                clock=self.runtime.clock,
                redactor=self.runtime.redactor,
                sender=self.deps.prompt_sender,
            ).register(app, self._guard)
        app.command("/story")(self._guard(self.story_command))
        app.command("/cx")(self._guard(self.cx_command))
        app.view_submission(r.CAPTURE_CALLBACK)(self._guard(self.capture_submitted))
        app.view_submission(r.EDIT_CALLBACK)(self._guard(self.edit_submitted))
        app.message_shortcut(SHORTCUT_CALLBACK)(self._guard(self.save_shortcut))
        app.event("reaction_added")(self._guard(self.reaction_added))
        app.event("app_home_opened")(self._guard(self.home_opened))
        app.action(r.RESONATES_ACTION)(self._guard(self.resonates))
        app.action(r.EDIT_ACTION)(self._guard(self.edit_clicked))
        app.action(r.DELETE_ACTION)(self._guard(self.delete_clicked))
        app.action(r.MORE_ACTION)(self._guard(self.more_clicked))
        app.action(r.FULL_STORY_ACTION)(self._guard(self.full_story_clicked))
        app.error(self.on_error)

    # ---- /story -----------------------------------------------------------------------

    async def story_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        text = (body.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        keyword = word.lower()
        if not text:
            await self._open_modal(
                client,
                body["trigger_id"],
                r.ModalPrefill(source=_command_source(body)),
            )
        elif keyword == "help" and not rest:
            await respond(response_type="ephemeral", blocks=r.help_blocks(), text="Sightline help")
        elif keyword == "search":
            await self._search(body, respond, rest.strip(), offset=0, replace=False)
        elif keyword == "random" and not rest:
            await self._random(body, respond)
        else:
            await self._capture_command(body, respond, client, text)

    async def _capture_command(
        self, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, text: str
    ) -> None:
        channel = body.get("channel_id", "")
        private = await _is_private(client, channel, body.get("channel_name"))
        draft_fields = {
            "text": text,
            "source_kind": SourceKind.SLASH,
            "channel_id": channel,
            "channel_private": private,
            # A story told in a public channel is already public; a private one stays private.
            "shared": not private,
        }
        try:
            result, shown = await self._capture(body, draft_fields, author=body["user_id"])
        except ValidationError as exc:
            await respond(response_type="ephemeral", text=f"⚠️ {exc}", blocks=r.notice(f"⚠️ {exc}"))
            return
        await respond(
            response_type="ephemeral",
            text=r.story_preview_text(shown),
            blocks=r.captured_message(shown, created=result.created),
        )
        if result.created:
            await self._share(client, result.story, shown)

    async def _capture(
        self, body: dict[str, Any], fields: dict[str, Any], *, author: str, captured_by: str = ""
    ) -> tuple[CaptureResult, r.StoryCard]:
        """Capture and return the stored story's card, in one database round trip: every
        extra hop to a worker thread after the ack delays the acks of the requests behind."""
        team_id, team_name = _team(body)
        rt = self.runtime

        def work(session: Any) -> tuple[CaptureResult, r.StoryCard]:
            actor = service.who(
                session,
                rt.clock,
                team_id=team_id,
                user_id=captured_by or author,
                team_name=team_name,
            )
            author_member = (
                actor.member
                if not captured_by or captured_by == author
                else service.member_for(
                    session, rt.clock, workspace_id=actor.workspace_id, user_id=author
                )
            )
            draft = StoryDraft(
                workspace_id=actor.workspace_id,
                author_member_id=author_member.id,
                captured_by_member_id=actor.member.id,
                **fields,
            )
            result = capture_story(
                session=session, clock=rt.clock, redactor=rt.redactor, draft=draft
            )
            return result, service.card(session, result.story)

        return await self._run(work)

    async def _open_modal(
        self, client: AsyncWebClient, trigger_id: str, prefill: r.ModalPrefill
    ) -> None:
        await client.views_open(trigger_id=trigger_id, view=r.capture_modal(prefill))

    # ---- modal submissions ----------------------------------------------------------------

    async def capture_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        form, errors = _read_form(view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        source = _metadata(view)
        user_id = body["user"]["id"]
        channel_id = source.get("channel")
        private = bool(source.get("private", True)) or await _is_private(
            client, channel_id or "", None
        )
        fields: dict[str, Any] = {
            "text": form["text"],
            "customer_label": form["label"],
            "touchpoint": form["touchpoint"],
            "emotion": Emotion(form["emotion"]) if form["emotion"] else None,
            "source_kind": SourceKind.SHORTCUT if source.get("ts") else SourceKind.MODAL,
            "channel_id": source.get("channel"),
            "channel_private": private,
            "shared": form["share"],
        }
        if source.get("ts"):
            channel, ts = source["channel"], source["ts"]
            fields["source_ref"] = f"slack:{channel}:{ts}"
            fields["permalink"] = await _permalink(client, channel, ts)
        author = source.get("author") or user_id
        try:
            result, shown = await self._capture(body, fields, author=author, captured_by=user_id)
        except ValidationError as exc:  # validated above; a race or a new rule got here
            await self._tell(client, user_id, source.get("channel"), f"⚠️ {exc}")
            return
        await self._tell(
            client,
            user_id,
            source.get("channel"),
            r.story_preview_text(shown),
            blocks=r.captured_message(shown, created=result.created),
        )
        if result.created:
            await self._share(client, result.story, shown)

    async def edit_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        form, errors = _read_form(view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        story_id = int(_metadata(view)["story_id"])
        user_id = body["user"]["id"]
        team_id, team_name = _team(body)
        rt = self.runtime
        changes = StoryChanges(
            text=form["text"],
            customer_label=form["label"] or "",
            touchpoint=form["touchpoint"] or "",
            emotion=Emotion(form["emotion"]) if form["emotion"] else None,
            shared=form["share"],
        )

        def work(session: Any) -> tuple[Story, r.StoryCard]:
            actor = service.who(
                session, rt.clock, team_id=team_id, user_id=user_id, team_name=team_name
            )
            story = edit_story(
                session=session,
                clock=rt.clock,
                redactor=rt.redactor,
                workspace_id=actor.workspace_id,
                story_id=story_id,
                actor=actor.member,
                changes=changes,
            )
            return story, service.card_with_tally(session, story)

        try:
            story, shown = await self._run(work)
        except SightlineError as exc:
            await self._tell(client, user_id, None, f"⚠️ {exc}")
            return
        await self._tell(
            client, user_id, None, "✏️ Story updated.", blocks=r.captured_message(shown)
        )
        if story.channel_post_ref:
            await self._update_post(client, story.channel_post_ref, r.channel_post(shown))
        elif story.shared:
            await self._share(client, story)

    # ---- message shortcut -----------------------------------------------------------------

    async def save_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        message = body.get("message", {})
        channel = body.get("channel", {}).get("id", "")
        source = {
            "channel": channel,
            "ts": message.get("ts"),
            "author": message.get("user"),
            "private": await _is_private(client, channel, None),
        }
        prefill = r.ModalPrefill(text=message.get("text", ""), share=False, source=source)
        await self._open_modal(client, body["trigger_id"], prefill)

    # ---- reaction capture -----------------------------------------------------------------

    async def reaction_added(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        item = event.get("item", {})
        if event.get("reaction") != self.deps.reaction_emoji or item.get("type") != "message":
            return
        channel, ts = item["channel"], item["ts"]
        message = await _fetch_message(client, channel, ts)
        if message is None:
            logger.info("reaction on %s/%s: message not readable", channel, ts)
            return
        private = await _is_private(client, channel, None)
        fields = {
            "text": message.get("text", ""),
            "source_kind": SourceKind.REACTION,
            "source_ref": f"slack:{channel}:{ts}",
            "channel_id": channel,
            "channel_private": private,
            "shared": not private,
            "permalink": await _permalink(client, channel, ts),
        }
        reactor = event["user"]
        try:
            result, shown = await self._capture(
                body, fields, author=message.get("user") or reactor, captured_by=reactor
            )
        except ValidationError as exc:
            await self._tell(client, reactor, channel, f"⚠️ Could not save that message: {exc}")
            return
        if not result.created:
            return  # someone else's reaction (or a retried event) already saved it
        await client.chat_postMessage(
            channel=channel,
            thread_ts=message.get("thread_ts") or ts,
            text=f"📌 Saved as a customer story (thanks <@{reactor}>). "
            "Find it with `/story search` or in the app's Home tab.",
        )
        await self._share(client, result.story, shown)

    # ---- stories channel -----------------------------------------------------------------

    async def _share(
        self, client: AsyncWebClient, story: Story, new: r.StoryCard | None = None
    ) -> None:
        """Post a shareable story to the stories channel, once. ``new``: the card of a story
        captured just now (nobody can have resonated with it yet, so it needs no tally)."""
        channel = self.deps.stories_channel
        if not channel or not story.shared or story.channel_post_ref:
            return
        shown = (
            new if new is not None else await self._run(lambda s: service.card_with_tally(s, story))
        )
        answer = await client.chat_postMessage(
            channel=channel, text=r.story_preview_text(shown), blocks=r.channel_post(shown)
        )
        ref = f"{answer['channel']}:{answer['ts']}"
        assert story.id is not None
        story_id = story.id
        await self._run(lambda s: service.set_post_ref(s, story_id=story_id, ref=ref))

    async def resonates(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        story_id = int(action["value"])
        team_id, team_name = _team(body)
        user_id = body["user"]["id"]
        rt = self.runtime

        def work(session: Any) -> tuple[bool, r.StoryCard]:
            actor = service.who(
                session, rt.clock, team_id=team_id, user_id=user_id, team_name=team_name
            )
            story = get_story(session=session, workspace_id=actor.workspace_id, story_id=story_id)
            counted = record_resonates(
                session=session, clock=rt.clock, story=story, member=actor.member
            )
            return counted, service.card_with_tally(session, story)

        try:
            counted, shown = await self._run(work)
        except SightlineError as exc:
            await self._tell(client, user_id, _channel_of(body), f"⚠️ {exc}")
            return
        if counted:
            channel, ts = _channel_of(body), body.get("container", {}).get("message_ts")
            if channel and ts:
                await client.chat_update(
                    channel=channel,
                    ts=ts,
                    text=r.story_preview_text(shown),
                    blocks=r.channel_post(shown),
                )

    async def _update_post(self, client: AsyncWebClient, ref: str, blocks: list[Any]) -> None:
        channel, _, ts = ref.partition(":")
        try:
            await client.chat_update(channel=channel, ts=ts, text="Customer story", blocks=blocks)
        except SlackApiError as exc:  # the post may have been deleted by a person
            logger.warning("could not update stories post %s: %s", ref, exc.response.get("error"))

    # ---- edit / delete / more / full ---------------------------------------------------------

    def _who_for(self, body: dict[str, Any]) -> Callable[[Session], service.Who]:
        """The workspace and member behind an interaction, looked up inside a session."""
        team_id, team_name = _team(body)
        user_id, clock = body["user"]["id"], self.runtime.clock
        return lambda session: service.who(
            session, clock, team_id=team_id, user_id=user_id, team_name=team_name
        )

    async def edit_clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        story_id = int(action["value"])
        who = self._who_for(body)

        def work(session: Any) -> Story:
            actor = who(session)
            story = get_story(session=session, workspace_id=actor.workspace_id, story_id=story_id)
            ensure_may_change(story, actor.member, "edit this story")
            return story

        try:
            story = await self._run(work)
        except SightlineError as exc:
            await respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {exc}")
            return
        prefill = r.ModalPrefill(
            text=story.text,
            customer_label=story.customer_label or "",
            touchpoint=story.touchpoint or "",
            emotion=story.emotion.value if story.emotion else None,
            share=story.shared,
            story_id=story.id,
        )
        await self._open_modal(client, body["trigger_id"], prefill)

    async def delete_clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        story_id = int(action["value"])
        who, rt = self._who_for(body), self.runtime

        def work(session: Any) -> Story:
            actor = who(session)
            return delete_story(
                session=session,
                clock=rt.clock,
                workspace_id=actor.workspace_id,
                story_id=story_id,
                actor=actor.member,
            )

        try:
            story = await self._run(work)
        except SightlineError as exc:
            await respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {exc}")
            return
        await respond(
            replace_original=True, text="🗑️ Story deleted.", blocks=r.notice("🗑️ Story deleted.")
        )
        if story.channel_post_ref:
            await self._update_post(client, story.channel_post_ref, r.deleted_post())

    async def more_clicked(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        value = json.loads(action["value"])
        await self._search(body, respond, str(value["q"]), offset=int(value["o"]), replace=True)

    async def full_story_clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        story_id = int(action["value"])
        team_id, team_name = _team(body)
        user_id = body["user"]["id"]
        rt = self.runtime

        def work(session: Any) -> r.StoryCard:
            actor = service.who(
                session, rt.clock, team_id=team_id, user_id=user_id, team_name=team_name
            )
            story = get_story(session=session, workspace_id=actor.workspace_id, story_id=story_id)
            if not story.shared and actor.member.id not in (
                story.author_member_id,
                story.captured_by_member_id,
            ):
                raise PermissionDeniedError("read this private story")
            return service.card(session, story)

        try:
            shown = await self._run(work)
        except SightlineError as exc:
            await respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {exc}")
            return
        await client.views_open(trigger_id=body["trigger_id"], view=r.full_story_modal(shown))

    # ---- search / random ----------------------------------------------------------------------

    async def _search(
        self, body: dict[str, Any], respond: AsyncRespond, query: str, *, offset: int, replace: bool
    ) -> None:
        team_id, team_name = _team(body)
        user_id = (body.get("user") or {}).get("id") or body.get("user_id", "")
        rt, size = self.runtime, self.deps.page_size

        def work(session: Any) -> tuple[list[r.StoryCard], bool]:
            actor = service.who(
                session, rt.clock, team_id=team_id, user_id=user_id, team_name=team_name
            )
            page = search_stories(
                session=session,
                workspace_id=actor.workspace_id,
                query=query,
                limit=size,
                offset=offset,
            )
            # Private-channel stories are found only by the people who told or saved them.
            visible = [
                h.story
                for h in page.hits
                if h.story.shared
                or actor.member.id in (h.story.author_member_id, h.story.captured_by_member_id)
            ]
            return service.cards(session, visible), page.has_more

        try:
            found, has_more = await self._run(work)
        except ValidationError as exc:
            await respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {exc}")
            return
        blocks = r.search_results(
            query=query, cards=found, offset=offset, has_more=has_more, page_size=size
        )
        await respond(
            response_type="ephemeral",
            replace_original=replace,
            text=f"Stories matching {query}",
            blocks=blocks,
        )

    async def _random(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        team_id, team_name = _team(body)
        rt, rng = self.runtime, self.deps.rng

        def work(session: Any) -> r.StoryCard | None:
            workspace = service.workspace_for_team(
                session, rt.clock, team_id=team_id, name=team_name
            )
            assert workspace.id is not None
            return service.random_card(session, workspace_id=workspace.id, rng=rng)

        shown = await self._run(work)
        await respond(
            response_type="ephemeral", text="A customer story", blocks=r.random_story(shown)
        )

    # ---- /cx --------------------------------------------------------------------------------

    async def cx_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, team_name = _team(body)
        user_id = body["user_id"]
        rt, deps = self.runtime, self.deps
        actor = await self._run(
            lambda s: service.who(
                s, rt.clock, team_id=team_id, user_id=user_id, team_name=team_name
            )
        )
        allowed = await is_cx_lead(
            client,
            user_id=user_id,
            listed=deps.cx_leads,
            usergroup=deps.cx_lead_usergroup,
            admins_are_leads=deps.admins_are_cx_leads,
            marked_in_database=actor.member.is_cx_lead,
        )
        if not allowed:
            await respond(
                response_type="ephemeral",
                text="Sorry, `/cx` is for CX leads. Ask one of them, or use `/story help`.",
            )
            return
        try:
            command = parse_cx(body.get("text") or "")
            if command.action in ("summary", "export"):
                report = (
                    self._reports.summary if command.action == "summary" else self._reports.export
                )
                answer = await report(
                    client, workspace_id=actor.workspace_id, user_id=user_id, command=command
                )
                await respond(response_type="ephemeral", text=answer)
                return
            if command.action == "prompt_now":
                blocks = await self._prompt_now(actor, command.name or "")
            else:
                blocks = await self._run(lambda s: self._cx_work(s, actor, command))
        except SightlineError as exc:
            await respond(response_type="ephemeral", text=f"⚠️ {exc}")
            return
        await respond(response_type="ephemeral", text="CX leads", blocks=blocks)

    async def _prompt_now(self, actor: service.Who, name: str) -> list[Any]:
        send = self.deps.send_prompt_now
        if send is None:
            return r.notice("Prompts are switched off in this installation.")
        department = await self._run(
            lambda s: get_department(session=s, workspace_id=actor.workspace_id, name=name)
        )
        status, reason = await send(department.id or 0)
        label = r.escape(department.name)
        if status == "sent":
            where = f" in <#{department.slack_channel_id}>" if department.slack_channel_id else ""
            return r.notice(f"✅ Sent *{label}* a prompt{where}.")
        return r.notice(f"⚠️ The prompt for *{label}* was not sent: {reason or status}.")

    def _cx_work(self, session: Session, actor: service.Who, command: CxCommand) -> list[Any]:
        rt, workspace_id = self.runtime, actor.workspace_id
        if command.action == "help":
            return r.notice(CX_HELP)
        if command.action == "list":
            found = list_departments(session=session, workspace_id=workspace_id)
            return r.departments_list([service.department_row(d) for d in found])
        assert command.name is not None
        if command.action == "add":
            assert command.spec is not None
            added = add_department(
                session=session, clock=rt.clock, workspace_id=workspace_id, spec=command.spec
            )
            row = service.department_row(added)
            where = f" in <#{row.channel_id}>" if row.channel_id else ""
            return r.notice(f"✅ Added *{r.escape(added.name)}*{where}: {row.schedule}.")
        paused = command.action == "pause"
        changed = set_paused(
            session=session,
            clock=rt.clock,
            workspace_id=workspace_id,
            name=command.name,
            paused=paused,
        )
        verb = "paused ⏸️" if paused else "resumed ▶️"
        return r.notice(f"Prompts for *{r.escape(changed.name)}* are {verb}.")

    # ---- App Home -------------------------------------------------------------------------

    async def home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id, team_name = _team(body)
        user_id = event["user"]
        rt = self.runtime

        def work(session: Any) -> r.HomeModel:
            actor = service.who(
                session, rt.clock, team_id=team_id, user_id=user_id, team_name=team_name
            )
            return service.home_model(session, workspace_id=actor.workspace_id, member=actor.member)

        model = await self._run(work)
        await client.views_publish(user_id=user_id, view=r.home_view(model))

    # ---- answering people -------------------------------------------------------------------

    async def _tell(
        self,
        client: AsyncWebClient,
        user_id: str,
        channel: str | None,
        text: str,
        blocks: list[Any] | None = None,
    ) -> None:
        """Ephemeral in the channel the person was in, else a direct message from the app."""
        blocks = blocks or r.notice(text)
        if channel and not channel.startswith("D"):
            try:
                await client.chat_postEphemeral(
                    channel=channel, user=user_id, text=text, blocks=blocks
                )
                return
            except SlackApiError as exc:
                logger.info(
                    "ephemeral to %s failed (%s); sending a DM", channel, exc.response.get("error")
                )
        await client.chat_postMessage(channel=user_id, text=text, blocks=blocks)

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        # Reached only by failures outside our guarded listeners (bolt middleware).
        logger.error("Slack request failed: %r", error, exc_info=error)


# ---- helpers ----------------------------------------------------------------------------------


# Set by the HTTP endpoint for each request and fired once bolt has handed back the answer
# to Slack. Listeners run in tasks bolt starts from that request, so they inherit it.
ANSWER_READY: contextvars.ContextVar[asyncio.Event] = contextvars.ContextVar("answer_ready")
ANSWER_WAIT_SECONDS = 3.0  # Slack's own deadline: never wait longer than it would


def _then_wait_for_answer(ack: AsyncAck) -> Callable[..., Awaitable[None]]:
    """``ack`` that returns only once the answer is on its way to Slack.

    bolt notices an ack by polling every 10 ms; work started straight after ``ack()`` (the
    capture, its Web API calls) competed with that poll and with the acks of the requests
    behind it, which doubled the p99 ack latency under load (BENCHMARKS.md).
    """

    async def ack_then_wait(*args: Any, **kwargs: Any) -> None:
        await ack(*args, **kwargs)
        ready = ANSWER_READY.get(None)
        if ready is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), ANSWER_WAIT_SECONDS)

    return ack_then_wait


def _guarded(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Never let a listener raise after its ack.

    bolt (1.30, process_before_response=False) overwrites an already-sent ack with None when
    the listener then fails, and its dispatcher then answers Slack 404 after 3 seconds. So
    failures are logged here, and the person is told when there is a way to reach them.
    """

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception:
            logger.exception("Slack listener %s failed", listener.__name__)
            respond = kwargs.get("respond")
            body = kwargs.get("body") or {}
            if respond is not None and (body.get("response_url") or body.get("response_urls")):
                with contextlib.suppress(Exception):
                    await respond(response_type="ephemeral", replace_original=False, text=SORRY)

    return run  # functools.wraps: bolt reads the wrapped listener's argument names


def _team(body: dict[str, Any]) -> tuple[str, str | None]:
    team = body.get("team")
    if isinstance(team, dict):
        return team["id"], team.get("domain") or team.get("name")
    if body.get("team_id"):
        return body["team_id"], body.get("team_domain")
    user = body.get("user") or {}
    return user.get("team_id", ""), None


def _channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel") or {}
    found = channel.get("id") or body.get("container", {}).get("channel_id")
    return str(found) if found else None


def _command_source(body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("channel_name")
    return {
        "channel": body.get("channel_id"),
        "private": name in ("privategroup", "directmessage")
        or str(body.get("channel_id", "")).startswith(("D", "G")),
    }


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _read_form(view: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The modal's values and, per block id, the errors to show next to the fields."""
    values = view.get("state", {}).get("values", {})

    def plain(block: str, action: str) -> str:
        return (values.get(block, {}).get(action, {}).get("value") or "").strip()

    emotion = values.get(r.EMOTION_BLOCK, {}).get(r.EMOTION_ACTION, {}).get("selected_option")
    share = values.get(r.SHARE_BLOCK, {}).get(r.SHARE_ACTION, {}).get("selected_options") or []
    form: dict[str, Any] = {
        "text": plain(r.STORY_BLOCK, r.STORY_ACTION),
        "label": plain(r.LABEL_BLOCK, r.LABEL_ACTION) or None,
        "touchpoint": plain(r.TOUCHPOINT_BLOCK, r.TOUCHPOINT_ACTION) or None,
        "emotion": emotion["value"] if emotion and emotion.get("value") in r.EMOTIONS else None,
        "share": any(o.get("value") == r.SHARE_VALUE for o in share),
    }
    errors: dict[str, str] = {}
    checks: list[tuple[str, Callable[[], object]]] = [
        (r.STORY_BLOCK, lambda: validate_text(form["text"])),
        (r.TOUCHPOINT_BLOCK, lambda: normalise_touchpoint(form["touchpoint"])),
    ]
    for block, check in checks:
        try:
            check()
        except ValidationError as exc:
            errors[block] = str(exc)
    if form["label"] and len(form["label"]) > MAX_LABEL_LENGTH:
        errors[r.LABEL_BLOCK] = f"Keep it under {MAX_LABEL_LENGTH} characters."
    return form, errors


async def _is_private(client: AsyncWebClient, channel: str, channel_name: str | None) -> bool:
    """True unless Slack confirms a public channel: unknown means private, so never leaked."""
    if (
        not channel
        or channel.startswith(("D", "G"))
        or channel_name in ("privategroup", "directmessage")
    ):
        return True
    try:
        info = (await client.conversations_info(channel=channel))["channel"]
    except SlackApiError:
        return True  # channels:read cannot see private channels, which is the answer
    return bool(
        info.get("is_private")
        or info.get("is_im")
        or info.get("is_mpim")
        or not info.get("is_channel", True)
    )


async def _permalink(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    try:
        return str((await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
    except SlackApiError as exc:
        logger.info("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
        return None


async def _fetch_message(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    try:
        answer = await client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        messages = answer.get("messages") or []
        if not messages:  # a reply inside a thread is not in the channel history
            answer = await client.conversations_replies(
                channel=channel, ts=ts, latest=ts, inclusive=True, limit=1
            )
            messages = [m for m in answer.get("messages") or [] if m.get("ts") == ts]
    except SlackApiError as exc:
        logger.info("cannot read %s/%s: %s", channel, ts, exc.response.get("error"))
        return None
    return messages[0] if messages else None
