"""A resident on a 390 px phone: measured with the browser's own boxes (Playwright).

Full labels on the cards, szczegóły without empty rows, the rent total before the
component rows, a one-line cookie notice that never covers the page, no grey block
under "Menu", selects not cut off, every tap target at least 44 px high, premises
numbers never broken at the hyphen, error pages that name no menu to an anonymous
reader. Screenshots at phone and desktop size go to the test artifacts.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .support import VIEWPORTS
from .test_select_fallback import signed_in

pytestmark = pytest.mark.browser

PHONE = VIEWPORTS["phone"]["viewport"]["width"]
TAP = 44

TAP_TARGETS = """() => Array.from(document.querySelectorAll(
    'button, .button, select, input[type=text], input[type=password], nav a, header a'))
  .filter(el => el.getClientRects().length > 0 && !el.classList.contains('skip'))
  .map(el => ({name: el.tagName + ' ' + (el.innerText || el.name || '').trim().slice(0, 30),
               height: el.getBoundingClientRect().height}))"""

BOX = "el => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, " \
      "left: r.left, right: r.right, width: r.width, height: r.height}; }"


# The chosen option's text, in the select's own font, fits inside it (the arrow included).
FITS = """s => {
  const cs = getComputedStyle(s);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
  const text = s.options[s.selectedIndex].text;
  const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return ctx.measureText(text).width <= room || [text, ctx.measureText(text).width, room].join(" ");
}"""


def box(page: Page, selector: str) -> dict[str, float]:
    return page.locator(selector).first.evaluate(BOX)


def small_targets(page: Page) -> list[str]:
    return [f"{t['name']}: {t['height']:.1f} px" for t in page.evaluate(TAP_TARGETS)
            if t["height"] < TAP - 0.5]


def broken_numbers(page: Page) -> list[str]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.regno'))
        .filter(el => el.getClientRects().length > 1).map(el => el.textContent)""")


def check_common(page: Page, where: str) -> None:
    assert not small_targets(page), f"{where}: tap targets under {TAP} px: {small_targets(page)}"
    assert not broken_numbers(page), f"{where}: premises numbers broken: {broken_numbers(page)}"
    for sel in page.locator("main select").all():
        r = sel.evaluate(BOX)
        assert r["left"] >= 0 and r["right"] <= PHONE + 0.5, f"{where}: a select is cut off"
        fits = sel.evaluate(FITS)
        assert fits is True, f"{where}: the chosen text is cut off in its select: {fits}"


def test_phone_pages_measured(new_context, live_server, shots, office, demo_sql):
    portal = signed_in(new_context, live_server, shots, office, 1, True, "phone")
    portal.prefix = "telefon-pomiary"
    page = portal.page
    konto = demo_sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK = 1 ORDER BY ID_KONTA")[0][0]

    # The cookie notice: one short line with its button, above the page, never over it.
    notice = page.get_by_role("complementary", name="Informacja o plikach cookies")
    expect(notice).to_be_visible()
    aside = box(page, "aside.cookies")
    button = notice.get_by_role("link", name="Rozumiem").evaluate(BOX)
    assert aside["height"] <= 2 * TAP + 16, f"cookie notice {aside['height']} px high"
    assert aside["top"] - 1 <= button["top"] and button["bottom"] <= aside["bottom"] + 1
    assert notice.evaluate("el => getComputedStyle(el).position") in ("static", "relative")
    assert box(page, "main")["top"] >= aside["bottom"]

    # No grey block under "Menu" on a short page.
    for path in ("/wirtualne-rachunki", "/dane-osobowe"):
        portal.goto(path)
        nav = box(page, "nav.tabs")
        assert nav["height"] <= TAP + 24, f"{path}: the menu row is {nav['height']} px high"
        check_common(page, path)
        portal.arrive(path.strip("/"))

    # Księgowość: full labels on the cards.
    portal.goto(f"/ksiegowosc?lokal=1&konto={konto}")
    labels = page.locator("table.summary td").evaluate_all(
        "tds => tds.map(td => getComputedStyle(td, '::before').content)")
    assert any("Obroty Wn (należności)" in t for t in labels), labels
    assert any("Obroty Ma (wpłaty i uznania)" in t for t in labels), labels
    check_common(page, "ksiegowosc")
    portal.arrive("ksiegowosc")

    # Szczegóły: compact cards, no empty rows.
    portal.goto(f"/ksiegowosc/szczegoly?lokal=1&konto={konto}")
    empty = page.evaluate("""() => Array.from(document.querySelectorAll('main tbody td'))
        .filter(td => td.getClientRects().length > 0 && !td.textContent.trim()).length""")
    assert empty == 0, f"{empty} empty rows on the szczegóły cards"
    cards = page.locator("main table:not(.summary) tbody tr:not(.opening)")
    heights = cards.evaluate_all("rs => rs.map(r => r.getBoundingClientRect().height)")
    assert heights and max(heights) <= 8 * TAP, heights
    check_common(page, "szczegoly")
    portal.arrive("ksiegowosc-szczegoly")

    # Czynsz: the total before the component rows.
    portal.goto("/czynsz?lokal=1")
    total = box(page, "main .rent-total")
    first_row = box(page, "main table tbody tr")
    assert total["bottom"] <= first_row["top"]
    expect(page.locator("main .rent-total")).to_contain_text("Razem do zapłaty")
    check_common(page, "czynsz")
    portal.arrive("czynsz")

    for path in ("/media/odczyty", "/media/rozliczenia"):
        portal.goto(path)
        check_common(page, path)
        portal.arrive(path.strip("/").replace("/", "-"))

    # A 404 to a logged-in resident on a phone: no "menu on the left".
    portal.goto("/nie-ma-takiej-strony", status=404)
    assert "po lewej" not in page.locator("main").inner_text()
    portal.arrive("blad-404")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_error_page_for_an_anonymous_reader(new_context, live_server, viewport, shots):
    context = new_context(**VIEWPORTS[viewport])
    page = context.new_page()
    response = page.goto(f"{live_server.url}/ksiegowosc/nie-ma")
    assert response is not None and response.status == 404
    text = page.locator("main").inner_text()
    assert "menu" not in text.lower() and "strony głównej" in text
    expect(page.get_by_role("link", name="Przejdź do strony głównej")).to_be_visible()
    shots.take(page, f"blad-404-anonim-{viewport}")


def test_desktop_screenshots_of_the_changed_pages(new_context, live_server, shots, office,
                                                  demo_sql):
    portal = signed_in(new_context, live_server, shots, office, 1, True, "desktop")
    portal.prefix = "komputer-zmienione"
    page = portal.page
    konto = demo_sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK = 1 ORDER BY ID_KONTA")[0][0]
    for path in ("/dane-osobowe", f"/ksiegowosc?lokal=1&konto={konto}",
                 f"/ksiegowosc/szczegoly?lokal=1&konto={konto}", "/czynsz?lokal=1",
                 "/media/odczyty?lokal=1&medium=CO", "/media/rozliczenia",
                 "/wirtualne-rachunki"):
        portal.goto(path)
        assert not small_targets(page), small_targets(page)
        assert not broken_numbers(page)
        if "ksiegowosc" in path:
            expect(page.locator("main th").filter(has_text="Wn (należności)").first
                   ).to_be_attached()
        portal.arrive(path.strip("/").split("?")[0].replace("/", "-"))
