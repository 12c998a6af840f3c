"""An in-memory `PromptSender`: records what would be posted, can be told to fail or crash."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from stories.digest import DigestMessage, LeadsNotice
from stories.prompts import PromptMessage, ReminderMessage


class DestinationGone(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RecordingSender:
    """Posts land in ``sent``; ``fail_destinations`` refuse; ``posted`` is the destination's
    own history (what `find_sent` searches): a test can seed it to stand for a post that
    went out just before a crash."""

    platform: str = "slack"
    fail_destinations: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    sent: list[PromptMessage] = field(default_factory=list)
    posted: dict[int, str] = field(default_factory=dict)  # delivery id -> message ref
    reminders: list[ReminderMessage] = field(default_factory=list)
    lookups: list[int] = field(default_factory=list)
    digests: list[DigestMessage] = field(default_factory=list)
    leads_notices: list[LeadsNotice] = field(default_factory=list)
    channel_users: dict[str, list[str]] = field(default_factory=dict)  # channel -> members

    async def send_prompt(self, *, message: PromptMessage) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if message.destination in self.fail_destinations:
            raise DestinationGone(self.fail_destinations[message.destination])
        ref = f"{message.destination}:{len(self.posted) + 1}"
        self.sent.append(message)
        self.posted[message.delivery_id] = ref
        return ref

    async def find_sent(self, *, message: PromptMessage) -> str | None:
        self.lookups.append(message.delivery_id)
        return self.posted.get(message.delivery_id)

    async def send_reminder(self, *, reminder: ReminderMessage) -> int:
        self.reminders.append(reminder)
        return len(reminder.recipients)

    async def send_digest(self, *, digest: DigestMessage) -> str:
        if digest.destination in self.fail_destinations:
            raise DestinationGone(self.fail_destinations[digest.destination])
        self.digests.append(digest)
        return f"{digest.destination}:digest{len(self.digests)}"

    async def send_leads_notice(self, *, notice: LeadsNotice) -> str:
        if notice.destination in self.fail_destinations:
            raise DestinationGone(self.fail_destinations[notice.destination])
        self.leads_notices.append(notice)
        return f"{notice.destination}:notice{len(self.leads_notices)}"

    async def channel_members(self, *, workspace_external_id: str, destination: str) -> list[str]:
        if destination in self.fail_destinations:
            raise DestinationGone(self.fail_destinations[destination])
        return list(self.channel_users.get(destination, []))
