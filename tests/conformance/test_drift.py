"""The drift between the platforms that the conversation core removed, one test each (the
others are scenarios in test_scenarios.py and, for the Slack Home tab, tests/slack):

- Teams search showed stories told in a personal chat to anyone in the tenant:
  ``test_search_shows_each_person_only_what_their_place_may_see``;
- Teams never told the storyteller when a department answered: below;
- Slack told a teller to "try again" when the stories-channel post failed after the story was
  saved, and the retry stored it twice: ``test_a_failed_share_is_still_saved_once…``;
- the Slack Home tab repeated block ids when a story was in two sections, and Slack refused
  it: ``test_a_home_with_the_same_story_in_every_section_is_accepted_by_slack``.
"""

from __future__ import annotations

from stories.conversation.context import Place
from stories.models import DeliveryStatus
from tests.conformance.drivers import Driver


async def test_the_storyteller_hears_back_when_a_department_answers(chat: Driver) -> None:
    await chat.tell(
        "ana", "A florist was charged twice and her card was declined", place=Place.PUBLIC
    )
    finance = chat.department("Finance")
    outcome = await chat.scheduler().send_now(department_id=finance)
    assert outcome.status == DeliveryStatus.SENT
    assert outcome.delivery_id is not None
    await chat.answer("ben", outcome.delivery_id, "We refund duplicate charges within a day")
    messages, latest = chat.storyteller_messages("ana")
    assert messages == 1
    assert "We refund duplicate charges within a day" in latest
