"""The chat command grammar, one for both platforms: the same words, periods, department
names and errors in Slack (``/story …``, ``/cx …``) and in Teams (plain words).

Quotes: only ``"`` quotes, so a name such as Women's Health needs none; Teams' typographic
quotes and dashes are read as the plain ones people meant to type.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from enum import StrEnum

from stories.conversation.texts import Syntax
from stories.departments import DepartmentSpec
from stories.errors import InvalidFieldError
from stories.periods import looks_like_period

_TYPOGRAPHY = str.maketrans({"\u00a0": " ", "“": '"', "”": '"', "—": "--", "–": "--"})
_ADD_OPTIONS = {"--time": "prompt_time", "--tz": "timezone", "--days": "prompt_days"}
FORMATS = ("csv", "jsonl")
LEAD_WORDS = frozenset(
    {
        "summary",
        "export",
        "departments",
        "department",
        "prompt",
        "settings",
        "lead",
        "leads",
        "member",
        "dashboard",
    }
)
CHANNEL_SETTINGS = ("stories-channel", "leads-channel")


class MemberAction(StrEnum):
    CAPTURE = "capture"  # the text is a story
    FORM = "form"  # open the capture form
    SEARCH = "search"
    RANDOM = "random"
    HOME = "home"
    HELP = "help"
    LEAD = "lead"  # a CX lead command (Teams: lead words come without a prefix)
    MY_DATA = "my-data"  # everything stored about me, as a file in my private place
    FORGET_ME = "forget-me"  # erase me (the rest must be "confirm" to go ahead)


@dataclass(frozen=True)
class MemberCommand:
    action: MemberAction
    rest: str = ""  # the story, the search words, or the whole lead command


def parse_member(text: str, *, prefixed: bool) -> MemberCommand:
    """Read a member's message.

    Args:
        text: what follows the command (``/story`` in Slack) or the whole message (Teams).
        prefixed: True where the command itself says "a story" (Slack's ``/story``), so any
            text that is not a keyword is a story; False where a story needs the word
            ``story`` first and anything unknown gets help (Teams).
    """
    cleaned = text.translate(_TYPOGRAPHY).strip()
    word, _, rest = cleaned.partition(" ")
    keyword, rest = word.lower(), rest.strip()
    if not prefixed:
        if keyword == "story":
            return MemberCommand(MemberAction.CAPTURE if rest else MemberAction.FORM, rest)
        if keyword in LEAD_WORDS:
            return MemberCommand(MemberAction.LEAD, cleaned)
    elif not cleaned:
        return MemberCommand(MemberAction.FORM)
    if keyword == "search":
        return MemberCommand(MemberAction.SEARCH, rest)
    if keyword in ("random", "home", "help", "my-data") and not rest:
        return MemberCommand(MemberAction(keyword))
    if keyword == "forget-me" and rest.lower() in ("", "confirm"):
        return MemberCommand(MemberAction.FORGET_ME, rest.lower())
    if prefixed:
        return MemberCommand(MemberAction.CAPTURE, cleaned)
    return MemberCommand(MemberAction.HELP)


class LeadAction(StrEnum):
    HELP = "help"
    LIST = "list"
    ADD = "add"
    LINK = "link"
    PAUSE = "pause"
    RESUME = "resume"
    PROMPT_NOW = "prompt_now"
    SUMMARY = "summary"
    EXPORT = "export"
    SETTINGS = "settings"  # show the workspace's channels and leads
    SET_CHANNEL = "set_channel"  # name: which channel; channel: here | off | a channel
    LEAD_ADD = "lead_add"  # name: the person (<@id>, or an e-mail/UPN)
    LEAD_REMOVE = "lead_remove"
    MEMBER_DEPARTMENT = "member_department"
    DASHBOARD = "dashboard"  # a one-time sign-in link to the web dashboard


@dataclass(frozen=True)
class LeadCommand:
    action: LeadAction
    name: str = ""
    period: str | None = None  # as typed; parsed against the clock where it is used
    format: str = "csv"
    channel: str | None = None  # a channel as the platform wrote it (Slack's <#C…|name>)
    spec: DepartmentSpec | None = None
    person: str | None = None  # a person as the platform wrote them (Slack's <@U…>)


def words_of(text: str) -> list[str]:
    lexer = shlex.shlex(text.translate(_TYPOGRAPHY), posix=True)
    lexer.whitespace_split, lexer.quotes, lexer.escape = True, '"', ""
    lexer.commenters = ""  # "#" starts a channel name, not a comment
    try:
        return list(lexer)
    except ValueError:
        raise InvalidFieldError(field="command", reason="a quote is not closed") from None


def parse_lead(text: str, *, syntax: Syntax) -> LeadCommand:
    """Read a CX lead command (what follows ``/cx`` in Slack, the message in Teams).

    Raises:
        InvalidFieldError: the command is malformed; the message says how to write it.
    """
    words = words_of(text)
    if not words or words[0].lower() in ("help", "?"):
        return LeadCommand(LeadAction.HELP)
    head, rest = words[0].lower(), words[1:]
    if head == "summary":
        period = rest[0] if rest and looks_like_period(rest[0]) else None
        return LeadCommand(
            LeadAction.SUMMARY, name=" ".join(rest[1:] if period else rest), period=period
        )
    if head == "export":
        return _parse_export(rest)
    if head == "dashboard":
        if rest:
            raise _write(syntax, "dashboard", "on its own")
        return LeadCommand(LeadAction.DASHBOARD)
    if head == "departments":
        if rest:
            raise _write(syntax, "departments", "on its own")
        return LeadCommand(LeadAction.LIST)
    if head == "prompt":
        if len(rest) < 2 or rest[0].lower() != "now":
            raise _write(syntax, "prompt now <department>")
        return LeadCommand(LeadAction.PROMPT_NOW, name=" ".join(rest[1:]))
    if head in ("settings", "lead", "leads"):
        return _parse_workspace(head, rest, syntax)
    if head == "member":
        return _parse_member(rest, syntax)
    verb = rest[0].lower() if head == "department" and rest else ""
    if verb not in ("add", "link", "pause", "resume") or len(rest) < 2:
        raise _write(syntax, "department add|link|pause|resume <name>", hint="help")
    if verb == "add":
        return _parse_add(rest[1:], syntax)
    return LeadCommand(LeadAction(verb), name=" ".join(rest[1:]))


def _parse_workspace(head: str, rest: list[str], syntax: Syntax) -> LeadCommand:
    """``settings``, ``settings stories-channel|leads-channel <here|off|#channel>``, ``leads``,
    ``lead add|remove <person>``."""
    if head == "leads" or (head == "settings" and not rest):
        if rest:
            raise _write(syntax, head, "on its own")
        return LeadCommand(LeadAction.SETTINGS)
    if head == "settings":
        which = rest[0].lower()
        if which not in CHANNEL_SETTINGS or len(rest) != 2:
            raise _write(syntax, "settings stories-channel|leads-channel here|off|#channel")
        return LeadCommand(LeadAction.SET_CHANNEL, name=which, channel=rest[1])
    verb = rest[0].lower() if rest else ""
    if verb not in ("add", "remove") or len(rest) != 2:
        raise _write(syntax, "lead add|remove @person", "(or their e-mail address)")
    action = LeadAction.LEAD_ADD if verb == "add" else LeadAction.LEAD_REMOVE
    return LeadCommand(action, name=rest[1])


def _write(syntax: Syntax, usage: str, how: str = "", *, hint: str = "") -> InvalidFieldError:
    reason = f"write {syntax.lead_command(usage)}" + (f" {how}" if how else "")
    if hint:
        reason += f" (send {syntax.lead_command(hint)} for more)"
    return InvalidFieldError(field="command", reason=reason)


def _parse_member(words: list[str], syntax: Syntax) -> LeadCommand:
    """``member <person> department <name>``: the person's primary department."""
    lowered = [word.lower() for word in words]
    at = lowered.index("department") if "department" in lowered else -1
    if at < 1 or at == len(words) - 1:
        raise _write(syntax, "member <person> department <name>")
    person = " ".join(words[:at]).strip()
    if person.startswith("<@") and person.endswith(">"):  # Slack: <@U123> or <@U123|name>
        person = person[2:-1].partition("|")[0]
    person = person.removeprefix("<at>").removesuffix("</at>")  # Teams: <at>Name</at>
    return LeadCommand(
        LeadAction.MEMBER_DEPARTMENT, name=" ".join(words[at + 1 :]), person=person.lstrip("@")
    )


def _parse_export(words: list[str]) -> LeadCommand:
    period, fmt = None, "csv"
    for word in words:
        if word.lower() in FORMATS:
            fmt = word.lower()
        elif period is None and looks_like_period(word):
            period = word
        else:
            raise InvalidFieldError(
                field="export",
                reason=f"“{word}” is neither a period (7d, 30d, 90d, quarter, "
                "2026-10-01..2026-10-31) nor a format (csv, jsonl)",
            )
    return LeadCommand(LeadAction.EXPORT, period=period, format=fmt)


def _parse_add(words: list[str], syntax: Syntax) -> LeadCommand:
    name: list[str] = []
    options: dict[str, str] = {}
    facing, channel = False, None
    index = 0
    while index < len(words):
        word = words[index]
        flag, _, inline = word.partition("=")
        if word == "--customer-facing":
            facing = True
        elif flag in _ADD_OPTIONS:
            value = inline or (words[index + 1] if index + 1 < len(words) else "")
            if not value:
                raise InvalidFieldError(field=flag.lstrip("-"), reason="give a value after it")
            options[_ADD_OPTIONS[flag]] = value
            index += 0 if inline else 1
        elif word.startswith("--"):
            raise InvalidFieldError(field=word, reason="is not an option of “department add”")
        elif word.startswith(("#", "<#")):
            channel = word
        else:
            name.append(word)
        index += 1
    if not name:
        raise InvalidFieldError(
            field="name", reason=f"e.g. {syntax.lead_command('department add Finance')}"
        )
    spec = DepartmentSpec(
        name=" ".join(name),
        customer_facing=facing,
        timezone=options.get("timezone"),
        prompt_time=options.get("prompt_time"),
        prompt_days=options.get("prompt_days"),
    )
    return LeadCommand(LeadAction.ADD, name=" ".join(name), channel=channel, spec=spec)
