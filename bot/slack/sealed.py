"""slack_sdk's SQLAlchemy stores with the secrets sealed: tokens encrypted, OAuth state hashed.

The stores build their own SQLAlchemy tables; here the token columns get a type that
encrypts on the way in and decrypts on the way out (``SealedString``), and the state column
one that stores a keyed hash (``HashedString``): a state is only ever compared, so the
plain value need not be kept at all. Every query the stores run goes through these types,
so nothing else in slack_sdk changes.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, String, Table, TypeDecorator, select, update

from bot.secret_box import SecretBox

TOKEN_COLUMNS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


class SealedString(TypeDecorator[str]):
    """A string stored encrypted (Fernet), read back in plain."""

    impl = String
    cache_ok = True

    def __init__(self, box: SecretBox) -> None:
        super().__init__(1000)
        self.box = box

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else self.box.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else self.box.decrypt(value)


class HashedString(TypeDecorator[str]):
    """A string stored as its keyed hash: comparisons work, the value cannot be read back."""

    impl = String
    cache_ok = True

    def __init__(self, box: SecretBox) -> None:
        super().__init__(200)
        self.box = box

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else self.box.digest(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return value


def _seal(table: Table, columns: tuple[str, ...], box: SecretBox) -> Table:
    for name in columns:
        table.c[name].type = SealedString(box)  # a fresh table: nothing compiled against it yet
    return table


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's installation store, with every token encrypted at rest."""

    def __init__(self, *, client_id: str, engine: Engine, box: SecretBox) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self.metadata = MetaData()
        self.installations = _seal(
            self.build_installations_table(self.metadata, self.installations.name),
            TOKEN_COLUMNS["slack_installations"],
            box,
        )
        self.bots = _seal(
            self.build_bots_table(self.metadata, self.bots.name), TOKEN_COLUMNS["slack_bots"], box
        )


class HashedOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store, keeping a keyed hash of each state instead of the state."""

    def __init__(self, *, expiration_seconds: int, engine: Engine, box: SecretBox) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine)
        self.metadata = MetaData()
        table = self.build_oauth_states_table(self.metadata, self.oauth_states.name)
        table.c["state"].type = HashedString(box)
        self.oauth_states = table


def rotate_tokens(engine: Engine, box: SecretBox) -> dict[str, int]:
    """Re-encrypt every stored token with the newest key, in one transaction.

    Tokens stored in plain (before encryption existed) are encrypted for the first time.
    Returns how many values changed per table.

    Raises:
        SecretKeyError: a token was encrypted with a key no longer configured (nothing changes).
    """
    metadata = MetaData()
    changed: dict[str, int] = {}
    with engine.begin() as connection:
        for name, columns in TOKEN_COLUMNS.items():
            table = Table(name, metadata, autoload_with=connection)
            changed[name] = 0
            for row in connection.execute(select(table.c.id, *(table.c[c] for c in columns))):
                values = {
                    column: box.rotate(row._mapping[column])
                    for column in columns
                    if row._mapping[column] is not None
                }
                if values:
                    connection.execute(update(table).where(table.c.id == row.id).values(**values))
                    changed[name] += len(values)
    return changed
