"""Sign-in without passwords: a one-time link for a CX lead starts a 12-hour session.

A link's token is signed (itsdangerous, HMAC-SHA256) and names a database row; the row makes
it single-use on every replica (an ``UPDATE … WHERE used_at IS NULL`` claims it) and expires
it ten minutes after it was made, by the injected clock. The session cookie is a random
token whose SHA-256 digest is the session's row, so a stolen database cannot be replayed as a
cookie and signing out ends the session everywhere.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from stories.clock import Clock
from stories.errors import SightlineError
from stories.models import DashboardLink, DashboardSession, Member, Workspace
from stories.workspaces import ensure_member

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
SALT = "sightline-dashboard-link-v1"  # keeps these signatures apart from other uses of a key
SIGNIN_PATH = "/dashboard/signin/"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class LinkSigner:
    """Signs and reads sign-in tokens (``<payload>.<signature>``, URL-safe)."""

    def __init__(self, key: bytes) -> None:
        self._tokens = URLSafeSerializer(
            key, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )

    def sign(self, link_id: int, nonce: str) -> str:
        return str(self._tokens.dumps({"l": link_id, "n": nonce}))

    def read(self, token: str) -> tuple[int, str] | None:
        """The link id and nonce of a genuine token; None for anything else."""
        try:
            body = self._tokens.loads(token)
            return int(body["l"]), str(body["n"])
        except BadData:
            return None
        except (ValueError, TypeError, KeyError):
            return None


@dataclass(frozen=True)
class DashboardLinks:
    """What issuing a link needs: the signer and this installation's public address."""

    signer: LinkSigner
    base_url: str

    def url(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}{SIGNIN_PATH}{token}"


def issue_link(
    *, session: Session, clock: Clock, links: DashboardLinks, workspace_id: int, member_id: int
) -> str:
    """Make a one-time sign-in link for a lead the caller has already checked.

    Returns:
        The full URL, valid once for :data:`LINK_LIFETIME`.
    """
    nonce = secrets.token_urlsafe(24)
    now = clock.now()
    _forget_old(session, now)
    row = DashboardLink(
        workspace_id=workspace_id,
        member_id=member_id,
        nonce_digest=digest(nonce),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    return links.url(links.signer.sign(row.id, nonce))


def _forget_old(session: Session, now: datetime) -> None:
    """Links and sessions a day past their end are kept no longer (each new link tidies up)."""
    cutoff = now - timedelta(days=1)
    session.execute(delete(DashboardLink).where(col(DashboardLink.expires_at) < cutoff))
    session.execute(delete(DashboardSession).where(col(DashboardSession.expires_at) < cutoff))


class Refusal(StrEnum):
    """Why a link or a session gives no access (each has its own page)."""

    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class SignedIn:
    """A lead's session: who, which workspace, and its tokens."""

    workspace_id: int
    workspace_name: str
    member_id: int
    member_name: str
    csrf_token: str
    expires_at: datetime
    token: str = ""  # the cookie's value: only known right after signing in


def redeem(*, session: Session, clock: Clock, signer: LinkSigner, token: str) -> SignedIn | Refusal:
    """Use a sign-in link once and start a session, or say why not."""
    read = signer.read(token)
    if read is None:
        return Refusal.INVALID
    link_id, nonce = read
    link = session.get(DashboardLink, link_id)
    if link is None or not secrets.compare_digest(link.nonce_digest, digest(nonce)):
        return Refusal.INVALID
    now = clock.now()
    if link.used_at is not None:
        return Refusal.USED
    if link.expires_at <= now:
        return Refusal.EXPIRED
    claimed = session.execute(
        update(DashboardLink)
        .where(col(DashboardLink.id) == link_id, col(DashboardLink.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # used first elsewhere
        session.rollback()
        return Refusal.USED
    cookie = secrets.token_urlsafe(32)
    row = DashboardSession(
        token_digest=digest(cookie),
        workspace_id=link.workspace_id,
        member_id=link.member_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    session.commit()
    signed = _signed_in(session, row)
    assert signed is not None
    return SignedIn(**{**signed.__dict__, "token": cookie})


def current(*, session: Session, clock: Clock, token: str | None) -> SignedIn | None:
    """The live session a cookie names, or None (absent, unknown, ended or expired)."""
    if not token:
        return None
    row = session.exec(
        select(DashboardSession).where(DashboardSession.token_digest == digest(token))
    ).first()
    if row is None or row.ended_at is not None or row.expires_at <= clock.now():
        return None
    return _signed_in(session, row)


def sign_out(*, session: Session, clock: Clock, token: str | None) -> None:
    """End the session a cookie names, everywhere (nothing happens for an unknown one)."""
    if not token:
        return
    session.execute(
        update(DashboardSession)
        .where(
            col(DashboardSession.token_digest) == digest(token),
            col(DashboardSession.ended_at).is_(None),
        )
        .values(ended_at=clock.now())
    )
    session.commit()


def _signed_in(session: Session, row: DashboardSession) -> SignedIn | None:
    workspace = session.get(Workspace, row.workspace_id)
    member = session.get(Member, row.member_id)
    if workspace is None or member is None or member.workspace_id != workspace.id:
        return None
    return SignedIn(
        workspace_id=row.workspace_id,
        workspace_name=workspace.name,
        member_id=row.member_id,
        member_name=member.display_name or member.platform_user_id,
        csrf_token=row.csrf_token,
        expires_at=row.expires_at,
    )


class NotALeadError(SightlineError):
    def __init__(self, user: str) -> None:
        super().__init__(
            f"{user} is not a CX lead of this workspace: mark them as one "
            "(SIGHTLINE_CX_LEADS or SIGHTLINE_TEAMS_CX_LEADS) first."
        )


def link_for_admin(
    *,
    session: Session,
    clock: Clock,
    links: DashboardLinks,
    workspace_id: int,
    user: str,
    listed_leads: frozenset[str],
) -> str:
    """A link for a lead named by an admin (``sightline dashboard link``).

    Args:
        user: the lead's chat user id (Slack user id, Teams AAD object id), as stored.
        listed_leads: the configured leads, casefolded.

    Raises:
        NotALeadError: the person is not a lead by the database or the configured list.
    """
    member = session.exec(
        select(Member).where(Member.workspace_id == workspace_id, Member.platform_user_id == user)
    ).first()
    listed = user.casefold() in listed_leads
    if not listed and (member is None or not member.is_cx_lead):
        raise NotALeadError(user)
    if member is None:
        member = ensure_member(
            session=session, clock=clock, workspace_id=workspace_id, platform_user_id=user
        )
    assert member.id is not None
    return issue_link(
        session=session, clock=clock, links=links, workspace_id=workspace_id, member_id=member.id
    )
