"""The interface a chat platform implements to deliver line-of-sight prompts.

Slack and Teams each provide one `PromptSender`. The scheduler owns timing, the ledger and
exactly-once; a sender only talks to its platform. Contract:

* `send_prompt` posts the prompt to `message.destination` and returns the platform's reference
  to the post (Slack: "<channel>:<ts>"; Teams: the activity id). It must attach
  `message.delivery_id` to the post as metadata (Slack message metadata, Teams channelData),
  so `find_sent` can recognise it after a crash. Pace and 429 Retry-After are the sender's
  job; raise `DeliveryFailed` (or any exception) when the destination refuses, and the reason
  is recorded on the ledger row for leads.
* `find_sent` looks at the destination's recent posts for one carrying the delivery id and
  returns its reference, or None. Called before re-sending a claim that was never confirmed.
* `send_reminder` posts the one nudge in the prompt's thread / card reply.
* `notify_author` sends the story's author a direct message.

A sender that also implements `LeadsSender` posts the weekly digest and notices of
undeliverable prompts into the CX leads' channel.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, runtime_checkable

from bot.runtime import Runtime
from stories.answers import author_notice
from stories.digest import DigestMessage, LeadsNotice
from stories.prompts import AuthorNotice, PromptMessage, ReminderMessage

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A destination refused a prompt for good (archived channel, bot removed, no access)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class PromptSender(Protocol):
    platform: str  # "slack" | "teams"

    async def send_prompt(self, *, message: PromptMessage) -> str:
        """Post the prompt; return the platform's reference to the post."""
        ...

    async def find_sent(self, *, message: PromptMessage) -> str | None:
        """The reference of an earlier post carrying ``message.delivery_id``, if any."""
        ...

    async def send_reminder(self, *, reminder: ReminderMessage) -> None:
        """Post the one nudge in the prompt's thread."""
        ...

    async def notify_author(self, *, notice: AuthorNotice) -> None:
        """Tell a story's author that another department reflected on it."""
        ...


@runtime_checkable
class LeadsSender(Protocol):
    """A sender that can also post to the CX leads' channel (digest and notices)."""

    platform: str

    async def send_digest(self, *, digest: DigestMessage) -> str:
        """Post the summary (and its chart) into ``digest.destination``; return a reference."""
        ...

    async def send_leads_notice(self, *, notice: LeadsNotice) -> str:
        """Post a short text into the leads' channel; return a reference."""
        ...


SenderFactory = Callable[[Runtime], PromptSender | None]

# Platform modules that may offer `build_prompt_sender(runtime) -> PromptSender | None`.
SENDER_MODULES = ("bot.slack", "bot.teams")


def build_senders(
    runtime: Runtime, *, factories: Iterable[SenderFactory] | None = None
) -> dict[str, PromptSender]:
    """Senders for every configured platform, keyed by platform name (may be empty).

    By default each platform module in `SENDER_MODULES` that defines
    ``build_prompt_sender(runtime)`` contributes the sender its settings allow.
    """
    senders: dict[str, PromptSender] = {}
    for factory in factories if factories is not None else _module_factories():
        sender = factory(runtime)
        if sender is not None:
            senders[sender.platform] = sender
    return senders


def _module_factories() -> list[SenderFactory]:
    factories: list[SenderFactory] = []
    for name in SENDER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but a dependency is missing: say so
                logger.warning("%s cannot be loaded for prompt delivery: %s", name, exc)
            continue
        factory = getattr(module, "build_prompt_sender", None)
        if callable(factory):
            factories.append(factory)
    return factories


async def notify_author_of_answer(
    *, runtime: Runtime, senders: Mapping[str, PromptSender], answer_id: int
) -> bool:
    """DM the story's author about a new answer unless they opted out; True when sent.

    Handlers call this after `record_answer` created (not edited) an answer. A failure is
    logged, never raised: the answer is already stored.
    """
    notice = await runtime.run(lambda session: author_notice(session=session, answer_id=answer_id))
    if notice is None:
        return False
    sender = senders.get(notice.platform)
    if sender is None:
        return False
    try:
        await sender.notify_author(notice=notice)
    except Exception:  # a DM that fails must not undo or hide the stored answer
        logger.exception("could not notify the author of story %s", notice.story_id)
        return False
    return True
