"""Teams' side of a workspace's own leads: a mention names a person only by their Teams id,
so Sightline asks Teams for their Azure AD object id, and says so when Teams will not."""

from __future__ import annotations

from sqlmodel import Session, select

from stories.models import Member, WorkspaceLead
from tests.teams.test_teams_cx import Start, _say, start
from tests.teams.test_teams_unit import texts

__all__ = ["start"]  # the fixture, shared with the CX lead tests


def mention(name: str, teams_id: str) -> tuple[str, list[dict[str, object]]]:
    tag = f"<at>{name}</at>"
    return tag, [{"type": "mention", "mentioned": {"id": teams_id, "name": name}, "text": tag}]


async def test_a_mention_teams_cannot_resolve_is_refused_with_what_to_do(start: Start) -> None:
    async with start() as teams:
        tag, entities = mention("Zoe Ng", "29:zoe")  # not in the fake's roster: Teams says 404
        refused = await _say(teams, f"lead add {tag}", entities=entities)
        assert "Teams would not say who Zoe Ng is here" in texts(refused)
        assert "e-mail address" in texts(refused)
        with Session(teams.engine) as session:
            assert session.exec(select(WorkspaceLead)).all() == []

        teams.connector.members["29:zoe"] = {
            "id": "29:zoe",
            "name": "Zoe Ng",
            "aadObjectId": "aad-zoe",
        }
        named = await _say(teams, f"lead add {tag}", entities=entities)
        assert "Zoe Ng is now a CX lead here" in texts(named)
        with Session(teams.engine) as session:
            [zoe] = session.exec(select(Member).where(Member.platform_user_id == "aad-zoe")).all()
        assert zoe.is_cx_lead
        assert teams.connector.member_lookups.count("29:zoe") == 2
