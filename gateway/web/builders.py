"""What each resident page shows: the form's choices, the period, the rows.

Each `*_page()` takes its parameters through a `Choice` (choices.py), runs at
most two uncached billing queries, and returns the template context; "this
resident has no data for these parameters" is `NoData`, which the view turns
into the 404 that keeps the form. Select lists come from resident-scoped
queries (cached per resident); the data query is itself scoped by
`:resident`, so an id that is not the resident's matches nothing even if it
slipped past the options.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..billing import (
    KINDS,
    cached_rows,
    derived,
    forget_resident,
    fresh_rows,
    person_name,
    premises_label,
    rows,
)
from . import charts
from . import params as P
from .choices import Choice, NoData, Windows, choose_account_year
from .payments import accounts_due, transfer_code

READING_KINDS = {"O": "odczyt", "S": "szacunek (odczyt szacunkowy)", "W": "wymiana licznika"}
MEDIA_ORDER = ("ZW", "CW", "CO")
ZERO = Decimal("0.00")


def _stamp(context: dict[str, Any]) -> dict[str, Any]:
    context["read_at"] = datetime.now()
    return context


def _gone(context: dict[str, Any]) -> NoData:
    """The (cached) lists offered this period but the scoped data query has nothing.

    The billing data changed (an assignment ended, a document was withdrawn): the
    resident's cached lists are stale, so drop them; the next page offers only
    what exists. This page shows the form and no data (404).
    """
    from flask_login import current_user

    forget_resident(current_user.resident)
    return NoData(_stamp(dict(context, missing=True)))


def _labelled(found: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    out = []
    for row in found:
        item = dict(row, label=premises_label(row), kind_name=KINDS.get(row["kind"], "Lokal"),
                    active=row["date_to"] is None or row["date_to"] >= today)
        out.append(item)
    out.sort(key=lambda r: (not r["active"], r["kind"] != "M", r["register_no"], r["date_from"]))
    return out


def assignments(fresh: bool = False) -> list[dict[str, Any]]:
    """Every assignment, active first, each with its label and an `active` flag."""
    today = date.today()
    if fresh:
        return _labelled(fresh_rows("resident_premises"), today)
    return derived("resident_premises", lambda found: _labelled(found, today), today)


def premises_options(with_data: set[int] | None = None) -> list[dict[str, Any]]:
    """One entry per premises (a resident may have several assignments to one)."""
    seen: dict[int, dict[str, Any]] = {}
    for row in assignments():
        if row["premises"] not in seen and (with_data is None or row["premises"] in with_data):
            seen[row["premises"]] = row
    return list(seen.values())


def _rent_months(found: list[dict[str, Any]]) -> dict[int, set[date]]:
    months: dict[int, set[date]] = defaultdict(set)
    for row in found:
        months[row["premises"]].add(row["period"])
    return dict(months)


def profile() -> dict[str, Any] | None:
    found = cached_rows("resident_profile")
    return found[0] if found else None


def display_name() -> str | None:
    person = profile()
    return person_name(person) if person else None


def _premises_ids() -> list[int]:
    """Every premises the resident has (had) an assignment to: theirs, data or not."""
    return [p["premises"] for p in premises_options()]


def _windows_of_assignments() -> Windows:
    today = date.today()
    return derived("resident_premises", lambda found: Windows(found, today), "windows", today)


# ---- pages -------------------------------------------------------------------

def personal_page() -> dict[str, Any]:
    # Read now, not from the cache: this page's data *is* the profile and the
    # assignments, and "Stan na …" promises them as of this moment. (What is read
    # also refreshes the cache, so the page header needs no third query.)
    person = fresh_rows("resident_profile")
    return _stamp({"person": person[0] if person else None,
                   "assignments": assignments(fresh=True)})


def rent_page() -> dict[str, Any]:
    months = derived("rent_periods", _rent_months)
    options = premises_options(set(months))
    if not options:
        return _stamp({"premises": options})
    choice = Choice()
    lokal = choice.premises(options, _premises_ids())
    periods = months[lokal]
    years = sorted({p.year for p in periods}, reverse=True)
    windows = _windows_of_assignments()
    rok = choice.pick("rok", P.year, years, within=lambda y: windows.has_year(lokal, y),
                      elsewhere=windows.any_year, label="Rok", describe=lambda y: f"roku {y}")
    month_list = (sorted({p.month for p in periods if p.year == rok})
                  or sorted({p.month for p in periods if p.year == years[0]}))
    miesiac = choice.pick("miesiac", P.month, month_list[::-1],
                          within=lambda m: windows.has_month(lokal, rok, m),
                          elsewhere=lambda m: windows.any_month(rok, m), label="Miesiąc",
                          describe=lambda m: f"miesiąca {m}")
    ctx = choice.context(premises=options, lokal=lokal, rok=rok, miesiac=miesiac,
                         years=years, months=month_list)
    date_from, date_to = P.month_range(rok, miesiac)
    # One query for the month's table and the chart's 24 months (the table's rows
    # are the last month's): the page makes no more queries than without the chart.
    history = rows("rent_components", premises=lokal, date_to=date_to,
                   date_from=charts.months_back(date_from, 24)[0])
    components = [c for c in history if c["period"] >= date_from]
    if not components:
        raise _gone(ctx)
    ctx["chart"], ctx["changes"] = charts.rent_chart(history, date_from) or (None, [])
    net = sum((c["amount"] for c in components), ZERO)
    vat = sum((c["vat"] or ZERO for c in components), ZERO)
    return _stamp(dict(ctx, components=components, net=net, vat=vat, total=net + vat,
                       due=date(rok, miesiac, 10)))


def _account_windows() -> dict[int, dict[str, Any]]:
    """Accounts the resident may see, with the years each can be viewed for."""
    today = date.today()
    return derived("ledger_accounts", lambda found: _windows(found, today), today)


def _windows(found: list[dict[str, Any]], today: date) -> dict[int, dict[str, Any]]:
    accounts: dict[int, dict[str, Any]] = {}
    for row in found:
        if row["first_entry"] is None:
            continue  # an account with no documents at all has nothing to show
        start = max(row["opened"], row["assigned_from"], date(row["first_entry"].year, 1, 1))
        end = min(d for d in (row["closed"], row["assigned_to"], today) if d is not None)
        if end < start:
            continue
        item = accounts.setdefault(row["account"], dict(row, years=set()))
        item["years"].update(range(start.year, end.year + 1))
    return accounts


def _account_form(accounts: dict[int, dict[str, Any]], kinds_first: str
                  ) -> tuple[Choice, dict[str, Any]] | None:
    options = premises_options({a["premises"] for a in accounts.values()})
    if not options:
        return None
    return choose_account_year(accounts, options, _premises_ids(), _windows_of_assignments(),
                               kinds_first)


def ledger_page(details: bool = False) -> dict[str, Any]:
    form = _account_form(_account_windows(), "EKS")
    if form is None:
        return _stamp({"premises": [], "details": details})
    choice, ctx = form
    ctx = choice.context(**ctx, details=details)
    account, rok = ctx["account"], ctx["rok"]
    date_from, date_to = P.year_range(rok)
    found = rows("ledger_summary", account=account["account"], date_from=date_from,
                 date_to=date_to)
    if not found:
        raise _gone(ctx)
    summary = dict(found[0])
    for key in ("opening", "debit", "credit"):
        summary[key] = summary[key] or ZERO
    summary["closing"] = summary["opening"] + summary["debit"] - summary["credit"]
    ctx["summary"] = summary
    # The documents draw the month-end balances (the page's second query, which the
    # details view already made); the list itself is shown only on "szczegóły".
    documents = rows("ledger_documents", account=account["account"], date_from=date_from,
                     date_to=date_to)
    if details:
        ctx["documents"] = _with_balance(summary["opening"], documents)
    ctx["chart"] = charts.ledger_chart(summary["opening"], documents, rok,
                                       _visible_months(account, ctx["lokal"], rok), date.today())
    return _stamp(ctx)


def _visible_months(account: dict[str, Any], lokal: int, year: int) -> list[int]:
    """The months of `year` the resident held the premises (up to today) and the
    account was open: no month-end balance is drawn for any other."""
    windows = _windows_of_assignments()
    opened, closed = account["opened"], account["closed"]
    return [m for m in range(1, 13) if windows.has_month(lokal, year, m)
            and (opened.year, opened.month) <= (year, m)
            and (closed is None or (year, m) <= (closed.year, closed.month))]


def _with_balance(opening: Decimal, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each document with the running balance after it."""
    balance, out = opening, []
    for doc in documents:
        balance += (doc["debit"] or ZERO) - (doc["credit"] or ZERO)
        out.append(dict(doc, balance=balance))
    return out


def virtual_accounts_page() -> dict[str, Any]:
    """Each premises' account to pay into, with the ZBP code of today's amount due."""
    today = date.today()
    found = rows("virtual_accounts", today=today)
    dues = accounts_due(today)
    for row in found:
        row["label"] = premises_label(row)
        row["due"] = sum((a["due"] for a in dues.get(row["premises"], [])), ZERO)
        row.update(transfer_code(row, row["due"], today))
    return _stamp({"accounts": found})


def _reading_dates(found: list[dict[str, Any]]):
    dates: dict[int, dict[str, set[date]]] = defaultdict(lambda: defaultdict(set))
    names: dict[str, str] = {}
    for row in found:
        dates[row["premises"]][row["medium"]].add(row["reading_date"])
        names[row["medium"]] = row["medium_name"]
    return {k: dict(v) for k, v in dates.items()}, names


def readings_page() -> dict[str, Any]:
    dates, names = derived("reading_dates", _reading_dates)
    options = premises_options(set(dates))
    if not options:
        return _stamp({"premises": options})
    choice = Choice()
    lokal = choice.premises(options, _premises_ids())
    media = sorted(dates[lokal], key=lambda code: MEDIA_ORDER.index(code)
                   if code in MEDIA_ORDER else 9)
    medium = choice.pick("medium", P.medium, media, names, label="Medium",
                         describe=lambda code: names.get(code, code))
    years = sorted({d.year for d in dates[lokal][medium]}, reverse=True)
    windows = _windows_of_assignments()
    rok = choice.pick("rok", P.year, years, within=lambda y: windows.has_year(lokal, y),
                      elsewhere=windows.any_year, label="Rok", describe=lambda y: f"roku {y}")
    ctx = choice.context(premises=options, lokal=lokal, medium=medium, rok=rok, years=years,
                         media=[(code, names[code]) for code in media],
                         medium_name=names[medium])
    date_from, date_to = P.year_range(rok)
    # The year before comes in the same query: the chart sets the periods side by side.
    both_years = rows("meter_readings", premises=lokal, medium=medium, date_to=date_to,
                      date_from=P.year_range(rok - 1)[0])
    readings = [r for r in both_years if r["reading_date"] >= date_from]
    if not readings:
        raise _gone(ctx)
    ctx["chart"] = charts.readings_chart(both_years, rok, names[medium])
    for row in readings:
        row["kind_name"] = READING_KINDS.get(row["reading_kind"], row["reading_kind"])
    return _stamp(dict(ctx, readings=readings))


def _settled_accounts(found: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    accounts: dict[int, dict[str, Any]] = {}
    for row in found:
        item = accounts.setdefault(row["account"], dict(row, account_kind="MED", years=set()))
        item["years"].add(row["settled_on"].year)
    return accounts


def settlements_page() -> dict[str, Any]:
    form = _account_form(derived("settlement_dates", _settled_accounts), "MED")
    if form is None:
        return _stamp({"premises": []})
    choice, ctx = form
    ctx = choice.context(**ctx)
    date_from, date_to = P.year_range(ctx["rok"])
    found = rows("settlements", account=ctx["konto"], date_from=date_from, date_to=date_to)
    if not found:
        raise _gone(ctx)
    return _stamp(dict(ctx, settlements=found,
                       balance=sum((s["difference"] for s in found), ZERO)))
