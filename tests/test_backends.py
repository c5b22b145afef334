"""The portal on every billing backend: embedded SQLite, SQLite/PostgreSQL/MariaDB via ODBC.

Each test runs once per backend (`billing_backend`, tests/backends.py). The
same demo data is loaded everywhere and the same `queries/` run everywhere, so
every query for residents 1–5 must return exactly the rows the embedded SQLite
file returns: same types (Decimal, date, int, str, None), same values, same
order where the query orders. The pages show the same text, `gateway check`
passes, and the portal's connection cannot write.
"""

from __future__ import annotations

import calendar
import re
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, Auth, base_settings

from gateway import create_app
from gateway.billing.driver import BillingDB
from gateway.billing.queries import QuerySet, parse_query

QUERIES = ROOT / "queries"
# 7 and 8 hold premises 3 together since 2024, with grosze after a whole-złoty first
# sum: the case that showed the SQLite ODBC driver typing a column by its first row.
RESIDENTS = (1, 2, 3, 4, 5, 7, 8)
POLISH = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ„”")
Case = tuple[str, dict[str, Any]]


# ---- the queries, their parameters, and the reference answers ------------------------

class Runner:
    """One BillingDB and its QuerySets (resident and staff) for one backend."""

    def __init__(self, connection: str):
        self.db = BillingDB(connection, connect_timeout=5, query_timeout=60, max_rows=100_000)
        self.queries = QuerySet(QUERIES, self.db.dialect)
        self.staff = QuerySet(QUERIES / "staff", self.db.dialect, need_resident=False)

    def query(self, name: str):
        return self.staff[name.removeprefix("staff/")] if name.startswith("staff/") \
            else self.queries[name]

    def run(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.db.run(self.query(name), params)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def build_cases(ref: Runner) -> list[Case]:
    """Every query, with parameters taken from residents 1–5's own data (and beyond it)."""
    today = date.today()
    cases: list[Case] = [("staff/residents_directory", {"today": today}),
                         ("resident_profile", {"resident": 999_999})]
    for resident in RESIDENTS:
        me = {"resident": resident}
        for name in ("resident_profile", "resident_premises", "ledger_accounts",
                     "rent_periods", "reading_dates", "settlement_dates"):
            cases.append((name, me))
        periods = ref.run("rent_periods", me)
        years = sorted({p["period"].year for p in periods} | {today.year})
        years = [years[0] - 1, *years]  # a year before the data: empty answers must agree
        for p in periods:
            cases.append(("rent_components", {**me, "premises": p["premises"],
                                              "date_from": p["period"],
                                              "date_to": _month_end(p["period"])}))
        accounts = {a["account"] for a in ref.run("ledger_accounts", me)}
        accounts |= {s["account"] for s in ref.run("settlement_dates", me)}
        for account in sorted(accounts):
            for year in years:
                span = {"date_from": date(year, 1, 1), "date_to": date(year, 12, 31)}
                for name in ("ledger_summary", "ledger_documents", "settlements"):
                    cases.append((name, {**me, "account": account, **span}))
        media = {(r["premises"], r["medium"]) for r in ref.run("reading_dates", me)}
        for premises, medium in sorted(media):
            for year in years:
                cases.append(("meter_readings", {**me, "premises": premises, "medium": medium,
                                                 "date_from": date(year, 1, 1),
                                                 "date_to": date(year, 12, 31)}))
        days = {today} | {date(y, 1, 1) for y in years}
        for row in ref.run("resident_premises", me):
            days.add(row["date_from"])
            if row["date_to"] is not None:  # the last day of an ended assignment and the next
                days |= {row["date_to"], row["date_to"] + timedelta(days=1)}
        for day in sorted(days):
            cases.append(("virtual_accounts", {**me, "today": day}))
            cases.append(("amount_due", {**me, "date_from": date(day.year, 1, 1),
                                         "today": day, "since": date(day.year, 6, 1)}))
    return cases


def strict(rows: list[dict[str, Any]], ordered: bool) -> list[dict[str, tuple[str, str]]]:
    """Rows as (type, text) per column: Decimal('1.5') and Decimal('1.50') differ here."""
    out = [{k: (type(v).__name__, str(v)) for k, v in row.items()} for row in rows]
    return out if ordered else sorted(out, key=repr)


def is_ordered(runner: Runner, name: str) -> bool:
    return "ORDER BY" in runner.query(name).sql.upper()


@pytest.fixture(scope="session")
def reference(demo_path: Path) -> Iterator[tuple[Runner, list[Case], list[list[dict]]]]:
    """The embedded SQLite answers for every case."""
    ref = Runner(f"sqlite:{demo_path}")
    cases = build_cases(ref)
    yield ref, cases, [ref.run(name, params) for name, params in cases]
    ref.db.discard()


def test_every_query_returns_the_same_values_as_embedded_sqlite(billing_backend, reference):
    ref, cases, expected = reference
    backend = Runner(billing_backend.connection)
    assert backend.db.dialect == billing_backend.dialect
    assert {q.name for q in backend.queries} == {q.name for q in ref.queries}
    mismatches = []
    try:
        for (name, params), want in zip(cases, expected, strict=True):
            got = backend.run(name, params)
            ordered = is_ordered(ref, name)
            if strict(got, ordered) != strict(want, ordered):
                mismatches.append(_diff(name, params, strict(want, ordered),
                                        strict(got, ordered)))
    finally:
        backend.db.discard()
    assert not mismatches, (f"{len(mismatches)} of {len(cases)} cases differ from embedded "
                            "SQLite:\n" + "\n".join(mismatches[:8]))


def _diff(name: str, params: dict, want: list, got: list) -> str:
    shown = {k: str(v) for k, v in params.items()}
    if len(want) != len(got):
        return f"{name} {shown}: {len(got)} rows, expected {len(want)}"
    for i, (a, b) in enumerate(zip(want, got, strict=True)):
        if a != b:
            cols = {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
            return f"{name} {shown}: row {i}: (expected, got) {cols}"
    return f"{name} {shown}: differs"


def test_compared_values_cover_money_dates_polish_text_and_nulls(reference):
    """The identity test above is only worth something if the values are varied."""
    ref, cases, expected = reference
    values = [v for rows in expected for row in rows for v in row.values()]
    decimals = [v for v in values if isinstance(v, Decimal)]
    assert any(v != v.to_integral_value() for v in decimals), "no Decimal with a fraction"
    assert any(v < 0 for v in decimals), "no negative amount (storno, overpayment)"
    assert any(isinstance(v, date) for v in values)
    assert any(v is None for v in values)
    assert any(isinstance(v, str) and POLISH & set(v) for v in values), "no Polish text"
    assert {name for name, _ in cases} >= {q.name for q in ref.queries}
    assert sum(map(len, expected)) > 1000


# Each dialect's own way of writing "surname (id)"; the wrong one fails elsewhere:
# `||` is OR on MariaDB, `::` is PostgreSQL only, SQLite 3.40 has no CONCAT().
OVERRIDES = {
    "postgresql": "o.NAZWISKO || ' (' || o.ID_OS::text || ')'",
    "mariadb": "CONCAT(o.NAZWISKO, ' (', CAST(o.ID_OS AS CHAR), ')')",
    "sqlite": "o.NAZWISKO || ' (' || CAST(o.ID_OS AS TEXT) || ')'",
}


def test_dialect_override_replaces_the_portable_query(billing_backend, tmp_path):
    """queries/<dialect>/name.sql wins for that dialect only (README: Adapting queries/)."""
    folder = tmp_path / "queries"
    shutil.copytree(QUERIES, folder)
    portable = (QUERIES / "resident_profile.sql").read_text(encoding="utf-8")
    assert "o.NAZWISKO AS last_name" in portable
    for dialect, expression in OVERRIDES.items():
        (folder / dialect).mkdir(exist_ok=True)
        (folder / dialect / "resident_profile.sql").write_text(
            portable.replace("o.NAZWISKO AS last_name", f"{expression} AS last_name"),
            encoding="utf-8")
    db = BillingDB(billing_backend.connection, connect_timeout=5, query_timeout=10)
    try:
        queries = QuerySet(folder, db.dialect)
        assert queries["resident_profile"].path.parent.name == billing_backend.dialect
        rows = db.run(queries["resident_profile"], {"resident": 1})
    finally:
        db.discard()
    assert rows[0]["last_name"] == "Kowalski (1)"


# ---- pages ---------------------------------------------------------------------------

class _Text(HTMLParser):
    """Visible text of a page (and which options are selected); scripts and styles skipped."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "option" and any(k == "selected" for k, _ in attrs):
            self.parts.append("[selected]")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    html = re.sub(r'<p class="stamp">.*?</p>', "", html, flags=re.S)  # "Stan na <now>"
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def page_urls(ref: Runner, resident: int) -> list[str]:
    """The resident's pages: defaults, then every account/medium/year and some months."""
    me = {"resident": resident}
    today = date.today()
    urls = ["/dane-osobowe", "/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly",
            "/wirtualne-rachunki", "/media/odczyty", "/media/rozliczenia"]
    by_premises: dict[int, list[date]] = {}
    for row in ref.run("rent_periods", me):
        by_premises.setdefault(row["premises"], []).append(row["period"])
    for premises, periods in sorted(by_premises.items()):
        periods.sort()
        for p in {periods[0], periods[len(periods) // 2], periods[-1]}:
            urls.append(f"/czynsz?lokal={premises}&rok={p.year}&miesiac={p.month}")
    for a in ref.run("ledger_accounts", me):
        if a["first_entry"] is None:
            continue
        start = max(a["opened"], a["assigned_from"], a["first_entry"])
        end = min(d for d in (a["closed"], a["assigned_to"], today) if d is not None)
        for year in range(start.year, end.year + 1):
            urls.append(f"/ksiegowosc/szczegoly?lokal={a['premises']}&konto={a['account']}"
                        f"&rok={year}")
    seen = {(r["premises"], r["medium"], r["reading_date"].year)
            for r in ref.run("reading_dates", me)}
    urls += [f"/media/odczyty?lokal={p}&medium={m}&rok={y}" for p, m, y in sorted(seen)]
    seen = {(r["premises"], r["account"], r["settled_on"].year)
            for r in ref.run("settlement_dates", me)}
    urls += [f"/media/rozliczenia?lokal={p}&konto={a}&rok={y}" for p, a, y in sorted(seen)]
    return urls


@pytest.fixture
def settings(tmp_path: Path, billing_backend) -> dict[str, Any]:
    """The app under test reads from the backend (overrides conftest's embedded default)."""
    return base_settings(tmp_path, billing_backend.connection)


@pytest.fixture
def reference_client(tmp_path: Path, demo_path: Path):
    folder = tmp_path / "reference"
    folder.mkdir()
    app = create_app(test_config=base_settings(folder, f"sqlite:{demo_path}"))
    client = app.test_client()
    Auth(app, client).resident(1)
    return client


def test_every_page_shows_the_same_values_as_on_embedded_sqlite(
        billing_backend, app, client, auth, reference, reference_client):
    ref = reference[0]
    auth.resident(1)
    urls = page_urls(ref, 1)
    assert len(urls) > 20
    differ = []
    for url in urls:
        want = reference_client.get(url)
        got = client.get(url)
        assert want.status_code == 200, url
        assert got.status_code == 200, (url, got.get_data(as_text=True)[:300])
        expected, shown = (visible_text(r.get_data(as_text=True)) for r in (want, got))
        if expected != shown:
            at = next(i for i, (a, b) in enumerate(zip(expected, shown, strict=False))
                      if a != b) if expected[:len(shown)] != shown[:len(expected)] \
                else min(len(expected), len(shown))
            differ.append(f"{url}: …{expected[max(0, at - 60):at + 60]}… vs "
                          f"…{shown[max(0, at - 60):at + 60]}…")
    assert not differ, "\n".join(differ[:5])
    # Values one can read off the pages: Polish names and Polish money format.
    text = visible_text(client.get("/dane-osobowe").get_data(as_text=True))
    assert "Kowalski" in text
    assert re.search(r"\d,\d\d\xa0zł|\d,\d\d zł", visible_text(
        client.get("/ksiegowosc/szczegoly").get_data(as_text=True)))


def test_gateway_check_passes(billing_backend, runner):
    result = runner.invoke(["check"])
    assert result.exit_code == 0, result.output
    assert f"ok   connection ({billing_backend.dialect})" in result.output
    assert "FAIL" not in result.output
    assert result.output.count("\nok   ") >= 13, result.output


# ---- the portal's connection is read-only --------------------------------------------

WRITES = (
    "INSERT INTO TYTULY (KOD_TYT, NAZWA_TYT) VALUES ('ZZ', 'próba zapisu')",
    "UPDATE OSOBY SET NAZWISKO = 'Zmieniony' WHERE ID_OS = 1",
    "DELETE FROM DOKUMENTY",
    "CREATE TABLE PORTAL_PROBA (A INTEGER)",
    "DROP TABLE TYTULY",
)
# What an attacker with the connection would try first: turn the session's guard off.
UNGUARD = {"sqlite": "PRAGMA query_only = 0",
           "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
           "mariadb": "SET SESSION TRANSACTION READ WRITE"}
REFUSED = r"(?i)read.?only|permission denied|command denied|must be owner|access denied"
GUARD = {"sqlite": "PRAGMA query_only",
         "postgresql": "SHOW default_transaction_read_only",
         "mariadb": "SELECT @@session.tx_read_only"}


def _driver_errors() -> tuple[type[BaseException], ...]:
    try:
        import pyodbc
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, pyodbc.Error)


def test_portal_connection_cannot_write(billing_backend, demo_sql):
    db = BillingDB(billing_backend.connection, connect_timeout=5, query_timeout=10)
    try:
        db.ping()
        conn = db._acquire()[0].conn
        if not db.embedded:  # BillingDB's own session guard is on
            assert str(conn.execute(GUARD[db.dialect]).fetchone()[0]).lower() in {"1", "on"}
        for step in ("guarded", "unguarded"):
            if step == "unguarded":  # the login/file itself must still refuse
                conn.execute(UNGUARD[db.dialect])
            for sql in WRITES:
                with pytest.raises(_driver_errors(), match=REFUSED):
                    conn.execute(sql)
        titles = conn.execute("SELECT COUNT(*) FROM TYTULY").fetchone()[0]
        name = conn.execute("SELECT NAZWISKO FROM OSOBY WHERE ID_OS = 1").fetchone()[0]
        documents = conn.execute("SELECT COUNT(*) FROM DOKUMENTY").fetchone()[0]
    finally:
        db.discard()
    assert titles == demo_sql("SELECT COUNT(*) FROM TYTULY")[0][0]
    assert name.rstrip() == demo_sql("SELECT NAZWISKO FROM OSOBY WHERE ID_OS = 1")[0][0]
    assert documents == demo_sql("SELECT COUNT(*) FROM DOKUMENTY")[0][0]


HOSTILE = ["O'Brien", "x' OR '1'='1", "'; DROP TABLE OSOBY; --", "back\\slash\\'",
           "$$; SELECT 1; $$",
           "Żółć „Łąka”", "?", ":resident"]


def test_bound_values_reach_the_server_as_values_never_as_sql(billing_backend, demo_sql):
    """psqlODBC binds parameters in the driver (UseServerSidePrepare=0): quoting is its job."""
    text = ("-- q: test\n-- params: resident\n-- columns: name text, echo text\n"
            "SELECT NAZWISKO AS name, CAST(:resident AS VARCHAR(100)) AS echo FROM OSOBY"
            " WHERE NAZWISKO = :resident")
    query = parse_query("q", text, Path("q.sql"), need_resident=False)
    db = BillingDB(billing_backend.connection, connect_timeout=5, query_timeout=10)
    real = demo_sql("SELECT NAZWISKO FROM OSOBY WHERE ID_OS = 1")[0][0]
    try:
        for value in HOSTILE:
            assert db.run(query, {"resident": value}) == [], value
        same_name = demo_sql("SELECT COUNT(*) FROM OSOBY WHERE NAZWISKO = ?", (real,))[0][0]
        assert db.run(query, {"resident": real}) == [{"name": real, "echo": real}] * same_name
    finally:
        db.discard()
    assert demo_sql("SELECT COUNT(*) FROM OSOBY")[0][0] > 0
