"""Slack listeners for line-of-sight prompts: Answer (a modal), "Not relevant to us", and
the storyteller's "Stop these messages". What follows an answer is the core's to decide."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack import forms
from handlers.slack.blocks import fallback, view_dict
from handlers.slack.context import context
from handlers.slack.skin import SlackSkin
from stories.conversation import answers, prompt_texts
from stories.conversation.context import Place
from stories.errors import SightlineError


class AnswerListeners:
    def __init__(self, skin: SlackSkin) -> None:
        self.skin = skin
        self.core = skin.core

    async def handle_answer_clicked(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        form = await asyncio.to_thread(
            answers.answer_form, env=self.core, delivery_id=int(action["value"])
        )
        await client.views_open(
            trigger_id=body["trigger_id"], view=view_dict(forms.answer_modal(form))
        )

    async def handle_answer_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        delivery_id, text = forms.read_answer(view)
        ctx = context(body, place=Place.PRIVATE)
        try:
            outcome = await asyncio.to_thread(
                answers.answer, env=self.core, ctx=ctx, delivery_id=delivery_id, text=text
            )
        except SightlineError as exc:
            await ack(response_action="errors", errors={forms.ANSWER_BLOCK: str(exc)})
            return
        await ack()
        await self.skin.effects.apply(client, outcome.effects)

    async def handle_not_relevant_clicked(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        ctx = context(body, place=Place.PRIVATE)
        reply = await asyncio.to_thread(
            answers.not_relevant, env=self.core, ctx=ctx, delivery_id=int(action["value"])
        )
        await respond(response_type="ephemeral", replace_original=False, text=fallback(reply.text))

    async def handle_link_clicked(self, ack: AsyncAck) -> None:
        """A link button (the reminder's "Open the prompt"): Slack opens the link itself."""
        await ack()

    async def handle_notices_off_clicked(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        ctx = context(body, place=Place.PERSONAL)
        reply = await asyncio.to_thread(answers.notices_off, env=self.core, ctx=ctx)
        await respond(replace_original=False, text=fallback(reply.text or prompt_texts.NOTICES_OFF))
