"""Teams dialogs: the capture and edit form (a task module, the twin of Slack's modal) and
the message action "Save as customer story"."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Attachment
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleResponse,
    TaskModuleTaskInfo,
)

from handlers.teams.cards import CARD_TYPE, fit
from handlers.teams.context import context_of, conversation_key
from handlers.teams.skin import TeamsSkin
from handlers.teams.story_cards import capture_form_card, story_reply, warning_card
from handlers.teams.text import html_to_text
from stories.conversation import capture, texts
from stories.conversation.capture import CaptureRequest, Teller
from stories.conversation.context import ChatContext
from stories.conversation.views import CaptureForm, FormInput
from stories.errors import SightlineError, ValidationError
from stories.models import Emotion, SourceKind


def dialog(form: CaptureForm) -> TaskModuleResponse:
    card = Attachment(content_type=CARD_TYPE, content=fit(capture_form_card(form)))
    info = TaskModuleTaskInfo(title=form.title, card=card, width="medium", height="large")
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))


def read_form(data: dict[str, Any]) -> FormInput:
    """What a person submitted in the form (Teams sends every input by its id)."""
    emotion = str(data.get("emotion") or "")
    return FormInput(
        text=str(data.get("text") or "").strip(),
        customer_label=str(data.get("customer_label") or "").strip() or None,
        touchpoint=str(data.get("touchpoint") or "").strip() or None,
        emotion=Emotion(emotion) if emotion in texts.EMOTIONS else None,
        share=str(data["share"]).lower() == "true" if "share" in data else None,
    )


def _message_source(action: MessagingExtensionAction) -> dict[str, Any]:
    """Where a message action's message came from: id, link, and who wrote it."""
    payload = action.message_payload
    if payload is None:
        return {}
    author = payload.from_property.user if payload.from_property else None
    return {
        "message": payload.id,
        "link": payload.link_to_message,
        "author": author.id if author else None,
        "author_name": author.display_name if author else None,
    }


class Dialogs:
    def __init__(self, skin: TeamsSkin) -> None:
        self.skin = skin
        self.core = skin.core

    async def fetch(self, turn: TurnContext, data: dict[str, Any]) -> TaskModuleResponse:
        """Open the empty capture form (labelled with the department when opened from a
        story-harvest prompt), or the edit form of a story."""
        if data.get("sightline") == "harvest":
            return await self._harvest(turn, int(data.get("delivery_id") or 0))
        if data.get("sightline") != "edit":
            return dialog(capture.capture_form(share=context_of(turn).shares_by_default))
        ctx = context_of(turn)
        work = functools.partial(
            capture.edit_form, env=self.core, ctx=ctx, story_id=int(data.get("story_id") or 0)
        )
        try:
            form = await self.skin.decided(turn, lambda e: work(evidence=e))
        except SightlineError as exc:  # not theirs to edit, or gone: say so in the dialog
            return TaskModuleResponse(task=TaskModuleMessageResponse(value=texts.warning(str(exc))))
        return dialog(form)

    async def _harvest(self, turn: TurnContext, delivery_id: int) -> TaskModuleResponse:
        work = functools.partial(
            capture.harvest_form, env=self.core, ctx=context_of(turn), delivery_id=delivery_id
        )
        try:
            form = await asyncio.to_thread(work)
        except SightlineError as exc:
            return TaskModuleResponse(task=TaskModuleMessageResponse(value=texts.warning(str(exc))))
        return dialog(form)

    async def submit(self, turn: TurnContext, data: dict[str, Any]) -> TaskModuleResponse | None:
        """Save the form; with errors, show it again with each error under its field."""
        form = read_form(data)
        errors = capture.check_form(form)
        raw = data.get("source")
        source: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
        story_id = int(data.get("story_id") or 0)
        if errors:
            title = texts.EDIT_TITLE if story_id else texts.FORM_TITLE
            again = CaptureForm(
                title=title,
                submit=texts.FORM_SUBMIT,
                story_id=story_id or None,
                text=form.text,
                customer_label=form.customer_label or "",
                touchpoint=form.touchpoint or "",
                emotion=form.emotion,
                share=bool(form.share),
                source=source,
                errors=errors,
            )
            return dialog(again)
        ctx = context_of(turn)
        try:
            if story_id:
                work = functools.partial(
                    capture.edit, env=self.core, ctx=ctx, story_id=story_id, form=form
                )
                outcome = await self.skin.decided(turn, lambda e: work(evidence=e))
            else:
                outcome = await self._capture(
                    ctx, self._request(turn, form, source, extension=False)
                )
        except SightlineError as exc:
            await self.skin.reply(turn, warning_card(str(exc)))
            return None
        await self.skin.reply(turn, story_reply(outcome.reply))
        await self.skin.effects.apply(outcome.effects)
        return None

    def _request(
        self, turn: TurnContext, form: FormInput, source: dict[str, Any], *, extension: bool
    ) -> CaptureRequest:
        """A story from the form: keyed on the message it was saved from (so saving the same
        message twice stores it once), or on the form's own submission."""
        message = source.get("message")
        teller = None
        if source.get("author"):
            teller = Teller(user=str(source["author"]), name=source.get("author_name"))
        kind = SourceKind.TEAMS_EXTENSION if extension or message else SourceKind.TEAMS_FORM
        if message:
            ref = f"teams:message:{conversation_key(turn.activity)}:{message}"
        else:
            ref = f"teams:{'ext' if extension else 'form'}:{turn.activity.id}"
        return CaptureRequest(
            text=form.text,
            source=kind,
            source_ref=ref,
            teller=teller,
            customer_label=form.customer_label,
            touchpoint=form.touchpoint,
            emotion=form.emotion,
            share=form.share,
            permalink=source.get("link"),
            harvest=int(source["harvest"]) if source.get("harvest") else None,
        )

    async def _capture(self, ctx: ChatContext, request: CaptureRequest) -> Any:
        return await asyncio.to_thread(capture.capture, env=self.core, ctx=ctx, request=request)

    # --- the message action ---------------------------------------------------------------

    async def extension_fetch(
        self, turn: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        """The form, filled with the message (as plain text) and where it came from."""
        text = ""
        payload = action.message_payload
        if payload is not None and payload.body is not None:
            text = html_to_text(payload.body.content or "", payload.body.content_type)
        share = context_of(turn).shares_by_default  # a public message may go on being public
        form = capture.capture_form(
            text=text, share=share, source=_message_source(action), from_message=True
        )
        task = dialog(form).task
        return MessagingExtensionActionResponse(task=task)

    async def extension_submit(
        self, turn: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        """Save the message as a story, credited to whoever wrote it, once per message."""
        data: dict[str, Any] = action.data if isinstance(action.data, dict) else {}
        form = read_form(data)
        source = dict(data.get("source") or {}) if isinstance(data.get("source"), dict) else {}
        source.update({k: v for k, v in _message_source(action).items() if v})
        try:
            request = self._request(turn, form, source, extension=True)
            outcome = await self._capture(context_of(turn), request)
        except ValidationError as exc:
            await self.skin.reply(turn, warning_card(str(exc)))
            return MessagingExtensionActionResponse()
        await self.skin.reply(turn, story_reply(outcome.reply))
        await self.skin.effects.apply(outcome.effects)
        return MessagingExtensionActionResponse()
