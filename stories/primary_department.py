"""Everyone has one primary department: the one their stories and answers count for.

The rule, for a member in several departments' channels (customer-facing ones included):

1. a CX lead's choice (`/cx member <person> department <name>`, or
   `sightline prompts member <user> --department <name>`) always wins;
2. otherwise the smallest department they belong to (the most specific team: someone in
   #support and #billing-ops counts for Billing Ops), ties going to the department created
   first;
3. someone who belongs to no department any more keeps the last one they had.

It is recomputed for a department's members whenever its roster is read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlmodel import Session, col, select

from stories import audit
from stories.clock import Clock
from stories.errors import InvalidFieldError, NotFoundError
from stories.models import Department, DepartmentMember, Member, PrimaryDepartment


def primary_department_of(*, session: Session, member: Member) -> int | None:
    """The department the rule gives ``member`` (None: they belong to none)."""
    chosen = session.exec(
        select(PrimaryDepartment.department_id).where(PrimaryDepartment.member_id == member.id)
    ).first()
    if chosen is not None:
        return chosen
    mine = _belongs_to(session, [member.id or 0]).get(member.id or 0, set())
    if not mine:
        return member.department_id
    sizes = _sizes(session, mine)
    return min(mine, key=lambda department_id: (sizes[department_id], department_id))


def apply_primary_departments(*, session: Session, member_ids: Iterable[int]) -> int:
    """Give each member the department the rule says; returns how many changed. Commits."""
    changed = 0
    for member_id in set(member_ids):
        member = session.get(Member, member_id)
        if member is None:
            continue
        wanted = primary_department_of(session=session, member=member)
        if wanted != member.department_id:
            member.department_id = wanted
            session.add(member)
            changed += 1
    session.commit()
    return changed


def set_primary_department(
    *,
    session: Session,
    clock: Clock,
    member: Member,
    department: Department | None,
    actor_member_id: int | None = None,
) -> int | None:
    """A lead's choice of ``member``'s primary department; None goes back to the rule.

    Returns:
        The member's primary department now.

    Raises:
        InvalidFieldError: the department belongs to another workspace.
    """
    if department is not None and department.workspace_id != member.workspace_id:
        raise InvalidFieldError(field="department", reason="is not in this person's workspace")
    row = session.exec(
        select(PrimaryDepartment).where(PrimaryDepartment.member_id == member.id)
    ).first()
    if department is None:
        if row is not None:
            session.delete(row)
    else:
        row = row or PrimaryDepartment(
            member_id=member.id or 0, department_id=department.id or 0, updated_at=clock.now()
        )
        row.department_id, row.updated_at = department.id or 0, clock.now()
        session.add(row)
    session.flush()
    audit.record(
        session=session,
        clock=clock,
        workspace_id=member.workspace_id,
        actor_member_id=actor_member_id,
        action="member.primary_department",
        subject_type="member",
        subject_id=member.id,
        detail={"department": department.name if department else None},
    )
    apply_primary_departments(session=session, member_ids=[member.id or 0])
    return member.department_id


def find_member(*, session: Session, workspace_id: int, person: str) -> Member:
    """A member by platform user id, or by display name when exactly one has it.

    Raises:
        NotFoundError: nobody (or more than one person) goes by ``person``.
    """
    exact = session.exec(
        select(Member).where(Member.workspace_id == workspace_id, Member.platform_user_id == person)
    ).first()
    if exact is not None:
        return exact
    named = [
        member
        for member in session.exec(select(Member).where(Member.workspace_id == workspace_id))
        if member.display_name and member.display_name.casefold() == person.casefold()
    ]
    if len(named) != 1:
        raise NotFoundError(kind="person", key=person)
    return named[0]


def _belongs_to(session: Session, member_ids: list[int]) -> dict[int, set[int]]:
    """member -> the departments they belong to now (channel or inclusion, not excluded)."""
    rows = session.exec(
        select(DepartmentMember).where(col(DepartmentMember.member_id).in_(member_ids))
    )
    found: dict[int, set[int]] = {}
    for row in rows:
        if row.override == "include" or (row.in_channel and row.override != "exclude"):
            found.setdefault(row.member_id, set()).add(row.department_id)
    return found


def _sizes(session: Session, department_ids: set[int]) -> Counter[int]:
    sizes: Counter[int] = Counter()
    rows = session.exec(
        select(DepartmentMember).where(col(DepartmentMember.department_id).in_(department_ids))
    )
    for row in rows:
        if row.override == "include" or (row.in_channel and row.override != "exclude"):
            sizes[row.department_id] += 1
    return sizes
