"""Teams CX lead commands, parsed here and carried out in bot/teams.py.

`summary [period] [department]`, `departments`, `department add|link|pause|resume <name>`
and `prompt now <name>`, in a personal chat or with @Sightline in a channel.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from stories.departments import DepartmentSpec
from stories.errors import InvalidFieldError
from stories.periods import looks_like_period

LEAD_WORDS = frozenset({"summary", "departments", "department", "prompt"})
_TYPOGRAPHY = str.maketrans({"\u00a0": " ", "“": '"', "”": '"', "—": "--", "–": "--"})
_ADD_OPTIONS = {"--time": "prompt_time", "--tz": "timezone", "--days": "prompt_days"}


@dataclass(frozen=True)
class LeadCommand:
    """A parsed lead command; ``action`` is summary, list, add, link, pause, resume, prompt_now."""

    action: str
    name: str = ""
    period: str | None = None  # as typed; parsed against the clock where it is used
    spec: DepartmentSpec | None = None


def _words(text: str) -> list[str]:
    # Teams turns quotes and double hyphens into typographic ones; only " quotes, so that
    # a name such as Women's Health needs no quoting.
    lexer = shlex.shlex(text.translate(_TYPOGRAPHY), posix=True)
    lexer.whitespace_split, lexer.quotes, lexer.escape = True, '"', ""
    try:
        return list(lexer)
    except ValueError:
        raise InvalidFieldError(field="command", reason="a quote is not closed") from None


def parse_lead_command(text: str, *, default_timezone: str) -> LeadCommand:
    """Read a lead command; its first word is one of :data:`LEAD_WORDS`.

    Raises:
        InvalidFieldError: the command is malformed; the message says how to write it.
    """
    words = _words(text)
    head, rest = words[0].lower(), words[1:]
    if head == "summary":
        period = rest[0] if rest and looks_like_period(rest[0]) else None
        return LeadCommand("summary", name=" ".join(rest[1:] if period else rest), period=period)
    if head == "departments":
        if rest:
            raise InvalidFieldError(field="command", reason="write “departments” on its own")
        return LeadCommand("list")
    if head == "prompt":
        if len(rest) < 2 or rest[0].lower() != "now":
            raise InvalidFieldError(field="command", reason="write “prompt now <department>”")
        return LeadCommand("prompt_now", name=" ".join(rest[1:]))
    verb = rest[0].lower() if rest else ""
    if verb not in ("add", "link", "pause", "resume") or len(rest) < 2:
        raise InvalidFieldError(
            field="command",
            reason="write “department add|link|pause|resume <name>” (send “help” for more)",
        )
    if verb != "add":
        return LeadCommand(verb, name=" ".join(rest[1:]))
    return _parse_add(rest[1:], default_timezone=default_timezone)


def _parse_add(words: list[str], *, default_timezone: str) -> LeadCommand:
    name: list[str] = []
    options: dict[str, str] = {"timezone": default_timezone}
    facing = False
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
        else:
            name.append(word)
        index += 1
    if not name:
        raise InvalidFieldError(field="name", reason="e.g. “department add Finance”")
    spec = DepartmentSpec(
        name=" ".join(name),
        customer_facing=facing,
        timezone=options["timezone"],
        prompt_time=options.get("prompt_time"),
        prompt_days=options.get("prompt_days"),
    )
    return LeadCommand("add", name=" ".join(name), spec=spec)
