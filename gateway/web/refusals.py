"""What a refused login says: the same words after the password and after the
second factor's code, for a real login and an unknown one alike (22.3)."""

from __future__ import annotations

import math

from flask import current_app

from .formats import local_moment

FAILED = ("Nieprawidłowy login lub hasło. Po kilku nieudanych próbach logowanie jest "
          "czasowo wstrzymywane — w razie kłopotów zgłoś się do spółdzielni.")


def waiting(until: float | None) -> str:
    """The login waits after several failures: when the next try may come."""
    office = current_app.config["PORTAL_OFFICE"]
    if until is None:
        return FAILED
    at = local_moment(math.ceil(until / 60) * 60)  # a whole minute, never too early
    return (f"Po kilku nieudanych próbach logowanie na ten login jest czasowo "
            f"zablokowane. Spróbuj ponownie po {at.replace(', ', ', godz. ')}. "
            f"Jeśli nie pamiętasz hasła, zgłoś się do spółdzielni: {office}.")


def staff_locked() -> str:
    cfg = current_app.config
    hours = f" ({cfg['PORTAL_OFFICE_HOURS']})" if cfg["PORTAL_OFFICE_HOURS"] else ""
    phone = f", tel. {cfg['PORTAL_OFFICE_PHONE']}" if cfg["PORTAL_OFFICE_PHONE"] else ""
    return (f"To konto zostało zablokowane przez spółdzielnię. Aby je odblokować, "
            f"zgłoś się do: {cfg['PORTAL_OFFICE']}{hours}{phone}.")
