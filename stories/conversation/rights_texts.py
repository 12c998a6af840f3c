"""What Sightline says about a person's own data (export, erasure), on both platforms."""

from __future__ import annotations

from stories.conversation.texts import Syntax

RETRACTED_STORY = "This story was removed at its teller's request."
RETRACTED_PROMPT = "The story in this prompt was removed at its teller's request."
MY_DATA_SENT = "Here is everything Sightline keeps about you, as a JSON file."
MY_DATA_COMMENT = "Your Sightline data: every story you told, answer you gave and mark you made."
ERASED = (
    "Done: Sightline has erased your answers, your marks and your member record, and {stories} "
    "Posts of the bot's that carried your words are being removed."
)
STORIES_DELETED = "deleted the stories you told."
STORIES_KEPT = "kept the shared stories you told without your name, as this workspace chose."
NOTHING_TO_ERASE = "Sightline keeps nothing about you here."


def forget_me_confirm(syntax: Syntax) -> str:
    return (
        "This erases everything Sightline keeps about you in this workspace: your answers, "
        "your \u201cThis resonates\u201d and \u201cnot relevant\u201d marks, your member record, "
        "and the stories you told (deleted, or the shared ones kept without your name if your "
        "workspace chose so). It cannot be undone. To go ahead, send "
        f"{syntax.member_command('forget-me confirm')}."
    )


def erased(*, stories_kept: bool) -> str:
    return ERASED.format(stories=STORIES_KEPT if stories_kept else STORIES_DELETED)
