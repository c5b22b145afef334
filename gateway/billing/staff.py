"""What the staff CLI may read: queries/staff/ on a connection of its own.

Never loaded by a view: these queries are not scoped to one resident.
"""

from __future__ import annotations

from flask import current_app

from .driver import BillingDB
from .queries import QuerySet


def staff_queries() -> QuerySet:
    """queries/staff/: never loaded by a view, only by CLI commands."""
    db: BillingDB = current_app.extensions["billing"]
    return QuerySet(current_app.config["PORTAL_QUERIES_DIR"] / "staff", db.dialect,
                    need_resident=False)


def staff_db() -> BillingDB:
    """A BillingDB for staff commands: same settings, no row cap worth hitting."""
    cfg = current_app.config
    return BillingDB(cfg["BILLING_CONNECTION"], connect_timeout=cfg["BILLING_CONNECT_TIMEOUT"],
                     query_timeout=max(cfg["BILLING_QUERY_TIMEOUT"], 60),
                     dialect=cfg["BILLING_DIALECT"], max_rows=1_000_000, reuse=False)
