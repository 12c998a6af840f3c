"""Secrets at rest: Slack tokens encrypted with ``SIGHTLINE_SECRET_KEY`` (Fernet).

The setting holds one or more Fernet keys separated by commas, newest first. Everything is
encrypted with the first; any of them decrypts (``MultiFernet``), so a key is rotated by
putting a new one in front, running ``sightline secrets rotate`` (which re-encrypts every
stored token with it) and then dropping the old one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stories.errors import SightlineError

# Slack tokens start with their kind (xoxb-, xoxp-, xoxe-1-…); a Fernet token never does.
PLAIN_PREFIX = "xox"


class SecretKeyError(SightlineError):
    """A stored secret cannot be read with the configured keys."""


def parse_keys(raw: str) -> list[str]:
    """The comma-separated keys of ``SIGHTLINE_SECRET_KEY``, each checked.

    Raises:
        ValueError: a key is not a Fernet key (32 url-safe base64-encoded bytes).
    """
    keys = [part.strip() for part in raw.split(",") if part.strip()]
    if not keys:
        raise ValueError("is empty; generate a key with `sightline secrets generate-key`")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64 bytes); "
                "generate one with `sightline secrets generate-key`"
            ) from None
    return keys


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Encrypts with the newest key, decrypts with any; hashes what is never read back."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._digest_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"sightline oauth state"
        ).derive(keys[0].encode("ascii"))

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str) -> str:
        """The plain value; a token stored before encryption (``xox…``) is returned as is.

        Raises:
            SecretKeyError: none of the configured keys encrypted it.
        """
        if value.startswith(PLAIN_PREFIX):
            return value
        try:
            return self._fernet.decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise SecretKeyError(
                "A Slack token in the database was encrypted with a key that is not in "
                "SIGHTLINE_SECRET_KEY: add the old key after the new one."
            ) from None

    def rotate(self, value: str) -> str:
        """The value encrypted with the newest key (a plain one is encrypted for the first time)."""
        if value.startswith(PLAIN_PREFIX):
            return self.encrypt(value)
        try:
            return self._fernet.rotate(value.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretKeyError(
                "A stored Slack token was encrypted with a key that is not in "
                "SIGHTLINE_SECRET_KEY; nothing was changed."
            ) from None

    def digest(self, value: str) -> str:
        """A keyed hash (HMAC-SHA256): for values only ever compared, never read back."""
        return hmac.new(self._digest_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
