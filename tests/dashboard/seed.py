"""A small, known workspace for the dashboard's tests: departments, people, stories, a prompt
with answers and resonates, spread over the weeks before the test clock's START."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from stories.clock import Clock
from stories.models import (
    DeliveryStatus,
    Department,
    Emotion,
    Engagement,
    EngagementKind,
    Member,
    Platform,
    PromptAnswer,
    PromptDelivery,
    SourceKind,
    Story,
)
from stories.workspaces import ensure_member, ensure_workspace

TEXTS = (
    ("The refund took three weeks and the customer called us five times", "billing"),
    ("A florist was charged twice for one order and nobody noticed", "billing"),
    ("The courier left the parcel in the rain and it was ruined", "delivery"),
    ("She could not reset her password because the email never came", "login"),
    ("The invoice showed the wrong company name so finance rejected it", "billing"),
    ("An elderly customer waited forty minutes on hold for a simple question", "support"),
)


@dataclass
class Seeded:
    workspace_id: int
    other_workspace_id: int
    lead: str = "U-LEAD"
    story_ids: list[int] = field(default_factory=list)
    private_story_id: int = 0
    other_story_id: int = 0
    finance_id: int = 0


def _story(
    session: Session,
    ws: int,
    author: Member,
    text: str,
    touch: str,
    at: datetime,
    *,
    shared: bool = True,
) -> Story:
    story = Story(
        workspace_id=ws,
        text=text,
        touchpoint=touch,
        emotion=Emotion.FRUSTRATED,
        source_kind=SourceKind.SLASH,
        author_member_id=author.id,
        department_id=author.department_id,
        shared=shared,
        created_at=at,
    )
    session.add(story)
    session.flush()
    return story


def seed_workspace(engine: Engine, clock: Clock) -> Seeded:
    """Acme (T1) with Finance (prompted), Legal and Support (customer-facing); Globex (T2)."""
    now = clock.now()
    with Session(engine, expire_on_commit=False) as s:
        acme = ensure_workspace(
            session=s, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
        )
        globex = ensure_workspace(
            session=s, clock=clock, platform=Platform.SLACK, external_id="T2", name="Globex"
        )
        ws = acme.id or 0
        depts = {}
        for name, facing, channel in (
            ("Finance", False, "C-FIN"),
            ("Legal", False, None),
            ("Support", True, "C-SUP"),
        ):
            d = Department(
                workspace_id=ws,
                name=name,
                name_key=name.casefold(),
                customer_facing=facing,
                slack_channel_id=channel,
                created_at=now,
            )
            s.add(d)
            s.flush()
            depts[name] = d
        people = {}
        for user, dept in (
            ("U-LEAD", None),
            ("U-SUP1", "Support"),
            ("U-SUP2", "Support"),
            ("U-FIN1", "Finance"),
            ("U-FIN2", "Finance"),
            ("U-FIN3", "Finance"),
            ("U-LEG1", "Legal"),
            ("U-MEMBER", None),
        ):
            m = ensure_member(
                session=s,
                clock=clock,
                workspace_id=ws,
                platform_user_id=user,
                display_name=user.removeprefix("U-").title(),
            )
            m.department_id = depts[dept].id if dept else None
            m.is_cx_lead = user == "U-LEAD"
            s.add(m)
            people[user] = m
        s.flush()
        seeded = Seeded(
            workspace_id=ws, other_workspace_id=globex.id or 0, finance_id=depts["Finance"].id or 0
        )
        for index, (text, touch) in enumerate(TEXTS):
            teller = people["U-SUP1" if index % 2 == 0 else "U-SUP2"]
            at = now - timedelta(days=3 + 9 * index)  # 3 … 48 days ago
            seeded.story_ids.append(_story(s, ws, teller, text, touch, at).id or 0)
        seeded.private_story_id = (
            _story(
                s,
                ws,
                people["U-SUP1"],
                "A private note about a refund the teller alone may read",
                "billing",
                now - timedelta(days=2),
                shared=False,
            ).id
            or 0
        )
        other_lead = ensure_member(
            session=s,
            clock=clock,
            workspace_id=globex.id or 0,
            platform_user_id="U-LEAD",
            display_name="Globex Lead",
        )
        other_lead.is_cx_lead = True
        s.add(other_lead)
        s.flush()
        seeded.other_story_id = (
            _story(
                s,
                globex.id or 0,
                other_lead,
                "Globex secret story about a refund gone wrong",
                "billing",
                now - timedelta(days=4),
            ).id
            or 0
        )
        first = seeded.story_ids[0]
        for user, days in (("U-FIN1", 2), ("U-LEG1", 1), ("U-SUP2", 2)):
            s.add(
                Engagement(
                    workspace_id=ws,
                    story_id=first,
                    member_id=people[user].id or 0,
                    department_id=people[user].department_id,
                    kind=EngagementKind.RESONATES,
                    created_at=now - timedelta(days=days),
                )
            )
        delivery = PromptDelivery(
            workspace_id=ws,
            target=f"department:{depts['Finance'].id}",
            department_id=depts["Finance"].id,
            occurrence_at=now - timedelta(days=5),
            status=DeliveryStatus.SENT,
            story_id=seeded.story_ids[1],
            sent_at=now - timedelta(days=5),
            message_ref="C-FIN:1.0",
        )
        s.add(delivery)
        s.flush()
        s.add(
            PromptAnswer(
                workspace_id=ws,
                delivery_id=delivery.id or 0,
                story_id=seeded.story_ids[1],
                member_id=people["U-FIN2"].id or 0,
                department_id=depts["Finance"].id,
                text="We could flag duplicate charges in the nightly reconciliation",
                created_at=now - timedelta(days=4),
            )
        )
        s.commit()
    return seeded
