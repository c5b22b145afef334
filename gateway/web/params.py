"""Request parameters of the resident pages: parse, check against the resident's options.

A malformed value (`rok=abc`, `miesiac=13`, 10 kB) is a ParamError: the page
shows a Polish form error (400). A well-formed value that is not among the
resident's own options (another resident's premises, a year after the
assignment ended) is a 404 that reveals nothing, logged as refused access.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date

from flask import abort, request

from ..store import audit

MAX_PARAM = 40


class ParamError(Exception):
    """A request parameter is malformed; the message is Polish, for the form."""


def _int(label: str, low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        if not re.fullmatch(r"[0-9]{1,9}", raw):  # ASCII only: \d takes '٢٠٢٥' too
            raise ParamError(f"{label}: podaj liczbę.")
        value = int(raw)
        if not low <= value <= high:
            raise ParamError(f"{label}: wartość spoza zakresu {low}–{high}.")
        return value

    return parse


premises_id = _int("Lokal", 1, 999_999_999)
account_id = _int("Konto", 1, 999_999_999)
year = _int("Rok", 1900, 2100)
month = _int("Miesiąc", 1, 12)


def medium(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{1,3}", raw):
        raise ParamError("Medium: wybierz medium z listy.")
    return raw.upper()


def audit_refused(detail: str) -> None:
    """The audit log keeps what was asked that is not the resident's."""
    from flask_login import current_user

    audit.record("access_refused", current_user.login, detail=f"{request.path} {detail}"[:200])


def refuse(detail: str) -> None:
    """404 without data for a value that is not the resident's, audited."""
    audit_refused(detail)
    abort(404)


def month_range(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def year_range(y: int) -> tuple[date, date]:
    return date(y, 1, 1), date(y, 12, 31)
