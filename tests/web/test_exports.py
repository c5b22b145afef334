"""CSV and PDF downloads (issue 15.2, 15.3, 15.5): scoped exactly like the pages, every
figure the billing database's (the tests' own SQL on the demo file)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from pagehtml import dec
from test_pages import Billing

RESIDENTS = [1, 2, 3, 10]  # 1 and 10 hold several premises


@pytest.fixture
def billing(demo_sql):
    return lambda who: Billing(demo_sql, who)


def parse_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Content-Disposition"].endswith('.csv"')
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the mark
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def amount(cell: str) -> Decimal | None:
    return Decimal(cell.replace(",", ".")) if cell else None


def newest_accounts(who: Billing) -> list[tuple[dict, int]]:
    return [(k, max(k["years"])) for k in who.accounts().values()]


@pytest.mark.parametrize("resident", RESIDENTS)
def test_ledger_csv_holds_every_document_and_the_running_balance(auth, client, billing,
                                                                  resident):
    who = billing(resident)
    auth.resident(resident)
    for account, year in newest_accounts(who):
        rows = parse_csv(client.get(f"/ksiegowosc/szczegoly.csv?lokal={account['ID_LOK']}"
                                    f"&konto={account['ID_KONTA']}&rok={year}"))
        header, opening, documents = rows[0], rows[1], rows[2:]
        assert header[:4] == ["Data", "Numer", "Rodzaj", "Opis"]
        expected = who.documents(account["ID_KONTA"], year)
        summary = who.summary(account["ID_KONTA"], year)
        assert amount(opening[-1]) == summary["opening"]
        assert [r[1] for r in documents] == [x["NR_DOK"] for x in expected]
        assert [amount(r[4]) for r in documents] == [dec(x["KWOTA_WN"]) for x in expected]
        assert [amount(r[5]) for r in documents] == [dec(x["KWOTA_MA"]) for x in expected]
        last = amount(documents[-1][6]) if documents else amount(opening[-1])
        assert last == summary["closing"]
        for r in documents:  # dd.mm.rrrr, as Polish spreadsheets read dates
            assert len(r[0]) == 10 and r[0][2] == r[0][5] == "."


@pytest.mark.parametrize("resident", RESIDENTS)
def test_rent_csv_is_the_months_components(auth, client, billing, resident):
    who = billing(resident)
    auth.resident(resident)
    for premises, months in who.rent_months().items():
        month = max(months)
        rows = parse_csv(client.get(f"/czynsz.csv?lokal={premises}&rok={month.year}"
                                    f"&miesiac={month.month}"))
        expected = who.rent(premises, month)
        components = rows[1:1 + len(expected)]
        assert [r[0] for r in components] == [x["NAZWA_SKL"] for x in expected]
        assert [amount(r[5]) for r in components] == [dec(x["KWOTA"]) for x in expected]
        total = sum((dec(x["KWOTA"]) + (dec(x["KWOTA_VAT"]) or 0) for x in expected),
                    Decimal("0.00"))
        assert rows[-1][0] == "Razem do zapłaty" and amount(rows[-1][5]) == total


def test_statement_pdf_names_every_document_and_the_closing_balance(auth, client, billing):
    pypdf = pytest.importorskip("pypdf")
    who = billing(1)
    auth.resident(1)
    account, year = newest_accounts(who)[0]
    response = client.get(f"/ksiegowosc/szczegoly.pdf?lokal={account['ID_LOK']}"
                          f"&konto={account['ID_KONTA']}&rok={year}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].endswith('.pdf"')
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    # Without any white space: a long document number may wrap inside its column.
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    for doc in who.documents(account["ID_KONTA"], year):
        assert doc["NR_DOK"] in text
    closing = who.summary(account["ID_KONTA"], year)["closing"]
    assert f"{abs(closing):.2f}".replace(".", ",") in text.replace("\u00a0", "")


@pytest.mark.parametrize("url", ["/ksiegowosc/szczegoly.csv", "/ksiegowosc/szczegoly.pdf",
                                 "/czynsz.csv", "/czynsz.pdf", "/media/odczyty.csv",
                                 "/media/rozliczenia.csv", "/media/rozliczenia.pdf"])
def test_another_residents_premises_is_the_pages_404_and_anonymous_must_log_in(
        auth, client, billing, url):
    mine = {a["ID_LOK"] for a in billing(1).assignments()}
    foreign = next(a["ID_LOK"] for r in range(2, 60) for a in billing(r).assignments()
                   if a["ID_LOK"] not in mine)  # (resident 2 shares resident 1's flat)
    assert client.get(url).status_code == 302  # not logged in: to the login form
    auth.resident(1)
    response = client.get(f"{url}?lokal={foreign}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"  # the page with its form, not an empty file


def test_a_year_without_data_is_the_pages_404_not_an_empty_file(auth, client, billing):
    who = billing(1)
    auth.resident(1)
    account, _ = newest_accounts(who)[0]
    response = client.get(f"/ksiegowosc/szczegoly.csv?lokal={account['ID_LOK']}"
                          f"&konto={account['ID_KONTA']}&rok=1990")
    assert response.status_code in (400, 404)
    assert response.mimetype == "text/html"
