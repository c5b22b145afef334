"""What views may ask of the billing database: named resident queries.

The resident is filled in here from the logged-in account, never from the
request; views cannot pass it. Lists behind select boxes are cached per
resident (bounded, TTL from config, 0 = off), never shared between residents.
"""

from __future__ import annotations

import threading
import time
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
    """`rows`, remembered for this resident for cache.ttl_seconds.

    An older list (kept up to the idle timeout: a session paused longer has ended)
    is still answered at once, and read again on a thread of its own after this
    view: a resident back from a pause waits for no list, and the next view has
    the new one. Only lists of what exists (premises, accounts, periods) are
    cached; every figure is read when its page is shown.
    """
    cache: TTLCache | None = current_app.extensions.get("resident_cache")
    if cache is None:
        return rows(name, **params)
    with current_app.extensions["resident_cache_lock"]:
        hit = cache.get(_key(name, params))
    if hit is None:
        return fresh_rows(name, **params)
    read_at, found = hit
    if time.monotonic() - read_at >= current_app.config["CACHE_TTL_SECONDS"]:
        _refresh_later(name, params)
    return found


def fresh_rows(name: str, **params: Any) -> list[dict[str, Any]]:
    """`rows`, read now; the cache (when on) keeps this answer for the next views."""
    read_at = time.monotonic()
    result = rows(name, **params)
    _keep(current_app._get_current_object(), current_user.resident, name, params, read_at,
          result)
    return result


def _keep(app: Flask, resident: str, name: str, params: dict[str, Any], read_at: float,
          result: list[dict[str, Any]]) -> None:
    cache: TTLCache | None = app.extensions.get("resident_cache")
    if cache is not None:
        with app.extensions["resident_cache_lock"]:
            cache[(resident, name, tuple(sorted(params.items())))] = (read_at, result)


def _refresh_later(name: str, params: dict[str, Any]) -> None:
    """Read one stale list again on a thread of its own (one at a time per list)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    resident = current_user.resident
    slot = (resident, name, tuple(sorted(params.items())))
    pending: set = app.extensions["resident_cache_pending"]
    with app.extensions["resident_cache_lock"]:
        if slot in pending:
            return
        pending.add(slot)

    def refresh() -> None:
        try:
            with app.app_context():
                read_at = time.monotonic()
                bound = {"resident": resident_key(resident), **params}
                try:
                    result = billing().run(queries()[name], bound)
                except BillingUnavailable:
                    return  # the stale list stays; the pages say what is unavailable
                finally:
                    billing().discard()  # this thread's connection ends with it
                _keep(app, resident, name, params, read_at, result)
        finally:
            with app.extensions["resident_cache_lock"]:
                pending.discard(slot)

    threading.Thread(target=refresh, name="list-refresh", daemon=True).start()


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
        # Kept up to the idle timeout (refreshed after cache.ttl_seconds, see cached_rows).
        keep = max(ttl, app.config["SECURITY_IDLE_TIMEOUT_MINUTES"] * 60)
        app.extensions["resident_cache"] = TTLCache(app.config["CACHE_MAX_ENTRIES"], keep)
        app.extensions["resident_cache_lock"] = threading.Lock()
        app.extensions["resident_cache_pending"] = set()

    @app.teardown_request
    def _release_billing(_exc: BaseException | None) -> None:
        db.release()
