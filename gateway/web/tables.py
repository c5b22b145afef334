"""A page's table as rows of text for CSV and PDF, the figures as the page shows them.

One function per table takes the page builder's context (the same builder, the
same parameters, the same scoping as the page) and a `Style`: `CSV` writes
numbers as spreadsheets read them (decimal comma, a plain minus, no grouping or
currency), `PRINT` as the page does (`1 234,56`, U+2212 minus). Both round the
same way (gateway.formats), so a CSV cell is the page's figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..documents import Column, Table
from . import formats as F


@dataclass(frozen=True)
class Style:
    plain: bool
    missing: str  # a value the page shows as "—"

    def text(self, value: str) -> str:
        return value.replace(F.NBSP, "").replace(F.MINUS, "-") if self.plain else value

    def money(self, value: Decimal | None) -> str:
        return self.missing if value is None else self.text(F.money(value, currency=False))

    def number(self, value: Decimal | None, places: int = 3) -> str:
        return self.missing if value is None else self.text(F.number(value, places))

    def rate(self, value: Decimal | None) -> str:
        return self.missing if value is None else self.text(F.rate(value))


CSV = Style(plain=True, missing="")
PRINT = Style(plain=False, missing="—")


def ledger_documents(ctx: dict[str, Any], style: Style) -> Table:
    """Księgowość – szczegóły: the opening balance row, then every document."""
    columns = [Column("Data", 1.6), Column("Numer", 2.1), Column("Rodzaj", 2.0),
               Column("Opis", 4.2), Column("Wn (zł)", 1.7, True), Column("Ma (zł)", 1.7, True),
               Column("Saldo (zł)", 1.8, True)]
    rows = [["", "", "", f"Saldo początkowe roku {ctx['rok']}", "", "",
             style.money(ctx["summary"]["opening"])]]
    for d in ctx["documents"]:
        description = d["description"] or ""
        if d["corrects_no"]:
            description = f"{description} (korekta dokumentu {d['corrects_no']})".strip()
        rows.append([F.day(d["doc_date"]), d["doc_no"], d["kind_name"] or d["doc_kind"],
                     description,
                     "" if d["debit"] is None else style.money(d["debit"]),
                     "" if d["credit"] is None else style.money(d["credit"]),
                     style.money(d["balance"])])
    return Table(columns, rows, marked={0})


def rent_components(ctx: dict[str, Any], style: Style) -> Table:
    """Czynsz: every component of the month, then the totals."""
    columns = [Column("Składnik", 4.0), Column("Podstawa", 2.6), Column("Ilość", 1.4, True),
               Column("Jednostka", 1.2), Column("Stawka (zł)", 1.4, True),
               Column("Kwota (zł)", 1.6, True), Column("VAT (zł)", 1.3, True)]
    rows = []
    for c in ctx["components"]:
        rows.append([c["component"], c["basis"] or "",
                     style.number(c["quantity"], 3 if c["unit"] == "m3" else 2),
                     F.unit(c["unit"]), style.rate(c["rate"]), style.money(c["amount"]),
                     style.money(c["vat"]) if c["vat"] else ""])
    totals = ([("Razem netto", ctx["net"]), ("VAT", ctx["vat"])] if ctx["vat"] else [])
    totals.append(("Razem do zapłaty", ctx["total"]))
    first = len(rows)
    for label, value in totals:
        rows.append([label, "", "", "", "", style.money(value), ""])
    return Table(columns, rows, marked=set(range(first, len(rows))))


def meter_readings(ctx: dict[str, Any], style: Style) -> Table:
    """Media odczyty: every reading document of the medium in the year."""
    columns = [Column("Data", 1.5), Column("Dokument", 2.0), Column("Nr licznika", 1.8),
               Column("Miejsce", 1.6), Column("Stan poprzedni", 1.5, True),
               Column("Stan obecny", 1.5, True), Column("Zużycie", 1.4, True),
               Column("Jednostka", 1.1), Column("Rodzaj", 2.2)]
    rows = [[F.day(r["reading_date"]), r["doc_no"], r["meter_no"], r["place"] or style.missing,
             style.number(r["previous"]), style.number(r["current"]),
             style.number(r["consumption"]),
             F.unit(r["unit"]) if r["consumption"] is not None else "", r["kind_name"]]
            for r in ctx["readings"]]
    return Table(columns, rows)


def result(difference: Decimal) -> str:
    if difference > 0:
        return "niedopłata"
    return "nadpłata" if difference < 0 else "rozliczone bez różnicy"


def settlements(ctx: dict[str, Any], style: Style) -> Table:
    """Media rozliczenia: every settlement document of the account in the year."""
    columns = [Column("Dokument", 2.0), Column("Z dnia", 1.5), Column("Medium", 2.2),
               Column("Okres od", 1.5), Column("Okres do", 1.5), Column("Zużycie", 1.4, True),
               Column("Jednostka", 1.0), Column("Zaliczki (zł)", 1.6, True),
               Column("Koszt (zł)", 1.6, True), Column("Różnica (zł)", 1.6, True),
               Column("Wynik", 1.9)]
    rows = [[s["doc_no"], F.day(s["settled_on"]), s["medium_name"], F.day(s["period_from"]),
             F.day(s["period_to"]), style.number(s["consumption"]),
             F.unit(s["unit"]) if s["consumption"] is not None else "",
             style.money(s["advances"]), style.money(s["cost"]), style.money(s["difference"]),
             result(s["difference"])]
            for s in ctx["settlements"]]
    return Table(columns, rows)
