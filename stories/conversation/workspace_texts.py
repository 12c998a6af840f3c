"""What Sightline says about a workspace's own settings and leads (``settings``, ``lead add``),
and the welcome on install, on both platforms."""

from __future__ import annotations

STORIES_CHANNEL = "Stories channel"
LEADS_CHANNEL = "Leads' channel"
DEFAULT_NOTE = "(the installation's default)"
NONE = "none"
NO_LEADS = "none named here"
ENV_LEADS_NOTE = "  (and those SIGHTLINE_CX_LEADS names, for every workspace)"
HERE_IN_CHANNEL = "send it in the channel you mean, with “here”"
NAME_IN_CHANNEL = "send the command in that channel, ending with “here”"
NAME_A_PERSON = "mention the person (@name) or give their e-mail address"
THIS_CHANNEL = "this channel"


def settings_title(workspace: str) -> str:
    return f"Settings for {workspace}:"


def channel_reset(label: str) -> str:
    return f"{label}: back to the installation's default."


def stories_channel_set(label: str, where: str) -> str:
    return f"{label} set: new shareable stories will be posted to {where}."


def leads_channel_set(label: str, where: str) -> str:
    return f"{label} set: the weekly digest and delivery problems will go to {where}."


def lead_added(who: str, *, added: bool) -> str:
    return f"{who} is now a CX lead here." if added else f"{who} was already a CX lead."


def lead_kept_by_environment(who: str) -> str:
    return f"{who} stays a CX lead: SIGHTLINE_CX_LEADS names them (an admin can change it)."


def lead_removed(who: str, *, removed: bool) -> str:
    return f"{who} is no longer a CX lead here." if removed else f"{who} was not a CX lead here."


# --- the welcome ---------------------------------------------------------------------------

WELCOME_TITLE = "👋 Welcome to Sightline"
WELCOME_INTRO = (
    "Sightline puts real customer stories where your company talks, so the people who never "
    "meet customers see what they go through. Three things to try:"
)
TRY_TELL = "Share a customer story: a short form, personal details masked"
TRY_SEARCH = "Find the stories colleagues shared"
TRY_HOME = "Your stories, the latest ones, your prompts"
TEAM_INTRO = (
    "Sightline brings real customer stories to this team, and asks departments that never "
    "meet customers how their work touches them."
)
TEAM_LINK = (
    "CX leads, in a department's channel: its line-of-sight prompts arrive there "
    "(the department is added if new)"
)
TEAM_TELL = "Anyone: share a customer story with the team (personal details masked)"
TEAM_SAVE = "On any message: save it as a story"
TEAM_FOOTER = "Stories told in a channel are shared with everyone who can read it."


def team_title(bot_name: str) -> str:
    return f"👋 {bot_name} is here"


def welcome_footer(help_command: str) -> str:
    return f"Send {help_command} any time for everything else."
