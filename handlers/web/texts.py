"""Every sentence the dashboard says about signing in, in one place."""

from __future__ import annotations

from stories.dashboard.signin import Refusal

HOW_TO_SIGN_IN = (
    "Ask Sightline for a sign-in link: send /cx dashboard in Slack, or dashboard in your chat "
    "with Sightline in Microsoft Teams. The dashboard is for CX leads."
)
SIGNED_OUT = ("Signed out", "You are signed out. " + HOW_TO_SIGN_IN)
NOT_SIGNED_IN = ("Please sign in", "This page is for signed-in CX leads. " + HOW_TO_SIGN_IN)
REFUSALS = {
    Refusal.INVALID: (
        "This sign-in link does not work",
        "The link is incomplete or was not made by this Sightline. " + HOW_TO_SIGN_IN,
    ),
    Refusal.EXPIRED: (
        "This sign-in link has expired",
        "Sign-in links work for 10 minutes. " + HOW_TO_SIGN_IN,
    ),
    Refusal.USED: (
        "This sign-in link was already used",
        "Each link works once. If it was not you who used it, tell your Sightline admin. "
        + HOW_TO_SIGN_IN,
    ),
}
FORM_EXPIRED = (
    "Please try again",
    "That form had expired or did not come from this dashboard, so nothing was changed.",
)
NOT_FOUND = ("Not found", "There is nothing here in your workspace.")
