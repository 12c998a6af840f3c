"""Two drivers with one vocabulary: what a person does in chat, said once, done the Slack way
(signed requests into the real Bolt app, the fake Web API recording what came back) or the
Teams way (Bot Framework activities into /api/messages, the fake connector recording what
came back). Scenarios in this package speak only this vocabulary, so a behaviour one skin has
and the other lacks fails here.
"""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.scheduler import PromptScheduler
from bot.slack import SlackPlatform
from handlers.slack import blocks as kit
from handlers.slack import forms, prompt_cards
from stories.clock import FixedClock
from stories.conversation.context import Place
from stories.departments import DepartmentSpec, add_department
from stories.models import Platform, PromptDelivery, Story, Workspace
from tests.fakes.bot_connector import ConnectorCall
from tests.slack.conftest import SlackHarness, fixture
from tests.teams.test_teams_bot import TENANT, Harness

LEAD = "lena"
PEOPLE = ("ana", "ben", "carol", "lena")
REMINDER_MARK = "was sent a customer story"  # words every prompt reminder carries


@dataclass(frozen=True)
class Seen:
    """What one person was shown in answer to one request, as plain text."""

    text: str

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text


class Driver(Protocol):
    """A chat platform, driven through its real HTTP endpoint."""

    platform: str
    engine: Engine
    clock: FixedClock

    def private_replies(self, place: Place) -> bool:
        """Whether an answer given in ``place`` is read by the asker alone."""
        ...

    async def tell(self, user: str, text: str, *, place: Place) -> Seen: ...

    async def save_message(
        self, user: str, *, author: str, text: str, message: str, place: Place
    ) -> Seen: ...

    async def search(self, user: str, words: str, *, place: Place) -> Seen: ...

    async def resonate(self, user: str, story_id: int) -> None: ...

    async def delete(self, user: str, story_id: int) -> Seen: ...

    async def edit(self, user: str, story_id: int, text: str) -> Seen:
        """Press Edit on the story, change its text in the form, save."""
        ...

    def post_updates(self, story_id: int) -> list[str]:
        """What the story's stories-channel post was redrawn as, in order."""
        ...

    async def lead(self, user: str, command: str, *, place: Place = Place.PERSONAL) -> Seen: ...

    async def link_department(self, name: str) -> None: ...

    finance: str  # the finance channel's id

    async def lead_in_finance(self, user: str, command: str) -> Seen:
        """A lead command sent in the finance channel (Teams: mentioning the bot)."""
        ...

    async def name_lead(self, user: str, verb: str, who: str) -> Seen:
        """``lead add|remove`` naming ``who`` the platform's way (a mention)."""
        ...

    async def answer(self, user: str, delivery_id: int, text: str) -> None: ...

    def thread(self, delivery_id: int) -> list[str]: ...

    def storyteller_messages(self, user: str) -> tuple[int, str]: ...

    async def stop_notices(self, user: str) -> Seen:
        """Press **Stop these messages** on the storyteller's notice."""
        ...

    def user_id(self, user: str) -> str:
        """The person's id on the platform (what department rosters hold)."""
        ...

    def mention(self, user: str) -> str:
        """How a message names the person (Slack's <@U…>, Teams' <at>Name</at>)."""
        ...

    def reminders(self, user: str) -> list[tuple[str, str | None]]:
        """Prompt reminders the person received personally: (text, link to the prompt)."""
        ...

    async def harvest(self, user: str, delivery_id: int, text: str) -> str:
        """Press "Tell one" on a story-harvest prompt and save the form; returns the form's
        title."""
        ...

    async def exported_stories(self, user: str) -> list[dict[str, str]]: ...

    async def member(self, user: str, words: str, *, place: Place) -> Seen:
        """Any member command: "/story <words>" in Slack, "<words>" in Teams."""
        ...

    async def my_data(self, user: str) -> dict[str, Any] | None:
        """Ask for "my-data" in a personal place and read the file that arrives there."""
        ...

    def pings(self, mentions: tuple[str, ...]) -> list[str]: ...

    def stories_post(self, story_id: int) -> str: ...

    def scheduler(self) -> PromptScheduler: ...

    def refuse_next_post(self) -> None:
        """The stories channel refuses the next post (archived, bot removed)."""
        ...

    def department(self, name: str) -> int:
        """A department linked to its channel, set up directly (as `sightline departments`)."""
        ...


def _texts(node: Any) -> list[str]:
    """Every human-readable string in a Block Kit or Adaptive Card structure."""
    if isinstance(node, dict):
        found = [
            node[k]
            for k in ("text", "value", "title", "fallbackText")
            if isinstance(node.get(k), str)
        ]
        return found + [t for v in node.values() if not isinstance(v, str) for t in _texts(v)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def plain(node: Any) -> str:
    return html.unescape("\n".join(_texts(node)))


def delivery_ref(engine: Engine, delivery_id: int) -> str:
    """Where a prompt was posted (its reference, which is also where answers go)."""
    with Session(engine) as session:
        found = session.get(PromptDelivery, delivery_id)
        assert found is not None
        return found.message_ref or ""


def latest_delivery(engine: Engine) -> PromptDelivery:
    with Session(engine) as session:
        return session.exec(select(PromptDelivery).order_by(col(PromptDelivery.id).desc())).first()  # type: ignore[return-value]


def story_of(engine: Engine, story_id: int) -> Story | None:
    with Session(engine) as session:
        return session.get(Story, story_id)


def add_linked(engine: Engine, clock: FixedClock, platform: str, name: str, **channel: str) -> int:
    with Session(engine, expire_on_commit=False) as session:
        workspace = session.exec(
            select(Workspace).where(Workspace.platform == Platform(platform))
        ).one()
        department = add_department(
            session=session,
            clock=clock,
            workspace_id=workspace.id or 0,
            spec=DepartmentSpec(name=name, **channel),  # type: ignore[arg-type]
        )
        return department.id or 0


def rows_of(name: str, content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# --- Slack -------------------------------------------------------------------------------------

SLACK_PLACES = {Place.PERSONAL: "D0{user}", Place.PRIVATE: "G0PRIVATE", Place.PUBLIC: "C0PUBLIC1"}
SLACK_FINANCE = "C0FINANCE"


class SlackDriver:
    platform = "slack"

    def __init__(self, harness: SlackHarness, engine: Engine, clock: FixedClock) -> None:
        self.h, self.engine, self.clock = harness, engine, clock
        self.fake = harness.fake
        self.fake.add_channel("G0PRIVATE", private=True)
        self.fake.add_channel("C0PUBLIC1", name="general")
        self.fake.add_channel(SLACK_FINANCE, name="finance")
        self._keys = 0

    @staticmethod
    def uid(user: str) -> str:
        return f"U0{user.upper()}"

    def channel(self, user: str, place: Place) -> str:
        return SLACK_PLACES[place].format(user=user.upper())

    def private_replies(self, place: Place) -> bool:
        return True  # ephemeral replies and direct messages

    async def settle(self) -> None:
        """Wait for the work Slack was already told about (listeners run after their ack)."""
        platform = self.h.sightline.platforms[0]
        assert isinstance(platform, SlackPlatform)
        await platform.listeners.drain()

    def _key(self) -> str:
        self._keys += 1
        return f"k{self._keys}"

    async def _command(self, command: str, user: str, text: str, channel: str) -> Seen:
        key = self._key()
        payload = fixture("slash_command")
        payload.update(
            command=command,
            text=text,
            user_id=self.uid(user),
            channel_id=channel,
            channel_name="directmessage" if channel.startswith("D") else channel.lower(),
            trigger_id=f"{key}.trigger",
            response_url=self.fake.response_url(key),
        )
        await self.h.post(urlencode(payload), "application/x-www-form-urlencoded")
        await self.settle()
        return Seen(plain([c.json for c in self.fake.calls_to("response_url") if c["key"] == key]))

    async def tell(self, user: str, text: str, *, place: Place) -> Seen:
        return await self._command("/story", user, text, self.channel(user, place))

    async def search(self, user: str, words: str, *, place: Place) -> Seen:
        return await self._command("/story", user, f"search {words}", self.channel(user, place))

    async def lead(self, user: str, command: str, *, place: Place = Place.PERSONAL) -> Seen:
        return await self._command("/cx", user, command, self.channel(user, place))

    async def link_department(self, name: str) -> None:
        await self._command("/cx", LEAD, f"department link {name}", SLACK_FINANCE)

    finance = SLACK_FINANCE

    async def lead_in_finance(self, user: str, command: str) -> Seen:
        return await self._command("/cx", user, command, SLACK_FINANCE)

    async def name_lead(self, user: str, verb: str, who: str) -> Seen:
        mention = f"<@{self.uid(who)}|{who}>"  # as Slack escapes a mention in a command
        return await self.lead(user, f"lead {verb} {mention}")

    def _seen_by(self, user: str, since: int) -> Seen:
        calls = self.fake.calls[since:]
        shown = [
            c.params
            for c in calls
            if (c.method == "chat.postEphemeral" and c.params.get("user") == self.uid(user))
            or (c.method == "chat.postMessage" and c.params.get("channel") == self.uid(user))
            or c.method == "response_url"
        ]
        return Seen(
            plain(
                [
                    json.loads(v) if isinstance(v, str) and v.startswith("[") else v
                    for s in shown
                    for v in s.values()
                ]
            )
        )

    async def save_message(
        self, user: str, *, author: str, text: str, message: str, place: Place
    ) -> Seen:
        channel = self.channel(user, place)
        ts = f"1780000000.{abs(hash(message)) % 1_000_000:06d}"
        self.fake.add_message(channel, ts, user=self.uid(author), text=text)
        shortcut = fixture("message_action")
        shortcut["user"] = {"id": self.uid(user), "team_id": self.fake.team_id}
        shortcut["channel"] = {"id": channel, "name": channel.lower()}
        shortcut["message"] = {"type": "message", "user": self.uid(author), "ts": ts, "text": text}
        opened = len(self.fake.calls_to("views.open"))
        await self.h.interaction(shortcut)
        await self.settle()
        view = self.fake.calls_to("views.open")[opened]["view"]
        view = json.loads(view) if isinstance(view, str) else view
        since = len(self.fake.calls)
        submission = fixture("view_submission")
        submission["user"] = shortcut["user"]
        submission["view"].update(
            id=f"V{ts.replace('.', '')}{user}",
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            state={"values": _form_values(text, share="share" in json.dumps(view.get("blocks")))},
        )
        await self.h.interaction(submission)
        await self.settle()
        return self._seen_by(user, since)

    async def resonate(self, user: str, story_id: int) -> None:
        channel, _, ts = self.stories_post(story_id).partition(":")
        payload = fixture("block_actions")
        payload["user"] = {"id": self.uid(user), "team_id": self.fake.team_id}
        payload["channel"] = {"id": channel}
        payload["container"] = {"type": "message", "channel_id": channel, "message_ts": ts}
        payload["response_url"] = self.fake.response_url(self._key())
        payload["actions"][0].update(action_id=kit.RESONATES_ACTION, value=str(story_id))
        await self.h.interaction(payload)
        await self.settle()

    async def delete(self, user: str, story_id: int) -> Seen:
        key = self._key()
        payload = fixture("block_actions")
        payload["user"] = {"id": self.uid(user), "team_id": self.fake.team_id}
        payload["response_url"] = self.fake.response_url(key)
        payload["actions"][0].update(action_id=kit.DELETE_ACTION, value=str(story_id))
        await self.h.interaction(payload)
        await self.settle()
        return Seen(plain([c.json for c in self.fake.calls_to("response_url") if c["key"] == key]))

    async def edit(self, user: str, story_id: int, text: str) -> Seen:
        key = self._key()
        clicked = fixture("block_actions")
        clicked["user"] = {"id": self.uid(user), "team_id": self.fake.team_id}
        clicked["trigger_id"] = f"{key}.edit"
        clicked["response_url"] = self.fake.response_url(key)
        clicked["actions"][0].update(action_id=kit.EDIT_ACTION, value=str(story_id))
        opened = len(self.fake.calls_to("views.open"))
        await self.h.interaction(clicked)
        await self.settle()
        refused = [c.json for c in self.fake.calls_to("response_url") if c["key"] == key]
        if len(self.fake.calls_to("views.open")) == opened:
            return Seen(plain(refused))
        view = self.fake.calls_to("views.open")[opened]["view"]
        view = json.loads(view) if isinstance(view, str) else view
        since = len(self.fake.calls)
        submission = fixture("view_submission")
        submission["user"] = clicked["user"]
        submission["view"].update(
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            state={"values": _form_values(text, share=True)},
        )
        response = await self.h.interaction(submission)
        await self.settle()
        errors = response.json().get("errors") if response.content else None
        return Seen(" ".join(errors.values())) if errors else self._seen_by(user, since)

    async def harvest(self, user: str, delivery_id: int, text: str) -> str:
        channel, _, ts = delivery_ref(self.engine, delivery_id).partition(":")
        [post] = [
            c
            for c in self.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == channel and (c.params.get("metadata") or {})
        ][-1:]
        [button] = [
            e for b in _blocks(post) if b.get("type") == "actions" for e in b.get("elements", [])
        ]
        clicked = fixture("block_actions")
        clicked["user"] = {"id": self.uid(user), "team_id": self.fake.team_id}
        clicked["channel"] = {"id": channel, "name": channel.lower()}
        clicked["trigger_id"] = f"{self._key()}.harvest"
        clicked["actions"][0].update(action_id=button["action_id"], value=button["value"])
        opened = len(self.fake.calls_to("views.open"))
        await self.h.interaction(clicked)
        await self.settle()
        view = self.fake.calls_to("views.open")[opened]["view"]
        view = json.loads(view) if isinstance(view, str) else view
        submission = fixture("view_submission")
        submission["user"] = clicked["user"]
        submission["view"].update(
            id=f"V{ts.replace('.', '')}{user}",
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            state={"values": _form_values(text, share=True)},
        )
        await self.h.interaction(submission)
        await self.settle()
        return str(view["title"]["text"])

    def post_updates(self, story_id: int) -> list[str]:
        channel, _, ts = self.stories_post(story_id).partition(":")
        return [
            plain(_blocks(c))
            for c in self.fake.calls_to("chat.update")
            if c.params.get("channel") == channel and c.params.get("ts") == ts
        ]

    async def answer(self, user: str, delivery_id: int, text: str) -> None:
        submission = fixture("view_submission")
        submission["user"] = {"id": self.uid(user), "team_id": self.fake.team_id}
        submission["view"].update(
            callback_id=forms.ANSWER_CALLBACK,
            private_metadata=str(delivery_id),
            state={"values": {forms.ANSWER_BLOCK: {forms.ANSWER_INPUT: {"value": text}}}},
        )
        await self.h.interaction(submission)
        await self.settle()

    def thread(self, delivery_id: int) -> list[str]:
        channel, _, ts = delivery_ref(self.engine, delivery_id).partition(":")
        return [
            plain([c.params.get("text"), _blocks(c)])
            for c in self.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == channel and c.params.get("thread_ts") == ts
        ]

    async def stop_notices(self, user: str) -> Seen:
        key = self._key()
        payload = fixture("block_actions")
        payload["user"] = {"id": self.uid(user), "team_id": self.fake.team_id}
        payload["response_url"] = self.fake.response_url(key)
        payload["actions"][0].update(action_id=prompt_cards.NOTICES_OFF_ACTION, value="off")
        await self.h.interaction(payload)
        await self.settle()
        return Seen(plain([c.json for c in self.fake.calls_to("response_url") if c["key"] == key]))

    def storyteller_messages(self, user: str) -> tuple[int, str]:
        dm = f"D{self.uid(user)}"
        posts = [c for c in self.fake.calls_to("chat.postMessage") if c.params.get("channel") == dm]
        updates = [c for c in self.fake.calls_to("chat.update") if c.params.get("channel") == dm]
        latest = (updates or posts)[-1] if posts else None
        return len(posts), plain(_blocks(latest)) if latest else ""

    def user_id(self, user: str) -> str:
        return self.uid(user)

    def mention(self, user: str) -> str:
        return f"<@{self.uid(user)}>"

    def reminders(self, user: str) -> list[tuple[str, str | None]]:
        dm = f"D{self.uid(user)}"
        found = []
        for call in self.fake.calls_to("chat.postMessage"):
            text = plain(_blocks(call))
            if call.params.get("channel") == dm and REMINDER_MARK in text:
                buttons = [
                    e
                    for b in _blocks(call)
                    if b.get("type") == "actions"
                    for e in b.get("elements", [])
                ]
                found.append((text, next((e.get("url") for e in buttons), None)))
        return found

    async def member(self, user: str, words: str, *, place: Place) -> Seen:
        return await self._command("/story", user, words, self.channel(user, place))

    async def my_data(self, user: str) -> dict[str, Any] | None:
        await self.member(user, "my-data", place=Place.PERSONAL)
        dm = f"D{self.uid(user)}"
        for stored in self.fake.files.values():
            if stored.get("channel") == dm and str(stored["filename"]).startswith(
                "sightline-my-data"
            ):
                found: dict[str, Any] = json.loads(stored["content"])
                return found
        return None

    async def exported_stories(self, user: str) -> list[dict[str, str]]:
        dm = f"D{self.uid(user)}"
        for stored in self.fake.files.values():
            if stored.get("channel") == dm and str(stored["filename"]).startswith(
                "sightline-stories"
            ):
                return rows_of(stored["filename"], stored["content"])
        return []

    def pings(self, mentions: tuple[str, ...]) -> list[str]:
        """Raw outgoing payloads that still hold live mention syntax."""
        raw = [json.dumps(c.params) for c in self.fake.calls] + [
            json.dumps(c.json) for c in self.fake.calls_to("response_url")
        ]
        return [r for r in raw for m in mentions if m in r]

    def stories_post(self, story_id: int) -> str:
        story = story_of(self.engine, story_id)
        assert story is not None
        return story.channel_post_ref or ""

    def scheduler(self) -> PromptScheduler:
        return PromptScheduler(self.h.runtime, self.h.sightline.senders, instance="conformance")

    def refuse_next_post(self) -> None:
        self.fake.fail("chat.postMessage", "channel_not_found")

    def department(self, name: str) -> int:
        return add_linked(self.engine, self.clock, "slack", name, slack_channel_id=SLACK_FINANCE)


def _form_values(text: str, *, share: bool) -> dict[str, Any]:
    return {
        forms.STORY_BLOCK: {forms.STORY_ACTION: {"value": text}},
        forms.LABEL_BLOCK: {forms.LABEL_ACTION: {"value": None}},
        forms.TOUCHPOINT_BLOCK: {forms.TOUCHPOINT_ACTION: {"value": None}},
        forms.EMOTION_BLOCK: {forms.EMOTION_ACTION: {"selected_option": None}},
        forms.SHARE_BLOCK: {
            forms.SHARE_ACTION: {
                "selected_options": [{"value": forms.SHARE_VALUE}] if share else []
            }
        },
    }


def _blocks(call: Any) -> Any:
    blocks = call.params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else blocks


# --- Teams -------------------------------------------------------------------------------------

TEAM = "19:team@thread.tacv2"
TEAMS_PUBLIC = "19:general@thread.tacv2"
TEAMS_FINANCE = "19:finance@thread.tacv2"
TEAMS_STORIES = "19:stories@thread.tacv2"


class TeamsDriver:
    platform = "teams"

    def __init__(self, harness: Harness, engine: Engine, clock: FixedClock) -> None:
        self.h, self.engine, self.clock = harness, engine, clock
        self.connector = harness.connector

    @staticmethod
    def account(user: str) -> dict[str, str]:
        return {"id": f"29:{user}", "name": user.title(), "aadObjectId": f"aad-{user}"}

    @staticmethod
    def conversation(user: str, place: Place) -> dict[str, Any]:
        if place == Place.PERSONAL:
            return {"id": f"a:{user}-chat", "tenantId": TENANT, "conversationType": "personal"}
        if place == Place.PRIVATE:
            return {"id": "19:group@thread.v2", "tenantId": TENANT, "conversationType": "groupChat"}
        return {"id": TEAMS_PUBLIC, "tenantId": TENANT, "conversationType": "channel"}

    @staticmethod
    def channel(conversation_id: str) -> dict[str, Any]:
        return {"id": conversation_id, "tenantId": TENANT, "conversationType": "channel"}

    def private_replies(self, place: Place) -> bool:
        return place == Place.PERSONAL  # a card in a channel or group chat is read by all there

    async def start(self) -> None:
        """Sightline installed for everyone and added to the team, as an admin would."""
        for user in PEOPLE:
            await self._send(
                user,
                self.conversation(user, Place.PERSONAL),
                type="installationUpdate",
                action="add",
            )
        for channel in (TEAMS_PUBLIC, TEAMS_FINANCE, TEAMS_STORIES):
            await self._send(
                LEAD,
                self.channel(channel),
                type="conversationUpdate",
                membersAdded=[{"id": "28:bot"}],
            )

    async def _send(
        self, user: str, conversation: dict[str, Any], **fields: Any
    ) -> list[ConnectorCall]:
        before = len(self.connector.calls)
        data = (
            {"team": {"id": TEAM}, "tenant": {"id": TENANT}}
            if conversation.get("conversationType") == "channel"
            else {"tenant": {"id": TENANT}}
        )
        fields.setdefault("text", None)
        activity = self.h.activity(
            conversation=conversation, channelData=data, **{"from": self.account(user)}, **fields
        )
        response = await self.h.post(activity)
        assert response.status_code in (200, 201), response.text
        self.last_response = response
        return self.connector.calls[before:]

    def _seen(self, calls: list[ConnectorCall]) -> Seen:
        return Seen(plain([c.body for c in calls]))

    async def tell(self, user: str, text: str, *, place: Place) -> Seen:
        return self._seen(
            await self._send(user, self.conversation(user, place), text=f"story {text}")
        )

    async def search(self, user: str, words: str, *, place: Place) -> Seen:
        return self._seen(
            await self._send(user, self.conversation(user, place), text=f"search {words}")
        )

    async def lead(self, user: str, command: str, *, place: Place = Place.PERSONAL) -> Seen:
        return self._seen(await self._send(user, self.conversation(user, place), text=command))

    async def link_department(self, name: str) -> None:
        await self._send(LEAD, self.channel(TEAMS_FINANCE), text=f"department link {name}")

    finance = TEAMS_FINANCE

    async def lead_in_finance(self, user: str, command: str) -> Seen:
        return self._seen(await self._send(user, self.channel(TEAMS_FINANCE), text=command))

    async def name_lead(self, user: str, verb: str, who: str) -> Seen:
        """A mention carries the person's Teams id only; Sightline asks Teams for the rest."""
        account = self.account(who)
        self.connector.members[account["id"]] = {**account, "userPrincipalName": f"{who}@x.test"}
        at = f"<at>{account['name']}</at>"
        mention = {"id": account["id"], "name": account["name"]}
        entities = [{"type": "mention", "mentioned": mention, "text": at}]
        chat = self.conversation(user, Place.PERSONAL)
        return self._seen(await self._send(user, chat, text=f"lead {verb} {at}", entities=entities))

    async def save_message(
        self, user: str, *, author: str, text: str, message: str, place: Place
    ) -> Seen:
        conversation = self.conversation(user, place)
        payload = {
            "id": message,
            "linkToMessage": f"https://teams.microsoft.com/l/message/{conversation['id']}/{message}",
            "from": {"user": {"id": f"aad-{author}", "displayName": author.title()}},
            "body": {"contentType": "text", "content": text},
        }
        fetched = await self._send(
            user,
            conversation,
            type="invoke",
            name="composeExtension/fetchTask",
            value={
                "commandId": "saveStory",
                "commandContext": "message",
                "messagePayload": payload,
            },
        )
        form = self.last_response.json()["task"]["value"]["card"]["content"]
        inputs = {e["id"]: e.get("value") for e in form["body"] if "id" in e}
        [save] = form["actions"]
        calls = await self._send(
            user,
            conversation,
            type="invoke",
            name="composeExtension/submitAction",
            value={
                "commandId": "saveStory",
                "data": {**save["data"], **inputs},
                "messagePayload": payload,
            },
        )
        return self._seen(fetched + calls)

    def _post_of(self, ref: str) -> tuple[str, str]:
        conversation, _, activity = ref.rpartition("|")
        return conversation, activity

    async def resonate(self, user: str, story_id: int) -> None:
        conversation, activity = self._post_of(self.stories_post(story_id))
        thread = {**self.channel(f"{conversation};messageid={activity}")}
        await self._send(
            user, thread, replyToId=activity, value={"sightline": "resonate", "story_id": story_id}
        )

    async def delete(self, user: str, story_id: int) -> Seen:
        calls = await self._send(
            user,
            self.conversation(user, Place.PERSONAL),
            replyToId="reply-0",
            value={"sightline": "delete", "story_id": story_id},
        )
        return self._seen(calls)

    async def edit(self, user: str, story_id: int, text: str) -> Seen:
        chat = self.conversation(user, Place.PERSONAL)
        edit = {"msteams": {"type": "task/fetch"}, "sightline": "edit", "story_id": story_id}
        fetched = await self._send(
            user, chat, type="invoke", name="task/fetch", value={"data": edit}
        )
        task = self.last_response.json().get("task") or {}
        if task.get("type") != "continue":  # a message instead of the form
            return Seen(str(task.get("value") or "")) if task else self._seen(fetched)
        form = task["value"]["card"]["content"]
        inputs = {e["id"]: e.get("value") for e in form["body"] if "id" in e}
        [save] = form["actions"]
        calls = await self._send(
            user,
            chat,
            type="invoke",
            name="task/submit",
            value={"data": {**save["data"], **inputs, "text": text}},
        )
        answered = self.last_response.json() if self.last_response.content else None
        again = (answered or {}).get("task") or {}
        if again.get("type") == "continue":  # the form came back with its errors
            return Seen(plain(again["value"]["card"]["content"]))
        return self._seen(fetched + calls)

    async def harvest(self, user: str, delivery_id: int, text: str) -> str:
        thread = delivery_ref(self.engine, delivery_id)
        [card] = [
            c.body["attachments"][0]["content"]
            for c in self.connector.calls
            if c.method == "POST" and "Tell one" in json.dumps(c.body)
        ][-1:]
        [tell] = card["actions"]
        where = self.channel(thread)
        await self._send(
            user, where, type="invoke", name="task/fetch", value={"data": tell["data"]}
        )
        form = self.last_response.json()["task"]["value"]
        content = form["card"]["content"]
        inputs = {e["id"]: e.get("value") for e in content["body"] if "id" in e}
        [save] = content["actions"]
        await self._send(
            user,
            where,
            type="invoke",
            name="task/submit",
            value={"data": {**save["data"], **inputs, "text": text}},
        )
        return str(form.get("title") or "")

    def post_updates(self, story_id: int) -> list[str]:
        conversation, activity = self._post_of(self.stories_post(story_id))
        return [
            plain(c.body)
            for c in self.connector.updates
            if c.conversation_id == conversation and c.activity_id == activity
        ]

    async def answer(self, user: str, delivery_id: int, text: str) -> None:
        thread = delivery_ref(self.engine, delivery_id)
        root = thread.partition(";messageid=")[2]
        await self._send(
            user,
            self.channel(thread),
            replyToId=root,
            value={"sightline": "answer", "delivery_id": delivery_id, "answer": text},
        )

    def thread(self, delivery_id: int) -> list[str]:
        thread = delivery_ref(self.engine, delivery_id)
        return [plain(c.body) for c in self.connector.replies if c.conversation_id == thread]

    async def stop_notices(self, user: str) -> Seen:
        chat = self.conversation(user, Place.PERSONAL)
        return self._seen(await self._send(user, chat, value={"sightline": "notices_off"}))

    def user_id(self, user: str) -> str:
        return self.account(user)["aadObjectId"]

    def mention(self, user: str) -> str:
        return f"<at>{self.account(user)['name']}</at>"

    def reminders(self, user: str) -> list[tuple[str, str | None]]:
        chat = self.conversation(user, Place.PERSONAL)["id"]
        found = []
        for call in self.connector.calls:
            text = plain(call.body)
            if call.conversation_id == chat and call.method == "POST" and REMINDER_MARK in text:
                raw = json.dumps(call.body)
                link = raw.split('"url": "', 1)[1].split('"', 1)[0] if '"url": "' in raw else None
                found.append((text, link))
        return found

    def storyteller_messages(self, user: str) -> tuple[int, str]:
        chat = self.conversation(user, Place.PERSONAL)["id"]
        notices = [
            c
            for c in self.connector.calls
            if c.conversation_id == chat and "reflected on" in plain(c.body)
        ]
        posts = [c for c in notices if c.method == "POST"]
        return len(posts), plain(notices[-1].body) if notices else ""

    async def member(self, user: str, words: str, *, place: Place) -> Seen:
        return self._seen(await self._send(user, self.conversation(user, place), text=words))

    async def my_data(self, user: str) -> dict[str, Any] | None:
        chat = self.conversation(user, Place.PERSONAL)
        await self._send(user, chat, text="my-data")
        content = await self._accept_offer(user, chat, "sightline-my-data")
        return json.loads(content) if content is not None else None

    async def _accept_offer(self, user: str, chat: dict[str, Any], prefix: str) -> bytes | None:
        """Accept the latest file consent offer named ``prefix…`` and return what was uploaded."""
        offers = [
            c
            for c in self.connector.replies
            if c.conversation_id == chat["id"]
            and any(
                a.get("contentType", "").endswith("file.consent")
                and str(a.get("name", "")).startswith(prefix)
                for a in c.body.get("attachments", [])
            )
        ]
        if not offers:
            return None
        [attachment] = offers[-1].body["attachments"]
        name = attachment["name"]
        await self._send(
            user,
            chat,
            type="invoke",
            name="fileConsent/invoke",
            replyToId=offers[-1].response_id,
            value={
                "type": "fileUpload",
                "action": "accept",
                "context": attachment["content"]["acceptContext"],
                "uploadInfo": {
                    "name": name,
                    "uploadUrl": self.connector.upload_url(name),
                    "contentUrl": f"https://onedrive.test/{name}",
                    "uniqueId": "file-1",
                    "fileType": "json",
                },
            },
        )
        return self.connector.uploads.get(name)

    async def exported_stories(self, user: str) -> list[dict[str, str]]:
        chat = self.conversation(user, Place.PERSONAL)
        offers = [
            c
            for c in self.connector.replies
            if c.conversation_id == chat["id"]
            and any(
                a.get("contentType", "").endswith("file.consent")
                for a in c.body.get("attachments", [])
            )
        ]
        if not offers:
            return []
        [attachment] = offers[-1].body["attachments"]
        name = attachment["name"]
        await self._send(
            user,
            chat,
            type="invoke",
            name="fileConsent/invoke",
            replyToId=offers[-1].response_id,
            value={
                "type": "fileUpload",
                "action": "accept",
                "context": attachment["content"]["acceptContext"],
                "uploadInfo": {
                    "name": name,
                    "uploadUrl": self.connector.upload_url(name),
                    "contentUrl": f"https://onedrive.test/{name}",
                    "uniqueId": "file-1",
                    "fileType": "zip",
                },
            },
        )
        archive = zipfile.ZipFile(io.BytesIO(self.connector.uploads[name]))
        [stories] = [n for n in archive.namelist() if n.startswith("sightline-stories")]
        return rows_of(stories, archive.read(stories))

    def pings(self, mentions: tuple[str, ...]) -> list[str]:
        """Outgoing activities that could notify someone (Teams notifies only through a mention
        entity, on the activity or in a card's ``msteams``), or that carry ``mentions``."""
        found = []
        for call in self.connector.calls:
            raw = json.dumps(call.body)
            entities = [e for e in call.body.get("entities") or [] if e.get("type") == "mention"]
            carded = '"msteams": {"entities"' in raw
            if entities or carded or "<at>" in str(call.body.get("text") or ""):
                found.append(raw)
            found += [raw for m in mentions if m in raw and not m.startswith("<")]
        return found

    def stories_post(self, story_id: int) -> str:
        story = story_of(self.engine, story_id)
        assert story is not None
        return story.channel_post_ref or ""

    def scheduler(self) -> PromptScheduler:
        return PromptScheduler(self.h.runtime, self.h.sightline.senders, instance="conformance")

    def refuse_next_post(self) -> None:
        self.connector.fail_next(403, conversation=TEAMS_STORIES)

    def department(self, name: str) -> int:
        return add_linked(
            self.engine, self.clock, "teams", name, teams_conversation_id=TEAMS_FINANCE
        )


@asynccontextmanager
async def nothing() -> AsyncIterator[None]:
    yield
