"""Who belongs to a department: its linked channel's members, plus manual overrides.

Platform adapters read the channel (Slack `conversations.members`, the Teams roster) daily
and on demand and hand the user ids to `refresh_roster`; a channel that cannot be read is
flagged on the department's roster, never guessed at. Overrides from leads win over the
channel: "include" adds someone who is not in it, "exclude" drops someone who is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories import audit
from stories.clock import Clock
from stories.models import Department, DepartmentMember, DepartmentRoster, Member
from stories.primary_department import apply_primary_departments
from stories.workspaces import ensure_member

Override = Literal["include", "exclude"]


@dataclass(frozen=True)
class RosterRefresh:
    readable: bool
    added: int
    removed: int
    members: int


def refresh_roster(
    *,
    session: Session,
    clock: Clock,
    department: Department,
    platform_user_ids: Sequence[str] | None,
    error: str | None = None,
) -> RosterRefresh:
    """Record the channel's current members; ``None`` means the channel could not be read.

    An unreadable channel keeps the last known members and flags the roster with ``error``.
    Its members' primary departments follow the rule in `stories.primary_department`.
    """
    now = clock.now()
    roster = _roster_row(session, department, now)
    roster.refreshed_at = now
    rows = {
        row.member_id: row
        for row in session.exec(
            select(DepartmentMember).where(DepartmentMember.department_id == department.id)
        )
    }
    if platform_user_ids is None:
        roster.readable = False
        roster.error = (error or "the channel's members could not be read")[:300]
        session.add(roster)
        session.commit()
        return RosterRefresh(readable=False, added=0, removed=0, members=roster.member_count)
    added, removed = _mark_in_channel(session, clock, department, rows, platform_user_ids)
    roster.readable, roster.error = True, None
    session.add(roster)
    session.commit()
    # Who joined or left may now count for another department (the documented rule).
    apply_primary_departments(session=session, member_ids=rows.keys())
    members = len(department_members(session=session, department=department))
    roster.member_count = members
    session.add(roster)
    session.commit()
    return RosterRefresh(readable=True, added=added, removed=removed, members=members)


def _roster_row(session: Session, department: Department, now: datetime) -> DepartmentRoster:
    """The department's roster row, created if new (two replicas reading the same channel
    at start may both try: the second uses the first one's row)."""
    query = select(DepartmentRoster).where(DepartmentRoster.department_id == department.id)
    found = session.exec(query).first()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            created = DepartmentRoster(department_id=department.id or 0, refreshed_at=now)
            session.add(created)
            session.flush()
            return created
    except IntegrityError:
        return session.exec(query).one()


def _mark_in_channel(
    session: Session,
    clock: Clock,
    department: Department,
    rows: dict[int, DepartmentMember],
    platform_user_ids: Sequence[str],
) -> tuple[int, int]:
    """Mark who is in the channel now and who left; (added, removed)."""
    now = clock.now()
    seen: set[int] = set()
    added = removed = 0
    for user_id in dict.fromkeys(platform_user_ids):  # unique, in the order given
        member = ensure_member(
            session=session,
            clock=clock,
            workspace_id=department.workspace_id,
            platform_user_id=user_id,
        )
        member_id = member.id or 0
        seen.add(member_id)
        row = rows.get(member_id)
        if row is None:
            row = DepartmentMember(
                workspace_id=department.workspace_id,
                department_id=department.id or 0,
                member_id=member_id,
                updated_at=now,
            )
            rows[member_id] = row
        if not row.in_channel:
            row.in_channel, row.updated_at = True, now
            session.add(row)
            added += 1
    for member_id, row in rows.items():
        if row.in_channel and member_id not in seen:
            row.in_channel, row.updated_at = False, now
            session.add(row)
            removed += 1
    return added, removed


def set_override(
    *,
    session: Session,
    clock: Clock,
    department: Department,
    member: Member,
    override: Override | None,
    actor_member_id: int | None = None,
) -> DepartmentMember:
    """Include or exclude a member by hand (``None`` goes back to what the channel says)."""
    now = clock.now()
    row = session.exec(
        select(DepartmentMember).where(
            DepartmentMember.department_id == department.id,
            DepartmentMember.member_id == member.id,
        )
    ).first() or DepartmentMember(
        workspace_id=department.workspace_id,
        department_id=department.id or 0,
        member_id=member.id or 0,
        updated_at=now,
    )
    row.override, row.updated_at = override, now
    session.add(row)
    audit.record(
        session=session,
        clock=clock,
        workspace_id=department.workspace_id,
        actor_member_id=actor_member_id,
        action="department.member_override",
        subject_type="department",
        subject_id=department.id,
        detail={"member": member.platform_user_id, "override": override},
    )
    session.commit()
    session.refresh(row)
    return row


def department_members(*, session: Session, department: Department) -> list[Member]:
    """The department's members now: channel members and inclusions, minus exclusions."""
    query = (
        select(Member, DepartmentMember)
        .join(DepartmentMember, col(DepartmentMember.member_id) == col(Member.id))
        .where(DepartmentMember.department_id == department.id)
        .order_by(col(Member.display_name), col(Member.platform_user_id))
    )
    return [
        member
        for member, row in session.exec(query)
        if row.override == "include" or (row.in_channel and row.override != "exclude")
    ]


def roster_status(*, session: Session, department: Department) -> DepartmentRoster | None:
    """The last channel read for a department (None when it was never read)."""
    query = select(DepartmentRoster).where(DepartmentRoster.department_id == department.id)
    return session.exec(query).first()
