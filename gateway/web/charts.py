"""Chart series computed from a page's own rows: pure functions, no queries.

Each `*_chart()` returns a `Chart` (chartdraw.py) with its title and description
saying the figures, and `table`: the same figures as rows for the table printed
right below the chart (what screen readers and the print layout get). None when
there is nothing to draw: the page then says so in words and shows no empty chart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .chartdraw import Bar, Chart, horizontal, vertical
from .formats import day, money, number, unit

ZERO = Decimal("0.00")
SHORT_MONTHS = ("sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis",
                "gru")


@dataclass
class Figures:
    """A chart with its table: caption, column headings, rows of cell texts."""

    chart: Chart
    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int]   # the columns to right-align


def _plain(value: Decimal | None) -> str:
    return "" if value is None else str(value)


# ---- Media odczyty: consumption per period, this year next to the previous ------

def _periods(rows: list[dict[str, Any]]) -> list[date]:
    """The year's reading periods, each named by its closing date.

    A period ends at a regular or estimated reading; a meter replacement (W) falls
    into the period that the next reading closes (the old meter's last rows and the
    new meter's first are one place's consumption), or ends one itself if the year
    has no reading after it.
    """
    closing = sorted({r["reading_date"] for r in rows if r["reading_kind"] != "W"})
    for r in rows:
        if not any(c >= r["reading_date"] for c in closing):
            closing.append(r["reading_date"])
            closing.sort()
    return closing


def _place(row: dict[str, Any]) -> str:
    return row["place"] or f"licznik {row['meter_no']}"


def consumption(rows: list[dict[str, Any]]) -> tuple[list[date], dict[tuple[str, int], Any]]:
    """Per (place, period index): [sum of consumption or None, estimated?].

    Rows without a consumption (a new meter's first reading) add nothing; a place
    with no consumption at all in a period stays None (missing, not zero).
    """
    closing = _periods(rows)
    found: dict[tuple[str, int], list[Any]] = {}
    for r in rows:
        index = next(i for i, c in enumerate(closing) if c >= r["reading_date"])
        slot = found.setdefault((_place(r), index), [None, False])
        if r["consumption"] is not None:
            slot[0] = (slot[0] or Decimal(0)) + r["consumption"]
        slot[1] = slot[1] or r["reading_kind"] == "S"
    return closing, found


def readings_chart(rows: list[dict[str, Any]], year: int, medium_name: str) -> Figures | None:
    """`rows`: the meter readings of the chosen year and of the year before."""
    current = [r for r in rows if r["reading_date"].year == year]
    if not current:
        return None
    before = [r for r in rows if r["reading_date"].year == year - 1]
    unit_name = unit(current[0]["unit"])
    closing, now = consumption(current)
    closing_before, then = consumption(before)
    places = list(dict.fromkeys(_place(r) for r in current))
    chart = Chart("odczyty", f"Zużycie: {medium_name}, {year} wobec {year - 1}", "")
    groups, table, said, flags = [], [], [], set()
    for place in places:
        bars = []
        for i, end in enumerate(closing):
            this, estimated = now.get((place, i), [None, False])
            prior, prior_est = then.get((place, i), [None, False])
            end_before = closing_before[i] if i < len(closing_before) else None
            name = f"do {day(end)[:5]}"
            for y, value, est, series in ((year, this, estimated, "current"),
                                          (year - 1, prior, prior_est, "previous")):
                text = _reading_text(value, est, unit_name)
                flags |= _flags(value, est)
                bars.append(Bar(f"{name} {y}" if series == "current" else f"{y}", value, text,
                                series, est, (("place", place), ("period", str(i + 1)),
                                              ("year", str(y)))))
            table.append([place, f"{i + 1}. (do {day(end)})",
                          _reading_text(this, estimated, unit_name),
                          f"{_reading_text(prior, prior_est, unit_name)}"
                          + (f" (do {day(end_before)})" if end_before else "")])
            said.append(f"{place}, okres do {day(end)}: {_reading_text(this, estimated, unit_name)}"
                        f", rok wcześniej {_reading_text(prior, prior_est, unit_name)}")
        groups.append((place, bars))
    chart.desc = "; ".join(said) + "."
    chart.legend = [("current", f"rok {year}"), ("previous", f"rok {year - 1}")]
    chart.notes = _notes(flags)
    horizontal(chart, groups, label_width=92, value_room=112)
    return Figures(chart, f"Zużycie w okresach odczytów: {medium_name}, {year} i {year - 1}",
                   ["Miejsce", "Okres", f"Zużycie {year}", f"Zużycie {year - 1}"], table, {2, 3})


def _reading_text(value: Decimal | None, estimated: bool, unit_name: str) -> str:
    if value is None:
        return "brak odczytu"
    return f"{number(value)} {unit_name}" + (" (szacunek)" if estimated else "")


def _flags(value: Decimal | None, estimated: bool = False) -> set[str]:
    out = set()
    if value is None:
        out.add("missing")
    elif value < 0:
        out.add("negative")
    elif value == 0:
        out.add("zero")
    if estimated:
        out.add("estimate")
    return out


NOTES = {
    "estimate": "Obramowanie przerywane i dopisek „szacunek”: odczyt szacunkowy, "
                "nie odczytany z licznika.",
    "missing": "„Brak” oznacza brak danych w tym okresie (nie zero).",
    "zero": "Wartość zero jest zaznaczona samą liczbą, bez słupka.",
    "negative": "Wartość ujemna (korekta) jest rysowana po drugiej stronie osi.",
}


def _notes(flags: set[str]) -> list[str]:
    return [text for key, text in NOTES.items() if key in flags]


# ---- Czynsz: the monthly total over 24 months, components on demand ---------------

def months_back(last: date, count: int) -> list[date]:
    months, y, m = [], last.year, last.month
    for _ in range(count):
        months.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return months[::-1]


def rent_history(rows: list[dict[str, Any]], last: date, count: int = 24
                 ) -> tuple[list[date], dict[date, Decimal], dict[str, dict[date, Decimal]]]:
    """Months from the first one with charges (of the last `count`) to `last`; the
    total due per month (amount + VAT) and per component (by name)."""
    totals: dict[date, Decimal] = {}
    parts: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for r in rows:
        month = date(r["period"].year, r["period"].month, 1)
        due = (r["amount"] or ZERO) + (r["vat"] or ZERO)
        totals[month] = totals.get(month, ZERO) + due
        parts[r["component"]][month] = parts[r["component"]].get(month, ZERO) + due
    window = months_back(last, count)
    first = next((m for m in window if m in totals), None)
    return ([m for m in window if first and m >= first], totals, dict(parts))


def rent_chart(rows: list[dict[str, Any]], last: date) -> tuple[Figures, list[list[str]]] | None:
    """The chart of monthly totals, and the component changes for the <details> list."""
    months, totals, parts = rent_history(rows, last)
    if not months:
        return None
    bars, table, flags = [], [], set()
    for m in months:
        value = totals.get(m)
        flags |= _flags(value)
        text = money(value) if value is not None else "brak naliczeń"
        bars.append(Bar(f"{SHORT_MONTHS[m.month - 1]} {m.year}", value, text, "total",
                        data=(("month", m.isoformat()[:7]),)))
        table.append([f"{m.month:02d}.{m.year}", text])
    span = f"{months[0].month:02d}.{months[0].year}–{months[-1].month:02d}.{months[-1].year}"
    chart = Chart("czynsz", f"Czynsz do zapłaty miesięcznie, {span}",
                  "; ".join(f"{a}: {b}" for a, b in table) + ".")
    chart.legend = [("total", "razem do zapłaty w miesiącu (z VAT)")]
    chart.notes = _notes(flags)
    horizontal(chart, [("", bars)], label_width=70, value_room=96)
    figures = Figures(chart, f"Czynsz do zapłaty w kolejnych miesiącach ({span})",
                      ["Miesiąc", "Razem do zapłaty"], table, {1})
    return figures, component_changes(months, parts)


def component_changes(months: list[date], parts: dict[str, dict[date, Decimal]]
                      ) -> list[list[str]]:
    """Per component: its amount in the first month and every month it changed."""
    out = []
    for name in sorted(parts):
        by_month, previous = parts[name], None
        for m in months:
            value = by_month.get(m)
            if m == months[0] or value != previous:
                change = "" if m == months[0] or previous is None or value is None \
                    else money(value - previous)
                if m != months[0] and value is not None and value > (previous or ZERO):
                    change = "+" + change if change else change
                out.append([name, f"{m.month:02d}.{m.year}",
                            money(value) if value is not None else "nie naliczono", change])
            previous = value
    return out


# ---- Księgowość: the balance at each month's end ----------------------------------

def _month_end(y: int, m: int) -> date:
    return (date(y + (m == 12), m % 12 + 1, 1)) - timedelta(days=1)


def month_end_balances(opening: Decimal, documents: list[dict[str, Any]], year: int,
                       months: list[int], today: date) -> list[tuple[date, Decimal]]:
    """(month end, balance) for each of `months` of `year`: the opening balance plus
    every document (Wn − Ma) dated up to that month's last day (today for the month
    still running: a balance is never dated in the future)."""
    out, balance, docs = [], opening, sorted(documents, key=lambda d: d["doc_date"])
    i = 0
    for m in sorted(months):
        end = min(_month_end(year, m), max(today, date(year, m, 1)))
        while i < len(docs) and docs[i]["doc_date"] <= end:
            balance += (docs[i]["debit"] or ZERO) - (docs[i]["credit"] or ZERO)
            i += 1
        out.append((end, balance))
    return out


def balance_words(value: Decimal) -> str:
    if value > 0:
        return f"zadłużenie {money(value)}"
    if value < 0:
        return f"nadpłata {money(-value)}"
    return f"saldo zero ({money(value)})"


def ledger_chart(opening: Decimal, documents: list[dict[str, Any]], year: int,
                 months: list[int], today: date) -> Figures | None:
    balances = month_end_balances(opening, documents, year, months, today)
    if not balances:
        return None
    bars, table, flags = [], [], set()
    for end, value in balances:
        series = "debt" if value > 0 else "credit"
        flags |= _flags(value) - {"negative"}
        bars.append(Bar(SHORT_MONTHS[end.month - 1], value, money(value, currency=False), series,
                        data=(("month", end.isoformat()[:7]), ("day", end.isoformat()))))
        table.append([day(end), money(value), balance_words(value)])
    chart = Chart("saldo", f"Saldo konta na koniec każdego miesiąca, {year}",
                  "; ".join(f"{a}: {c}" for a, _, c in table) + ".")
    chart.legend = [("debt", "zadłużenie (do zapłaty), nad osią"),
                    ("credit", "nadpłata, pod osią")]
    chart.notes = ["Kwoty w złotych. Saldo dodatnie to zadłużenie wobec spółdzielni, ujemne – "
                   "nadpłata."] + _notes(flags)
    vertical(chart, bars, "zadłużenie", "nadpłata")
    return Figures(chart, f"Saldo na koniec miesiąca, {year}",
                   ["Na dzień", "Saldo", "Znaczenie"], table, {1})
