"""The charts in a real browser (issue 16): Media odczyty, Czynsz and Księgowość at
desktop and phone size, axe-core clean (no serious or critical violation), no CSP
report or console error, no wider than the phone's screen, the numbers drawn equal
to the table below; a screenshot of each page and of each chart alone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from .support import first_login

pytestmark = pytest.mark.browser

CHARTS = (
    ("odczyty", "media-odczyty-wykres", "/media/odczyty?lokal={flat}&medium=ZW&rok={year}"),
    ("czynsz", "czynsz-wykres", "/czynsz?lokal={flat}"),
    ("saldo", "ksiegowosc-wykres", "/ksiegowosc?lokal={flat}&rok={year}"),
)
# What the page's JavaScript-free SVG holds, read in the browser.
READ_CHART = """key => {
  const svg = document.querySelector(`svg[data-chart="${key}"]`);
  const marks = [...svg.querySelectorAll('rect.mark')].map(r => r.dataset.value);
  const styled = svg.querySelectorAll('[style]').length + (svg.hasAttribute('style') ? 1 : 0);
  const table = document.querySelector(`table[data-chart-table="${key}"]`);
  const cells = [...table.querySelectorAll('tbody tr')].map(
      tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim()));
  const box = svg.getBoundingClientRect();
  return {marks, styled, cells, width: box.width, title: svg.querySelector('title').textContent,
          desc: svg.querySelector('desc').textContent};
}"""


def polish(value: str) -> str:
    """A data-value ('1234.5') as the table writes it, without the unit: '1 234,50'."""
    number = Decimal(value)
    places = max(-number.as_tuple().exponent, 2) if number != number.to_integral() else 2
    text = f"{abs(number):,.{places}f}".replace(",", "\u00a0").replace(".", ",")
    return ("\u2212" if number < 0 else "") + text


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_charts_are_accessible_and_say_what_the_tables_say(axe_js, open_portal, office,
                                                            expected, viewport):
    e = expected(1)
    flat = e.premises()[0]
    portal = open_portal(viewport, axe=True, prefix=f"{viewport}-wykresy")
    page = portal.page
    slip = office.issue(e.resident)
    first_login(portal, slip)

    for key, name, path in CHARTS:
        portal.goto(path.format(flat=flat.id, year=2025))
        figure = page.locator(f"#wykres-{key}")
        expect(figure).to_be_visible()
        portal.arrive(name)
        portal.assert_accessible(name)
        expect(page.get_by_role("img", name=page.locator(f"#wykres-{key}-title").text_content())) \
            .to_be_visible()
        figure.screenshot(path=str(portal.shots.folder / f"{portal.prefix}-{key}-sam-wykres.png"),
                          animations="disabled")
        drawn = page.evaluate(READ_CHART, key)
        assert drawn["styled"] == 0, f"{name}: a style attribute in the SVG"
        assert drawn["marks"] and drawn["desc"], name
        if viewport == "phone":
            assert drawn["width"] <= 390, f"{name}: {drawn['width']} px"
        table_text = " ".join(" ".join(row) for row in drawn["cells"])
        for value in drawn["marks"]:
            if value:  # each value drawn is written in the table (and in the description)
                assert polish(value) in table_text, (name, value)
                assert polish(value).lstrip("\u2212") in drawn["desc"], (name, value)
        if key == "czynsz":
            page.locator("details.chart-details summary").click()
            expect(page.locator("details.chart-details table")).to_be_visible()
            portal.arrive("czynsz-skladniki-rozwiniete")
            portal.assert_accessible("czynsz-skladniki-rozwiniete")
