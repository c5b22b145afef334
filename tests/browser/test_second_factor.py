"""The second factor in the browser (issue 18): a resident turns it on from the
Bezpieczeństwo tab, keeps the recovery codes, logs out and logs in again with a
code from the phone app (pyotp here), at desktop and phone size, axe clean."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from .support import LANDING_HEADING, STRONG_PASSWORD

pytestmark = pytest.mark.browser

# Residents no other browser test logs in as: the factor stays on for the session.
RESIDENT = {"desktop": 8, "phone": 9}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_turn_on_and_log_in_with_a_code(axe_js, open_portal, office, viewport):
    portal = open_portal(viewport, axe=True, prefix=f"{viewport}-2fa")
    page = portal.page
    slip = office.issue(RESIDENT[viewport])

    def check(name: str) -> None:
        portal.arrive(name, shot=True)
        portal.assert_accessible(name)

    portal.goto("/logowanie")
    page.get_by_label("Login", exact=True).fill(slip["login"])
    page.get_by_label("Hasło", exact=True).fill(slip["start_password"])
    with portal.navigation():
        page.get_by_role("button", name="Zaloguj").click()
    page.get_by_label("Nowe hasło", exact=True).fill(STRONG_PASSWORD)
    page.get_by_label("Powtórz").fill(STRONG_PASSWORD)
    with portal.navigation():
        page.get_by_role("button", name="Zapisz nowe hasło").click()

    portal.goto("/bezpieczenstwo")
    expect(portal.heading()).to_have_text("Bezpieczeństwo konta")
    expect(page.get_by_text("(ta sesja)")).to_be_visible()
    check("bezpieczenstwo")
    with portal.navigation():
        page.get_by_role("button", name="Włącz drugi składnik").click()
    expect(page.get_by_role("img", name=re.compile("Kod QR"))).to_be_visible()
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    check("bezpieczenstwo-wlaczanie")
    page.get_by_label("Kod z aplikacji").fill(pyotp.TOTP(secret).now())
    with portal.navigation():
        page.get_by_role("button", name="Potwierdź i włącz").click()
    expect(portal.heading()).to_have_text("Drugi składnik włączony")
    assert page.locator("ul.codes li").count() == 10
    check("kody-awaryjne")

    with portal.navigation():
        page.get_by_role("button", name="Wyloguj").click()
    page.get_by_label("Login", exact=True).fill(slip["login"])
    page.get_by_label("Hasło", exact=True).fill(STRONG_PASSWORD)
    with portal.navigation():
        page.get_by_role("button", name="Zaloguj").click()
    expect(portal.heading()).to_have_text("Logowanie – drugi krok")
    check("logowanie-kod")
    # the code of the next step: the current one was used to turn the factor on
    page.get_by_label("Kod z aplikacji lub kod awaryjny").fill(
        pyotp.TOTP(secret).at(time.time() + 30))
    with portal.navigation():
        page.get_by_role("button", name="Potwierdź").click()
    expect(portal.heading()).to_have_text(LANDING_HEADING)
