"""Accessibility: axe-core (npm package, injected by the test) on every page of the
portal, at desktop and phone size: no serious or critical violation; every form
control labelled, every table with column headers and a caption, contrast checked.
Error pages and form-error states are pages too.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from playwright.sync_api import expect

from .support import LANDING_HEADING, STRONG_PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_page_passes_axe(axe_js, open_portal, office, expected, viewport):
    e = expected(1)
    flat, other = e.premises()[:2]
    portal = open_portal(viewport, axe=True, prefix=f"{viewport}-stany")
    page = portal.page
    minor: list[dict[str, Any]] = []

    def check(name: str, path: str | None = None, status: int = 200, shot: bool = False):
        if path is not None:
            portal.goto(path, status)
        portal.arrive(name, shot=shot)
        minor.extend(portal.assert_accessible(name))

    # Before login: the public page with the cookie notice, the login form and its error.
    check("informacje-z-informacja-o-cookies", "/")
    check("logowanie", "/logowanie")
    slip = office.issue(e.resident)
    page.get_by_label("Login", exact=True).fill(slip["login"])
    page.get_by_label("Hasło", exact=True).fill("to nie jest moje hasło")
    with portal.navigation():
        page.get_by_role("button", name="Zaloguj").click()
    expect(page.get_by_role("alert")).to_contain_text("Nieprawidłowy login lub hasło")
    check("logowanie-blad", shot=True)

    # The forced password change, and its form errors (answered 422).
    page.get_by_label("Hasło", exact=True).fill(slip["start_password"])
    with portal.navigation():
        page.get_by_role("button", name="Zaloguj").click()
    expect(portal.heading()).to_have_text("Ustal swoje hasło")
    check("ustal-haslo")
    portal.monitor.allow("/haslo", 422)
    page.get_by_label("Nowe hasło", exact=True).fill("krótkie")
    page.get_by_label("Powtórz").fill("inne")
    with portal.navigation():
        page.get_by_role("button", name="Zapisz nowe hasło").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    check("haslo-bledy", shot=True)
    page.get_by_label("Nowe hasło", exact=True).fill(STRONG_PASSWORD)
    page.get_by_label("Powtórz").fill(STRONG_PASSWORD)
    with portal.navigation():
        page.get_by_role("button", name="Zapisz nowe hasło").click()
    expect(portal.heading()).to_have_text(LANDING_HEADING)
    check("pulpit-po-zmianie-hasla")  # with the flash message

    # Every resident page (the cookie notice is still there: never accepted here).
    for name, path in (
        ("pulpit", "/pulpit"),
        ("dane-osobowe", "/dane-osobowe"),
        ("czynsz", "/czynsz"),
        ("czynsz-drugi-lokal", f"/czynsz?lokal={other.id}"),
        ("ksiegowosc", "/ksiegowosc"),
        ("ksiegowosc-szczegoly", "/ksiegowosc/szczegoly"),
        ("wirtualne-rachunki", "/wirtualne-rachunki"),
        ("media-odczyty", "/media/odczyty"),
        ("media-rozliczenia", "/media/rozliczenia"),
        ("zmiana-hasla", "/haslo"),
    ):
        check(name, path)

    # The phone menu, open.
    if viewport == "phone":
        page.get_by_role("link", name="Menu", exact=True).click()
        expect(page.get_by_role("link", name="Zamknij menu")).to_be_visible()
        check("menu-otwarte", shot=True)

    # Error states: a malformed parameter (400), a period without data (404), no such page.
    check("czynsz-zly-parametr", "/czynsz?rok=abc", 400, shot=True)
    check("czynsz-brak-danych", f"/czynsz?lokal={flat.id}&rok=1990&miesiac=1", 404, shot=True)
    check("nie-znaleziono", "/nie-ma-takiej-strony", 404, shot=True)

    # After logout.
    with portal.navigation():
        page.get_by_role("button", name="Wyloguj").click()
    expect(page.get_by_role("status")).to_contain_text("Wylogowano")
    check("wylogowano")

    assert len(portal.arrived) >= 17
    # Lesser (moderate/minor) findings are shown in the warnings summary, not failed.
    for v in minor:
        warnings.warn(f"axe-core [{v['impact']}] {v['id']} on {viewport} page {v['page']}: "
                      f"{v['help']}", stacklevel=1)
