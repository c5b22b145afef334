"""Helpers for the browser tests.

* `Monitor` watches a page: console errors, uncaught exceptions, failed requests,
  HTTP errors, CSP violations and any request leaving the portal's origin.
* `Portal` is one browser tab on the portal: navigation, screenshots, axe-core.
* `Mouse`, `Touch` and `Keyboard` are the ways a resident moves through it: the
  same journey runs with a mouse on a PC, with a finger on a phone (menu instead
  of tabs) and with the keyboard only (Tab/Enter, focus always visible).
* `Expected` computes what the pages must show with our own SQL on the demo
  billing database, never from the app's output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import ConsoleMessage, Locator, Page, Request, Response, expect

from gateway.web.formats import MONTHS, money, nrb, number

VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    # A mid-size phone (CSS pixels), touch, mobile viewport meta honoured.
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
              "is_mobile": True, "has_touch": True},
}
TABS = ("Pulpit", "Dane osobowe", "Czynsz (opłata eksploatacyjna)", "Księgowość",
        "Wirtualne rachunki", "Media odczyty", "Media rozliczenia")
STRONG_PASSWORD = "srebrny tramwaj pod kasztanem w marcu"
BLOCKING_IMPACTS = ("serious", "critical")

# Runs before any page script (a CDP init script, so the page's CSP does not apply
# to it): every CSP violation becomes a console error the Monitor sees.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' +
                (e.blockedURI || 'inline') + ' in ' + e.sourceFile + ':' + e.lineNumber);
}, true);
"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const all = document.getElementsByTagName('*');
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const cx = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
  const cy = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(cx, cy);
  return {
    key: Array.prototype.indexOf.call(all, el),
    name: el.tagName.toLowerCase() + ' "' + (el.getAttribute('aria-label') || el.innerText ||
          el.value || el.name || el.id || '').trim().slice(0, 40) + '"',
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    ring: s.boxShadow !== 'none',
    size: r.width > 0 && r.height > 0,
    onScreen: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
    obscured: !(top && (top === el || el.contains(top) || top.contains(el))),
  };
}"""

CONTROLS = """() => {
  const all = document.getElementsByTagName('*');
  return Array.from(document.querySelectorAll(
      'a[href], button, input, select, textarea, [tabindex]'))
    // checkVisibility: not in a closed <details> (Chromium hides its content with
    // content-visibility, so such elements still have boxes but take no focus).
    .filter(el => !el.disabled && el.type !== 'hidden' && el.tabIndex >= 0 &&
                  el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
                  && el.checkVisibility())
    .map(el => ({key: Array.prototype.indexOf.call(all, el),
                 name: el.tagName.toLowerCase() + ' "' + (el.getAttribute('aria-label') ||
                       el.innerText || el.value || el.name || '').trim().slice(0, 40) + '"'}));
}"""

# Elements reaching past the right edge of the phone's screen (a mobile browser would
# zoom the whole page out, so window.innerWidth grows with them: compare with the device).
TOO_WIDE = """(width) => {
  const out = [];
  for (const wrap of document.querySelectorAll('.table-wrap'))
    if (wrap.scrollWidth > wrap.clientWidth + 1)
      out.push('a table scrolls sideways: ' + wrap.scrollWidth + ' > ' + wrap.clientWidth);
  if (document.documentElement.scrollWidth <= width) return out;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && out.length < 8 &&
        !Array.from(el.children).some(c => c.getBoundingClientRect().right > width + 1))
      out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' "' +
               el.textContent.trim().slice(0, 30) + '" right=' + Math.round(r.right));
  }
  return out.length ? out : ['document scrollWidth ' + document.documentElement.scrollWidth];
}"""

AXE_RUN = """async () => {
  if (!window.axe) return null;
  const result = await window.axe.run(document, {resultTypes: ['violations']});
  return {
    passes: result.passes.map(p => p.id),
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
    })),
  };
}"""

# What axe-core checks too, stated plainly: labelled controls, tables with headers.
STRUCTURE = """() => {
  const out = [];
  const shown = el => el.getClientRects().length > 0;
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || !shown(el)) continue;
    const label = Array.from(el.labels || []).map(l => l.innerText.trim()).join(' ') ||
                  el.getAttribute('aria-label') || '';
    if (!label) out.push('a form control without a label: ' + el.outerHTML.slice(0, 80));
  }
  for (const table of document.querySelectorAll('main table')) {
    if (!table.querySelector('thead th[scope=col]'))
      out.push('a table without column headers: ' + table.outerHTML.slice(0, 80));
    if (!table.caption || !table.caption.textContent.trim())
      out.push('a table without a caption: ' + table.outerHTML.slice(0, 80));
  }
  if (document.documentElement.lang !== 'pl') out.push('<html lang> is not "pl"');
  if (document.querySelectorAll('h1').length !== 1) out.push('not exactly one <h1>');
  if (!document.title.trim()) out.push('no <title>');
  return out;
}"""


class Monitor:
    """Everything on a page that a resident should never meet, collected as it happens."""

    def __init__(self, page: Page, origin: str):
        self.origin = origin
        self.problems: list[str] = []
        self.allowed: dict[str, int] = {}  # path -> an HTTP error status a test asked for
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught JS error: {error}"))
        page.on("request", self._request)
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def allow(self, path: str, status: int) -> None:
        """The next page at `path` answers `status` on purpose (an error page under test)."""
        self.allowed[path] = status

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        path = urlsplit(message.location.get("url") or "").path
        if f"status of {self.allowed.get(path)} " in text:
            return  # Chromium's note about an error page this test opened on purpose
        if message.type in ("error", "assert") or "Content Security Policy" in text:
            self.problems.append(f"console {message.type}: {text} ({message.location})")

    def _request(self, request: Request) -> None:
        url = request.url
        if not url.startswith(self.origin) and not url.startswith(("data:", "about:", "blob:")):
            self.problems.append(f"request outside the portal: {request.method} {url}")

    def _failed(self, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED" and request.resource_type != "document":
            return  # cancelled by the browser because the page moved on (e.g. the favicon)
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status < 400:
            return
        path = urlsplit(response.url).path
        if self.allowed.get(path) == response.status:
            return
        self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found

    def assert_clean(self, where: str) -> None:
        found = self.take()
        assert not found, f"{where}: " + "\n  ".join(["problems in the browser:", *found])


class Shots:
    """Screenshots of every page, in a folder a person can open after the run."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.taken: list[Path] = []

    def take(self, page: Page, name: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        self.taken.append(path)
        return path


class Portal:
    """One browser tab on the portal, watched by a Monitor."""

    def __init__(self, page: Page, monitor: Monitor, shots: Shots | None, viewport: str,
                 prefix: str = ""):
        self.page = page
        self.monitor = monitor
        self.shots = shots
        self.viewport = viewport
        self.prefix = prefix or viewport
        self.driver: Mouse | None = None
        self.arrived: list[str] = []

    # -- where we are ------------------------------------------------------------
    @property
    def path(self) -> str:
        return urlsplit(self.page.url).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.page.url).query).items()}

    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    def goto(self, path: str, status: int = 200) -> None:
        if status >= 400:
            self.monitor.allow(urlsplit(path).path, status)
        response = self.page.goto(path, wait_until="load")
        assert response is not None and response.status == status, (
            f"GET {path}: {response and response.status}, expected {status}")

    @contextmanager
    def navigation(self) -> Iterator[None]:
        """Wait for the page load that the action inside the block starts."""
        with self.page.expect_navigation(wait_until="load"):
            yield

    def arrive(self, name: str, shot: bool = True) -> None:
        """Checks every page passes: no problems in the browser, fits the screen, a screenshot."""
        self.page.wait_for_load_state("load")
        self.monitor.assert_clean(f"{name} ({self.page.url})")
        if self.viewport == "phone":
            width = VIEWPORTS["phone"]["viewport"]["width"]
            wide = self.page.evaluate(TOO_WIDE, width)
            assert not wide, f"{name}: wider than a {width} px phone screen: {wide}"
        if self.driver is not None:
            self.driver.on_page(name)
        if shot and self.shots is not None:
            self.shots.take(self.page, f"{self.prefix}-{len(self.arrived) + 1:02d}-{name}")
        self.arrived.append(name)

    # -- accessibility -------------------------------------------------------------
    def axe(self) -> dict[str, Any]:
        result = self.page.evaluate(AXE_RUN)
        assert result is not None, "axe-core is not loaded in the page"
        return result

    def assert_accessible(self, name: str) -> list[dict[str, Any]]:
        """No serious or critical axe-core violation, labelled controls, tables with
        headers; returns the lesser violations for the report."""
        result = self.axe()
        where = f"{name} ({self.page.url})"
        blocking = [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"{where}: axe-core violations:\n" + "\n".join(
            f"  [{v['impact']}] {v['id']}: {v['help']}\n      " + "\n      ".join(v["nodes"])
            for v in blocking)
        assert "color-contrast" in result["passes"], f"{where}: contrast was not checked"
        problems = self.page.evaluate(STRUCTURE)
        assert not problems, f"{where}: " + "; ".join(problems)
        return [dict(v, page=name) for v in result["violations"]]


# ---- the ways a resident moves ---------------------------------------------------

class Mouse:
    """A resident at a PC with a mouse: clicks, types, picks from lists."""

    name = "mouse"

    def __init__(self, portal: Portal):
        self.portal = portal
        self.page = portal.page
        portal.driver = self

    def on_page(self, name: str) -> None:
        """Called on every page the journey arrives at."""

    def press(self, target: Locator) -> None:
        target.click()

    def follow(self, target: Locator) -> None:
        """Follow a link or press a button that loads another page."""
        with self.portal.navigation():
            self.press(target)

    def fill(self, field: Locator, text: str) -> None:
        field.fill(text)

    def choose(self, field: Locator, value: str) -> None:
        field.select_option(value)
        expect(field).to_have_value(value)

    def open_tab(self, label: str) -> None:
        link = tab_link(self.page, label)
        expect(link).to_be_visible()
        self.follow(link)
        expect_current_tab(self.page, label)


class Touch(Mouse):
    """A resident on a phone: taps; the tabs are behind the "Menu" link."""

    name = "touch"

    def press(self, target: Locator) -> None:
        target.tap()

    def open_tab(self, label: str) -> None:
        nav = self.page.get_by_role("navigation", name="Zakładki")
        link = tab_link(self.page, label)
        expect(link).to_be_hidden()  # no tabs on a phone until the menu is opened
        menu = nav.get_by_role("link", name="Menu", exact=True)
        expect(menu).to_be_visible()
        self.press(menu)
        expect(link).to_be_visible()
        expect(nav.get_by_role("link", name="Zamknij menu")).to_be_visible()
        self.follow(link)
        expect(link).to_be_hidden()  # a new page starts with the menu closed
        expect(menu).to_be_visible()
        expect_current_tab(self.page, label)


class Keyboard(Mouse):
    """A resident with the keyboard only: Tab to a control, Enter to use it.

    Every focus stop must be visibly marked (outline or ring), on screen and not
    covered by anything; on each page of the journey Tab must reach every control.
    """

    name = "keyboard"

    def __init__(self, portal: Portal):
        super().__init__(portal)
        self.stops = 0

    def _focused(self) -> dict[str, Any] | None:
        state = self.page.evaluate(FOCUSED)
        self.stops += 1
        if state is not None:
            where = f"{self.portal.path}: focus on {state['name']}"
            assert state["outline"] or state["ring"], f"{where} is not visible (no outline)"
            assert state["size"] and state["onScreen"], f"{where} is off screen"
            assert not state["obscured"], f"{where} is covered by another element"
        return state

    def focus(self, target: Locator, limit: int = 80) -> None:
        """Press Tab until `target` has the focus (checking every stop on the way)."""
        expect(target).to_be_visible()
        for _ in range(limit):
            if target.evaluate("el => el === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
            self._focused()
        raise AssertionError(f"{self.portal.path}: Tab never reaches {target}")

    def on_page(self, name: str) -> None:
        """Tab through the whole page: every visible control gets the focus."""
        controls = {c["key"]: c["name"] for c in self.page.evaluate(CONTROLS)}
        reached: set[int] = set()
        for _ in range(2 * len(controls) + 4):
            self.page.keyboard.press("Tab")
            state = self._focused()
            if state is not None:
                reached.add(state["key"])
            if set(controls) <= reached:
                break
        missing = [controls[k] for k in controls if k not in reached]
        assert not missing, f"{name}: Tab does not reach {missing}"

    def press(self, target: Locator) -> None:
        self.focus(target)
        self.page.keyboard.press("Enter")

    def fill(self, field: Locator, text: str) -> None:
        self.focus(field)
        self.page.keyboard.press("ControlOrMeta+A")
        self.page.keyboard.type(text)
        expect(field).to_have_value(text)

    def choose(self, field: Locator, value: str) -> None:
        """Arrow keys on a focused (closed) list change the choice, as on Windows and Linux."""
        self.focus(field)
        values = field.evaluate("s => Array.from(s.options).map(o => o.value)")
        current = field.evaluate("s => s.selectedIndex")
        target = values.index(value)
        key = "ArrowDown" if target > current else "ArrowUp"
        for _ in range(abs(target - current)):
            self.page.keyboard.press(key)
        expect(field).to_have_value(value)

    def open_tab(self, label: str) -> None:
        link = tab_link(self.page, label)
        if self.portal.viewport == "phone" and not link.is_visible():
            nav = self.page.get_by_role("navigation", name="Zakładki")
            self.press(nav.get_by_role("link", name="Menu", exact=True))
            expect(link).to_be_visible()
        self.follow(link)
        expect_current_tab(self.page, label)


def tab_link(page: Page, label: str) -> Locator:
    """The tab (visible or not: on a phone the tabs hide behind "Menu")."""
    nav = page.get_by_role("navigation", name="Zakładki")
    return nav.locator("ul a").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def expect_current_tab(page: Page, label: str) -> None:
    nav = page.get_by_role("navigation", name="Zakładki")
    expect(nav.locator('ul a[aria-current="page"]')).to_have_text(label)



# ---- expected values from our own SQL ---------------------------------------------

def dec(value: Any) -> Decimal:
    """A DECIMAL column as SQLite returns it (REAL or text) -> Decimal with 2 places."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@dataclass
class Premises:
    id: int
    register_no: str
    kind: str  # M flat, G garage, U commercial


class Expected:
    """What the pages must show for one resident, from the demo database."""

    def __init__(self, sql: Callable[..., list[Any]], resident: int, today: date | None = None):
        self.sql = sql
        self.resident = resident
        self.today = today or date.today()

    def person(self) -> Any:
        return self.sql("SELECT * FROM OSOBY WHERE ID_OS = ?", (self.resident,))[0]

    def full_name(self) -> str:
        person = self.person()
        return person["NAZWA_FIRMY"] or f"{person['IMIE']} {person['NAZWISKO']}"

    def assignments(self) -> list[Any]:
        return self.sql(
            "SELECT l.ID_LOK, l.NR_EWID, l.RODZ_LOK, p.DATA_OD, p.DATA_DO FROM PRZYDZIALY p "
            "JOIN LOKALE l ON l.ID_LOK = p.ID_LOK WHERE p.ID_OS = ? ORDER BY p.DATA_OD",
            (self.resident,))

    def premises(self) -> list[Premises]:
        """Premises held today, flats first (the order of the portal's lists)."""
        today = self.today.isoformat()
        found = {r["ID_LOK"]: Premises(r["ID_LOK"], r["NR_EWID"], r["RODZ_LOK"])
                 for r in self.assignments()
                 if r["DATA_OD"] <= today and (r["DATA_DO"] is None or r["DATA_DO"] >= today)}
        return sorted(found.values(), key=lambda p: (p.kind != "M", p.register_no))

    def _visible(self, premises: int, table_date: str) -> str:
        """SQL condition: the dated row falls within the resident's assignment."""
        return (f"EXISTS (SELECT 1 FROM PRZYDZIALY p WHERE p.ID_OS = {int(self.resident)} "
                f"AND p.ID_LOK = {int(premises)} AND {table_date} >= p.DATA_OD "
                f"AND (p.DATA_DO IS NULL OR {table_date} <= p.DATA_DO))")

    # Czynsz
    def rent_periods(self, premises: int) -> list[date]:
        rows = self.sql(f"SELECT DISTINCT OKRES FROM NALICZENIA n WHERE ID_LOK = ? AND "
                        f"{self._visible(premises, 'n.OKRES')} ORDER BY OKRES", (premises,))
        return [date.fromisoformat(r["OKRES"]) for r in rows]

    def rent_choice(self, premises: list[int]) -> tuple[int, int]:
        """A month that is not the default (the newest) and has charges for all `premises`."""
        common = set.intersection(*(set(self.rent_periods(p)) for p in premises))
        newest = max(common)
        older = sorted((p for p in common if p.year < newest.year), key=lambda p: (
            p.year != newest.year - 1, abs(p.month - 3)))
        pick = older[0] if older else sorted(common)[-2]
        return pick.year, pick.month

    def rent(self, premises: int, year: int, month: int) -> dict[str, Any]:
        rows = self.sql(
            "SELECT s.NAZWA_SKL, n.KWOTA, n.KWOTA_VAT FROM NALICZENIA n "
            "JOIN SKLADNIKI s ON s.KOD_SKL = n.KOD_SKL WHERE n.ID_LOK = ? AND n.OKRES = ? "
            "ORDER BY n.KOD_SKL", (premises, date(year, month, 1).isoformat()))
        net = sum((dec(r["KWOTA"]) for r in rows), Decimal("0.00"))
        vat = sum((dec(r["KWOTA_VAT"]) for r in rows if r["KWOTA_VAT"] is not None),
                  Decimal("0.00"))
        return {"components": [r["NAZWA_SKL"] for r in rows], "net": money(net),
                "vat": money(vat) if vat else None, "total": money(net + vat),
                "heading": f"Składniki opłat: {MONTHS[month - 1]} {year}"}

    # Księgowość
    def accounts(self, premises: int) -> list[Any]:
        return self.sql("SELECT * FROM KONTA WHERE ID_LOK = ? ORDER BY RODZ_KONTA, NR_KONTA",
                        (premises,))

    def ledger(self, account: int, year: int) -> dict[str, Any]:
        konto = self.sql("SELECT * FROM KONTA WHERE ID_KONTA = ?", (account,))[0]
        start, end = f"{year}-01-01", f"{year}-12-31"
        visible = self._visible(konto["ID_LOK"], "d.DATA_DOK")
        opening = sum((dec(r["KWOTA_BO"]) for r in self.sql(
            f"SELECT KWOTA_BO FROM SALDA_BO b WHERE ID_KONTA = ? AND DATA_BO BETWEEN ? AND ? "
            f"AND {self._visible(konto['ID_LOK'], 'b.DATA_BO')}", (account, start, end))),
            Decimal("0.00"))
        docs = self.sql(f"SELECT * FROM DOKUMENTY d WHERE ID_KONTA = ? AND DATA_DOK BETWEEN ? "
                        f"AND ? AND {visible} ORDER BY DATA_DOK, ID_DOK", (account, start, end))
        debit = sum((dec(d["KWOTA_WN"]) for d in docs), Decimal("0.00"))
        credit = sum((dec(d["KWOTA_MA"]) for d in docs), Decimal("0.00"))
        return {"number": konto["NR_KONTA"], "name": konto["NAZWA_KONTA"],
                "cells": [owed_text(opening), money(debit), money(credit),
                          owed_text(opening + debit - credit)],
                "documents": [d["NR_DOK"] for d in docs]}

    def ledger_years(self, account: int) -> list[int]:
        rows = self.sql("SELECT DISTINCT substr(DATA_DOK, 1, 4) AS y FROM DOKUMENTY "
                        "WHERE ID_KONTA = ? ORDER BY y", (account,))
        return [int(r["y"]) for r in rows]

    # Pulpit
    def due(self, premises: int) -> Decimal:
        """Today's balance of the premises' open accounts: this year's opening plus
        debits minus credits up to today, inside the assignment."""
        today, jan1 = self.today.isoformat(), f"{self.today.year}-01-01"
        total = Decimal("0.00")
        for k in self.sql("SELECT ID_KONTA FROM KONTA WHERE ID_LOK = ? AND DATA_OTW <= ? AND "
                          "(DATA_ZAMK IS NULL OR DATA_ZAMK >= ?)", (premises, today, today)):
            total += sum((dec(r["KWOTA_BO"]) for r in self.sql(
                f"SELECT KWOTA_BO FROM SALDA_BO b WHERE ID_KONTA = ? AND DATA_BO BETWEEN ? "
                f"AND ? AND {self._visible(premises, 'b.DATA_BO')}",
                (k["ID_KONTA"], jan1, today))), Decimal("0.00"))
            for d in self.sql(f"SELECT KWOTA_WN, KWOTA_MA FROM DOKUMENTY d WHERE ID_KONTA = ? "
                              f"AND DATA_DOK BETWEEN ? AND ? AND "
                              f"{self._visible(premises, 'd.DATA_DOK')}",
                              (k["ID_KONTA"], jan1, today)):
                total += dec(d["KWOTA_WN"]) - dec(d["KWOTA_MA"])
        return total

    # Wirtualne rachunki
    def bank_accounts(self) -> dict[str, str]:
        """register number -> NRB as the page groups it (2 + 6 × 4 digits)."""
        today = self.today.isoformat()
        out = {}
        for p in self.premises():
            for r in self.sql("SELECT NRB FROM RACH_WIRT WHERE ID_LOK = ? AND DATA_OD <= ? AND "
                              "(DATA_DO IS NULL OR DATA_DO >= ?)", (p.id, today, today)):
                out[p.register_no] = r["NRB"]
        return out

    @staticmethod
    def nrb_grouped(raw: str) -> str:
        grouped = " ".join([raw[:2]] + [raw[i:i + 4] for i in range(2, 26, 4)])
        assert grouped == nrb(raw)  # the two ways of grouping agree
        return grouped

    # Media odczyty
    def media(self, premises: int) -> list[str]:
        rows = self.sql(f"SELECT DISTINCT m.KOD_MED FROM LICZNIKI m JOIN ODCZYTY o "
                        f"ON o.ID_LICZ = m.ID_LICZ WHERE m.ID_LOK = ? AND "
                        f"{self._visible(premises, 'o.DATA_ODCZ')}", (premises,))
        order = ("ZW", "CW", "CO")
        return sorted((r["KOD_MED"] for r in rows), key=lambda c: order.index(c)
                      if c in order else 9)

    def readings(self, premises: int, medium: str, year: int) -> list[dict[str, Any]]:
        rows = self.sql(
            f"SELECT o.NR_DOK, m.NR_FABR, o.ZUZYCIE, o.DATA_ODCZ FROM LICZNIKI m "
            f"JOIN ODCZYTY o ON o.ID_LICZ = m.ID_LICZ WHERE m.ID_LOK = ? AND m.KOD_MED = ? "
            f"AND o.DATA_ODCZ BETWEEN ? AND ? AND {self._visible(premises, 'o.DATA_ODCZ')} "
            f"ORDER BY o.DATA_ODCZ, o.ID_ODCZ", (premises, medium, f"{year}-01-01",
                                                  f"{year}-12-31"))
        return [{"doc": r["NR_DOK"], "meter": r["NR_FABR"],
                 "consumption": number(Decimal(str(r["ZUZYCIE"])) if r["ZUZYCIE"] is not None
                                       else None)} for r in rows]

    def reading_years(self, premises: int, medium: str) -> list[int]:
        rows = self.sql("SELECT DISTINCT substr(o.DATA_ODCZ, 1, 4) AS y FROM LICZNIKI m "
                        "JOIN ODCZYTY o ON o.ID_LICZ = m.ID_LICZ WHERE m.ID_LOK = ? "
                        "AND m.KOD_MED = ? ORDER BY y", (premises, medium))
        return [int(r["y"]) for r in rows]

    def medium_name(self, code: str) -> str:
        return self.sql("SELECT NAZWA_MED FROM MEDIA WHERE KOD_MED = ?", (code,))[0][0]

    # Media rozliczenia
    def settlement_accounts(self, premises: int) -> list[int]:
        rows = self.sql("SELECT DISTINCT ID_KONTA FROM ROZL_MED WHERE ID_LOK = ? "
                        "ORDER BY ID_KONTA", (premises,))
        return [r["ID_KONTA"] for r in rows]

    def settlement_years(self, account: int) -> list[int]:
        rows = self.sql("SELECT DISTINCT substr(DATA_ROZL, 1, 4) AS y FROM ROZL_MED "
                        "WHERE ID_KONTA = ? ORDER BY y", (account,))
        return [int(r["y"]) for r in rows]

    def settlements(self, account: int, year: int) -> list[dict[str, Any]]:
        konto = self.sql("SELECT ID_LOK FROM KONTA WHERE ID_KONTA = ?", (account,))[0]
        rows = self.sql(
            f"SELECT NR_DOK, ZALICZKI, KOSZT, ROZNICA FROM ROZL_MED d WHERE ID_KONTA = ? "
            f"AND DATA_ROZL BETWEEN ? AND ? AND {self._visible(konto[0], 'd.DATA_ROZL')} "
            f"ORDER BY DATA_ROZL, KOD_MED, NR_DOK", (account, f"{year}-01-01", f"{year}-12-31"))
        out = []
        for r in rows:
            diff = dec(r["ROZNICA"])
            result = owed_text(diff, "niedopłata") if diff else "rozliczone bez różnicy"
            out.append({"doc": r["NR_DOK"], "advances": money(dec(r["ZALICZKI"])),
                        "cost": money(dec(r["KOSZT"])), "result": result})
        return out


def owed_text(value: Decimal, debt_word: str = "do zapłaty") -> str:
    """A balance in words, as the pages show it (amount unsigned)."""
    if value == 0:
        return money(value)
    return f"{debt_word} {money(abs(value))}" if value > 0 else f"nadpłata {money(-value)}"


def cell_texts(rows: Locator, column: int) -> list[str]:
    """The text of one column in each row (as rendered, no-break spaces kept)."""
    return [row.locator("td").nth(column).inner_text().strip() for row in rows.all()]


def visible_text(page: Page) -> str:
    return re.sub(r"\s+", " ", page.locator("body").inner_text())


def first_login(portal: Portal, slip: dict[str, str], password: str = STRONG_PASSWORD) -> None:
    """Log in with the start password from the office's slip and set `password` (the
    forced change asks only for the new password twice: the start one was just
    verified); ends on the page a resident lands on after login."""
    page = portal.page
    portal.goto("/logowanie")
    page.get_by_label("Login", exact=True).fill(slip["login"])
    page.get_by_label("Hasło", exact=True).fill(slip["start_password"])
    with portal.navigation():
        page.get_by_role("button", name="Zaloguj").click()
    page.get_by_label("Nowe hasło", exact=True).fill(password)
    page.get_by_label("Powtórz").fill(password)
    with portal.navigation():
        page.get_by_role("button", name="Zapisz nowe hasło").click()
    expect(portal.heading()).to_have_text(LANDING_HEADING)


LANDING_HEADING = "Pulpit: ile do zapłaty i jak zapłacić"  # the page after login
