"""Reading the portal's HTML in tests: a tiny DOM, tables, select lists, Polish formats.

The expected side of each comparison is formatted here, independently of
`gateway.formats`: money `1 234,56 zł` (U+00A0 groups and before `zł`, U+2212
for a minus), numbers with a decimal comma, dates `dd.mm.rrrr`.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

NBSP = "\u00a0"
MINUS = "\u2212"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
MONEY_RE = re.compile(rf"(?:{MINUS})?\d{{1,3}}(?:{NBSP}\d{{3}})*,\d{{2}}{NBSP}zł")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Any] = field(default_factory=list)  # Node or str

    def text(self) -> str:
        """Text content, whitespace collapsed (U+00A0 is kept: it is part of the format)."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag == "br":
                    parts.append(" ")
                else:
                    walk(child)

        walk(self)
        return re.sub(r"[ \t\r\n]+", " ", "".join(parts)).strip()

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found: list[Node] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, Node):
                    if (tag is None or child.tag == tag) and all(
                            (k == "class_" and v in child.classes())
                            or child.attrs.get(k) == v for k, v in attrs.items()):
                        found.append(child)
                    walk(child)

        walk(self)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class Page:
    """One response's HTML, with the helpers the page tests need."""

    def __init__(self, response: Any):
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        builder = _Builder()
        builder.feed(self.html)
        builder.close()
        self.doc = builder.root
        self.main = self.doc.find("main") or self.doc

    @property
    def text(self) -> str:
        return self.main.text()

    def select(self, name: str) -> list[tuple[str, str]]:
        """(value, text) of every option of the select list `name`."""
        node = self.main.find("select", name=name)
        assert node is not None, f"no select list {name!r} on the page"
        return [(o.attrs.get("value", ""), o.text()) for o in node.find_all("option")]

    def selected(self, name: str) -> str | None:
        node = self.main.find("select", name=name)
        assert node is not None, f"no select list {name!r} on the page"
        chosen = [o.attrs.get("value") for o in node.find_all("option") if "selected" in o.attrs]
        assert len(chosen) <= 1, f"several options selected in {name!r}: {chosen}"
        return chosen[0] if chosen else None

    def has_select(self, name: str) -> bool:
        return self.main.find("select", name=name) is not None

    def tables(self) -> list[Node]:
        return self.main.find_all("table")

    def table(self, caption_start: str) -> Node | None:
        for table in self.tables():
            caption = table.find("caption")
            if caption is not None and caption.text().startswith(caption_start):
                return table
        return None

    def errors(self) -> list[str]:
        return [p.text() for p in self.main.find_all("p", class_="error")]

    def notes(self) -> list[str]:
        """What the form says it changed to fit (role=status)."""
        return [p.text() for p in self.main.find_all("p", class_="changed")]


def body_rows(table: Node) -> list[dict[str, str]]:
    """The rows of a table body whose cells carry data-label, as {label: text}."""
    body = table.find("tbody")
    assert body is not None
    out = []
    for tr in body.find_all("tr"):
        cells = [td for td in tr.find_all("td") if "data-label" in td.attrs]
        if cells and len(cells) == len(tr.find_all("td")):
            out.append({td.attrs["data-label"]: td.text() for td in cells})
    return out


def row_nodes(table: Node) -> list[Node]:
    body = table.find("tbody")
    assert body is not None
    return [tr for tr in body.find_all("tr")
            if tr.find_all("td") and all("data-label" in td.attrs for td in tr.find_all("td"))]


# ---- expected values, formatted independently -----------------------------------

def dec(value: Any, places: int = 2) -> Decimal | None:
    """A database value (SQLite may hand back REAL or text) as an exact Decimal."""
    if value is None:
        return None
    text = repr(value) if isinstance(value, float) else str(value)
    return Decimal(text).quantize(Decimal(1).scaleb(-places))


def grouped(value: Decimal, places: int) -> str:
    """`1 234,568`: U+00A0 between thousands, a decimal comma, U+2212 for a minus."""
    value = value.quantize(Decimal(1).scaleb(-places))
    sign = MINUS if value < 0 else ""
    whole, _, frac = f"{abs(value):.{places}f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + NBSP.join(groups) + ("," + frac if places else "")


def pln(value: Any) -> str:
    amount = dec(value)
    return "—" if amount is None else f"{grouped(amount, 2)}{NBSP}zł"


def owed(value: Any, debt_word: str = "do zapłaty") -> str:
    """A balance as the pages say it: 'do zapłaty X zł', 'nadpłata X zł', '0,00 zł'."""
    amount = dec(value) or Decimal("0.00")
    if amount == 0:
        return pln(amount)
    return f"{debt_word} {pln(abs(amount))}" if amount > 0 else f"nadpłata {pln(-amount)}"


def num(value: Any, places: int = 3) -> str:
    amount = dec(value, places)
    return "—" if amount is None else grouped(amount, places)


def dmy(value: Any) -> str:
    """'2025-06-19' (or a date) as '19.06.2025'."""
    if value is None:
        return "—"
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def unit(value: str) -> str:
    return {"m2": "m²", "m3": "m³"}.get(value, value)


def strip_volatile(html: str) -> str:
    """The page without what differs between two identical requests (time, CSRF token)."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)
    html = re.sub(r"Numer zgłoszenia: <strong>[^<]*</strong>", "", html)
    return re.sub(r"Stan na [0-9.:, ]+\.", "Stan na …", html)


# ---- a writable copy of the demo billing database -------------------------------------

class BillingCopy:
    """A copy of the demo database that a test may change (the app only reads it)."""

    def __init__(self, demo_path: Path, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "billing-copy.sqlite3"
        shutil.copyfile(demo_path, self.path)

    @property
    def connection(self) -> str:
        return f"sqlite:{self.path}"

    def __call__(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def module_settings(settings: dict[str, Any], request: Any) -> dict[str, Any]:
    """For a module's `settings` override: indirect parameters, and the billing copy.

    `@pytest.mark.parametrize("settings", [{...}], indirect=True)` adds settings;
    a test that asks for `billing_copy` gets the app pointed at that copy. Both
    happen before the app is created, whatever the order of the arguments.
    """
    settings.update(getattr(request, "param", {}))
    if "billing_copy" in request.fixturenames:
        settings["billing.connection"] = request.getfixturevalue("billing_copy").connection
    return settings


# The select-list cache off and on (0 s / 300 s), applied through a module's
# `settings` fixture that calls module_settings.
CACHE_OFF_AND_ON = pytest.mark.parametrize(
    "settings", [{"cache.ttl_seconds": "0"}, {"cache.ttl_seconds": "300"}], indirect=True,
    ids=["cache-off", "cache-on"])
CACHE_ON = pytest.mark.parametrize("settings", [{"cache.ttl_seconds": "300"}], indirect=True,
                                   ids=["cache-on"])
