"""Access rules of the resident pages (SECURITY.md 15–17).

Another resident's premises or accounts answer exactly like ids that do not
exist (404, logged as a refused access); a repeated parameter is one value,
never a union; malformed values are a Polish form error or a 404, never a 500,
never SQL text, never someone else's data; when an assignment ends in the
billing database, the later periods disappear on the next request, with the
per-resident cache off or on.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from pagehtml import (
    CACHE_OFF_AND_ON,
    Page,
    body_rows,
    dec,
    dmy,
    module_settings,
    pln,
    strip_volatile,
)

PAGES = ["/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly", "/media/odczyty",
         "/media/rozliczenia"]
PARAMS = {
    "/czynsz": ("lokal", "rok", "miesiac"),
    "/ksiegowosc": ("lokal", "konto", "rok"),
    "/ksiegowosc/szczegoly": ("lokal", "konto", "rok"),
    "/media/odczyty": ("lokal", "medium", "rok"),
    "/media/rozliczenia": ("lokal", "konto", "rok"),
}
SQL_WORDS = re.compile(r"\b(SELECT|FROM|WHERE|PRZYDZIALY|NALICZENIA|DOKUMENTY|sqlite3?|"
                       r"OperationalError|Traceback|pyodbc)\b")




@pytest.fixture
def settings(settings, request):
    return module_settings(settings, request)


@pytest.fixture
def consent(client):
    """The cookie notice dismissed, so pages do not echo the URL in its link."""
    client.set_cookie("zgoda_cookies", "1")
    return client


def foreign(demo_sql, who: int) -> dict[str, list[int]]:
    """Premises and accounts that exist, hold data, and were never the resident's."""
    premises = [r[0] for r in demo_sql(
        "SELECT DISTINCT n.ID_LOK FROM NALICZENIA n WHERE n.ID_LOK NOT IN "
        "(SELECT ID_LOK FROM PRZYDZIALY WHERE ID_OS = ?) ORDER BY n.ID_LOK", (who,))]
    accounts = [r[0] for r in demo_sql(
        "SELECT k.ID_KONTA FROM KONTA k WHERE k.ID_LOK NOT IN "
        "(SELECT ID_LOK FROM PRZYDZIALY WHERE ID_OS = ?) AND EXISTS "
        "(SELECT 1 FROM ROZL_MED r WHERE r.ID_KONTA = k.ID_KONTA) ORDER BY k.ID_KONTA", (who,))]
    return {"lokal": premises, "konto": accounts}


def nonexistent(demo_sql) -> dict[str, int]:
    return {"lokal": demo_sql("SELECT MAX(ID_LOK) FROM LOKALE")[0][0] + 1000,
            "konto": demo_sql("SELECT MAX(ID_KONTA) FROM KONTA")[0][0] + 1000}


def refused_rows(audit_rows) -> list[str]:
    return [r["detail"] for r in audit_rows("access_refused")]


# ---- another resident's ids are 404, like ids that do not exist -----------------------

@pytest.mark.parametrize("url", PAGES)
def test_another_residents_premises_is_404_like_a_missing_one(logged_in, client, consent, demo_sql,
                                                              url, audit_rows):
    client.get("/dane-osobowe")  # shows (and so drops) the message after login
    theirs = foreign(demo_sql, 1)["lokal"]
    missing = nonexistent(demo_sql)["lokal"]
    other = client.get(f"{url}?lokal={theirs[0]}")
    absent = client.get(f"{url}?lokal={missing}")
    assert other.status_code == absent.status_code == 404
    assert strip_volatile(other.get_data(as_text=True)) == \
        strip_volatile(absent.get_data(as_text=True))
    register = demo_sql("SELECT NR_EWID FROM LOKALE WHERE ID_LOK = ?", (theirs[0],))[0][0]
    assert register not in other.get_data(as_text=True)
    details = refused_rows(audit_rows)
    assert any(d.startswith(url) and f"lokal={theirs[0]}" in d for d in details)
    assert any(d.startswith(url) and f"lokal={missing}" in d for d in details)
    rows = audit_rows("access_refused")
    assert all(r["login"] for r in rows)


def test_many_foreign_premises_never_give_data(logged_in, client, demo_sql):
    for premises in foreign(demo_sql, 1)["lokal"][::7]:
        for url in PAGES:
            response = client.get(f"{url}?lokal={premises}")
            assert response.status_code == 404, (url, premises)
            assert not Page(response).tables()


@pytest.mark.parametrize("url", ["/ksiegowosc", "/ksiegowosc/szczegoly", "/media/rozliczenia"])
def test_another_residents_account_is_404_like_a_missing_one(logged_in, client, consent, demo_sql,
                                                             url, audit_rows):
    client.get("/dane-osobowe")  # shows (and so drops) the message after login
    theirs = foreign(demo_sql, 1)["konto"][0]
    missing = nonexistent(demo_sql)["konto"]
    for query in (f"konto={theirs}", f"lokal=1&konto={theirs}"):
        other = client.get(f"{url}?{query}")
        absent = client.get(f"{url}?{query.replace(str(theirs), str(missing))}")
        assert other.status_code == absent.status_code == 404
        assert strip_volatile(other.get_data(as_text=True)) == \
            strip_volatile(absent.get_data(as_text=True))
        assert not Page(other).tables()
    assert any(f"konto={theirs}" in d for d in refused_rows(audit_rows))


def test_own_account_of_another_premises_is_not_mixed_in(logged_in, client, demo_sql,
                                                         audit_rows):
    """The garage's account asked for with the flat: the flat's own account, and a word why.

    (What a resident gets who switches the premises and presses "Wyślij" with the other
    premises' account still selected: never a dead end, never a union.)
    """
    garage = demo_sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK = 109")[0][0]
    flat_accounts = {str(r[0]) for r in demo_sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK = 1")}
    page = Page(client.get(f"/ksiegowosc?lokal=1&konto={garage}"))
    assert page.status == 200
    assert page.selected("lokal") == "1" and page.selected("konto") in flat_accounts
    assert str(garage) not in [v for v, _ in page.select("konto")]
    assert page.notes() and "Konto" in page.notes()[0]
    assert not audit_rows("access_refused")  # the resident's own account: not a refusal
    own = Page(client.get(f"/ksiegowosc?lokal=109&konto={garage}"))
    assert own.selected("konto") == str(garage) and not own.notes()


@pytest.mark.parametrize("who, theirs", [(3, 4), (4, 3)])
def test_holders_of_one_flat_never_see_each_others_accounts(auth, client, demo_sql, who, theirs):
    """The former and the next holder of flat 2: same premises, separate accounts."""
    auth.resident(who)
    accounts = [r[0] for r in demo_sql(
        "SELECT k.ID_KONTA FROM KONTA k JOIN PRZYDZIALY p ON p.ID_LOK = k.ID_LOK "
        "WHERE p.ID_OS = ? AND k.ID_LOK = 2 AND k.DATA_OTW >= p.DATA_OD "
        "AND (p.DATA_DO IS NULL OR k.DATA_OTW <= p.DATA_DO)", (theirs,))]
    assert accounts
    for account in accounts:
        for url in ("/ksiegowosc", "/ksiegowosc/szczegoly", "/media/rozliczenia"):
            response = client.get(f"{url}?lokal=2&konto={account}")
            assert response.status_code == 404, (url, account)
            assert not Page(response).tables()
        page = Page(client.get("/ksiegowosc?lokal=2"))
        assert str(account) not in [v for v, _ in page.select("konto")]


def test_former_holder_is_refused_the_next_holders_periods(auth, client, demo_sql, audit_rows):
    auth.resident(3)
    end = date.fromisoformat(demo_sql("SELECT DATA_DO FROM PRZYDZIALY WHERE ID_OS = 3")[0][0])
    after = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    later = demo_sql("SELECT MAX(OKRES) FROM NALICZENIA WHERE ID_LOK = 2")[0][0]
    later = date.fromisoformat(later)
    for month in (after, later):
        response = client.get(f"/czynsz?lokal=2&rok={month.year}&miesiac={month.month}")
        page = Page(response)
        assert response.status_code == 404
        assert page.table("Składniki czynszu") is None
        assert page.selected("lokal") == "2"  # the form stays, with the resident's own options
        assert all(int(v) <= end.year for v, _ in page.select("rok"))
    for url in ("/ksiegowosc", "/ksiegowosc/szczegoly", "/media/rozliczenia"):
        response = client.get(f"{url}?lokal=2&rok={later.year}")
        assert response.status_code == 404 and Page(response).table("Dokumenty") is None
        assert Page(response).table("Stan konta") is None
    response = client.get(f"/media/odczyty?lokal=2&rok={later.year}")
    assert response.status_code == 404 and not Page(response).tables()
    assert sum(d.startswith("/czynsz") for d in refused_rows(audit_rows)) == 2
    # Nothing of the next holder's on any page of the former holder.
    heir = demo_sql("SELECT NAZWISKO FROM OSOBY WHERE ID_OS = 4")[0][0]
    for url in ["/dane-osobowe", "/wirtualne-rachunki"] + PAGES:
        assert heir not in client.get(url).get_data(as_text=True)


# ---- duplicated parameters: one value, never a union -----------------------------------

def test_repeated_premises_uses_the_first_value_only(logged_in, client, consent):
    client.get("/dane-osobowe")  # shows (and so drops) the message after login
    one = client.get("/czynsz?lokal=1")
    both = client.get("/czynsz?lokal=1&lokal=109")
    assert both.status_code == 200
    assert strip_volatile(both.get_data(as_text=True)) == strip_volatile(one.get_data(as_text=True))
    page = Page(both)
    assert page.selected("lokal") == "1"
    assert len(body_rows(page.table("Składniki czynszu"))) == len(
        body_rows(Page(one).table("Składniki czynszu")))
    garage_first = Page(client.get("/czynsz?lokal=109&lokal=1"))
    assert garage_first.selected("lokal") == "109"


@pytest.mark.parametrize("url", PAGES)
def test_repeated_parameter_with_a_foreign_value_first_is_refused(logged_in, client, demo_sql,
                                                                  url):
    theirs = foreign(demo_sql, 1)["lokal"][0]
    response = client.get(f"{url}?lokal={theirs}&lokal=1")
    assert response.status_code == 404 and not Page(response).tables()
    register = demo_sql("SELECT NR_EWID FROM LOKALE WHERE ID_LOK = ?", (theirs,))[0][0]
    mixed = client.get(f"{url}?lokal=1&lokal={theirs}")
    assert mixed.status_code == 200 and register not in mixed.get_data(as_text=True)
    assert Page(mixed).selected("lokal") == "1"


def test_repeated_year_and_account(logged_in, client, consent, demo_sql):
    theirs = foreign(demo_sql, 1)["konto"][0]
    page = Page(client.get(f"/ksiegowosc?lokal=1&konto=2&konto={theirs}&rok=2025&rok=2024"))
    assert page.status == 200
    assert page.selected("konto") == "2" and page.selected("rok") == "2025"
    assert client.get(f"/ksiegowosc?lokal=1&konto={theirs}&konto=2").status_code == 404


# ---- malformed values: a Polish form error or 404, never 500 -----------------------------

BAD_VALUES = [
    "abc", "13", "0", "-1", "+1", "1e3", "1.5", "0x10", "2025 OR 1=1", "' OR '1'='1",
    "1; DROP TABLE OSOBY; --", "1 UNION SELECT PESEL FROM OSOBY", "%", "%27", "\\", "\x00",
    "<script>alert(1)</script>", "２０２５", "٢٠٢٥", "🙂", "Żółć", "\u202e1", " ",
    "9" * 40, "1" * 41, "x" * 10 * 1024, "9999999999", "1900", "2100", "1899", "2101", "ZW'--",
]


def check_refusal(response, value: str) -> Page:
    page = Page(response)
    html = page.html
    assert response.status_code in (400, 404), (response.status_code, value[:50])
    assert not SQL_WORDS.search(page.text), page.text[:300]
    assert "<script>alert" not in html
    for secret in ("Żółtowski", "Wiśniewska", "01-0002", "PESEL"):
        assert secret not in html
    if response.status_code == 400:
        errors = page.errors()
        assert errors and any(re.search(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]|Nieprawidłowa|podaj|wybierz",
                                        e) for e in errors), errors
        assert not page.tables()
    return page


@pytest.mark.parametrize("url", PAGES)
def test_malformed_values_in_every_parameter(logged_in, client, consent, url, audit_rows):
    for name in PARAMS[url]:
        for value in BAD_VALUES:
            response = client.get(f"{url}?{urlencode({name: value})}")
            if response.status_code == 200:
                # Only a value that is well-formed and the resident's own may show data.
                assert name in ("rok",) and value.strip() in {"2025"}, (name, value[:40])
                continue
            check_refusal(response, value)


@pytest.mark.parametrize("query, message", [
    ("rok=abc", "Rok: podaj liczbę."),
    ("miesiac=13", "Miesiąc: wartość spoza zakresu 1–12."),
    ("lokal=' OR '1'='1", "Lokal: podaj liczbę."),
    ("rok=" + "1" * 10240, "Nieprawidłowa wartość w formularzu"),
    ("rok=２０２５", "Rok: podaj liczbę."),
])
def test_form_error_says_what_is_wrong_in_polish(logged_in, client, query, message):
    response = client.get("/czynsz?" + urlencode(dict([query.split("=", 1)])))
    page = check_refusal(response, query)
    assert response.status_code == 400
    assert any(e.startswith(message) for e in page.errors())
    assert response.headers["Content-Type"].startswith("text/html")


def test_account_injection_is_a_form_error(logged_in, client):
    for url in ("/ksiegowosc", "/ksiegowosc/szczegoly", "/media/rozliczenia"):
        response = client.get(url + "?" + urlencode({"konto": "' OR '1'='1"}))
        page = check_refusal(response, "konto")
        assert response.status_code == 400 and any(e.startswith("Konto:") for e in page.errors())


def test_unknown_parameters_are_ignored(logged_in, client):
    for url in ["/dane-osobowe", "/wirtualne-rachunki"] + PAGES:
        response = client.get(url + "?resident=2&ID_OS=3&x=" + "y" * 5000)
        assert response.status_code == 200, url
    page = Page(client.get("/dane-osobowe?resident=3"))
    assert "Jan Kowalski" in page.text and "Żółtowski" not in page.text


def test_long_query_string_and_junk_never_500(logged_in, client):
    junk = "&".join(f"lokal={i}" for i in range(1, 2000))
    assert client.get("/czynsz?" + junk).status_code == 200  # the first: the resident's flat
    assert client.get("/czynsz?lokal=%ff%fe").status_code in (400, 404)
    assert client.get("/czynsz?rok=%C0%AF").status_code in (400, 404)
    assert client.get("/media/odczyty?medium=" + "Z" * 4).status_code == 400


# ---- an assignment ends in the billing database: later periods disappear ---------------

@CACHE_OFF_AND_ON
def test_ended_assignment_hides_later_periods_on_the_next_request(billing_copy, auth, client,
                                                                  consent, demo_sql,
                                                                  audit_rows):
    auth.resident(1)
    garage = 109
    account = demo_sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK = ?", (garage,))[0][0]
    newest = date.fromisoformat(
        demo_sql("SELECT MAX(OKRES) FROM NALICZENIA WHERE ID_LOK = ?", (garage,))[0][0])
    end = date(newest.year - 1, 6, 30)
    rent_late = f"/czynsz?lokal={garage}&rok={newest.year}&miesiac={newest.month}"
    rent_last = f"/czynsz?lokal={garage}&rok={end.year}&miesiac=6"
    rent_after = f"/czynsz?lokal={garage}&rok={end.year}&miesiac=7"
    ledger_late = f"/ksiegowosc?lokal={garage}&konto={account}&rok={newest.year}"
    details_end = f"/ksiegowosc/szczegoly?lokal={garage}&konto={account}&rok={end.year}"
    # Before: everything is there (and, with the cache on, the lists are now cached).
    for url in (rent_late, rent_last, rent_after, ledger_late, details_end, "/czynsz",
                f"/ksiegowosc?lokal={garage}"):
        assert client.get(url).status_code == 200, url
    assert "03-0001" in client.get("/wirtualne-rachunki").get_data(as_text=True)

    billing_copy("UPDATE PRZYDZIALY SET DATA_DO = ? WHERE ID_OS = 1 AND ID_LOK = ?",
                 (end.isoformat(), garage))

    # The very next requests: no data after the end, whatever the cache holds.
    # (The flat still runs: such a period is the resident's for the flat, so the page may
    # instead show the garage's last period and say so; never anything after the end.)
    for url in (rent_late, rent_after):
        response = client.get(url)
        page = Page(response)
        if response.status_code == 200:
            assert page.notes() and page.selected("rok") == str(end.year), url
            assert int(page.selected("miesiac")) <= end.month, url
        else:
            assert response.status_code == 404, url
            assert page.table("Składniki czynszu") is None
    response = client.get(ledger_late)
    if response.status_code == 200:
        assert Page(response).notes() and Page(response).selected("rok") == str(end.year)
    else:
        assert response.status_code == 404 and Page(response).table("Stan konta") is None
    page = Page(client.get(details_end))
    assert page.status == 200
    docs = body_rows(page.table("Dokumenty na koncie"))
    assert docs and all(date(*map(int, reversed(r["Data"].split(".")))) <= end for r in docs)
    expected = demo_sql("SELECT KWOTA_WN, KWOTA_MA, NR_DOK FROM DOKUMENTY WHERE ID_KONTA = ? "
                        "AND DATA_DOK BETWEEN ? AND ? ORDER BY DATA_DOK, ID_DOK",
                        (account, f"{end.year}-01-01", end.isoformat()))
    assert [r["Numer"] for r in docs] == [r["NR_DOK"] for r in expected]
    debit = sum((dec(r["KWOTA_WN"]) for r in expected if r["KWOTA_WN"] is not None),
                Decimal("0.00"))
    assert body_rows(page.table("Stan konta"))[0]["Obroty Wn (należności)"] == pln(debit)
    assert "03-0001" not in client.get("/wirtualne-rachunki").get_data(as_text=True)
    assert Page(client.get("/dane-osobowe")).text.count(dmy(end)) == 1
    # Up to the end it is still the resident's.
    assert Page(client.get(rent_last)).table("Składniki czynszu") is not None
    # And the lists now end where the assignment ends.
    page = Page(client.get(f"/czynsz?lokal={garage}"))
    assert page.status == 200
    assert [v for v, _ in page.select("rok")][0] == str(end.year)
    assert page.selected("miesiac") == "6"
    page = Page(client.get(f"/ksiegowosc?lokal={garage}"))
    assert max(int(v) for v, _ in page.select("rok")) == end.year
    # The resident's own (flat's) periods are not a refused access (only foreign ids are).
    assert not refused_rows(audit_rows)
