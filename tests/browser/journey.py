"""The resident's journey through the portal, the same for mouse, phone and keyboard.

Public page → cookie notice → login with the start password from the office →
forced password change (refused first, then accepted) → Pulpit → the six tabs, each with
its form changed and "Wyślij" pressed, checking what is shown against our own
SQL → premises switch → "szczegóły" in Księgowość → back arrow → "Wyloguj" →
the browser's back button shows no data.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .support import (
    LANDING_HEADING,
    STRONG_PASSWORD,
    Expected,
    Portal,
    cell_texts,
    owed_text,
    visible_text,
)


def run_journey(portal: Portal, office: Any, e: Expected) -> None:
    page, drive = portal.page, portal.driver
    assert drive is not None
    person = e.person()
    slip = office.issue(e.resident)
    nav = page.get_by_role("navigation", name="Zakładki")
    button = page.get_by_role("button", name="Wyślij")

    # -- the public page, the cookie notice ------------------------------------------------
    portal.goto("/")
    expect(portal.heading()).to_have_text("Informacje dla lokatorów")
    expect(nav).to_have_count(0)
    cookies = page.get_by_role("complementary", name="Informacja o plikach cookies")
    expect(cookies).to_be_visible()
    portal.arrive("informacje-dla-lokatorow")
    drive.follow(cookies.get_by_role("link", name="Rozumiem"))
    expect(portal.heading()).to_have_text("Informacje dla lokatorów")
    expect(cookies).to_have_count(0)

    # -- login with the start password ----------------------------------------------------------
    drive.follow(page.get_by_role("banner").get_by_role("link", name=re.compile("zaloguj")))
    expect(portal.heading()).to_have_text("Logowanie")
    portal.arrive("logowanie")
    drive.fill(page.get_by_label("Login", exact=True), slip["login"])
    drive.fill(page.get_by_label("Hasło", exact=True), slip["start_password"])
    drive.follow(page.get_by_role("button", name="Zaloguj"))

    # -- forced password change: a password made of the resident's name is refused ------------
    expect(portal.heading()).to_have_text("Ustal swoje hasło")
    assert portal.path == "/haslo"
    expect(nav).to_have_count(0)  # no data before the resident's own password
    portal.arrive("ustal-haslo")
    weak = f"{person['NAZWISKO']} {person['IMIE']} {person['NAZWISKO']}"
    # The start password was just verified at login: only the new one, twice.
    expect(page.get_by_label("Obecne hasło")).to_have_count(0)
    new, again = page.get_by_label("Nowe hasło", exact=True), page.get_by_label("Powtórz")
    portal.monitor.allow("/haslo", 422)
    for field, text in ((new, weak), (again, weak)):
        drive.fill(field, text)
    drive.follow(page.get_by_role("button", name="Zapisz nowe hasło"))
    expect(page.get_by_role("alert")).to_contain_text("zbudowane z Twojego loginu, imienia")
    expect(nav).to_have_count(0)
    portal.arrive("haslo-odrzucone")
    for field, text in ((new, STRONG_PASSWORD), (again, STRONG_PASSWORD)):
        drive.fill(field, text)
    drive.follow(page.get_by_role("button", name="Zapisz nowe hasło"))

    # -- Pulpit, the landing page: how much is due and how to pay --------------------------
    expect(portal.heading()).to_have_text(LANDING_HEADING)
    expect(page.get_by_role("status")).to_contain_text("Hasło zostało zmienione")
    banks = e.bank_accounts()
    for place in e.premises():
        card = page.locator("section.summary-premises").filter(has_text=place.register_no)
        due = e.due(place.id)
        expect(card.locator(".due-total")).to_have_text(
            "Stan konta na dziś: " + (owed_text(due) if due else "nic do zapłaty"))
        expect(card.locator("input.copy")).to_have_value(banks[place.register_no])
        expect(card.get_by_role("img", name="Kod QR do przelewu")).to_be_visible()
    portal.arrive("pulpit")

    # -- Dane osobowe -------------------------------------------------------------------------
    drive.open_tab("Dane osobowe")
    expect(portal.heading()).to_have_text("Dane osobowe")
    expect(page.get_by_role("banner")).to_contain_text(e.full_name())
    facts = page.locator("dl.facts")
    expect(facts.locator("dt:has-text('Imię i nazwisko') + dd")).to_have_text(e.full_name())
    expect(facts.locator("dt:has-text('Numer mieszkańca') + dd")).to_have_text(str(e.resident))
    held = page.locator("main table tbody tr")
    assert sorted(cell_texts(held, 0)) == sorted(r["NR_EWID"] for r in e.assignments())
    portal.arrive("dane-osobowe")

    # -- Czynsz: another month, then the garage (premises switch) ----------------------------
    premises = e.premises()
    assert len(premises) >= 2, "the journey needs a resident with several premises"
    flat, other = premises[0], premises[1]
    year, month = e.rent_choice([flat.id, other.id])
    drive.open_tab("Czynsz (opłata eksploatacyjna)")
    expect(portal.heading()).to_have_text("Czynsz (opłata eksploatacyjna)")
    drive.choose(page.get_by_label("Lokal", exact=True), str(flat.id))
    drive.choose(page.get_by_label("Rok", exact=True), str(year))
    drive.choose(page.get_by_label("Miesiąc", exact=True), str(month))
    drive.follow(button)
    assert portal.query == {"lokal": str(flat.id), "rok": str(year), "miesiac": str(month)}
    check_rent(portal, e.rent(flat.id, year, month))
    portal.arrive("czynsz")

    drive.choose(page.get_by_label("Lokal", exact=True), str(other.id))
    drive.follow(button)
    assert portal.query == {"lokal": str(other.id), "rok": str(year), "miesiac": str(month)}
    expect(page.get_by_label("Lokal", exact=True)).to_have_value(str(other.id))
    check_rent(portal, e.rent(other.id, year, month))
    portal.arrive("czynsz-drugi-lokal")

    # -- Księgowość: another account and year, "szczegóły", back arrow ------------------------
    drive.open_tab("Księgowość")
    expect(portal.heading()).to_have_text("Księgowość")
    accounts = e.accounts(flat.id)
    account = next((a for a in accounts if a["RODZ_KONTA"] != "EKS"), accounts[0])
    years = e.ledger_years(account["ID_KONTA"])
    ledger_year = years[-2] if len(years) > 1 else years[-1]
    drive.choose(page.get_by_label("Lokal", exact=True), str(flat.id))
    drive.choose(page.get_by_label("Konto", exact=True), str(account["ID_KONTA"]))
    drive.choose(page.get_by_label("Rok", exact=True), str(ledger_year))
    drive.follow(button)
    params = {"lokal": str(flat.id), "konto": str(account["ID_KONTA"]), "rok": str(ledger_year)}
    assert portal.query == params
    ledger = e.ledger(account["ID_KONTA"], ledger_year)
    check_ledger(portal, ledger, ledger_year)
    portal.arrive("ksiegowosc")

    drive.follow(page.get_by_role("link", name="szczegóły"))
    assert portal.path == "/ksiegowosc/szczegoly" and portal.query == params
    expect(portal.heading()).to_have_text("Księgowość – szczegóły")
    documents = page.locator("main table:has(#cap-dokumenty) tbody tr:not(.opening)")
    assert cell_texts(documents, 1) == ledger["documents"]
    if ledger["documents"]:
        assert cell_texts(documents, 6)[-1] == ledger["cells"][3]  # running balance = closing
    portal.arrive("ksiegowosc-szczegoly")

    drive.follow(page.get_by_role("link", name="Wstecz"))
    assert portal.path == "/ksiegowosc" and portal.query == params
    check_ledger(portal, ledger, ledger_year)

    # -- Wirtualne rachunki ---------------------------------------------------------------------
    drive.open_tab("Wirtualne rachunki")
    expect(portal.heading()).to_have_text("Wirtualne rachunki")
    banks = e.bank_accounts()
    cards = page.locator("main section.card")
    expect(cards).to_have_count(len(banks))
    for register_no, raw in banks.items():
        card = cards.filter(has_text=register_no)
        expect(card.locator(".nrb")).to_have_text(Expected.nrb_grouped(raw))
        expect(card.get_by_role("textbox")).to_have_value(raw)
    portal.arrive("wirtualne-rachunki")

    # -- Media odczyty: another medium and year ----------------------------------------------
    drive.open_tab("Media odczyty")
    expect(portal.heading()).to_have_text("Media odczyty")
    media = e.media(flat.id)
    medium = media[1] if len(media) > 1 else media[0]
    shared = sorted(set(e.reading_years(flat.id, media[0])) &
                    set(e.reading_years(flat.id, medium)))
    reading_year = shared[-2] if len(shared) > 1 else shared[-1]
    drive.choose(page.get_by_label("Lokal", exact=True), str(flat.id))
    drive.choose(page.get_by_label("Medium", exact=True), medium)
    drive.choose(page.get_by_label("Rok", exact=True), str(reading_year))
    drive.follow(button)
    assert portal.query == {"lokal": str(flat.id), "medium": medium, "rok": str(reading_year)}
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        f"{e.medium_name(medium)}: odczyty w roku {reading_year}")
    rows = page.locator("main table").first.locator("tbody tr")  # not the chart's table
    readings = e.readings(flat.id, medium, reading_year)
    assert readings, "the demo flat has readings in that year"
    assert cell_texts(rows, 1) == [r["doc"] for r in readings]
    assert cell_texts(rows, 2) == [r["meter"] for r in readings]
    for shown, reading in zip(cell_texts(rows, 6), readings, strict=True):
        if reading["consumption"] == "—":  # a first reading of a new meter: no consumption
            assert shown == "—", (shown, reading)
        else:
            assert shown.startswith(reading["consumption"] + "\u00a0") or shown.startswith(
                reading["consumption"] + " "), (shown, reading)
    portal.arrive("media-odczyty")

    # -- Media rozliczenia: another year -----------------------------------------------------
    drive.open_tab("Media rozliczenia")
    expect(portal.heading()).to_have_text("Media rozliczenia")
    konto = e.settlement_accounts(flat.id)[0]
    years = e.settlement_years(konto)
    settle_year = years[-2] if len(years) > 1 else years[-1]
    drive.choose(page.get_by_label("Lokal", exact=True), str(flat.id))
    drive.choose(page.get_by_label("Konto", exact=True), str(konto))
    drive.choose(page.get_by_label("Rok", exact=True), str(settle_year))
    drive.follow(button)
    assert portal.query == {"lokal": str(flat.id), "konto": str(konto), "rok": str(settle_year)}
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        f"Rozliczenia w roku {settle_year}")
    rows = page.locator("main table tbody tr")
    settlements = e.settlements(konto, settle_year)
    assert settlements, "the demo flat has settlements in that year"
    assert [t.split("\n")[0].strip() for t in cell_texts(rows, 0)] == [
        s["doc"] for s in settlements]
    assert cell_texts(rows, 4) == [s["advances"] for s in settlements]
    assert cell_texts(rows, 5) == [s["cost"] for s in settlements]
    assert cell_texts(rows, 6) == [s["result"] for s in settlements]
    portal.arrive("media-rozliczenia")

    # -- Wyloguj; then the back button shows nothing ----------------------------------------
    drive.follow(page.get_by_role("button", name="Wyloguj"))
    expect(portal.heading()).to_have_text("Logowanie")
    expect(page.get_by_role("status")).to_contain_text("Wylogowano")
    expect(nav).to_have_count(0)
    portal.arrive("wylogowano")
    secrets = [person["NAZWISKO"], *banks.values(), *ledger["documents"][:3], "zł"]
    for _ in range(3):
        page.go_back(wait_until="load")
        expect(portal.heading()).to_have_text("Logowanie")
        shown = visible_text(page)
        leaked = [s for s in secrets if s in shown]
        assert not leaked, f"after logout, Back shows {leaked} at {page.url}"
        expect(nav).to_have_count(0)
    portal.monitor.assert_clean("back after logout")


def check_rent(portal: Portal, rent: dict[str, Any]) -> None:
    page = portal.page
    expect(page.get_by_role("heading", level=2).first).to_have_text(rent["heading"])
    table = page.locator("main table").first  # the components; the chart's tables follow
    assert cell_texts(table.locator("tbody tr"), 0) == rent["components"]
    foot = table.locator("tfoot")
    assert foot.locator("tr.total td").inner_text().strip() == rent["total"]
    vat_row = foot.locator("tr", has=page.locator("th", has_text=re.compile("^VAT$")))
    if rent["vat"]:
        assert vat_row.locator("td").inner_text().strip() == rent["vat"]
    else:
        expect(vat_row).to_have_count(0)


def check_ledger(portal: Portal, ledger: dict[str, Any], year: int) -> None:
    page = portal.page
    expect(portal.heading()).to_have_text("Księgowość")
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        f"Konto {ledger['number']} – {ledger['name']}, rok {year}")
    cells = page.locator("main table.summary tbody td")
    assert [c.strip() for c in cells.all_inner_texts()] == ledger["cells"]
    expect(page.locator("main")).to_contain_text(
        "nie uwzględniają (jeśli takowe występują) zaległości dochodzonych na drodze "
        "postępowania sądowego")
