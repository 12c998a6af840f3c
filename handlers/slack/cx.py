"""`/cx`: department set-up for CX leads, parsed here and carried out by stories.departments.

Who is a CX lead: a Slack user id listed in ``SIGHTLINE_CX_LEADS``, a member of the
configured user group, a workspace admin or owner (unless turned off), or a member already
marked as a lead in the database. Anyone else gets a polite refusal and no data.
"""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from stories.departments import DepartmentSpec
from stories.errors import InvalidFieldError
from stories.periods import looks_like_period

logger = logging.getLogger(__name__)
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")

CX_HELP = (
    "*CX lead commands*\n"
    "• `/cx departments` lists departments and their prompt schedules.\n"
    "• `/cx department add <name> #channel [--customer-facing] [--time 09:30] "
    "[--tz Europe/London] [--days mon-fri]` adds one.\n"
    "• `/cx department pause <name>` / `/cx department resume <name>`.\n"
    "• `/cx prompt now <name>` sends that department a prompt now (through the ledger).\n"
    "• `/cx summary [7d|30d|90d|quarter|2026-10-01..2026-10-31] [department]` sends you the "
    "summary and its chart in a direct message (default: last 30 days).\n"
    "• `/cx export [period] [csv|jsonl]` sends you the period's stories, answers and "
    "engagement as files (default: last 30 days, CSV)."
)
FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class CxCommand:
    action: str  # "list", "add", "pause", "resume", "prompt_now", "summary", "export", "help"
    name: str | None = None
    spec: DepartmentSpec | None = None
    period: str | None = None  # as typed; parsed against the clock where it is used
    format: str = "csv"


def parse_cx(text: str) -> CxCommand:
    """Read the text after `/cx`.

    Raises:
        InvalidFieldError: the command is malformed; the message says how to write it.
    """
    try:
        words = shlex.split(text)
    except ValueError:
        raise InvalidFieldError(field="command", reason="a quote is not closed") from None
    if not words or words[0].lower() in ("help", "?"):
        return CxCommand("help")
    head = words[0].lower()
    if head == "departments" and len(words) == 1:
        return CxCommand("list")
    if head == "summary":
        # An optional period first, then an optional department name.
        period = words[1] if len(words) > 1 and looks_like_period(words[1]) else None
        name = " ".join(words[2:] if period else words[1:]) or None
        return CxCommand("summary", name=name, period=period)
    if head == "export":
        period, fmt = None, "csv"
        for word in words[1:]:
            if word.lower() in FORMATS:
                fmt = word.lower()
            elif period is None and looks_like_period(word):
                period = word
            else:
                raise InvalidFieldError(
                    field="export",
                    reason=f"`{word}` is neither a period (7d, 30d, 90d, quarter, "
                    "2026-10-01..2026-10-31) nor a format (csv, jsonl)",
                )
        return CxCommand("export", period=period, format=fmt)
    if head == "prompt":
        if len(words) < 3 or words[1].lower() != "now":
            raise InvalidFieldError(field="command", reason="write `/cx prompt now <department>`")
        return CxCommand("prompt_now", name=" ".join(words[2:]))
    if head != "department" or len(words) < 3:
        raise InvalidFieldError(field="command", reason="try `/cx help` for what `/cx` can do")
    verb, rest = words[1].lower(), words[2:]
    if verb in ("pause", "resume"):
        return CxCommand(verb, name=" ".join(rest))
    if verb != "add":
        raise InvalidFieldError(field="command", reason=f"`{verb}` is not add, pause or resume")
    return _parse_add(rest)


def _parse_add(words: list[str]) -> CxCommand:
    name_parts: list[str] = []
    channel: str | None = None
    options: dict[str, str] = {}
    facing = False
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--customer-facing":
            facing = True
        elif word in ("--time", "--tz", "--days"):
            if i + 1 >= len(words):
                raise InvalidFieldError(field=word.lstrip("-"), reason="give a value after it")
            options[word] = words[i + 1]
            i += 1
        elif word.startswith("--"):
            raise InvalidFieldError(field=word, reason="is not an option of `department add`")
        elif match := _CHANNEL.match(word):
            channel = match.group(1)
        elif word.startswith("#"):
            raise InvalidFieldError(
                field="channel", reason="pick the channel from Slack's suggestions as you type #"
            )
        else:
            name_parts.append(word)
        i += 1
    if not name_parts:
        raise InvalidFieldError(field="name", reason="e.g. `/cx department add Finance #finance`")
    name = " ".join(name_parts)
    spec = DepartmentSpec(
        name=name,
        customer_facing=facing,
        slack_channel_id=channel,
        timezone=options.get("--tz"),
        prompt_time=options.get("--time"),
        prompt_days=options.get("--days"),
    )
    return CxCommand("add", name=name, spec=spec)


async def is_cx_lead(
    client: AsyncWebClient,
    *,
    user_id: str,
    listed: list[str],
    usergroup: str | None,
    admins_are_leads: bool,
    marked_in_database: bool,
) -> bool:
    """Whether this Slack user may run `/cx` (cheapest checks first)."""
    if marked_in_database or user_id in listed:
        return True
    if usergroup:
        try:
            members = (await client.usergroups_users_list(usergroup=usergroup)).get("users") or []
        except SlackApiError as exc:
            logger.warning("cannot read user group %s: %s", usergroup, exc.response.get("error"))
            members = []
        if user_id in members:
            return True
    if admins_are_leads:
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as exc:
            logger.warning("cannot read user %s: %s", user_id, exc.response.get("error"))
            return False
        return bool(user.get("is_admin") or user.get("is_owner"))
    return False
