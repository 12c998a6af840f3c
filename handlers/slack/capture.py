"""Slack listeners that capture, edit and delete stories: `/story <text>`, the capture modal,
the message shortcut and the story reaction. Acknowledge, convert, call the core, render."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack import forms
from handlers.slack.blocks import (
    block_dicts,
    escape,
    fallback,
    notice,
    story_reply,
    view_dict,
    warning,
)
from handlers.slack.context import (
    context,
    context_here,
    fetch_message,
    permalink,
    place_of,
)
from handlers.slack.skin import SlackSkin
from stories.conversation import capture, texts
from stories.conversation.capture import CaptureRequest, Teller
from stories.conversation.context import ChatContext, Place
from stories.conversation.views import CaptureForm, Outcome, StoryReply
from stories.errors import SightlineError, ValidationError
from stories.models import SourceKind

logger = logging.getLogger(__name__)
SHORTCUT_CALLBACK = "save_as_story"


class CaptureListeners:
    def __init__(self, skin: SlackSkin) -> None:
        self.skin = skin
        self.core = skin.core

    async def capture_command(
        self, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, text: str
    ) -> None:
        """`/story <text>`: saved at once, keyed on the command's trigger (a re-sent command
        stores nothing twice)."""
        ctx = await context_here(body, client)
        request = CaptureRequest(
            text=text, source=SourceKind.SLASH, source_ref=f"slack:command:{body.get('trigger_id')}"
        )
        try:
            outcome = await asyncio.to_thread(
                capture.capture, env=self.core, ctx=ctx, request=request
            )
        except ValidationError as exc:
            await respond(
                response_type="ephemeral",
                text=fallback(texts.warning(str(exc))),
                blocks=block_dicts(warning(str(exc))),
            )
            return
        await respond(
            response_type="ephemeral",
            text=fallback(outcome.reply.heading),
            blocks=block_dicts(story_reply(outcome.reply)),
        )
        await self.skin.effects.apply(client, outcome.effects)

    async def open_form(self, client: AsyncWebClient, trigger_id: str, form: CaptureForm) -> None:
        await client.views_open(trigger_id=trigger_id, view=view_dict(forms.capture_modal(form)))

    async def form_for_command(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        """`/story` alone: the capture form, remembering where it was opened (a public
        channel's story is shared unless its teller unticks Share)."""
        channel = body.get("channel_id")
        place = await place_of(client, channel, body.get("channel_name"))
        form = capture.capture_form(share=place == Place.PUBLIC, source={"channel": channel})
        await self.open_form(client, body["trigger_id"], form)

    # ---- modal submissions ----------------------------------------------------------------

    async def handle_capture_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        form = forms.read_form(view)
        errors = capture.check_form(form)
        if errors:
            await ack(response_action="errors", errors=forms.block_errors(errors))
            return
        await ack()
        source = forms.metadata(view)
        channel = source.get("channel")
        ctx = context(body, channel=channel, place=await place_of(client, channel))
        if source.get("ts"):
            ts = str(source["ts"])
            kind, ref = SourceKind.SHORTCUT, f"slack:{channel}:{ts}"
            link = await permalink(client, str(channel), ts)
        else:
            kind, ref, link = SourceKind.MODAL, f"slack:view:{view.get('id')}", None
        teller = Teller(user=str(source["author"])) if source.get("author") else None
        request = CaptureRequest(
            text=form.text,
            source=kind,
            source_ref=ref,
            teller=teller,
            customer_label=form.customer_label,
            touchpoint=form.touchpoint,
            emotion=form.emotion,
            share=form.share,
            permalink=link,
            harvest=int(source["harvest"]) if source.get("harvest") else None,
        )
        await self._captured(client, ctx, request)

    async def _captured(
        self, client: AsyncWebClient, ctx: ChatContext, request: CaptureRequest
    ) -> None:
        try:
            outcome = await asyncio.to_thread(
                capture.capture, env=self.core, ctx=ctx, request=request
            )
        except ValidationError as exc:  # validated above; a race or a new rule got here
            await self.skin.tell(client, ctx.user, ctx.conversation, texts.warning(str(exc)))
            return
        await self._show(client, ctx, outcome)

    async def _show(
        self, client: AsyncWebClient, ctx: ChatContext, outcome: Outcome[StoryReply]
    ) -> None:
        reply = outcome.reply
        await self.skin.tell(
            client, ctx.user, ctx.conversation, reply.heading, blocks=story_reply(reply)
        )
        await self.skin.effects.apply(client, outcome.effects)

    async def handle_edit_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        form = forms.read_form(view)
        errors = capture.check_form(form)
        if errors:
            await ack(response_action="errors", errors=forms.block_errors(errors))
            return
        await ack()
        story_id = int(forms.metadata(view).get("story_id") or 0)
        ctx = context(body, place=Place.PERSONAL)
        work = functools.partial(capture.edit, env=self.core, ctx=ctx, story_id=story_id, form=form)
        try:
            outcome = await self.skin.decided(client, ctx.user, lambda e: work(evidence=e))
        except SightlineError as exc:
            await self.skin.tell(client, ctx.user, None, texts.warning(str(exc)))
            return
        await self._show(client, ctx, outcome)

    # ---- message shortcut and reaction ----------------------------------------------------

    async def handle_save_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        message = body.get("message", {})
        channel = (body.get("channel") or {}).get("id", "")
        source = {"channel": channel, "ts": message.get("ts"), "author": message.get("user")}
        public = await place_of(client, channel) == Place.PUBLIC
        form = capture.capture_form(
            text=message.get("text", ""), share=public, source=source, from_message=True
        )
        await self.open_form(client, body["trigger_id"], form)

    async def handle_reaction_added(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        item = event.get("item", {})
        if event.get("reaction") != self.skin.deps.reaction_emoji or item.get("type") != "message":
            return
        channel, ts = item["channel"], item["ts"]
        message = await fetch_message(client, channel, ts)
        if message is None:
            logger.info("reaction on %s/%s: message not readable", channel, ts)
            return
        reactor = event["user"]
        ctx = context(body, user=reactor, channel=channel, place=await place_of(client, channel))
        author = message.get("user")
        request = CaptureRequest(
            text=message.get("text", ""),
            source=SourceKind.REACTION,
            source_ref=f"slack:{channel}:{ts}",
            teller=Teller(user=author) if author else None,
            permalink=await permalink(client, channel, ts),
        )
        try:
            outcome = await asyncio.to_thread(
                capture.capture, env=self.core, ctx=ctx, request=request
            )
        except ValidationError as exc:
            await self.skin.tell(client, reactor, channel, texts.reaction_not_saved(str(exc)))
            return
        if not outcome.reply.created:
            return  # someone else's reaction (or a retried event) already saved it
        await client.chat_postMessage(
            channel=channel,
            thread_ts=message.get("thread_ts") or ts,
            text=texts.saved_from_reaction(f"<@{escape(reactor)}>", texts.SLACK),
        )
        await self.skin.effects.apply(client, outcome.effects)

    # ---- edit and delete buttons ----------------------------------------------------------

    async def handle_harvest_clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        """ "Tell one" on a story-harvest prompt: the capture form, labelled with the department."""
        await ack()
        channel = (body.get("channel") or {}).get("id")
        ctx = context(body, channel=channel, place=await place_of(client, channel))
        try:
            form = await asyncio.to_thread(
                capture.harvest_form, env=self.core, ctx=ctx, delivery_id=int(action["value"])
            )
        except SightlineError as exc:
            await self.skin.warn(respond, exc)
            return
        form = dataclasses.replace(form, source={**form.source, "channel": channel})
        await self.open_form(client, body["trigger_id"], form)

    async def handle_edit_clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        ctx = context(body, place=Place.PERSONAL)
        story_id = int(action["value"])
        try:
            form = await self.skin.decided(
                client,
                ctx.user,
                lambda e: capture.edit_form(env=self.core, ctx=ctx, story_id=story_id, evidence=e),
            )
        except SightlineError as exc:
            await self.skin.warn(respond, exc)
            return
        await self.open_form(client, body["trigger_id"], form)

    async def handle_delete_clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        ctx = context(body, place=Place.PERSONAL)
        story_id = int(action["value"])
        try:
            outcome = await self.skin.decided(
                client,
                ctx.user,
                lambda e: capture.delete(env=self.core, ctx=ctx, story_id=story_id, evidence=e),
            )
        except SightlineError as exc:
            await self.skin.warn(respond, exc)
            return
        await respond(
            replace_original=True,
            text=fallback(outcome.reply.text),
            blocks=block_dicts(notice(outcome.reply)),
        )
        await self.skin.effects.apply(client, outcome.effects)
