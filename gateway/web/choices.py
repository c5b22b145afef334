"""Choosing what a page shows from the resident's own options, written once.

A builder asks `Choice` for each form field in turn (premises, then account or
medium, then year and month). A value that is not the resident's at all (a
foreign or non-existent id) is refused: 404 without data, logged. A value that
is the resident's but does not fit the fields chosen before it (the flat's
account after switching to the garage, a year the garage has no data for) is
replaced by the first option that fits, and the page says what was changed:
a resident who changes one select and presses "Wyślij" never dead-ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from flask import request

from . import params as P

T = TypeVar("T")


class NoData(Exception):
    """This resident has no data for these parameters: the page shows its form (404)."""

    def __init__(self, context: dict[str, Any]):
        super().__init__("no data for these parameters")
        self.context = context


class Choice:
    """The form of one page: its fields' values and what was changed to fit."""

    def __init__(self) -> None:
        self.changed: list[str] = []
        self.missing = False  # a period outside the resident's assignment was asked for
        self.chosen: dict[str, Any] = {}

    def pick(self, name: str, parse: Callable[[str], T], fitting: Sequence[T],
             theirs: Iterable[T] | None = None, *, within: Callable[[T], bool] | None = None,
             elsewhere: Callable[[T], bool] | None = None,
             describe: Callable[[T], str] = str, label: str = "") -> T:
        """The requested value of `name` if it fits, else the first fitting one.

        `fitting`: the options of this field given the fields chosen before it,
        best first. `theirs`: every id of this field the resident has at all; an
        id outside it is refused (404 without data, audited). `within`: for a
        period, whether it lies inside the resident's assignment; one outside is
        someone else's period: the page keeps its form, shows no data (404, see
        `missing`) and the audit log has it. `elsewhere`: whether such a period is
        the resident's for another of their premises (the year of the flat after
        switching to a garage held since later): replaced like any value that does
        not fit, not refused.
        """
        if within is not None and elsewhere is not None:
            inside, within = within, (lambda v: inside(v) or elsewhere(v))
        value = self._pick(name, parse, fitting, theirs, within, describe, label)
        self.chosen[name] = value
        return value

    def premises(self, options: Sequence[dict[str, Any]], theirs: Iterable[int]) -> int:
        """The `lokal` field: one of `options` (the premises with data for this page)
        among `theirs` (all the resident's premises)."""
        return self.pick("lokal", P.premises_id, [p["premises"] for p in options], theirs,
                         label="Lokal")

    def _pick(self, name, parse, fitting, theirs, within, describe, label):
        raw = request.args.get(name, "")
        if raw == "":
            return fitting[0] if fitting else None
        if len(raw) > P.MAX_PARAM:
            raise P.ParamError("Nieprawidłowa wartość w formularzu: wybierz ją z listy.")
        value = parse(raw.strip())
        if value in fitting or self.missing:
            return value
        if theirs is not None and value not in set(theirs):
            P.refuse(f"{name}={value}")
        if within is not None and not within(value):
            self.missing = True
            asked = " ".join(f"{k}={v}" for k, v in {**self.chosen, name: value}.items())
            P.audit_refused(asked)
            return value
        chosen = fitting[0]
        self.changed.append(f"{label}: brak danych dla {describe(value)} – "
                            f"pokazano {describe(chosen)}.")
        return chosen

    def context(self, **values: Any) -> dict[str, Any]:
        """The form's context; NoData (the form, no data) when `missing`."""
        context = dict(values, changed=self.changed)
        if self.missing:
            context["missing"] = True
            context["read_at"] = datetime.now()
            raise NoData(context)
        return context


class Windows:
    """When the resident holds each premises: the periods that are theirs to see."""

    def __init__(self, assignments: Iterable[dict[str, Any]], today: date):
        self.spans: dict[int, list[tuple[date, date]]] = {}
        for row in assignments:
            self.spans.setdefault(row["premises"], []).append(
                (row["date_from"], min(row["date_to"] or today, today)))

    def has_year(self, premises: int, year: int) -> bool:
        return any(start.year <= year <= end.year for start, end in self.spans.get(premises, ()))

    def has_month(self, premises: int, year: int, month: int) -> bool:
        return any((start.year, start.month) <= (year, month) <= (end.year, end.month)
                   for start, end in self.spans.get(premises, ()))

    def any_year(self, year: int) -> bool:
        """The year lies in one of the resident's assignments (to any premises)."""
        return any(self.has_year(premises, year) for premises in self.spans)

    def any_month(self, year: int, month: int) -> bool:
        return any(self.has_month(premises, year, month) for premises in self.spans)


def account_text(account: dict[str, Any]) -> str:
    return f"{account['account_no']} – {account['account_name']}"


def choose_account_year(accounts: dict[int, dict[str, Any]], options: list[dict[str, Any]],
                        premises_ids: Iterable[int], windows: Windows, kinds_first: str
                        ) -> tuple[Choice, dict[str, Any]]:
    """Księgowość and Media rozliczenia: premises, then one of its accounts, then a year.

    `options`: the premises that have such accounts; `premises_ids`: all the
    resident's premises. Returns the choice and the form context (premises,
    accounts, lokal, konto, rok, years, account).
    """
    choice = Choice()
    lokal = choice.premises(options, premises_ids)
    mine = sorted((a for a in accounts.values() if a["premises"] == lokal),
                  key=lambda a: (a["account_kind"] != kinds_first, a["account_no"]))
    konto = choice.pick("konto", P.account_id, [a["account"] for a in mine], accounts,
                        label="Konto",
                        describe=lambda k: "konta " + account_text(accounts[k])
                        if k in accounts else str(k))
    account = accounts[konto]
    years = sorted(account["years"], reverse=True)
    rok = choice.pick("rok", P.year, years, within=lambda y: windows.has_year(lokal, y),
                      elsewhere=windows.any_year, label="Rok", describe=lambda y: f"roku {y}")
    return choice, {"premises": options, "accounts": mine, "lokal": lokal, "konto": konto,
                    "rok": rok, "years": years, "account": account}
