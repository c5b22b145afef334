"""Password guessing: growing waits per login and address, a ceiling per login, a
throttle per address (ASVS 2.2.1, NIST SP 800-63B-4 3.2.2).

A stranger who knows a login must not be able to keep its resident out. So the
waits are counted for one login *from one address*: after `security.max_failures`
failed attempts from an address, that address waits before its next try on that
login, first `security.first_delay_seconds`, doubling with every further failure
up to `security.lockout_minutes`. The resident on their own phone or PC is not
held back by it. Many addresses together (a botnet) still get at most
`security.account_max_failures_per_hour` tries an hour on one login (≤ 100);
beyond that the login waits for everyone until the oldest failure of the hour
ages out. Failures are kept `security.failure_window_minutes`, then forgotten.

Counted by the login *as typed* (normalised), whether or not an account has it:
an unknown login waits after the same failures as a real one, so the answer
never tells a stranger which logins exist. The per-address throttle (across all
logins) is the older `address_failures` table.
"""

from __future__ import annotations

import time

from flask import current_app

from .db import get_store

HOUR = 3600.0


def _now() -> float:
    return time.time()


def _settings() -> tuple[int, float, float, float, int]:
    cfg = current_app.config
    return (cfg["SECURITY_MAX_FAILURES"], float(cfg["SECURITY_FIRST_DELAY_SECONDS"]),
            cfg["SECURITY_LOCKOUT_MINUTES"] * 60.0, cfg["SECURITY_FAILURE_WINDOW_MINUTES"] * 60.0,
            cfg["SECURITY_ACCOUNT_MAX_FAILURES_PER_HOUR"])


def wait_after(failures: int) -> float:
    """Seconds to wait after this many failures from one address on one login."""
    free, first, longest, _, _ = _settings()
    if failures < free:
        return 0.0
    return min(longest, first * 2.0 ** min(failures - free, 30))


def blocked_until(login: str, address: str | None) -> float | None:
    """When this address may try this login again; None when it may now."""
    free, _, _, window, ceiling = _settings()
    now = _now()
    store = get_store()
    count, last = store.execute(
        "SELECT COUNT(*), MAX(at) FROM login_failures WHERE login = ? AND address = ? AND at >= ?",
        (login, address or "", now - window)).fetchone()
    until = last + wait_after(count) if count and count >= free else 0.0
    in_hour = store.execute(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE login = ? AND at >= ?",
        (login, now - HOUR)).fetchone()
    if in_hour[0] >= ceiling:
        # The oldest of the hour's failures leaves the window then: one more try.
        oldest = store.execute(
            "SELECT at FROM login_failures WHERE login = ? AND at >= ? ORDER BY at DESC"
            " LIMIT 1 OFFSET ?", (login, now - HOUR, ceiling - 1)).fetchone()[0]
        until = max(until, oldest + HOUR)
    return until if until > now else None


def note_failure(login: str, address: str | None) -> float | None:
    """Count a failed attempt; returns when the next may come if it must wait."""
    _, _, _, window, _ = _settings()
    now = _now()
    store = get_store()
    store.execute("DELETE FROM login_failures WHERE at < ?", (now - max(window, HOUR),))
    store.execute("INSERT INTO login_failures (login, address, at) VALUES (?, ?, ?)",
                  (login, address or "", now))
    return blocked_until(login, address)


def clear(login: str, address: str | None = None) -> None:
    """A successful login clears its own address's failures (staff: every address)."""
    if address is None:
        get_store().execute("DELETE FROM login_failures WHERE login = ?", (login,))
    else:
        get_store().execute("DELETE FROM login_failures WHERE login = ? AND address = ?",
                            (login, address))


def address_blocked(address: str | None) -> bool:
    cfg = current_app.config
    since = _now() - cfg["SECURITY_ADDRESS_WINDOW_MINUTES"] * 60
    store = get_store()
    store.execute("DELETE FROM address_failures WHERE at < ?", (since,))
    count = store.execute("SELECT COUNT(*) FROM address_failures WHERE address = ? AND at >= ?",
                          (address or "", since)).fetchone()[0]
    return count >= cfg["SECURITY_ADDRESS_MAX_FAILURES"]


def note_address_failure(address: str | None) -> None:
    get_store().execute("INSERT INTO address_failures (address, at) VALUES (?, ?)",
                        (address or "", _now()))
