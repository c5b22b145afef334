"""What each resident page shows: options for its form, the chosen period, the rows.

Each `*_page()` reads the request's parameters, runs at most two uncached
billing queries, and returns (template context, HTTP status). Select lists
come from resident-scoped queries (cached per resident); the data query is
itself scoped by `:resident`, so an id that is not the resident's matches
nothing even if it slipped past the options check.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..billing import cached_rows, derived, forget_resident, fresh_rows, rows
from . import params as P

KINDS = {"M": "Lokal mieszkalny", "G": "Garaż", "U": "Lokal użytkowy"}
READING_KINDS = {"O": "odczyt", "S": "szacunek (odczyt szacunkowy)", "W": "wymiana licznika"}
ZERO = Decimal("0.00")


def _stamp(context: dict[str, Any]) -> dict[str, Any]:
    context["read_at"] = datetime.now()
    return context


def _missing(ctx: dict[str, Any], what: str) -> tuple[dict[str, Any], int]:
    """A period the resident has no data for (or no longer may see): 404, form kept."""
    from flask import request
    from flask_login import current_user

    from ..store import audit

    audit.record("access_refused", current_user.login, detail=f"{request.path} {what}"[:200])
    return _stamp(dict(ctx, missing=True)), 404


def _gone(ctx: dict[str, Any], what: str) -> tuple[dict[str, Any], int]:
    """A period the (cached) lists offered but the scoped data query no longer has.

    The billing data changed (an assignment ended, a document was withdrawn):
    the resident's cached lists are stale, so drop them; the next page offers
    only what exists. This page shows the form and no data (404).
    """
    from flask_login import current_user

    forget_resident(current_user.resident)
    return _missing(ctx, f"{what} (no data)")


def premises_label(row: dict[str, Any]) -> str:
    address = f"{row['street']} {row['house_no']}"
    if row["kind"] == "M":
        address += f"/{row['premises_no']}"
    else:
        address += f", nr {row['premises_no']}"
    return f"{KINDS.get(row['kind'], 'Lokal')} {row['register_no']}, {address}"


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
    if person is None:
        return None
    if person["company"]:
        return person["company"]
    return " ".join(p for p in (person["first_name"], person["last_name"]) if p)


# ---- pages -------------------------------------------------------------------

def personal_page() -> tuple[dict[str, Any], int]:
    # Read now, not from the cache: this page's data *is* the profile and the
    # assignments, and "Stan na …" promises them as of this moment. (What is read
    # also refreshes the cache, so the page header needs no third query.)
    person = fresh_rows("resident_profile")
    return _stamp({"person": person[0] if person else None,
                   "assignments": assignments(fresh=True)}), 200


def rent_page() -> tuple[dict[str, Any], int]:
    months = derived("rent_periods", _rent_months)
    ctx: dict[str, Any] = {"premises": premises_options(set(months)), "components": None}
    if not ctx["premises"]:
        return _stamp(ctx), 200
    lokal = P.choose("lokal", P.premises_id, [p["premises"] for p in ctx["premises"]],
                     ctx["premises"][0]["premises"])
    periods = months[lokal]
    newest = max(periods)
    years = sorted({p.year for p in periods}, reverse=True)
    rok = P.choose("rok", P.year, P.ANY, newest.year)
    month_list = sorted({p.month for p in periods if p.year == rok})
    miesiac = P.choose("miesiac", P.month, P.ANY,
                       newest.month if rok == newest.year else (month_list or [12])[-1])
    ctx.update(lokal=lokal, rok=rok, miesiac=miesiac, years=years,
               months=month_list or sorted({p.month for p in periods if p.year == newest.year}))
    if date(rok, miesiac, 1) not in periods:
        return _missing(ctx, f"lokal={lokal} rok={rok} miesiac={miesiac}")
    date_from, date_to = P.month_range(rok, miesiac)
    components = rows("rent_components", premises=lokal, date_from=date_from, date_to=date_to)
    if not components:
        return _gone(ctx, f"lokal={lokal} rok={rok} miesiac={miesiac}")
    net = sum((c["amount"] for c in components), ZERO)
    vat = sum((c["vat"] or ZERO for c in components), ZERO)
    ctx.update(components=components, net=net, vat=vat, total=net + vat,
               due=date(rok, miesiac, 10))
    return _stamp(ctx), 200


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


def _pick_account(accounts: dict[int, dict[str, Any]], kinds_first: str = "EKS"):
    options = premises_options({a["premises"] for a in accounts.values()})
    if not options:
        return options, None, [], None
    lokal = P.choose("lokal", P.premises_id, [p["premises"] for p in options],
                     options[0]["premises"])
    mine = sorted((a for a in accounts.values() if a["premises"] == lokal),
                  key=lambda a: (a["account_kind"] != kinds_first, a["account_no"]))
    konto = P.choose("konto", P.account_id, [a["account"] for a in mine], mine[0]["account"])
    return options, lokal, mine, accounts[konto]


def ledger_page(details: bool = False) -> tuple[dict[str, Any], int]:
    options, lokal, mine, account = _pick_account(_account_windows())
    ctx: dict[str, Any] = {"premises": options, "accounts": mine, "summary": None,
                           "details": details}
    if account is None:
        return _stamp(ctx), 200
    years = sorted(account["years"], reverse=True)
    rok = P.choose("rok", P.year, P.ANY, years[0])
    ctx.update(lokal=lokal, konto=account["account"], rok=rok, years=years, account=account)
    if rok not in account["years"]:
        return _missing(ctx, f"konto={account['account']} rok={rok}")
    date_from, date_to = P.year_range(rok)
    found = rows("ledger_summary", account=account["account"], date_from=date_from,
                 date_to=date_to)
    if not found:
        return _gone(ctx, f"konto={account['account']} rok={rok}")
    summary = dict(found[0])
    for key in ("opening", "debit", "credit"):
        summary[key] = summary[key] or ZERO
    summary["closing"] = summary["opening"] + summary["debit"] - summary["credit"]
    ctx["summary"] = summary
    if details:
        balance = summary["opening"]
        documents = []
        for doc in rows("ledger_documents", account=account["account"], date_from=date_from,
                        date_to=date_to):
            balance += (doc["debit"] or ZERO) - (doc["credit"] or ZERO)
            documents.append(dict(doc, balance=balance))
        ctx["documents"] = documents
    return _stamp(ctx), 200


def virtual_accounts_page() -> tuple[dict[str, Any], int]:
    found = rows("virtual_accounts", today=date.today())
    for row in found:
        row["label"] = premises_label(row)
    return _stamp({"accounts": found}), 200


def _reading_dates(found: list[dict[str, Any]]):
    dates: dict[int, dict[str, set[date]]] = defaultdict(lambda: defaultdict(set))
    names: dict[str, str] = {}
    for row in found:
        dates[row["premises"]][row["medium"]].add(row["reading_date"])
        names[row["medium"]] = row["medium_name"]
    return {k: dict(v) for k, v in dates.items()}, names


def readings_page() -> tuple[dict[str, Any], int]:
    dates, names = derived("reading_dates", _reading_dates)
    ctx: dict[str, Any] = {"premises": premises_options(set(dates)), "readings": None}
    if not ctx["premises"]:
        return _stamp(ctx), 200
    lokal = P.choose("lokal", P.premises_id, [p["premises"] for p in ctx["premises"]],
                     ctx["premises"][0]["premises"])
    media = sorted(dates[lokal], key=lambda code: ("ZW", "CW", "CO").index(code)
                   if code in ("ZW", "CW", "CO") else 9)
    medium = P.choose("medium", P.medium, media, media[0])
    years = sorted({d.year for d in dates[lokal][medium]}, reverse=True)
    rok = P.choose("rok", P.year, P.ANY, years[0])
    ctx.update(lokal=lokal, medium=medium, rok=rok, years=years,
               media=[(code, names[code]) for code in media], medium_name=names[medium])
    if rok not in years:
        return _missing(ctx, f"lokal={lokal} medium={medium} rok={rok}")
    date_from, date_to = P.year_range(rok)
    readings = rows("meter_readings", premises=lokal, medium=medium, date_from=date_from,
                    date_to=date_to)
    if not readings:
        return _gone(ctx, f"lokal={lokal} medium={medium} rok={rok}")
    for row in readings:
        row["kind_name"] = READING_KINDS.get(row["reading_kind"], row["reading_kind"])
    ctx["readings"] = readings
    return _stamp(ctx), 200


def _settled_accounts(found: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    accounts: dict[int, dict[str, Any]] = {}
    for row in found:
        item = accounts.setdefault(row["account"], dict(row, account_kind="MED", years=set()))
        item["years"].add(row["settled_on"].year)
    return accounts


def settlements_page() -> tuple[dict[str, Any], int]:
    accounts = derived("settlement_dates", _settled_accounts)
    options, lokal, mine, account = _pick_account(accounts, kinds_first="MED")
    ctx: dict[str, Any] = {"premises": options, "accounts": mine, "settlements": None}
    if account is None:
        return _stamp(ctx), 200
    years = sorted(account["years"], reverse=True)
    rok = P.choose("rok", P.year, P.ANY, years[0])
    ctx.update(lokal=lokal, konto=account["account"], rok=rok, years=years, account=account)
    if rok not in account["years"]:
        return _missing(ctx, f"konto={account['account']} rok={rok}")
    date_from, date_to = P.year_range(rok)
    found = rows("settlements", account=account["account"], date_from=date_from,
                 date_to=date_to)
    if not found:
        return _gone(ctx, f"konto={account['account']} rok={rok}")
    ctx["settlements"] = found
    ctx["balance"] = sum((s["difference"] for s in found), ZERO)
    return _stamp(ctx), 200
