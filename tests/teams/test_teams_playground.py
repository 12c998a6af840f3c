"""End to end through Microsoft 365 Agents Playground, Microsoft's local Teams client.

The pinned npm package is installed once into the repository's ignored .playground/ (the folder
`make run` uses) and runs headless for the whole module. Each test starts the bot in anonymous
mode, with a fresh database, on the port the Playground was pointed at, then acts as the
Playground's web page does: its HTTP API to install the app, post messages, press card buttons
and run message actions, and its websocket to read what the bot sent back. The shapes come
from the package's bundled server code (routes `/_debug`, `/_conversation`, `/_internal` and
`/_ws_conversation/v1/conversations/stream`). Skipped only when npm is unavailable.

The last tests cover `make run` itself: `sightline playground needed` decides from the settings,
and scripts/run.sh serves Teams anonymously beside the Playground and stops both together.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.app import Sightline, build_sightline
from bot.cli.app import app
from bot.cli.playground import (
    FOLDER,
    PlaygroundError,
    command,
    ensure_installed,
    environment,
)
from bot.scheduler import PromptScheduler
from bot.settings import load_settings
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.models import (
    ChatConversation,
    DeliveryStatus,
    Department,
    Member,
    PromptAnswer,
    SourceKind,
    Story,
    Workspace,
)
from tests.teams.test_teams_unit import texts

REPO = Path(__file__).resolve().parents[2]
WAIT = 15.0  # seconds any one expected event may take on a slow CI machine; never asserted
needs_npm = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not available")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Playground:
    url: str
    bot_port: int
    config: dict[str, Any]  # its mock tenant: current user, bot, personal chat, teams

    @property
    def personal_chat(self) -> str:
        return str(self.config["personalChat"]["id"])

    @property
    def general_channel(self) -> str:
        """A team's General channel has the team's id, as in Teams."""
        return str(self.config["teams"][0]["channels"][0]["id"])


def _listening_port(log: Path, process: subprocess.Popen[bytes]) -> int:
    """The Playground falls back to a random port when its port is taken: read the real one."""
    for _ in range(300):
        found = re.search(r"Listening on (\d+)", log.read_text(errors="replace"))
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.1)  # a plain fixture: no event loop to yield to
    pytest.fail(f"Agents Playground did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    if shutil.which("npm") is None:
        pytest.skip("npm is not available")
    cli = ensure_installed(REPO / FOLDER, quiet=True)
    bot_port = _free_port()
    log = tmp_path_factory.mktemp("playground") / "playground.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command(cli, bot_url=f"http://127.0.0.1:{bot_port}/api/messages", port=_free_port()),
            env=environment(open_browser=False),
            cwd=log.parent,  # it writes devTools/ logs into its working directory
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{_listening_port(log, process)}"
        config = httpx.get(f"{url}/_internal/v1/testConfig", timeout=10).json()["config"]
        yield Playground(url, bot_port, config)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def bot(
    playground: Playground, engine: Engine, clock: FixedClock
) -> AsyncIterator[Sightline]:
    """Sightline in anonymous Teams mode where the Playground expects it."""
    # The Playground's user is a CX lead by UPN, which the bot reads from the Playground's roster.
    lead = playground.config["currentUser"]["userPrincipleName"]  # (sic) its key
    settings = load_settings(
        _env_file=None, teams_allow_anonymous=True, teams_cx_leads=[lead], prompts_enabled=False
    )
    sightline = build_sightline(settings, engine=engine, clock=clock)
    runner = web.AppRunner(sightline.web_app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", playground.bot_port).start()
    yield sightline
    await runner.cleanup()


@dataclass
class Client:
    """What the Playground's web page does: HTTP calls out, websocket events in."""

    playground: Playground
    http: aiohttp.ClientSession
    events: asyncio.Queue[dict[str, Any]]
    seen: list[dict[str, Any]] = field(default_factory=list)

    @property
    def me(self) -> dict[str, Any]:
        return dict(self.playground.config["currentUser"])

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(method, self.playground.url + path, json=body) as response:
            text = await response.text()
            assert response.status == 200, f"{method} {path}: {response.status} {text}"
            return json.loads(text) if text else None

    async def install(self, conversation_id: str) -> None:
        """The page calls this on opening a conversation: installationUpdate + membersAdded."""
        await self.call("POST", f"/_debug/conversation/{conversation_id}/installation", {})

    async def say(self, conversation_id: str, text: str, *, mention_bot: bool = False) -> Any:
        body: dict[str, Any] = {"from": {"id": self.me["id"]}, "text": text, "textFormat": "plain"}
        if mention_bot:  # in a channel the Playground forwards only messages that mention the bot
            bot = self.playground.config["bot"]
            tag = f"<at>{bot['name']}</at>"
            body.update(
                text=f"{tag} {text}", mentions=[{"mentioned": {"id": bot["id"]}, "text": tag}]
            )
        return await self.call(
            "POST", f"/_conversation/v1/conversations/{conversation_id}/messages", body
        )

    async def expect(
        self, action: str, where: str, matches: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """The next websocket event of this kind in this conversation whose message matches."""
        while True:
            try:
                event = await asyncio.wait_for(self.events.get(), WAIT)
            except TimeoutError:
                pytest.fail(f"no {action} in {where}; the websocket carried {self.seen}")
            self.seen.append(event)
            if (
                event.get("action") == action
                and event.get("actionConversationId") == where
                and matches(event["message"])
            ):
                return dict(event["message"])


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return dict(attachment["content"])


def says(*fragments: str) -> Callable[[dict[str, Any]], bool]:
    def matches(message: dict[str, Any]) -> bool:
        shown = texts([a.get("content") for a in message.get("attachments", [])])
        return all(fragment in shown for fragment in fragments)

    return matches


@pytest.fixture
async def client(playground: Playground, bot: Sightline) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{playground.url}/_ws_conversation/v1/conversations/stream")
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def read() -> None:
            async for frame in ws:
                events.put_nowait(json.loads(frame.data))

        reader = asyncio.create_task(read())
        yield Client(playground, http, events)
        reader.cancel()
        await ws.close()


async def eventually(engine: Engine, probe: Callable[[Session], Any]) -> Any:
    """Poll the database until ``probe`` returns something truthy (the bot works asynchronously)."""
    for _ in range(int(WAIT / 0.05)):
        with Session(engine) as session:
            found = probe(session)
        if found:
            return found
        await asyncio.sleep(0.05)
    pytest.fail("the database never reached the expected state")


async def test_install_in_personal_chat_and_team_remembers_both(
    client: Client, playground: Playground, engine: Engine
) -> None:
    await client.install(playground.personal_chat)
    await client.install(playground.general_channel)

    def both_saved(session: Session) -> dict[str, tuple[str, bool, str]] | None:
        rows = session.exec(select(ChatConversation)).all()
        saved = {r.conversation_id: (r.kind, r.active, r.reference["serviceUrl"]) for r in rows}
        return saved if len(saved) == 2 else None

    rows = await eventually(engine, both_saved)
    connector = f"http://localhost:{playground.url.rsplit(':', 1)[1]}/_connector"
    assert rows == {
        playground.personal_chat: ("personal", True, connector),
        playground.general_channel: ("channel", True, connector),
    }
    with Session(engine) as session:
        [workspace] = session.exec(select(Workspace)).all()
    assert workspace.external_id == playground.config["tenantId"]


async def test_story_is_captured_redacted_and_found_by_search(
    client: Client, playground: Playground, engine: Engine
) -> None:
    chat = playground.personal_chat
    await client.install(chat)
    await client.say(chat, "story Ana (ana@example.com) waited three weeks for her refund")
    reply = await client.expect("createMessage", chat, says("Story saved"))
    assert "Ana ([email]) waited three weeks for her refund" in texts(card_of(reply))
    assert reply["from"]["id"] == playground.config["bot"]["id"]
    with Session(engine) as session:
        [story] = session.exec(select(Story)).all()
        author = session.get(Member, story.author_member_id)
    assert (story.text, story.source_kind, story.shared) == (
        "Ana ([email]) waited three weeks for her refund",
        SourceKind.TEAMS_MESSAGE,
        False,  # a personal chat is private
    )
    assert author is not None
    assert (author.platform_user_id, author.display_name) == (
        client.me["aadObjectId"],
        client.me["name"],
    )

    await client.say(chat, "search refund")
    found = await client.expect("createMessage", chat, says("Stories matching “refund”"))
    assert "Ana ([email]) waited three weeks for her refund" in texts(card_of(found))


async def test_prompt_reaches_a_team_channel_and_the_answer_is_stored(
    client: Client, playground: Playground, bot: Sightline, engine: Engine
) -> None:
    channel = playground.general_channel
    await client.install(channel)
    posted = await client.say(
        channel, "story A florist was charged twice and her card was declined", mention_bot=True
    )
    thread = posted["postConversationId"]  # a channel message starts a thread
    await client.expect("createMessage", thread, says("Story saved"))

    # A CX lead adds the department and links it from its channel, as the README tells.
    for said, confirmation in [
        ("department add Finance", "Added Finance"),
        ("department link Finance", "Linked Finance"),
    ]:
        posted = await client.say(channel, said, mention_bot=True)
        await client.expect("createMessage", posted["postConversationId"], says(confirmation))
    with Session(engine, expire_on_commit=False) as session:
        [story] = session.exec(select(Story)).all()
        department = session.exec(select(Department)).one()
    assert story.shared  # told in a team channel: may be used in prompts
    assert department.teams_conversation_id == channel  # the channel, not the thread

    # What `sightline prompts send Finance` does: the scheduler's manual send, via the ledger.
    outcome = await PromptScheduler(bot.runtime, bot.senders).send_now(
        department_id=department.id or 0
    )
    assert (outcome.status, outcome.reason) == (DeliveryStatus.SENT, None)
    prompt = await client.expect("createMessage", channel, says("Finance", "florist"))
    card = card_of(prompt)
    [answer_box] = [item for item in card["body"] if item["type"] == "Input.Text"]
    [send] = [a for a in card["actions"] if a["data"].get("sightline") == "answer"]
    assert send["data"]["delivery_id"] == outcome.delivery_id

    # Pressing "Send answer": the page posts the action's data merged with the inputs.
    answer = "Refunds go out weekly; write to ana@example.com and we will pay her today."
    await client.call(
        "POST",
        "/_conversation/v1/submit",
        {
            "conversation": {"id": prompt["postConversationId"]},
            "from": {"id": client.me["id"]},
            "replyToId": prompt["messageId"],
            "value": {**send["data"], answer_box["id"]: answer},
        },
    )
    # The answer is a reply in the prompt's thread; the card stays for everyone else.
    thread = f"{channel};messageid={prompt['messageId']}"
    replied = await client.expect("createMessage", thread, says("answered"))
    assert "write to [email] and we will pay her today" in texts(card_of(replied))
    with Session(engine) as session:
        [stored] = session.exec(select(PromptAnswer)).all()
        member = session.get(Member, stored.member_id)
    assert stored.text == "Refunds go out weekly; write to [email] and we will pay her today."
    assert (stored.delivery_id, stored.department_id, stored.story_id) == (
        outcome.delivery_id,
        department.id,
        story.id,
    )
    assert member is not None
    assert member.platform_user_id == client.me["aadObjectId"]


async def test_save_as_customer_story_message_action(
    client: Client, playground: Playground, engine: Engine
) -> None:
    chat = playground.personal_chat
    await client.install(chat)
    base = {"conversation": {"id": chat}, "from": {"id": client.me["id"]}}
    fetched = await client.call(
        "POST",
        "/_conversation/v1/invoke",
        {
            **base,
            "name": "composeExtension/fetchTask",
            "value": {
                "commandId": "saveStory",
                "commandContext": "message",
                "messagePayload": {
                    "body": {
                        "contentType": "text",
                        "content": "Loved how quickly the onboarding call fixed her import",
                    }
                },
            },
        },
    )
    form = fetched["task"]["value"]["card"]["content"]
    assert "Loved how quickly the onboarding call fixed her import" in json.dumps(form)
    await client.call(
        "POST",
        "/_conversation/v1/invoke",
        {
            **base,
            "name": "composeExtension/submitAction",
            "value": {
                "commandId": "saveStory",
                "data": {
                    "text": "Loved how quickly the onboarding call fixed her import",
                    "customer_label": "Acme",
                },
            },
        },
    )
    await client.expect(
        "createMessage",
        chat,
        says("Story saved", "Loved how quickly the onboarding call fixed her import"),
    )
    with Session(engine) as session:
        [story] = session.exec(select(Story)).all()
    assert (story.source_kind, story.customer_label) == (SourceKind.TEAMS_EXTENSION, "Acme")


async def test_uninstalling_from_the_team_stops_prompts_to_its_channel(
    client: Client, playground: Playground, bot: Sightline, engine: Engine
) -> None:
    channel = playground.general_channel
    await client.install(channel)

    def channel_row(session: Session) -> ChatConversation | None:
        query = select(ChatConversation).where(ChatConversation.conversation_id == channel)
        return session.exec(query).first()

    saved = await eventually(engine, channel_row)
    with Session(engine) as session:
        capture_story(
            session=session,
            clock=bot.runtime.clock,
            redactor=bot.runtime.redactor,
            draft=StoryDraft(
                workspace_id=saved.workspace_id,
                text="A customer waited on hold for forty minutes to change her address.",
                source_kind=SourceKind.CLI,
                shared=True,
            ),
        )
        department = add_department(
            session=session,
            clock=bot.runtime.clock,
            workspace_id=saved.workspace_id,
            spec=DepartmentSpec(name="Legal", teams_conversation_id=channel),
        )

    # The page's "mock an activity" menu: a template the Playground fills in, then sent as is.
    async with client.http.get(
        f"{playground.url}/_internal/v1/customActivities/template",
        params={"conversationId": channel, "type": "uninstall"},
    ) as response:
        removal = await response.json()
    assert (removal["type"], removal["action"]) == ("installationUpdate", "remove")
    await client.call("POST", "/_internal/v1/customActivities", removal)

    def forgotten(session: Session) -> bool:
        row = channel_row(session)
        return row is not None and not row.active

    await eventually(engine, forgotten)

    outcome = await PromptScheduler(bot.runtime, bot.senders).send_now(
        department_id=department.id or 0
    )
    assert outcome.status is DeliveryStatus.FAILED
    assert "add the app to the channel" in (outcome.reason or "")


async def test_welcome_link_prompt_now_two_answers_and_the_storytellers_notice(
    client: Client, playground: Playground, engine: Engine
) -> None:
    """The issue's walk-through: installed, welcomed, a department linked in one step, a
    prompt sent from chat, answered by two colleagues on the same card, and the storyteller
    told in their personal chat (one message, updated)."""
    chat, channel = playground.personal_chat, playground.general_channel
    await client.install(chat)
    await client.expect("createMessage", chat, says("Welcome to Sightline", "“home”"))
    await client.install(channel)
    await client.expect("createMessage", channel, says("department link Finance"))

    posted = await client.say(
        channel, "story A florist was charged twice and her card was declined", mention_bot=True
    )
    await client.expect("createMessage", posted["postConversationId"], says("Story saved"))
    posted = await client.say(channel, "department link Finance", mention_bot=True)
    await client.expect(
        "createMessage", posted["postConversationId"], says("Added and linked Finance")
    )
    posted = await client.say(channel, "prompt now Finance", mention_bot=True)
    prompt = await client.expect("createMessage", channel, says("Finance", "florist"))
    await client.expect("createMessage", posted["postConversationId"], says("Sent Finance"))

    card = card_of(prompt)
    [answer_box] = [item for item in card["body"] if item["type"] == "Input.Text"]
    [send] = [a for a in card["actions"] if a["data"].get("sightline") == "answer"]
    thread = f"{channel};messageid={prompt['messageId']}"
    colleagues = playground.config["users"][:2]  # Megan and Adele, members of the team
    for colleague, said in zip(
        colleagues,
        ["We could refund card fees the same day.", "Declines should page us."],
        strict=True,
    ):
        await client.call(
            "POST",
            "/_conversation/v1/submit",
            {
                "conversation": {"id": prompt["postConversationId"]},
                "from": {"id": colleague["id"]},
                "replyToId": prompt["messageId"],
                "value": {**send["data"], answer_box["id"]: said},
            },
        )
        await client.expect("createMessage", thread, says(said))
        if colleague is colleagues[0]:  # the teller hears once, in their personal chat
            await client.expect("createMessage", chat, says("reflected on", said))
        else:  # and that one message is brought up to date
            await client.expect("updateMessage", chat, says("reflected on", said))

    with Session(engine) as session:
        answers = session.exec(select(PromptAnswer)).all()
        who = {session.get(Member, a.member_id).platform_user_id for a in answers}  # type: ignore[union-attr]
        [department] = session.exec(select(Department)).all()
    assert who == {c["aadObjectId"] for c in colleagues}
    assert department.teams_conversation_id == channel


async def test_a_lead_names_a_colleague_lead_by_mentioning_them(
    client: Client, playground: Playground, engine: Engine
) -> None:
    """Teams puts only the mentioned person's Teams id in the message; Sightline asks the
    (Playground's) connector for their Azure AD object id, which it knows people by."""
    channel = playground.general_channel
    await client.install(channel)
    megan = playground.config["users"][0]
    tag = f"<at>{megan['name']}</at>"
    bot = playground.config["bot"]
    bot_tag = f"<at>{bot['name']}</at>"
    posted = await client.call(
        "POST",
        f"/_conversation/v1/conversations/{channel}/messages",
        {
            "from": {"id": client.me["id"]},
            "text": f"{bot_tag} lead add {tag}",
            "textFormat": "plain",
            "mentions": [
                {"mentioned": {"id": bot["id"]}, "text": bot_tag},
                {"mentioned": {"id": megan["id"]}, "text": tag},
            ],
        },
    )
    await client.expect(
        "createMessage", posted["postConversationId"], says("Megan Bowen is now a CX lead")
    )
    with Session(engine) as session:
        [lead] = session.exec(select(Member).where(Member.is_cx_lead)).all()
    assert lead.platform_user_id == megan["aadObjectId"]


# --- `make run` -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "exit_code"),
    [
        ({}, 0),
        (
            {
                "MICROSOFT_APP_ID": "app",
                "MICROSOFT_APP_PASSWORD": "s",
                "MICROSOFT_APP_TENANT_ID": "t",
            },
            1,
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, 1),
        ({"SIGHTLINE_TEAMS_ALLOW_ANONYMOUS": "true"}, 0),
    ],
)
def test_playground_is_needed_only_without_chat_credentials(
    cli: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], exit_code: int
) -> None:
    for name in (
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "MICROSOFT_APP_PASSWORD",
        "MICROSOFT_APP_TENANT_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["playground", "needed"])
    assert result.exit_code == exit_code, result.output


def test_install_without_npm_says_what_to_install(
    cli: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm, no node
    result = CliRunner().invoke(app, ["playground", "install", "--folder", str(tmp_path / "pg")])
    assert isinstance(result.exception, PlaygroundError)
    assert "install Node.js" in str(result.exception)


def _wait_for_line(log: Path, pattern: str, process: subprocess.Popen[bytes]) -> re.Match[str]:
    for _ in range(600):
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"never printed {pattern!r}:\n{log.read_text(errors='replace')}")


def _children(pid: int) -> list[tuple[int, str]]:
    """Processes whose parent is ``pid``, with their command lines (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            argv = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append((int(stat.parent.name), argv))
    return found


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@needs_npm
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the bot's process through /proc")
@pytest.mark.skipif((REPO / ".env").exists(), reason="a local .env may configure credentials")
def test_make_run_without_credentials_serves_teams_with_the_playground_and_stops_both(
    tmp_path: Path,
) -> None:
    ensure_installed(REPO / FOLDER, quiet=True)  # what `make run` would print, kept quiet
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "MICROSOFT_", "SIGHTLINE_"))
    }
    env.update(
        BIN=str(Path(sys.executable).parent),
        SIGHTLINE_PORT=str(port),
        SIGHTLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        SIGHTLINE_PROMPTS_ENABLED="false",
    )
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        script = subprocess.Popen(
            [str(REPO / "scripts" / "run.sh")],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
    try:
        playground_port = int(_wait_for_line(log, r"Listening on (\d+)", script).group(1))
        _wait_for_line(log, r"Sightline listening on", script)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        pong = httpx.get(f"http://127.0.0.1:{playground_port}/_debug/ping", timeout=5)
        assert pong.text == "pong"
        assert "Microsoft Teams enabled at POST /api/messages, anonymous" in log.read_text()

        # The bot stops on its own (a crash, or its service manager stopping it): the script's
        # trap must take the Playground down too rather than leave it answering for nobody.
        [serve] = [pid for pid, argv in _children(script.pid) if argv.split()[-1:] == ["serve"]]
        os.kill(serve, signal.SIGTERM)
        script.wait(timeout=30)
        for _ in range(100):
            if not _group_alive(script.pid):
                break
            time.sleep(0.1)
        assert not _group_alive(script.pid), f"the Playground outlived the bot:\n{log.read_text()}"
    finally:
        if _group_alive(script.pid):
            os.killpg(script.pid, signal.SIGKILL)
