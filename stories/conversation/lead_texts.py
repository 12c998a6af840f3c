"""What Sightline says to CX leads, on both platforms (commands are spelt per platform by
:class:`stories.conversation.texts.Syntax`)."""

from __future__ import annotations

from stories.conversation.texts import Syntax

LEAD_COMMANDS = "CX lead commands"


def lead_help(syntax: Syntax) -> tuple[tuple[str, str], ...]:
    channel = " [#channel]" if syntax.channel_mentions else ""
    return (
        (
            syntax.lead_command("summary [7d|30d|90d|quarter|2026-10-01..2026-10-31] [department]"),
            f"Figures and chart for a period, sent to you in {syntax.private_place} "
            "(default: last 30 days)",
        ),
        (
            syntax.lead_command("export [period] [csv|jsonl]"),
            f"The period's stories, answers and engagement as files, in {syntax.private_place}",
        ),
        (syntax.lead_command("departments"), "List departments and their prompt schedules"),
        (syntax.lead_command("dashboard"), "A one-time link to the web dashboard, for you alone"),
        (
            syntax.lead_command(
                f"department add <name>{channel} [--customer-facing] [--time 09:30] "
                "[--tz Europe/London] [--days mon-fri]"
            ),
            "Add a department",
        ),
        (
            syntax.lead_command("department link <name>"),
            "Sent in a department's channel: its prompts go there (added if new)",
        ),
        (
            syntax.lead_command("department pause <name>")
            + " / "
            + syntax.lead_command("department resume <name>"),
            "Stop or restart its prompts",
        ),
        (syntax.lead_command("prompt now <name>"), "Send that department a prompt now"),
        (syntax.lead_command("settings"), "This workspace's channels and CX leads"),
        (
            syntax.lead_command(f"settings stories-channel|leads-channel here|off{channel}"),
            "Where new shareable stories, or the digest and delivery problems, go",
        ),
        (
            syntax.lead_command("lead add|remove @person"),
            "Name or remove a CX lead of this workspace (or give their e-mail address)",
        ),
        (
            syntax.lead_command("member <person> department <name>"),
            "Set the department a person's stories and answers count for",
        ),
    )


def lead_refusal(syntax: Syntax) -> str:
    return (
        "Sorry, that command is for CX leads. Ask one of them, or send "
        f"{syntax.member_command('help')} to see what you can do."
    )


def departments_title(count: int) -> str:
    return f"Departments ({count})"


def no_departments(syntax: Syntax) -> str:
    return f"No departments yet. Add one: {syntax.lead_command('department add Finance')}."


CUSTOMER_FACING = "customer-facing, not prompted"
NO_CHANNEL = "no channel yet"
PAUSED = "paused"


def department_added(
    name: str, schedule: str, *, facing: bool, linked: bool, syntax: Syntax
) -> str:
    if facing:
        return f"✅ Added {name}. Customer-facing departments are not sent prompts."
    if linked:
        return f"✅ Added {name}: prompts {schedule}, in its channel."
    link = syntax.lead_command(f"department link {name}")
    return f"✅ Added {name}: prompts {schedule}. Send {link} in its channel so they reach it."


def department_linked(name: str, schedule: str, *, facing: bool, created: bool) -> str:
    added = "Added and linked" if created else "Linked"
    if facing:
        return f"✅ {added} {name}. It is customer-facing, so it is not sent prompts."
    return f"✅ {added} {name}: its prompts come to this channel, {schedule}."


LINK_IN_CHANNEL = "send it in the department's channel, not in a direct message"


def paused(name: str, *, paused: bool) -> str:
    return f"Prompts for {name} are {'paused ⏸️' if paused else 'resumed ▶️'}."


def prompt_sent(name: str) -> str:
    return f"✅ Sent {name} a prompt in its channel."


def prompt_not_sent(name: str, reason: str) -> str:
    return f"⚠️ The prompt for {name} was not sent: {reason}."


def prompt_no_channel(name: str, syntax: Syntax) -> str:
    return (
        f"⚠️ {name} has no channel yet: send "
        f"{syntax.lead_command(f'department link {name}')} in its channel."
    )


PROMPTS_OFF = "Prompts are switched off in this installation."


def summary_sent(label: str, syntax: Syntax) -> str:
    return f"📬 Sent you the summary ({label}) in {syntax.private_place}."


def summary_sent_without_chart(label: str, syntax: Syntax, error: str) -> str:
    return (
        f"📬 Sent you the summary ({label}) in {syntax.private_place}, but its chart could not "
        f"be attached ({error})."
    )


def export_sent(label: str, fmt: str, syntax: Syntax) -> str:
    return f"📬 Sent you the export ({label}, {fmt}) in {syntax.private_place}."


def export_comment(label: str, counts: str) -> str:
    return f"Sightline export, {label}: {counts}."


def export_failed(error: str) -> str:
    return (
        f"⚠️ The export could not be delivered ({error}). An admin can run "
        "“sightline stories export” instead."
    )


def cannot_reach_privately(syntax: Syntax) -> str:
    return (
        "⚠️ I cannot reach you privately yet: open a chat with Sightline, send "
        f"{syntax.member_command('help')} there, then ask again."
    )


CHART_FOLLOWS = "📈 The chart follows this message."
NO_CHART_URL = (
    "The chart is not shown: this installation has no public address "
    "(SIGHTLINE_PUBLIC_URL). `sightline summary --chart out.png` draws it."
)


def member_department(person: str, department: str) -> str:
    return (
        f"{person} now counts for {department}: their stories and answers from now on, "
        "whatever channels they are in."
    )
