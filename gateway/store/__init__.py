"""The portal's own store (the only thing the portal writes): the layer's one face.

`db` opens the SQLite file and migrates it; `sessions` keeps server-side
sessions in it; `accounts`, `audit`, `passwords` and `second_factor` are published whole
(other layers call `accounts.create(...)`, `audit.record(...)`), `db` and
`sessions` only through the names below.
"""

from flask import Flask

from . import accounts, audit, passwords, second_factor
from .accounts import Account, AccountError
from .db import StoreError, backup, get_store, migrate, ping, restore, utcnow
from .db import init_app as _init_db
from .sessions import (
    StoreSessionInterface,
    account_sessions,
    end_other_sessions,
    end_session,
    handle,
    revoke_account_sessions,
    rotate,
)
from .sessions import init_app as _init_sessions


def init_app(app: Flask) -> None:
    """Open the store (migrating it) and keep the sessions in it."""
    _init_db(app)
    _init_sessions(app)


__all__ = [
    "Account", "AccountError", "StoreError", "StoreSessionInterface", "account_sessions",
    "accounts", "audit", "backup", "end_other_sessions", "end_session", "get_store", "handle",
    "init_app", "migrate", "passwords", "ping", "restore", "revoke_account_sessions", "rotate",
    "second_factor", "utcnow",
]
