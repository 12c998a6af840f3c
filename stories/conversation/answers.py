"""Answering a line-of-sight prompt in chat, and what happens after an answer.

After an answer: it is posted in the prompt's thread for the department to read, and the
storyteller hears what the department said. The storyteller gets one message per prompt,
kept up to date as more members answer (a :class:`StorytellerNotice` row claims and
remembers it), so a popular prompt never floods them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.anonymous_answers import is_pseudonym
from stories.answers import (
    author_notifications_enabled,
    mark_not_relevant,
    record_answer,
    set_author_notifications,
)
from stories.conversation import prompt_texts
from stories.conversation.context import ChatContext, CoreEnv, resolve_actor
from stories.conversation.views import (
    AnswerForm,
    AnswerPost,
    AuthorNoticeView,
    Effect,
    Notice,
    NotifyAuthor,
    Outcome,
    PostAnswer,
    Tone,
)
from stories.models import (
    Department,
    Member,
    Platform,
    PromptAnswer,
    PromptDelivery,
    PromptTemplate,
    Story,
    StorytellerNotice,
    Workspace,
)
from stories.prompt_ledger import get_delivery

EXCERPT = 140
NOTICE_ANSWERS = 10  # answers quoted in the storyteller's message; the rest are counted
STALE_CLAIM = timedelta(minutes=5)  # a first notice that was never confirmed may be retried


def answer_form(*, env: CoreEnv, delivery_id: int) -> AnswerForm:
    """The prompt's question and story, for the answer form.

    Raises:
        NotFoundError: no such prompt delivery.
    """
    with env.sessions() as session:
        delivery = get_delivery(session=session, delivery_id=delivery_id)
        template = session.get(PromptTemplate, delivery.template_id or 0)
        story = session.get(Story, delivery.story_id or 0)
        return AnswerForm(
            delivery_id=delivery_id,
            question=template.text if template else prompt_texts.ANSWER_TITLE,
            story_text=story.text if story and story.shared else "",
            hint=prompt_texts.ANSWER_HINT,
        )


def answer(*, env: CoreEnv, ctx: ChatContext, delivery_id: int, text: str) -> Outcome[Notice]:
    """Store a member's answer (redacted; answering again edits it) and say what follows.

    Raises:
        SightlineError: no such prompt, a prompt that was never delivered, an empty answer.
    """
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        result = record_answer(
            session=session,
            clock=env.clock,
            redactor=env.redactor,
            delivery_id=delivery_id,
            member=actor.member,
            text=text,
        )
        delivery = get_delivery(session=session, delivery_id=delivery_id)
        effects: list[Effect] = []
        if delivery.message_ref:
            stored_as = session.get(Member, result.answer.member_id)
            anonymous = is_pseudonym(stored_as)
            post = AnswerPost(
                answerer_id="" if anonymous else ctx.user,
                answerer_name=stored_as.display_name
                if anonymous and stored_as
                else actor.member.display_name or ctx.user_name,
                text=result.answer.text,
                edited=not result.created,
                anonymous=anonymous,
            )
            effects.append(
                PostAnswer(prompt_ref=delivery.message_ref, answer=post, member_id=actor.member_id)
            )
        notify = _notify_storyteller(session, env.clock.now(), delivery, actor.member)
        if notify is not None:
            effects.append(notify)
    reply = prompt_texts.ANSWERED if result.created else prompt_texts.ANSWER_UPDATED
    return Outcome(Notice(text=reply, tone=Tone.SUCCESS), tuple(effects))


def _notify_storyteller(
    session: Session, now: datetime, delivery: PromptDelivery, answerer: Member
) -> NotifyAuthor | None:
    """The storyteller's message to send (``ref`` None) or update, or None.

    None when the story has no teller, the teller answered their own story, the teller
    switched these messages off, or another answer's request is still sending the first
    message (that sender adds this answer when it confirms, see :func:`notice_sent`).
    """
    story = session.get(Story, delivery.story_id or 0)
    workspace = session.get(Workspace, delivery.workspace_id)
    if story is None or story.author_member_id in (None, answerer.id):
        return None
    if workspace is None or workspace.platform == Platform.LOCAL:
        return None
    if not author_notifications_enabled(session=session, member_id=story.author_member_id or 0):
        return None
    row = session.get(StorytellerNotice, delivery.id)
    if row is None:
        row = StorytellerNotice(
            delivery_id=delivery.id or 0,
            workspace_id=delivery.workspace_id,
            claimed_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another answer claimed it a moment ago
            session.commit()
            return None
        session.commit()
    elif row.message_ref is None:
        if now - row.claimed_at < STALE_CLAIM:
            return None
        row.claimed_at = now  # the first sender never confirmed: send it afresh
        session.add(row)
        session.commit()
    return _notice(session, delivery, story, workspace, row.message_ref)


def _notice(
    session: Session,
    delivery: PromptDelivery,
    story: Story,
    workspace: Workspace,
    ref: str | None,
) -> NotifyAuthor | None:
    teller = session.get(Member, story.author_member_id or 0)
    if teller is None:
        return None
    department = session.get(Department, delivery.department_id or 0)
    name = department.name if department else prompt_texts.ANOTHER_DEPARTMENT
    answers = session.exec(
        select(PromptAnswer.text)
        .where(PromptAnswer.delivery_id == delivery.id, PromptAnswer.member_id != teller.id)
        .order_by(col(PromptAnswer.created_at), col(PromptAnswer.id))
    ).all()
    quoted = tuple(answers[:NOTICE_ANSWERS])
    if len(answers) > NOTICE_ANSWERS:
        quoted += (f"…and {len(answers) - NOTICE_ANSWERS} more answers",)
    excerpt = story.text if len(story.text) <= EXCERPT else story.text[: EXCERPT - 1] + "…"
    return NotifyAuthor(
        delivery_id=delivery.id or 0,
        workspace=workspace.external_id,
        recipient=teller.platform_user_id,
        ref=ref,
        answers_shown=len(answers),
        notice=AuthorNoticeView(
            title=prompt_texts.author_notice_title(name),
            department=name,
            story_excerpt=excerpt,
            answers=quoted,
            permalink=story.permalink,
        ),
    )


def notice_sent(*, env: CoreEnv, effect: NotifyAuthor, ref: str) -> NotifyAuthor | None:
    """Remember the storyteller's message; return an update if answers arrived meanwhile."""
    with env.sessions() as session:
        row = session.get(StorytellerNotice, effect.delivery_id)
        if row is None:
            return None
        row.message_ref, row.answers_shown = ref, effect.answers_shown
        row.updated_at = env.clock.now()
        session.add(row)
        session.commit()
        delivery = session.get(PromptDelivery, effect.delivery_id)
        story = session.get(Story, delivery.story_id or 0) if delivery else None
        workspace = session.get(Workspace, delivery.workspace_id) if delivery else None
        if delivery is None or story is None or workspace is None:
            return None
        latest = _notice(session, delivery, story, workspace, ref)
    if latest is None or latest.answers_shown == effect.answers_shown:
        return None
    return latest


def notice_failed(*, env: CoreEnv, effect: NotifyAuthor) -> None:
    """Give up a first message that could not be sent, so the next answer tries again."""
    if effect.ref is not None:
        return
    with env.sessions() as session:
        row = session.get(StorytellerNotice, effect.delivery_id)
        if row is not None and row.message_ref is None:
            session.delete(row)
            session.commit()


def not_relevant(*, env: CoreEnv, ctx: ChatContext, delivery_id: int) -> Notice:
    """ "Not relevant to us": stories like this one come to the department less often."""
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        mark_not_relevant(
            session=session, clock=env.clock, delivery_id=delivery_id, member=actor.member
        )
    return Notice(text=prompt_texts.NOT_RELEVANT)


def notices_off(*, env: CoreEnv, ctx: ChatContext) -> Notice:
    """The storyteller's "Stop these messages"."""
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        set_author_notifications(
            session=session, clock=env.clock, member_id=actor.member_id, enabled=False
        )
    return Notice(text=prompt_texts.NOTICES_OFF, tone=Tone.SUCCESS)
