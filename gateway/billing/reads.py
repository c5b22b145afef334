"""What views may ask of the billing database: named resident queries.

The resident is filled in here from the logged-in account, never from the
request; views cannot pass it. Lists behind select boxes are cached per
resident (bounded, TTL from config, 0 = off), never shared between residents.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache
from flask import Flask, current_app
from flask_login import current_user

from ..config import ConfigError
from .driver import BillingDB, BillingUnavailable
from .queries import QuerySet

T = TypeVar("T")


def billing() -> BillingDB:
    return current_app.extensions["billing"]


def queries() -> QuerySet:
    return current_app.extensions["queries"]


def resident_key(resident: str) -> int | str:
    """Bind numeric ids as numbers so every server compares them as such."""
    return int(resident) if resident.isdigit() else resident


def rows(name: str, **params: Any) -> list[dict[str, Any]]:
    """Run resident query `name` for the logged-in resident."""
    if "resident" in params:
        raise ValueError("the resident is bound by the server, never passed in")
    if not current_user.is_authenticated:
        raise PermissionError("no resident is logged in")
    bound = {"resident": resident_key(current_user.resident), **params}
    return billing().run(queries()[name], bound)


def cached_rows(name: str, **params: Any) -> list[dict[str, Any]]:
    """`rows`, remembered for this resident for cache.ttl_seconds."""
    cache: TTLCache | None = current_app.extensions.get("resident_cache")
    if cache is None:
        return rows(name, **params)
    with current_app.extensions["resident_cache_lock"]:
        hit = cache.get(_key(name, params))
    if hit is not None:
        return hit
    return fresh_rows(name, **params)


def fresh_rows(name: str, **params: Any) -> list[dict[str, Any]]:
    """`rows`, read now; the cache (when on) keeps this answer for the next views."""
    result = rows(name, **params)
    cache: TTLCache | None = current_app.extensions.get("resident_cache")
    if cache is not None:
        with current_app.extensions["resident_cache_lock"]:
            cache[_key(name, params)] = result
    return result


def _key(name: str, params: dict[str, Any]) -> Hashable:
    """The cache slot of one resident's list (the resident from the session, always)."""
    return (current_user.resident, name, tuple(sorted(params.items())))


# Lists nearly every page needs (the header's name, the premises, the accounts):
# read once at login, so no page's first view needs more than two queries.
LOGIN_LISTS = ("resident_profile", "resident_premises", "ledger_accounts")


def warm_lists() -> None:
    """Read LOGIN_LISTS into the cache (when on); a billing outage is left for the pages.

    Skipped while the database was down or timing out in the last minute, so that
    logging in costs at most one wait for the first failure of an outage.
    """

    if current_app.extensions.get("resident_cache") is None or billing().recently_down():
        return  # an outage must not make the login wait for a timeout on top
    try:
        for name in LOGIN_LISTS:
            fresh_rows(name)
    except BillingUnavailable:
        pass  # the login goes ahead; each page says the data are unavailable


def derived(name: str, build: Callable[[list[dict[str, Any]]], T], *key: Hashable) -> T:
    """`build(cached_rows(name))`, remembered for as long as those very rows are.

    For what a page computes from a cached list (periods per premises, the
    premises' labels): the same lists gave the same answer on every view. `key`
    tells apart builds that also depend on something else (today's date). The
    result is shared between requests: callers must not change it.
    """
    source = cached_rows(name)
    cache: TTLCache | None = current_app.extensions.get("resident_cache")
    if cache is None:
        return build(source)
    slot = (current_user.resident, "derived", name, build.__qualname__, *key)
    lock: threading.Lock = current_app.extensions["resident_cache_lock"]
    with lock:
        hit = cache.get(slot)
    if hit is not None and hit[0] is source:
        return hit[1]
    value = build(source)
    with lock:
        cache[slot] = (source, value)
    return value


def forget_resident(resident: str) -> None:
    """Drop one resident's cached lists (at logout)."""
    cache: TTLCache | None = current_app.extensions.get("resident_cache")
    if cache is None:
        return
    with current_app.extensions["resident_cache_lock"]:
        for key in [k for k in list(cache.keys()) if k[0] == resident]:
            cache.pop(key, None)


def init_app(app: Flask) -> None:
    db = BillingDB(
        app.config["BILLING_CONNECTION"],
        connect_timeout=app.config["BILLING_CONNECT_TIMEOUT"],
        query_timeout=app.config["BILLING_QUERY_TIMEOUT"],
        dialect=app.config["BILLING_DIALECT"],
        max_rows=app.config["BILLING_MAX_ROWS"],
        reuse=app.config["BILLING_REUSE_CONNECTIONS"],
        max_concurrent=app.config["BILLING_MAX_CONCURRENT"],
    )
    app.extensions["billing"] = db
    if not app.config["PORTAL_QUERIES_DIR"].is_dir():
        raise ConfigError(f"portal.queries_dir: folder not found: "
                          f"{app.config['PORTAL_QUERIES_DIR']}")
    app.extensions["queries"] = QuerySet(app.config["PORTAL_QUERIES_DIR"], db.dialect,
                                         need_resident=True)
    ttl = app.config["CACHE_TTL_SECONDS"]
    if ttl > 0:
        app.extensions["resident_cache"] = TTLCache(app.config["CACHE_MAX_ENTRIES"], ttl)
        app.extensions["resident_cache_lock"] = threading.Lock()

    @app.teardown_request
    def _release_billing(_exc: BaseException | None) -> None:
        db.release()
