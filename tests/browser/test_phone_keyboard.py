"""The same journey on a phone (menu instead of tabs, taps) and with the keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .journey import run_journey
from .support import (
    LANDING_HEADING,
    STRONG_PASSWORD,
    TABS,
    Keyboard,
    Touch,
    expect_current_tab,
    tab_link,
)

pytestmark = pytest.mark.browser


def test_resident_journey_phone(open_portal, office, expected):
    portal = open_portal("phone")
    Touch(portal)
    run_journey(portal, office, expected(1))
    assert len(portal.arrived) >= 12


def test_resident_journey_keyboard_only(open_portal, office, expected):
    """Tab and Enter reach every control on every page; the focus is always visible."""
    portal = open_portal("desktop", prefix="klawiatura")
    portal.shots = None  # the desktop journey has the screenshots
    keyboard = Keyboard(portal)
    run_journey(portal, office, expected(1))
    assert keyboard.stops > 100


def test_phone_menu_with_keyboard(open_portal, office, expected):
    """On a phone with a keyboard (or a switch device): Tab to "Menu", Enter opens it,
    every tab is reachable, Enter follows it, "Zamknij menu" closes it."""
    e = expected(2)
    slip = office.issue(e.resident)
    portal = open_portal("phone", prefix="telefon-klawiatura")
    portal.shots = None
    keyboard = Keyboard(portal)
    page = portal.page
    portal.goto("/logowanie")
    keyboard.fill(page.get_by_label("Login", exact=True), slip["login"])
    keyboard.fill(page.get_by_label("Hasło", exact=True), slip["start_password"])
    keyboard.follow(page.get_by_role("button", name="Zaloguj"))
    for label in ("Nowe hasło", "Powtórz"):  # the start password was verified at login
        keyboard.fill(page.get_by_label(label, exact=label == "Nowe hasło"), STRONG_PASSWORD)
    keyboard.follow(page.get_by_role("button", name="Zapisz nowe hasło"))
    expect(portal.heading()).to_have_text(LANDING_HEADING)

    nav = page.get_by_role("navigation", name="Zakładki")
    for label in TABS[1:]:
        link = tab_link(page, label)
        expect(link).to_be_hidden()
        keyboard.press(nav.get_by_role("link", name="Menu", exact=True))
        expect(link).to_be_visible()
        keyboard.on_page(f"menu open on {portal.path}")  # every tab reachable by Tab
        keyboard.follow(link)
        expect(portal.heading()).to_have_text(label)
        expect_current_tab(page, label)
    keyboard.press(nav.get_by_role("link", name="Menu", exact=True))
    keyboard.press(nav.get_by_role("link", name="Zamknij menu"))
    expect(tab_link(page, TABS[0])).to_be_hidden()
    portal.monitor.assert_clean("phone menu")
