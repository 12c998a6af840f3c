"""`/cx` for CX leads: departments, add, pause and resume; everyone else is refused."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from stories.models import Department
from tests.slack.conftest import SlackHarness


async def cx(slack: SlackHarness, text: str, *, user: str, key: str) -> dict[str, Any]:
    return await slack.cx(text, user=user, key=key)


async def test_lead_adds_lists_pauses_and_resumes(make_harness: Any, session: Session) -> None:
    slack: SlackHarness = await make_harness(cx_leads="U0LEAD001,U0LEAD002")
    added = await cx(
        slack,
        "department add Finance <#C0FIN0001|finance> --time 9:30 --tz Europe/London --days mon-fri",
        user="U0LEAD001",
        key="add",
    )
    assert "Added Finance" in added["blocks"][0]["text"]["text"]
    department = session.exec(select(Department)).one()
    assert (department.slack_channel_id, department.prompt_time, department.timezone) == (
        "C0FIN0001",
        "09:30",
        "Europe/London",
    )
    assert department.prompt_days == "mon,tue,wed,thu,fri"

    listed = await cx(slack, "departments", user="U0LEAD002", key="list")
    assert "Finance" in str(listed["blocks"])
    assert "<#C0FIN0001>" in str(listed["blocks"])
    await cx(slack, "department pause finance", user="U0LEAD001", key="pause")
    session.expire_all()
    assert session.exec(select(Department)).one().paused
    await cx(slack, "department resume Finance", user="U0LEAD001", key="resume")
    session.expire_all()
    assert not session.exec(select(Department)).one().paused

    bad = await cx(slack, "department add Finance --tz Mars/Olympus", user="U0LEAD001", key="bad")
    assert bad["text"].startswith("⚠️")
    assert "timezone" in bad["text"].lower()


async def test_others_are_refused_politely_and_see_no_data(
    make_harness: Any, session: Session
) -> None:
    slack: SlackHarness = await make_harness(cx_leads="U0LEAD001")
    await cx(slack, "department add Finance <#C0FIN0001|finance>", user="U0LEAD001", key="a")
    refused = await cx(slack, "departments", user="U0NOBODY1", key="b")
    assert "is for CX leads" in refused["text"]
    assert "Finance" not in str(refused)
    refused = await cx(slack, "department pause Finance", user="U0NOBODY1", key="c")
    session.expire_all()
    assert not session.exec(select(Department)).one().paused


async def test_workspace_admins_and_user_group_members_are_leads(
    make_harness: Any, session: Session
) -> None:
    slack: SlackHarness = await make_harness(slack_cx_lead_usergroup="S0CXLEADS")
    slack.fake.add_user("U0ADMIN01", is_admin=True)
    slack.fake.always("usergroups.users.list", {"ok": True, "users": ["U0GROUP01"]})
    admin = await cx(slack, "departments", user="U0ADMIN01", key="admin")
    assert "No departments yet" in str(admin["blocks"])
    member = await cx(slack, "departments", user="U0GROUP01", key="group")
    assert "No departments yet" in str(member["blocks"])
    [call, *_] = slack.fake.calls_to("usergroups.users.list")
    assert call["usergroup"] == "S0CXLEADS"
    other = await cx(slack, "departments", user="U0PLAIN01", key="plain")
    assert other["text"].startswith("Sorry")


async def test_a_lead_named_by_email_is_known_by_slacks_profile(make_harness: Any) -> None:
    slack: SlackHarness = await make_harness(
        cx_leads="Erin@Acme.test", slack_admins_are_cx_leads=False
    )
    slack.fake.add_user("U0ERIN001", email="erin@acme.test")
    slack.fake.add_user("U0PLAIN01", email="plain@acme.test")
    erin = await cx(slack, "departments", user="U0ERIN001", key="erin")
    assert "No departments yet" in str(erin["blocks"])
    other = await cx(slack, "departments", user="U0PLAIN01", key="plain")
    assert other["text"].startswith("Sorry")
    added = await cx(slack, "lead add plain@acme.test", user="U0ERIN001", key="add")
    assert "is now a CX lead here" in str(added)
    again = await cx(slack, "departments", user="U0PLAIN01", key="plain-again")
    assert "No departments yet" in str(again["blocks"])
