"""Money means one thing everywhere: a balance says in words whether the resident owes
(`amount-debt`, "do zapłaty" / "niedopłata") or overpaid (`amount-overpaid`, "nadpłata"),
never a bare minus; the sign convention is explained once on each money page."""

from __future__ import annotations

from decimal import Decimal

from pagehtml import Page, owed, pln

from gateway.web.formats import owed as owed_filter

PAGES = ("/ksiegowosc", "/ksiegowosc/szczegoly", "/media/rozliczenia")


def test_the_filter_says_debt_and_overpayment_in_words():
    debt = str(owed_filter(Decimal("1234.56")))
    over = str(owed_filter(Decimal("-1071.29")))
    assert 'class="amount amount-debt"' in debt and "do zapłaty" in debt
    assert 'class="amount amount-overpaid"' in over and "nadpłata" in over
    assert "\u2212" not in over and "-" not in over.split(">", 2)[-1]
    assert "niedopłata" in str(owed_filter(Decimal("5"), "niedopłata"))
    zero = str(owed_filter(Decimal("0.00")))
    assert "amount-debt" not in zero and "amount-overpaid" not in zero


def spans(page: Page, css: str) -> list[str]:
    return [s.text() for s in page.main.find_all("span", class_=css)
            if "amount" in s.classes()]


def test_every_balance_on_the_money_pages_is_a_debt_or_an_overpayment(logged_in, client,
                                                                       demo_sql):
    accounts = [r[0] for r in demo_sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK IN (1, 109)")]
    seen = {"amount-debt": 0, "amount-overpaid": 0}
    for url in PAGES:
        for konto in accounts:
            response = client.get(f"{url}?konto={konto}" if url != "/media/rozliczenia" else url)
            page = Page(response)
            assert response.status_code == 200, url
            explained = page.main.find_all("p", class_="money-meaning")
            assert len(explained) == 1, url  # once per page
            assert "do zapłaty" in explained[0].text() and "nadpłata" in explained[0].text()
            for css, word in (("amount-debt", ("do zapłaty", "niedopłata")),
                              ("amount-overpaid", ("nadpłata",))):
                for text in spans(page, css):
                    seen[css] += 1
                    assert text.startswith(word), (url, text)
                    assert "\u2212" not in text, (url, text)
    assert seen["amount-debt"] and seen["amount-overpaid"], seen


def test_a_negative_closing_balance_is_an_overpayment(logged_in, client, demo_sql):
    """Jan Kowalski's running balance (szczegóły) against our own SQL: the sign decides
    the word, the amount is shown without a minus."""
    konto = demo_sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK = 1 ORDER BY ID_KONTA")[0][0]
    page = Page(client.get(f"/ksiegowosc/szczegoly?lokal=1&konto={konto}"))
    table = page.table("Dokumenty na koncie")
    cells = [td.text() for td in table.find_all("td") if td.attrs.get("data-label") == "Saldo"]
    assert cells
    for text in cells:
        assert "\u2212" not in text
        assert text.startswith(("do zapłaty", "nadpłata")) or text == pln(0)


def test_owed_helper_matches_the_page_convention():
    assert owed(Decimal("-3.10")) == f"nadpłata {pln(Decimal('3.10'))}"
    assert owed(Decimal("3.10"), "niedopłata") == f"niedopłata {pln(Decimal('3.10'))}"
