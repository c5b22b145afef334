"""Pulpit (issue 14): the amount due per account as of today, the account to pay into,
and the ZBP transfer code, equal to the tests' own SQL on the demo file; the code read
back with zbarimg; foreign premises and anonymous visitors get nothing."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from conftest import STRONG_PASSWORD
from pagehtml import Page, dec, owed, pln
from qrread import decoded
from test_pages import Billing

TODAY = date.today()


def dues(demo_sql, who: int) -> dict[int, dict]:
    """Every open account of the premises the resident holds today: this year's opening
    balance + debits - credits from 1 January up to today, inside the assignment."""
    person = Billing(demo_sql, who)
    today, jan1 = TODAY.isoformat(), f"{TODAY.year}-01-01"
    out = {}
    for a in person.assignments():
        if not person.holds_today(a["ID_LOK"]):
            continue
        since = max(jan1, str(a["DATA_OD"]))
        for k in demo_sql("SELECT * FROM KONTA WHERE ID_LOK = ? AND DATA_OTW <= ? "
                          "AND (DATA_ZAMK IS NULL OR DATA_ZAMK >= ?)",
                          (a["ID_LOK"], today, today)):
            opening = sum((dec(r[0]) for r in demo_sql(
                "SELECT KWOTA_BO FROM SALDA_BO WHERE ID_KONTA = ? AND DATA_BO BETWEEN ? AND ?",
                (k["ID_KONTA"], since, today))), Decimal("0.00"))
            moves = demo_sql("SELECT KWOTA_WN, KWOTA_MA FROM DOKUMENTY WHERE ID_KONTA = ? "
                             "AND DATA_DOK BETWEEN ? AND ?", (k["ID_KONTA"], since, today))
            debit = sum((dec(r[0]) for r in moves if r[0] is not None), Decimal("0.00"))
            credit = sum((dec(r[1]) for r in moves if r[1] is not None), Decimal("0.00"))
            out[k["ID_KONTA"]] = dict(k, due=opening + debit - credit)
    return out


def nrb_of(demo_sql, premises: int) -> str:
    return demo_sql("SELECT NRB FROM RACH_WIRT WHERE ID_LOK = ? AND DATA_OD <= ? "
                    "AND (DATA_DO IS NULL OR DATA_DO >= ?) ORDER BY DATA_OD DESC",
                    (premises, TODAY.isoformat(), TODAY.isoformat()))[0][0]


def premises_totals(demo_sql, who: int) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for account in dues(demo_sql, who).values():
        totals[account["ID_LOK"]] = totals.get(account["ID_LOK"], Decimal("0.00")) \
            + account["due"]
    return totals


@pytest.mark.parametrize("resident", [1, 2, 3, 4, 5])
def test_each_accounts_amount_due_is_the_billing_databases(auth, client, demo_sql, resident):
    auth.resident(resident)
    response = client.get("/pulpit")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("no-store")
    page = Page(response).doc
    sections = page.find_all("section", class_="summary-premises")
    totals = premises_totals(demo_sql, resident)
    assert len(sections) == len(totals)
    for premises, total in totals.items():
        register = demo_sql("SELECT NR_EWID FROM LOKALE WHERE ID_LOK = ?", (premises,))[0][0]
        node = next(n for n in sections if str(register) in n.find("h2").text())
        section = node.text()
        words = owed(total) if total else "nic do zapłaty"
        assert f"Stan konta na dziś: {words}" in section
        accounts = [a for a in dues(demo_sql, resident).values() if a["ID_LOK"] == premises]
        if len(accounts) > 1:
            for account in accounts:
                assert f"Konto {account['NR_KONTA']} – {account['NAZWA_KONTA']}: " \
                       f"{owed(account['due'])}" in section
        assert node.find("input", class_="copy").attrs["value"] == nrb_of(demo_sql, premises)


def resident_with(demo_sql, sign: int) -> tuple[int, int, Decimal]:
    """A resident and premises whose accounts sum to a debt (1) or an overpayment (-1)."""
    for who in range(1, 120):
        for premises, due in premises_totals(demo_sql, who).items():
            if (due > 0 if sign > 0 else due < 0) and abs(due) < 9999:
                return who, premises, due
    pytest.fail("the demo has no such resident")


@pytest.mark.parametrize("sign", [1, -1], ids=["debt", "overpayment"])
def test_the_transfer_code_reads_back_as_the_zbp_payload_with_the_amount_due(
        auth, client, demo_sql, app, tmp_path, sign):
    who, premises, due = resident_with(demo_sql, sign)
    auth.resident(who)
    response = client.get(f"/pulpit/kod/{premises}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    register = demo_sql("SELECT NR_EWID FROM LOKALE WHERE ID_LOK = ?", (premises,))[0][0]
    grosze = f"{int(due * 100):06d}" if due > 0 else "000000"
    cfg = app.config
    assert decoded(response.get_data(), tmp_path) == (
        f"{cfg['PORTAL_PAYEE_NIP']}|PL|{nrb_of(demo_sql, premises)}|{grosze}|"
        f"{cfg['PORTAL_QR_RECIPIENT_NAME']}|Lokal {register} {TODAY.month:02d}.{TODAY.year}|||")
    page = Page(client.get("/pulpit")).doc
    svg = page.find_all("svg")
    assert svg and all("style" not in s.attrs for s in svg)  # CSP: no style attributes
    assert "Kod do zeskanowania" in page.text()  # the text alternative


def test_foreign_premises_and_anonymous_visitors_get_no_code(auth, client, demo_sql):
    assert client.get("/pulpit").status_code == 302
    assert client.get("/pulpit/kod/1.png").status_code == 302
    auth.resident(1)
    mine = {a["ID_LOK"] for a in Billing(demo_sql, 1).assignments()}
    foreign = next(a["ID_LOK"] for r in range(2, 60) for a in Billing(demo_sql, r).assignments()
                   if a["ID_LOK"] not in mine)
    assert client.get(f"/pulpit/kod/{foreign}.png").status_code == 404


def test_billing_database_down_is_the_503_of_every_page(settings, tmp_path):
    from conftest import Auth

    from gateway import create_app

    app = create_app(test_config=settings)
    client = app.test_client()
    Auth(app, client).resident(1)
    app.extensions["billing"].connection = f"sqlite:{tmp_path / 'gone.sqlite3'}"
    app.extensions["billing"].discard()
    response = client.get("/pulpit")
    assert response.status_code == 503 and response.headers.get("Retry-After")
    assert re.search("niedostępn", response.get_data(as_text=True))


def test_last_payment_settlement_and_documents_since_the_previous_visit(
        app, auth, client, demo_sql):
    """The first visit counts nothing new; the next one counts the documents dated
    after the day of the previous visit, per premises, as the billing database holds."""
    from gateway.store import get_store

    login = auth.resident(1)
    first = Page(client.get("/pulpit")).doc
    assert "Nowe dokumenty od poprzedniej wizyty" not in first.text()
    assert "poprzednia wizyta" not in first.text()
    since = date(TODAY.year, 1, 31)
    with app.app_context():
        get_store().execute("UPDATE accounts SET last_login = ? WHERE login = ?",
                            (f"{since.isoformat()}T10:00:00+00:00", login))
    auth.logout()
    auth.login(login, STRONG_PASSWORD)
    page = Page(client.get("/pulpit")).doc
    assert f"Twoja poprzednia wizyta: 31.01.{TODAY.year}" in page.text()
    held = {k["ID_LOK"] for k in dues(demo_sql, 1).values()}
    for premises in held:
        register = demo_sql("SELECT NR_EWID FROM LOKALE WHERE ID_LOK = ?", (premises,))[0][0]
        card = next(n for n in page.find_all("section", class_="summary-premises")
                    if str(register) in n.find("h2").text())
        start = next(str(a["DATA_OD"]) for a in Billing(demo_sql, 1).assignments()
                     if a["ID_LOK"] == premises and Billing(demo_sql, 1).holds_today(premises))
        new = demo_sql("SELECT COUNT(*) FROM DOKUMENTY d JOIN KONTA k ON k.ID_KONTA = d.ID_KONTA "
                       "WHERE k.ID_LOK = ? AND d.DATA_DOK > ? AND d.DATA_DOK <= ? "
                       "AND d.DATA_DOK >= ? AND k.DATA_OTW <= ? "
                       "AND (k.DATA_ZAMK IS NULL OR k.DATA_ZAMK >= ?)",
                       (premises, since.isoformat(), TODAY.isoformat(), start,
                        TODAY.isoformat(), TODAY.isoformat()))[0][0]
        assert new > 0  # the demo books every month
        assert card.find("dd", class_="documents-since").text().startswith(str(new))
        paid = demo_sql("SELECT d.DATA_DOK, SUM(d.KWOTA_MA) AS paid FROM DOKUMENTY d "
                        "JOIN KONTA k ON k.ID_KONTA = d.ID_KONTA WHERE k.ID_LOK = ? "
                        "AND d.RODZ_DOK = 'WPL' AND d.DATA_DOK <= ? AND d.DATA_DOK >= ? "
                        "GROUP BY d.DATA_DOK ORDER BY d.DATA_DOK DESC LIMIT 1",
                        (premises, TODAY.isoformat(), start))
        shown = card.find("dd", class_="last-payment").text()
        if paid:
            day = date.fromisoformat(str(paid[0]["DATA_DOK"]))
            assert shown == f"{day:%d.%m.%Y}: {pln(dec(paid[0]['paid']))}"
        else:
            assert shown.startswith("brak wpłat")


def test_the_summary_is_the_same_on_every_backend(billing_backend, demo_sql, tmp_path):
    """Pulpit on SQLite, SQLite-ODBC, PostgreSQL and MariaDB, for a resident with two
    premises, one with a debt and one with an overpayment: each premises' amount due
    and account to pay into equal the tests' own SQL on the demo file."""
    from conftest import Auth, base_settings

    from gateway import create_app

    app = create_app(test_config=base_settings(tmp_path, billing_backend.connection))
    residents = {1, resident_with(demo_sql, 1)[0], resident_with(demo_sql, -1)[0]}
    for resident in sorted(residents):
        client = app.test_client()
        Auth(app, client).resident(resident)
        page = Page(client.get("/pulpit")).doc
        sections = page.find_all("section", class_="summary-premises")
        totals = premises_totals(demo_sql, resident)
        assert len(sections) == len(totals)
        for premises, total in totals.items():
            register = demo_sql("SELECT NR_EWID FROM LOKALE WHERE ID_LOK = ?",
                                (premises,))[0][0]
            node = next(n for n in sections if str(register) in n.find("h2").text())
            words = owed(total) if total else "nic do zapłaty"
            assert f"Stan konta na dziś: {words}" in node.text()
            assert node.find("input", class_="copy").attrs["value"] == nrb_of(demo_sql, premises)
