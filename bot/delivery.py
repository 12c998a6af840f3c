"""The interface a chat platform implements to deliver line-of-sight prompts.

Slack and Teams each provide one `PromptSender`. The scheduler owns timing, the ledger and
exactly-once; a sender only talks to its platform. Contract:

* `send_prompt` posts the prompt to `message.destination` and returns the platform's reference
  to the post (Slack: "<channel>:<ts>"; Teams: the post's thread), where answers go. It must
  attach `message.delivery_id` to the post as metadata (Slack message metadata, Teams channelData),
  so `find_sent` can recognise it after a crash. Pace and 429 Retry-After are the sender's
  job; raise an exception whose ``reason`` (or message) says why when the destination
  refuses, and the reason is recorded on the ledger row for leads.
* `find_sent` looks at the destination's recent posts for one carrying the delivery id and
  returns its reference, or None. Called before re-sending a claim that was never confirmed.
* `send_reminder` sends the one reminder personally (Slack direct message, Teams personal
  chat) to each of `reminder.recipients`, linking to the prompt; returns how many it reached.

Senders are built once per process by the composition root (``bot.app``) and shared with the
platform's listeners.

A sender that also implements `LeadsSender` posts the weekly digest and notices of
undeliverable prompts into the CX leads' channel.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from stories.digest import DigestMessage, LeadsNotice
from stories.prompts import PromptMessage, ReminderMessage


@runtime_checkable
class PromptSender(Protocol):
    platform: str  # "slack" | "teams"

    async def send_prompt(self, *, message: PromptMessage) -> str:
        """Post the prompt; return the platform's reference to the post."""
        ...

    async def find_sent(self, *, message: PromptMessage) -> str | None:
        """The reference of an earlier post carrying ``message.delivery_id``, if any."""
        ...

    async def send_reminder(self, *, reminder: ReminderMessage) -> int:
        """Send the one reminder to each recipient personally; return how many it reached."""
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
