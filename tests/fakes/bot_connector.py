"""A real local HTTP server that answers like the Bot Framework Connector, for tests.

Set an activity's ``serviceUrl`` to ``fake.url``: replies (POST .../activities[/id]) and
updates (PUT .../activities/id) are recorded; the token endpoint issues a fake token.
``members`` answers member look-ups (GET .../members/{id}, what TeamsInfo.get_member asks);
an unknown member gets 404, as from Teams.

    async with FakeBotConnector() as connector:
        ...
        assert connector.replies[0].body["attachments"][0]["contentType"] == ...
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class ConnectorCall:
    """One request that reached the fake connector."""

    method: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None
    response_id: str | None = None  # the activity id the connector answered with


class FakeBotConnector:
    def __init__(self) -> None:
        self.calls: list[ConnectorCall] = []
        self._failures: list[tuple[int, int | None, str | None]] = []
        self.refused = 0
        self.members: dict[str, dict[str, Any]] = {}  # user id -> TeamsChannelAccount JSON
        self.member_lookups: list[str] = []
        # conversation id -> its members (TeamsChannelAccount JSON), for .../pagedmembers
        self.rosters: dict[str, list[dict[str, Any]]] = {}
        self.page_limit = 500  # Teams' own cap on pageSize; lower it to test paging
        self.page_requests = 0
        self.uploads: dict[str, bytes] = {}  # file consent: what the bot put at an upload URL
        # Microsoft Entra ID's token endpoint: app id -> (tenant, secret). Empty: any app.
        self.apps: dict[str, tuple[str, str]] = {}
        self.expired_secrets: set[str] = set()
        self.token_requests: list[dict[str, str]] = []
        self.identities: set[str] = set()  # managed identities' client ids (the IMDS route)
        # Microsoft Graph: a channel's root posts are what the bot posted there, from this app.
        self.bot_app_id = "fake-bot-app"
        self.team_groups: dict[str, str] = {}  # Teams team id -> its Microsoft 365 group id
        self.graph_lost: set[str] = set()  # posts Graph never shows (they did not arrive)
        self.graph_status = 200  # e.g. 403: the team never consented to the RSC permission
        self.graph_requests: list[str] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def replies(self) -> list[ConnectorCall]:
        return [c for c in self.calls if c.method == "POST"]

    @property
    def updates(self) -> list[ConnectorCall]:
        return [c for c in self.calls if c.method == "PUT"]

    @property
    def deletions(self) -> list[ConnectorCall]:
        return [c for c in self.calls if c.method == "DELETE"]

    def upload_url(self, name: str) -> str:
        """Where Teams would let the bot put an accepted file (the user's OneDrive)."""
        return f"{self.url}/upload/{name}"

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["name"]] = await request.read()
        return web.json_response({"id": "file-1"}, status=201)

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        conversation: str | None = None,
    ) -> None:
        """Answer the next ``times`` sends (to ``conversation``, or any) with ``status``
        (429, 412, 502, 403, …), as Teams may."""
        self._failures += [(status, retry_after, conversation)] * times

    async def _record(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body and request.method != "DELETE" else {}
        target = request.match_info["conversation"]
        failure = next((f for f in self._failures if f[2] is None or target.startswith(f[2])), None)
        if failure is not None:
            self._failures.remove(failure)
            status, retry_after, _ = failure
            self.refused += 1
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return web.json_response(
                {"error": {"code": "Throttled", "message": "slow down"}},
                status=status,
                headers=headers,
            )
        new_id = f"reply-{next(self._ids)}"
        self.calls.append(
            ConnectorCall(
                method=request.method,
                conversation_id=request.match_info["conversation"],
                activity_id=request.match_info.get("activity"),
                body=body,
                authorization=request.headers.get("Authorization"),
                response_id=new_id,
            )
        )
        return web.json_response({"id": new_id})

    async def _member(self, request: web.Request) -> web.Response:
        member_id = request.match_info["member"]
        self.member_lookups.append(member_id)
        member = self.members.get(member_id)
        if member is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation", "message": "no such member"}},
                status=404,
            )
        return web.json_response(member)

    async def _paged_members(self, request: web.Request) -> web.Response:
        """GET .../pagedmembers: pages of ``pageSize`` with a continuation token, as Teams."""
        conversation = request.match_info["conversation"]
        roster = self.rosters.get(conversation)
        if roster is None:
            return web.json_response(
                {"error": {"code": "ConversationNotFound", "message": "Conversation not found."}},
                status=404,
            )
        self.page_requests += 1
        size = min(int(request.query.get("pageSize") or 50), self.page_limit)
        start = int(request.query.get("continuationToken") or 0)
        page = roster[start : start + size]
        token = str(start + size) if start + size < len(roster) else None
        return web.json_response({"members": page, "continuationToken": token})

    async def _token(self, request: web.Request) -> web.Response:
        """The client credentials grant, refused with Entra's own error codes."""
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append({**form, "tenant": request.match_info["tenant"]})
        refusal = self._refusal(request.match_info["tenant"], form)
        if refusal is not None:
            error, code, status = refusal
            description = f"AADSTS{code}: {error} (fake Entra ID)\r\nTrace ID: 0"
            body = {"error": error, "error_codes": [code], "error_description": description}
            return web.json_response(body, status=status)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": "fake-token"}
        )

    def _refusal(self, tenant: str, form: dict[str, str]) -> tuple[str, int, int] | None:
        if not self.apps:
            return None
        known_tenants = {t for t, _ in self.apps.values()} | {"botframework.com"}
        if tenant not in known_tenants:
            return "invalid_request", 90002, 400
        app = self.apps.get(form.get("client_id", ""))
        if app is None or app[0] != tenant:
            return "unauthorized_client", 700016, 400
        if form.get("client_secret") in self.expired_secrets:
            return "invalid_client", 7000222, 401
        if form.get("client_secret") != app[1]:
            return "invalid_client", 7000215, 401
        return None

    async def _identity(self, request: web.Request) -> web.Response:
        """The Azure instance metadata service's token route, for managed identities."""
        if request.headers.get("Metadata") != "true":
            return web.json_response({"error": "invalid_request"}, status=400)
        if request.query.get("client_id") not in self.identities:
            return web.json_response({"error": "invalid_request"}, status=400)
        return web.json_response({"token_type": "Bearer", "access_token": "fake-msi-token"})

    async def _team(self, request: web.Request) -> web.Response:
        """GET /v3/teams/{id}: the team's details, with the group id Graph names it by."""
        team = request.match_info["team"]
        group = self.team_groups.get(team)
        if group is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response({"id": team, "name": "Team", "aadGroupId": group})

    async def _graph_messages(self, request: web.Request) -> web.Response:
        """Graph's "list channel messages": the newest root posts, as chatMessage objects."""
        self.graph_requests.append(request.path)
        if request.headers.get("Authorization") != "Bearer fake-token":
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        if self.graph_status != 200:
            return web.json_response({"error": {"code": "Forbidden"}}, status=self.graph_status)
        channel = request.match_info["channel"]
        posts = [
            {
                "id": call.response_id,
                "from": {"application": {"id": self.bot_app_id}, "user": None},
                "attachments": [
                    {"contentType": a.get("contentType"), "content": json.dumps(a.get("content"))}
                    for a in call.body.get("attachments") or []
                ],
            }
            for call in self.replies
            if call.conversation_id == channel and call.response_id not in self.graph_lost
        ]
        top = int(request.query.get("$top") or 20)
        return web.json_response({"value": posts[::-1][:top]})

    async def __aenter__(self) -> FakeBotConnector:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._record)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._record)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._record)
        app.router.add_delete(
            "/v3/conversations/{conversation}/activities/{activity}", self._record
        )
        app.router.add_put("/upload/{name}", self._upload)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/metadata/identity/oauth2/token", self._identity)
        app.router.add_get("/v3/teams/{team}", self._team)
        app.router.add_get("/v1.0/teams/{group}/channels/{channel}/messages", self._graph_messages)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
