"""Changing a select never dead-ends, with and without JavaScript.

A resident with a flat and a garage changes only "Lokal" on every tab with a form and
presses "Wyślij": the other premises' data is shown (its first account, newest year
with data), the page says what it changed, and nothing is logged as a refused access.
Resident 10's flat assignment ended mid-2025 while the garage runs on: the garage's
newest year is not the flat's, so the year is replaced too.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from playwright.sync_api import expect

from .support import CSP_LISTENER, VIEWPORTS, Monitor, Portal, first_login

pytestmark = pytest.mark.browser

FORM_TABS = ("/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly", "/media/odczyty",
             "/media/rozliczenia")


def refused(app: Any) -> list[str]:
    conn = sqlite3.connect(app.config["STORE_PATH"])
    try:
        return [r[0] for r in conn.execute(
            "SELECT detail FROM audit WHERE event = 'access_refused'")]
    finally:
        conn.close()


def signed_in(new_context, live_server, shots, office, resident: int, javascript: bool,
              viewport: str = "desktop") -> Portal:
    context = new_context(**VIEWPORTS[viewport], java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    context.add_init_script(script=CSP_LISTENER)
    page = context.new_page()
    portal = Portal(page, Monitor(page, live_server.url), shots, viewport,
                    f"wybor-{resident}-{'js' if javascript else 'bez-js'}")
    slip = office.issue(resident)
    first_login(portal, slip)
    return portal


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "bez-js"])
@pytest.mark.parametrize("resident", [1, 10])
def test_switching_premises_on_every_tab_keeps_the_form(new_context, live_server, shots, office,
                                                        resident, javascript):
    portal = signed_in(new_context, live_server, shots, office, resident, javascript)
    page = portal.page
    before = len(refused(live_server.app))
    switched = 0
    for tab in FORM_TABS:
        portal.goto(tab)
        lokal = page.get_by_label("Lokal", exact=True)
        options = lokal.locator("option").evaluate_all("os => os.map(o => o.value)")
        first = lokal.input_value()
        # Every other premises, and back: the rest of the form still holds the old values.
        for target in [v for v in options if v != first] + [first]:
            if lokal.input_value() == target:
                continue
            lokal.select_option(target)
            with portal.navigation():
                page.get_by_role("button", name="Wyślij").click()
            assert portal.query.get("lokal") == target
            expect(page.get_by_label("Lokal", exact=True)).to_have_value(target)
            expect(page.locator("main table").first).to_be_visible()  # data, not a dead end
            expect(page.get_by_role("alert")).to_have_count(0)
            shown = {name: page.get_by_label(label, exact=True).input_value()
                     for name, label in (("konto", "Konto"), ("rok", "Rok"),
                                         ("medium", "Medium"), ("miesiac", "Miesiąc"))
                     if page.get_by_label(label, exact=True).count()}
            changed = {k for k, v in shown.items() if portal.query.get(k) != v}
            notes = page.locator("main p.changed")
            if changed:  # what was replaced is said, one line per field
                expect(notes).to_have_count(len(changed))
            else:
                expect(notes).to_have_count(0)
            switched += 1
            portal.arrive(f"{tab.strip('/').replace('/', '-')}-lokal-{target}",
                          shot=javascript and target != first)
    assert switched >= len(FORM_TABS)
    assert len(refused(live_server.app)) == before, refused(live_server.app)[before:]


def test_a_foreign_premises_is_still_a_refused_404(new_context, live_server, shots, office,
                                                   demo_sql):
    portal = signed_in(new_context, live_server, shots, office, 1, False)
    theirs = demo_sql("SELECT MIN(ID_LOK) FROM PRZYDZIALY WHERE ID_LOK NOT IN "
                      "(SELECT ID_LOK FROM PRZYDZIALY WHERE ID_OS = 1)")[0][0]
    before = len(refused(live_server.app))
    portal.goto(f"/ksiegowosc?lokal={theirs}", status=404)
    expect(portal.page.locator("main table")).to_have_count(0)
    assert len(refused(live_server.app)) == before + 1
