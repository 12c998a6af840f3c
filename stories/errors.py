"""Typed domain errors. Handlers turn these into friendly text for people."""


class SightlineError(Exception):
    """Base class: the message is safe to show to the person who caused it."""


class ValidationError(SightlineError):
    """Input was rejected; nothing was stored."""


class EmptyStoryError(ValidationError):
    def __init__(self) -> None:
        super().__init__(
            "The story is empty. Write what happened to the customer, in a sentence or two."
        )


class StoryTooShortError(ValidationError):
    def __init__(self, *, minimum: int) -> None:
        super().__init__(
            f"That story is too short to help anyone (under {minimum} characters). "
            "Say what the customer tried to do and what happened."
        )
        self.minimum = minimum


class StoryTooLongError(ValidationError):
    def __init__(self, *, length: int, maximum: int) -> None:
        super().__init__(
            f"That story is {length:,} characters; the limit is {maximum:,}. "
            "Trim it to the moment that matters most."
        )
        self.length = length
        self.maximum = maximum


class InvalidFieldError(ValidationError):
    def __init__(self, *, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFoundError(SightlineError):
    def __init__(self, *, kind: str, key: object) -> None:
        super().__init__(f"No {kind} found for {key!r}.")
        self.kind = kind
        self.key = key


class DuplicateError(SightlineError):
    def __init__(self, *, kind: str, key: object) -> None:
        super().__init__(f"A {kind} named {key!r} already exists.")
        self.kind = kind
        self.key = key


class PermissionDeniedError(SightlineError):
    def __init__(self, action: str) -> None:
        super().__init__(f"Sorry, only the author or a CX lead can {action}.")
        self.action = action


class NoWorkspaceError(NotFoundError):
    def __init__(self) -> None:
        SightlineError.__init__(
            self,
            "There are no stories yet. Add one with `sightline stories add`, "
            "or load examples with `sightline demo-data`.",
        )
        self.kind = "workspace"
        self.key = None


class AmbiguousWorkspaceError(SightlineError):
    def __init__(self, *, choices: list[str]) -> None:
        listed = ", ".join(choices)
        super().__init__(f"Several workspaces exist ({listed}); choose one with --workspace.")
        self.choices = choices


class InvalidSearchError(ValidationError):
    def __init__(self) -> None:
        super().__init__("Search needs at least one word, e.g. `refund delay`.")


class PromptLibraryError(SightlineError):
    """config/prompts.toml or config/touchpoints.toml is missing or malformed."""


class NoPromptSenderError(SightlineError):
    def __init__(self, *, department: str) -> None:
        super().__init__(
            f"No chat platform can deliver prompts to {department}: no Slack or Teams sender "
            "is configured for its channel. Configure Slack (SLACK_BOT_TOKEN) or Teams "
            "(MICROSOFT_APP_ID), and link the department with `sightline departments edit "
            f"{department} --slack-channel C…` or `--teams-conversation …`. Nothing was sent."
        )
        self.department = department


class AnswerClosedError(ValidationError):
    def __init__(self) -> None:
        super().__init__("This prompt was not delivered, so it cannot take answers.")


class WorkspaceInactiveError(ValidationError):
    """The app was removed from this workspace: nothing is stored or shown until it returns."""

    def __init__(self) -> None:
        super().__init__(
            "Sightline was removed from this workspace, so it is not saving or showing stories "
            "here. Nothing was stored. An administrator can add the app again."
        )
