"""Departments: the organisational units that receive line-of-sight prompts."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories import audit
from stories.clock import Clock
from stories.errors import DuplicateError, InvalidFieldError, NotFoundError
from stories.models import Department

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, kw_only=True)
class DepartmentSpec:
    """Fields a person sets; None leaves a field as it is (on edit) or at its default."""

    name: str | None = None
    customer_facing: bool | None = None
    slack_channel_id: str | None = None
    teams_conversation_id: str | None = None
    timezone: str | None = None
    prompt_time: str | None = None
    prompt_days: str | None = None
    cadence_weeks: int | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None


def describe_schedule(department: Department) -> str:
    """When a department's prompts go, in words: "tue at 10:00 Europe/London, every week"."""
    weeks = department.cadence_weeks
    every = "every week" if weeks == 1 else f"every {weeks} weeks"
    return f"{department.prompt_days} at {department.prompt_time} {department.timezone}, {every}"


def parse_days(raw: str) -> str:
    """Accept "mon-fri", "mon,wed,fri", "weekdays", "daily"; return "mon,tue,…" in week order."""
    text = raw.strip().lower().replace(" ", "")
    aliases = {
        "weekdays": "mon-fri",
        "daily": "mon-sun",
        "everyday": "mon-sun",
        "weekends": "sat-sun",
    }
    text = aliases.get(text, text)
    chosen: set[str] = set()
    for part in filter(None, text.split(",")):
        if "-" in part:
            start, _, end = part.partition("-")
            if start[:3] not in WEEKDAYS or end[:3] not in WEEKDAYS:
                raise _bad_days(raw)
            i, j = WEEKDAYS.index(start[:3]), WEEKDAYS.index(end[:3])
            span = WEEKDAYS[i : j + 1] if i <= j else WEEKDAYS[i:] + WEEKDAYS[: j + 1]
            chosen.update(span)
        elif part[:3] in WEEKDAYS:
            chosen.add(part[:3])
        else:
            raise _bad_days(raw)
    if not chosen:
        raise _bad_days(raw)
    return ",".join(day for day in WEEKDAYS if day in chosen)


def _bad_days(raw: str) -> InvalidFieldError:
    return InvalidFieldError(
        field="days", reason=f"{raw!r} is not a set of weekdays; try `mon-fri` or `tue,thu`"
    )


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidFieldError(
            field="timezone", reason=f"{name!r} is not an IANA timezone such as `Europe/London`"
        ) from None
    if name not in available_timezones() and name != "UTC":
        raise InvalidFieldError(field="timezone", reason=f"{name!r} is not an IANA timezone")
    return name


def check_time(value: str) -> str:
    value = value.strip()
    if len(value) == 4 and value[1] == ":":
        value = "0" + value
    if not _TIME.match(value):
        raise InvalidFieldError(
            field="time", reason=f"{value!r} is not a 24-hour time like `09:30`"
        )
    return value


def _check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 80:
        raise InvalidFieldError(field="name", reason="give a department name of 1 to 80 characters")
    return cleaned


def _checked(spec: DepartmentSpec) -> dict[str, object]:
    values = {
        f.name: getattr(spec, f.name) for f in fields(spec) if getattr(spec, f.name) is not None
    }
    if "name" in values:
        values["name"] = _check_name(str(values["name"]))
        values["name_key"] = str(values["name"]).casefold()
    if "timezone" in values:
        values["timezone"] = check_timezone(str(values["timezone"]))
    if "prompt_time" in values:
        values["prompt_time"] = check_time(str(values["prompt_time"]))
    if "prompt_days" in values:
        values["prompt_days"] = parse_days(str(values["prompt_days"]))
    if "cadence_weeks" in values and not 1 <= int(str(values["cadence_weeks"])) <= 12:
        raise InvalidFieldError(field="every", reason="choose a cadence of 1 to 12 weeks")
    if "holiday_country" in values:
        values["holiday_country"] = _check_country(str(values["holiday_country"]))
    return values


def _check_country(code: str) -> str:
    import holidays

    code = code.strip().upper()
    if code not in holidays.list_supported_countries():
        raise InvalidFieldError(
            field="holidays", reason=f"{code!r} is not a supported country code"
        )
    return code


def add_department(
    *, session: Session, clock: Clock, workspace_id: int, spec: DepartmentSpec
) -> Department:
    """Create a department.

    Raises:
        DuplicateError: the workspace already has a department of that name (any case).
        InvalidFieldError: a field is malformed (timezone, time, days, cadence).
    """
    if spec.name is None:
        raise InvalidFieldError(field="name", reason="a department needs a name")
    values = _checked(spec)
    department = Department(workspace_id=workspace_id, created_at=clock.now(), **values)  # type: ignore[arg-type]
    try:
        with session.begin_nested():
            session.add(department)
            session.flush()
    except IntegrityError:
        raise DuplicateError(kind="department", key=values["name"]) from None
    audit.record(
        session=session,
        clock=clock,
        workspace_id=workspace_id,
        action="department.added",
        subject_type="department",
        subject_id=department.id,
        detail={"name": department.name},
    )
    session.commit()
    session.refresh(department)
    return department


def get_department(*, session: Session, workspace_id: int, name: str) -> Department:
    """Find a department by name (any case) or id."""
    key = " ".join(name.split()).casefold()
    query = select(Department).where(Department.workspace_id == workspace_id)
    for department in session.exec(query):
        if department.name_key == key or str(department.id) == key:
            return department
    raise NotFoundError(kind="department", key=name)


def list_departments(*, session: Session, workspace_id: int) -> list[Department]:
    query = select(Department).where(Department.workspace_id == workspace_id)
    return list(session.exec(query.order_by(col(Department.name_key))))


def edit_department(
    *, session: Session, clock: Clock, workspace_id: int, name: str, spec: DepartmentSpec
) -> Department:
    """Change the fields ``spec`` sets; others stay as they are."""
    department = get_department(session=session, workspace_id=workspace_id, name=name)
    values = _checked(spec)
    for key, value in values.items():
        setattr(department, key, value)
    try:
        with session.begin_nested():
            session.add(department)
            session.flush()
    except IntegrityError:
        session.rollback()  # forget the renamed, still-dirty object: nothing was changed
        raise DuplicateError(kind="department", key=values.get("name")) from None
    audit.record(
        session=session,
        clock=clock,
        workspace_id=workspace_id,
        action="department.edited",
        subject_type="department",
        subject_id=department.id,
        detail={"fields": sorted(values)},
    )
    session.commit()
    session.refresh(department)
    return department


def set_paused(
    *,
    session: Session,
    clock: Clock,
    workspace_id: int,
    name: str,
    paused: bool,
    until: datetime | None = None,
) -> Department:
    """Pause (optionally until a date) or resume a department's prompts."""
    department = get_department(session=session, workspace_id=workspace_id, name=name)
    department.paused = paused
    department.paused_until = until if paused else None
    audit.record(
        session=session,
        clock=clock,
        workspace_id=workspace_id,
        action="department.paused" if paused else "department.resumed",
        subject_type="department",
        subject_id=department.id,
        detail={"until": until.isoformat() if until else None},
    )
    session.add(department)
    session.commit()
    session.refresh(department)
    return department
