"""Every sentence Sightline says in chat, in one place and one voice, for both platforms.

Texts are plain: each renderer escapes them for its own markup. Commands are quoted with
“curly quotes”, which read the same in Slack and Teams; :class:`Syntax` supplies how each
platform spells a command (``/story search`` in Slack, ``search`` in Teams).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Syntax:
    """How a platform spells commands and names the private place it answers in."""

    capture: str  # how a story is told: "/story " in Slack, "story " in Teams
    member: str  # prefix of other member commands: "/story " in Slack, "" in Teams
    lead: str  # prefix of lead commands: "/cx " in Slack, "" in Teams
    private_place: str  # where private answers go: "a direct message", "your chat with Sightline"
    channel_mentions: bool  # can a lead name a channel in a command (Slack's #channel)?

    def member_command(self, words: str = "") -> str:
        return f"“{(self.member + words).strip()}”"

    def tell(self, words: str = "") -> str:
        """The command that tells a story (alone: opens the form)."""
        return f"“{(self.capture + words).strip()}”"

    def lead_command(self, words: str) -> str:
        return f"“{(self.lead + words).strip()}”"


SLACK = Syntax(
    capture="/story ",
    member="/story ",
    lead="/cx ",
    private_place="a direct message",
    channel_mentions=True,
)
TEAMS = Syntax(
    capture="story ",
    member="",
    lead="",
    private_place="your chat with Sightline",
    channel_mentions=False,
)


def syntax_for(platform: str) -> Syntax:
    """How commands are spelt on a platform (Slack's slash commands, Teams' plain words)."""
    return SLACK if platform == "slack" else TEAMS


# --- capture and stories -------------------------------------------------------------------

CAPTURED = "✅ Story saved. Thank you!"
ALREADY_SAVED = "ℹ️ That story was already saved."
UPDATED = "✏️ Story updated."
DELETED = "🗑️ Story deleted."
DELETED_POST = "This story was deleted by its author or a CX lead."
UNSHARED_POST = "This story is no longer shared."
RANDOM = "🎲 A customer story"
SHARED_STORY = "📣 A customer story"
STORY_GONE = "That story no longer exists."
FORM_TITLE = "Customer story"
SAVE_MESSAGE = "Save as customer story"  # the message action, on both platforms
EDIT_TITLE = "Edit story"
FORM_SUBMIT = "Save"
FORM_STORY = "What happened to the customer?"
FORM_STORY_HINT = "Names, emails, phone and card numbers are masked before saving."
FORM_STORY_PLACEHOLDER = "A sentence or two: what they tried, what happened, how it felt."
FORM_LABEL = "Customer or segment"
FORM_LABEL_PLACEHOLDER = "e.g. small bakery, enterprise retail"
FORM_TOUCHPOINT = "Touchpoint"
FORM_TOUCHPOINT_PLACEHOLDER = "e.g. billing, onboarding, refunds"
FORM_EMOTION = "How did the customer feel?"
FORM_EMOTION_PLACEHOLDER = "Choose a feeling"
FORM_SHARE = "Sharing"
EMOTIONS = {
    "delighted": "😍 Delighted",
    "happy": "🙂 Happy",
    "neutral": "😐 Neutral",
    "confused": "😕 Confused",
    "frustrated": "😤 Frustrated",
    "angry": "😡 Angry",
    "anxious": "😟 Anxious",
}
RESONATE = "🙌 This resonates"
RESONATED = "🙌 Thank you: this story resonated with you."
ALREADY_RESONATED = "You already said this story resonates with you."
READ_FULL = "Read the full story"
EDIT = "Edit"
DELETE = "Delete"
FROM_MESSAGE = "original message"
LABELS = {
    "customer": "Customer",
    "touchpoint": "Touchpoint",
    "emotion": "Feeling",
    "teller": "From",
    "department": "Dept",
}


def captured(*, created: bool, redactions: int) -> str:
    heading = CAPTURED if created else ALREADY_SAVED
    if redactions == 1:
        heading += " 1 personal detail was masked before saving."
    elif redactions > 1:
        heading += f" {redactions} personal details were masked before saving."
    return heading


def resonated_with(tally: tuple[tuple[str, int], ...]) -> str:
    return "Resonated with: " + ", ".join(f"{name} {count}" for name, count in tally)


def resonates_label(count: int) -> str:
    return RESONATE + (f" ({count})" if count else "")


def saved_from_reaction(reactor: str, syntax: Syntax) -> str:
    return (
        f"📌 Saved as a customer story (thanks {reactor}). Find it with "
        f"{syntax.member_command('search')} or in the app's Home tab."
    )


def reaction_not_saved(reason: str) -> str:
    return f"⚠️ Could not save that message: {reason}"


# --- search, random, home --------------------------------------------------------------------


def search_heading(query: str, first: int, last: int) -> str:
    return f"🔎 Stories matching “{query}” ({first}–{last})"


def search_empty(query: str, *, first_page: bool) -> str:
    lead = f"No stories match “{query}”." if first_page else "No more stories match."
    return lead + " Try fewer or different words."


def no_stories(syntax: Syntax) -> str:
    return f"No stories yet. Be the first: {syntax.tell('<what happened>')}."


def home_intro(syntax: Syntax) -> str:
    return (
        f"Save one with {syntax.tell('<what happened>')} or the message action "
        "“Save as customer story”."
    )


HOME_TITLE = "Customer stories"
HOME_OWN = "Your stories"
HOME_OWN_EMPTY = "You have not saved a story yet."
HOME_LATEST = "Latest stories"
HOME_LATEST_EMPTY = "No stories yet."
HOME_PROMPTS_EMPTY = "No prompts yet."
HOME_UPDATED = "🏠 Your Home tab is up to date: open Sightline's Home tab to see it."


def home_prompts(department: str) -> str:
    return f"{department}: prompts"


# --- help ------------------------------------------------------------------------------------

HELP_INTRO = "Sightline brings real customer stories to everyone."


def member_help(syntax: Syntax, *, slack: bool) -> tuple[tuple[str, str], ...]:
    """What members can do; Slack also has reactions and the Home tab."""
    home = "Your stories, the latest ones and your department's prompts"
    entries = [
        (syntax.tell("<what happened>"), "Save a story at once (personal details are masked)"),
        (syntax.tell(), "On its own: a form with customer, touchpoint, feeling, sharing"),
        (
            syntax.member_command("search <words>"),
            "Find stories; “exact phrase”, -exclude and or work",
        ),
        (syntax.member_command("random"), "Show one story"),
        (syntax.member_command("home"), home + (" (also in the Home tab)" if slack else "")),
        (syntax.member_command("help"), "Show this help"),
        (syntax.member_command("my-data"), "Everything Sightline keeps about you, as a file"),
        (syntax.member_command("forget-me"), "Erase what Sightline keeps about you (asks first)"),
        ("More actions → Save as customer story", "On any message: save it as a story"),
    ]
    if slack:
        entries.append(("React with the story emoji", "Saves a message for everyone, once"))
    return tuple(entries)


HELP_FOOTER = (
    "Your own stories have Edit and Delete buttons; CX leads can manage all. Stories told in "
    "a private place stay private unless you tick Share."
)

MORE = "More"


def warning(text: str) -> str:
    return text if text.startswith("⚠️") else f"⚠️ {text}"


SORRY = "Sorry, something went wrong on our side. Please try again in a moment."
