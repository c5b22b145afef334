"""The charts say what the tables say, and what the test's own SQL says.

Each chart page is served from every billing backend (SQLite, SQLite-ODBC,
PostgreSQL-ODBC, MariaDB-ODBC); the numbers are read from the SVG's data
attributes and compared with the table right below it and with figures computed
here by plain SQL on the embedded demo file (the same generator and seed).
Also: the SVG is CSP-clean, the pages stay within two billing queries a view,
and a period without data shows the page's message and no chart.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import base_settings
from pagehtml import CACHE_ON, Page, body_rows, num, pln

from gateway.web import charts

FLAT = 1  # resident 1's flat: replaced meters, an estimated reading, a storno


@pytest.fixture
def settings(tmp_path: Path, billing_backend, request) -> dict[str, Any]:
    """The app on each backend; indirect parameters add settings (the cache)."""
    return dict(base_settings(tmp_path, billing_backend.connection),
                **getattr(request, "param", {}))


def d(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])


def dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(repr(value) if isinstance(value, float)
                                              else str(value))


def svg_marks(page: Page, key: str) -> list[dict[str, str]]:
    svg = page.main.find("svg", **{"data-chart": key})
    assert svg is not None, f"no chart {key!r}"
    return [m.attrs for m in svg.find_all("rect", class_="mark")]


def chart_rows(page: Page, key: str) -> list[dict[str, str]]:
    table = page.main.find("table", **{"data-chart-table": key})
    assert table is not None
    return body_rows(table)


def assert_clean_svg(page: Page, key: str) -> None:
    svg = page.main.find("svg", **{"data-chart": key})
    assert svg.attrs["role"] == "img"
    assert svg.find("title").text() and svg.find("desc").text()
    assert "style" not in page.html.split('data-chart="')[1].split("</svg>")[0]
    assert "<script" not in page.html
    ids = re.findall(r'\sid="([^"]+)"', page.html)
    assert len(ids) == len(set(ids)), "an id twice on the page"


# ---- Media odczyty --------------------------------------------------------------

def own_consumption(demo_sql, premises: int, medium: str, year: int):
    """{(place, period no.): (sum, estimated)} by the rule the page states: a period
    ends at a regular or estimated reading, a replacement counts to the next one."""
    rows = demo_sql(
        "SELECT m.MIEJSCE, m.NR_FABR, o.DATA_ODCZ, o.ZUZYCIE, o.RODZ_ODCZ FROM LICZNIKI m "
        "JOIN ODCZYTY o ON o.ID_LICZ = m.ID_LICZ JOIN PRZYDZIALY p ON p.ID_LOK = m.ID_LOK "
        "WHERE m.ID_LOK = ? AND m.KOD_MED = ? AND p.ID_OS = 1 AND o.DATA_ODCZ >= p.DATA_OD "
        "AND (p.DATA_DO IS NULL OR o.DATA_ODCZ <= p.DATA_DO) "
        "AND o.DATA_ODCZ >= ? AND o.DATA_ODCZ <= ?",
        (premises, medium, f"{year}-01-01", f"{year}-12-31"))
    ends = sorted({d(r["DATA_ODCZ"]) for r in rows if r["RODZ_ODCZ"] != "W"})
    ends += sorted({d(r["DATA_ODCZ"]) for r in rows if not ends or d(r["DATA_ODCZ"]) > ends[-1]})
    out: dict[tuple[str, int], list[Any]] = defaultdict(lambda: [None, False])
    for r in rows:
        index = min(i for i, e in enumerate(ends) if e >= d(r["DATA_ODCZ"])) + 1
        slot = out[(r["MIEJSCE"] or f"licznik {r['NR_FABR']}", index)]
        if r["ZUZYCIE"] is not None:
            slot[0] = (slot[0] or 0) + dec(r["ZUZYCIE"])
        slot[1] = slot[1] or r["RODZ_ODCZ"] == "S"
    return out


@pytest.mark.parametrize("medium", ["ZW", "CW", "CO"])
def test_reading_chart_equals_table_and_sql(auth, client, demo_sql, medium):
    auth.resident(1)
    years = sorted({d(r[0]).year for r in demo_sql(
        "SELECT o.DATA_ODCZ FROM ODCZYTY o JOIN LICZNIKI m ON m.ID_LICZ = o.ID_LICZ "
        "WHERE m.ID_LOK = ? AND m.KOD_MED = ?", (FLAT, medium))})
    for year in years:
        page = Page(client.get(f"/media/odczyty?lokal={FLAT}&medium={medium}&rok={year}"))
        assert page.status == 200
        assert_clean_svg(page, "odczyty")
        now = own_consumption(demo_sql, FLAT, medium, year)
        before = own_consumption(demo_sql, FLAT, medium, year - 1)
        marks = svg_marks(page, "odczyty")
        shown = {(m["data-place"], int(m["data-period"]), int(m["data-year"])): m
                 for m in marks}
        assert len(shown) == len(marks) == 2 * len(now)
        for (place, period), (value, estimated) in now.items():
            mark = shown[(place, period, year)]
            assert dec(mark["data-value"] or None) == value
            assert ("data-estimate" in mark) == estimated
            prior = before.get((place, period), (None, False))
            assert dec(shown[(place, period, year - 1)]["data-value"] or None) == prior[0]
        table = chart_rows(page, "odczyty")
        assert len(table) == len(now)
        for row, ((place, period), (value, estimated)) in zip(table, sorted(
                now.items(), key=lambda kv: (list(dict.fromkeys(p for p, _ in now)).index(
                    kv[0][0]), kv[0][1])), strict=True):
            assert row["Miejsce"] == place and row["Okres"].startswith(f"{period}. ")
            cell = row[f"Zużycie {year}"]
            assert cell.startswith(num(value) if value is not None else "brak odczytu")
            assert ("szacunek" in cell) == estimated


def test_estimates_are_marked_in_words_and_outline(auth, client):
    auth.resident(1)
    page = Page(client.get(f"/media/odczyty?lokal={FLAT}&medium=ZW&rok=2025"))
    svg = page.main.find("svg", **{"data-chart": "odczyty"})
    estimated = [m for m in svg.find_all("rect", class_="mark") if "data-estimate" in m.attrs]
    assert estimated and all(m.attrs.get("stroke-dasharray") for m in estimated)
    assert "szacunek" in svg.text() and "odczyt szacunkowy" in page.text


# ---- Czynsz ----------------------------------------------------------------------

def test_rent_chart_equals_table_and_sql_over_24_months(auth, client, demo_sql):
    auth.resident(1)
    months = sorted({d(r[0]) for r in demo_sql(
        "SELECT DISTINCT n.OKRES FROM NALICZENIA n JOIN PRZYDZIALY p ON p.ID_LOK = n.ID_LOK "
        "WHERE n.ID_LOK = ? AND p.ID_OS = 1 AND n.OKRES >= p.DATA_OD "
        "AND (p.DATA_DO IS NULL OR n.OKRES <= p.DATA_DO)", (FLAT,))})
    for last in (months[-1], months[len(months) // 2], months[0]):
        page = Page(client.get(f"/czynsz?lokal={FLAT}&rok={last.year}&miesiac={last.month}"))
        assert page.status == 200
        assert_clean_svg(page, "czynsz")
        first = charts.months_back(last, 24)[0]
        expected: dict[date, Decimal] = defaultdict(Decimal)
        for r in demo_sql("SELECT OKRES, KWOTA, KWOTA_VAT FROM NALICZENIA WHERE ID_LOK = ? "
                          "AND OKRES >= ? AND OKRES <= ?",
                          (FLAT, first.isoformat(), last.isoformat())):
            expected[d(r[0])] += dec(r[1]) + (dec(r[2]) or 0)  # exact: no float SUM()
        expected = {m: v for m, v in expected.items() if m in months}
        marks = {m["data-month"]: m for m in svg_marks(page, "czynsz")}
        shown = {k: dec(m["data-value"]) for k, m in marks.items() if m["data-value"]}
        assert shown == {m.isoformat()[:7]: v for m, v in expected.items()}
        assert min(marks) == min(expected).isoformat()[:7] and max(marks) == last.isoformat()[:7]
        table = chart_rows(page, "czynsz")
        assert [r["Miesiąc"] for r in table] == [f"{k[5:]}.{k[:4]}" for k in sorted(marks)]
        for row, key in zip(table, sorted(marks), strict=True):
            if key in shown:
                assert row["Razem do zapłaty"] == pln(shown[key])
        month_total = page.table("Składniki czynszu").find("tr", class_="total").text()
        assert pln(shown[last.isoformat()[:7]]) in month_total


def test_rent_component_changes_are_listed_on_demand(auth, client):
    auth.resident(1)
    page = Page(client.get(f"/czynsz?lokal={FLAT}"))
    details = page.main.find("details", class_="chart-details")
    assert details is not None and details.find("summary").text()
    rows = body_rows(details.find("table"))
    assert rows and {"Składnik", "Od miesiąca", "Kwota", "Zmiana"} <= set(rows[0])


# ---- Księgowość ------------------------------------------------------------------

def test_ledger_chart_equals_table_and_sql(auth, client, demo_sql):
    auth.resident(1)
    accounts = demo_sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK = ?", (FLAT,))
    today = date.today()
    seen_signs = set()
    for (account,) in accounts:
        years = sorted({d(r[0]).year for r in demo_sql(
            "SELECT DATA_DOK FROM DOKUMENTY WHERE ID_KONTA = ?", (account,))})
        for year in years:
            page = Page(client.get(f"/ksiegowosc?lokal={FLAT}&konto={account}&rok={year}"))
            if page.status == 404:
                continue
            assert_clean_svg(page, "saldo")
            opening = sum((dec(r[0]) for r in demo_sql(
                "SELECT KWOTA_BO FROM SALDA_BO WHERE ID_KONTA = ? AND DATA_BO >= ? "
                "AND DATA_BO <= ?", (account, f"{year}-01-01", f"{year}-12-31"))), Decimal(0))
            marks = svg_marks(page, "saldo")
            for mark in marks:
                end = mark["data-day"]
                balance = opening + sum(((dec(r[0]) or 0) - (dec(r[1]) or 0) for r in demo_sql(
                    "SELECT KWOTA_WN, KWOTA_MA FROM DOKUMENTY "
                    "WHERE ID_KONTA = ? AND DATA_DOK >= ? AND DATA_DOK <= ?",
                    (account, f"{year}-01-01", end))), Decimal(0))
                assert dec(mark["data-value"]) == balance, (account, end)
                assert mark["data-series"] == ("debt" if balance > 0 else "credit")
                seen_signs.add((balance > 0) - (balance < 0))
            assert d(marks[-1]["data-day"]) <= max(date(year, 12, 31), today.replace(day=28))
            table = chart_rows(page, "saldo")
            assert len(table) == len(marks)
            for row, mark in zip(table, marks, strict=True):
                value = dec(mark["data-value"])
                assert row["Saldo"] == pln(value)
                word = "zadłużenie" if value > 0 else "nadpłata" if value < 0 else "saldo zero"
                assert row["Znaczenie"].startswith(word)
            if marks[-1]["data-day"] == f"{year}-12-31":
                closing = page.table("Stan konta").find_all("td")[-1].text()
                assert closing == pln(dec(marks[-1]["data-value"]))
    assert seen_signs, "no ledger chart was drawn"


def test_sign_is_said_in_words_on_the_chart(auth, client):
    auth.resident(1)
    page = Page(client.get("/ksiegowosc"))
    svg = page.main.find("svg", **{"data-chart": "saldo"})
    words = svg.text() + " " + page.main.find("figure", class_="chart").text()
    assert "zadłużenie" in words and "nadpłata" in words


# ---- bad input, query count ---------------------------------------------------------

def test_a_period_without_data_shows_the_message_and_no_chart(auth, client, monkeypatch):
    """The lists offered a period whose data are gone (withdrawn since): no chart."""
    from gateway.web import builders

    auth.resident(1)
    monkeypatch.setattr(builders, "rows", lambda name, **params: [])
    for url in ("/czynsz", "/media/odczyty", "/ksiegowosc", "/ksiegowosc/szczegoly"):
        page = Page(client.get(url))
        assert page.status == 404, url
        assert page.main.find("svg") is None and page.main.find("figure") is None, url
        assert any("Brak danych" in e for e in page.errors()), url


@CACHE_ON
@pytest.mark.parametrize("url", ["/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly",
                                 "/media/odczyty"])
def test_chart_pages_take_at_most_two_billing_queries(app, auth, client, url):
    db = app.extensions["billing"]
    auth.resident(1)
    for _ in range(2):
        before = db.queries_run
        assert client.get(url).status_code == 200
        assert db.queries_run - before <= 2


# ---- zero, negative and missing values, drawn honestly (pure functions) ------------

def test_negative_zero_and_missing_values_are_drawn_and_explained():
    rows = [
        {"reading_date": date(2025, 6, 1), "reading_kind": "O", "place": "kuchnia",
         "meter_no": "A", "consumption": Decimal("-1.500"), "unit": "m3"},
        {"reading_date": date(2025, 6, 1), "reading_kind": "O", "place": "łazienka",
         "meter_no": "B", "consumption": Decimal("0.000"), "unit": "m3"},
        {"reading_date": date(2025, 12, 1), "reading_kind": "O", "place": "łazienka",
         "meter_no": "B", "consumption": Decimal("2.000"), "unit": "m3"},
    ]
    figures = charts.readings_chart(rows, 2025, "Zimna woda")
    marks = {(m.bar.data[0][1], m.bar.data[1][1], m.bar.data[2][1]): m
             for m in figures.chart.marks}
    negative = marks[("kuchnia", "1", "2025")]
    assert negative.bar.value == Decimal("-1.500") and negative.width > 0
    assert negative.x + negative.width <= figures.chart.lines[0][0] + 0.01  # left of the axis
    assert marks[("łazienka", "1", "2025")].width == 0                   # zero: no bar
    assert marks[("kuchnia", "2", "2025")].bar.value is None              # missing: not zero
    assert marks[("kuchnia", "1", "2024")].bar.text == "brak odczytu"
    notes = " ".join(figures.chart.notes)
    assert "ujemna" in notes and "zero" in notes and "Brak" in notes


def test_rent_months_without_charges_are_missing_not_zero():
    rows = [{"period": date(2025, m, 1), "component": "eksploatacja", "amount": Decimal("100"),
             "vat": None} for m in (1, 2, 4)]
    figures, changes = charts.rent_chart(rows, date(2025, 4, 1))
    values = {m.bar.data[0][1]: m.bar.value for m in figures.chart.marks}
    assert values == {"2025-01": Decimal("100"), "2025-02": Decimal("100"), "2025-03": None,
                      "2025-04": Decimal("100")}
    assert [row[1] for row in changes] == ["01.2025", "03.2025", "04.2025"]
    assert charts.rent_chart([], date(2025, 4, 1)) is None
    assert charts.readings_chart([], 2025, "Zimna woda") is None
    assert charts.ledger_chart(Decimal(0), [], 2025, [], date(2025, 5, 1)) is None
