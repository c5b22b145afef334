"""The six resident pages and the public page show exactly what the billing database holds.

Every expected value is computed here with the test's own SQL against the demo
billing database (and formatted here, not by gateway.formats): the personal
data and assignments, rent components of a month, account summaries and
documents with a running balance, virtual accounts, meter readings, utility
settlements. Scenario residents (gateway/demo/generate.py): 1 Jan Kowalski
(a flat shared with 2 Anna Kowalska, and a garage; replaced meters, an
estimated reading, a storno, overpaid settlements), 3 a former holder whose
assignment ended, 4 the next holder of that flat, 5 a company.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pagehtml import (
    CACHE_OFF_AND_ON,
    CACHE_ON,
    MINUS,
    MONEY_RE,
    NBSP,
    Page,
    body_rows,
    dec,
    dmy,
    module_settings,
    num,
    owed,
    pln,
    row_nodes,
    unit,
)

KINDS = {"M": "Lokal mieszkalny", "G": "Garaż", "U": "Lokal użytkowy"}
READING_KINDS = {"O": "odczyt", "S": "szacunek (odczyt szacunkowy)", "W": "wymiana licznika"}
MEDIA_ORDER = ("ZW", "CW", "CO")
MONTHS = ("styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień",
          "wrzesień", "październik", "listopad", "grudzień")
STAMP_RE = re.compile(r"Stan na (\d{2})\.(\d{2})\.(\d{4}), \d{2}:\d{2}:\d{2}\.")
EXCLUSION = ("Informacje nie uwzględniają (jeśli takowe występują) zaległości dochodzonych na "
             "drodze postępowania sądowego, a także zobowiązań wynikających z otrzymanych od "
             "spółdzielni faktur.")


def d(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])


# ---- the test's own view of the billing database -----------------------------------

class Billing:
    """What resident `who` may see, computed from the demo database with plain SQL."""

    def __init__(self, sql, who: int):
        self.sql = sql
        self.who = who
        self.today = date.today()

    # assignments ---------------------------------------------------------------
    def assignments(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.sql(
            "SELECT p.ID_LOK, p.DATA_OD, p.DATA_DO, p.UDZIAL, t.NAZWA_TYT, l.NR_EWID, "
            "l.RODZ_LOK, l.NR_LOK, l.POW_UZYT, b.ULICA, b.NR_DOMU, b.KOD_POCZT, b.MIASTO "
            "FROM PRZYDZIALY p JOIN LOKALE l ON l.ID_LOK = p.ID_LOK "
            "JOIN BUDYNKI b ON b.ID_BUD = l.ID_BUD LEFT JOIN TYTULY t ON t.KOD_TYT = p.KOD_TYT "
            "WHERE p.ID_OS = ?", (self.who,))]

    def covers(self, premises: int, day: Any) -> bool:
        """The resident holds `premises` on `day` (the access rule for every row)."""
        day = d(day)
        return any(a["ID_LOK"] == premises and d(a["DATA_OD"]) <= day
                   and (a["DATA_DO"] is None or day <= d(a["DATA_DO"]))
                   for a in self.assignments())

    def holds_today(self, premises: int) -> bool:
        return self.covers(premises, self.today)

    def label(self, premises: int) -> str:
        a = next(a for a in self.assignments() if a["ID_LOK"] == premises)
        where = f"{a['ULICA']} {a['NR_DOMU']}"
        where += f"/{a['NR_LOK']}" if a["RODZ_LOK"] == "M" else f", nr {a['NR_LOK']}"
        return f"{KINDS[a['RODZ_LOK']]} {a['NR_EWID']}, {where}"

    def premises_order(self, ids: set[int]) -> list[int]:
        """Active first, flats first, then by register number (how the select lists go)."""
        best: dict[int, tuple] = {}
        for a in self.assignments():
            if a["ID_LOK"] not in ids:
                continue
            active = a["DATA_DO"] is None or d(a["DATA_DO"]) >= self.today
            key = (not active, a["RODZ_LOK"] != "M", a["NR_EWID"], a["DATA_OD"])
            best[a["ID_LOK"]] = min(best.get(a["ID_LOK"], key), key)
        return sorted(best, key=lambda p: best[p])

    def premises_options(self, ids: set[int]) -> list[tuple[str, str]]:
        return [(str(p), self.label(p)) for p in self.premises_order(ids)]

    # rent ----------------------------------------------------------------------
    def rent_months(self) -> dict[int, set[date]]:
        out: dict[int, set[date]] = defaultdict(set)
        for a in self.assignments():
            for r in self.sql("SELECT DISTINCT OKRES FROM NALICZENIA WHERE ID_LOK = ?",
                              (a["ID_LOK"],)):
                if self.covers(a["ID_LOK"], r["OKRES"]):
                    out[a["ID_LOK"]].add(d(r["OKRES"]))
        return dict(out)

    def rent(self, premises: int, month: date) -> list[dict[str, Any]]:
        return [dict(r) for r in self.sql(
            "SELECT n.KOD_SKL, s.NAZWA_SKL, s.PODSTAWA, s.JEDN, n.ILOSC, n.STAWKA, n.KWOTA, "
            "n.KWOTA_VAT FROM NALICZENIA n JOIN SKLADNIKI s ON s.KOD_SKL = n.KOD_SKL "
            "WHERE n.ID_LOK = ? AND n.OKRES = ? ORDER BY n.KOD_SKL",
            (premises, month.isoformat()))]

    # ledger --------------------------------------------------------------------
    def accounts(self) -> dict[int, dict[str, Any]]:
        """Accounts with the years the resident may view them."""
        out: dict[int, dict[str, Any]] = {}
        for a in self.assignments():
            for k in self.sql("SELECT k.*, (SELECT MIN(DATA_DOK) FROM DOKUMENTY x "
                              "WHERE x.ID_KONTA = k.ID_KONTA) AS FIRST_DOC "
                              "FROM KONTA k WHERE k.ID_LOK = ?", (a["ID_LOK"],)):
                if k["FIRST_DOC"] is None:
                    continue
                start = max(d(k["DATA_OTW"]), d(a["DATA_OD"]), date(d(k["FIRST_DOC"]).year, 1, 1))
                ends = [d(x) for x in (k["DATA_ZAMK"], a["DATA_DO"]) if x is not None]
                end = min(ends + [self.today])
                if end < start:
                    continue
                item = out.setdefault(k["ID_KONTA"], dict(k, years=set()))
                item["years"].update(range(start.year, end.year + 1))
        return out

    def account_options(self, premises: int, first_kind: str = "EKS") -> list[tuple[str, str]]:
        mine = [k for k in self.accounts().values() if k["ID_LOK"] == premises]
        mine.sort(key=lambda k: (k["RODZ_KONTA"] != first_kind, k["NR_KONTA"]))
        return [(str(k["ID_KONTA"]), f"{k['NR_KONTA']} – {k['NAZWA_KONTA']}") for k in mine]

    def documents(self, account: int, year: int) -> list[dict[str, Any]]:
        premises = self.sql("SELECT ID_LOK FROM KONTA WHERE ID_KONTA = ?", (account,))[0][0]
        rows = self.sql(
            "SELECT d.*, r.NAZWA_RODZ, c.NR_DOK AS KOR_NR FROM DOKUMENTY d "
            "LEFT JOIN RODZ_DOK r ON r.RODZ_DOK = d.RODZ_DOK "
            "LEFT JOIN DOKUMENTY c ON c.ID_DOK = d.ID_DOK_KOR "
            "WHERE d.ID_KONTA = ? AND d.DATA_DOK BETWEEN ? AND ? ORDER BY d.DATA_DOK, d.ID_DOK",
            (account, f"{year}-01-01", f"{year}-12-31"))
        return [dict(r) for r in rows if self.covers(premises, r["DATA_DOK"])]

    def summary(self, account: int, year: int) -> dict[str, Decimal]:
        premises = self.sql("SELECT ID_LOK FROM KONTA WHERE ID_KONTA = ?", (account,))[0][0]
        opening = sum((dec(r["KWOTA_BO"]) for r in self.sql(
            "SELECT DATA_BO, KWOTA_BO FROM SALDA_BO WHERE ID_KONTA = ? AND DATA_BO BETWEEN ? AND ?",
            (account, f"{year}-01-01", f"{year}-12-31")) if self.covers(premises, r["DATA_BO"])),
            Decimal("0.00"))
        docs = self.documents(account, year)
        debit = sum((dec(x["KWOTA_WN"]) for x in docs if x["KWOTA_WN"] is not None),
                    Decimal("0.00"))
        credit = sum((dec(x["KWOTA_MA"]) for x in docs if x["KWOTA_MA"] is not None),
                     Decimal("0.00"))
        return {"opening": opening, "debit": debit, "credit": credit,
                "closing": opening + debit - credit}

    # meters --------------------------------------------------------------------
    def reading_dates(self) -> dict[int, dict[str, set[date]]]:
        out: dict[int, dict[str, set[date]]] = defaultdict(lambda: defaultdict(set))
        for a in self.assignments():
            for r in self.sql("SELECT m.KOD_MED, o.DATA_ODCZ FROM LICZNIKI m "
                              "JOIN ODCZYTY o ON o.ID_LICZ = m.ID_LICZ WHERE m.ID_LOK = ?",
                              (a["ID_LOK"],)):
                if self.covers(a["ID_LOK"], r["DATA_ODCZ"]):
                    out[a["ID_LOK"]][r["KOD_MED"]].add(d(r["DATA_ODCZ"]))
        return out

    def readings(self, premises: int, medium: str, year: int) -> list[dict[str, Any]]:
        rows = self.sql(
            "SELECT o.*, m.NR_FABR, m.MIEJSCE, md.JEDN FROM ODCZYTY o "
            "JOIN LICZNIKI m ON m.ID_LICZ = o.ID_LICZ JOIN MEDIA md ON md.KOD_MED = m.KOD_MED "
            "WHERE m.ID_LOK = ? AND m.KOD_MED = ? AND o.DATA_ODCZ BETWEEN ? AND ? "
            "ORDER BY o.DATA_ODCZ, o.ID_ODCZ", (premises, medium, f"{year}-01-01", f"{year}-12-31"))
        return [dict(r) for r in rows if self.covers(premises, r["DATA_ODCZ"])]

    def media_names(self) -> dict[str, str]:
        return {r["KOD_MED"]: r["NAZWA_MED"] for r in self.sql("SELECT * FROM MEDIA")}

    # settlements -----------------------------------------------------------------
    def settlement_accounts(self) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for a in self.assignments():
            for r in self.sql("SELECT r.ID_KONTA, r.ID_LOK, r.DATA_ROZL, k.NR_KONTA, "
                              "k.NAZWA_KONTA FROM ROZL_MED r JOIN KONTA k "
                              "ON k.ID_KONTA = r.ID_KONTA WHERE r.ID_LOK = ?", (a["ID_LOK"],)):
                if self.covers(r["ID_LOK"], r["DATA_ROZL"]):
                    item = out.setdefault(r["ID_KONTA"], dict(r, years=set()))
                    item["years"].add(d(r["DATA_ROZL"]).year)
        return out

    def settlements(self, account: int, year: int) -> list[dict[str, Any]]:
        rows = self.sql(
            "SELECT r.*, md.NAZWA_MED, md.JEDN FROM ROZL_MED r JOIN MEDIA md "
            "ON md.KOD_MED = r.KOD_MED WHERE r.ID_KONTA = ? AND r.DATA_ROZL BETWEEN ? AND ? "
            "ORDER BY r.DATA_ROZL, r.KOD_MED, r.NR_DOK",
            (account, f"{year}-01-01", f"{year}-12-31"))
        return [dict(r) for r in rows if self.covers(r["ID_LOK"], r["DATA_ROZL"])]


@pytest.fixture
def billing(demo_sql):
    return lambda who: Billing(demo_sql, who)




@pytest.fixture
def settings(settings, request):
    """conftest's settings, plus indirect parameters and the billing copy (before the app)."""
    return module_settings(settings, request)




def get(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    page = Page(response)
    assert response.status_code == status, (url, response.status_code, page.text[:500])
    return page


def assert_stamp(page: Page) -> None:
    """'Stan na dd.mm.rrrr, gg:mm:ss.': the moment the data was read (today)."""
    match = STAMP_RE.search(page.text)
    assert match, "no 'Stan na …' on the page"
    shown = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    assert shown in {date.today(), datetime.now().date()}


def rate_text(value: Any) -> str:
    """Two decimals, or as many (up to four) as the rate has."""
    rate = dec(value, 4)
    if rate == rate.quantize(Decimal("0.01")):
        return num(rate, 2)
    places = len(str(rate.normalize()).partition(".")[2])
    return num(rate, places)


# ---- public page and cookie notice ----------------------------------------------------

@pytest.mark.parametrize("settings", [{"portal.office": "biuro obsługi, pokój nr 17",
                                       "portal.office_hours": "pon.–czw. 7:30–14:30",
                                       "portal.office_phone": "44 635 00 17"}], indirect=True)
def test_public_page_tells_how_to_get_a_login(client):
    page = get(client, "/")
    assert page.doc.find("h1").text() == "Informacje dla lokatorów"
    text = page.text
    assert "Witamy w Portalu Obsługi Mieszkańców" in text
    assert "biuro obsługi, pokój nr 17" in text and "pon.–czw. 7:30–14:30" in text
    assert "44 635 00 17" in text
    assert "pokój nr 4" not in text  # the configured office, not the default one
    assert any(a.attrs.get("href", "").startswith("/logowanie") for a in page.doc.find_all("a"))
    notice = page.doc.find("aside", class_="cookies")
    assert notice is not None and "plików cookies" in notice.text()
    assert "zarządzać cookies" in notice.text()


def test_cookie_notice_is_dismissed_and_remembered(client):
    page = get(client, "/")
    link = page.doc.find("aside", class_="cookies").find("a")
    assert link.attrs["href"].startswith("/zgoda-cookies?next=")
    response = client.get("/zgoda-cookies?next=/logowanie")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/logowanie")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("zgoda_cookies=1;") and "Max-Age=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    for url in ("/", "/logowanie"):
        assert get(client, url).doc.find("aside", class_="cookies") is None
    fresh = client.application.test_client()
    assert get(fresh, "/").doc.find("aside", class_="cookies") is not None


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil",
                                    "javascript:alert(1)"])
def test_cookie_consent_redirects_only_to_local_pages(client, target):
    response = client.get("/zgoda-cookies", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in {"/", "http://localhost/"}


def test_cookie_notice_keeps_the_resident_on_the_page(logged_in, client):
    page = get(client, "/czynsz?rok=2025&miesiac=3")
    href = page.doc.find("aside", class_="cookies").find("a").attrs["href"]
    response = client.get(href)
    assert response.headers["Location"].endswith("/czynsz?rok=2025&miesiac=3")


# ---- Dane osobowe ----------------------------------------------------------------------

def expected_assignment(a: dict[str, Any], today: date) -> dict[str, str]:
    where = f"{a['ULICA']} {a['NR_DOMU']}"
    where += f"/{a['NR_LOK']}" if a["RODZ_LOK"] == "M" else f", nr {a['NR_LOK']}"
    active = a["DATA_DO"] is None or d(a["DATA_DO"]) >= today
    return {
        "Lokal": a["NR_EWID"], "Rodzaj": KINDS[a["RODZ_LOK"]],
        "Adres": f"{where}, {a['KOD_POCZT']} {a['MIASTO']}",
        "Powierzchnia": f"{num(a['POW_UZYT'], 2)} m²",
        "Tytuł prawny": a["NAZWA_TYT"] + (f" (udział {a['UDZIAL']})" if a["UDZIAL"] else ""),
        "Od": dmy(a["DATA_OD"]), "Do": dmy(a["DATA_DO"]) if a["DATA_DO"] else "nadal",
        "Stan": "aktywny" if active else "zakończony",
    }


@pytest.mark.parametrize("who", [1, 2, 3, 4, 5])
def test_personal_data_and_every_assignment(auth, client, billing, demo_sql, who):
    auth.resident(who)
    page = get(client, "/dane-osobowe")
    person = demo_sql("SELECT * FROM OSOBY WHERE ID_OS = ?", (who,))[0]
    facts = page.main.find("dl", class_="facts")
    pairs = dict(zip([t.text() for t in facts.find_all("dt")],
                     [t.text() for t in facts.find_all("dd")], strict=True))
    if person["NAZWA_FIRMY"]:
        assert pairs["Nazwa"] == person["NAZWA_FIRMY"]
        name = person["NAZWA_FIRMY"]
    else:
        name = f"{person['IMIE']} {person['NAZWISKO']}"
        assert pairs["Imię i nazwisko"] == name
    assert page.doc.find("span", class_="who").text() == name
    assert pairs["Numer mieszkańca"] == str(who)
    assert pairs["Członek spółdzielni"] == (
        f"tak, nr członkowski {person['NR_CZL']}" if person["NR_CZL"] else "nie")
    assert pairs["Adres do korespondencji"] == (person["ADR_KORESP"] or "jak adres lokalu")
    assert pairs["Telefon"] == (person["TELEFON"] or "—")
    assert pairs["E-mail"] == (person["EMAIL"] or "—")
    assert "PESEL" not in page.text
    assert not person["PESEL"] or person["PESEL"] not in page.html

    mine = billing(who)
    shown = body_rows(page.main.find("table"))
    expected = [expected_assignment(a, mine.today) for a in mine.assignments()]
    assert sorted(shown, key=repr) == sorted(expected, key=repr)
    states = [r["Stan"] for r in shown]
    assert states == sorted(states, key=lambda s: s != "aktywny")  # active ones first
    assert_stamp(page)


def test_resident_with_several_premises_sees_both(logged_in, client, billing):
    page = get(client, "/dane-osobowe")
    kinds = [r["Rodzaj"] for r in body_rows(page.main.find("table"))]
    assert kinds == ["Lokal mieszkalny", "Garaż"]
    jan = billing(1)
    assert {a["RODZ_LOK"] for a in jan.assignments()} == {"M", "G"}
    page = get(client, "/czynsz")
    assert page.select("lokal") == jan.premises_options(set(jan.rent_months()))
    assert len(page.select("lokal")) == 2


def test_former_holder_sees_the_ended_assignment(auth, client, demo_sql):
    auth.resident(3)
    row = body_rows(get(client, "/dane-osobowe").main.find("table"))
    end = demo_sql("SELECT DATA_DO FROM PRZYDZIALY WHERE ID_OS = 3")[0][0]
    assert len(row) == 1 and row[0]["Stan"] == "zakończony" and row[0]["Do"] == dmy(end)


@CACHE_ON
def test_personal_page_is_read_fresh_even_with_the_cache_on(billing_copy, auth, client):
    """'Stan na' promises data read when the page was shown: no cached profile."""
    auth.resident(1)
    assert "601 234 567" in get(client, "/dane-osobowe").text
    billing_copy("UPDATE OSOBY SET TELEFON = '600 000 111' WHERE ID_OS = 1")
    billing_copy("UPDATE PRZYDZIALY SET DATA_DO = '2025-06-30' WHERE ID_OS = 1 AND ID_LOK = 109")
    page = get(client, "/dane-osobowe")
    assert "600 000 111" in page.text
    garage = [r for r in body_rows(page.main.find("table")) if r["Rodzaj"] == "Garaż"]
    assert garage[0]["Do"] == "30.06.2025" and garage[0]["Stan"] == "zakończony"


# ---- Czynsz ---------------------------------------------------------------------------

def expected_rent_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for r in rows:
        amount = pln(r["KWOTA"])
        if r["KWOTA_VAT"]:
            amount += f" + VAT {pln(r['KWOTA_VAT'])}"
        out.append({"Składnik": r["NAZWA_SKL"], "Podstawa": r["PODSTAWA"],
                    "Ilość": f"{num(r['ILOSC'], 3 if r['JEDN'] == 'm3' else 2)} {unit(r['JEDN'])}",
                    "Stawka": f"{rate_text(r['STAWKA'])} zł/{unit(r['JEDN'])}",
                    "Kwota": amount})
    return out


def check_rent(page: Page, mine: Billing, premises: int, month: date) -> None:
    rows = mine.rent(premises, month)
    assert rows, "the test picked a month without charges"
    table = page.table("Składniki czynszu")
    assert table is not None
    assert body_rows(table) == expected_rent_rows(rows)
    net = sum((dec(r["KWOTA"]) for r in rows), Decimal("0.00"))
    vat = sum((dec(r["KWOTA_VAT"]) for r in rows if r["KWOTA_VAT"]), Decimal("0.00"))
    foot = {tr.find("th").text(): tr.find("td").text() for tr in table.find("tfoot").find_all("tr")}
    assert foot["Razem do zapłaty"] == pln(net + vat)
    if vat:
        assert foot["Razem netto"] == pln(net) and foot["VAT"] == pln(vat)
    else:
        assert set(foot) == {"Razem do zapłaty"}
    assert f"Termin płatności: do {dmy(month.replace(day=10))}." in page.text
    assert page.selected("lokal") == str(premises)
    assert page.selected("rok") == str(month.year)
    assert page.selected("miesiac") == str(month.month)


def test_rent_defaults_to_the_newest_month_of_the_flat(logged_in, client, billing):
    jan = billing(1)
    months = jan.rent_months()
    page = get(client, "/czynsz")
    flat = jan.premises_order(set(months))[0]
    assert flat == 1  # the flat before the garage
    newest = max(months[flat])
    check_rent(page, jan, flat, newest)
    assert page.select("rok") == [(str(y), str(y)) for y in
                                  sorted({m.year for m in months[flat]}, reverse=True)]
    assert page.select("miesiac") == [(str(m.month), MONTHS[m.month - 1]) for m in
                                      sorted(x for x in months[flat] if x.year == newest.year)]
    assert page.main.find("button").text() == "Wyślij"
    assert_stamp(page)


def test_rent_of_every_month_of_the_flat(logged_in, client, billing):
    jan = billing(1)
    for month in sorted(jan.rent_months()[1]):
        page = get(client, f"/czynsz?lokal=1&rok={month.year}&miesiac={month.month}")
        check_rent(page, jan, 1, month)
        assert page.select("miesiac") == [
            (str(m.month), MONTHS[m.month - 1])
            for m in sorted(x for x in jan.rent_months()[1] if x.year == month.year)]


def test_rent_of_the_garage_shows_vat(logged_in, client, billing):
    jan = billing(1)
    garage = jan.premises_order(set(jan.rent_months()))[1]
    month = max(jan.rent_months()[garage])
    page = get(client, f"/czynsz?lokal={garage}")  # the newest month of that premises
    check_rent(page, jan, garage, month)
    assert any(r["KWOTA_VAT"] for r in jan.rent(garage, month))


def test_rent_year_without_a_month_picks_the_last_month_of_that_year(logged_in, client, billing):
    jan = billing(1)
    year = min(m.year for m in jan.rent_months()[1])
    last = max(m for m in jan.rent_months()[1] if m.year == year)
    check_rent(get(client, f"/czynsz?rok={year}"), jan, 1, last)


def test_rent_year_without_charges_shows_the_newest_month_and_says_so(logged_in, client, billing,
                                                                      audit_rows):
    """docs: a resident's own well-formed choice that has no data is replaced, not a dead end."""
    jan = billing(1)
    first = min(jan.rent_months()[1])
    newest = max(jan.rent_months()[1])
    page = get(client, f"/czynsz?rok={first.year - 1}&miesiac=12")
    check_rent(page, jan, 1, newest)
    assert any(f"roku {first.year - 1}" in note and f"roku {newest.year}" in note
               for note in page.notes())
    assert not audit_rows("access_refused")  # the resident's own choice, not a refusal
    assert_stamp(page)


# ---- Księgowość ------------------------------------------------------------------------

def check_summary(page: Page, mine: Billing, account: int, year: int) -> dict[str, Decimal]:
    expected = mine.summary(account, year)
    table = page.table("Stan konta")
    assert table is not None
    cells = body_rows(table)[0]
    assert cells == {"Saldo początkowe": owed(expected["opening"]),
                     "Obroty Wn (należności)": pln(expected["debit"]),
                     "Obroty Ma (wpłaty i uznania)": pln(expected["credit"]),
                     "Saldo końcowe": owed(expected["closing"])}
    note = page.main.find("p", class_="balance-note").text()
    if expected["closing"] > 0:
        assert f"Do zapłaty: {pln(expected['closing'])}" in note
    elif expected["closing"] < 0:
        assert f"Nadpłata: {pln(-expected['closing'])}" in note
    else:
        assert "Saldo wynosi zero" in note
    assert page.selected("konto") == str(account) and page.selected("rok") == str(year)
    assert EXCLUSION in page.text
    return expected


def test_ledger_defaults_and_options(logged_in, client, billing):
    jan = billing(1)
    accounts = jan.accounts()
    page = get(client, "/ksiegowosc")
    premises = {k["ID_LOK"] for k in accounts.values()}
    assert page.select("lokal") == jan.premises_options(premises)
    flat = int(page.select("lokal")[0][0])
    assert page.selected("lokal") == str(flat)
    assert page.select("konto") == jan.account_options(flat)
    default = int(jan.account_options(flat)[0][0])
    assert accounts[default]["RODZ_KONTA"] == "EKS"
    years = sorted(accounts[default]["years"], reverse=True)
    assert page.select("rok") == [(str(y), str(y)) for y in years]
    check_summary(page, jan, default, years[0])
    link = page.main.find("a", href=f"/ksiegowosc/szczegoly?lokal={flat}&konto={default}"
                                    f"&rok={years[0]}")
    assert link is not None and link.text() == "szczegóły"
    assert_stamp(page)


@pytest.mark.parametrize("who", [1, 3, 4, 5])
def test_ledger_summary_of_every_account_and_year(auth, client, billing, who):
    auth.resident(who)
    mine = billing(who)
    accounts = mine.accounts()
    assert accounts
    for account, info in accounts.items():
        for year in sorted(info["years"]):
            page = get(client, f"/ksiegowosc?lokal={info['ID_LOK']}&konto={account}&rok={year}")
            check_summary(page, mine, account, year)
            assert page.select("konto") == mine.account_options(info["ID_LOK"])
            assert page.select("rok") == [(str(y), str(y))
                                          for y in sorted(info["years"], reverse=True)]


def expected_documents(docs: list[dict[str, Any]], opening: Decimal) -> list[dict[str, str]]:
    balance = opening
    out = []
    for x in docs:
        balance += (dec(x["KWOTA_WN"]) or 0) - (dec(x["KWOTA_MA"]) or 0)
        text = x["OPIS"] or ""
        if x["KOR_NR"]:
            text = f"{text} (korekta dokumentu {x['KOR_NR']})".strip()
        out.append({"Data": dmy(x["DATA_DOK"]), "Numer": x["NR_DOK"],
                    "Rodzaj": x["NAZWA_RODZ"] or x["RODZ_DOK"], "Opis": text,
                    "Wn (należności)": pln(x["KWOTA_WN"]) if x["KWOTA_WN"] is not None else "",
                    "Ma (wpłaty i uznania)": (pln(x["KWOTA_MA"]) if x["KWOTA_MA"] is not None
                                              else ""),
                    "Saldo": owed(balance)})
    return out


@pytest.mark.parametrize("who", [1, 3, 4])
def test_ledger_details_list_every_document_with_a_running_balance(auth, client, billing, who):
    auth.resident(who)
    mine = billing(who)
    for account, info in mine.accounts().items():
        for year in sorted(info["years"]):
            url = f"/ksiegowosc/szczegoly?lokal={info['ID_LOK']}&konto={account}&rok={year}"
            page = get(client, url)
            summary = check_summary(page, mine, account, year)
            table = page.table("Dokumenty na koncie")
            assert table is not None, url
            assert body_rows(table) == expected_documents(mine.documents(account, year),
                                                          summary["opening"])
            opening = table.find("tr", class_="opening")
            assert opening.find_all("td")[-1].text() == owed(summary["opening"])
            if mine.documents(account, year):
                assert body_rows(table)[-1]["Saldo"] == owed(summary["closing"])


def test_storno_is_shown_as_a_correction_with_a_minus(logged_in, client, billing, demo_sql):
    storno = demo_sql("SELECT d.*, c.NR_DOK AS KOR_NR FROM DOKUMENTY d JOIN KONTA k "
                      "ON k.ID_KONTA = d.ID_KONTA JOIN DOKUMENTY c ON c.ID_DOK = d.ID_DOK_KOR "
                      "WHERE d.RODZ_DOK = 'STO' AND k.ID_LOK = 1")[0]
    year = d(storno["DATA_DOK"]).year
    page = get(client, f"/ksiegowosc/szczegoly?lokal=1&konto={storno['ID_KONTA']}&rok={year}")
    rows = row_nodes(page.table("Dokumenty na koncie"))
    row = next(r for r in rows if r.find("td", **{"data-label": "Numer"}).text()
               == storno["NR_DOK"])
    assert "storno" in row.classes()
    assert f"(korekta dokumentu {storno['KOR_NR']})" in row.text()
    debit = row.find("td", **{"data-label": "Wn (należności)"})
    amount = debit.find("span")
    assert amount.text() == pln(storno["KWOTA_WN"]) and amount.text().startswith(MINUS)
    assert "negative" in amount.classes()
    assert "-" not in amount.text()  # a real minus sign, never a hyphen
    # The corrected charge and the storno both stay visible (nothing is hidden).
    numbers = [r.find("td", **{"data-label": "Numer"}).text() for r in rows]
    assert storno["KOR_NR"] in numbers


def test_ledger_shows_an_overpayment(auth, client, demo_sql, billing):
    """Some account of some resident closes a year in credit: 'nadpłata', no minus."""
    found = None
    for k in demo_sql("SELECT DISTINCT p.ID_OS, k.ID_KONTA FROM PRZYDZIALY p "
                      "JOIN KONTA k ON k.ID_LOK = p.ID_LOK WHERE p.DATA_DO IS NULL "
                      "AND k.DATA_ZAMK IS NULL ORDER BY p.ID_OS, k.ID_KONTA"):
        mine = billing(k["ID_OS"])
        info = mine.accounts().get(k["ID_KONTA"])
        for year in sorted(info["years"]) if info else ():
            if mine.summary(k["ID_KONTA"], year)["closing"] < 0:
                found = (mine, info, year)
                break
        if found:
            break
    assert found, "the demo data has no account in credit"
    mine, info, year = found
    auth.resident(mine.who)
    page = get(client, f"/ksiegowosc?lokal={info['ID_LOK']}&konto={info['ID_KONTA']}&rok={year}")
    expected = check_summary(page, mine, info["ID_KONTA"], year)
    closing = body_rows(page.table("Stan konta"))[0]["Saldo końcowe"]
    assert closing == owed(expected["closing"]) and closing.startswith("nadpłata")


def test_ledger_exclusion_notice_on_both_pages(logged_in, client):
    for url in ("/ksiegowosc", "/ksiegowosc/szczegoly"):
        assert EXCLUSION in get(client, url).text


# ---- Wirtualne rachunki -----------------------------------------------------------------

@pytest.mark.parametrize("who", [1, 2, 3, 4, 5])
def test_virtual_accounts_of_the_premises_held_today(auth, client, billing, demo_sql, who):
    auth.resident(who)
    mine = billing(who)
    today = date.today().isoformat()
    expected = []
    for premises in mine.premises_order({a["ID_LOK"] for a in mine.assignments()}):
        if not mine.holds_today(premises):
            continue
        for w in demo_sql("SELECT * FROM RACH_WIRT WHERE ID_LOK = ? AND DATA_OD <= ? AND "
                          "(DATA_DO IS NULL OR DATA_DO >= ?) ORDER BY ID_RW",
                          (premises, today, today)):
            nrb = w["NRB"]
            assert int(nrb[2:] + "2521" + nrb[:2]) % 97 == 1
            grouped = " ".join([nrb[:2]] + [nrb[i:i + 4] for i in range(2, 26, 4)])
            expected.append((mine.label(premises), grouped, nrb, dmy(w["DATA_OD"])))
    page = get(client, "/wirtualne-rachunki")
    shown = []
    for card in page.main.find_all("section", class_="card"):
        valid = re.search(r"Obowiązuje od (\S+)\.", card.text()).group(1)
        shown.append((card.find("h2").text(), card.find("p", class_="nrb").text(),
                      card.find("input").attrs["value"], valid))
    assert sorted(shown) == sorted(expected)
    if not expected:
        assert "Nie masz obecnie przydziału" in page.text
    assert_stamp(page)


# ---- Media odczyty -----------------------------------------------------------------------

def expected_readings(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"Data": dmy(r["DATA_ODCZ"]), "Dokument": r["NR_DOK"], "Nr licznika": r["NR_FABR"],
             "Miejsce": r["MIEJSCE"] or "—", "Stan poprzedni": num(r["STAN_POPRZ"]),
             "Stan obecny": num(r["STAN_AKT"]),
             "Zużycie": (f"{num(r['ZUZYCIE'])} {unit(r['JEDN'])}"
                         if r["ZUZYCIE"] is not None else "—"),
             "Rodzaj": READING_KINDS[r["RODZ_ODCZ"]]} for r in rows]


def media_options(mine: Billing, premises: int) -> list[tuple[str, str]]:
    names = mine.media_names()
    codes = sorted(mine.reading_dates()[premises],
                   key=lambda c: MEDIA_ORDER.index(c) if c in MEDIA_ORDER else 9)
    return [(c, names[c]) for c in codes]


def test_readings_defaults_and_options(logged_in, client, billing):
    jan = billing(1)
    dates = jan.reading_dates()
    page = get(client, "/media/odczyty")
    assert page.select("lokal") == jan.premises_options(set(dates))
    assert 109 not in dates  # the garage has no meters: not offered
    assert page.select("medium") == media_options(jan, 1)
    medium = media_options(jan, 1)[0][0]
    years = sorted({x.year for x in dates[1][medium]}, reverse=True)
    assert page.selected("medium") == medium and page.select("rok") == [(str(y), str(y))
                                                                        for y in years]
    table = page.table("Dokumenty odczytów")
    assert body_rows(table) == expected_readings(jan.readings(1, medium, years[0]))
    assert_stamp(page)


@pytest.mark.parametrize("who", [1, 3, 4])
def test_readings_of_every_medium_and_year(auth, client, billing, who):
    auth.resident(who)
    mine = billing(who)
    for premises, media in mine.reading_dates().items():
        for medium, days in media.items():
            for year in sorted({x.year for x in days}):
                page = get(client, f"/media/odczyty?lokal={premises}&medium={medium}&rok={year}")
                assert body_rows(page.table("Dokumenty odczytów")) == expected_readings(
                    mine.readings(premises, medium, year))
                assert page.select("medium") == media_options(mine, premises)


def test_replaced_meter_shows_both_meters_and_the_estimate(logged_in, client, billing, demo_sql):
    replaced = demo_sql("SELECT * FROM LICZNIKI WHERE ID_LOK = 1 AND KOD_MED = 'ZW' "
                        "AND DATA_DEMONT IS NOT NULL")[0]
    year = d(replaced["DATA_DEMONT"]).year
    page = get(client, f"/media/odczyty?lokal=1&medium=ZW&rok={year}")
    rows = body_rows(page.table("Dokumenty odczytów"))
    assert rows == expected_readings(billing(1).readings(1, "ZW", year))
    swap = [r for r in rows if r["Rodzaj"] == "wymiana licznika"]
    meters = {r["Nr licznika"] for r in swap}
    assert replaced["NR_FABR"] in meters and len(meters) >= 2  # old and new meter
    new = [r for r in swap if r["Nr licznika"] != replaced["NR_FABR"]
           and r["Stan poprzedni"] == "—"]
    assert new, "the new meter's first reading has no previous state"
    assert all(r["Data"] == dmy(replaced["DATA_DEMONT"]) for r in swap)
    estimated = demo_sql("SELECT COUNT(*) FROM ODCZYTY o JOIN LICZNIKI m ON m.ID_LICZ = o.ID_LICZ "
                         "WHERE m.ID_LOK = 1 AND o.RODZ_ODCZ = 'S'")[0][0]
    assert estimated > 0
    shown = 0
    for medium in ("ZW", "CW"):
        for y in sorted({x.year for x in billing(1).reading_dates()[1][medium]}):
            page = get(client, f"/media/odczyty?lokal=1&medium={medium}&rok={y}")
            shown += sum(r["Rodzaj"].startswith("szacunek")
                         for r in body_rows(page.table("Dokumenty odczytów")))
    assert shown >= 1


# ---- Media rozliczenia -----------------------------------------------------------------

def expected_settlements(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for r in rows:
        diff = dec(r["ROZNICA"])
        verdict = (f"niedopłata {pln(diff)}" if diff > 0 else
                   f"nadpłata {pln(-diff)}" if diff < 0 else "rozliczone bez różnicy")
        out.append({"Dokument": f"{r['NR_DOK']} z dnia {dmy(r['DATA_ROZL'])}",
                    "Medium": r["NAZWA_MED"],
                    "Okres": f"{dmy(r['OKRES_OD'])} – {dmy(r['OKRES_DO'])}",
                    "Zużycie": (f"{num(r['ZUZYCIE'])} {unit(r['JEDN'])}"
                         if r["ZUZYCIE"] is not None else "—"),
                    "Zaliczki": pln(r["ZALICZKI"]), "Koszt": pln(r["KOSZT"]),
                    "Wynik": verdict})
    return out


@pytest.mark.parametrize("who", [1, 3, 4])
def test_settlements_of_every_account_and_year(auth, client, billing, who):
    auth.resident(who)
    mine = billing(who)
    accounts = mine.settlement_accounts()
    page = get(client, "/media/rozliczenia")
    assert page.select("lokal") == mine.premises_options({a["ID_LOK"] for a in accounts.values()})
    for account, info in accounts.items():
        for year in sorted(info["years"]):
            page = get(client, f"/media/rozliczenia?lokal={info['ID_LOK']}&konto={account}"
                               f"&rok={year}")
            assert body_rows(page.table("Dokumenty rozliczeń")) == expected_settlements(
                mine.settlements(account, year))
            assert page.select("konto") == [
                (str(k), f"{a['NR_KONTA']} – {a['NAZWA_KONTA']}")
                for k, a in sorted(accounts.items(), key=lambda x: x[1]["NR_KONTA"])
                if a["ID_LOK"] == info["ID_LOK"]]
            assert page.select("rok") == [(str(y), str(y))
                                          for y in sorted(info["years"], reverse=True)]
            assert_stamp(page)


def test_settlement_overpayment_is_named_and_signed(logged_in, client, billing):
    jan = billing(1)
    account, info = next(iter(jan.settlement_accounts().items()))
    year = max(info["years"])
    rows = jan.settlements(account, year)
    over = [r for r in rows if dec(r["ROZNICA"]) < 0]
    assert over, "the scenario has overpaid water settlements"
    page = get(client, "/media/rozliczenia")  # the default: newest year of the MED account
    assert page.selected("konto") == str(account) and page.selected("rok") == str(year)
    shown = {r["Dokument"].split()[0]: r for r in body_rows(page.table("Dokumenty rozliczeń"))}
    for r in over:
        row = shown[r["NR_DOK"]]
        assert row["Wynik"] == f"nadpłata {pln(-dec(r['ROZNICA']))}"


# ---- every page: formats, stamp --------------------------------------------------------

PAGES = ["/dane-osobowe", "/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly",
         "/wirtualne-rachunki", "/media/odczyty", "/media/rozliczenia"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_uses_polish_formats_and_says_when_the_data_was_read(logged_in, client, url):
    page = get(client, url)
    assert_stamp(page)
    text = page.text
    for match in re.finditer(r"(?<![^\W\d_])zł(?![/\w])", text):  # 'zł/m²': a rate's unit
        before = text[max(0, match.start() - 30):match.end()]
        assert re.search(MONEY_RE.pattern + "$", before), repr(before)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), "an ISO date on the page"
    assert not re.search(r"\d\.\d{2}\s?zł", text), "a decimal point in money"
    assert not re.search(r"-\s?\d[\d\u00a0]*,\d{2}\u00a0zł", text), "a hyphen as a minus"
    for day in re.findall(r"\b\d{1,4}\.\d{1,2}\.\d{2,4}\b", text):
        assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", day), day


def test_money_groups_thousands_with_no_break_spaces(logged_in, client, billing):
    jan = billing(1)
    account, info = next((k, v) for k, v in jan.accounts().items() if v["RODZ_KONTA"] == "EKS"
                         and v["ID_LOK"] == 1)
    year = max(info["years"])
    expected = jan.summary(account, year)
    assert expected["debit"] >= 1000, "pick an account with a turnover over 1000 zł"
    page = get(client, f"/ksiegowosc?lokal=1&konto={account}&rok={year}")
    debit = body_rows(page.table("Stan konta"))[0]["Obroty Wn (należności)"]
    assert re.fullmatch(rf"\d{{1,3}}{NBSP}\d{{3}},\d{{2}}{NBSP}zł", debit), repr(debit)
    assert debit == pln(expected["debit"])


# ---- caching: per resident, never shared; 0 turns it off ------------------------------

@CACHE_OFF_AND_ON
def test_cached_lists_are_never_shared_between_residents(app, auth, billing):
    jan_client, anna_client = app.test_client(), app.test_client()
    auth.resident(1, client=jan_client)
    auth.resident(2, client=anna_client)
    jan, anna = billing(1), billing(2)
    for _ in range(2):  # the second round is served from the cache when it is on
        for client, mine in ((jan_client, jan), (anna_client, anna)):
            page = get(client, "/czynsz")
            assert page.select("lokal") == mine.premises_options(set(mine.rent_months()))
            page = get(client, "/ksiegowosc")
            assert page.select("lokal") == mine.premises_options(
                {k["ID_LOK"] for k in mine.accounts().values()})
            person = get(client, "/dane-osobowe")
            rows = body_rows(person.main.find("table"))
            assert len(rows) == len(mine.assignments())
    assert "Garaż" not in get(anna_client, "/czynsz").text
    get(anna_client, "/czynsz?lokal=109", 404)


def test_cache_setting_is_applied(settings, tmp_path, demo_path):
    from conftest import base_settings

    from gateway import create_app

    off = create_app(test_config=base_settings(tmp_path / "a", f"sqlite:{demo_path}"))
    assert off.extensions.get("resident_cache") is None
    on_settings = base_settings(tmp_path / "b", f"sqlite:{demo_path}")
    on_settings["cache.ttl_seconds"] = "120"
    on = create_app(test_config=on_settings)
    assert on.config["CACHE_TTL_SECONDS"] == 120
    assert on.extensions["resident_cache"] is not None


@CACHE_ON
def test_next_holder_and_former_holder_share_a_flat_but_not_periods(app, auth, billing):
    old, new = app.test_client(), app.test_client()
    auth.resident(3, client=old)
    auth.resident(4, client=new)
    for client, who in ((old, 3), (new, 4)):
        mine = billing(who)
        months = mine.rent_months()[2]
        page = get(client, "/czynsz?lokal=2")
        assert page.select("rok") == [(str(y), str(y))
                                      for y in sorted({m.year for m in months}, reverse=True)]
        check_rent(page, mine, 2, max(months))
    end = d(billing(3).assignments()[0]["DATA_DO"])
    assert max(billing(3).rent_months()[2]) <= end < min(billing(4).rent_months()[2])


@CACHE_OFF_AND_ON
def test_changed_billing_data_shows_on_the_next_request(billing_copy, auth, client, billing):
    """A month withdrawn from the billing database: its data is gone at once, cache or not."""
    auth.resident(1)
    months = billing(1).rent_months()[1]
    newest = max(months)
    url = f"/czynsz?lokal=1&rok={newest.year}&miesiac={newest.month}"
    assert get(client, url).table("Składniki czynszu") is not None
    billing_copy("DELETE FROM NALICZENIA WHERE ID_LOK = 1 AND OKRES = ?", (newest.isoformat(),))
    remaining = max(months - {newest})
    response = client.get(url)
    page = Page(response)
    if response.status_code == 404:  # the cached list still offered it: the form, no data
        assert page.table("Składniki czynszu") is None
        assert any("Brak danych dla wybranego okresu" in e for e in page.errors())
    else:  # the fresh list no longer has it: the newest month that exists, and a word why
        check_rent(page, billing(1), 1, remaining)
        assert any(f"miesiąca {newest.month}" in note for note in page.notes())
    # The next page offers only what exists (a stale list is dropped on such a miss).
    page = get(client, "/czynsz?lokal=1")
    check_rent(page, billing(1), 1, remaining)
    if remaining.year == newest.year:
        assert str(newest.month) not in [v for v, _ in page.select("miesiac")]


@CACHE_OFF_AND_ON
def test_cache_on_reads_the_lists_once_and_off_reads_them_every_time(app, auth, client, settings):
    auth.resident(1)
    db = app.extensions["billing"]
    get(client, "/czynsz")  # fills the cache when it is on
    before = db.queries_run
    get(client, "/czynsz")
    ran = db.queries_run - before
    if settings["cache.ttl_seconds"] == "0":
        assert ran >= 3  # the months list, the profile for the header, the components
    else:
        assert ran == 1  # only the data itself: rent components of the month


@CACHE_ON
def test_what_a_page_derives_from_cached_lists_is_reused_until_the_lists_change(
        app, auth, client, monkeypatch):
    from gateway.billing import reads as data
    from gateway.web import builders as resident

    auth.resident(1)
    builds = []
    real = resident._rent_months
    monkeypatch.setattr(resident, "_rent_months",
                        lambda found: builds.append(len(found)) or real(found))
    first = get(client, "/czynsz")
    again = get(client, "/czynsz")
    assert len(builds) == 1
    assert again.select("rok") == first.select("rok")
    with app.app_context():
        data.forget_resident("1")  # e.g. a withdrawn month was found: lists dropped
    assert get(client, "/czynsz").select("rok") == first.select("rok")
    assert len(builds) == 2  # built again from the freshly read list


@CACHE_OFF_AND_ON
def test_new_month_appears_at_once_without_the_cache(billing_copy, auth, client, settings,
                                                     billing):
    auth.resident(1)
    newest = max(billing(1).rent_months()[1])
    get(client, "/czynsz?lokal=1")
    added = date(newest.year + (newest.month == 12), newest.month % 12 + 1, 1)
    billing_copy("INSERT INTO NALICZENIA (ID_NAL, ID_LOK, OKRES, KOD_SKL, ILOSC, STAWKA, KWOTA, "
                 "KWOTA_VAT) SELECT ID_NAL + 1000000, ID_LOK, ?, KOD_SKL, ILOSC, STAWKA, KWOTA, "
                 "KWOTA_VAT FROM NALICZENIA WHERE ID_LOK = 1 AND OKRES = ?",
                 (added.isoformat(), newest.isoformat()))
    page = get(client, "/czynsz?lokal=1")
    url = f"/czynsz?lokal=1&rok={added.year}&miesiac={added.month}"
    if settings["cache.ttl_seconds"] == "0":
        assert page.selected("rok") == str(added.year)
        assert page.selected("miesiac") == str(added.month)
        assert len(body_rows(get(client, url).table("Składniki czynszu"))) == len(
            billing(1).rent(1, newest))
    else:  # the cached list may lag by up to cache.ttl_seconds (a documented trade-off)
        assert page.selected("miesiac") in {str(added.month), str(newest.month)}
        assert client.get(url).status_code in (200, 404)


@CACHE_ON
@pytest.mark.parametrize("page", ["/pulpit", "/dane-osobowe", "/czynsz", "/ksiegowosc",
                                  "/ksiegowosc/szczegoly", "/wirtualne-rachunki",
                                  "/media/odczyty", "/media/rozliczenia"])
def test_the_first_view_of_any_page_after_login_takes_at_most_two_billing_queries(
        app, auth, client, page):
    """The login reads the lists every page needs; a page adds only its own data."""
    db = app.extensions["billing"]
    auth.resident(1)
    before = db.queries_run
    get(client, page)
    assert db.queries_run - before <= 2
    before = db.queries_run
    get(client, page)
    assert db.queries_run - before <= 2
