"""After an answer: the prompt's thread and the storyteller's one message per prompt.

The core decides what follows an answer (these effects); each platform only carries them out.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from stories.answers import set_author_notifications
from stories.clock import FixedClock
from stories.conversation import answers
from stories.conversation.context import ChatContext, CoreEnv, Place
from stories.conversation.views import NotifyAuthor, PostAnswer
from stories.departments import Department
from stories.models import Platform, StorytellerNotice, Workspace
from stories.redaction import Redactor
from tests.test_prompt_ledger import finance, member, sent_delivery, slack_ws, story_by

__all__ = ["finance", "slack_ws"]  # fixtures shared with the ledger tests


@pytest.fixture
def env(engine: Engine, clock: FixedClock, redactor: Redactor) -> CoreEnv:
    return CoreEnv(
        sessions=lambda: Session(engine, expire_on_commit=False), clock=clock, redactor=redactor
    )


def in_finance(user: str) -> ChatContext:
    return ChatContext(
        platform=Platform.SLACK, workspace="T1", user=user, place=Place.PUBLIC, conversation="CFIN"
    )


@pytest.fixture
def delivery(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    slack_ws: Workspace,
    finance: Department,
) -> int:
    author = member(session, clock, slack_ws, "UAUTHOR")
    return sent_delivery(
        session, clock, finance, story_by(session, clock, redactor, slack_ws, author)
    )


def answer(
    env: CoreEnv, delivery: int, user: str, text: str
) -> tuple[PostAnswer, NotifyAuthor | None]:
    outcome = answers.answer(env=env, ctx=in_finance(user), delivery_id=delivery, text=text)
    posts = [e for e in outcome.effects if isinstance(e, PostAnswer)]
    notices = [e for e in outcome.effects if isinstance(e, NotifyAuthor)]
    assert len(posts) == 1
    assert len(notices) <= 1
    return posts[0], (notices[0] if notices else None)


def test_answers_go_to_the_thread_and_the_storyteller_hears_once_per_prompt(
    env: CoreEnv, delivery: int, session: Session
) -> None:
    post, first = answer(env, delivery, "UANA", "We could approve refunds the same day.")
    assert (post.prompt_ref, post.answer.answerer_id, post.answer.edited) == (
        "CFIN:1",
        "UANA",
        False,
    )
    assert first is not None
    assert first.ref is None
    assert (first.recipient, first.notice.department) == ("UAUTHOR", "Finance")
    assert first.notice.answers == ("We could approve refunds the same day.",)

    # A second answer while the first message is still being sent: its sender adds it.
    _, during = answer(env, delivery, "UBEN", "Approval sits in a queue nobody owns.")
    assert during is None
    update = answers.notice_sent(env=env, effect=first, ref="DAUTHOR:100")
    assert update is not None
    assert update.ref == "DAUTHOR:100"
    assert update.notice.answers == (
        "We could approve refunds the same day.",
        "Approval sits in a queue nobody owns.",
    )
    assert answers.notice_sent(env=env, effect=update, ref="DAUTHOR:100") is None

    # Later answers (and edited ones) update that one message, never send another.
    _, later = answer(env, delivery, "UCAL", "Finance owns the queue from Monday.")
    _, edited = answer(env, delivery, "UANA", "We will approve refunds the same day.")
    assert later is not None
    assert edited is not None
    assert later.ref == edited.ref == "DAUTHOR:100"
    assert edited.notice.answers[0] == "We will approve refunds the same day."
    assert session.get(StorytellerNotice, delivery) is not None


def test_no_message_for_the_storytellers_own_answer_or_after_opting_out(
    env: CoreEnv, delivery: int, session: Session, clock: FixedClock, slack_ws: Workspace
) -> None:
    _, own = answer(env, delivery, "UAUTHOR", "I told this one; glad it reached you.")
    assert own is None
    author = member(session, clock, slack_ws, "UAUTHOR")
    set_author_notifications(session=session, clock=clock, member_id=author.id or 0, enabled=False)
    _, muted = answer(env, delivery, "UANA", "We could approve refunds the same day.")
    assert muted is None
    reply = answers.notices_off(env=env, ctx=in_finance("UAUTHOR"))
    assert "no longer hear" in reply.text


def test_a_first_message_that_failed_or_stalled_is_tried_again(
    env: CoreEnv, delivery: int, clock: FixedClock
) -> None:
    _, first = answer(env, delivery, "UANA", "We could approve refunds the same day.")
    assert first is not None
    answers.notice_failed(env=env, effect=first)  # the platform refused the message
    _, retry = answer(env, delivery, "UBEN", "Approval sits in a queue nobody owns.")
    assert retry is not None
    assert retry.ref is None
    assert len(retry.notice.answers) == 2

    _, waiting = answer(env, delivery, "UCAL", "Finance owns the queue from Monday.")
    assert waiting is None  # the retry is on its way
    clock.advance(minutes=10)  # ... and its sender died: the claim is stale
    _, taken_over = answer(env, delivery, "UDAN", "And we will report it weekly.")
    assert taken_over is not None
    assert taken_over.ref is None
    assert len(taken_over.notice.answers) == 4
    assert timedelta(minutes=10) > answers.STALE_CLAIM
