"""`gateway check`: run every query against the configured billing database.

What the IT admin runs after adapting queries/ to the real schema: each
query runs for a sample resident with sample parameters taken from that
resident's own data; a missing column, a value of the wrong type or an SQL
error is one line naming the query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import current_app

from ..billing import (
    BillingDB,
    BillingUnavailable,
    Query,
    QuerySet,
    resident_key,
    staff_db,
    staff_queries,
)


def _sample(db: BillingDB, queries: QuerySet, resident: Any) -> dict[str, Any]:
    """Parameters from the sample resident's own data, so every query can return rows."""
    today = date.today()
    values: dict[str, Any] = {"resident": resident, "today": today,
                              "date_from": date(today.year - 1, 1, 1), "date_to": today,
                              "since": date(today.year, 1, 1),
                              "premises": 0, "account": 0, "medium": "ZW"}
    for name, column, key in (("resident_premises", "premises", "premises"),
                              ("ledger_accounts", "account", "account"),
                              ("reading_dates", "medium", "medium")):
        if name in queries:
            try:
                found = db.run(queries[name], {"resident": resident})
            except BillingUnavailable:
                continue
            if found:
                values[key] = found[-1][column]
    if "rent_periods" in queries:
        try:
            periods = db.run(queries["rent_periods"], {"resident": resident})
        except BillingUnavailable:
            periods = []
        if periods:
            newest = max(periods, key=lambda r: r["period"])
            values["premises"] = newest["premises"]
            values["date_from"] = date(newest["period"].year - 1, 1, 1)
    return values


def _one(db: BillingDB, query: Query, sample: dict[str, Any]) -> tuple[bool, str]:
    try:
        found = db.run(query, {p: sample[p] for p in query.params})
    except BillingUnavailable as exc:
        return False, str(exc).splitlines()[0][:300]
    except KeyError as exc:
        return False, f"no sample value for parameter {exc}"
    note = f"{len(found)} row(s)"
    if not found:
        note += " (no data for the sample: columns not verified)"
    return True, note


def _is_a_resident(db: BillingDB, queries: QuerySet, key: Any, shown: str,
                   echo: Callable[[str], None]) -> bool:
    """A resident the admin named must exist and hold (or have held) premises: with
    nobody to sample, every query would "pass" on no rows and prove nothing."""
    try:
        person = db.run(queries["resident_profile"], {"resident": key})
        premises = db.run(queries["resident_premises"], {"resident": key})
    except BillingUnavailable as exc:
        echo(f"FAIL resident {shown}: {str(exc).splitlines()[0][:300]}")
        return False
    if not person:
        echo(f"FAIL resident {shown}: nie ma takiej osoby w bazie rozliczeniowej "
             "(ID_OS); podaj numer mieszkańca z przydziałem lokalu")
        return False
    if not premises:
        echo(f"FAIL resident {shown}: ta osoba nie ma przydziału żadnego lokalu, więc "
             "zapytania nie mają czego pokazać; podaj mieszkańca z przydziałem")
        return False
    return True


def run_checks(resident: str | None, echo: Callable[[str], None]) -> bool:
    db: BillingDB = current_app.extensions["billing"]
    queries: QuerySet = current_app.extensions["queries"]
    try:
        db.ping()
    except BillingUnavailable as exc:
        echo(f"FAIL connection: {str(exc).splitlines()[0][:300]}")
        return False
    echo(f"ok   connection ({db.dialect})")
    staff = staff_queries()
    sdb = staff_db()
    if resident is None:
        directory = sdb.run(staff["residents_directory"], {"today": date.today()}) \
            if "residents_directory" in staff else []
        active = [r for r in directory if r["active"]]
        resident = str((active or directory or [{"resident": 1}])[0]["resident"])
    elif not _is_a_resident(db, queries, resident_key(str(resident)), resident, echo):
        return False
    sample = _sample(db, queries, resident_key(str(resident)))
    echo(f"     sample resident {resident}")
    ok = True
    runs = [(q, db, q.name) for q in queries] + [(q, sdb, f"staff/{q.name}") for q in staff]
    for query, runner, label in runs:
        good, note = _one(runner, query, sample)
        ok &= good
        echo(f"{'ok  ' if good else 'FAIL'} {label}: {note}")
    return ok
