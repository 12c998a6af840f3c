"""A real local HTTP server that answers like the Slack Web API, for tests.

Point any ``AsyncWebClient``/``WebClient`` at ``fake.url`` (``base_url``) and every call is
recorded with its method, query/form parameters, JSON body and token. Answers are plausible
payloads for the methods Sightline uses; any other method answers ``{"ok": true}``. Tests can
queue per-method responses or errors and make a method answer 429 with ``Retry-After``.

    async with FakeSlackAPI() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert slack.calls_to("chat.postMessage")[0].params["channel"] == "C1"
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Payload = dict[str, Any]
Responder = Callable[["SlackCall"], Payload]

TEAM_ID = "T0SIGHT01"
TEAM_NAME = "Sightline Test Co"
BOT_USER_ID = "U0BOT0001"
BOT_ID = "B0BOT0001"
APP_ID = "A0SIGHT01"


@dataclass(frozen=True)
class SlackCall:
    """One request that reached the fake API."""

    method: str
    params: dict[str, Any]  # query string, form fields and JSON body merged
    json: Payload | None
    token: str | None
    http_method: str
    at: float = field(default_factory=time.time)  # wall clock when it arrived

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass
class _RateLimit:
    remaining: int
    retry_after: int


@dataclass
class _Ceiling:
    """A token bucket: Slack's rate tiers, enforced the way Slack does (429 + Retry-After)."""

    per_second: float
    tokens: float = 1.0
    stamp: float = field(default_factory=time.monotonic)
    rejected: int = 0

    def take(self) -> bool:
        # Up to one second's worth may come in a burst, as Slack tolerates.
        now = time.monotonic()
        capacity = max(1.0, self.per_second)
        self.tokens = min(capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        self.rejected += 1
        return False


@dataclass
class FakeSlackAPI:
    """The fake server; use as an async context manager or call start()/stop()."""

    host: str = "127.0.0.1"
    team_id: str = TEAM_ID
    team_name: str = TEAM_NAME
    bot_user_id: str = BOT_USER_ID
    users: dict[str, Payload] = field(default_factory=dict)  # user id -> users.info "user"
    channels: dict[str, Payload] = field(default_factory=dict)  # id -> conversations.info
    messages: dict[tuple[str, str], Payload] = field(default_factory=dict)  # (channel, ts)
    members: dict[str, list[str]] = field(default_factory=dict)  # channel -> member ids
    valid_tokens: set[str] | None = None  # None: any token is accepted
    # Seconds since the epoch for message ts; None: a fixed 1790000000, and history's
    # ``oldest`` is then not applied (the ts carry no time).
    clock: Callable[[], float] | None = None
    calls: list[SlackCall] = field(default_factory=list)
    _queued: dict[str, deque[Payload | Responder]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    _fixed: dict[str, Payload | Responder] = field(default_factory=dict)
    _rate_limits: dict[str, _RateLimit] = field(default_factory=dict)
    _server_errors: dict[str, deque[tuple[int, bool]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    ceilings: dict[str, _Ceiling] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _port: int = 0
    _changed: asyncio.Condition | None = None
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_acks: list[Payload] = field(default_factory=list)  # what Socket Mode clients sent
    # files_upload_v2: file id -> filename, title, content (bytes), channel, initial_comment
    files: dict[str, Payload] = field(default_factory=dict)
    # Calls refused as Slack refuses them (invalid_blocks): what a person would never see.
    rejected: list[SlackCall] = field(default_factory=list)

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> FakeSlackAPI:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/response/{key}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        assert server.sockets
        self._port = server.sockets[0].getsockname()[1]
        self._changed = asyncio.Condition()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlackAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The base URL to give a Slack client (ends with ``/api/``)."""
        return f"http://{self.host}:{self._port}/api/"

    def response_url(self, key: str = "r1") -> str:
        """A ``response_url`` to put in payloads; posts to it are recorded as ``response_url``."""
        return f"http://{self.host}:{self._port}/response/{key}"

    def responses(self) -> list[Payload]:
        """JSON bodies posted to response URLs (slash command and action replies)."""
        return [call.json or {} for call in self.calls_to("response_url")]

    async def socket_send(self, envelope: Payload, *, timeout: float = 5.0) -> Payload:  # noqa: ASYNC109
        """Push a Socket Mode envelope to the connected app; return its acknowledgement."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.sockets:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("no Socket Mode client connected")
            await asyncio.sleep(0.02)
        await self.sockets[-1].send_json(envelope)
        assert self._changed is not None
        wanted = envelope["envelope_id"]

        def acked() -> Payload | None:
            return next((a for a in self.socket_acks if a.get("envelope_id") == wanted), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: acked() is not None), timeout)
        found = acked()
        assert found is not None
        return found

    # ---- configuration -------------------------------------------------------------------

    def respond(self, method: str, payload: Payload | Responder, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with this payload (or responder)."""
        for _ in range(times):
            self._queued[method].append(payload)

    def always(self, method: str, payload: Payload | Responder) -> None:
        """Answer every call of ``method`` with this payload (or responder)."""
        self._fixed[method] = payload

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls with ``{"ok": false, "error": error}``."""
        self.respond(method, {"ok": False, "error": error}, times=times)

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls with HTTP 429 and ``Retry-After``."""
        self._rate_limits[method] = _RateLimit(times, retry_after)

    def server_error(
        self, method: str, status: int = 503, *, times: int = 1, landed: bool = False
    ) -> None:
        """Answer the next ``times`` calls with HTTP ``status``; ``landed``: Slack carried
        the call out first (a post that went out though its answer was an error)."""
        for _ in range(times):
            self._server_errors[method].append((status, landed))

    def enforce_rate(self, method: str, per_second: float) -> None:
        """Answer calls beyond ``per_second`` with 429 and Retry-After: 1, as Slack does."""
        self.ceilings[method] = _Ceiling(per_second)

    def delay(self, method: str, seconds: float) -> None:
        """Make ``method`` slow, to check that nothing waits on it before acknowledging."""
        self._delays[method] = seconds

    def add_user(
        self, user_id: str, *, name: str = "", is_admin: bool = False, email: str = ""
    ) -> None:
        name = name or user_id.lower()
        profile = {"display_name": name, "real_name": name.title()}
        if email:  # only with the users:read.email scope, as in Slack
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name.title(),
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": False,
            "profile": profile,
        }

    def add_channel(self, channel_id: str, *, name: str = "", private: bool = False) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name or channel_id.lower(),
            "is_channel": not private,
            "is_group": private,
            "is_im": channel_id.startswith("D"),
            "is_private": private,
            "is_member": True,
        }

    def add_message(self, channel: str, ts: str, *, user: str, text: str) -> None:
        self.messages[(channel, ts)] = {"type": "message", "user": user, "text": text, "ts": ts}

    # ---- inspection ----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SlackCall]:
        """Wait until ``method`` was called ``count`` times (work after an ack is async)."""
        assert self._changed is not None, "start() the fake first"

        def enough() -> bool:
            return len(self.calls_to(method)) >= count

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(enough), timeout)
            except TimeoutError:
                seen = sorted({call.method for call in self.calls})
                raise AssertionError(
                    f"{method} called {len(self.calls_to(method))} times, wanted {count}; "
                    f"calls seen: {seen}"
                ) from None
        return self.calls_to(method)

    # ---- the server ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        body: Payload | None = None
        if request.content_type == "application/json":
            raw = await request.text()
            body = json.loads(raw) if raw else {}
            params.update(body or {})
        elif request.can_read_body:
            params.update(await request.post())
        token = _bearer(request) or params.get("token")
        call = SlackCall(method, params, body, token, request.method)
        await self._record(call)

        if (limit := self._rate_limits.get(method)) and limit.remaining > 0:
            limit.remaining -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(limit.retry_after)},
            )
        if (ceiling := self.ceilings.get(method)) and not ceiling.take():
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        if delay := self._delays.get(method):
            await asyncio.sleep(delay)
        if self._server_errors[method]:
            status, landed = self._server_errors[method].popleft()
            if landed:
                self._default(call)
            return web.json_response({"ok": False, "error": "fatal_error"}, status=status)
        if method not in ("oauth.v2.access", "oauth.access") and not self._token_ok(token):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if problems := _block_problems(params):
            # What Slack answers a message or view whose blocks it refuses (the user sees an
            # empty or stale Home tab, or no message at all).
            self.rejected.append(call)
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": problems})
        if self._queued[method]:
            answer = self._queued[method].popleft()
        elif method in self._fixed:
            answer = self._fixed[method]
        else:
            answer = self._default
        payload = answer(call) if callable(answer) else answer
        return web.json_response(payload)

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        raw = await request.text()
        body = json.loads(raw) if raw else {}
        params = {"key": request.match_info["key"], **body}
        await self._record(SlackCall("response_url", params, body, None, request.method))
        if _block_problems(params):
            self.rejected.append(self.calls[-1])
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        """Step 2 of files_upload_v2: the bytes go to the URL step 1 handed out."""
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.Response(status=404, text="unknown upload")
        content = await request.read()
        self.files[file_id]["content"] = content
        await self._record(SlackCall("upload", {"file_id": file_id}, None, None, request.method))
        return web.Response(text=f"OK - {len(content)}")

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}}
        )
        async for message in socket:
            if message.type.name == "TEXT":
                self.socket_acks.append(json.loads(message.data))
                assert self._changed is not None
                async with self._changed:
                    self._changed.notify_all()
        self.sockets.remove(socket)
        return socket

    async def _record(self, call: SlackCall) -> None:
        self.calls.append(call)
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    def _history_page(self, p: Payload) -> Payload:
        """conversations.history as Slack pages it: newest first, ``oldest`` and ``limit``
        respected, the rest behind ``next_cursor``."""
        channel = p.get("channel", "")
        oldest = float(p.get("oldest") or 0) if self.clock is not None else 0.0
        newest_first = sorted(
            (m for (c, ts), m in self.messages.items() if c == channel and float(ts) > oldest),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        start, limit = int(p.get("cursor") or 0), int(p.get("limit") or 100)
        page = newest_first[start : start + limit]
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _token_ok(self, token: str | None) -> bool:
        return self.valid_tokens is None or token in self.valid_tokens

    def _next_ts(self) -> str:
        base = int(self.clock()) if self.clock is not None else 1790000000
        return f"{base}.{next(self._ts):06d}"

    def _default(self, call: SlackCall) -> Payload:
        p = call.params
        match call.method:
            case "auth.test":
                return {
                    "ok": True,
                    "url": "https://sightline-test.slack.com/",
                    "team": self.team_name,
                    "user": "sightline",
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                }
            case "chat.postMessage":
                ts = self._next_ts()
                channel = p.get("channel", "")
                message = {"type": "message", "user": self.bot_user_id, "ts": ts}
                message.update(
                    {k: p[k] for k in ("text", "blocks", "thread_ts", "metadata") if k in p}
                )
                self.messages[(channel, ts)] = message
                return {"ok": True, "channel": channel, "ts": ts, "message": message}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": self._next_ts()}
            case "chat.update":
                stored = self.messages.get((p.get("channel", ""), p.get("ts", "")))
                if stored is not None:  # the channel now shows the new text and blocks
                    stored.pop("blocks", None)
                    stored.update({k: p[k] for k in ("text", "blocks") if k in p})
                return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts"), "text": ""}
            case "chat.delete":
                self.messages.pop((p.get("channel", ""), p.get("ts", "")), None)
                return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}
            case "chat.getPermalink":
                channel, ts = p.get("channel", ""), str(p.get("message_ts", ""))
                link = f"https://sightline-test.slack.com/archives/{channel}/p{ts.replace('.', '')}"
                return {"ok": True, "channel": channel, "permalink": link}
            case "views.open" | "views.push" | "views.update" | "views.publish":
                view = p.get("view")
                view = json.loads(view) if isinstance(view, str) else (view or {})
                view_id = p.get("view_id") or f"V{next(self._ts):08d}"
                return {"ok": True, "view": {**view, "id": view_id, "team_id": self.team_id}}
            case "conversations.history" if "limit" in p:
                return self._history_page(p)
            case "conversations.history" | "conversations.replies":
                channel = p.get("channel", "")
                wanted = p.get("latest") or p.get("ts")
                found = [
                    m
                    for (c, ts), m in sorted(self.messages.items())
                    if c == channel and (wanted is None or ts == wanted)
                ]
                return {"ok": True, "messages": found, "has_more": False}
            case "conversations.info":
                channel = p.get("channel", "")
                info = self.channels.get(channel) or {
                    "id": channel,
                    "name": channel.lower(),
                    "is_channel": True,
                    "is_private": False,
                    "is_im": channel.startswith("D"),
                }
                return {"ok": True, "channel": info}
            case "conversations.open":
                return {"ok": True, "channel": {"id": "D" + str(p.get("users", "")).split(",")[0]}}
            case "conversations.members":
                return {
                    "ok": True,
                    "members": self.members.get(p.get("channel", ""), []),
                    "response_metadata": {"next_cursor": ""},
                }
            case "users.info":
                user = p.get("user", "")
                if user not in self.users:
                    self.add_user(user)
                return {"ok": True, "user": self.users[user]}
            case "usergroups.users.list":
                return {"ok": True, "users": []}
            case "files.delete":
                self.files.pop(str(p.get("file", "")), None)
                return {"ok": True}
            case "files.getUploadURLExternal":
                file_id = f"F{next(self._ts):08d}"
                self.files[file_id] = {
                    "filename": p.get("filename"),
                    "length": int(p.get("length", 0)),
                    "content": None,
                }
                url = f"http://{self.host}:{self._port}/upload/{file_id}"
                return {"ok": True, "upload_url": url, "file_id": file_id}
            case "files.completeUploadExternal":
                listed = p.get("files")
                listed = json.loads(listed) if isinstance(listed, str) else (listed or [])
                done = []
                for item in listed:
                    stored = self.files.get(item["id"])
                    if stored is None or stored["content"] is None:
                        return {"ok": False, "error": "file_not_found"}
                    stored.update(
                        title=item.get("title"),
                        channel=p.get("channel_id"),
                        thread_ts=p.get("thread_ts"),
                        initial_comment=p.get("initial_comment"),
                    )
                    done.append({"id": item["id"], "title": item.get("title")})
                return {"ok": True, "files": done}
            case "reactions.add" | "reactions.remove":
                return {"ok": True}
            case "apps.connections.open":
                return {"ok": True, "url": f"ws://{self.host}:{self._port}/socket"}
            case "oauth.v2.access":
                return {
                    "ok": True,
                    "app_id": APP_ID,
                    "authed_user": {"id": "U0INSTALL1"},
                    "scope": "commands,chat:write",
                    "token_type": "bot",
                    "access_token": f"xoxb-{self.team_id}-installed",
                    "bot_user_id": self.bot_user_id,
                    "team": {"id": self.team_id, "name": self.team_name},
                    "enterprise": None,
                    "is_enterprise_install": False,
                }
            case _:
                return {"ok": True}


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or None if header.startswith("Bearer ") else None


def _block_problems(params: dict[str, Any]) -> list[str]:
    """Slack's own rule this fake enforces: block ids are unique within a message or view."""
    blocks: Any = params.get("blocks")
    view = params.get("view")
    if view is not None:
        view = json.loads(view) if isinstance(view, str) else view
        blocks = view.get("blocks") if isinstance(view, dict) else None
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except json.JSONDecodeError:
            return ["blocks are not JSON"]
    if not isinstance(blocks, list):
        return []
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    return [f"duplicate block_id: {i}" for i in repeated]
